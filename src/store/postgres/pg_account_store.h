#pragma once

// PgAccountStore: the AccountStore (store/account_store.h) on the PostgreSQL store, on its own
// session. What it decides comes from store_rules.h, as the SQLite store's does; this keeps
// and finds.
//
// Thread safety: one instance per thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "store/account_store.h"
#include "store/postgres/pg_database.h"

namespace contactsync::store::postgres {

class PgAccountStore final : public AccountStore {
 public:
  // Opens the store at `url` (postgresql://...) and applies its migrations. `clock` must
  // outlive the store.
  static base::Result<std::unique_ptr<PgAccountStore>> Open(std::string_view url,
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
  PgAccountStore(Database db, const base::Clock& clock) : db_(std::move(db)), clock_(clock) {}

  int64_t NowMillis() const { return base::UnixMillis(clock_.Now()); }
  base::Result<User> InsertUser(std::string_view username, std::string_view password_hash);

  Database db_;
  const base::Clock& clock_;
};

}  // namespace contactsync::store::postgres
