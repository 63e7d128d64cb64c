#pragma once

// Test support for the migration tests: a store file made by an older release (tests/data/),
// copied for a test to migrate, with what that release showed of it, and the same views made
// from the migrated store by the faces' JSON functions (app/). Test-only.

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/json_codec.h"
#include "app/mail_setup.h"
#include "app/sync_runs.h"
#include "base/clock.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_test_util.h"

namespace contactsync::store::sqlite::testing {

inline const std::filesystem::path kReleaseData =
    std::filesystem::path(CONTACTSYNC_SOURCE_DIR) / "tests/data";

inline std::string ReadDataFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file) << path;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// tests/data/<release>.db copied into a fresh directory (writable), and
// tests/data/<release>.expected.json in expected_.
class ReleaseStoreTest : public ::testing::Test {
 protected:
  explicit ReleaseStoreTest(std::string release) : release_(std::move(release)) {}

  void SetUp() override {
    std::filesystem::copy_file(kReleaseData / (release_ + ".db"), StorePath());
    std::filesystem::permissions(
        StorePath(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    expected_ = nlohmann::json::parse(ReadDataFile(kReleaseData / (release_ + ".expected.json")));
  }

  std::string StorePath() const { return (dir_.path() / "contactsync.db").string(); }

  static Database Open(const std::string& path) {
    auto db = Database::Open(path, 5000);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }

  // Opens the copy with this build, which applies the newer migrations.
  std::unique_ptr<SqliteStore> Migrate(const base::Clock& clock) {
    auto store = SqliteStore::Open(StorePath(), 5000, clock);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  const std::string release_;
  TempDir dir_;
  nlohmann::json expected_;
};

// What `list ls`, `exclusion ls`, `mail ls`, `autoresponder ls` and `sync runs` show of a
// store, as --json; null when the store fails (the failure is reported).
template <typename T, typename Show>
nlohmann::json Shown(const base::Result<std::vector<T>>& items, Show show) {
  EXPECT_TRUE(items.ok()) << items.status().ToString();
  if (!items.ok()) return nullptr;
  nlohmann::json shown = nlohmann::json::array();
  for (const T& item : *items) shown.push_back(show(item));
  return shown;
}

inline nlohmann::json ShownLists(SqliteStore& store) {
  return Shown(store.GetLists(), [](const ListInfo& list) { return app::ToJson(list); });
}

inline nlohmann::json ShownExclusions(SqliteStore& store) {
  return Shown(store.GetExclusions(std::nullopt),
               [](const Exclusion& exclusion) { return app::ToJson(exclusion); });
}

inline nlohmann::json ShownAutoresponders(SqliteStore& store) {
  return Shown(store.GetAutoresponders(std::nullopt),
               [](const Autoresponder& autoresponder) { return app::ToJson(autoresponder); });
}

inline nlohmann::json ShownRuns(SqliteStore& store, const std::string& sync) {
  return Shown(store.GetRuns(sync), [](const RunRecord& run) { return app::RunToJson(run); });
}

inline nlohmann::json ShownOutbox(SqliteStore& store) {
  OutboxFilter filter;
  filter.limit = 50;
  const base::Result<OutboxPage> outbox = store.GetOutbox(filter);
  EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
  if (!outbox.ok()) return nullptr;
  nlohmann::json items = nlohmann::json::array();
  for (const OutboxMessage& message : outbox->messages) items.push_back(app::ToJson(message));
  return {{"items", items}, {"total", outbox->total}, {"counts", outbox->counts}};
}

}  // namespace contactsync::store::sqlite::testing
