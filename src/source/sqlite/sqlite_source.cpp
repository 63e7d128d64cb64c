#include "source/sqlite/sqlite_source.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/text.h"
#include "query/dialect.h"
#include "source/sqlite/dialect.h"
#include "source/sqlite/errors.h"
#include "source/sqlite/handle.h"
#include "source/sqlite/types.h"

namespace contactsync::source::sqlite {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

// SQL functions a query may not call even though SELECT allows functions: they read or write
// files, load code, or hand out raw pointers. Most are absent from a plain libsqlite3, but a
// build with the shell's extensions compiled in would have them.
constexpr std::array<std::string_view, 10> kDeniedFunctions = {
    "load_extension", "readfile", "writefile", "edit",    "fts3_tokenizer",
    "lsdir",          "lsmode",   "eval",      "zipfile", "sqlar_compress",
};

// VM instructions between two progress checks: frequent enough that a timeout or cancel lands
// within milliseconds, rare enough to cost nothing measurable.
constexpr int kProgressInstructions = 1000;

bool IsDeniedFunction(const char* name) {
  if (name == nullptr) return false;
  const std::string lower = base::AsciiLower(name);
  for (std::string_view denied : kDeniedFunctions) {
    if (lower == denied) return true;
  }
  return false;
}

// What the user tried, for "contactsync only reads: <action> is not allowed".
std::string DescribeAction(int action, const char* arg1, const char* arg2) {
  const std::string a1 = arg1 != nullptr ? base::Printable(arg1) : std::string();
  const std::string a2 = arg2 != nullptr ? base::Printable(arg2) : std::string();
  switch (action) {
    case SQLITE_PRAGMA:
      return a2.empty() ? fmt::format("PRAGMA {}", a1) : fmt::format("PRAGMA {}={}", a1, a2);
    case SQLITE_ATTACH:
      return "ATTACH";
    case SQLITE_DETACH:
      return "DETACH";
    case SQLITE_INSERT:
      return fmt::format("INSERT into {}", a1);
    case SQLITE_UPDATE:
      return fmt::format("UPDATE of {}", a1);
    case SQLITE_DELETE:
      return fmt::format("DELETE from {}", a1);
    case SQLITE_TRANSACTION:
      return fmt::format("{} (transaction control)", a1);
    case SQLITE_SAVEPOINT:
      return "SAVEPOINT";
    case SQLITE_FUNCTION:
      return fmt::format("the function {}()", a2);
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
      return "CREATE TABLE";
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
      return "CREATE INDEX";
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
      return "CREATE VIEW";
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
      return "CREATE TRIGGER";
    case SQLITE_CREATE_VTABLE:
      return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_VTABLE:
      return "DROP";
    case SQLITE_ALTER_TABLE:
      return "ALTER TABLE";
    case SQLITE_REINDEX:
      return "REINDEX";
    case SQLITE_ANALYZE:
      return "ANALYZE";
    default:
      return fmt::format("statement action {}", action);
  }
}

// The first `count` words of `sql`, upper-cased ("CREATE TABLE"), to name a refused statement.
std::string Keywords(std::string_view sql, int count) {
  const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  std::string words;
  size_t i = 0;
  for (int n = 0; n < count; ++n) {
    while (i < sql.size() && !is_letter(sql[i])) ++i;
    if (i == sql.size()) break;
    if (!words.empty()) words.push_back(' ');
    for (; i < sql.size() && is_letter(sql[i]); ++i) {
      const char c = sql[i];
      words.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
  }
  return words.empty() ? std::string("this statement") : words;
}

// One read-only sqlite3 connection with its guards. Shared by the connector and its readers;
// never moved, because SQLite's callbacks hold its address.
class Connection {
 public:
  Connection(std::string path, int query_timeout_s)
      : path_(std::move(path)), query_timeout_s_(query_timeout_s) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static Result<std::shared_ptr<Connection>> Open(const ConnectionSettings& settings);

  // While alive, statements on the connection stop at the query timeout (counted from the
  // scope's start) or when `*cancel` becomes true.
  class OperationScope {
   public:
    OperationScope(Connection& connection, const std::atomic<bool>* cancel)
        : connection_(connection) {
      connection_.deadline_ = Clock::now() + std::chrono::seconds(connection_.query_timeout_s_);
      connection_.cancel_ = cancel;
      connection_.interrupt_ = InterruptReason::kNone;
    }
    ~OperationScope() { connection_.cancel_ = nullptr; }
    OperationScope(const OperationScope&) = delete;
    OperationScope& operator=(const OperationScope&) = delete;

   private:
    Connection& connection_;
  };

  // Prepares `sql`, which must be exactly one read-only statement returning columns.
  Result<Statement> PrepareQuery(std::string_view sql);

  // The Status for SQLite result code `code` on this connection.
  Status Error(int code) const {
    return MapSqliteError({.code = code,
                           .message = sqlite3_errmsg(db_.get()),
                           .path = path_,
                           .denied = denied_,
                           .interrupt = interrupt_,
                           .query_timeout_s = query_timeout_s_});
  }

  // The columns of a prepared statement.
  static std::vector<ColumnInfo> Columns(sqlite3_stmt* stmt);

  sqlite3* db() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  static int Authorize(void* self, int action, const char* arg1, const char* arg2,
                       const char* database, const char* trigger_or_view);
  static int Progress(void* self);

  Database db_;
  const std::string path_;
  const int query_timeout_s_;
  std::string denied_;            // the first action the authorizer refused in the last prepare
  std::string_view current_sql_;  // the text being prepared, for the authorizer's messages
  Clock::time_point deadline_ = Clock::time_point::max();
  const std::atomic<bool>* cancel_ = nullptr;
  InterruptReason interrupt_ = InterruptReason::kNone;
};

int Connection::Authorize(void* self, int action, const char* arg1, const char* arg2,
                          const char* /*database*/, const char* /*trigger_or_view*/) {
  auto* connection = static_cast<Connection*>(self);
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      if (!IsDeniedFunction(arg2)) return SQLITE_OK;
      break;
    default:
      break;
  }
  if (connection->denied_.empty()) {
    // DDL is first checked as a write to the schema table; name the statement instead.
    const std::string verb = Keywords(connection->current_sql_, 1);
    const bool ddl = verb == "CREATE" || verb == "DROP" || verb == "ALTER";
    const bool schema_write =
        (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) &&
        arg1 != nullptr && std::string_view(arg1).starts_with("sqlite_");
    connection->denied_ = ddl && schema_write ? Keywords(connection->current_sql_, 2)
                                              : DescribeAction(action, arg1, arg2);
  }
  return SQLITE_DENY;
}

int Connection::Progress(void* self) {
  auto* connection = static_cast<Connection*>(self);
  if (connection->cancel_ != nullptr && connection->cancel_->load(std::memory_order_relaxed)) {
    connection->interrupt_ = InterruptReason::kCancelled;
    return 1;
  }
  if (Clock::now() >= connection->deadline_) {
    connection->interrupt_ = InterruptReason::kTimeout;
    return 1;
  }
  return 0;
}

Result<std::shared_ptr<Connection>> Connection::Open(const ConnectionSettings& settings) {
  const std::string& path = settings.database;
  const std::string shown = base::Printable(path, 200);
  // Checked before SQLite sees the path, because SQLITE_CANTOPEN does not say why.
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return base::NotFound(fmt::format("SQLite file '{}' does not exist; check the path", shown));
    }
    if (errno == EACCES) {
      return base::PermissionDenied(
          fmt::format("cannot read SQLite file '{}': permission denied", shown));
    }
    return base::Unavailable(
        fmt::format("cannot open SQLite file '{}': {}", shown, std::strerror(errno)));
  }
  if (S_ISDIR(info.st_mode)) {
    return base::InvalidArgument(
        fmt::format("'{}' is a directory; give the path of the SQLite file", shown));
  }
  if (access(path.c_str(), R_OK) != 0) {
    return base::PermissionDenied(
        fmt::format("cannot read SQLite file '{}': permission denied", shown));
  }

  auto connection = std::make_shared<Connection>(path, settings.query_timeout_s);
  sqlite3* raw = nullptr;
  const int open_rc =
      sqlite3_open_v2(ReadOnlyFileUri(path).c_str(), &raw,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  connection->db_ = Database(raw);  // owned even on failure: SQLite allocates a handle anyway
  if (open_rc != SQLITE_OK) {
    if (raw == nullptr) return base::Internal("SQLite could not allocate a connection");
    return connection->Error(open_rc);
  }
  sqlite3* db = connection->db();
  sqlite3_extended_result_codes(db, 1);
  // Defence in depth below the authorizer: no writes to the schema even by a bug in our checks,
  // no functions with side effects called from the file's own views and triggers, no
  // extensions, no attached databases, and "x" is always an identifier, never a string: a
  // mistyped column name must fail rather than compare against the literal text.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  // A writer holding the lock is SQLite's form of "the server is slow to answer".
  sqlite3_busy_timeout(db, settings.connect_timeout_s * 1000);

  // Our own statement, run before the authorizer is installed (it would refuse PRAGMA).
  char* message = nullptr;
  const int pragma_rc = sqlite3_exec(db, "PRAGMA query_only=1", nullptr, nullptr, &message);
  sqlite3_free(message);
  if (pragma_rc != SQLITE_OK) return connection->Error(pragma_rc);

  sqlite3_set_authorizer(db, &Connection::Authorize, connection.get());
  sqlite3_progress_handler(db, kProgressInstructions, &Connection::Progress, connection.get());

  // Read the schema now, so that a file that is not a database fails at open, not later.
  {
    OperationScope scope(*connection, nullptr);
    CS_ASSIGN_OR_RETURN(Statement probe,
                        connection->PrepareQuery("SELECT count(*) FROM sqlite_schema"));
    const int rc = sqlite3_step(probe.get());
    if (rc != SQLITE_ROW) return connection->Error(rc);
  }
  return connection;
}

