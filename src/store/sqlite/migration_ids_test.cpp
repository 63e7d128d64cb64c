// Migration 7 (issue 11, "mail-link ids are reused"): contacts, lists and mail_outbox get
// AUTOINCREMENT, so that an id freed by a delete never goes to a new row; a store made before
// it migrates with every row, constraint, index and trigger kept.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_test_util.h"

namespace contactsync::store::sqlite {
namespace {

using store::testing::IsOk;
using store::testing::ListNamed;
using testing::Rows;
using testing::TempDir;

constexpr int kIdsMigration = 7;

std::vector<Migration> MigrationsBefore(int version) {
  std::vector<Migration> before;
  for (const Migration& migration : Migrations()) {
    if (migration.version < version) before.push_back(migration);
  }
  return before;
}

// Everything a user would lose if the rebuild went wrong: per table its rows, columns (with
// types, defaults, NOT NULL and key), foreign keys and indexes; and every trigger and named
// index by its SQL.
struct StoreSnapshot {
  std::map<std::string, std::vector<std::string>> rows;
  std::map<std::string, std::vector<std::string>> columns;
  std::map<std::string, std::vector<std::string>> foreign_keys;
  std::map<std::string, std::vector<std::string>> indexes;
  std::vector<std::string> triggers_and_named_indexes;
};

StoreSnapshot Snapshot(Database& db) {
  StoreSnapshot snapshot;
  for (const std::string& table :
       Rows(db,
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name <> 'schema_migrations' ORDER BY name")) {
    snapshot.rows[table] = Rows(db, "SELECT * FROM \"" + table + "\" ORDER BY 1, 2");
    snapshot.columns[table] = Rows(db, "PRAGMA table_xinfo(\"" + table + "\")");
    snapshot.foreign_keys[table] = Rows(db, "PRAGMA foreign_key_list(\"" + table + "\")");
    // Autoindexes (UNIQUE columns) are named after their table; the rename names them again.
    snapshot.indexes[table] =
        Rows(db, "SELECT name || ':' || \"unique\" || ':' || partial FROM pragma_index_list('" +
                     table + "') ORDER BY name");
  }
  snapshot.triggers_and_named_indexes =
      Rows(db,
           "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN "
           "('trigger', 'index') AND sql IS NOT NULL ORDER BY name");
  return snapshot;
}

class IdsNeverReusedTest : public ::testing::Test {
 protected:
  std::string StorePath() const { return (dir_.path() / "store.db").string(); }

  Database Raw() {
    auto db = Database::Open(StorePath(), 5000);
    EXPECT_TRUE(IsOk(db));
    return std::move(db).value();
  }

  std::unique_ptr<SqliteStore> Open() {
    auto store = SqliteStore::Open(StorePath(), 5000, clock_);
    EXPECT_TRUE(IsOk(store));
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static ContactChange Change(std::string email) {
    ContactChange change;
    change.contact.email = std::move(email);
    change.list = "News";
    change.status = SubscriptionStatus::kUnconfirmed;
    change.cause = Cause{model::CauseKind::kSyncRun, "run-1"};
    return change;
  }

  TempDir dir_;
  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1767225600))};
};

// Rows in every table that points at contacts, lists or the outbox, written at the schema
// before migration 7 as an older contactsync wrote them (foreign keys on, as the store runs).
constexpr std::string_view kOldStoreRows = R"sql(
PRAGMA foreign_keys = ON;
INSERT INTO lists (id, name, sender_email, created_at) VALUES
  (1, 'News', 'news@example.com', '2026-01-01T00:00:00Z'),
  (4, 'Deals', '', '2026-01-02T00:00:00Z');
INSERT INTO custom_fields (id, key, label, type, created_at)
  VALUES (1, 'CITY', 'City', 'text', '2026-01-01T00:00:00Z');
INSERT INTO contacts (id, email, email_key, first_name, bounced, created_at, updated_at,
                      last_change_cause, last_change_detail) VALUES
  (1, 'Ann@Example.com', 'ann@example.com', 'Ann', 0, '2026-01-01T00:00:00Z',
   '2026-01-01T00:00:00Z', 'sync_run', 'run-1'),
  (7, 'bob@example.com', 'bob@example.com', '', 1, '2026-01-01T00:00:00Z',
   '2026-01-03T00:00:00Z', 'api', '');
INSERT INTO contact_field_values VALUES (1, 1, 'Paris'), (7, 1, 'Oslo');
INSERT INTO subscriptions VALUES
  (1, 1, 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'sync_run', 'run-1'),
  (7, 4, 'unconfirmed', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'api', '');
INSERT INTO subscription_history (contact_id, list_name, from_status, to_status, cause, at)
  VALUES (7, 'Deals', NULL, 'unconfirmed', 'api', '2026-01-01T00:00:00Z');
INSERT INTO exclusions (pattern, list_id, created_at) VALUES ('*@spam.example', 4, 'x');
INSERT INTO syncs (id, name, definition, created_at, updated_at) VALUES (1, 'S', '{}', 'x', 'x');
INSERT INTO sync_hashes VALUES (1, 1, 42), (7, 1, 43);
INSERT INTO mail_autoresponders (id, list_id, subject, body, delay_s, created_at)
  VALUES (1, 4, 'Hi', 'Body', 0, 'x');
INSERT INTO mail_outbox (id, idempotency_key, kind, contact_id, list_id, autoresponder_id, state,
                         next_attempt_at, created_at, updated_at) VALUES
  (3, 'k3', 'confirmation', 7, 4, NULL, 'queued', 'x', 'x', 'x'),
  (9, 'k9', 'autoresponder', 7, 4, 1, 'sent', 'x', 'x', 'x');
)sql";

