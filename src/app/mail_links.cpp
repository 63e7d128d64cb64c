#include "app/mail_links.h"

#include <fmt/format.h>

#include "mail/template.h"

namespace contactsync::app {
namespace {

using mail::EscapeHtml;

MailLinkResponse Page(int status, std::string_view title, std::string_view body_html) {
  return {status, fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<meta name=\"robots\" content=\"noindex\">"
                              "<meta name=\"viewport\" content=\"width=device-width\">"
                              "<title>{0}</title><style>body{{font-family:sans-serif;"
                              "max-width:32em;margin:4em auto;padding:0 1em}}</style></head>"
                              "<body><h1>{0}</h1>{1}</body></html>\n",
                              EscapeHtml(title), body_html)};
}

MailLinkResponse ErrorPage(const base::Status& status) {
  switch (status.code()) {
    case base::ErrorCode::kInvalidArgument:
      return Page(400, "This link is not valid",
                  "<p>" + EscapeHtml(status.message()) +
                      ".</p><p>Please use the link exactly as it appears in the message.</p>");
    case base::ErrorCode::kFailedPrecondition:
      // Expired tokens (LinkSigner) and states that forbid the change (store).
      if (status.message().find("expired") != std::string::npos) {
        return Page(400, "This link has expired", "<p>" + EscapeHtml(status.message()) + ".</p>");
      }
      return Page(409, "Nothing was changed", "<p>" + EscapeHtml(status.message()) + ".</p>");
    case base::ErrorCode::kNotFound:
      return Page(404, "Not found", "<p>" + EscapeHtml(status.message()) + ".</p>");
    default:
      // Store trouble: no detail for the public, and the link stays usable.
      return Page(503, "Please try again later",
                  "<p>We could not handle this link right now. Please try again in a few "
                  "minutes.</p>");
  }
}

}  // namespace

MailLinkResponse HandleMailLink(store::MailStore& store, const mail::LinkSigner& signer,
                                std::string_view action, std::string_view token,
                                std::string_view method, base::TimePoint now) {
  const bool confirm = action == "confirm";
  if (!confirm && action != "unsubscribe") return Page(404, "Not found", "");
  if (method != "GET" && !(method == "POST" && !confirm)) {
    return Page(405, "Method not allowed", "");
  }
  base::Result<mail::LinkClaims> claims = signer.Verify(
      token, confirm ? mail::LinkAction::kConfirm : mail::LinkAction::kUnsubscribe, now);
  if (!claims.ok()) return ErrorPage(claims.status());

  if (confirm) {
    base::Result<store::LinkOutcome> outcome =
        store.ConfirmByLink(claims->contact_id, claims->list_id);
    if (!outcome.ok()) return ErrorPage(outcome.status());
    return Page(200, outcome->changed ? "Subscription confirmed" : "Already confirmed",
                fmt::format("<p>{} is subscribed to <strong>{}</strong>. Thank you!</p>",
                            EscapeHtml(outcome->email), EscapeHtml(outcome->list_name)));
  }
  if (method == "GET") {
    // Only a page: the POST acts (see the header).
    return Page(200, "Unsubscribe",
                fmt::format("<p>Stop receiving mail from this list?</p>"
                            "<form method=\"post\" action=\"unsubscribe?t={}\">"
                            "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                            "<button type=\"submit\">Unsubscribe</button></form>",
                            EscapeHtml(token)));
  }
  base::Result<store::LinkOutcome> outcome =
      store.UnsubscribeByLink(claims->contact_id, claims->list_id);
  if (!outcome.ok()) return ErrorPage(outcome.status());
  return Page(200, "You are unsubscribed",
              fmt::format("<p>{} will receive no more mail from <strong>{}</strong>.</p>",
                          EscapeHtml(outcome->email), EscapeHtml(outcome->list_name)));
}

}  // namespace contactsync::app
