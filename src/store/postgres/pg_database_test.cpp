// The PostgreSQL store's session and migrations, against the test server
// (scripts/test-servers.sh): bound parameters, the errors a user meets when opening a store
// (wrong password, unreachable server, an unreadable URL) without the password ever shown,
// a lost session, transactions that run again after a conflict, the times' conversions, and
// migrations applied once however many processes open the store at the same time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/pg_account_store.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_test_store.h"
#include "store/sqlite/sqlite_test_store.h"

namespace contactsync::store::postgres {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::PgStoreTest;

TEST(DescribeStoreUrlTest, NamesTheDatabaseWithoutThePassword) {
  auto description =
      DescribeStoreUrl("postgresql://ann:s3cret-pw@db.example:5433/crm?sslmode=require");
  ASSERT_TRUE(description.ok()) << description.status().ToString();
  EXPECT_EQ(*description, "PostgreSQL database 'crm' on db.example:5433 as ann");
  auto with_param = DescribeStoreUrl("postgresql://db.example/crm?user=bob&password=s3cret-pw");
  ASSERT_TRUE(with_param.ok());
  EXPECT_THAT(*with_param, Not(HasSubstr("s3cret")));
}

TEST(DescribeStoreUrlTest, AnUnreadableUrlIsRefusedWithoutRepeatingIt) {
  // A bad percent-escape inside the password: libpq's own message would quote it.
  auto description = DescribeStoreUrl("postgresql://ann:s3cret%zz@db.example/crm");
  ASSERT_FALSE(description.ok());
  EXPECT_EQ(description.status().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_THAT(description.status().message(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(description.status().message(), HasSubstr("postgresql://user@host:port/database"));
  auto opened = Database::Open("postgresql://ann:s3cret%zz@db.example/crm");
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), Not(HasSubstr("s3cret")));
}

TEST(DatabaseOpenTest, AnUnreachableServerIsUnavailableAndNamed) {
  // Port 1 on loopback: nothing listens there.
  auto db = Database::Open("postgresql://ann:s3cret-pw@127.0.0.1:1/crm", 2);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), base::ErrorCode::kUnavailable) << db.status().ToString();
  EXPECT_THAT(db.status().message(), HasSubstr("PostgreSQL database 'crm' on 127.0.0.1:1"));
  EXPECT_THAT(db.status().message(), Not(HasSubstr("s3cret")));
}

TEST_F(PgStoreTest, AWrongPasswordIsAuthFailedAndNeverShown) {
  testing::TestServer wrong = server_;
  wrong.password = "not-the-Pa55word";
  auto db = Database::Open(wrong.Url());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), base::ErrorCode::kAuthFailed) << db.status().ToString();
  EXPECT_THAT(db.status().message(), Not(HasSubstr("not-the-Pa55word")));
  EXPECT_THAT(db.status().message(), HasSubstr("as " + server_.user));
}

TEST_F(PgStoreTest, AMissingDatabaseIsNotFound) {
  testing::TestServer missing = server_;
  missing.database = "no_such_store_db";
  auto db = Database::Open(missing.Url());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), base::ErrorCode::kNotFound) << db.status().ToString();
}

TEST_F(PgStoreTest, ParametersAreBoundNeverSpliced) {
  Database db = OpenStoreDatabase();
  const std::string hostile = "O'Neil\"; DROP TABLE x; -- é 🙂";
  auto rows = db.Exec("SELECT $1::bigint, $2::text, $3::text IS NULL, length($2)",
                      {int64_t{-9007199254740993}, hostile, nullptr});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(rows->Int64(0, 0), -9007199254740993);
  EXPECT_EQ(rows->Text(0, 1), hostile);
  EXPECT_EQ(rows->Text(0, 2), "t");
  EXPECT_EQ(rows->Int64(0, 3), 29);  // characters, not bytes: UTF-8 both ways
  auto nul = db.Exec("SELECT $1::text", {std::string_view("a\0b", 3)});
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(db.ok());
}

