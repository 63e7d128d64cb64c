#pragma once

// ContactStore: contactsync's own data (docs/spec.md §1) behind one interface.
//
// Two implementations share one behaviour and one test suite
// (store/contact_store_conformance.h): SQLite (the embedded default, one file
// in the data directory) and, later, PostgreSQL. Everything a face (CLI, HTTP)
// or the sync engine does to contacts goes through here, and the rules that
// must hold whoever asks live here too, inside the write transaction:
//  - an email is unique case-insensitively after trimming and is stored as
//    first given (model/email.h);
//  - custom field values obey their field's type (model/custom_field.h), and a
//    required field must have a value when a contact is created;
//  - an address matching an exclusion entry for a list (or for all lists) can
//    never be subscribed to that list;
//  - a contact that unsubscribed from a list, or bounced, is never made active
//    or unconfirmed on it again unless the request is an explicit re-subscribe
//    (SubscribeMode::kResubscribe) that the contact asked for;
//  - every subscription change writes a history row with its cause.
// A failed call writes nothing: each mutating call is one transaction.
//
// Errors: kInvalidArgument for bad input (message names the field), kNotFound
// for an unknown list, field, contact or exclusion, kAlreadyExists for a taken
// name, kFailedPrecondition when the rules above refuse (message says which
// rule), kUnavailable when the store is busy past its busy timeout (another
// process holds the write lock), kInternal for anything unexpected.
//
// Thread safety: an instance is not thread-safe; use one per thread. Several
// instances, in one or several processes, may share a store: writes are
// serialised by the database and never corrupt it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "model/custom_field.h"
#include "model/subscription.h"