TEST_F(IdsNeverReusedTest, AnOlderStoreMigratesWithEveryRowConstraintIndexAndTriggerKept) {
  Database db = Raw();
  ASSERT_TRUE(IsOk(db.Exec("PRAGMA foreign_keys = ON")));
  const std::vector<Migration> before = MigrationsBefore(kIdsMigration);
  ASSERT_TRUE(IsOk(ApplyMigrations(db, before, clock_)));
  ASSERT_TRUE(IsOk(db.Exec(kOldStoreRows)));
  const StoreSnapshot old_snapshot = Snapshot(db);

  // Up to migration 7 (8 rebuilds these tables again: migration_v8_test.cpp).
  ASSERT_TRUE(IsOk(ApplyMigrations(db, MigrationsBefore(kIdsMigration + 1), clock_)));
  CS_ASSERT_OK_AND_ASSIGN(const int version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, kIdsMigration);

  const StoreSnapshot new_snapshot = Snapshot(db);
  EXPECT_EQ(new_snapshot.rows, old_snapshot.rows);
  EXPECT_EQ(new_snapshot.columns, old_snapshot.columns);
  EXPECT_EQ(new_snapshot.foreign_keys, old_snapshot.foreign_keys);
  EXPECT_EQ(new_snapshot.indexes, old_snapshot.indexes);
  EXPECT_EQ(new_snapshot.triggers_and_named_indexes, old_snapshot.triggers_and_named_indexes);
  EXPECT_THAT(Rows(db, "PRAGMA foreign_key_check"), ::testing::IsEmpty());
  // The connection's foreign keys are on again after the migration turned them off.
  EXPECT_THAT(Rows(db, "PRAGMA foreign_keys"), ::testing::ElementsAre("1"));
  // The highest ids so far are remembered.
  EXPECT_THAT(Rows(db,
                   "SELECT name, seq FROM sqlite_sequence WHERE name IN "
                   "('contacts', 'lists', 'mail_outbox') ORDER BY name"),
              ::testing::ElementsAre("contacts|7", "lists|4", "mail_outbox|9"));
  for (const char* table : {"contacts", "lists", "mail_outbox"}) {
    EXPECT_THAT(Rows(db, std::string("SELECT sql FROM sqlite_schema WHERE name = '") + table + "'"),
                ::testing::ElementsAre(::testing::HasSubstr("INTEGER PRIMARY KEY AUTOINCREMENT")))
        << table;
  }
  // The rebuilt tables still cascade: deleting a contact takes its rows elsewhere with it.
  ASSERT_TRUE(IsOk(db.Exec("DELETE FROM contacts WHERE id = 7")));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM mail_outbox"), ::testing::ElementsAre("0"));
  EXPECT_THAT(Rows(db, "SELECT contact_id FROM subscriptions"), ::testing::ElementsAre("1"));
  EXPECT_THAT(Rows(db, "SELECT contact_id FROM sync_hashes"), ::testing::ElementsAre("1"));
  // And an update still forgets the contact's sync hashes (the trigger was recreated).
  ASSERT_TRUE(IsOk(db.Exec("UPDATE contacts SET first_name = 'Anna' WHERE id = 1")));
  EXPECT_THAT(Rows(db, "SELECT count(*) FROM sync_hashes"), ::testing::ElementsAre("0"));
}

