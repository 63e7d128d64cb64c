// Migration 8 (issue 13, the compact format): a store made by the release before it
// (tests/data/store-v7.db, made by tests/data/make_store_v7.sh) migrates with every contact,
// value, subscription, history entry, run, exclusion and outbox message as that release showed
// them (tests/data/store-v7.expected.json: its --json outputs, compared here through the same
// JSON functions), every time to the millisecond, the sync's hashes moved into the
// subscriptions (a re-sync of the unchanged source writes nothing), and the schema of a
// freshly made store.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/connections.h"
#include "app/json_codec.h"
#include "app/mail_setup.h"
#include "app/sync_runs.h"
#include "base/clock.h"
#include "secrets/secret_box.h"
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
using ::testing::IsEmpty;
using testing::kReleaseData;
using testing::ReadDataFile;
using testing::Rows;
using testing::Schema;
using testing::ShownAutoresponders;
using testing::ShownExclusions;
using testing::ShownLists;
using testing::ShownOutbox;
using testing::WithMillis;

class MigrationV8Test : public testing::ReleaseStoreTest {
 protected:
  MigrationV8Test() : ReleaseStoreTest("store-v7") {}

  void SetUp() override {
    ReleaseStoreTest::SetUp();
    // The sync's source, made again here, and the saved connection pointed at it.
    Database source = Open(SourcePath());
    ASSERT_TRUE(IsOk(source.Exec(ReadDataFile(kReleaseData / "store-v7-source.sql"))));
    Database old = Open(StorePath());
    ASSERT_TRUE(IsOk(old.Exec("UPDATE connections SET database_name = '" + SourcePath() +
                              "' WHERE name = 'shop'")));
  }

  std::string SourcePath() const { return (dir_.path() / "shop.db").string(); }

  std::unique_ptr<SqliteStore> Migrate() { return ReleaseStoreTest::Migrate(base::SystemClock()); }
};

TEST_F(MigrationV8Test, TheStoreFileIsOneMadeByTheReleaseBefore) {
  Database db = Open(StorePath());
  CS_ASSERT_OK_AND_ASSIGN(const int version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, 7);
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM contact_field_values"), ElementsAre("24"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM sync_hashes"), ElementsAre("6"));
}

TEST_F(MigrationV8Test, EverythingTheReleaseShowedSurvives) {
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const int version, store->SchemaVersion());
  EXPECT_EQ(version, LatestSchemaVersion());

  ASSERT_EQ(expected_["contacts"].size(), 10u);
  for (const nlohmann::json& want : expected_["contacts"]) {
    const std::string email = want["email"];
    CS_ASSERT_OK_AND_ASSIGN(const Contact contact, store->GetContact(email));
    CS_ASSERT_OK_AND_ASSIGN(const std::vector<HistoryEntry> history, store->GetHistory(email));
    nlohmann::json got = app::ToJson(contact);
    got["history"] = nlohmann::json::array();
    for (const HistoryEntry& entry : history) got["history"].push_back(app::ToJson(entry));
    EXPECT_EQ(got, want) << email;
  }
  // Values of every type came through, the multi-choice one in its stored order.
  CS_ASSERT_OK_AND_ASSIGN(const Contact ann, store->GetContact("ann.lee@example.com"));
  EXPECT_THAT(ann.fields, ::testing::ContainerEq(std::map<std::string, std::string>{
                              {"BIRTHDAY", "1990-04-01"},
                              {"CITY", "Lyon"},
                              {"INTERESTS", "books,music,sports"},
                              {"SCORE", "12.5"}}));
  CS_ASSERT_OK_AND_ASSIGN(const Contact carol, store->GetContact("carol@example.com"));
  EXPECT_EQ(carol.fields.at("NOTE"), "line one\nline two");

  CS_ASSERT_OK_AND_ASSIGN(const ContactPage page, store->FindContacts(ContactFilter{}));
  EXPECT_EQ(page.total, 10);

  EXPECT_EQ(ShownLists(*store), expected_["lists"]);

  nlohmann::json fields = nlohmann::json::array();
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<CustomField> all_fields, store->GetFields());
  for (const CustomField& field : all_fields) fields.push_back(app::ToJson(field));
  EXPECT_EQ(fields, expected_["fields"]);

  EXPECT_EQ(ShownExclusions(*store), expected_["exclusions"]);

  nlohmann::json runs = nlohmann::json::array();
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<RunRecord> all_runs, store->GetRuns("Shop"));
  for (const RunRecord& run : all_runs) {
    runs.push_back(app::RunToJson(run));
    nlohmann::json report = app::RunToJson(run);
    report["failures"] = nlohmann::json::array();
    CS_ASSERT_OK_AND_ASSIGN(const std::vector<RunFailure> failures, store->GetRunFailures(run.id));
    for (const RunFailure& failure : failures) {
      report["failures"].push_back(app::FailureToJson(failure));
    }
    EXPECT_EQ(report, expected_["reports"][std::to_string(run.id)]) << "run " << run.id;
  }
  EXPECT_EQ(runs, expected_["runs"]);
  ASSERT_EQ(all_runs.size(), 2u);

  EXPECT_EQ(ShownOutbox(*store), expected_["outbox"]);
  EXPECT_EQ(ShownAutoresponders(*store), expected_["autoresponders"]);
}