namespace contactsync::store {

using model::Cause;
using model::SubscriptionStatus;

// Input limits, checked by every implementation (bytes of UTF-8).
inline constexpr size_t kMaxNameBytes = 255;          // list names, contact names
inline constexpr size_t kMaxDescriptionBytes = 4096;  // list descriptions
inline constexpr size_t kMaxPhoneBytes = 64;

struct ListInfo {
  int64_t id = 0;
  std::string name;              // unique, case-sensitive, 1..255 bytes, no control characters
  std::string sender_name;       // may be empty
  std::string sender_email;      // empty, or a valid address (model/email.h)
  std::string description;       // may be empty
  std::string created_at;        // ISO 8601 UTC
  int64_t subscriber_count = 0;  // all subscriptions, any status
};

struct NewList {
  std::string name;
  std::string sender_name;
  std::string sender_email;
  std::string description;
};

struct CustomField {
  int64_t id = 0;
  model::FieldDefinition definition;
};

struct Subscription {
  std::string list_name;
  SubscriptionStatus status = SubscriptionStatus::kActive;
  std::string changed_at;  // time of the latest status change
  Cause cause;             // what made the latest change
};

struct Contact {
  int64_t id = 0;
  std::string email;  // as first given, trimmed
  std::string first_name;
  std::string last_name;
  std::string phone;
  std::map<std::string, std::string> fields;  // key -> canonical value; no empty values
  bool bounced = false;                       // hard bounce: no list will mail it
  bool ever_unsubscribed = false;             // unsubscribed from at least one list at some time
  std::string created_at;
  std::string updated_at;
  std::vector<Subscription> subscriptions;  // ordered by list name
};

// One row of a contact's subscription history. `from` is empty when the
// contact joined the list; `to` is empty when it was removed from the list.
struct HistoryEntry {
  std::string list_name;
  std::optional<SubscriptionStatus> from;
  std::optional<SubscriptionStatus> to;
  Cause cause;
  std::string at;
};

// The values to write for a contact. An absent optional leaves the stored
// value as it is; a present empty string clears it. Field values are raw
// text, normalised by the store (model::NormalizeFieldValue); "" clears.
struct ContactInput {
  std::string email;  // as typed; trimmed and validated by the store
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  std::map<std::string, std::string> fields;  // key (any case, with or without %) -> value
};

enum class SubscribeMode {
  kNormal,       // never re-activates an unsubscribed or bounced contact
  kResubscribe,  // the contact asked to come back: lifts unsubscribed/bounced
};

// Create-or-update a contact and optionally subscribe it, atomically.
struct ContactChange {
  ContactInput contact;
  std::optional<std::string> list;                          // the list to subscribe to, by name
  SubscriptionStatus status = SubscriptionStatus::kActive;  // with `list`
  SubscribeMode mode = SubscribeMode::kNormal;
  Cause cause;
};

struct ContactChangeOutcome {
  Contact contact;                                    // as stored afterwards
  bool created = false;                               // the contact did not exist before
  std::vector<std::string> changed_fields;            // "first_name", "phone", custom keys...
  std::optional<SubscriptionStatus> previous_status;  // on `list`, before the change
  bool subscription_changed = false;
};

struct ContactFilter {
  std::optional<std::string> list;           // only contacts on this list
  std::optional<SubscriptionStatus> status;  // with `list`: only this status on it;
                                             // without: this status on any list
  std::string search;   // words (at most kMaxSearchWords), each a case-insensitive
                        // substring of the email, first or last name
  int64_t limit = 100;  // 1..1000
  int64_t offset = 0;
};

struct ContactPage {
  std::vector<Contact> contacts;  // ordered by email key
  int64_t total = 0;              // matches before limit/offset
};

struct Exclusion {
  int64_t id = 0;
  std::string pattern;                   // canonical (model/exclusion.h)
  std::optional<std::string> list_name;  // empty: all lists
  std::string created_at;
};

// A saved connection to an external database, as the store keeps it. The
// store knows nothing of drivers: `type` and `tls_mode` are the source
// module's names, checked by the layer above (app/connections.h), and the
// password arrives already sealed (secrets/secret_box.h) for `owner_id`.
struct ConnectionRecord {
  int64_t id = 0;
  std::string owner_id;  // random, fixed at creation; binds the sealed password
  std::string name;      // unique, 1..255 bytes, no control characters
  std::string type;
  std::string host;
  int port = 0;
  std::string user;
  std::string sealed_password;  // bytes; empty when there is no password
  std::string database;         // name, or file path for SQLite
  std::string tls_mode;
  std::string tls_ca_file;
  int connect_timeout_s = 0;
  int query_timeout_s = 0;
  // The connection's custom-query policy (source::ConnectionSettings), checked
  // by the layer above: user functions a custom query may call, kept in order.
  std::vector<std::string> allowed_functions;
  bool allow_custom_query_with_privileged_account = false;
  std::string created_at;
  std::string updated_at;
};

// --- Sync definitions, runs and batches: the storage of the sync engine
// (src/sync/). The store keeps a sync's definition as its JSON text without
// interpreting it; the engine owns its meaning.

struct SyncRecord {
  int64_t id = 0;
  std::string name;             // unique, case-sensitive, as a list name
  std::string definition_json;  // docs/spec.md §3 form, as the sync module wrote it
  std::string created_at;
  std::string updated_at;
};

enum class RunState { kRunning, kSucceeded, kFailed, kCancelled };
// "running", "succeeded", "failed", "cancelled".
std::string_view RunStateName(RunState state);
base::Result<RunState> ParseRunState(std::string_view name);

struct RunCounts {
  int64_t selected = 0;  // rows read from the source
  int64_t added = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t deleted = 0;  // removed from the list by delete_not_affected

  bool operator==(const RunCounts&) const = default;
};

struct RunRecord {
  int64_t id = 0;
  std::string sync_name;
  std::string started_by;  // who: a user name or "cli:<login>"
  // The process running it ("host:pid:start-ticks"), so that a run left
  // behind by a killed process can be recognised and abandoned.
  std::string holder;
  std::string started_at;
  std::string finished_at;  // empty while running
  int64_t duration_ms = 0;
  RunState state = RunState::kRunning;
  std::string message;        // why it failed or was cancelled; empty on success
  std::string sql;            // the query with its bound values (query::DescribeSql)
  std::string deletion_note;  // why delete_not_affected deleted nothing, or empty
  RunCounts counts;
};

struct RunFailure {
  int64_t row_number = 0;  // 1-based position in the source result
  std::string email;       // as read (escaped when not text)
  std::string reason;      // a stable reason code (docs/sync.md)
  std::string message;

