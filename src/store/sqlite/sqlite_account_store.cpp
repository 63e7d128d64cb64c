#include "store/sqlite/sqlite_account_store.h"

#include <fmt/format.h>

#include "base/text.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

constexpr std::string_view kUserColumns =
    "SELECT id, username, password_hash, created_at FROM users ";
constexpr std::string_view kTokenColumns =
    "SELECT t.id, t.user_id, u.username, t.name, t.created_at, t.last_used_at "
    "FROM api_tokens t JOIN users u ON u.id = t.user_id ";

User ReadUser(const Statement& row) {
  return User{row.ColumnInt64(0), row.ColumnText(1), row.ColumnText(2), ShownTime(row, 3)};
}

ApiToken ReadToken(const Statement& row) {
  return ApiToken{row.ColumnInt64(0), row.ColumnInt64(1), row.ColumnText(2),
                  row.ColumnText(3),  ShownTime(row, 4),  ShownTime(row, 5)};
}

}  // namespace

base::Result<std::unique_ptr<SqliteAccountStore>> SqliteAccountStore::Open(
    const std::string& path, int busy_timeout_ms, const base::Clock& clock) {
  // The contact store's open checks the file, sets WAL mode and migrates;
  // this connection then only needs its per-connection settings.
  CS_RETURN_IF_ERROR(SqliteStore::Open(path, busy_timeout_ms, clock).status());
  CS_ASSIGN_OR_RETURN(Database db, Database::Open(path, busy_timeout_ms));
  CS_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL"));
  return std::unique_ptr<SqliteAccountStore>(new SqliteAccountStore(std::move(db), clock));
}

base::Result<int64_t> SqliteAccountStore::CountUsers() {
  return InTransaction(db_, kRead, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(CachedStatement query, db_.Cached("SELECT count(*) FROM users"));
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    return row ? query->ColumnInt64(0) : 0;
  });
}

base::Result<User> SqliteAccountStore::InsertUser(std::string_view username,
                                                  std::string_view password_hash) {
  CS_ASSIGN_OR_RETURN(CachedStatement existing,
                      db_.Cached("SELECT 1 FROM users WHERE username = ?1"));
  existing->Bind(1, username);
  CS_ASSIGN_OR_RETURN(const bool taken, existing->Step());
  if (taken) {
    return UserNameTaken(username);
  }
  const int64_t now = NowMillis();
  User user{0, std::string(username), std::string(password_hash), base::FormatUnixMillis(now)};
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)"));
  insert->Bind(1, user.username).Bind(2, user.password_hash).Bind(3, now);
  CS_RETURN_IF_ERROR(insert->Run());
  user.id = db_.LastInsertRowId();
  return user;
}

base::Result<User> SqliteAccountStore::CreateUser(std::string_view username,
                                                  std::string_view password_hash) {
  CS_RETURN_IF_ERROR(CheckNewUser(username, password_hash));
  return InTransaction(db_, kWrite,
                       [&]() -> base::Result<User> { return InsertUser(username, password_hash); });
}

base::Result<User> SqliteAccountStore::CreateFirstUser(std::string_view username,
                                                       std::string_view password_hash) {
  CS_RETURN_IF_ERROR(CheckNewUser(username, password_hash));
  return InTransaction(db_, kWrite, [&]() -> base::Result<User> {
    {
      CS_ASSIGN_OR_RETURN(CachedStatement count, db_.Cached("SELECT count(*) FROM users"));
      CS_ASSIGN_OR_RETURN(const bool row, count->Step());
      if (row && count->ColumnInt64(0) > 0) {
        return FirstUserAlreadyMade();
      }
    }
    return InsertUser(username, password_hash);
  });
}

base::Result<std::vector<User>> SqliteAccountStore::GetUsers() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<User>> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} ORDER BY username", kUserColumns)));
    std::vector<User> users;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) break;
      users.push_back(ReadUser(*query));
    }
    return users;
  });
}

base::Result<User> SqliteAccountStore::GetUser(std::string_view username) {
  return InTransaction(db_, kRead, [&]() -> base::Result<User> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} WHERE username = ?1", kUserColumns)));
    query->Bind(1, username);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return UserNotFound(username);
    return ReadUser(*query);
  });
}

base::Result<User> SqliteAccountStore::GetUserById(int64_t id) {
  return InTransaction(db_, kRead, [&]() -> base::Result<User> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} WHERE id = ?1", kUserColumns)));
    query->Bind(1, id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return UserIdNotFound(id);
    return ReadUser(*query);
  });
}

base::Status SqliteAccountStore::DeleteUser(std::string_view username) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement erase, db_.Cached("DELETE FROM users WHERE username = ?1"));
    erase->Bind(1, username);
    CS_RETURN_IF_ERROR(erase->Run());
    if (db_.Changes() == 0) return UserNotFound(username);
    return base::Status::Ok();
  });
}

base::Status SqliteAccountStore::CreateSession(const SessionRecord& session) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement insert,
                        db_.Cached("INSERT INTO sessions (id_hash, user_id, csrf_token, "
                                   "created_unix, last_seen_unix) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert->Bind(1, session.id_hash)
        .Bind(2, session.user_id)
        .Bind(3, session.csrf_token)
        .Bind(4, session.created_unix)
        .Bind(5, session.last_seen_unix);
    return insert->Run();
  });
}

base::Result<SessionRecord> SqliteAccountStore::GetSession(std::string_view id_hash) {
  return InTransaction(db_, kRead, [&]() -> base::Result<SessionRecord> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT s.id_hash, s.user_id, u.username, s.csrf_token, s.created_unix, "
                   "s.last_seen_unix FROM sessions s JOIN users u ON u.id = s.user_id "
                   "WHERE s.id_hash = ?1"));
    query->Bind(1, id_hash);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return SessionNotFound();
    return SessionRecord{query->ColumnText(0), query->ColumnInt64(1), query->ColumnText(2),
                         query->ColumnText(3), query->ColumnInt64(4), query->ColumnInt64(5)};
  });
}

