// Migration 11 (issue 13, integer times everywhere): a store made by the release before it
// (tests/data/store-v10.db, made by tests/data/make_store_v10.sh: lists, a field, exclusions, a
// user, mail settings, an autoresponder, a sent confirmation and a queued autoresponder, a
// connection, a sync and two runs) migrates with every time the release showed
// (tests/data/store-v10.expected.json) shown the same, kept to the millisecond as an integer,
// a time that had not happened (a message never sent, a token never used) as NULL; and the
// times still order and compare: the queued message is claimed when due, not before.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "store/sqlite/migration_test_util.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_test_util.h"

namespace contactsync::store::sqlite {
namespace {

using store::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Rows;
using testing::Schema;
using testing::ShownAutoresponders;
using testing::ShownExclusions;
using testing::ShownLists;
using testing::ShownOutbox;
using testing::ShownRuns;
using testing::WithMillis;

// Every time column of the tables migration 11 converts, as "SELECT key, time, ..." with the
// positions of the times.
struct TimeColumns {
  std::string sql;
  std::vector<size_t> times;
};
const std::vector<TimeColumns> kTimeColumns = {
    {"SELECT id, created_at FROM lists ORDER BY id", {1}},
    {"SELECT id, created_at FROM custom_fields ORDER BY id", {1}},
    {"SELECT id, created_at FROM exclusions ORDER BY id", {1}},
    {"SELECT id, created_at, updated_at FROM connections ORDER BY id", {1, 2}},
    {"SELECT id, created_at, updated_at FROM syncs ORDER BY id", {1, 2}},
    {"SELECT id, started_at, finished_at FROM sync_runs ORDER BY id", {1, 2}},
    {"SELECT id, updated_at FROM mail_settings", {1}},
    {"SELECT id, created_at FROM mail_autoresponders ORDER BY id", {1}},
    {"SELECT id, next_attempt_at, claimed_at, sent_at, created_at, updated_at FROM mail_outbox "
     "ORDER BY id",
     {1, 2, 3, 4, 5}},
    {"SELECT id, created_at FROM users ORDER BY id", {1}},
    {"SELECT id, created_at, last_used_at FROM api_tokens ORDER BY id", {1, 2}},
};

class MigrationV11Test : public testing::ReleaseStoreTest {
 protected:
  MigrationV11Test() : ReleaseStoreTest("store-v10") {}

  void SetUp() override {
    ReleaseStoreTest::SetUp();
    // API tokens are made through the HTTP API only; two rows as that release wrote them, one
    // never used ('') and one used.
    Database old = Open(StorePath());
    ASSERT_TRUE(IsOk(
        old.Exec("INSERT INTO api_tokens (user_id, name, token_hash, created_at, last_used_at) "
                 "VALUES (1, 'backup', 'h1', '2026-12-07T21:57:40Z', ''), "
                 "(1, 'crm', 'h2', '2026-12-07T21:57:41Z', '2026-12-07T21:58:02Z')")));
  }

  std::unique_ptr<SqliteStore> Migrate() { return ReleaseStoreTest::Migrate(clock_); }

  // The release made the store at 2026-12-07T21:57:20Z..21:57:33Z; the test runs a minute later.
  base::FakeClock clock_{base::TimePoint(
      std::chrono::milliseconds(base::ParseIso8601Utc("2026-12-07T21:58:30Z").value()))};
};

TEST_F(MigrationV11Test, TheStoreFileIsOneMadeByTheReleaseBefore) {
  Database db = Open(StorePath());
  CS_ASSERT_OK_AND_ASSIGN(const int version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, 10);
  EXPECT_THAT(Rows(db, "SELECT DISTINCT typeof(created_at) FROM lists"), ElementsAre("text"));
  EXPECT_THAT(Rows(db, "SELECT state, sent_at = '' FROM mail_outbox ORDER BY id"),
              ElementsAre("sent|0", "queued|1"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM sync_runs"), ElementsAre("2"));
}

TEST_F(MigrationV11Test, EveryTimeIsKeptToTheMillisecondAndAnUnreachedOneIsNull) {
  std::vector<std::vector<std::string>> want;
  {
    Database old = Open(StorePath());
    for (const TimeColumns& table : kTimeColumns) {
      want.push_back(WithMillis(Rows(old, table.sql), table.times));
      EXPECT_THAT(want.back(), ::testing::Not(IsEmpty())) << table.sql;
    }
  }
  ASSERT_NE(Migrate(), nullptr);
  Database db = Open(StorePath());
  for (size_t i = 0; i < kTimeColumns.size(); ++i) {
    EXPECT_EQ(Rows(db, kTimeColumns[i].sql), want[i]) << kTimeColumns[i].sql;
  }
  EXPECT_THAT(Rows(db, "SELECT sent_at, claimed_at FROM mail_outbox WHERE state = 'queued'"),
              ElementsAre("NULL|NULL"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM api_tokens WHERE last_used_at IS NULL"),
              ElementsAre("1"));
  // No text time is left in any table (schema_migrations keeps its own: see migrations.cpp).
  for (const char* table : {"lists", "custom_fields", "exclusions", "connections", "syncs",
                            "mail_settings", "mail_autoresponders", "users"}) {
    const std::string time = std::string(table) == "mail_settings" ? "updated_at" : "created_at";
    EXPECT_THAT(Rows(db, "SELECT count(*) FROM " + std::string(table) + " WHERE typeof(" + time +
                             ") <> 'integer'"),
                ElementsAre("0"))
        << table;
  }
}

TEST_F(MigrationV11Test, EverythingTheReleaseShowedReadsTheSame) {
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const int version, store->SchemaVersion());
  EXPECT_EQ(version, LatestSchemaVersion());

  EXPECT_EQ(ShownLists(*store), expected_["lists"]);
  EXPECT_EQ(ShownExclusions(*store), expected_["exclusions"]);
  EXPECT_EQ(ShownRuns(*store, "Shop"), expected_["runs"]);
  EXPECT_EQ(ShownOutbox(*store), expected_["outbox"]);
  EXPECT_EQ(ShownAutoresponders(*store), expected_["autoresponders"]);

  // The records the CLI shows in forms of its own: their times, one by one.
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<ConnectionRecord> connections, store->GetConnections());
  ASSERT_EQ(connections.size(), 1u);
  EXPECT_EQ(connections[0].created_at, expected_["connections"][0]["created_at"]);
  EXPECT_EQ(connections[0].updated_at, expected_["connections"][0]["updated_at"]);
  CS_ASSERT_OK_AND_ASSIGN(const SyncRecord sync, store->GetSync("Shop"));
  EXPECT_EQ(sync.created_at, expected_["syncs"][0]["created_at"]);
  EXPECT_EQ(sync.updated_at, expected_["syncs"][0]["updated_at"]);
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<MailSettingsRecord> mail, store->GetMailSettings());
  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->updated_at, expected_["mail"]["updated_at"]);

