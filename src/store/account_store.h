#pragma once

// AccountStore: the accounts of the HTTP server (docs/spec.md §7): users, login
// sessions and API tokens. Kept apart from Store because no contact
// operation needs it and only the server (and `contactsync user`) uses it;
// it lives in the same store (same file, same migrations).
//
// The store holds no secret in a usable form: password hashes are argon2id
// strings made by the caller (libsodium crypto_pwhash_str), and sessions and
// API tokens are looked up by a hash of the random value the client holds.
// What the hashes are is the caller's business (http/auth.h); the store only
// compares them for equality.
//
// Errors: kInvalidArgument for a bad user name or token name (the message
// names it), kAlreadyExists for a taken user name, kNotFound for an unknown
// user, session or token, kFailedPrecondition for CreateFirstUser once a user
// exists, kUnavailable when the store is busy.
//
// Thread safety: an instance is not thread-safe; use one per thread. Any
// number of instances may share a store.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store_common.h"

namespace contactsync::store {

// User names: 1..64 bytes of UTF-8 without control characters or spaces at
// either end; compared exactly.
inline constexpr size_t kMaxUsernameBytes = 64;

struct User {
  int64_t id = 0;
  std::string username;
  std::string password_hash;  // argon2id string; never shown
  std::string created_at;     // ISO 8601 UTC
};

struct SessionRecord {
  std::string id_hash;  // hash of the cookie value
  int64_t user_id = 0;
  std::string username;    // filled by GetSession
  std::string csrf_token;  // sent to the client at login; compared on every write
  int64_t created_unix = 0;
  int64_t last_seen_unix = 0;
};

struct ApiToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string username;  // filled by lookups
  std::string name;      // what the user called it: 1..255 bytes
  std::string created_at;
  std::string last_used_at;  // empty when never used
};

// A limit on login attempts: at most `limit` counted for `key` ("user:NAME", "addr:IP")
// within a window.
struct LoginLimit {
  std::string key;
  int64_t limit = 0;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // Users.
  virtual base::Result<int64_t> CountUsers() = 0;
  virtual base::Result<User> CreateUser(std::string_view username,
                                        std::string_view password_hash) = 0;
  // CreateUser, but only while no user exists (checked in the same write
  // transaction, so two first-run requests cannot both succeed).
  virtual base::Result<User> CreateFirstUser(std::string_view username,
                                             std::string_view password_hash) = 0;
  virtual base::Result<std::vector<User>> GetUsers() = 0;  // ordered by name
  virtual base::Result<User> GetUser(std::string_view username) = 0;
  virtual base::Result<User> GetUserById(int64_t id) = 0;
  // Deletes the user with its sessions and tokens.
  virtual base::Status DeleteUser(std::string_view username) = 0;

  // Sessions. GetSession fails with kNotFound for an unknown hash; expiry is
  // the caller's rule (it deletes what it finds expired).
  virtual base::Status CreateSession(const SessionRecord& session) = 0;
  virtual base::Result<SessionRecord> GetSession(std::string_view id_hash) = 0;
  virtual base::Status TouchSession(std::string_view id_hash, int64_t last_seen_unix) = 0;
  virtual base::Status DeleteSession(std::string_view id_hash) = 0;
  // Deletes sessions created before `created_before` or idle since before
  // `seen_before`; returns how many.
  virtual base::Result<int64_t> DeleteExpiredSessions(int64_t created_before,
                                                      int64_t seen_before) = 0;

  // API tokens. TouchApiToken records a use (callers rate-limit it: it is a
  // write, and reads must not queue behind a running sync's writes).
  virtual base::Result<ApiToken> CreateApiToken(int64_t user_id, std::string_view name,
                                                std::string_view token_hash) = 0;
  virtual base::Result<std::vector<ApiToken>> GetApiTokens(int64_t user_id) = 0;  // by id
  virtual base::Result<ApiToken> FindApiToken(std::string_view token_hash) = 0;
  virtual base::Status TouchApiToken(int64_t id) = 0;
  // kNotFound unless token `id` belongs to `user_id`.
  virtual base::Status DeleteApiToken(int64_t user_id, int64_t id) = 0;

  // Login rate limits, kept in the store so that every server on it counts alike (a client
  // that spreads its guesses over two servers behind one address gets no more). Each key's
  // window starts at its first counted attempt and lasts `window_s` seconds (the store's
  // clock). ReserveLoginAttempts counts one attempt for every limit at once, or for none and
  // returns the seconds to wait (> 0) when one of them is at its limit; 0 when counted.
  // Expired counters are dropped on the way, so a client inventing keys cannot grow the
  // store for long.
  virtual base::Result<int64_t> ReserveLoginAttempts(const std::vector<LoginLimit>& limits,
                                                     int64_t window_s) = 0;
  // Gives one counted attempt of `key` back (a success, or a check that never ran).
  virtual base::Status RefundLoginAttempt(std::string_view key) = 0;
  // Forgets every attempt of `key` (the user logged in).
  virtual base::Status ForgetLoginAttempts(std::string_view key) = 0;
};

// Opens the accounts of the store at `options.url` (creating the store and
// applying migrations as OpenStore does).
base::Result<std::unique_ptr<AccountStore>> OpenAccountStore(const StoreOptions& options);

}  // namespace contactsync::store
