#pragma once

// The backend-independent rules of the store (store.h): input
// checks and the subscription state machine. Every implementation calls
// these inside its write transaction so that SQLite and PostgreSQL decide
// alike; only storage differs.
//
// Thread safety: pure functions.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/account_store.h"
#include "store/connection_store.h"
#include "store/contact_store.h"
#include "store/list_store.h"
#include "store/sync_store.h"

namespace contactsync::store {

// The list with its name trimmed and checked (1..kMaxNameBytes of UTF-8, no
// control characters), sender name likewise (may be empty), sender email
// empty or valid (stored trimmed), description at most kMaxDescriptionBytes.
base::Result<NewList> ValidateNewList(const NewList& list);

// The record with its name trimmed and checked like a list name, and its
// text settings (host, user, database, CA file) valid UTF-8 without NUL and
// at most 4096 bytes. Whether type and TLS mode are known is the caller's
// business (the store does not know the drivers).
base::Result<ConnectionRecord> ValidateConnectionRecord(const ConnectionRecord& record);

// "connection 'X' does not exist"
base::Status ConnectionNotFound(std::string_view name);
// "a connection named 'NAME' already exists"
base::Status ConnectionNameTaken(std::string_view name);
// ValidateConnectionRecord, and an owner id (a new connection's password is sealed for it).
base::Result<ConnectionRecord> ValidateNewConnectionRecord(const ConnectionRecord& record);

// A connection's allowed functions as the stores keep them, a JSON array of names, and back
// (anything but strings in a stored array is skipped rather than trusted).
std::string AllowedFunctionsToJson(const std::vector<std::string>& names);
std::vector<std::string> AllowedFunctionsFromJson(std::string_view text);

// A time the interface gives (ISO 8601 UTC text) as every backend keeps it: milliseconds since
// the Unix epoch. kInvalidArgument for text that is not such a time.
base::Result<int64_t> StoredTime(std::string_view iso);

// Stored names of enums, and back; an unknown stored name is kInternal (the backends' CHECK
// constraints make it a bug).
base::Result<SubscriptionStatus> StoredStatus(std::string_view name);
base::Result<model::CauseKind> StoredCauseKind(std::string_view name);

// The hash of the values a sync wrote for a contact, kept in its subscription to the sync's list.
struct SyncHash {
  int64_t sync_id = 0;
  int64_t hash = 0;
};

// Holder leases (SyncStore::RenewHolderLease). A lease ends `lease` from now; it has expired
// once its end is not after now. The message of a run that BeginRun fails because its
// holder's lease expired.
base::Status CheckHolderLease(std::string_view holder, std::chrono::milliseconds lease);
bool HolderLeaseExpired(int64_t ends_at_ms, int64_t now_ms);
inline constexpr std::string_view kRunLeaseExpiredMessage =
    "interrupted: the process running it stopped renewing its lease (it was killed, or its "
    "host was lost); the next run redoes what it had not committed";
// Leases that ended this long ago are forgotten by the next renewal.
inline constexpr int64_t kForgetLeasesAfterMs = 24 * 60 * 60 * 1000;

// A list name as the user typed it, trimmed; for look-ups.
std::string ListNameForLookup(std::string_view name);

// "list 'X' does not exist"
base::Status ListNotFound(std::string_view name);

// A list as every backend's look-ups find it: its id for the storage, its name for messages.
struct ListRef {
  int64_t id = 0;
  std::string name;
};

// A field key as the user typed it ("city", "%CITY%", " City ") in its
// canonical form ("CITY"). Whether such a field exists is the store's
// business.
std::string CanonicalFieldKey(std::string_view key);

// "custom field 'X' does not exist"
base::Status FieldNotFound(std::string_view key);

// The uniqueness key for looking up a contact by any spelling of its address
// (trimmed, ASCII-lower-cased). Unlike model::EmailKey, defined for any text:
// an invalid address simply matches no contact.
std::string LookupEmailKey(std::string_view email);

// "contact X does not exist"
base::Status ContactNotFound(std::string_view email);
// "contact ID does not exist"
base::Status ContactIdNotFound(int64_t id);
// Unsubscribe of a contact that is not on the list: "contact X is not on list 'L'".
base::Status ContactNotOnList(std::string_view email, std::string_view list_name);

// First name, last name and phone of `input`, when present: valid UTF-8
// without NUL, within kMaxNameBytes / kMaxPhoneBytes.
base::Status CheckContactText(const ContactInput& input);
base::Status CheckContactText(const std::optional<std::string>& first_name,
                              const std::optional<std::string>& last_name,
                              const std::optional<std::string>& phone);

// The cause's detail: valid UTF-8 without NUL, at most kMaxCauseDetailBytes.
inline constexpr size_t kMaxCauseDetailBytes = 1024;
base::Status CheckCause(const Cause& cause);

// A LIKE pattern matching `text` as a literal substring, with '\' as the
// escape character (use `LIKE ? ESCAPE '\'`).
std::string LikeSubstringPattern(std::string_view text);

// The words of a contact search: `text` split on ASCII white space, empty
// words dropped. A contact matches when every word is a substring of its
// email, first name or last name, so "vera mccoy" finds Vera McCoy.
// InvalidArgument beyond kMaxSearchWords (each count of words is one more
// statement shape to prepare and cache).
inline constexpr size_t kMaxSearchWords = 8;
base::Result<std::vector<std::string>> SearchWords(std::string_view text);

// A FindContacts filter checked (limit 1..1000, offset >= 0, search text within kMaxNameBytes
// of UTF-8), and its search words (SearchWords).
base::Result<std::vector<std::string>> CheckContactFilter(const ContactFilter& filter);

// The subscription state machine for one SaveContact on one list.
struct SubscriptionRequest {
  std::string_view email;      // as stored, for messages
  std::string_view list_name;  // for messages
  bool contact_bounced = false;
  std::optional<SubscriptionStatus> current;  // nullopt: not on the list
  SubscriptionStatus requested = SubscriptionStatus::kActive;
  SubscribeMode mode = SubscribeMode::kNormal;
};

struct SubscriptionDecision {
  SubscriptionStatus status = SubscriptionStatus::kActive;  // to store
  bool changed = false;                // status differs from current: write it and a history row
  bool clear_bounced = false;          // lift the contact's global bounced flag
  bool set_ever_unsubscribed = false;  // set the contact's ever_unsubscribed flag
  // The change makes the address mailable on the list anew, so exclusion
  // entries must be checked before it is written.
  bool check_exclusions = false;
};

// InvalidArgument when `requested` is bounced (bounces come from
// MarkBounced); FailedPrecondition when a bounced or unsubscribed contact
// would be made active/unconfirmed without kResubscribe. An active
// subscription is never downgraded to unconfirmed.
base::Result<SubscriptionDecision> DecideSubscription(const SubscriptionRequest& request);

// "<email> is excluded from list 'L' by pattern '<p>'"
base::Status Excluded(std::string_view email, std::string_view list_name, std::string_view pattern);

// ---- Syncs (sync_store.h) ----

// A definition is the sync module's JSON; the store only bounds its size so that a runaway
// client cannot fill the disk through it.
inline constexpr size_t kMaxSyncDefinitionBytes = size_t{4} * 1024 * 1024;
// The name trimmed: 1..kMaxNameBytes of UTF-8 without control characters.
base::Result<std::string> CheckSyncName(std::string_view raw);
// Valid UTF-8 within kMaxSyncDefinitionBytes.
base::Status CheckSyncDefinition(std::string_view definition_json);
// BeginRun's texts: valid UTF-8 within kMaxNameBytes.
base::Status CheckRunStart(std::string_view started_by, std::string_view holder);
// FinishRun of a run still in state running is refused: a finish says how it ended.
base::Status CheckRunFinish(const RunRecord& run);
// "sync 'X' does not exist", "a sync named 'X' already exists", "run ID does not exist"
base::Status SyncNotFound(std::string_view name);
base::Status SyncNameTaken(std::string_view name);
base::Status RunNotFound(int64_t id);
// A second run of a sync while `run` is running (or its deletion), naming the running one.
base::Status AlreadyRunning(const RunRecord& run);
// FinishRun of a run that is no longer running.
base::Status RunNotRunning(int64_t id);

// ---- Accounts (account_store.h) ----

// A new user: the name 1..kMaxUsernameBytes of UTF-8 without control characters or white
// space at either end, and a password hash that is not empty.
base::Status CheckNewUser(std::string_view username, std::string_view password_hash);
// The errors every backend gives alike: "user 'NAME' does not exist", "user ID does not
// exist", "a user named 'NAME' already exists", "no such session", "no such API token",
// "API token ID does not exist".
base::Status UserNotFound(std::string_view username);
base::Status UserIdNotFound(int64_t id);
base::Status UserNameTaken(std::string_view username);
base::Status SessionNotFound();
base::Status ApiTokenNotFound();
base::Status ApiTokenIdNotFound(int64_t id);
// CreateFirstUser once a user exists.
base::Status FirstUserAlreadyMade();
// A token name, 1..kMaxNameBytes of UTF-8 once trimmed; returns it trimmed.
base::Result<std::string> CheckTokenName(std::string_view name);

// A key's login attempts: `count` counted since `window_start_ms`.
struct LoginCounter {
  int64_t window_start_ms = 0;
  int64_t count = 0;
};
// One attempt against `limit` within `window_ms`, given what the store holds for its key
// (nullopt: nothing): refused with the whole seconds to wait (rounded up, at least 1), or
// counted, with the counter to store (a window that has ended starts again now).
struct LoginAttemptDecision {
  int64_t wait_s = 0;  // > 0: refused, nothing to store
  LoginCounter counter;
};
LoginAttemptDecision DecideLoginAttempt(const std::optional<LoginCounter>& stored, int64_t limit,
                                        int64_t now_ms, int64_t window_ms);

}  // namespace contactsync::store
