// The sync-storage conformance suite (sync_store_conformance.h) on SQLite.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/sync_store_conformance.h"

namespace contactsync::store::sqlite {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cs-store-sync-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::unique_ptr<ContactStore> MakeStore(const base::Clock& clock) {
  static std::vector<std::unique_ptr<TempDir>> dirs;  // removed at exit
  dirs.push_back(std::make_unique<TempDir>());
  auto store = SqliteContactStore::Open((dirs.back()->path() / "store.db").string(), 5000, clock);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

}  // namespace

using store::testing::SyncStoreConformance;
using store::testing::SyncStoreFactory;
INSTANTIATE_TEST_SUITE_P(Sqlite, SyncStoreConformance,
                         ::testing::Values(SyncStoreFactory{"sqlite", MakeStore}),
                         store::testing::SyncStoreFactoryName);

}  // namespace contactsync::store::sqlite
