#pragma once

// One read-only MySQL/MariaDB session: connecting, making it read-only, and the few statements
// the driver runs on it.
//
// Layers set up by Open (docs/read-only.md, docs/spec.md §2):
//  - the connection has no CLIENT_MULTI_STATEMENTS and no CLIENT_LOCAL_FILES, and never
//    reconnects silently (a new session would lose the settings below);
//  - `SET SESSION TRANSACTION READ ONLY`, so that even a transaction begun implicitly is
//    read-only;
//  - a statement timeout: `max_statement_time` (MariaDB, seconds) or `max_execution_time`
//    (MySQL, milliseconds), unless the session is for streaming (see StatementTimeout);
//  - user SQL goes only through Prepare (server-side prepared statements, which refuse several
//    statements by themselves) and runs inside ReadOnlyTransaction.
//
// Ownership: owns its connection and a copy of the settings (the password is needed again to
// open the side connection that sends KILL QUERY). Thread safety: one thread at a time.

#include <mysql.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/mysql/errors.h"
#include "source/mysql/handle.h"
#include "source/settings.h"
#include "source/value.h"

namespace contactsync::source::mysql {

// SQL text fixed at compile time: the only text the driver sends outside prepared statements.
// A consteval constructor, so user input cannot become a FixedSql.
class FixedSql {
 public:
  consteval FixedSql(const char* text) : text_(text) {}  // NOLINT: implicit by design
  const char* c_str() const { return text_; }

 private:
  const char* text_;
};

// The session settings the custom-query checker (src/query) lexes with: a known sql_mode
// without ANSI_QUOTES (double quotes stay strings), without NO_BACKSLASH_ESCAPES (a backslash
// escapes inside strings) and without the MSSQL/ORACLE/DB2/POSTGRESQL/MAXDB modes (no `[name]`
// identifiers or other dialects' syntax), and utf8mb4 on both sides of the connection (a
// GBK/Big5/SJIS byte could otherwise swallow the backslash after it). Session::Open sets
// them and reads them back; a server that keeps anything else is refused.
inline constexpr const char* kSessionSqlMode =
    "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";
inline constexpr const char* kSessionCharset = "utf8mb4";

// What messages call the server once a connection has said which it is.
inline constexpr std::string_view kMariaDbName = "MariaDB";
inline constexpr std::string_view kMySqlName = "MySQL";

enum class StatementTimeout {
  // The server stops any statement after query_timeout_s: for catalog queries and checks.
  kServer,
  // No server-side limit: a streamed read is bounded per batch by the reader's own watchdog,
  // because the server's timer would count the whole read, including the time the consumer
  // spends between batches.
  kClientWatchdog,
};

class Session {
 public:
  // Connects and sets the session up. Errors: see MapMySqlError (kAuthFailed, kUnavailable,
  // kNotFound for an unknown database, kTlsFailure, ...).
  static base::Result<std::unique_ptr<Session>> Open(const ConnectionSettings& settings,
                                                     StatementTimeout timeout);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one fixed statement through the text protocol and discards any result.
  base::Status RunFixed(FixedSql sql);

  // Prepares `sql` as one server-side statement. kBadQuery when it is empty or the server
  // rejects it (a second statement is a syntax error for the server).
  base::Result<StatementHandle> Prepare(std::string_view sql);

  // Binds `params` (NULL, text or bytes) to `stmt`'s placeholders; they must stay alive until
  // the statement has been executed. kBadQuery when the counts differ.
  base::Status BindParams(MYSQL_STMT* stmt, const std::vector<Value>& params,
                          std::vector<MYSQL_BIND>& binds) const;

  // Runs one of the driver's own queries with text parameters in a read-only transaction and
  // returns every row. For small catalog results only.
  base::Result<std::vector<Row>> QueryAll(FixedSql sql, const std::vector<std::string>& params);

  // The Status for the connection's or a statement's last error.
  base::Status Error(InterruptReason interrupt = InterruptReason::kNone) const;
  base::Status StatementError(MYSQL_STMT* stmt,
                              InterruptReason interrupt = InterruptReason::kNone) const;
  ErrorContext Context(InterruptReason interrupt = InterruptReason::kNone) const;

  MYSQL* raw() const { return connection_.get(); }
  unsigned long thread_id() const { return mysql_thread_id(connection_.get()); }
  bool is_mariadb() const { return is_mariadb_; }
  // "MariaDB" or "MySQL", for messages.
  std::string_view server_name() const { return is_mariadb_ ? kMariaDbName : kMySqlName; }
  const ConnectionSettings& settings() const { return settings_; }

  // Closes the connection without reading what is left of a result; statements of this
  // session become inert (closing them frees memory only).
  void Abandon() { connection_.reset(); }

 private:
  explicit Session(const ConnectionSettings& settings) : settings_(settings) {}
  base::Status SetUp(StatementTimeout timeout);
  // Sets kSessionSqlMode and kSessionCharset, then VerifyLexing.
  base::Status FixLexing();
  // kFailedPrecondition naming the setting when the session's sql_mode or character sets are
  // not the ones FixLexing set.
  base::Status VerifyLexing();

  ConnectionSettings settings_;
  ConnectionHandle connection_;
  bool is_mariadb_ = false;
};

// Opens `START TRANSACTION READ ONLY` on construction (check status()) and ends it with COMMIT
// on Commit() or ROLLBACK on destruction.
class ReadOnlyTransaction {
 public:
  explicit ReadOnlyTransaction(Session& session);
  ~ReadOnlyTransaction();
  ReadOnlyTransaction(const ReadOnlyTransaction&) = delete;
  ReadOnlyTransaction& operator=(const ReadOnlyTransaction&) = delete;

  const base::Status& status() const { return status_; }
  base::Status Commit();

 private:
  Session& session_;
  base::Status status_;
  bool open_ = false;
};

// Opens a short-lived side connection with `settings` and sends `KILL QUERY thread_id`, which
// stops the statement that connection runs (a blocked fetch then fails with error 1317). An
// account may always kill its own threads.
base::Status KillQuery(const ConnectionSettings& settings, unsigned long thread_id);

}  // namespace contactsync::source::mysql
