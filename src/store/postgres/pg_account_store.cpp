#include "store/postgres/pg_account_store.h"

#include "store/postgres/pg_migrations.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;
constexpr TransactionKind kLockedWrite = TransactionKind::kLockedWrite;

constexpr std::string_view kUserColumns =
    "SELECT id, username, password_hash, cs_ms(created_at) FROM users ";
constexpr std::string_view kTokenColumns =
    "SELECT t.id, t.user_id, u.username, t.name, cs_ms(t.created_at), cs_ms(t.last_used_at) "
    "FROM api_tokens t JOIN users u ON u.id = t.user_id ";

// A time as the interface shows it, "" for NULL (a time that has not happened).
std::string ShownTime(const Rows& rows, int row, int column) {
  return rows.IsNull(row, column) ? std::string() : base::FormatUnixMillis(rows.Int64(row, column));
}

User ReadUser(const Rows& rows, int row) {
  return User{rows.Int64(row, 0), std::string(rows.Text(row, 1)), std::string(rows.Text(row, 2)),
              ShownTime(rows, row, 3)};
}

ApiToken ReadToken(const Rows& rows, int row) {
  return ApiToken{rows.Int64(row, 0),
                  rows.Int64(row, 1),
                  std::string(rows.Text(row, 2)),
                  std::string(rows.Text(row, 3)),
                  ShownTime(rows, row, 4),
                  ShownTime(rows, row, 5)};
}

std::string Sql(std::string_view columns, std::string_view rest) {
  return std::string(columns) + std::string(rest);
}

}  // namespace

base::Result<std::unique_ptr<PgAccountStore>> PgAccountStore::Open(std::string_view url,
                                                                   const base::Clock& clock) {
  CS_ASSIGN_OR_RETURN(Database db, OpenMigrated(url));
  return std::unique_ptr<PgAccountStore>(new PgAccountStore(std::move(db), clock));
}

base::Result<int64_t> PgAccountStore::CountUsers() {
  return InTransaction(db_, kRead, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(const Rows rows, db_.Exec("SELECT count(*) FROM users"));
    return rows.Int64(0, 0);
  });
}

base::Result<User> PgAccountStore::InsertUser(std::string_view username,
                                              std::string_view password_hash) {
  CS_ASSIGN_OR_RETURN(const Rows taken,
                      db_.Exec("SELECT 1 FROM users WHERE username = $1", {username}));
  if (taken.size() > 0) return UserNameTaken(username);
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db_.Exec(Sql("INSERT INTO users (username, password_hash, created_at) "
                                   "VALUES ($1, $2, cs_ts($3)) RETURNING ",
                                   "id, username, password_hash, cs_ms(created_at)"),
                               {username, password_hash, NowMillis()}));
  return ReadUser(rows, 0);
}

base::Result<User> PgAccountStore::CreateUser(std::string_view username,
                                              std::string_view password_hash) {
  CS_RETURN_IF_ERROR(CheckNewUser(username, password_hash));
  return InTransaction(db_, kWrite, [&] { return InsertUser(username, password_hash); });
}

base::Result<User> PgAccountStore::CreateFirstUser(std::string_view username,
                                                   std::string_view password_hash) {
  CS_RETURN_IF_ERROR(CheckNewUser(username, password_hash));
  return InTransaction(db_, kWrite, [&]() -> base::Result<User> {
    // Two first-run requests on two servers: the lock makes the second wait and see the
    // first one's user (the table lock conflicts only with itself and other writers).
    CS_RETURN_IF_ERROR(db_.Exec("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").status());
    CS_ASSIGN_OR_RETURN(const Rows count, db_.Exec("SELECT count(*) FROM users"));
    if (count.Int64(0, 0) > 0) return FirstUserAlreadyMade();
    return InsertUser(username, password_hash);
  });
}

base::Result<std::vector<User>> PgAccountStore::GetUsers() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<User>> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_.Exec(Sql(kUserColumns, "ORDER BY username COLLATE \"C\"")));
    std::vector<User> users;
    for (int i = 0; i < rows.size(); ++i) users.push_back(ReadUser(rows, i));
    return users;
  });
}

