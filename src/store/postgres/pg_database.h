#pragma once

// One libpq session of the PostgreSQL store (issue 14): contactsync's own data on a database
// server, where the SQLite store keeps it in a file. The store's classes run every statement
// through a Database and every unit of work through InTransaction; nothing else in the store
// sees libpq.
//
// What Open sets up:
//  - the store URL (postgresql://user@host:port/db?sslmode=...) is handed to libpq as it is
//    (PQconnectdbParams, expand_dbname), so every libpq form works, the password included
//    (in the URL, PGPASSWORD or ~/.pgpass); contactsync never prints it: messages name the
//    store by DescribeStoreUrl, which leaves it out;
//  - client_encoding UTF8 and fallback_application_name "contactsync". No other session
//    state: a pooler in transaction mode (pgbouncer) may hand each transaction another server
//    session, so nothing may rely on a SET, a prepared statement or a temporary table
//    outliving its transaction. Times are timestamptz converted by the schema's cs_ms/cs_ts
//    functions, so the session's TimeZone does not matter.
// Every statement uses the extended protocol (PQexecParams: one statement, parameters bound,
// never spliced); ExecScript, for the migrations only, uses the simple protocol.
//
// Thread safety: one thread at a time, like the libpq session it owns.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"
#include "pg/handle.h"

namespace contactsync::store::postgres {

// "PostgreSQL database 'db' on host:port as user": the store URL without its password, for
// messages. InvalidArgument when libpq cannot read the URL (the message does not repeat the
// URL, which may hold the password).
base::Result<std::string> DescribeStoreUrl(std::string_view url);

// Bytes for a bytea column, sent as they are (binary format): they may hold NUL.
struct Bytes {
  std::string_view data;
};

// A statement parameter: SQL NULL, an integer, text (sent as text; the server converts it to
// the column's type) or bytes.
using Param = std::variant<std::nullptr_t, int64_t, std::string_view, Bytes>;

// The rows of one statement.
class Rows {
 public:
  explicit Rows(pg::ResultHandle result) : result_(std::move(result)) {}

  int size() const;  // rows
  int columns() const;
  bool IsNull(int row, int column) const;
  // The text of a cell ("" for NULL); valid while this Rows lives.
  std::string_view Text(int row, int column) const;
  // The cell as an integer (0 for NULL); the column must be an integer type.
  int64_t Int64(int row, int column) const;
  // A boolean cell ("t").
  bool Bool(int row, int column) const { return Text(row, column) == "t"; }
  // A bytea cell's bytes ("" for NULL).
  std::string Bytea(int row, int column) const;
  // The number of rows an INSERT, UPDATE or DELETE changed.
  int64_t Affected() const;

 private:
  pg::ResultHandle result_;
};

class Database {
 public:
  // Connects to the store at `url`, waiting at most `connect_timeout_s` (libpq's
  // connect_timeout, unless the URL sets one). Errors: kAuthFailed (wrong user or password),
  // kNotFound (no such database), kUnavailable (unreachable, refusing, starting up),
  // kTlsFailure, kInvalidArgument (a URL libpq cannot read); each names the store by
  // DescribeStoreUrl.
  static base::Result<Database> Open(std::string_view url, int connect_timeout_s = 10);

  Database(Database&&) = default;
  Database& operator=(Database&&) = default;

  // Runs one statement with `params` bound to $1..$n. Errors: kAlreadyExists (a unique
  // violation; the message is the server's), kUnavailable (serialization failure, deadlock,
  // too many connections: InTransaction retries the first two), kConnectionLost (the session
  // is gone: the Database must be opened again), kTimeout (statement or lock timeout),
  // kInternal (anything else: the schema and the statements are contactsync's own).
  base::Result<Rows> Exec(std::string_view sql, const std::vector<Param>& params = {});
  // Runs several statements (the simple protocol): migrations only.
  base::Status ExecScript(std::string_view sql);

  // True when the session is usable (not lost).
  bool ok() const;
  // True when the last failed statement was a serialization failure or a deadlock (SQLSTATE
  // 40001, 40P01): the server rolled the transaction back, and running it again may succeed.
  bool last_failure_was_conflict() const { return last_failure_was_conflict_; }
  const std::string& description() const { return description_; }

 private:
  Database(pg::ConnectionHandle conn, std::string description)
      : conn_(std::move(conn)), description_(std::move(description)) {}
  base::Status Failure(const PGresult* result);

  pg::ConnectionHandle conn_;
  std::string description_;
  bool last_failure_was_conflict_ = false;
};

enum class TransactionKind { kRead, kWrite, kLockedWrite };

inline base::Status StatusOf(const base::Status& status) { return status; }
template <typename T>
base::Status StatusOf(const base::Result<T>& result) {
  return result.status();
}

// The statement that starts a transaction of `kind` (see InTransaction).
inline const char* BeginStatement(TransactionKind kind) {
  switch (kind) {
    case TransactionKind::kRead:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    case TransactionKind::kLockedWrite:
      return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case TransactionKind::kWrite:
      break;
  }
  return "BEGIN ISOLATION LEVEL SERIALIZABLE";
}

// Runs `work` (returning a Status or a Result) in a transaction, then COMMIT when it succeeds
// and ROLLBACK when it fails. kWrite is SERIALIZABLE: a unit of work that reads and then writes
// (a name checked free, then taken) behaves as if it ran alone, as under the SQLite store's one
// writer; kRead is one REPEATABLE READ READ ONLY snapshot (never a serialization failure).
// kLockedWrite is READ COMMITTED, for a hot row many sessions change at once (a login counter
// under a flood of guesses, the outbox under many senders): `work` must lock every row it
// reads before reading it (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, SELECT ... FOR
// UPDATE [SKIP LOCKED], a single UPDATE, a statement after an advisory lock); the sessions
// then wait for each other's locks and read the committed row, one after the other, where
// SERIALIZABLE fails all but one of them each round and a few dozen outrun the retries. A
// serialization failure or deadlock (in `work` or at COMMIT) runs it again, up to 5 times:
// `work` must have no effect outside the store but its return value.
template <typename Work>
auto InTransaction(Database& db, TransactionKind kind, Work&& work) -> decltype(work()) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    {
      auto begun = db.Exec(BeginStatement(kind));
      if (!begun.ok()) return begun.status();
    }
    auto result = work();
    base::Status status = StatusOf(result);
    bool conflict = false;
    if (status.ok()) {
      auto committed = db.Exec("COMMIT");  // a failed COMMIT ends the transaction too
      if (committed.ok()) return result;
      status = committed.status();
      conflict = db.last_failure_was_conflict();
    } else {
      conflict = db.last_failure_was_conflict();
      if (db.ok()) (void)db.Exec("ROLLBACK");
    }
    if (!conflict || attempt == kAttempts || !db.ok()) return status;
  }
}

}  // namespace contactsync::store::postgres