// The interface shows times to the second; the store kept what the release wrote, converted
// exactly (milliseconds of the same instant), in every row.
TEST_F(MigrationV8Test, EveryTimeIsKeptToTheMillisecond) {
  std::vector<std::string> contacts, subscriptions, history;
  {
    Database old = Open(StorePath());
    contacts = WithMillis(Rows(old, "SELECT id, created_at, updated_at FROM contacts ORDER BY id"),
                          {1, 2});
    subscriptions = WithMillis(Rows(old,
                                    "SELECT contact_id, list_id, created_at, changed_at FROM "
                                    "subscriptions ORDER BY 1, 2"),
                               {2, 3});
    history = WithMillis(
        Rows(old, "SELECT id, contact_id, at FROM subscription_history ORDER BY id"), {2});
  }
  ASSERT_EQ(contacts.size(), 10u);
  ASSERT_EQ(subscriptions.size(), 13u);
  ASSERT_EQ(history.size(), 15u);
  ASSERT_NE(Migrate(), nullptr);
  Database db = Open(StorePath());
  EXPECT_EQ(Rows(db, "SELECT id, created_at, updated_at FROM contacts ORDER BY id"), contacts);
  EXPECT_EQ(Rows(db,
                 "SELECT contact_id, list_id, created_at, changed_at FROM subscriptions "
                 "ORDER BY 1, 2"),
            subscriptions);
  // The joins of current subscriptions are kept in them since migration 9, under their ids.
  EXPECT_EQ(Rows(db,
                 "SELECT id, contact_id, at FROM subscription_history UNION ALL SELECT "
                 "joined_entry_id, contact_id, created_at FROM subscriptions ORDER BY 1"),
            history);
  EXPECT_THAT(Rows(db,
                   "SELECT count(*) FROM contacts WHERE typeof(created_at) <> 'integer' OR "
                   "typeof(updated_at) <> 'integer'"),
              ElementsAre("0"));
}

// The hashes of the release's two runs are in the subscriptions to the sync's list, unchanged,
// so a third run of the unchanged source finds every contact unchanged and writes nothing: no
// contact, subscription, history row or message.
TEST_F(MigrationV8Test, TheSyncsHashesMovedAndAReSyncOfTheUnchangedSourceWritesNothing) {
  std::vector<std::string> hashes;
  {
    Database old = Open(StorePath());
    hashes = Rows(old, "SELECT contact_id, sync_id, hash FROM sync_hashes ORDER BY 1");
    // A hash whose contact is not on the sync's list has nowhere to go.
    ASSERT_TRUE(IsOk(old.Exec("INSERT INTO sync_hashes VALUES (1, 1, 7)")));
  }
  ASSERT_EQ(hashes.size(), 6u);
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  Database db = Open(StorePath());
  EXPECT_EQ(Rows(db,
                 "SELECT contact_id, sync_id, sync_hash FROM subscriptions WHERE sync_id IS NOT "
                 "NULL OR sync_hash IS NOT NULL ORDER BY 1"),
            hashes);
  EXPECT_THAT(Rows(db, "SELECT DISTINCT list_id FROM subscriptions WHERE sync_id IS NOT NULL"),
              ElementsAre("3"));

  const std::string tables =
      "SELECT (SELECT group_concat(id || ':' || updated_at) FROM contacts), (SELECT "
      "group_concat(contact_id || ':' || list_id || ':' || changed_at || ':' || sync_hash) FROM "
      "subscriptions), (SELECT count(*) FROM subscription_history), (SELECT count(*) FROM "
      "mail_outbox)";
  const std::vector<std::string> before = Rows(db, tables);

  const secrets::SecretBox box = secrets::SecretBox::FromKey(std::array<unsigned char, 32>{});
  app::Connections connections(*store, box);
  CS_ASSERT_OK_AND_ASSIGN(const sync::SyncDefinition definition, app::LoadSync(*store, "Shop"));
  sync::EngineOptions options;
  options.started_by = "test";
  CS_ASSERT_OK_AND_ASSIGN(const sync::RunReport report,
                          app::ExecuteSync(definition, connections, *store, *store, options));
  EXPECT_EQ(report.state, RunState::kSucceeded) << report.message;
  RunCounts want;
  want.selected = 7;
  want.unchanged = 6;
  want.failed = 1;
  EXPECT_EQ(report.counts, want) << app::CountsToJson(report.counts).dump();
  EXPECT_EQ(Rows(db, tables), before);
}