TEST_F(PgStoreTest, ALostSessionSaysSo) {
  Database db = OpenStoreDatabase();
  auto pid = db.Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(admin_->Exec("SELECT pg_terminate_backend($1::integer)", {pid->Int64(0, 0)}).ok());
  auto after = db.Exec("SELECT 1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), base::ErrorCode::kConnectionLost) << after.status().ToString();
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(db.Exec("SELECT 1").status().code(), base::ErrorCode::kConnectionLost);
}

TEST_F(PgStoreTest, AConflictRunsTheTransactionAgainAndAnythingElseDoesNot) {
  Database db = OpenStoreDatabase();
  ASSERT_TRUE(db.Exec("CREATE TABLE t (n integer)").ok());
  int attempts = 0;
  const base::Status retried = InTransaction(db, TransactionKind::kWrite, [&]() -> base::Status {
    ++attempts;
    CS_RETURN_IF_ERROR(db.Exec("INSERT INTO t VALUES ($1)", {int64_t{attempts}}).status());
    if (attempts == 1) {
      return db.Exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
          .status();
    }
    return base::Status::Ok();
  });
  EXPECT_TRUE(retried.ok()) << retried.ToString();
  EXPECT_EQ(attempts, 2);
  auto rows = db.Exec("SELECT string_agg(n::text, ',') FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Text(0, 0), "2");  // the first attempt's insert was rolled back

  attempts = 0;
  const base::Status failed = InTransaction(db, TransactionKind::kWrite, [&]() -> base::Status {
    ++attempts;
    CS_RETURN_IF_ERROR(db.Exec("INSERT INTO t VALUES (3)").status());
    return db.Exec("SELECT 1 / 0").status();
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(attempts, 1);
  rows = db.Exec("SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int64(0, 0), 1);

  // A read transaction cannot write.
  const base::Status read = InTransaction(
      db, TransactionKind::kRead, [&] { return db.Exec("INSERT INTO t VALUES (4)").status(); });
  EXPECT_FALSE(read.ok());
}

TEST_F(PgStoreTest, MigrationsMakeTheSchemaOnceAndRefuseANewerStore) {
  Database db = OpenStoreDatabase();
  auto before = CurrentSchemaVersion(db);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, 0);
  ASSERT_TRUE(ApplyMigrations(db, Migrations()).ok());
  ASSERT_TRUE(ApplyMigrations(db, Migrations()).ok());  // nothing left to do
  auto version = CurrentSchemaVersion(db);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, LatestSchemaVersion());
  // Which tables and columns: TheSchemaHasTheSqliteStoresTablesAndColumns.
  auto tables = db.Exec("SELECT to_regclass('contacts') IS NOT NULL");
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->Text(0, 0), "t");
  auto recorded = db.Exec("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->Int64(0, 0), static_cast<int64_t>(Migrations().size()));

  ASSERT_TRUE(
      db.Exec("INSERT INTO schema_migrations (version, description) VALUES (999, 'x')").ok());
  const base::Status newer = ApplyMigrations(db, Migrations());
  EXPECT_EQ(newer.code(), base::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(newer.message(), HasSubstr("store schema version 999 is newer"));
}

TEST_F(PgStoreTest, ProcessesOpeningTheStoreAtOnceApplyEachMigrationOnce) {
  constexpr int kOpeners = 4;
  std::vector<base::Status> results(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      auto db = Database::Open(url());
      results[i] = db.ok() ? ApplyMigrations(*db, Migrations()) : db.status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const base::Status& result : results) EXPECT_TRUE(result.ok()) << result.ToString();
  Database db = OpenStoreDatabase();
  auto recorded = db.Exec("SELECT count(*), max(version) FROM schema_migrations");
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->Int64(0, 0), static_cast<int64_t>(Migrations().size()));
  EXPECT_EQ(recorded->Int64(0, 1), LatestSchemaVersion());
}

// The two stores keep the same things: every table of a fresh SQLite store, with the same
// columns in the same order, is in the PostgreSQL schema and nothing else is. A column added
// to one backend's migrations and not the other's fails here.
TEST_F(PgStoreTest, TheSchemaHasTheSqliteStoresTablesAndColumns) {
  Database db = OpenStoreDatabase();
  ASSERT_TRUE(ApplyMigrations(db, Migrations()).ok());
  std::map<std::string, std::vector<std::string>> postgres;
  auto columns = db.Exec(
      "SELECT table_name, column_name FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' "
      "ORDER BY table_name, ordinal_position");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  for (int i = 0; i < columns->size(); ++i) {
    postgres[std::string(columns->Text(i, 0))].emplace_back(columns->Text(i, 1));
  }

  sqlite::testing::TempDir dir;
  const std::string path = (dir.path() / "store.db").string();
  ASSERT_TRUE(sqlite::SqliteStore::Open(path, 5000, base::SystemClock()).ok());
  auto file = sqlite::Database::Open(path, 5000);
  ASSERT_TRUE(file.ok());
  std::map<std::string, std::vector<std::string>> sqlite;
  for (const std::string& row : sqlite::testing::Rows(
           *file,
           "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p "
           "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' "
           "AND m.name <> 'schema_migrations' ORDER BY m.name, p.cid")) {
    const size_t bar = row.find('|');
    sqlite[row.substr(0, bar)].push_back(row.substr(bar + 1));
  }
  EXPECT_EQ(postgres, sqlite);
}

// The first-run page of two web servers on one store, submitted at the same moment: one
// account is made, the other request is told that setup is done.
TEST_F(PgStoreTest, TwoFirstRunRequestsOnTwoServersMakeOneUser) {
  constexpr int kServers = 4;
  std::vector<std::unique_ptr<PgAccountStore>> stores;
  for (int i = 0; i < kServers; ++i) {
    auto store = PgAccountStore::Open(url(), base::SystemClock());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    stores.push_back(std::move(store).value());
  }
  std::vector<base::Status> results(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      results[i] = stores[i]->CreateFirstUser("admin" + std::to_string(i), "$argon2id$x").status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  int made = 0;
  for (const base::Status& result : results) {
    if (result.ok()) {
      ++made;
    } else {
      EXPECT_EQ(result.code(), base::ErrorCode::kFailedPrecondition) << result.ToString();
    }
  }
  EXPECT_EQ(made, 1);
  auto users = stores[0]->CountUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(*users, 1);
}

TEST_F(PgStoreTest, TimesConvertToTheMillisecondBothWays) {
  Database db = OpenStoreDatabase();
  ASSERT_TRUE(ApplyMigrations(db, Migrations()).ok());
  for (const int64_t ms : {int64_t{0}, int64_t{1}, int64_t{1765144660123}, int64_t{1830000000999},
                           int64_t{-1}, int64_t{253402300799999}}) {
    auto rows = db.Exec("SELECT cs_ms(cs_ts($1::bigint))", {ms});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->Int64(0, 0), ms);
  }
  auto shown = db.Exec(
      "SELECT to_char(cs_ts(1765144660123) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->Text(0, 0), "2025-12-07 21:57:40.123");
}

}  // namespace
}  // namespace contactsync::store::postgres
