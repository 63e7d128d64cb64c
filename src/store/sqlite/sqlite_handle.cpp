#include "store/sqlite/sqlite_handle.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

#include <fmt/format.h>

namespace contactsync::store::sqlite {

base::Status SqliteError(int code, std::string_view detail, std::string_view path) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return base::Unavailable(fmt::format(
          "the store {} is busy: another contactsync process is writing; try again", path));
    case SQLITE_NOTADB:
      return base::InvalidArgument(
          fmt::format("{} is not a contactsync store: it is not a SQLite database", path));
    case SQLITE_CORRUPT:
      return base::Internal(
          fmt::format("the store {} is damaged ({}); restore it from a backup", path, detail));
    case SQLITE_CANTOPEN:
      return base::InvalidArgument(fmt::format("cannot open the store {}: {}", path, detail));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return base::PermissionDenied(fmt::format("cannot write to the store {}: {}", path, detail));
    case SQLITE_FULL:
      return base::Unavailable(fmt::format("the disk holding the store {} is full", path));
    case SQLITE_IOERR:
      return base::Unavailable(fmt::format("I/O error on the store {}: {}", path, detail));
    case SQLITE_TOOBIG:
      return base::InvalidArgument(fmt::format("a value is too large for the store {}", path));
    case SQLITE_INTERRUPT:
      return base::Status(base::ErrorCode::kCancelled,
                          fmt::format("an operation on the store {} was interrupted", path));
    case SQLITE_CONSTRAINT:
      // The store checks uniqueness itself inside the write transaction, so
      // this only fires when a rule was missed; still the right code.
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return base::AlreadyExists(fmt::format("already exists ({})", detail));
      }
      break;
    default:
      break;
  }
  return base::Internal(
      fmt::format("SQLite error on the store {}: {} (code {})", path, detail, code));
}

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db, std::string path)
    : stmt_(stmt), db_(db), path_(std::move(path)) {}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    bind_error_ = other.bind_error_;
  }
  return *this;
}

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  // data() of an empty view may be null, which SQLite would bind as NULL.
  static constexpr char kEmpty[] = "";
  NoteBind(sqlite3_bind_text64(stmt_, index, value.empty() ? kEmpty : value.data(), value.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob, not NULL, for empty input (see Bind above).
  static constexpr char kEmpty[] = "";
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? kEmpty : bytes.data(), bytes.size(),
                               SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

base::Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) return SqliteError(bind_error_, sqlite3_errstr(bind_error_), path_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), path_);
}

base::Status Statement::Run() {
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) return base::Status::Ok();
  }
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const { return std::string(ColumnTextView(column)); }

std::string_view Statement::ColumnTextView(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  // Byte length, not strlen: values are stored byte-exact.
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::string Statement::ColumnBlob(int column) const {
  const void* bytes = sqlite3_column_blob(stmt_, column);
  if (bytes == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = SQLITE_OK;
}

// SQLite counts every allocation under one process-wide mutex unless told not
// to (SQLITE_CONFIG_MEMSTATUS): a lock and an unlock per malloc were 8% of a
// fresh sync's time (perf, issue 13). Nothing here reads those counters. The
// setting must come before SQLite initialises; when another part of the
// process (a SQLite source) opened a database first, SQLite refuses it and
// the counters stay on, which costs speed only.
namespace {
void TurnOffMemoryStatistics() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}
}  // namespace

base::Result<Database> Database::Open(const std::string& path, int busy_timeout_ms) {
  TurnOffMemoryStatistics();
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // SQLite hands back a handle even when opening fails; owning it at once
  // frees it on every path.
  Database db(raw, path);
  if (raw == nullptr) return base::Internal("SQLite could not allocate a connection");
  if (rc != SQLITE_OK) return SqliteError(rc, sqlite3_errmsg(raw), path);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // Refuse the features that let SQL text corrupt the file (writable_schema
  // and friends); contactsync never needs them.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return db;
}

Database::~Database() { Close(); }

void Database::Close() {
  cache_.clear();  // statements must be finalised before the connection
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

base::Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return base::Status::Ok();
  const std::string detail = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return SqliteError(sqlite3_extended_errcode(db_), detail, path_);
}

base::Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  Statement statement(raw, db_, path_);
  if (rc != SQLITE_OK) return SqliteError(rc, sqlite3_errmsg(db_), path_);
  if (raw == nullptr) return base::Internal("empty SQL statement");
  // One statement per call: a second one hidden in the text would run
  // unchecked. Only white space and ';' may follow.
  for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
      return base::Internal("more than one SQL statement in one prepare");
    }
  }
  return statement;
}

base::Result<CachedStatement> Database::Cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    CS_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(std::move(statement))).first;
  } else {
    it->second->Reset();
  }
  return CachedStatement(it->second.get());
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace contactsync::store::sqlite