TEST_F(MigrationV8Test, TheMigratedSchemaIsThatOfAFreshStore) {
  ASSERT_NE(Migrate(), nullptr);
  const std::string fresh_path = (dir_.path() / "fresh.db").string();
  {
    auto fresh = SqliteStore::Open(fresh_path, 5000, base::SystemClock());
    ASSERT_TRUE(IsOk(fresh));
  }
  Database migrated = Open(StorePath());
  Database fresh = Open(fresh_path);
  EXPECT_EQ(Schema(migrated), Schema(fresh));
  for (const char* gone : {"table contact_field_values ", "table sync_hashes ",
                           "index contact_field_values_by_field ", "index sync_hashes_by_sync "}) {
    EXPECT_THAT(Schema(migrated), ::testing::Not(::testing::Contains(::testing::StartsWith(gone))));
  }
  EXPECT_THAT(Rows(migrated, "PRAGMA foreign_key_check"), IsEmpty());
  EXPECT_THAT(Rows(migrated, "PRAGMA integrity_check"), ElementsAre("ok"));
  // The contacts' high-water mark came along (ids are never reused: migration 7).
  EXPECT_THAT(Rows(migrated, "SELECT seq FROM sqlite_sequence WHERE name = 'contacts'"),
              ElementsAre("10"));
}

// The contacts' AUTOINCREMENT mark is carried over as it was, also past the highest id left
// (the newest contacts deleted before the migration).
TEST_F(MigrationV8Test, IdsOfContactsDeletedBeforeTheMigrationAreNotReused) {
  {
    Database old = Open(StorePath());
    ASSERT_TRUE(IsOk(old.Exec("PRAGMA foreign_keys = ON; DELETE FROM contacts WHERE id >= 9")));
  }
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  ContactChange change;
  change.contact.email = "new@example.com";
  change.cause = Cause{model::CauseKind::kApi, ""};
  CS_ASSERT_OK_AND_ASSIGN(const ContactChangeOutcome outcome, store->SaveContact(change));
  EXPECT_EQ(outcome.contact.id, 11);
}

// What the new format stores after the migration: values by field id, hashes per
// subscription, cleared by a change to a synced column and by deleting a field.
TEST_F(MigrationV8Test, ValuesAndHashesAfterwards) {
  auto store = Migrate();
  ASSERT_NE(store, nullptr);
  Database db = Open(StorePath());
  EXPECT_THAT(Rows(db, "SELECT fields FROM contacts WHERE id = 1"),
              ElementsAre(R"({"1":"Lyon","2":"12.5","3":"1990-04-01","4":"books,music,sports"})"));
  EXPECT_THAT(Rows(db, "SELECT fields FROM contacts WHERE id = 3"),
              ElementsAre(R"({"5":"line one\nline two"})"));
  // A bounce is no change to the synced values: the hash stays.
  ASSERT_TRUE(IsOk(store->MarkBounced("grace@example.com", Cause{model::CauseKind::kApi, ""})));
  EXPECT_THAT(Rows(db, "SELECT sync_hash IS NOT NULL FROM subscriptions WHERE contact_id = 7"),
              ElementsAre("1"));
  // A new first name is: it goes.
  ContactChange change;
  change.contact.email = "heidi@example.com";
  change.contact.first_name = "Heidi-Marie";
  change.cause = Cause{model::CauseKind::kApi, ""};
  ASSERT_TRUE(IsOk(store->SaveContact(change)));
  EXPECT_THAT(Rows(db, "SELECT sync_hash FROM subscriptions WHERE contact_id = 8"),
              ElementsAre("NULL"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM subscriptions WHERE sync_hash IS NOT NULL"),
              ElementsAre("5"));
  // Deleting a field takes its values out of every contact and forgets every hash.
  ASSERT_TRUE(IsOk(store->DeleteField("CITY")));
  EXPECT_THAT(Rows(db, "SELECT fields FROM contacts WHERE id IN (1, 4) ORDER BY id"),
              ElementsAre(R"({"2":"12.5","3":"1990-04-01","4":"books,music,sports"})", "NULL"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM subscriptions WHERE sync_hash IS NOT NULL"),
              ElementsAre("0"));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM contacts WHERE fields LIKE '%\"1\":%'"),
              ElementsAre("0"));
}

}  // namespace
}  // namespace contactsync::store::sqlite
