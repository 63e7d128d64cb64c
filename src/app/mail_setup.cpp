#include "app/mail_setup.h"

#include <chrono>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/text.h"
#include "model/email.h"

namespace contactsync::app {
namespace {

constexpr std::string_view kPasswordPurpose = "mail-settings:";

MailSettingsView ToView(const std::optional<store::MailSettingsRecord>& record) {
  MailSettingsView view;
  if (!record) return view;
  view.configured = true;
  view.smtp_host = record->smtp_host;
  view.smtp_port = record->smtp_port;
  view.tls_mode = record->tls_mode;
  view.smtp_user = record->smtp_user;
  view.tls_ca_file = record->tls_ca_file;
  view.has_password = !record->sealed_password.empty();
  view.from_name = record->from_name;
  view.from_email = record->from_email;
  view.hourly_cap = record->hourly_cap;
  view.base_url = record->base_url;
  view.updated_at = record->updated_at;
  return view;
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

base::Status ApplyMailEnvironment(MailRuntime& runtime) {
  if (const char* host = Env("CONTACTSYNC_SMTP_HOST")) {
    CS_RETURN_IF_ERROR(base::CheckText("CONTACTSYNC_SMTP_HOST", host, 255));
    runtime.smtp.host = host;
  }
  if (const char* port = Env("CONTACTSYNC_SMTP_PORT")) {
    char* end = nullptr;
    const long value = std::strtol(port, &end, 10);
    if (*end != '\0' || value < 1 || value > 65535) {
      return base::InvalidArgument("CONTACTSYNC_SMTP_PORT must be a port number (1..65535)");
    }
    runtime.smtp.port = static_cast<int>(value);
  }
  if (const char* tls = Env("CONTACTSYNC_SMTP_TLS")) {
    const std::string_view mode(tls);
    if (mode != "none" && mode != "starttls" && mode != "tls") {
      return base::InvalidArgument("CONTACTSYNC_SMTP_TLS must be none, starttls or tls");
    }
    runtime.smtp.tls_mode = std::string(mode);
  }
  if (const char* user = Env("CONTACTSYNC_SMTP_USER")) runtime.smtp.user = user;
  if (const char* password = Env("CONTACTSYNC_SMTP_PASSWORD")) runtime.smtp.password = password;
  if (const char* ca_file = Env("CONTACTSYNC_SMTP_CA_FILE")) runtime.smtp.ca_file = ca_file;
  if (const char* from = Env("CONTACTSYNC_MAIL_FROM")) {
    CS_ASSIGN_OR_RETURN(runtime.compose.from.address, model::ValidateEmail(from));
  }
  if (const char* url = Env("CONTACTSYNC_MAIL_BASE_URL")) {
    std::string base(url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    if ((base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) ||
        base.find_first_of(" \t\r\n<>\"") != std::string::npos) {
      return base::InvalidArgument("CONTACTSYNC_MAIL_BASE_URL must be an http:// or https:// URL");
    }
    runtime.compose.base_url = base;
  }
  return base::Status::Ok();
}

base::Result<MailSettingsView> GetMailSettings(store::MailStore& store) {
  CS_ASSIGN_OR_RETURN(const auto record, store.GetMailSettings());
  return ToView(record);
}

namespace {

// The first of SMTP host, port, TLS mode, user or CA file that differs
// between the saved settings and the changed ones ("the SMTP host changed"),
// or empty: a password given for one server must not go to another.
std::string WhySmtpPasswordCannotFollow(const store::MailSettingsRecord& before,
                                        const store::MailSettingsRecord& after) {
  if (before.smtp_host != after.smtp_host) return "the SMTP host changed";
  if (before.smtp_port != after.smtp_port) return "the SMTP port changed";
  if (before.tls_mode != after.tls_mode) return "the TLS mode changed";
  if (before.smtp_user != after.smtp_user) return "the SMTP user changed";
  if (before.tls_ca_file != after.tls_ca_file) return "the CA file changed";
  return "";
}

}  // namespace

base::Result<MailSettingsView> UpdateMailSettings(store::MailStore& store,
                                                  const secrets::SecretBox& box,
                                                  const MailSettingsChange& change) {
  if (change.hourly_cap && (*change.hourly_cap < 0 || *change.hourly_cap > kMaxHourlyCap)) {
    return base::InvalidArgument(fmt::format("hourly_cap must be between 0 and {}, not {}",
                                             kMaxHourlyCap, *change.hourly_cap));
  }
  CS_ASSIGN_OR_RETURN(std::optional<store::MailSettingsRecord> existing, store.GetMailSettings());
  store::MailSettingsRecord record;
  if (existing) {
    record = *existing;
  } else {
    record.owner_id = secrets::NewSecretOwnerId();
  }
  if (change.smtp_host) record.smtp_host = *change.smtp_host;
  if (change.smtp_port) record.smtp_port = *change.smtp_port;
  if (change.tls_mode) record.tls_mode = *change.tls_mode;
  if (change.smtp_user) record.smtp_user = *change.smtp_user;
  if (change.tls_ca_file) record.tls_ca_file = *change.tls_ca_file;
  if (change.from_name) record.from_name = *change.from_name;
  if (change.from_email) record.from_email = *change.from_email;
  if (change.hourly_cap) record.hourly_cap = *change.hourly_cap;
  if (change.base_url) record.base_url = *change.base_url;
  std::string cleared_because;
  if (change.password) {
    record.sealed_password =
        change.password->empty()
            ? std::string()
            : box.Seal(*change.password, std::string(kPasswordPurpose) + record.owner_id);
  } else if (existing && !existing->sealed_password.empty()) {
    cleared_because = WhySmtpPasswordCannotFollow(*existing, record);
    if (!cleared_because.empty()) record.sealed_password.clear();
  }
  CS_ASSIGN_OR_RETURN(const store::MailSettingsRecord saved, store.SaveMailSettings(record));
  MailSettingsView view = ToView(saved);
  view.password_cleared_because = std::move(cleared_because);
  return view;
}

base::Result<OutboxSummary> GetOutboxSummary(store::MailStore& store, const base::Clock& clock) {
  OutboxSummary summary;
  store::OutboxFilter filter;
  filter.limit = 1;  // only the counts are wanted
  CS_ASSIGN_OR_RETURN(const store::OutboxPage page, store.GetOutbox(filter));
  for (const store::OutboxState state :
       {store::OutboxState::kQueued, store::OutboxState::kSending, store::OutboxState::kSent,
        store::OutboxState::kFailed, store::OutboxState::kCancelled}) {
    const std::string name(store::OutboxStateName(state));
    const auto it = page.counts.find(name);
    summary.counts[name] = it == page.counts.end() ? 0 : it->second;
  }
  // The same window the sender applies the cap to (mail/outbox_sender.cpp).
  CS_ASSIGN_OR_RETURN(
      summary.sent_last_hour,
      store.CountMessagesSentSince(base::FormatIso8601Utc(clock.Now() - std::chrono::hours(1))));
  CS_ASSIGN_OR_RETURN(const std::optional<store::MailSettingsRecord> record,
                      store.GetMailSettings());
  if (record) summary.hourly_cap = record->hourly_cap;
  CS_ASSIGN_OR_RETURN(summary.next_due_at, store.NextDueTime());
  if (const base::Status ready = CheckMailConfigured(store); !ready.ok()) {
    summary.not_ready_because = ready.message();
  }
  return summary;
}

mail::LinkSigner MailLinkSigner(const secrets::SecretBox& box) {
  return mail::LinkSigner(box.DeriveKey("mailLink"));
}

namespace {

// The runtime from the stored settings and the environment. The sealed
// password is opened only when `box` is given: whether mail is set up does
// not need it.
base::Result<MailRuntime> ResolveMailRuntime(store::MailStore& store,
                                             const secrets::SecretBox* box) {
  CS_ASSIGN_OR_RETURN(const std::optional<store::MailSettingsRecord> record,
                      store.GetMailSettings());
  MailRuntime runtime;
  if (record) {
    runtime.smtp.host = record->smtp_host;
    runtime.smtp.port = record->smtp_port;
    runtime.smtp.tls_mode = record->tls_mode;
    runtime.smtp.user = record->smtp_user;
    runtime.smtp.ca_file = record->tls_ca_file;
    if (box != nullptr && !record->sealed_password.empty()) {
      CS_ASSIGN_OR_RETURN(
          runtime.smtp.password,
          box->Open(record->sealed_password, std::string(kPasswordPurpose) + record->owner_id));
    }
    runtime.compose.from = {record->from_name, record->from_email};
    runtime.compose.base_url = record->base_url;
    runtime.sender.hourly_cap = record->hourly_cap;
  }
  CS_RETURN_IF_ERROR(ApplyMailEnvironment(runtime));
  return runtime;
}

base::Status CheckCanSend(const MailRuntime& runtime) {
  if (runtime.smtp.host.empty()) {
    return base::FailedPrecondition(
        "mail is not set up: give the SMTP server with `contactsync mail config --host HOST ...`");
  }
  if (runtime.compose.base_url.empty()) {
    return base::FailedPrecondition(
        "mail links need the public address of `contactsync serve`: set it with "
        "`contactsync mail config --base-url https://...`");
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<MailRuntime> LoadMailRuntime(store::MailStore& store, const secrets::SecretBox& box) {
  CS_ASSIGN_OR_RETURN(MailRuntime runtime, ResolveMailRuntime(store, &box));
  CS_RETURN_IF_ERROR(CheckCanSend(runtime));
  return runtime;
}

base::Status CheckMailConfigured(store::MailStore& store) {
  CS_ASSIGN_OR_RETURN(const MailRuntime runtime, ResolveMailRuntime(store, nullptr));
  return CheckCanSend(runtime);
}

base::Result<std::optional<std::string>> UnsendableMailWarning(
    store::MailStore& store, const sync::SyncDefinition& definition) {
  std::vector<std::string> queued;
  if (definition.status == store::SyncEntryStatus::kUnconfirmed) {
    queued.push_back("a confirmation message to each new contact (status unconfirmed)");
  }
  if (definition.send_autoresponders) {
    CS_ASSIGN_OR_RETURN(const std::vector<store::Autoresponder> autoresponders,
                        store.GetAutoresponders(definition.list));
    if (!autoresponders.empty()) {
      queued.push_back(fmt::format("the list's {} autoresponder(s) (send_autoresponders)",
                                   autoresponders.size()));
    }
  }
  using Warning = std::optional<std::string>;
  if (queued.empty()) return Warning();
  const base::Status ready = CheckMailConfigured(store);
  if (ready.ok()) return Warning();
  return Warning(fmt::format(
      "this sync queues {}, but {}; until then the messages wait in the outbox (see `contactsync "
      "mail ls`, cancel them with `contactsync mail cancel --all-queued`)",
      fmt::join(queued, " and "), ready.message()));
}

nlohmann::json WarningsJson(const std::optional<std::string>& warning) {
  nlohmann::json warnings = nlohmann::json::array();
  if (warning) warnings.push_back(*warning);
  return warnings;
}

nlohmann::json ToJson(const MailSettingsView& view) {
  nlohmann::json out = {{"configured", view.configured},     {"smtp_host", view.smtp_host},
                        {"smtp_port", view.smtp_port},       {"tls_mode", view.tls_mode},
                        {"smtp_user", view.smtp_user},       {"tls_ca_file", view.tls_ca_file},
                        {"has_password", view.has_password}, {"from_name", view.from_name},
                        {"from_email", view.from_email},     {"hourly_cap", view.hourly_cap},
                        {"base_url", view.base_url},         {"updated_at", view.updated_at}};
  if (!view.password_cleared_because.empty()) {
    out["password_cleared"] = true;
    out["password_cleared_because"] = view.password_cleared_because;
  }
  return out;
}

nlohmann::json ToJson(const OutboxSummary& summary) {
  return {{"counts", summary.counts},
          {"sent_last_hour", summary.sent_last_hour},
          {"hourly_cap", summary.hourly_cap},
          {"next_due_at",
           summary.next_due_at ? nlohmann::json(*summary.next_due_at) : nlohmann::json(nullptr)},
          {"mail_ready", summary.not_ready_because.empty()},
          {"not_ready_because", summary.not_ready_because}};
}

nlohmann::json ToJson(const store::OutboxMessage& m) {
  nlohmann::json json = {{"id", m.id},
                         {"kind", store::OutboxKindName(m.kind)},
                         {"state", store::OutboxStateName(m.state)},
                         {"email", m.email},
                         {"list", m.list_name},
                         {"attempts", m.attempts},
                         {"next_attempt_at", m.next_attempt_at},
                         {"sent_at", m.sent_at},
                         {"last_error", m.last_error},
                         {"subject", m.subject},
                         {"created_at", m.created_at}};
  json["autoresponder_id"] =
      m.autoresponder_id ? nlohmann::json(*m.autoresponder_id) : nlohmann::json(nullptr);
  return json;
}

nlohmann::json ToJson(const store::Autoresponder& a) {
  return {{"id", a.id},     {"list", a.list_name},  {"subject", a.subject},
          {"body", a.body}, {"delay_s", a.delay_s}, {"created_at", a.created_at}};
}

}  // namespace contactsync::app