  bool operator==(const RunFailure&) const = default;
};

// One page of a run's failures, and how many match in all.
struct RunFailurePage {
  std::vector<RunFailure> items;
  int64_t total = 0;
};

// How a sync enters new contacts into its list (docs/spec.md §3 "status").
enum class SyncEntryStatus { kActive, kUnconfirmed, kUnsubscribed, kExcluded };

struct SyncBatchOptions {
  std::string list;
  SyncEntryStatus status = SyncEntryStatus::kActive;
  bool update_existing = true;
  bool dry_run = false;  // decide and count, write nothing to the store
  int64_t sync_id = 0;   // whose hashes of synced values to use (0: none)
  Cause cause;           // recorded on every write (kSyncRun + run id)
  // Contacts this run makes active receive the list's autoresponders; for
  // unconfirmed entries, once they confirm (mail section below).
  bool send_autoresponders = false;
  // false: every Write() is one transaction. true: Write() leaves its
  // transaction open for the next batches, and the caller commits with
  // Commit() (fewer, larger transactions: the sync engine, issue 7).
  bool group_commit = false;
};

// One source row after mapping (mapping::MappedContact). Reused across batches.
struct SyncRow {
  // The row already failed in mapping but its address was valid: the writer
  // only records the address as seen (for duplicates and deletions).
  bool failed = false;
  std::string email;                      // validated, trimmed
  std::string email_key;                  // model::EmailKey(email)
  std::optional<std::string> first_name;  // absent: not mapped
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  std::vector<std::pair<std::string, std::string>> fields;  // canonical key -> value
};

enum class SyncRowResult { kAdded, kUpdated, kUnchanged, kSkipped, kFailed, kNone };

struct SyncRowOutcome {
  SyncRowResult result = SyncRowResult::kNone;  // kNone for rows with `failed`
  std::string reason;  // kFailed: excluded, previously_unsubscribed, bounced,
                       // duplicate_in_source, field_invalid, required_field_missing
  std::string message;
};

struct DeletionOutcome {
  int64_t list_size = 0;         // subscriptions on the list before deleting
  int64_t not_selected = 0;      // active/unconfirmed subscriptions the run did not select
  int64_t removed = 0;           // removed from the list (0 when refused or dry run)
  int64_t contacts_deleted = 0;  // contact records deleted with them
  bool refused = false;          // past max_delete_fraction: nothing deleted
  std::string note;              // why refused
};

// Writes a sync run's rows into the store, batch by batch, applying docs/spec.md §4
// with the same rules as SaveContact (store_rules.h). Remembers, for the
// lifetime of the writer, which addresses it has seen, so that a repeated
// address fails with duplicate_in_source and DeleteNotSelected knows what
// the run selected. Must not outlive its store; one writer per store
// instance at a time; not thread-safe.
class SyncBatchWriter {
 public:
  virtual ~SyncBatchWriter() = default;

  // Decides every row (in order) and, unless dry run, writes them in one
  // transaction (with group_commit: in the open transaction, begun by the
  // first Write after a Commit). `outcomes` is resized to rows.size(). A
  // non-OK Status (busy store, I/O) means nothing of this batch was written,
  // and with group_commit nothing since the last Commit(): the transaction is
  // rolled back. Per row, the point where a contact enters the list (with
  // the status it gets) is one place in the implementation, inside that
  // transaction: writes caused by it (outbox mail) belong there.
  virtual base::Status Write(std::vector<SyncRow>& rows, size_t count,
                             std::vector<SyncRowOutcome>& outcomes) = 0;

  // Commits what the Writes since the last Commit() wrote (group_commit; a
  // no-op otherwise or when nothing is pending). Dropping the writer without
  // it rolls those writes back. The store must not be used otherwise (other
  // ContactStore calls) while writes are pending.
  virtual base::Status Commit() = 0;

