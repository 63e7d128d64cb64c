#pragma once

// The backend-independent rules of the store (store.h): input
// checks and the subscription state machine. Every implementation calls
// these inside its write transaction so that SQLite and PostgreSQL decide
// alike; only storage differs.
//
// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/account_store.h"
#include "store/connection_store.h"
#include "store/contact_store.h"
#include "store/list_store.h"

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

// A list name as the user typed it, trimmed; for look-ups.
std::string ListNameForLookup(std::string_view name);

// "list 'X' does not exist"
base::Status ListNotFound(std::string_view name);

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
