#pragma once

// Test support: SQLite stores on fresh files, for the conformance suites and
// the SQLite-specific store tests. Test-only.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"

namespace contactsync::store::sqlite::testing {

// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cs-store-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `Backend` (SqliteStore, SqliteAccountStore) on a fresh file, as its `Interface`, for a
// conformance suite's factory. The directories live as long as the test binary (stores are
// closed before it exits).
template <typename Backend, typename Interface>
std::unique_ptr<Interface> OpenOnTempFile(const base::Clock& clock) {
  static std::vector<std::unique_ptr<TempDir>> dirs;  // removed at exit
  dirs.push_back(std::make_unique<TempDir>());
  auto store = Backend::Open((dirs.back()->path() / "store.db").string(), 5000, clock);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

inline std::unique_ptr<Store> MakeTempSqliteStore(const base::Clock& clock) {
  return OpenOnTempFile<SqliteStore, Store>(clock);
}

// The rows of `sql` on a raw connection, as "a|b|c" lines (NULL for a null).
inline std::vector<std::string> Rows(Database& db, const std::string& sql) {
  std::vector<std::string> rows;
  auto statement = db.Prepare(sql);
  EXPECT_TRUE(statement.ok()) << sql << ": " << statement.status().ToString();
  if (!statement.ok()) return rows;
  while (true) {
    auto more = statement->Step();
    EXPECT_TRUE(more.ok()) << sql << ": " << more.status().ToString();
    if (!more.ok() || !*more) return rows;
    std::string line;
    for (int i = 0; i < statement->ColumnCount(); ++i) {
      if (i > 0) line += '|';
      line += statement->ColumnIsNull(i) ? "NULL" : statement->ColumnText(i);
    }
    rows.push_back(line);
  }
}

// Rows of a store made before a migration that made times integers
// ("id|..|2026-12-07T13:23:55Z|.."), with the ISO times of `columns` (0-based) as the milliseconds
// the migration must have made of them, and an empty time (one that had not happened) as NULL.
inline std::vector<std::string> WithMillis(const std::vector<std::string>& rows,
                                           const std::vector<size_t>& columns) {
  std::vector<std::string> out;
  for (const std::string& row : rows) {
    std::vector<std::string> cells;
    std::stringstream split(row);
    for (std::string cell; std::getline(split, cell, '|');) cells.push_back(cell);
    if (!row.empty() && row.back() == '|') cells.emplace_back();
    for (const size_t column : columns) {
      if (cells.at(column).empty()) {
        cells[column] = "NULL";
        continue;
      }
      const base::Result<int64_t> ms = base::ParseIso8601Utc(cells[column]);
      EXPECT_TRUE(ms.ok()) << row;
      if (ms.ok()) cells[column] = std::to_string(*ms);
    }
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) line += (i > 0 ? "|" : "") + cells[i];
    out.push_back(line);
  }
  return out;
}

// The schema as SQLite keeps it, with runs of white space and identifier quotes folded (a
// renamed table's CREATE statement names it in quotes): a migrated store's must equal a fresh
// one's.
inline std::vector<std::string> Schema(Database& db) {
  std::vector<std::string> schema;
  for (const std::string& row :
       Rows(db,
            "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM "
            "sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")) {
    std::string folded;
    for (const char c : row) {
      if (c == '"') continue;
      const bool space = c == ' ' || c == '\n' || c == '\t';
      if (space && (folded.empty() || folded.back() == ' ')) continue;
      folded += space ? ' ' : c;
    }
    schema.push_back(folded);
  }
  return schema;
}

}  // namespace contactsync::store::sqlite::testing
