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

}  // namespace contactsync::store::sqlite::testing