  // After a complete successful read: removes from the list every active or
  // unconfirmed subscription whose address was not seen, in one transaction,
  // unless they are more than `max_fraction` of the list (then nothing is
  // removed and `note` says why). A removed contact's record is deleted too
  // when it is on no other list, never bounced or unsubscribed, and no
  // exclusion entry names its address. Dry run: counts only. Commits
  // pending writes first.
  virtual base::Result<DeletionOutcome> DeleteNotSelected(double max_fraction) = 0;
};

// --- Mail: settings, autoresponders and the outbox (src/mail/, docs/mail.md).
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

class ContactStore {
 public:
  virtual ~ContactStore() = default;

  // The schema version the store is at after the migrations applied on open.
  virtual base::Result<int> SchemaVersion() = 0;

  // Lists.
  virtual base::Result<ListInfo> CreateList(const NewList& list) = 0;
  virtual base::Result<std::vector<ListInfo>> GetLists() = 0;  // ordered by name
  virtual base::Result<ListInfo> GetList(std::string_view name) = 0;
  // Deletes the list, its subscriptions and its list-scoped exclusions. The
  // contacts stay (they may be on other lists); their history keeps the list
  // name.
  virtual base::Status DeleteList(std::string_view name) = 0;

  // Custom fields.
  virtual base::Result<CustomField> CreateField(const model::FieldDefinition& field) = 0;
  virtual base::Result<std::vector<CustomField>> GetFields() = 0;  // ordered by key
  // Deletes the field and every contact's value for it.
  virtual base::Status DeleteField(std::string_view key) = 0;

  // Contacts.
  virtual base::Result<ContactChangeOutcome> SaveContact(const ContactChange& change) = 0;
  virtual base::Result<Contact> GetContact(std::string_view email) = 0;
  // The contact with store id `id` (the HTTP API addresses contacts by id).
  virtual base::Result<Contact> GetContactById(int64_t id) = 0;
  virtual base::Result<ContactPage> FindContacts(const ContactFilter& filter) = 0;
  // Deletes the contact, its values and subscriptions; its history goes too.
  virtual base::Status DeleteContact(std::string_view email) = 0;

  // Subscriptions. Unsubscribe sets the list's status to unsubscribed (and
  // the contact's ever_unsubscribed flag); MarkBounced sets the global bounced
  // flag and turns every active or unconfirmed subscription into bounced.
  virtual base::Status Unsubscribe(std::string_view email, std::string_view list,
                                   const Cause& cause) = 0;
  virtual base::Status MarkBounced(std::string_view email, const Cause& cause) = 0;
  virtual base::Result<std::vector<HistoryEntry>> GetHistory(std::string_view email) = 0;

  // Exclusions. `list` empty: the entry covers all lists. Adding an entry does
  // not change existing subscriptions; it stops new ones.
  virtual base::Result<Exclusion> AddExclusion(std::string_view pattern,
                                               std::optional<std::string> list) = 0;
  // All entries, or those that apply to `list` (its own and the global ones).
  virtual base::Result<std::vector<Exclusion>> GetExclusions(std::optional<std::string> list) = 0;
  virtual base::Status RemoveExclusion(int64_t id) = 0;
  // The first entry that excludes `email` from `list` (global entries count),
  // or nullopt.
  virtual base::Result<std::optional<Exclusion>> FindExclusion(std::string_view email,
                                                               std::string_view list) = 0;

  // Saved connections. Create fails with kAlreadyExists for a taken name;
  // Update replaces every setting of the connection with `record.name`
  // (owner_id and created_at are kept); Get/Update/Delete fail with kNotFound
  // for an unknown name. GetConnections orders by name.
  virtual base::Result<ConnectionRecord> CreateConnection(const ConnectionRecord& record) = 0;
  virtual base::Result<ConnectionRecord> UpdateConnection(const ConnectionRecord& record) = 0;
  virtual base::Result<std::vector<ConnectionRecord>> GetConnections() = 0;
  virtual base::Result<ConnectionRecord> GetConnection(std::string_view name) = 0;
  virtual base::Status DeleteConnection(std::string_view name) = 0;

