#pragma once

// The backend-independent rules of mail in the store (mail_store.h,
// docs/mail.md): what a subscription change queues, when a due message is
// cancelled instead of claimed, what a confirm or unsubscribe link may
// change, and the checks of settings, autoresponders, outcomes and outbox
// pages. A backend looks up the facts these take, writes what they decide,
// and has no mail rule of its own, so that SQLite and PostgreSQL decide
// alike.
//
// Thread safety: pure functions, except NewIdempotencyKey (thread-safe).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/mail_store.h"
#include "store/store_rules.h"

namespace contactsync::store {

inline constexpr size_t kMaxSubjectBytes = 998;  // one RFC 5322 line
inline constexpr size_t kMaxBodyBytes = size_t{1024} * 1024;
inline constexpr int64_t kMaxDelaySeconds = int64_t{10} * 366 * 24 * 3600;
// Text settings, an outcome's error and subject.
inline constexpr size_t kMaxMailSettingBytes = 4096;
inline constexpr int64_t kMaxOutboxPage = 1000;

// ---- Queueing --------------------------------------------------------------

// What a subscription change `from` -> `to` queues, in its own transaction.
struct MailForChange {
  // Entering unconfirmed (from anything else, or from nothing): one
  // confirmation message...
  bool confirmation = false;
  // ... remembering whether the autoresponders follow when it is confirmed.
  bool autoresponders_on_confirm = false;
  // Becoming active, when the change's author asked for autoresponders: one
  // message per autoresponder of the list, due AutoresponderDueTime.
  bool autoresponders = false;
};
MailForChange DecideMailForChange(std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                  bool send_autoresponders);

// `now_unix_ms` (milliseconds since the Unix epoch, UTC, as the store keeps
// times) plus `delay_s` seconds; InvalidArgument for a delay out of range.
base::Result<int64_t> AutoresponderDueTime(int64_t now_unix_ms, int64_t delay_s);

// The earliest due time of the outbox as NextDueTime shows it: rounded up to the
// second the interface shows. A message due at 12:00:00.500 is not due at
// 12:00:00, and a sender that woke then would find nothing to claim.
std::string ShownNextDueTime(int64_t due_unix_ms);

// A fresh random idempotency key: 32 lower-case hex digits (128 bits). Random
// rather than derived from the ids: the same contact may leave and re-enter a
// list, and each entry deserves its own message.
std::string NewIdempotencyKey();

// ---- Reading the outbox -----------------------------------------------------

// Stored names of the outbox's enums, and back: an unknown state is kInternal (the backends'
// CHECK constraints make it a bug); a kind other than "confirmation" is an autoresponder's.
base::Result<OutboxState> StoredOutboxState(std::string_view name);
OutboxKind StoredOutboxKind(std::string_view name);

// ---- Claiming ----------------------------------------------------------------

// The contact, list or autoresponder (`part`) of a message being claimed is gone within the
// claim's own transaction: the schema's cascades make that a bug (kInternal).
base::Status ClaimedMessagePartVanished(std::string_view part);

// Why a due message of `kind` may no longer be sent to its recipient
// ("not sent: ..."), or nullopt when it may: the contact bounced, is not on
// the list (`status` nullopt), is not unconfirmed (a confirmation) or active
// (an autoresponder), or `matching_exclusion_pattern` excludes the address.
// A backend cancels the message with this reason.
std::optional<std::string> WhyUndeliverable(
    OutboxKind kind, bool contact_bounced, std::optional<SubscriptionStatus> status,
    const std::optional<std::string>& matching_exclusion_pattern);

// last_error of a message an operator cancelled (not the recipient's state).
inline constexpr std::string_view kCancelledByOperator =
    "cancelled by an operator; it will not be sent";

// ---- Links -------------------------------------------------------------------

// A contact and list as a link's ids found them.
struct LinkSubject {
  std::string_view email;      // as stored, for messages
  std::string_view list_name;  // for messages
  bool contact_bounced = false;
  bool ever_unsubscribed = false;
  std::optional<SubscriptionStatus> status;  // nullopt: not on the list
};

// A contact and list as a backend finds them from a link's ids (or a due message's), with
// what the link rules look at.
struct LinkTarget {
  int64_t contact_id = 0;
  std::string email;
  std::string email_key;
  bool bounced = false;
  bool ever_unsubscribed = false;
  ListRef list;
  std::optional<SubscriptionStatus> status;  // nullopt: not on the list
};
LinkSubject SubjectOf(const LinkTarget& target);

// What a link changes; change false: nothing to write.
struct LinkChange {
  bool change = false;
  SubscriptionStatus to = SubscriptionStatus::kActive;
  bool queue_autoresponders = false;   // ConfirmByLink: pass to the queueing
  bool set_ever_unsubscribed = false;  // UnsubscribeByLink: the contact's flag
};

// NotFound when the contact is not on the list; an active subscription stays
// (no change); anything but unconfirmed is FailedPrecondition, as is a bounced
// contact; an address matched by `matching_exclusion_pattern` is refused
// (store_rules.h Excluded). Otherwise unconfirmed -> active, queueing the
// autoresponders when the latest confirmation message asked for them
// (`latest_confirmation_autoresponders`; nullopt: no confirmation message,
// none).
base::Result<LinkChange> DecideConfirmByLink(
    const LinkSubject& subject, const std::optional<std::string>& matching_exclusion_pattern,
    std::optional<bool> latest_confirmation_autoresponders);

// NotFound when the contact is not on the list; unsubscribed and bounced
// stay as they are (bounced says more, and already receives nothing);
// otherwise -> unsubscribed, setting the contact's ever_unsubscribed flag
// when it is not set yet.
base::Result<LinkChange> DecideUnsubscribeByLink(const LinkSubject& subject);

// "<email> is not on the list 'L'"
base::Status NotOnList(std::string_view email, std::string_view list_name);
// A link whose contact or list is gone.
base::Status LinkContactGone();
base::Status LinkListGone();

// ---- Checks ------------------------------------------------------------------

// A text setting: valid UTF-8, at most kMaxMailSettingBytes, no control
// characters.
base::Status CheckMailSetting(std::string_view what, std::string_view value);

// The record as stored: host and base URL trimmed (the base URL without
// trailing '/'), text settings checked (CheckMailSetting), port 0..65535,
// TLS mode none/starttls/tls, from address empty or valid (stored in its
// validated form), hourly cap >= 0, base URL empty or http(s)://...
base::Result<MailSettingsRecord> ValidateMailSettings(MailSettingsRecord record);

// Subject 1..kMaxSubjectBytes without control characters, body
// 1..kMaxBodyBytes of UTF-8, delay 0..kMaxDelaySeconds. The list is the
// backend's to look up.
base::Status CheckNewAutoresponder(const NewAutoresponder& autoresponder);

// A sender's outcome: sent, queued (retry) or failed; error and subject
// within kMaxMailSettingBytes of UTF-8.
base::Status CheckMessageOutcome(const MessageOutcome& outcome);

// limit 1..kMaxOutboxPage, offset >= 0.
base::Status CheckOutboxFilter(const OutboxFilter& filter);

// The operator's outbox actions and a sender's finish, refused.
base::Status MessageNotFound(int64_t id);
base::Status AutoresponderNotFound(int64_t id);
base::Status NotBeingSent(int64_t id);
// `state`: the message's stored state name.
base::Status OnlyFailedCanBeRequeued(int64_t id, std::string_view state);
base::Status OnlyQueuedCanBeCancelled(int64_t id, std::string_view state);

}  // namespace contactsync::store