  store.reset();
  auto accounts = SqliteAccountStore::Open(StorePath(), 5000, clock_);
  ASSERT_TRUE(IsOk(accounts));
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<User> users, (*accounts)->GetUsers());
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].created_at, expected_["users"][0]["created_at"]);
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<ApiToken> tokens, (*accounts)->GetApiTokens(1));
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].created_at, "2026-12-07T21:57:40Z");
  EXPECT_EQ(tokens[0].last_used_at, "");
  EXPECT_EQ(tokens[1].last_used_at, "2026-12-07T21:58:02Z");
}

// The outbox's times still compare: the autoresponder queued an hour after Bob joined is due
// then, not a minute after; the hourly cap counts the sent confirmation.
TEST_F(MigrationV11Test, TheQueuedMessageIsClaimedWhenDueAndTheSentOneCounted) {
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  const std::string due = expected_["outbox"]["items"][0]["next_attempt_at"];
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<std::string> next, store->NextDueTime());
  EXPECT_EQ(next, due);
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<ClaimedMessage> early, store->ClaimNextMessage());
  EXPECT_FALSE(early.has_value());
  CS_ASSERT_OK_AND_ASSIGN(const int64_t sent,
                          store->CountMessagesSentSince("2026-12-07T21:57:00Z"));
  EXPECT_EQ(sent, 1);
  CS_ASSERT_OK_AND_ASSIGN(const int64_t sent_later,
                          store->CountMessagesSentSince("2026-12-07T21:58:00Z"));
  EXPECT_EQ(sent_later, 0);

  clock_.Advance(std::chrono::milliseconds(base::ParseIso8601Utc(due).value() -
                                           base::UnixMillis(clock_.Now())));
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<ClaimedMessage> claimed, store->ClaimNextMessage());
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->message.email, "bob@example.com");
  EXPECT_EQ(claimed->message.claimed_at, due);
  EXPECT_EQ(claimed->list.created_at, expected_["lists"][1]["created_at"]);
}

TEST_F(MigrationV11Test, TheMigratedSchemaIsThatOfAFreshStore) {
  ASSERT_NE(Migrate(), nullptr);
  const std::string fresh_path = (dir_.path() / "fresh.db").string();
  {
    auto fresh = SqliteStore::Open(fresh_path, 5000, base::SystemClock());
    ASSERT_TRUE(IsOk(fresh));
  }
  Database migrated = Open(StorePath());
  Database fresh = Open(fresh_path);
  EXPECT_EQ(Schema(migrated), Schema(fresh));
  EXPECT_THAT(Rows(migrated, "PRAGMA foreign_key_check"), IsEmpty());
  EXPECT_THAT(Rows(migrated, "PRAGMA integrity_check"), ElementsAre("ok"));
  // The AUTOINCREMENT marks of lists and the outbox came along (ids are never reused).
  EXPECT_THAT(Rows(migrated,
                   "SELECT name, seq FROM sqlite_sequence WHERE name IN ('lists', 'mail_outbox') "
                   "ORDER BY name"),
              ElementsAre("lists|2", "mail_outbox|2"));
}

}  // namespace
}  // namespace contactsync::store::sqlite
