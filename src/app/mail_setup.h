#pragma once

// Mail settings as the faces see them, and the parts the outbox sender is
// built from (composition root for src/mail/).
//
// The SMTP password is sealed with secrets::SecretBox, bound to the settings'
// random owner id, before it reaches the store, and opened only in
// LoadMailRuntime(), for the moment of connecting. MailSettingsView has no
// password.
//
// Thread safety: not thread-safe (it uses one MailStore).

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "mail/compose.h"
#include "mail/link_signer.h"
#include "mail/outbox_sender.h"
#include "mail/smtp_mailer.h"
#include "secrets/secret_box.h"
#include "store/mail_store.h"
#include "sync/definition.h"

namespace contactsync::app {

// What may be shown of the mail settings: everything but the password.
struct MailSettingsView {
  bool configured = false;  // saved at least once
  std::string smtp_host;
  int smtp_port = 0;
  std::string tls_mode = "starttls";
  std::string smtp_user;
  std::string tls_ca_file;
  bool has_password = false;
  std::string from_name;
  std::string from_email;
  int64_t hourly_cap = 0;
  std::string base_url;
  std::string updated_at;
  // Set by UpdateMailSettings only: why the saved SMTP password was removed
  // ("the SMTP host changed"), empty when it was kept or replaced.
  std::string password_cleared_because;
};

// A change to the settings: absent fields keep their value.
struct MailSettingsChange {
  std::optional<std::string> smtp_host;
  std::optional<int> smtp_port;
  std::optional<std::string> tls_mode;
  std::optional<std::string> smtp_user;
  std::optional<std::string> tls_ca_file;
  std::optional<std::string> password;  // "" removes it
  std::optional<std::string> from_name;
  std::optional<std::string> from_email;
  std::optional<int64_t> hourly_cap;
  std::optional<std::string> base_url;
};

// The largest hourly cap accepted (the CLI's and the API's bound).
inline constexpr int64_t kMaxHourlyCap = 1'000'000;

base::Result<MailSettingsView> GetMailSettings(store::MailStore& store);
// InvalidArgument for an hourly cap outside 0..kMaxHourlyCap; the store
// checks the rest (MailStore::SaveMailSettings). A change of SMTP host,
// port, TLS mode, user or CA file without a new password removes the saved
// one (the view says why): it was given for another server, and must not be
// sent to whichever one the settings now name.
base::Result<MailSettingsView> UpdateMailSettings(store::MailStore& store,
                                                  const secrets::SecretBox& box,
                                                  const MailSettingsChange& change);

// How the outbox drains: messages per state (every state present, 0 when
// none) and what the hourly cap leaves.
struct OutboxSummary {
  std::map<std::string, int64_t> counts;   // "queued", "sending", "sent", "failed", "cancelled"
  int64_t sent_last_hour = 0;              // sent in the rolling hour before now
  int64_t hourly_cap = 0;                  // from the settings; 0: no cap
  std::optional<std::string> next_due_at;  // earliest queued message's next attempt
  std::string not_ready_because;           // CheckMailConfigured's message; empty when ready
};
base::Result<OutboxSummary> GetOutboxSummary(store::MailStore& store, const base::Clock& clock);

// JSON forms (as `contactsync --json` prints them; for the API too). None
// holds a password. A view whose password was just removed has
// "password_cleared": true and "password_cleared_because".
nlohmann::json ToJson(const MailSettingsView& view);
nlohmann::json ToJson(const OutboxSummary& summary);
nlohmann::json ToJson(const store::OutboxMessage& message);
nlohmann::json ToJson(const store::Autoresponder& autoresponder);

// The link signer of this data directory (its key derived from the secret key).
mail::LinkSigner MailLinkSigner(const secrets::SecretBox& box);

// Everything an OutboxSender needs besides the store and the clock.
// FailedPrecondition naming what is missing (SMTP host, sender address, base
// URL) when the settings cannot send.
struct MailRuntime {
  mail::SmtpSettings smtp;  // password opened: never display
  mail::ComposeSettings compose;
  mail::SenderOptions sender;
};
// The environment overrides the stored settings (for deployments that keep
// secrets out of the store): CONTACTSYNC_SMTP_HOST, _PORT, _TLS, _USER,
// _PASSWORD, _CA_FILE, CONTACTSYNC_MAIL_FROM, CONTACTSYNC_MAIL_BASE_URL.
base::Result<MailRuntime> LoadMailRuntime(store::MailStore& store, const secrets::SecretBox& box);

// Whether queued mail could be sent (the check LoadMailRuntime makes, without
// opening the password): Ok, or FailedPrecondition saying what to set up.
base::Status CheckMailConfigured(store::MailStore& store);

// The warning a sync deserves when it would queue mail that cannot be sent:
// status unconfirmed queues a confirmation per new contact, and
// send_autoresponders the list's autoresponders (none when the list has
// none). nullopt when it queues nothing or mail is set up.
base::Result<std::optional<std::string>> UnsendableMailWarning(
    store::MailStore& store, const sync::SyncDefinition& definition);
// The `warnings` array of a command's JSON: the warning if any, else empty.
nlohmann::json WarningsJson(const std::optional<std::string>& warning);

// The environment part of LoadMailRuntime; InvalidArgument naming the
// variable for a malformed value.
base::Status ApplyMailEnvironment(MailRuntime& runtime);

}  // namespace contactsync::app
