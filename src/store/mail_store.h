#pragma once

// OutboxQueue and MailStore: mail settings, autoresponders and the outbox
// (src/mail/, docs/mail.md). Errors and thread safety: store_common.h.
//
// The store keeps what the mail module needs and queues messages in the
// transaction of the subscription change that causes them:
//  - a contact entering a list as unconfirmed (SaveContact, a sync run)
//    queues a confirmation message;
//  - a contact becoming active on a list queues each of the list's
//    autoresponders, due after its delay — for a sync only when its
//    SyncBatchOptions::send_autoresponders is set; for a confirmation link
//    only when the change that made it unconfirmed asked for them.
// A Test (dry run) queues nothing. Rendering and sending are the mail
// module's; the store only hands out claimed messages with what they need.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/contact_store.h"
#include "store/list_store.h"
#include "store/store_common.h"

namespace contactsync::store {

struct MailSettingsRecord {
  std::string owner_id;  // binds the sealed password (secrets::SecretBox)
  std::string smtp_host;
  int smtp_port = 0;                  // 0: the TLS mode's default
  std::string tls_mode = "starttls";  // "none", "starttls", "tls" (implicit)
  std::string smtp_user;
  std::string tls_ca_file;      // PEM file of the CA to verify the server with; empty: system CAs
  std::string sealed_password;  // bytes; empty when there is no password
  std::string from_name;
  std::string from_email;  // used when a list has no sender address
  int64_t hourly_cap = 0;  // messages per rolling hour; 0: no cap
  std::string base_url;    // public URL of `serve`, for links ("https://lists.example.com")
  std::string updated_at;
};

struct Autoresponder {
  int64_t id = 0;
  std::string list_name;
  std::string subject;  // template (mail/template.h)
  std::string body;     // template, plain text
  int64_t delay_s = 0;  // after the contact became active
  std::string created_at;
};

struct NewAutoresponder {
  std::string list;
  std::string subject;  // 1..998 bytes of UTF-8
  std::string body;     // 1..1 MiB of UTF-8
  int64_t delay_s = 0;  // 0..10 years
};

enum class OutboxKind { kConfirmation, kAutoresponder };
// queued: waits for next_attempt_at; sending: claimed by a sender; sent;
// failed: permanent failure or uncertain delivery (last_error says which);
// cancelled: the recipient may no longer receive it (unsubscribed, bounced,
// excluded, already confirmed).
enum class OutboxState { kQueued, kSending, kSent, kFailed, kCancelled };
std::string_view OutboxKindName(OutboxKind kind);     // "confirmation", "autoresponder"
std::string_view OutboxStateName(OutboxState state);  // "queued", ...
base::Result<OutboxState> ParseOutboxState(std::string_view name);

struct OutboxMessage {
  int64_t id = 0;
  std::string idempotency_key;  // unique; the sender puts it in the Message-ID
  OutboxKind kind = OutboxKind::kConfirmation;
  int64_t contact_id = 0;
  int64_t list_id = 0;
  std::string email;  // the contact's address now
  std::string list_name;
  std::optional<int64_t> autoresponder_id;
  OutboxState state = OutboxState::kQueued;
  int64_t attempts = 0;         // times claimed
  std::string next_attempt_at;  // ISO 8601 UTC
  std::string claimed_at;       // while sending, and after
  std::string sent_at;
  std::string last_error;
  std::string recipient;  // the address it was sent to (after sending)
  std::string subject;    // as sent
  std::string created_at;
};

// A claimed message with everything needed to render it.
struct ClaimedMessage {
  OutboxMessage message;
  Contact contact;                             // without subscriptions
  ListInfo list;                               // subscriber_count not filled
  std::optional<Autoresponder> autoresponder;  // for kAutoresponder
};

// What the sender learned; applied only to a message still in `sending`.
struct MessageOutcome {
  int64_t id = 0;
  OutboxState state = OutboxState::kSent;  // kSent, kQueued (retry later) or kFailed
  std::string next_attempt_at;             // kQueued
  std::string error;                       // kQueued, kFailed
  std::string recipient;
  std::string subject;
};

struct OutboxFilter {
  std::optional<OutboxState> state;
  int64_t limit = 100;  // 1..1000
  int64_t offset = 0;
};

struct OutboxPage {
  std::vector<OutboxMessage> messages;    // newest first
  int64_t total = 0;                      // matching the filter
  std::map<std::string, int64_t> counts;  // state name -> messages, whole outbox
};

// A confirm or unsubscribe link's effect.
struct LinkOutcome {
  std::string email;
  std::string list_name;
  std::optional<SubscriptionStatus> previous;  // nullopt: was not on the list
  bool changed = false;
};

// What a sender of the outbox needs (mail/outbox_sender.h): claim the next
// due message, record its outcome, fail claims their sender abandoned, and
// the times and counts that pace it.
class OutboxQueue {
 public:
  virtual ~OutboxQueue() = default;

