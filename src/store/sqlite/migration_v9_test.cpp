// Migration 9 (issue 13, history for changes only): a store made by the release before it
// (tests/data/store-v8.db, made by tests/data/make_store_v8.sh: joins to several lists,
// changes, a removal by a sync and a second join, a deleted list) migrates with every
// contact's history as that release showed it (tests/data/store-v8.expected.json), the joins
// of current subscriptions moved into them; and stays so when those subscriptions go later.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/json_codec.h"
#include "base/clock.h"
#include "store/sqlite/migration_test_util.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_test_util.h"

namespace contactsync::store::sqlite {
namespace {

using store::testing::IsOk;
using ::testing::ElementsAre;
using testing::Rows;

class MigrationV9Test : public testing::ReleaseStoreTest {
 protected:
  MigrationV9Test() : ReleaseStoreTest("store-v8") {}

  void SetUp() override {
    ReleaseStoreTest::SetUp();
    for (const nlohmann::json& contact : expected_["contacts"]) {
      histories_[contact["email"].get<std::string>()] = contact["history"];
    }
  }

  Database Raw() { return Open(StorePath()); }

  std::unique_ptr<SqliteStore> Migrate() { return ReleaseStoreTest::Migrate(clock_); }

  // Every contact's history as the interface returns it, in the JSON form the release showed.
  static std::map<std::string, nlohmann::json> Histories(SqliteStore& store) {
    std::map<std::string, nlohmann::json> histories;
    auto page = store.FindContacts(ContactFilter{});
    EXPECT_TRUE(IsOk(page));
    if (!page.ok()) return histories;
    for (const Contact& contact : page->contacts) {
      auto history = store.GetHistory(contact.email);
      EXPECT_TRUE(IsOk(history));
      if (!history.ok()) continue;
      nlohmann::json& entries = histories[contact.email] = nlohmann::json::array();
      for (const HistoryEntry& entry : *history) entries.push_back(app::ToJson(entry));
    }
    return histories;
  }

  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1830000000))};
  std::map<std::string, nlohmann::json> histories_;  // by email, from expected_
};

TEST_F(MigrationV9Test, TheStoreFileIsOneMadeByTheReleaseBefore) {
  Database db = Raw();
  CS_ASSERT_OK_AND_ASSIGN(const int version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, 8);
  // Every join, the joins of the current subscriptions among them, is a history row.
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM subscription_history WHERE from_status IS NULL"),
              ElementsAre("12"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM subscriptions"), ElementsAre("8"));
  EXPECT_EQ(histories_.size(), 6u);
}

TEST_F(MigrationV9Test, EveryHistoryReadsAsTheReleaseShowedIt) {
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const int version, store->SchemaVersion());
  EXPECT_EQ(version, LatestSchemaVersion());  // through 9, and the later ones
  EXPECT_EQ(Histories(*store), histories_);

  // The joins of the 8 subscriptions left the history table for their rows, with their ids
  // and values; the joins of the deleted list and of the removed subscription stayed.
  Database db = Raw();
  EXPECT_THAT(Rows(db, "SELECT id FROM subscription_history ORDER BY id"),
              ElementsAre("1", "3", "6", "7", "9", "10", "11", "14", "15"));
  EXPECT_THAT(
      Rows(db,
           "SELECT contact_id, list_id, joined_entry_id, joined_status, joined_cause, "
           "joined_detail FROM subscriptions ORDER BY joined_entry_id"),
      ElementsAre("1|1|2|unconfirmed|cli|", "1|2|4|active|cli|", "2|2|5|unsubscribed|cli|",
                  "3|1|8|active|cli|", "5|4|12|active|sync_run|1", "6|4|13|active|sync_run|1",
                  "1|4|16|active|sync_run|3", "2|1|17|active|cli|"));
  // New rows never take a reserved id.
  EXPECT_THAT(Rows(db, "SELECT seq FROM sqlite_sequence WHERE name = 'subscription_history'"),
              ElementsAre("17"));
}

// The joins kept in the subscriptions come back into the history, in their place, when the
// subscriptions go: a deleted list, a removal, a join after the migration.
TEST_F(MigrationV9Test, HistoriesStayWhenTheMigratedSubscriptionsGo) {
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->DeleteList("Members")));
  ASSERT_TRUE(IsOk(store->DeleteList("News")));
  EXPECT_EQ(Histories(*store), histories_);

  ContactChange change;
  change.contact.email = "erin@example.com";
  change.list = "Deals";
  change.cause = Cause{model::CauseKind::kApi, "later"};
  ASSERT_TRUE(IsOk(store->SaveContact(change)));
  ASSERT_TRUE(IsOk(store->DeleteList("Deals")));
  nlohmann::json& erin = histories_.at("erin@example.com");
  erin.push_back({{"list", "Deals"},
                  {"from", nullptr},
                  {"to", "active"},
                  {"cause", {{"kind", "api"}, {"detail", "later"}}},
                  {"at", base::FormatIso8601Utc(clock_.Now())}});
  EXPECT_EQ(Histories(*store), histories_);
  Database db = Raw();
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM subscriptions"), ElementsAre("0"));
  EXPECT_THAT(Rows(db, "SELECT max(id) FROM subscription_history"), ElementsAre("18"));
}

// A subscription whose join the history does not hold (a store edited by hand, or made
// before joins were recorded) takes its join from its own status, cause and time, and shows it
// after the entries its contact has.
TEST_F(MigrationV9Test, ASubscriptionWithoutItsJoinTakesItFromItself) {
  {
    Database old = Raw();
    ASSERT_TRUE(IsOk(old.Exec("DELETE FROM subscription_history WHERE id = 4")));  // Ann, Deals
  }
  auto& ann = histories_.at("ann@example.com").get_ref<nlohmann::json::array_t&>();
  std::erase_if(ann, [](const nlohmann::json& entry) {
    return entry["list"] == "Deals" && entry["from"].is_null();
  });
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<HistoryEntry> history,
                          store->GetHistory("ann@example.com"));
  ASSERT_EQ(history.size(), ann.size() + 1);
  for (size_t i = 0; i < ann.size(); ++i) EXPECT_EQ(app::ToJson(history[i]), ann[i]) << i;
  EXPECT_EQ(history.back().list_name, "Deals");
  EXPECT_EQ(history.back().from, std::nullopt);
  EXPECT_EQ(history.back().to, SubscriptionStatus::kActive);
  Database db = Raw();
  EXPECT_THAT(Rows(db,
                   "SELECT joined_entry_id FROM subscriptions WHERE contact_id = 1 AND "
                   "list_id = 2"),
              ElementsAre("18"));
  EXPECT_THAT(Rows(db, "SELECT seq FROM sqlite_sequence WHERE name = 'subscription_history'"),
              ElementsAre("18"));
}

}  // namespace
}  // namespace contactsync::store::sqlite
