#pragma once

// Move-only owners of SQLite's C handles (sqlite3*, sqlite3_stmt*) and the one
// function that turns SQLite result codes into base::Status. No raw handle
// leaves src/store/sqlite/.
//
// Thread safety: a Database and its Statements belong to one thread at a time
// (the connection is opened with SQLITE_OPEN_NOMUTEX).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace contactsync::store::sqlite {

// The Status for SQLite (extended) result `code`. `detail` is SQLite's own
// message (sqlite3_errmsg) and `path` the store file, which every message
// names. Busy and locked become kUnavailable (retryable); "not a database"
// becomes kInvalidArgument; a UNIQUE/PRIMARY KEY violation kAlreadyExists;
// read-only files kPermissionDenied; anything unexpected kInternal.
base::Status SqliteError(int code, std::string_view detail, std::string_view path);

// One prepared statement. Parameters are 1-based, columns 0-based. A bind
// failure is remembered and reported by the next Step()/Run(), so call sites
// can chain binds without checking each one.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);      // copied by SQLite
  Statement& BindBlob(int index, std::string_view bytes);  // copied by SQLite
  Statement& BindNull(int index);

  // True when a row is ready to read, false when the statement is done.
  base::Result<bool> Step();
  // Steps to the end, ignoring any rows.
  base::Status Run();

  int ColumnCount() const;
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;  // "" for NULL
  // The same bytes without a copy; valid until the next Step() or Reset().
  std::string_view ColumnTextView(int column) const;
  std::string ColumnBlob(int column) const;  // "" for NULL
  bool ColumnIsNull(int column) const;

  // Ready to run again: resets the program, clears bindings and the
  // remembered bind error. Releases the read snapshot a half-read statement
  // holds, which matters in WAL mode (a stale snapshot makes the next
  // BEGIN IMMEDIATE fail with SQLITE_BUSY_SNAPSHOT).
  void Reset();

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db, std::string path);
  void NoteBind(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;  // not owned; for error messages
  std::string path_;
  int bind_error_ = 0;
};

// A statement borrowed from a Database's cache; resets it when dropped so
// that no statement keeps a read snapshot open. Must not outlive the
// Database. Borrowing the same SQL twice at once is a bug (the second borrow
// resets the first).
class CachedStatement {
 public:
  explicit CachedStatement(Statement* statement) : statement_(statement) {}
  ~CachedStatement() {
    if (statement_ != nullptr) statement_->Reset();
  }
  CachedStatement(CachedStatement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  CachedStatement& operator=(CachedStatement&&) = delete;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

// One connection to one database file.
class Database {
 public:
  // Opens `path` read-write, creating the file when absent (not its
  // directory). Writers wait up to `busy_timeout_ms` for another
  // connection's lock before failing with kUnavailable.
  static base::Result<Database> Open(const std::string& path, int busy_timeout_ms);

  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }

  // Runs SQL text without parameters (schema scripts, PRAGMAs, BEGIN/COMMIT).
  // Never pass text that holds user input.
  base::Status Exec(std::string_view sql);

  // Prepares exactly one statement (a non-empty tail is refused).
  base::Result<Statement> Prepare(std::string_view sql);

  // A statement prepared once per connection and reused (keyed by its text).
  base::Result<CachedStatement> Cached(std::string_view sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;  // rows changed by the latest INSERT/UPDATE/DELETE
  bool InTransaction() const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void Close();

  sqlite3* db_ = nullptr;
  std::string path_;
  // Looked up by string_view without building a std::string: the sync
  // writer borrows several statements per row (issue 7).
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const noexcept {
      return std::hash<std::string_view>{}(sql);
    }
  };
  // unique_ptr keeps borrowed Statement pointers stable whatever the map does.
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
};

}  // namespace contactsync::store::sqlite