Result<Statement> Connection::PrepareQuery(std::string_view sql) {
  denied_.clear();
  current_sql_ = sql;
  if (sql.size() > static_cast<size_t>(INT_MAX)) {
    return Status(ErrorCode::kBadQuery, "the query is too long");
  }
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db(), sql.data(), static_cast<int>(sql.size()), 0, &raw, &tail);
  Statement stmt(raw);
  current_sql_ = {};
  // Some refusals (functions) surface as SQLITE_ERROR; a recorded denial says what happened.
  if (rc != SQLITE_OK) return Error(denied_.empty() ? rc : SQLITE_AUTH);
  if (!stmt) return Status(ErrorCode::kBadQuery, "the query is empty; write one SELECT statement");
  const size_t used = tail != nullptr ? static_cast<size_t>(tail - sql.data()) : sql.size();
  if (!IsEmptyTail(sql.substr(used))) {
    return Status(ErrorCode::kBadQuery,
                  "only one statement is allowed; remove everything after the first statement");
  }
  // VACUUM (INTO) has no authorizer action, so this is the layer that refuses it. A statement
  // without result columns is never a SELECT (REINDEX with nothing to do passes the authorizer).
  if (sqlite3_stmt_readonly(stmt.get()) == 0 || sqlite3_column_count(stmt.get()) == 0) {
    return MapSqliteError({.code = SQLITE_AUTH, .path = path_, .denied = Keywords(sql, 1)});
  }
  return stmt;
}

