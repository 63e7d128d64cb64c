// Proof that the MySQL driver never writes, even on a privileged account: every write attempt
// through OpenReader fails and the server shows no change (docs/read-only.md,
// docs/spec.md §2).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "source/mysql/mysql_source.h"
#include "source/mysql/test_server.h"

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using testing::AdminConnection;
using testing::ScratchDatabase;

std::map<std::string, std::string> WriteCounters(AdminConnection& admin) {
  std::map<std::string, std::string> counters;
  for (const auto& row :
       admin.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert', 'Com_delete', "
                   "'Com_update', 'Com_create_table', 'Com_drop_table', 'Com_alter_table', "
                   "'Com_insert_select', 'Com_replace', 'Com_truncate')")) {
    counters[row[0].value_or("")] = row[1].value_or("");
  }
  return counters;
}

struct Attempt {
  std::string sql;
  ErrorCode expected;
};

// The error of running `sql` through the driver: at open or at the first batch.
base::Status RunThroughDriver(SourceConnector& source, const std::string& sql) {
  auto reader = source.OpenReader(sql, {}, {});
  if (!reader.ok()) return reader.status();
  Batch batch;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    if (!state.ok()) return state.status();
    if (*state == ReadState::kFinished) return base::Status::Ok();
  }
}

TEST(MySqlReadOnlyTest, WriteAttemptsOnAPrivilegedAccountChangeNothing) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  AdminConnection& admin = db.admin();
  admin.Exec("CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(20))");
  admin.Exec("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  const std::string outfile = fmt::format("/tmp/cs_mysql_outfile_{}_{}", getpid(), db.name());
  std::filesystem::remove(outfile);

  auto source = OpenMySqlSource(db.Admin());
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto info = (*source)->Check();
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(info->can_write);  // the account could write; only the driver stops it

  const std::string checksum_before = admin.Query("CHECKSUM TABLE t")[0][1].value_or("");
  const std::string max_connections_before = admin.Scalar("SELECT @@GLOBAL.max_connections");
  const auto counters_before = WriteCounters(admin);

  const std::vector<Attempt> attempts = {
      // Refused by the read-only session when prepared (error 1792): nothing runs.
      {"INSERT INTO t VALUES (100, 'x')", ErrorCode::kPermissionDenied},
      {"UPDATE t SET b = 'changed'", ErrorCode::kPermissionDenied},
      {"DELETE FROM t", ErrorCode::kPermissionDenied},
      {"CREATE TABLE x (a int)", ErrorCode::kPermissionDenied},
      // Not refused by the session at prepare time, so the driver refuses them before they run
      // because they return no result columns.
      {"DROP TABLE t", ErrorCode::kBadQuery},
      {"TRUNCATE TABLE t", ErrorCode::kBadQuery},
      {fmt::format("SELECT * FROM t INTO OUTFILE '{}'", outfile), ErrorCode::kBadQuery},
      {fmt::format("SELECT b FROM t LIMIT 1 INTO DUMPFILE '{}'", outfile), ErrorCode::kBadQuery},
      {"SET GLOBAL max_connections=1", ErrorCode::kBadQuery},
      {"SET SESSION TRANSACTION READ WRITE", ErrorCode::kBadQuery},
      {"COMMIT", ErrorCode::kBadQuery},
      // A second statement is a syntax error for a prepared statement.
      {"SELECT 1; DELETE FROM t", ErrorCode::kBadQuery},
      {"SELECT 1; SET GLOBAL max_connections=1", ErrorCode::kBadQuery},
      // Runs, and the read-only transaction refuses the row locks (error 1792).
      {"SELECT * FROM t FOR UPDATE", ErrorCode::kPermissionDenied},
  };
  for (const Attempt& attempt : attempts) {
    SCOPED_TRACE(attempt.sql);
    const base::Status status = RunThroughDriver(**source, attempt.sql);
    EXPECT_EQ(status.code(), attempt.expected) << status.ToString();
  }

  EXPECT_EQ(WriteCounters(admin), counters_before);
  EXPECT_EQ(admin.Query("CHECKSUM TABLE t")[0][1].value_or(""), checksum_before);
  EXPECT_EQ(admin.Scalar("SELECT @@GLOBAL.max_connections"), max_connections_before);
  EXPECT_EQ(admin.Scalar(fmt::format("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                     "TABLE_SCHEMA = '{}' AND TABLE_NAME = 'x'",
                                     db.name())),
            "0");
  EXPECT_FALSE(std::filesystem::exists(outfile));
  EXPECT_EQ(admin.Scalar("SELECT GROUP_CONCAT(b ORDER BY a) FROM t"), "one,two,three");
}

// Statements that return rows AND write (MariaDB's RETURNING) pass the "has a result set" layer;
// the read-only transaction stops them, on transactional and non-transactional tables alike.
TEST(MySqlReadOnlyTest, ReturningWritesAreStoppedByTheReadOnlyTransaction) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  AdminConnection& admin = db.admin();
  admin.Exec("CREATE TABLE t (a INT PRIMARY KEY) ENGINE=InnoDB");
  admin.Exec("CREATE TABLE m (a INT PRIMARY KEY) ENGINE=MyISAM");
  admin.Exec("CREATE TABLE r (a INT PRIMARY KEY) ENGINE=Aria");
  for (const char* table : {"t", "m", "r"}) {
    admin.Exec(fmt::format("INSERT INTO {} VALUES (1), (2)", table));
  }
  auto source = OpenMySqlSource(db.Admin());
  ASSERT_TRUE(source.ok()) << source.status().ToString();

  for (const char* table : {"t", "m", "r"}) {
    const std::string checksum =
        admin.Query(fmt::format("CHECKSUM TABLE {}", table))[0][1].value_or("");
    for (const std::string& sql : {fmt::format("DELETE FROM {} RETURNING a", table),
                                   fmt::format("INSERT INTO {} VALUES (3) RETURNING a", table),
                                   fmt::format("REPLACE INTO {} VALUES (1) RETURNING a", table)}) {
      SCOPED_TRACE(sql);
      const base::Status status = RunThroughDriver(**source, sql);
      EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied) << status.ToString();
      EXPECT_NE(status.message().find("contactsync only reads"), std::string::npos);
    }
    EXPECT_EQ(admin.Query(fmt::format("CHECKSUM TABLE {}", table))[0][1].value_or(""), checksum)
        << table;
  }
}

}  // namespace
}  // namespace contactsync::source::mysql