base::Result<User> PgAccountStore::GetUser(std::string_view username) {
  return InTransaction(db_, kRead, [&]() -> base::Result<User> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_.Exec(Sql(kUserColumns, "WHERE username = $1"), {username}));
    if (rows.size() == 0) return UserNotFound(username);
    return ReadUser(rows, 0);
  });
}

base::Result<User> PgAccountStore::GetUserById(int64_t id) {
  return InTransaction(db_, kRead, [&]() -> base::Result<User> {
    CS_ASSIGN_OR_RETURN(const Rows rows, db_.Exec(Sql(kUserColumns, "WHERE id = $1"), {id}));
    if (rows.size() == 0) return UserIdNotFound(id);
    return ReadUser(rows, 0);
  });
}

base::Status PgAccountStore::DeleteUser(std::string_view username) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_.Exec("DELETE FROM users WHERE username = $1", {username}));
    if (rows.Affected() == 0) return UserNotFound(username);
    return base::Status::Ok();
  });
}

base::Status PgAccountStore::CreateSession(const SessionRecord& session) {
  return InTransaction(db_, kWrite, [&] {
    return db_
        .Exec(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_unix, last_seen_unix) "
            "VALUES ($1, $2, $3, $4, $5)",
            {session.id_hash, session.user_id, session.csrf_token, session.created_unix,
             session.last_seen_unix})
        .status();
  });
}

base::Result<SessionRecord> PgAccountStore::GetSession(std::string_view id_hash) {
  return InTransaction(db_, kRead, [&]() -> base::Result<SessionRecord> {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_.Exec("SELECT s.id_hash, s.user_id, u.username, s.csrf_token, s.created_unix, "
                 "s.last_seen_unix FROM sessions s JOIN users u ON u.id = s.user_id "
                 "WHERE s.id_hash = $1",
                 {id_hash}));
    if (rows.size() == 0) return SessionNotFound();
    return SessionRecord{
        std::string(rows.Text(0, 0)), rows.Int64(0, 1), std::string(rows.Text(0, 2)),
        std::string(rows.Text(0, 3)), rows.Int64(0, 4), rows.Int64(0, 5)};
  });
}

base::Status PgAccountStore::TouchSession(std::string_view id_hash, int64_t last_seen_unix) {
  return InTransaction(db_, kWrite, [&] {
    return db_
        .Exec("UPDATE sessions SET last_seen_unix = $2 WHERE id_hash = $1",
              {id_hash, last_seen_unix})
        .status();
  });
}

base::Status PgAccountStore::DeleteSession(std::string_view id_hash) {
  return InTransaction(db_, kWrite, [&] {
    return db_.Exec("DELETE FROM sessions WHERE id_hash = $1", {id_hash}).status();
  });
}

base::Result<int64_t> PgAccountStore::DeleteExpiredSessions(int64_t created_before,
                                                            int64_t seen_before) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_.Exec("DELETE FROM sessions WHERE created_unix < $1 OR last_seen_unix < $2",
                 {created_before, seen_before}));
    return rows.Affected();
  });
}

base::Result<ApiToken> PgAccountStore::CreateApiToken(int64_t user_id, std::string_view name,
                                                      std::string_view token_hash) {
  CS_ASSIGN_OR_RETURN(const std::string trimmed, CheckTokenName(name));
  return InTransaction(db_, kWrite, [&]() -> base::Result<ApiToken> {
    CS_ASSIGN_OR_RETURN(const Rows inserted,
                        db_.Exec("INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                                 "VALUES ($1, $2, $3, cs_ts($4)) RETURNING id",
                                 {user_id, std::string_view(trimmed), token_hash, NowMillis()}));
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_.Exec(Sql(kTokenColumns, "WHERE t.id = $1"), {inserted.Int64(0, 0)}));
    return ReadToken(rows, 0);
  });
}

