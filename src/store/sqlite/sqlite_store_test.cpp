#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/store_test_util.h"

namespace contactsync::store::sqlite {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;
using store::testing::FieldNamed;
using store::testing::HasError;
using store::testing::IsOk;
using store::testing::ListNamed;
using testing::Rows;
using testing::TempDir;

}  // namespace

namespace {

int64_t Count(Database& db, std::string_view table) {
  const auto rows = Rows(db, "SELECT count(*) FROM " + std::string(table));
  return rows.empty() ? -1 : std::stoll(rows[0]);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string StorePath() const { return (dir_.path() / "data" / "store.db").string(); }

  std::unique_ptr<SqliteStore> Open(int busy_timeout_ms = 5000) {
    auto store = SqliteStore::Open(StorePath(), busy_timeout_ms, clock_);
    EXPECT_TRUE(IsOk(store));
    return store.ok() ? std::move(store).value() : nullptr;
  }

  Database Raw() {
    auto db = Database::Open(StorePath(), 5000);
    EXPECT_TRUE(IsOk(db));
    return std::move(db).value();
  }

  static ContactChange Change(std::string email, std::optional<std::string> list = {}) {
    ContactChange change;
    change.contact.email = std::move(email);
    change.list = std::move(list);
    change.cause = Cause{model::CauseKind::kSyncRun, "run-1"};
    return change;
  }

  TempDir dir_;
  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1767225600))};
};

TEST_F(SqliteStoreTest, OpenCreatesTheFileAndItsDirectory) {
  ASSERT_FALSE(fs::exists(dir_.path() / "data"));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::is_regular_file(StorePath()));
  EXPECT_EQ(store->path(), StorePath());
}

TEST_F(SqliteStoreTest, ConnectionIsConfigured) {
  auto store = Open(1234);
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(ConnectionSettings settings, store->Settings());
  EXPECT_EQ(settings.journal_mode, "wal");
  EXPECT_TRUE(settings.foreign_keys);
  EXPECT_EQ(settings.busy_timeout_ms, 1234);
  EXPECT_EQ(settings.synchronous, 1);  // NORMAL
  // WAL is a property of the file: a fresh connection sees it too.
  Database raw = Raw();
  EXPECT_THAT(Rows(raw, "PRAGMA journal_mode"), ::testing::ElementsAre("wal"));
}

TEST_F(SqliteStoreTest, MigrationsAreAppliedOnceAndReopeningChangesNothing) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    CS_ASSERT_OK_AND_ASSIGN(const int version, store->SchemaVersion());
    EXPECT_EQ(version, LatestSchemaVersion());
  }
  Database raw = Raw();
  const auto schema = Rows(raw, "SELECT type, name, sql FROM sqlite_schema ORDER BY name");
  const auto applied = Rows(raw, "SELECT * FROM schema_migrations ORDER BY version");
  EXPECT_EQ(applied.size(), Migrations().size());
  EXPECT_THAT(schema, ::testing::Contains(::testing::HasSubstr("table|contacts|")));
  EXPECT_THAT(schema,
              ::testing::Contains(::testing::HasSubstr("index|subscriptions_by_list_status|")));

  clock_.Advance(std::chrono::hours(24));  // a re-applied migration would record a new time
  {
    auto again = Open();
    ASSERT_NE(again, nullptr);
    CS_ASSERT_OK_AND_ASSIGN(const int version, again->SchemaVersion());
    EXPECT_EQ(version, LatestSchemaVersion());
  }
  EXPECT_EQ(Rows(raw, "SELECT type, name, sql FROM sqlite_schema ORDER BY name"), schema);
  EXPECT_EQ(Rows(raw, "SELECT * FROM schema_migrations ORDER BY version"), applied);
}

TEST_F(SqliteStoreTest, MigrationVersionsIncreaseFromOne) {
  // Strictly increasing from 1; a number may be skipped while it is reserved
  // for work on another branch (4: mail).
  int previous = 0;
  for (const Migration& migration : Migrations()) {
    EXPECT_GT(migration.version, previous);
    if (previous == 0) {
      EXPECT_EQ(migration.version, 1);
    }
    previous = migration.version;
    EXPECT_FALSE(migration.description.empty());
    EXPECT_FALSE(migration.sql.empty());
  }
  EXPECT_EQ(LatestSchemaVersion(), previous);
}