  // The outbox. ClaimNextMessage takes the oldest due queued message
  // (next_attempt_at <= now) whose recipient may still receive it, sets it
  // to sending with claimed_at = now and attempts + 1, and returns it; due
  // messages found undeliverable on the way (contact bounced, gone from the
  // list, no longer unconfirmed for a confirmation or active for an
  // autoresponder, excluded) are cancelled with the reason. nullopt: nothing
  // due.
  virtual base::Result<std::optional<ClaimedMessage>> ClaimNextMessage() = 0;
  // Records a sending message's outcome; FailedPrecondition when the message
  // is not in sending (someone else finished or released it).
  virtual base::Status FinishMessage(const MessageOutcome& outcome) = 0;
  // Messages in sending claimed before `claimed_before` (ISO 8601): their
  // sender stopped mid-send, so whether the server took them is unknown.
  // They become failed with `error`, never queued again automatically (a
  // second copy is worse than none; RequeueMessage is the explicit way).
  // Returns how many.
  virtual base::Result<int64_t> FailAbandonedClaims(std::string_view claimed_before,
                                                    std::string_view error) = 0;
  // Messages sent at or after `since` (ISO 8601), for the hourly cap.
  virtual base::Result<int64_t> CountMessagesSentSince(std::string_view since) = 0;
  // The earliest next_attempt_at of a queued message, or nullopt.
  virtual base::Result<std::optional<std::string>> NextDueTime() = 0;
};

// Everything else of mail: settings, autoresponders, the operator's outbox
// actions and view, and the effect of confirm and unsubscribe links.
class MailStore : public OutboxQueue {
 public:
  ~MailStore() override = default;

  // The one settings row, or nullopt before the first save. Save replaces it
  // (owner_id is kept once set) after checking: host and user without
  // control characters, port 0..65535, tls_mode known, from_email empty or
  // valid, hourly_cap >= 0, base_url empty or http(s)://...
  virtual base::Result<std::optional<MailSettingsRecord>> GetMailSettings() = 0;
  virtual base::Result<MailSettingsRecord> SaveMailSettings(const MailSettingsRecord& record) = 0;

  // Autoresponders. Adding one does not queue it for contacts already active.
  virtual base::Result<Autoresponder> CreateAutoresponder(
      const NewAutoresponder& autoresponder) = 0;
  // All (ordered by list name, id), or those of `list`.
  virtual base::Result<std::vector<Autoresponder>> GetAutoresponders(
      std::optional<std::string> list) = 0;
  // Deletes it and its queued messages (sent ones go with it).
  virtual base::Status DeleteAutoresponder(int64_t id) = 0;

  // A failed message back to queued, due now (an operator's decision).
  virtual base::Status RequeueMessage(int64_t id) = 0;
  // A queued message to cancelled (an operator's decision: it is never sent;
  // last_error says who cancelled it). NotFound for an unknown id;
  // FailedPrecondition naming its state when it is not queued (one being
  // sent can no longer be stopped, one sent or failed has nothing to stop).
  virtual base::Status CancelMessage(int64_t id) = 0;
  // Every queued message to cancelled, as CancelMessage; returns how many.
  virtual base::Result<int64_t> CancelQueuedMessages() = 0;
  virtual base::Result<OutboxPage> GetOutbox(const OutboxFilter& filter) = 0;

  // Mail links, by the ids a signed token carries. Confirm turns an
  // unconfirmed subscription active (cause kConfirmationLink), queueing the
  // autoresponders when the change that made it unconfirmed asked for them;
  // an active one is left as it is (changed false); anything else is
  // FailedPrecondition. UnsubscribeByLink sets the list's status to
  // unsubscribed (cause kUnsubscribeLink; idempotent; a bounced one stays). NotFound when the
  // contact or list is gone or the contact is not on the list.
  virtual base::Result<LinkOutcome> ConfirmByLink(int64_t contact_id, int64_t list_id) = 0;
  virtual base::Result<LinkOutcome> UnsubscribeByLink(int64_t contact_id, int64_t list_id) = 0;
};

}  // namespace contactsync::store
