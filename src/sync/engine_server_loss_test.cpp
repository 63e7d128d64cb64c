// The engine when the source server dies in the middle of a run: a real
// MariaDB or PostgreSQL (a private set from scripts/test-servers.sh, so the
// shared servers stay up) is SIGKILLed while a sync with delete_not_affected
// is reading. The run must fail with a clear connection-lost reason, delete
// nothing, and leave the store consistent; every batch committed before the
// loss stays. (An SQLite source has no server to lose; engine_test.cpp's
// NeverDeletesAfterAFailedOrEmptyRead covers a read failing mid-way there.)

#include <sqlite3.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "source/mysql/test_server.h"
#include "source/postgres/test_server.h"
#include "source/source.h"
#include "source/testing/private_servers.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_test_util.h"
#include "sync/engine.h"
#include "sync/sync_test_support.h"

namespace contactsync::sync {
namespace {

using source::SourceType;
using store::RunState;
using store::testing::IsOk;

constexpr int kRows = 20000;

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
  std::string result;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

class EngineServerLossTest : public source::server_testing::PrivateServersTest {
 protected:
  // Syncs the kRows rows of `people` (loaded by the caller) once, then runs
  // again in small batches and calls `kill` once 1000 rows were read; checks
  // what the run and the store show afterwards.
  void KilledMidRun(const source::ConnectionSettings& reader, const std::string& schema,
                    const std::function<void()>& kill) {
    testing::TempDir dir;
    const std::string store_path = (dir.path() / "store.db").string();
    auto store =
        std::move(store::sqlite::SqliteStore::Open(store_path, 5000, base::SystemClock()).value());
    ASSERT_TRUE(IsOk(store->CreateList(store::testing::ListNamed("News"))));
    model::FieldDefinition note;
    note.key = "NOTE";
    note.label = "Note";
    note.type = model::FieldType::kTextarea;
    ASSERT_TRUE(IsOk(store->CreateField(note)));
    SyncDefinition definition;
    definition.name = "People";
    definition.connection = "server";
    definition.list = "News";
    definition.source.schema = schema;
    definition.source.table = "people";
    definition.mapping.push_back({"mail", *mapping::ParseTarget("email")});
    definition.mapping.push_back({"note", *mapping::ParseTarget("%NOTE%")});
    definition.delete_not_affected = true;
    definition.max_delete_fraction = 1.0;
    ASSERT_TRUE(IsOk(store->CreateSync("People", SerializeDefinition(definition))));

    auto run = [&](EngineOptions options) {
      auto source = source::OpenSource(reader);
      EXPECT_TRUE(source.ok()) << source.status().ToString();
      base::Result<RunReport> report =
          Execute(definition, reader, **source, *store, *store, options);
      EXPECT_TRUE(report.ok()) << report.status().ToString();
      return report.ok() ? std::move(report).value() : RunReport{};
    };

    const RunReport first = run(EngineOptions{});
    ASSERT_EQ(first.state, RunState::kSucceeded) << first.message;
    ASSERT_EQ(first.counts.added, kRows);

    // The second run reads in small batches; after a few, the server dies.
    bool killed = false;
    EngineOptions options;
    options.read.max_rows = 100;
    options.on_progress = [&](const Progress& progress) {
      if (!killed && progress.rows_read >= 1000) {
        killed = true;
        kill();
      }
    };
    const RunReport lost = run(options);
    ASSERT_TRUE(killed) << "the run ended before the server could be killed";
    EXPECT_EQ(lost.state, RunState::kFailed);
    EXPECT_EQ(lost.error_code, base::ErrorCode::kConnectionLost) << lost.message;
    EXPECT_NE(lost.message.find(fmt::format("{}:{}", reader.host, reader.port)), std::string::npos)
        << lost.message;
    EXPECT_EQ(lost.message.find(reader.password), std::string::npos);
    EXPECT_EQ(lost.counts.deleted, 0);
    EXPECT_LT(lost.counts.selected, kRows);

    // Nothing deleted, nothing half-written, and the run is on record as failed.
    EXPECT_EQ(testing::StoreCount("sqlite://" + store_path, "SELECT count(*) FROM subscriptions"),
              kRows);
    EXPECT_EQ(testing::StoreCount("sqlite://" + store_path, "SELECT count(*) FROM contacts"),
              kRows);
    EXPECT_EQ(IntegrityCheck(store_path), "ok");
    base::Result<std::vector<store::RunRecord>> runs = store->GetRuns("People");
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), 2u);
    EXPECT_EQ(runs->front().state, RunState::kFailed);
  }
};

TEST_F(EngineServerLossTest, MariadbKilledMidRunFailsCleanlyAndDeletesNothing) {
  const source::ConnectionSettings admin = Account("CONTACTSYNC_TEST_MARIADB_", SourceType::kMySql);
  const source::ConnectionSettings reader =
      Account("CONTACTSYNC_TEST_MARIADB_READER_", SourceType::kMySql);
  {
    source::mysql::testing::AdminConnection db(admin, admin.database);
    ASSERT_TRUE(db.ok());
    // A wide note column makes the result (~20 MB) far larger than the socket
    // buffers, so the kill really cuts the stream rather than its last packet.
    db.Exec("CREATE TABLE people (id INT PRIMARY KEY, mail VARCHAR(100), note TEXT)");
    db.Exec(fmt::format(
        "INSERT INTO people SELECT seq, CONCAT('p', seq, '@example.com'), REPEAT('x', 1000) "
        "FROM seq_1_to_{}",
        kRows));
  }
  const std::string datadir = env_["CONTACTSYNC_TEST_MARIADB_DATADIR"];
  std::ifstream pid_file(env_["CONTACTSYNC_TEST_MARIADB_PIDFILE"]);
  pid_t pid = 0;
  pid_file >> pid;
  ASSERT_GT(pid, 1);
  KilledMidRun(reader, "", [&] { source::server_testing::KillHard(pid, "--datadir=" + datadir); });
}

TEST_F(EngineServerLossTest, PostgresKilledMidRunFailsCleanlyAndDeletesNothing) {
  const source::ConnectionSettings admin = Account("CONTACTSYNC_TEST_PG_", SourceType::kPostgreSql);
  const source::ConnectionSettings reader =
      Account("CONTACTSYNC_TEST_PG_READER_", SourceType::kPostgreSql);
  source::postgres::testing::AdminSession db(admin);
  ASSERT_TRUE(db.ok());
  db.Exec(fmt::format(
      "CREATE TABLE public.people AS SELECT g AS id, 'p' || g || '@example.com' AS mail, "
      "repeat('x', 1000) AS note FROM generate_series(1, {}) AS g; "
      "GRANT SELECT ON public.people TO {}",
      kRows, reader.user));
  KilledMidRun(reader, "public", [&] {
    // Every server process reading for the sync (the read and, if still
    // open, the count), then the server itself.
    const std::vector<std::string> backends = db.Column(
        "SELECT pid FROM pg_stat_activity WHERE usename = $1 AND state <> 'idle'", {reader.user});
    ASSERT_FALSE(backends.empty());
    db.Close();
    std::vector<pid_t> pids;
    for (const std::string& pid : backends) pids.push_back(std::stoi(pid));
    source::server_testing::KillPostgresHard(env_["CONTACTSYNC_TEST_PG_DATADIR"], pids,
                                             reader.user);
  });
}

}  // namespace
}  // namespace contactsync::sync