TEST_F(SqliteStoreTest, RefusesAStoreNewerThanThisBuild) {
  ASSERT_NE(Open(), nullptr);
  {
    Database raw = Raw();
    const int newer = LatestSchemaVersion() + 1;
    ASSERT_TRUE(IsOk(raw.Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(newer) +
                              ", 'from the future', '2030-01-01T00:00:00Z')")));
  }
  auto store = SqliteStore::Open(StorePath(), 5000, clock_);
  EXPECT_TRUE(HasError(store, ErrorCode::kFailedPrecondition,
                       "store schema version " + std::to_string(LatestSchemaVersion() + 1) +
                           " is newer than this contactsync (" +
                           std::to_string(LatestSchemaVersion()) + "); upgrade contactsync"));
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotASqliteDatabase) {
  fs::create_directories(fs::path(StorePath()).parent_path());
  {
    std::ofstream out(StorePath());
    out << "name,email\nAnn,ann@example.com\n" << std::string(4096, 'x');
  }
  auto store = SqliteStore::Open(StorePath(), 5000, clock_);
  EXPECT_TRUE(HasError(store, ErrorCode::kInvalidArgument, StorePath()));
  EXPECT_TRUE(HasError(store, ErrorCode::kInvalidArgument, "not a SQLite database"));
}

TEST_F(SqliteStoreTest, RefusesAnotherProgramsDatabase) {
  fs::create_directories(fs::path(StorePath()).parent_path());
  {
    Database raw = Raw();
    ASSERT_TRUE(IsOk(raw.Exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)")));
  }
  auto store = SqliteStore::Open(StorePath(), 5000, clock_);
  EXPECT_TRUE(HasError(store, ErrorCode::kInvalidArgument, "another program"));
  Database raw = Raw();
  EXPECT_THAT(Rows(raw, "SELECT name FROM sqlite_schema"), ::testing::ElementsAre("orders"));
}

TEST_F(SqliteStoreTest, RefusesADirectory) {
  fs::create_directories(StorePath());
  EXPECT_TRUE(HasError(SqliteStore::Open(StorePath(), 5000, clock_), ErrorCode::kInvalidArgument,
                       "directory"));
}

TEST_F(SqliteStoreTest, BusyStoreIsUnavailableAndWritesNothing) {
  auto store = Open(/*busy_timeout_ms=*/100);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News"))));
  Database holder = Raw();
  ASSERT_TRUE(IsOk(holder.Exec("BEGIN IMMEDIATE")));

  const auto started = std::chrono::steady_clock::now();
  auto outcome = store->SaveContact(Change("a@x.example", "News"));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(HasError(
      outcome, ErrorCode::kUnavailable,
      "the store " + StorePath() + " is busy: another contactsync process is writing; try again"));
  EXPECT_TRUE(outcome.status().retryable());
  EXPECT_GE(waited, std::chrono::milliseconds(90));  // it waited for the busy timeout
  // Readers are not blocked by the writer (WAL).
  CS_ASSERT_OK_AND_ASSIGN(ContactPage page, store->FindContacts(ContactFilter{}));
  EXPECT_EQ(page.total, 0);

  ASSERT_TRUE(IsOk(holder.Exec("COMMIT")));
  EXPECT_EQ(Count(holder, "contacts"), 0);
  EXPECT_EQ(Count(holder, "subscriptions"), 0);
  EXPECT_EQ(Count(holder, "subscription_history"), 0);
  EXPECT_TRUE(IsOk(store->SaveContact(Change("a@x.example", "News"))));
  EXPECT_EQ(Count(holder, "contacts"), 1);
}

TEST_F(SqliteStoreTest, WriterWaitsForALockReleasedWithinTheTimeout) {
  auto store = Open(/*busy_timeout_ms=*/10000);
  ASSERT_NE(store, nullptr);
  Database holder = Raw();
  ASSERT_TRUE(IsOk(holder.Exec("BEGIN IMMEDIATE")));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(IsOk(holder.Exec("COMMIT")));
  });
  auto outcome = store->SaveContact(Change("a@x.example"));
  release.join();
  EXPECT_TRUE(IsOk(outcome));
}