base::Result<std::vector<ApiToken>> PgAccountStore::GetApiTokens(int64_t user_id) {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<ApiToken>> {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_.Exec(Sql(kTokenColumns, "WHERE t.user_id = $1 ORDER BY t.id"), {user_id}));
    std::vector<ApiToken> tokens;
    for (int i = 0; i < rows.size(); ++i) tokens.push_back(ReadToken(rows, i));
    return tokens;
  });
}

base::Result<ApiToken> PgAccountStore::FindApiToken(std::string_view token_hash) {
  return InTransaction(db_, kRead, [&]() -> base::Result<ApiToken> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_.Exec(Sql(kTokenColumns, "WHERE t.token_hash = $1"), {token_hash}));
    if (rows.size() == 0) return ApiTokenNotFound();
    return ReadToken(rows, 0);
  });
}

base::Status PgAccountStore::TouchApiToken(int64_t id) {
  return InTransaction(db_, kWrite, [&] {
    return db_
        .Exec("UPDATE api_tokens SET last_used_at = cs_ts($2) WHERE id = $1", {id, NowMillis()})
        .status();
  });
}

base::Status PgAccountStore::DeleteApiToken(int64_t user_id, int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_.Exec("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2", {id, user_id}));
    if (rows.Affected() == 0) return ApiTokenIdNotFound(id);
    return base::Status::Ok();
  });
}

base::Result<int64_t> PgAccountStore::ReserveLoginAttempts(const std::vector<LoginLimit>& limits,
                                                           int64_t window_s) {
  // kLockedWrite: every row is locked before it is read, so parallel guesses on one key (to
  // this server or another on the same store) wait for each other and each counts, instead of
  // failing as serialization conflicts beyond the retries.
  return InTransaction(db_, kLockedWrite, [&]() -> base::Result<int64_t> {
    const int64_t now = NowMillis();
    const int64_t window_ms = window_s * 1000;
    CS_RETURN_IF_ERROR(
        db_.Exec("DELETE FROM login_attempts WHERE window_start <= cs_ts($1)", {now - window_ms})
            .status());
    std::vector<LoginCounter> counters;
    for (const LoginLimit& limit : limits) {
      // The row is made or locked, and read, in one statement: under READ COMMITTED a row only
      // locked after an INSERT ... DO NOTHING could meanwhile be deleted by another session.
      CS_ASSIGN_OR_RETURN(const Rows rows,
                          db_.Exec("INSERT INTO login_attempts (key, window_start, attempts) "
                                   "VALUES ($1, cs_ts($2), 0) ON CONFLICT (key) DO UPDATE "
                                   "SET attempts = login_attempts.attempts "
                                   "RETURNING cs_ms(window_start), attempts",
                                   {limit.key, now}));
      const LoginAttemptDecision decision = DecideLoginAttempt(
          LoginCounter{rows.Int64(0, 0), rows.Int64(0, 1)}, limit.limit, now, window_ms);
      if (decision.wait_s > 0) return decision.wait_s;  // none counted (the commit keeps none)
      counters.push_back(decision.counter);
    }
    for (size_t i = 0; i < limits.size(); ++i) {
      CS_RETURN_IF_ERROR(db_.Exec("UPDATE login_attempts SET window_start = cs_ts($2), "
                                  "attempts = $3 WHERE key = $1",
                                  {limits[i].key, counters[i].window_start_ms, counters[i].count})
                             .status());
    }
    return int64_t{0};
  });
}

// kLockedWrite: one UPDATE that locks its row, so parallel refunds of one key each count.
base::Status PgAccountStore::RefundLoginAttempt(std::string_view key) {
  return InTransaction(db_, kLockedWrite, [&] {
    return db_
        .Exec("UPDATE login_attempts SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
              {key})
        .status();
  });
}

base::Status PgAccountStore::ForgetLoginAttempts(std::string_view key) {
  return InTransaction(db_, kLockedWrite, [&] {
    return db_.Exec("DELETE FROM login_attempts WHERE key = $1", {key}).status();
  });
}

}  // namespace contactsync::store::postgres
