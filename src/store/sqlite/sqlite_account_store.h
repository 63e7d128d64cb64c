#pragma once

// SqliteAccountStore: the AccountStore (store/account_store.h) in the SQLite
// store file, on its own connection (same settings and migrations as
// SqliteStore).
//
// Thread safety: one instance per thread.

#include <memory>
#include <string>

#include "base/clock.h"
#include "store/account_store.h"
#include "store/sqlite/sqlite_handle.h"

namespace contactsync::store::sqlite {

class SqliteAccountStore final : public AccountStore {
 public:
  // Opens the store at `path` as SqliteStore::Open does (creating it
  // and applying migrations). `clock` must outlive the store.
  static base::Result<std::unique_ptr<SqliteAccountStore>> Open(const std::string& path,
                                                                int busy_timeout_ms,
                                                                const base::Clock& clock);

  base::Result<int64_t> CountUsers() override;
  base::Result<User> CreateUser(std::string_view username, std::string_view password_hash) override;
  base::Result<User> CreateFirstUser(std::string_view username,
                                     std::string_view password_hash) override;
  base::Result<std::vector<User>> GetUsers() override;
  base::Result<User> GetUser(std::string_view username) override;
  base::Result<User> GetUserById(int64_t id) override;
  base::Status DeleteUser(std::string_view username) override;

  base::Status CreateSession(const SessionRecord& session) override;
  base::Result<SessionRecord> GetSession(std::string_view id_hash) override;
  base::Status TouchSession(std::string_view id_hash, int64_t last_seen_unix) override;
  base::Status DeleteSession(std::string_view id_hash) override;
  base::Result<int64_t> DeleteExpiredSessions(int64_t created_before, int64_t seen_before) override;

  base::Result<ApiToken> CreateApiToken(int64_t user_id, std::string_view name,
                                        std::string_view token_hash) override;
  base::Result<std::vector<ApiToken>> GetApiTokens(int64_t user_id) override;
  base::Result<ApiToken> FindApiToken(std::string_view token_hash) override;
  base::Status TouchApiToken(int64_t id) override;
  base::Status DeleteApiToken(int64_t user_id, int64_t id) override;

  base::Result<int64_t> ReserveLoginAttempts(const std::vector<LoginLimit>& limits,
                                             int64_t window_s) override;
  base::Status RefundLoginAttempt(std::string_view key) override;
  base::Status ForgetLoginAttempts(std::string_view key) override;

 private:
  SqliteAccountStore(Database db, const base::Clock& clock) : db_(std::move(db)), clock_(clock) {}

  // Now as the store keeps times (schema 11: milliseconds since the Unix epoch, UTC).
  int64_t NowMillis() const { return base::UnixMillis(clock_.Now()); }
  base::Result<User> InsertUser(std::string_view username, std::string_view password_hash);

  Database db_;
  const base::Clock& clock_;
};

}  // namespace contactsync::store::sqlite