std::vector<ColumnInfo> Connection::Columns(sqlite3_stmt* stmt) {
  std::vector<ColumnInfo> columns;
  const int count = sqlite3_column_count(stmt);
  columns.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    ColumnInfo column;
    const char* name = sqlite3_column_name(stmt, i);
    const char* declared = sqlite3_column_decltype(stmt, i);
    column.name = name != nullptr ? name : "";
    column.declared_type = declared != nullptr ? declared : "";
    column.kind = KindFromDeclaredType(column.declared_type);
    columns.push_back(std::move(column));
  }
  return columns;
}

class SqliteRowReader final : public RowReader {
 public:
  SqliteRowReader(std::shared_ptr<Connection> connection, Statement stmt,
                  const ReadOptions& options)
      : connection_(std::move(connection)),
        stmt_(std::move(stmt)),
        columns_(Connection::Columns(stmt_.get())),
        options_(options) {}

  const std::vector<ColumnInfo>& columns() const override { return columns_; }

  Result<ReadState> ReadBatch(Batch& batch) override {
    batch.Clear();
    if (!error_.ok()) return error_;
    if (finished_) return ReadState::kFinished;
    if (cancel_.load(std::memory_order_relaxed)) return Fail(cancelled());

    Connection::OperationScope scope(*connection_, &cancel_);
    const int column_count = static_cast<int>(columns_.size());
    while (true) {
      const int rc = sqlite3_step(stmt_.get());
      if (rc == SQLITE_DONE) {
        finished_ = true;
        stmt_.Reset();  // releases the read lock now rather than when the reader dies
        return ReadState::kFinished;
      }
      if (rc != SQLITE_ROW) return Fail(connection_->Error(rc));
      Row row;
      row.reserve(columns_.size());
      for (int i = 0; i < column_count; ++i) {
        row.push_back(ReadCell(stmt_.get(), i));
        batch.bytes += row.back().ByteCost();
      }
      batch.rows.push_back(std::move(row));
      if (batch.rows.size() >= options_.max_rows || batch.bytes >= options_.max_bytes) {
        return ReadState::kMore;
      }
      // Rows may come faster than the progress handler's interval; a cancel must still land.
      if (cancel_.load(std::memory_order_relaxed)) return Fail(cancelled());
    }
  }

