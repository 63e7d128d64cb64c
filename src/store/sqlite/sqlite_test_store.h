#pragma once

// Test support: SQLite stores on fresh files, for the conformance suites and
// the SQLite-specific store tests. Test-only.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

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

// A store on a fresh file, for a conformance suite's factory. The directories
// live as long as the test binary (stores are closed before it exits).
inline std::unique_ptr<Store> MakeTempSqliteStore(const base::Clock& clock) {
  static std::vector<std::unique_ptr<TempDir>> dirs;  // removed at exit
  dirs.push_back(std::make_unique<TempDir>());
  auto store = SqliteStore::Open((dirs.back()->path() / "store.db").string(), 5000, clock);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
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

}  // namespace contactsync::store::sqlite::testing