TEST_F(SqliteStoreTest, FailedCallLeavesNoRowsBehind) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News"))));
  ASSERT_TRUE(IsOk(store->CreateField(FieldNamed("CITY", "City", model::FieldType::kText))));
  ASSERT_TRUE(IsOk(store->AddExclusion("*@spam.example", "News")));
  auto change = Change("a@spam.example", "News");
  change.contact.first_name = "Ann";
  change.contact.fields = {{"CITY", "Paris"}};
  EXPECT_TRUE(HasError(store->SaveContact(change), ErrorCode::kFailedPrecondition));
  Database raw = Raw();
  EXPECT_EQ(Count(raw, "contacts"), 0);
  EXPECT_EQ(Count(raw, "subscriptions"), 0);
  EXPECT_EQ(Count(raw, "subscription_history"), 0);
  // And the connection is usable afterwards (no transaction left open).
  change.list = std::nullopt;
  EXPECT_TRUE(IsOk(store->SaveContact(change)));
  EXPECT_EQ(Count(raw, "contacts"), 1);
}

// A join is the subscription row alone (issue 13): no history row, no index entry; the
// interface still shows the join entry, from the row.
TEST_F(SqliteStoreTest, AJoinWritesNoHistoryRowAndItsEntryStillShows) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News"))));
  ASSERT_TRUE(IsOk(store->SaveContact(Change("a@x.example", "News"))));
  Database raw = Raw();
  EXPECT_EQ(Count(raw, "subscription_history"), 0);
  EXPECT_THAT(Rows(raw, "SELECT joined_status, joined_cause, joined_detail FROM subscriptions"),
              ::testing::ElementsAre("active|sync_run|run-1"));
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<HistoryEntry> history,
                          store->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].list_name, "News");
  EXPECT_EQ(history[0].from, std::nullopt);
  EXPECT_EQ(history[0].to, SubscriptionStatus::kActive);
  EXPECT_EQ(history[0].cause.kind, model::CauseKind::kSyncRun);
  EXPECT_EQ(history[0].cause.detail, "run-1");
  EXPECT_EQ(history[0].at, "2026-01-01T00:00:00Z");
  // A change is a history row, as before.
  ASSERT_TRUE(IsOk(store->Unsubscribe("a@x.example", "News", Cause{model::CauseKind::kApi, ""})));
  EXPECT_EQ(Count(raw, "subscription_history"), 1);
}

// Migration 10: SQLite evaluates `status IN (four constants)` with a temporary B-tree per
// row written; the subscriptions' checks are comparisons, which need none, and still refuse
// what is not a status.
TEST_F(SqliteStoreTest, SubscriptionWritesNeedNoTemporaryTableAndStatusesAreStillChecked) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News"))));
  ASSERT_TRUE(IsOk(store->SaveContact(Change("a@x.example", "News"))));
  Database raw = Raw();
  for (const std::string statement :
       {"INSERT INTO subscriptions (contact_id, list_id, status, created_at, changed_at, cause, "
        "joined_status, joined_cause, joined_entry_id) VALUES (1, 1, 'active', 0, 0, 'cli', "
        "'active', 'cli', 9)",
        "UPDATE subscriptions SET status = 'bounced' WHERE contact_id = 1 AND list_id = 1"}) {
    EXPECT_THAT(Rows(raw, "EXPLAIN " + statement),
                ::testing::Not(::testing::Contains(::testing::HasSubstr("OpenEphemeral"))))
        << statement;
  }
  EXPECT_FALSE(raw.Exec("UPDATE subscriptions SET status = 'gone'").ok());
  EXPECT_FALSE(raw.Exec("UPDATE subscriptions SET joined_status = 'Active'").ok());
  EXPECT_TRUE(raw.Exec("UPDATE subscriptions SET status = 'unsubscribed'").ok());
}

