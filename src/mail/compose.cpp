#include "mail/compose.h"

#include <fmt/format.h>

#include "base/text.h"
#include "mail/template.h"

namespace contactsync::mail {
namespace {

int64_t UnixAfter(base::TimePoint now, std::chrono::seconds lifetime) {
  return std::chrono::duration_cast<std::chrono::seconds>((now + lifetime).time_since_epoch())
      .count();
}

std::string LinkUrl(const ComposeSettings& settings, const LinkSigner& signer, LinkAction action,
                    int64_t contact_id, int64_t list_id, int64_t expires) {
  const std::string token = signer.Sign({action, contact_id, list_id, expires});
  return fmt::format("{}/{}?t={}", settings.base_url,
                     action == LinkAction::kConfirm ? "confirm" : "unsubscribe", token);
}

// The domain of the sender address for the Message-ID; a non-ASCII domain
// would make the header non-ASCII, so it falls back to a reserved name.
std::string MessageIdDomain(std::string_view address) {
  const size_t at = address.rfind('@');
  const std::string_view domain = at == std::string_view::npos ? "" : address.substr(at + 1);
  for (const char c : domain) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) {
      return "contactsync.invalid";
    }
  }
  return domain.empty() ? "contactsync.invalid" : std::string(domain);
}

}  // namespace

std::string ConfirmUrl(const ComposeSettings& settings, const LinkSigner& signer,
                       int64_t contact_id, int64_t list_id, base::TimePoint now) {
  return LinkUrl(settings, signer, LinkAction::kConfirm, contact_id, list_id,
                 UnixAfter(now, settings.confirm_link_lifetime));
}

std::string UnsubscribeUrl(const ComposeSettings& settings, const LinkSigner& signer,
                           int64_t contact_id, int64_t list_id, base::TimePoint now) {
  return LinkUrl(settings, signer, LinkAction::kUnsubscribe, contact_id, list_id,
                 UnixAfter(now, settings.unsubscribe_link_lifetime));
}

base::Result<ComposedMessage> Compose(const store::ClaimedMessage& claimed,
                                      const ComposeSettings& settings, const LinkSigner& signer,
                                      base::TimePoint now) {
  if (settings.base_url.empty()) {
    return base::InvalidArgument(
        "no public base URL for links: set one with `contactsync mail config --base-url URL`");
  }
  const store::ListInfo& list = claimed.list;
  Mailbox from;
  if (!list.sender_email.empty()) {
    from = {list.sender_name, list.sender_email};
  } else if (!settings.from.address.empty()) {
    from = {list.sender_name.empty() ? settings.from.name : list.sender_name,
            settings.from.address};
  } else {
    return base::InvalidArgument(
        fmt::format("no sender address: give list '{}' a sender address or set one with "
                    "`contactsync mail config --from ADDRESS`",
                    base::Printable(list.name)));
  }
  CS_RETURN_IF_ERROR(CheckAddress(from.address).WithContext("sender: "));
  CS_RETURN_IF_ERROR(CheckAddress(claimed.contact.email).WithContext("recipient: "));

  const store::Contact& contact = claimed.contact;
  const std::string unsubscribe = UnsubscribeUrl(settings, signer, contact.id, list.id, now);
  const std::string sender_label = from.name.empty() ? list.name : from.name;
  std::string subject;
  std::string text;
  std::string html;
  if (claimed.message.kind == store::OutboxKind::kConfirmation) {
    const std::string confirm = ConfirmUrl(settings, signer, contact.id, list.id, now);
    subject = fmt::format("Please confirm your subscription to {}", list.name);
    const std::string greeting =
        contact.first_name.empty() ? "Hello," : fmt::format("Hello {},", contact.first_name);
    text = fmt::format(
        "{}\r\n\r\nplease confirm that you want to receive mail from {} (list \"{}\") by "
        "following this link:\r\n\r\n{}\r\n\r\nIf you did not ask for this, ignore this message: "
        "without your confirmation you will not get mail from this list.\r\n\r\n"
        "Unsubscribe: {}\r\n",
        greeting, sender_label, list.name, confirm, unsubscribe);
    html = fmt::format(
        "<!DOCTYPE html><html><body><p>{}</p><p>please confirm that you want to receive mail "
        "from {} (list &quot;{}&quot;):</p><p><a href=\"{}\">Confirm my subscription</a></p>"
        "<p>If you did not ask for this, ignore this message: without your confirmation you "
        "will not get mail from this list.</p><p><a href=\"{}\">Unsubscribe</a></p></body></html>",
        EscapeHtml(greeting), EscapeHtml(sender_label), EscapeHtml(list.name), EscapeHtml(confirm),
        EscapeHtml(unsubscribe));
  } else {
    if (!claimed.autoresponder) return base::Internal("autoresponder message without its text");
    const auto values = TagValues(contact);
    subject = RenderTemplate(claimed.autoresponder->subject, values);
    const std::string body = RenderTemplate(claimed.autoresponder->body, values);
    text = body + fmt::format("\r\n\r\n--\r\nUnsubscribe from {}: {}\r\n", list.name, unsubscribe);
    html = fmt::format(
        "<!DOCTYPE html><html><body><p>{}</p><hr><p><a href=\"{}\">Unsubscribe from {}</a></p>"
        "</body></html>",
        TextToHtml(body), EscapeHtml(unsubscribe), EscapeHtml(list.name));
  }

  MessageParts parts;
  parts.from = from;
  parts.to = {CleanHeaderText(contact.first_name + " " + contact.last_name), contact.email};
  parts.subject = subject;
  parts.message_id =
      fmt::format("<{}@{}>", claimed.message.idempotency_key, MessageIdDomain(from.address));
  parts.date = now;
  parts.unsubscribe_url = unsubscribe;
  parts.text = std::move(text);
  parts.html = std::move(html);
  CS_ASSIGN_OR_RETURN(std::string data, BuildMessage(parts));

  ComposedMessage composed;
  composed.outgoing.envelope_from = from.address;
  composed.outgoing.recipient = contact.email;
  composed.outgoing.needs_smtputf8 = NeedsSmtpUtf8(from.address) || NeedsSmtpUtf8(contact.email);
  composed.outgoing.data = std::move(data);
  composed.subject = CleanHeaderText(subject);
  return composed;
}

}  // namespace contactsync::mail
