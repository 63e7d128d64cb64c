#pragma once

// Owners of the sqlite3 C handles. Nothing outside source/sqlite sees a raw sqlite3* or
// sqlite3_stmt*; these types close and finalize them exactly once.
//
// Thread safety: none; a Database and its Statements belong to one thread at a time.

#include <sqlite3.h>

#include <utility>

namespace contactsync::source::sqlite {

// Owns a sqlite3 connection. Move-only.
class Database {
 public:
  Database() = default;
  explicit Database(sqlite3* db) : db_(db) {}
  ~Database() { Reset(); }

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Database& operator=(Database&& other) noexcept {
    if (this != &other) {
      Reset();
      db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
  }

  sqlite3* get() const { return db_; }
  explicit operator bool() const { return db_ != nullptr; }

  // Closes the connection. sqlite3_close_v2 defers the close until the last statement is
  // finalized, so the order in which owners die does not matter.
  void Reset() {
    if (db_ != nullptr) sqlite3_close_v2(std::exchange(db_, nullptr));
  }

 private:
  sqlite3* db_ = nullptr;
};

// Owns a prepared statement. Move-only.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { Reset(); }

  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      Reset();
      stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
  }

  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

  void Reset() {
    if (stmt_ != nullptr) sqlite3_finalize(std::exchange(stmt_, nullptr));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace contactsync::source::sqlite