base::Status SqliteAccountStore::TouchSession(std::string_view id_hash, int64_t last_seen_unix) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE sessions SET last_seen_unix = ?2 WHERE id_hash = ?1"));
    update->Bind(1, id_hash).Bind(2, last_seen_unix);
    return update->Run();
  });
}

base::Status SqliteAccountStore::DeleteSession(std::string_view id_hash) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement erase,
                        db_.Cached("DELETE FROM sessions WHERE id_hash = ?1"));
    erase->Bind(1, id_hash);
    return erase->Run();
  });
}

base::Result<int64_t> SqliteAccountStore::DeleteExpiredSessions(int64_t created_before,
                                                                int64_t seen_before) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement erase,
        db_.Cached("DELETE FROM sessions WHERE created_unix < ?1 OR last_seen_unix < ?2"));
    erase->Bind(1, created_before).Bind(2, seen_before);
    CS_RETURN_IF_ERROR(erase->Run());
    return db_.Changes();
  });
}

base::Result<ApiToken> SqliteAccountStore::CreateApiToken(int64_t user_id, std::string_view name,
                                                          std::string_view token_hash) {
  CS_ASSIGN_OR_RETURN(const std::string trimmed, CheckTokenName(name));
  return InTransaction(db_, kWrite, [&]() -> base::Result<ApiToken> {
    const int64_t now = NowMillis();
    CS_ASSIGN_OR_RETURN(CachedStatement insert,
                        db_.Cached("INSERT INTO api_tokens (user_id, name, token_hash, "
                                   "created_at) VALUES (?1, ?2, ?3, ?4)"));
    insert->Bind(1, user_id).Bind(2, trimmed).Bind(3, token_hash).Bind(4, now);
    CS_RETURN_IF_ERROR(insert->Run());
    const int64_t id = db_.LastInsertRowId();
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} WHERE t.id = ?1", kTokenColumns)));
    query->Bind(1, id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Internal("the new API token vanished");
    return ReadToken(*query);
  });
}

base::Result<std::vector<ApiToken>> SqliteAccountStore::GetApiTokens(int64_t user_id) {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<ApiToken>> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached(fmt::format("{} WHERE t.user_id = ?1 ORDER BY t.id", kTokenColumns)));
    query->Bind(1, user_id);
    std::vector<ApiToken> tokens;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) break;
      tokens.push_back(ReadToken(*query));
    }
    return tokens;
  });
}

base::Result<ApiToken> SqliteAccountStore::FindApiToken(std::string_view token_hash) {
  return InTransaction(db_, kRead, [&]() -> base::Result<ApiToken> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} WHERE t.token_hash = ?1", kTokenColumns)));
    query->Bind(1, token_hash);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return ApiTokenNotFound();
    return ReadToken(*query);
  });
}

base::Status SqliteAccountStore::TouchApiToken(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1"));
    update->Bind(1, id).Bind(2, NowMillis());
    return update->Run();
  });
}

base::Status SqliteAccountStore::DeleteApiToken(int64_t user_id, int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement erase,
                        db_.Cached("DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2"));
    erase->Bind(1, id).Bind(2, user_id);
    CS_RETURN_IF_ERROR(erase->Run());
    if (db_.Changes() == 0) return ApiTokenIdNotFound(id);
    return base::Status::Ok();
  });
}

base::Result<int64_t> SqliteAccountStore::ReserveLoginAttempts(
    const std::vector<LoginLimit>& limits, int64_t window_s) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    const int64_t now = NowMillis();
    const int64_t window_ms = window_s * 1000;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement expire,
                          db_.Cached("DELETE FROM login_attempts WHERE window_start <= ?1"));
      expire->Bind(1, now - window_ms);
      CS_RETURN_IF_ERROR(expire->Run());
    }
    std::vector<LoginCounter> counters;
    for (const LoginLimit& limit : limits) {
      CS_ASSIGN_OR_RETURN(
          CachedStatement query,
          db_.Cached("SELECT window_start, attempts FROM login_attempts WHERE key = ?1"));
      query->Bind(1, limit.key);
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      std::optional<LoginCounter> stored;
      if (row) stored = LoginCounter{query->ColumnInt64(0), query->ColumnInt64(1)};
      const LoginAttemptDecision decision = DecideLoginAttempt(stored, limit.limit, now, window_ms);
      if (decision.wait_s > 0) return decision.wait_s;  // none counted
      counters.push_back(decision.counter);
    }
    for (size_t i = 0; i < limits.size(); ++i) {
      CS_ASSIGN_OR_RETURN(
          CachedStatement upsert,
          db_.Cached("INSERT INTO login_attempts (key, window_start, attempts) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, "
                     "attempts = excluded.attempts"));
      upsert->Bind(1, limits[i].key)
          .Bind(2, counters[i].window_start_ms)
          .Bind(3, counters[i].count);
      CS_RETURN_IF_ERROR(upsert->Run());
    }
    return int64_t{0};
  });
}

base::Status SqliteAccountStore::RefundLoginAttempt(std::string_view key) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE login_attempts SET attempts = attempts - 1 "
                                   "WHERE key = ?1 AND attempts > 0"));
    update->Bind(1, key);
    return update->Run();
  });
}

base::Status SqliteAccountStore::ForgetLoginAttempts(std::string_view key) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement erase,
                        db_.Cached("DELETE FROM login_attempts WHERE key = ?1"));
    erase->Bind(1, key);
    return erase->Run();
  });
}

}  // namespace contactsync::store::sqlite