  void Cancel() override { cancel_.store(true, std::memory_order_relaxed); }

 private:
  static Status cancelled() { return Status(ErrorCode::kCancelled, "the read was cancelled"); }

  Status Fail(Status status) {
    error_ = std::move(status);
    stmt_.Reset();
    return error_;
  }

  // Declared before stmt_: the statement must be finalized before the connection may close.
  std::shared_ptr<Connection> connection_;
  Statement stmt_;
  std::vector<ColumnInfo> columns_;
  ReadOptions options_;
  std::atomic<bool> cancel_{false};
  bool finished_ = false;
  Status error_;
};

class SqliteSource final : public SourceConnector {
 public:
  explicit SqliteSource(std::shared_ptr<Connection> connection)
      : connection_(std::move(connection)) {}

  Result<SourceInfo> Check() override {
    Connection::OperationScope scope(*connection_, nullptr);
    CS_ASSIGN_OR_RETURN(Statement stmt,
                        connection_->PrepareQuery("SELECT count(*) FROM sqlite_schema"));
    const int rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW) return connection_->Error(rc);
    SourceInfo info;
    info.server_version = fmt::format("SQLite {}", sqlite3_libversion());
    info.database = connection_->path();
    // Opened read-only, so the connection cannot write whatever the file permissions are.
    info.can_write = sqlite3_db_readonly(connection_->db(), "main") == 0;
    if (info.can_write) info.warning = "the SQLite file was opened writable; this is a bug";
    // No accounts and no rights beyond the file: it is opened read-only, and the authorizer
    // refuses ATTACH, PRAGMA writes and every other action a query could take beyond reading.
    info.privileged = false;
    return info;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    Connection::OperationScope scope(*connection_, nullptr);
    // sqlite_% names are SQLite's own (sqlite_sequence, sqlite_stat1).
    CS_ASSIGN_OR_RETURN(Statement stmt,
                        connection_->PrepareQuery("SELECT name, type FROM sqlite_schema "
                                                  "WHERE type IN ('table', 'view') "
                                                  "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                                  "ORDER BY name"));
    std::vector<TableInfo> tables;
    while (true) {
      const int rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return connection_->Error(rc);
      TableInfo table;
      table.name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
      const std::string_view type =
          reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 1));
      table.kind = type == "view" ? TableKind::kView : TableKind::kTable;
      tables.push_back(std::move(table));
    }
    return tables;
  }

  Result<std::vector<ColumnInfo>> DescribeTable(std::string_view schema,
                                                std::string_view name) override {
    if (!schema.empty() && schema != "main") {
      return base::NotFound(fmt::format("SQLite has no schema '{}'; leave the schema empty",
                                        base::Printable(schema)));
    }
    Connection::OperationScope scope(*connection_, nullptr);
    {
      CS_ASSIGN_OR_RETURN(Statement exists, connection_->PrepareQuery(
                                                "SELECT 1 FROM sqlite_schema "
                                                "WHERE type IN ('table', 'view') AND name = ?1"));
      sqlite3_bind_text(exists.get(), 1, name.data(), static_cast<int>(name.size()),
                        SQLITE_TRANSIENT);
      const int rc = sqlite3_step(exists.get());
      if (rc == SQLITE_DONE) {
        return base::NotFound(
            fmt::format("table or view '{}' does not exist", base::Printable(name)));
      }
      if (rc != SQLITE_ROW) return connection_->Error(rc);
    }
    CS_ASSIGN_OR_RETURN(const std::string quoted,
                        query::QuoteIdentifier(query::Dialect::kSqlite, name));
    CS_ASSIGN_OR_RETURN(Statement stmt, connection_->PrepareQuery("SELECT * FROM " + quoted));
    std::vector<ColumnInfo> columns = Connection::Columns(stmt.get());
    const std::string table(name);
    for (ColumnInfo& column : columns) {
      // Views have no NOT NULL constraints; the call fails for them and they stay nullable.
      int not_null = 0;
      if (sqlite3_table_column_metadata(connection_->db(), "main", table.c_str(),
                                        column.name.c_str(), nullptr, nullptr, &not_null, nullptr,
                                        nullptr) == SQLITE_OK) {
        column.nullable = not_null == 0;
      }
    }
    return columns;
  }

  Result<std::vector<ColumnInfo>> DescribeQuery(std::string_view sql) override {
    CS_ASSIGN_OR_RETURN(Statement stmt, connection_->PrepareQuery(sql));
    return Connection::Columns(stmt.get());
  }

  Result<std::unique_ptr<RowReader>> OpenReader(std::string_view sql,
                                                const std::vector<Value>& params,
                                                const ReadOptions& options) override {
    if (options.max_rows == 0 || options.max_bytes == 0) {
      return base::InvalidArgument("read options: max_rows and max_bytes must be positive");
    }
    CS_ASSIGN_OR_RETURN(Statement stmt, connection_->PrepareQuery(sql));
    const int expected = sqlite3_bind_parameter_count(stmt.get());
    if (static_cast<size_t>(expected) != params.size()) {
      return Status(ErrorCode::kBadQuery,
                    fmt::format("the query has {} parameters but {} values were given", expected,
                                params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& value = params[i];
      const int index = static_cast<int>(i) + 1;
      const int size = static_cast<int>(value.bytes().size());
      int rc = SQLITE_OK;
      switch (value.state()) {
        case Value::State::kNull:
          rc = sqlite3_bind_null(stmt.get(), index);
          break;
        case Value::State::kText:
        case Value::State::kBadText:
          rc = sqlite3_bind_text(stmt.get(), index, value.bytes().data(), size, SQLITE_TRANSIENT);
          break;
        case Value::State::kBinary:
          rc = sqlite3_bind_blob(stmt.get(), index, value.bytes().data(), size, SQLITE_TRANSIENT);
          break;
      }
      if (rc != SQLITE_OK) return connection_->Error(rc);
    }
    return std::unique_ptr<RowReader>(
        std::make_unique<SqliteRowReader>(connection_, std::move(stmt), options));
  }

 private:
  std::shared_ptr<Connection> connection_;
};

}  // namespace

Result<std::unique_ptr<SourceConnector>> OpenSqliteSource(const ConnectionSettings& settings) {
  if (settings.type != SourceType::kSqlite) {
    return base::InvalidArgument("OpenSqliteSource needs a connection of type sqlite");
  }
  CS_RETURN_IF_ERROR(Validate(settings));
  CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, Connection::Open(settings));
  return std::unique_ptr<SourceConnector>(std::make_unique<SqliteSource>(std::move(connection)));
}

}  // namespace contactsync::source::sqlite