// "list:from>to" per entry, as GetHistory returns them.
std::vector<std::string> HistoryOf(SqliteStore& store, std::string_view email) {
  std::vector<std::string> lines;
  auto history = store.GetHistory(email);
  EXPECT_TRUE(IsOk(history));
  if (!history.ok()) return lines;
  const auto name = [](const std::optional<SubscriptionStatus>& status) {
    return status ? std::string(SubscriptionStatusName(*status)) : std::string("none");
  };
  for (const HistoryEntry& entry : *history) {
    lines.push_back(entry.list_name + ":" + name(entry.from) + ">" + name(entry.to));
  }
  return lines;
}

// Entries of one millisecond have no order but the one they were written in: a join shown
// from its subscription, or written into the history when the subscription goes, keeps its
// place among them.
TEST_F(SqliteStoreTest, JoinEntriesKeepTheirPlaceWhenTheirSubscriptionGoes) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("B"))));
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("A"))));
  ASSERT_TRUE(IsOk(store->SaveContact(Change("x@x.example", "A"))));
  ASSERT_TRUE(IsOk(store->Unsubscribe("x@x.example", "A", Cause{model::CauseKind::kApi, ""})));
  ASSERT_TRUE(IsOk(store->SaveContact(Change("x@x.example", "B"))));
  ASSERT_TRUE(IsOk(store->MarkBounced("x@x.example", Cause{model::CauseKind::kBounce, ""})));
  const std::vector<std::string> written = {"A:none>active", "A:active>unsubscribed",
                                            "B:none>active", "B:active>bounced"};
  EXPECT_EQ(HistoryOf(*store, "x@x.example"), written);
  ASSERT_TRUE(IsOk(store->DeleteList("A")));
  EXPECT_EQ(HistoryOf(*store, "x@x.example"), written);
  ASSERT_TRUE(IsOk(store->DeleteList("B")));
  EXPECT_EQ(HistoryOf(*store, "x@x.example"), written);
  Database raw = Raw();
  EXPECT_EQ(Count(raw, "subscription_history"), 4);
}

// The one way a subscription row goes while its contact stays (a sync's delete_not_affected
// uses it): the join first, then the removal.
TEST_F(SqliteStoreTest, RemoveSubscriptionWritesItsJoinThenItsRemoval) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const ListInfo a, store->CreateList(ListNamed("A")));
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("B"))));
  CS_ASSERT_OK_AND_ASSIGN(const ContactChangeOutcome joined,
                          store->SaveContact(Change("x@x.example", "A")));
  ASSERT_TRUE(IsOk(store->SaveContact(Change("x@x.example", "B"))));
  Database raw = Raw();
  ASSERT_TRUE(IsOk(RemoveSubscription(raw, joined.contact.id, ListRef{a.id, "A"},
                                      SubscriptionStatus::kActive,
                                      Cause{model::CauseKind::kSyncRun, "run-2"}, 0)));
  EXPECT_THAT(HistoryOf(*store, "x@x.example"),
              ::testing::ElementsAre("A:none>active", "B:none>active", "A:active>none"));
  EXPECT_THAT(Rows(raw, "SELECT list_name, cause_detail FROM subscription_history ORDER BY id"),
              ::testing::ElementsAre("A|run-1", "A|run-2"));
  EXPECT_THAT(Rows(raw, "SELECT list_id FROM subscriptions"),
              ::testing::ElementsAre(std::to_string(a.id + 1)));
}

TEST_F(SqliteStoreTest, RecordsProvenanceOnContacts) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->SaveContact(Change("a@x.example"))));
  Database raw = Raw();
  EXPECT_THAT(Rows(raw, "SELECT email_key, last_change_cause, last_change_detail FROM contacts"),
              ::testing::ElementsAre("a@x.example|sync_run|run-1"));
}

