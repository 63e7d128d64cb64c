// The engine when the source server dies in the middle of a run: a real
// MariaDB (a private set from scripts/test-servers.sh, so the shared servers
// stay up) is SIGKILLed while a sync with delete_not_affected is reading. The
// run must fail with a clear connection-lost reason, delete nothing, and leave
// the store consistent; every batch committed before the loss stays.

#include <sqlite3.h>

#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "source/mysql/mysql_source.h"
#include "source/mysql/test_server.h"
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

class EngineServerLossTest : public source::server_testing::PrivateServersTest {};

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
    for (int start = 1; start <= kRows; start += 1000) {
      std::string sql = "INSERT INTO people VALUES ";
      for (int id = start; id < start + 1000; ++id) {
        sql += fmt::format("{}({}, 'p{}@example.com', REPEAT('x', 1000))", id == start ? "" : ",",
                           id, id);
      }
      db.Exec(sql);
    }
  }

  testing::TempDir dir;
  const std::string store_path = (dir.path() / "store.db").string();
  auto store = std::move(
      store::sqlite::SqliteContactStore::Open(store_path, 5000, base::SystemClock()).value());
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
  definition.source.table = "people";
  definition.mapping.push_back({"mail", *mapping::ParseTarget("email")});
  definition.mapping.push_back({"note", *mapping::ParseTarget("%NOTE%")});
  definition.delete_not_affected = true;
  definition.max_delete_fraction = 1.0;
  ASSERT_TRUE(IsOk(store->CreateSync("People", SerializeDefinition(definition))));

  auto run = [&](EngineOptions options) {
    auto source = source::mysql::OpenMySqlSource(reader);
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    base::Result<RunReport> report =
        Execute(definition, SourceType::kMySql, **source, *store, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? std::move(report).value() : RunReport{};
  };

  const RunReport first = run(EngineOptions{});
  ASSERT_EQ(first.state, RunState::kSucceeded) << first.message;
  ASSERT_EQ(first.counts.added, kRows);

  // The second run reads in small batches; after a few, the server dies.
  const std::string datadir = env_["CONTACTSYNC_TEST_MARIADB_DATADIR"];
  std::ifstream pid_file(env_["CONTACTSYNC_TEST_MARIADB_PIDFILE"]);
  pid_t pid = 0;
  pid_file >> pid;
  ASSERT_GT(pid, 1);
  bool killed = false;
  EngineOptions options;
  options.read.max_rows = 100;
  options.on_progress = [&](const Progress& progress) {
    if (!killed && progress.rows_read >= 1000) {
      killed = true;
      source::server_testing::KillHard(pid, "--datadir=" + datadir);
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
  EXPECT_EQ(testing::StoreCount(store_path, "SELECT count(*) FROM subscriptions"), kRows);
  EXPECT_EQ(testing::StoreCount(store_path, "SELECT count(*) FROM contacts"), kRows);
  EXPECT_EQ(IntegrityCheck(store_path), "ok");
  base::Result<std::vector<store::RunRecord>> runs = store->GetRuns("People");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs->front().state, RunState::kFailed);
}

}  // namespace
}  // namespace contactsync::sync