TEST_F(IdsNeverReusedTest, AfterDeletingTheNewestRowsTheNextOnesGetNewIds) {
  // Made at the schema before migration 7, then opened by this build, as an upgrade does.
  {
    Database db = Raw();
    ASSERT_TRUE(IsOk(ApplyMigrations(db, MigrationsBefore(kIdsMigration), clock_)));
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const ListInfo news, store->CreateList(ListNamed("News")));
  CS_ASSERT_OK_AND_ASSIGN(const ContactChangeOutcome first,
                          store->SaveContact(Change("first@example.com")));
  CS_ASSERT_OK_AND_ASSIGN(const ContactChangeOutcome newest,
                          store->SaveContact(Change("newest@example.com")));
  ASSERT_TRUE(IsOk(store->DeleteContact("newest@example.com")));
  CS_ASSERT_OK_AND_ASSIGN(const ContactChangeOutcome next,
                          store->SaveContact(Change("next@example.com")));
  EXPECT_GT(next.contact.id, newest.contact.id);
  EXPECT_GT(newest.contact.id, first.contact.id);

  ASSERT_TRUE(IsOk(store->DeleteList("News")));
  CS_ASSERT_OK_AND_ASSIGN(const ListInfo again, store->CreateList(ListNamed("News again")));
  EXPECT_GT(again.id, news.id);

  // Outbox rows: the confirmation queued for "next" goes with the contact; the next message
  // gets a new id.
  Database db = Raw();
  ASSERT_TRUE(
      IsOk(db.Exec("INSERT INTO mail_outbox (idempotency_key, kind, contact_id, list_id, state, "
                   "next_attempt_at, created_at, updated_at) SELECT 'probe-1', 'confirmation', " +
                   std::to_string(first.contact.id) + ", " + std::to_string(again.id) +
                   ", 'cancelled', 0, 0, 0")));
  const std::string probe_id = Rows(db,
                                    "SELECT id FROM mail_outbox WHERE idempotency_key = "
                                    "'probe-1'")
                                   .at(0);
  ASSERT_TRUE(IsOk(db.Exec("DELETE FROM mail_outbox WHERE idempotency_key = 'probe-1'")));
  ASSERT_TRUE(
      IsOk(db.Exec("INSERT INTO mail_outbox (idempotency_key, kind, contact_id, list_id, state, "
                   "next_attempt_at, created_at, updated_at) SELECT 'probe-2', 'confirmation', " +
                   std::to_string(first.contact.id) + ", " + std::to_string(again.id) +
                   ", 'cancelled', 0, 0, 0")));
  const std::string second_id = Rows(db,
                                     "SELECT id FROM mail_outbox WHERE idempotency_key = "
                                     "'probe-2'")
                                    .at(0);
  EXPECT_GT(std::stoll(second_id), std::stoll(probe_id));
}

}  // namespace
}  // namespace contactsync::store::sqlite