TEST_F(SqliteStoreTest, InstancesShareOneStore) {
  auto first = Open();
  auto second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(IsOk(first->CreateList(ListNamed("News"))));
  // `second` reads (and caches statements), then `first` writes: `second`
  // must see the new data and still be able to write (no stale snapshot).
  CS_ASSERT_OK_AND_ASSIGN(auto lists, second->GetLists());
  ASSERT_EQ(lists.size(), 1u);
  ASSERT_TRUE(IsOk(first->CreateField(FieldNamed("CITY", "City", model::FieldType::kText))));
  ASSERT_TRUE(IsOk(first->SaveContact(Change("a@x.example", "News"))));
  auto change = Change("a@x.example", "News");
  change.contact.fields = {{"city", "Oslo"}};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, second->SaveContact(change));
  EXPECT_FALSE(outcome.created);
  EXPECT_EQ(outcome.contact.fields["CITY"], "Oslo");
  CS_ASSERT_OK_AND_ASSIGN(Contact seen, first->GetContact("a@x.example"));
  EXPECT_EQ(seen.fields["CITY"], "Oslo");
}

TEST_F(SqliteStoreTest, ConcurrentWritersFromSeveralConnections) {
  ASSERT_NE(Open(), nullptr);
  {
    auto setup = Open();
    ASSERT_TRUE(IsOk(setup->CreateList(ListNamed("News"))));
  }
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = SqliteStore::Open(StorePath(), 20000, clock_);
      if (!store.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        // Every thread also touches one shared contact, so writes collide.
        const std::string own = "t" + std::to_string(t) + "-" + std::to_string(i) + "@x.example";
        if (!(*store)->SaveContact(Change(own, "News")).ok()) ++failures;
        if (!(*store)->SaveContact(Change("shared@x.example", "News")).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  Database raw = Raw();
  EXPECT_EQ(Count(raw, "contacts"), kThreads * kPerThread + 1);
  EXPECT_EQ(Count(raw, "subscriptions"), kThreads * kPerThread + 1);
  // Joins write no history row; each reserved its own history id, whichever connection wrote it.
  EXPECT_EQ(Count(raw, "subscription_history"), 0);
  EXPECT_THAT(Rows(raw, "SELECT count(DISTINCT joined_entry_id) FROM subscriptions"),
              ::testing::ElementsAre(std::to_string(kThreads * kPerThread + 1)));
}

// Migrations in isolation, with made-up lists of migrations.

class ApplyMigrationsTest : public SqliteStoreTest {
 protected:
  void SetUp() override { fs::create_directories(fs::path(StorePath()).parent_path()); }
};

TEST_F(ApplyMigrationsTest, AppliesInOrderAndIsIdempotent) {
  const Migration migrations[] = {
      {1, "one", "CREATE TABLE a (x INTEGER)"},
      {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1)"},
  };
  Database db = Raw();
  ASSERT_TRUE(IsOk(ApplyMigrations(db, std::span(migrations).first(1), clock_)));
  CS_ASSERT_OK_AND_ASSIGN(int version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, 1);
  ASSERT_TRUE(IsOk(ApplyMigrations(db, migrations, clock_)));
  ASSERT_TRUE(IsOk(ApplyMigrations(db, migrations, clock_)));
  CS_ASSERT_OK_AND_ASSIGN(version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, 2);
  EXPECT_EQ(Count(db, "a"), 1);  // migration 2 ran once
  EXPECT_THAT(Rows(db, "SELECT version, description FROM schema_migrations ORDER BY version"),
              ::testing::ElementsAre("1|one", "2|two"));
}

TEST_F(ApplyMigrationsTest, AFailingMigrationLeavesThePreviousVersion) {
  const Migration migrations[] = {
      {1, "one", "CREATE TABLE a (x INTEGER)"},
      {2, "two", "CREATE TABLE b (y INTEGER); CREATE TABLE a (z INTEGER)"},
  };
  Database db = Raw();
  EXPECT_TRUE(HasError(ApplyMigrations(db, migrations, clock_), ErrorCode::kInternal,
                       "applying migration 2 (two)"));
  CS_ASSERT_OK_AND_ASSIGN(const int version, CurrentSchemaVersion(db));
  EXPECT_EQ(version, 1);
  EXPECT_THAT(Rows(db, "SELECT name FROM sqlite_schema WHERE name = 'b'"), ::testing::IsEmpty());
  EXPECT_FALSE(db.InTransaction());
}

}  // namespace
}  // namespace contactsync::store::sqlite