  // Sync definitions. Names are unique (kAlreadyExists), 1..255 bytes of
  // UTF-8 without control characters. DeleteSync deletes the sync's runs and
  // is refused (kFailedPrecondition) while a run is in progress.
  virtual base::Result<SyncRecord> CreateSync(std::string_view name,
                                              std::string_view definition_json) = 0;
  // Replaces the definition of `name`, renaming it to `new_name`.
  virtual base::Result<SyncRecord> UpdateSync(std::string_view name, std::string_view new_name,
                                              std::string_view definition_json) = 0;
  virtual base::Result<SyncRecord> GetSync(std::string_view name) = 0;
  virtual base::Result<std::vector<SyncRecord>> GetSyncs() = 0;  // ordered by name
  virtual base::Status DeleteSync(std::string_view name) = 0;

  // Runs. BeginRun records a running run and is the lock that allows one run
  // per sync at a time, across processes: while one is running it fails with
  // kFailedPrecondition naming the running run. AbandonRun marks a running
  // run failed with `message` only if it is still running under `holder`
  // (for runs whose process died). FinishRun stores the final state, counts,
  // SQL, note and finish time of a running run.
  virtual base::Result<RunRecord> BeginRun(std::string_view sync_name, std::string_view started_by,
                                           std::string_view holder) = 0;
  virtual base::Result<std::optional<RunRecord>> GetRunningRun(std::string_view sync_name) = 0;
  virtual base::Status AbandonRun(int64_t run_id, std::string_view holder,
                                  std::string_view message) = 0;
  virtual base::Status AddRunFailures(int64_t run_id, const std::vector<RunFailure>& failures) = 0;
  virtual base::Status FinishRun(const RunRecord& run) = 0;
  virtual base::Result<RunRecord> GetRun(int64_t run_id) = 0;
  // Newest first.
  virtual base::Result<std::vector<RunRecord>> GetRuns(std::string_view sync_name) = 0;
  virtual base::Result<std::vector<RunFailure>> GetRunFailures(int64_t run_id) = 0;  // by row
  // By row: `limit` failures from `offset` on, of those with `reason` (all
  // when empty). A large run keeps a million failures; a page reads its own.
  virtual base::Result<RunFailurePage> GetRunFailurePage(int64_t run_id, std::string_view reason,
                                                         int64_t limit, int64_t offset) = 0;

  // Sync batches: a writer for one run (or Test) of a sync into `options.list`
  // (kNotFound when it does not exist).
  virtual base::Result<std::unique_ptr<SyncBatchWriter>> OpenSyncBatchWriter(
      const SyncBatchOptions& options) = 0;

  // --- Mail (see the Mail section above). -----------------------------------

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
  // A failed message back to queued, due now (an operator's decision).
  virtual base::Status RequeueMessage(int64_t id) = 0;
  // A queued message to cancelled (an operator's decision: it is never sent;
  // last_error says who cancelled it). NotFound for an unknown id;
  // FailedPrecondition naming its state when it is not queued (one being
  // sent can no longer be stopped, one sent or failed has nothing to stop).
  virtual base::Status CancelMessage(int64_t id) = 0;
  // Every queued message to cancelled, as CancelMessage; returns how many.
  virtual base::Result<int64_t> CancelQueuedMessages() = 0;
  // Messages sent at or after `since` (ISO 8601), for the hourly cap.
  virtual base::Result<int64_t> CountMessagesSentSince(std::string_view since) = 0;
  // The earliest next_attempt_at of a queued message, or nullopt.
  virtual base::Result<std::optional<std::string>> NextDueTime() = 0;
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

struct StoreOptions {
  // "sqlite:///abs/path.db", "sqlite:relative.db", or a plain file path.
  // "postgresql://..." is recognised and refused until that backend exists.
  std::string url;
  // How long a write waits for another process's write lock before failing
  // with kUnavailable. Long enough for any single batch, short enough that a
  // stuck process is reported rather than waited on forever.
  int busy_timeout_ms = 5000;
  const base::Clock* clock = &base::SystemClock();  // never null; not owned
};

// Opens (creating when absent) the store and applies pending migrations.
base::Result<std::unique_ptr<ContactStore>> OpenStore(const StoreOptions& options);

}  // namespace contactsync::store
