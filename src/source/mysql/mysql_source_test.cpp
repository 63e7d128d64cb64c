// The MySQL/MariaDB driver against a real MariaDB (scripts/test-servers.sh).

#include "source/mysql/mysql_source.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "query/dialect.h"
#include "source/mysql/session.h"
#include "source/mysql/test_server.h"

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using base::Status;
using testing::AdminConnection;
using testing::ScratchDatabase;
using Clock = std::chrono::steady_clock;

std::unique_ptr<SourceConnector> MustOpen(const ConnectionSettings& settings) {
  auto source = OpenMySqlSource(settings);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  return source.ok() ? std::move(source).value() : nullptr;
}

// Every row of `sql`, read in batches of `options`; fails the test on any error.
std::vector<Row> ReadAll(SourceConnector& source, std::string_view sql,
                         const std::vector<Value>& params = {}, const ReadOptions& options = {}) {
  std::vector<Row> rows;
  auto reader = source.OpenReader(sql, params, options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return rows;
  Batch batch;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    if (!state.ok()) return rows;
    for (Row& row : batch.rows) rows.push_back(std::move(row));
    if (*state == ReadState::kFinished) return rows;
  }
}

std::string Quote(std::string_view name) {
  auto quoted = query::QuoteIdentifier(query::Dialect::kMySql, name);
  EXPECT_TRUE(quoted.ok());
  return quoted.ok() ? *quoted : std::string();
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(MySqlSourceTest, CheckReportsVersionDatabaseAndWritePrivileges) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);

  auto admin = MustOpen(db.Admin());
  ASSERT_NE(admin, nullptr);
  auto admin_info = admin->Check();
  ASSERT_TRUE(admin_info.ok()) << admin_info.status().ToString();
  EXPECT_NE(admin_info->server_version.find("MariaDB"), std::string::npos);
  EXPECT_EQ(admin_info->database, db.name());
  EXPECT_TRUE(admin_info->can_write);
  EXPECT_TRUE(admin_info->privileged);
  // One line, said once, naming what was found.
  EXPECT_EQ(admin_info->warning,
            "this account can change data and is privileged (ALL PRIVILEGES, GRANT OPTION): "
            "custom queries are refused on it unless the connection allows them "
            "(--allow-custom-query-with-privileged-account); contactsync never writes, but a "
            "SELECT-only account is safer (see docs/read-only.md)");

  auto reader = MustOpen(db.Reader());
  ASSERT_NE(reader, nullptr);
  auto reader_info = reader->Check();
  ASSERT_TRUE(reader_info.ok()) << reader_info.status().ToString();
  EXPECT_FALSE(reader_info->can_write);
  EXPECT_FALSE(reader_info->privileged);
  EXPECT_EQ(reader_info->warning, "");
  EXPECT_EQ(reader_info->database, db.name());
}

// Issue 11: rights beyond data make an account privileged, also when they come with the
// account's default role, and also when it cannot write.
TEST(MySqlSourceTest, CheckFindsPrivilegesGivenThroughTheDefaultRole) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  const std::string user = "u_" + db.name();
  const std::string role = "r_" + db.name();
  AdminConnection& admin = db.admin();
  admin.Exec(fmt::format("CREATE USER '{}'@'%' IDENTIFIED BY 'pw-{}'", user, db.name()));
  admin.Exec(fmt::format("CREATE ROLE {}", role));
  admin.Exec(fmt::format("GRANT PROCESS, BINLOG MONITOR ON *.* TO {}", role));
  admin.Exec(fmt::format("GRANT {} TO '{}'@'%'", role, user));
  admin.Exec(fmt::format("SET DEFAULT ROLE {} FOR '{}'@'%'", role, user));
  admin.Exec(fmt::format("GRANT SELECT ON {}.* TO '{}'@'%'", Quote(db.name()), user));
  ConnectionSettings settings = db.Reader();
  settings.user = user;
  settings.password = "pw-" + db.name();
  {
    auto source = MustOpen(settings);
    ASSERT_NE(source, nullptr);
    auto info = source->Check();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_FALSE(info->can_write);
    EXPECT_TRUE(info->privileged);
    EXPECT_EQ(info->warning.rfind("this account is privileged (PROCESS, BINLOG MONITOR): ", 0), 0u)
        << info->warning;
  }
  admin.Exec(fmt::format("DROP USER '{}'@'%'", user));
  admin.Exec(fmt::format("DROP ROLE {}", role));
}

// Issue 11: the session's sql_mode and character sets are the ones the custom-query checker
// lexes with, whatever the server's defaults (the shared server's add NO_AUTO_CREATE_USER).
TEST(MySqlSourceTest, SessionsUseTheFixedSqlModeAndUtf8mb4) {
  CS_REQUIRE_MARIADB(server);
  auto source = MustOpen(server.reader);
  ASSERT_NE(source, nullptr);
  const std::vector<Row> rows =
      ReadAll(*source,
              "SELECT @@session.sql_mode, @@session.character_set_client, "
              "@@session.character_set_connection, @@session.character_set_results");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Row{Value::Text(kSessionSqlMode), Value::Text("utf8mb4"),
                          Value::Text("utf8mb4"), Value::Text("utf8mb4")}));
}

TEST(MySqlSourceTest, ConnectionFailuresAreClearAndNeverShowThePassword) {
  CS_REQUIRE_MARIADB(server);

  ConnectionSettings wrong = server.reader;
  wrong.password = "Wrong-Pa55word-x";
  auto denied = OpenMySqlSource(wrong);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), ErrorCode::kAuthFailed) << denied.status().ToString();
  EXPECT_EQ(denied.status().message(),
            fmt::format("MySQL/MariaDB rejected user '{}' at {}:{}: wrong user name or password",
                        wrong.user, wrong.host, wrong.port));
  EXPECT_EQ(denied.status().message().find(wrong.password), std::string::npos);
  EXPECT_EQ(denied.status().message().find(server.reader.password), std::string::npos);

  ConnectionSettings unknown_db = server.admin;
  unknown_db.database = "cs_no_such_database";
  auto missing = OpenMySqlSource(unknown_db);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ(missing.status().message(),
            fmt::format("database 'cs_no_such_database' does not exist on {}:{}", unknown_db.host,
                        unknown_db.port));

  ConnectionSettings unreachable = server.reader;
  unreachable.port = UnusedPort();
  unreachable.connect_timeout_s = 3;
  const auto start = Clock::now();
  auto down = OpenMySqlSource(unreachable);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), ErrorCode::kUnavailable) << down.status().ToString();
  EXPECT_NE(down.status().message().find(
                fmt::format("cannot reach MySQL/MariaDB at 127.0.0.1:{}", unreachable.port)),
            std::string::npos)
      << down.status().message();
  EXPECT_LT(elapsed, std::chrono::seconds(unreachable.connect_timeout_s + 1));
  EXPECT_EQ(down.status().message().find(unreachable.password), std::string::npos);

  // The test server has no TLS: "require" must refuse to fall back to plain TCP.
  ConnectionSettings tls = server.reader;
  tls.tls_mode = TlsMode::kRequire;
  auto no_tls = OpenMySqlSource(tls);
  ASSERT_FALSE(no_tls.ok());
  EXPECT_EQ(no_tls.status().code(), ErrorCode::kTlsFailure) << no_tls.status().ToString();

  ConnectionSettings plain = server.reader;
  plain.tls_mode = TlsMode::kDisable;
  EXPECT_TRUE(OpenMySqlSource(plain).ok());
}

class MySqlFixtureTest : public ::testing::Test {
 protected:
  static constexpr std::string_view kHostile = "we`ird ;-- [x] \"q\" 'a'.b select";
};

TEST_F(MySqlFixtureTest, ListsTablesAndViewsSortedWithHostileNames) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50))");
  db.admin().Exec("CREATE VIEW people_view AS SELECT name FROM people");
  db.admin().Exec(fmt::format("CREATE TABLE {} ({} INT)", Quote(kHostile), Quote(kHostile)));
  db.admin().Exec("CREATE TABLE `select` (`from` INT)");

  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  auto tables = source->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  const std::vector<TableInfo> expected = {
      {"", "people", TableKind::kTable},
      {"", "people_view", TableKind::kView},
      {"", "select", TableKind::kTable},
      {"", std::string(kHostile), TableKind::kTable},
  };
  EXPECT_EQ(*tables, expected);
}

TEST_F(MySqlFixtureTest, DescribesTablesAndQueriesWithoutRunningThem) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec(
      "CREATE TABLE customers (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, email VARCHAR(200) NOT "
      "NULL, subscribed TINYINT(1), balance DECIMAL(20,6), born DATE, seen DATETIME(6), "
      "photo BLOB, code VARBINARY(8), note TEXT CHARACTER SET latin1)");
  db.admin().Exec(
      fmt::format("CREATE TABLE {} ({} VARCHAR(5) NOT NULL)", Quote(kHostile), Quote(kHostile)));

  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  auto columns = source->DescribeTable("", "customers");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  const std::vector<ColumnInfo> expected = {
      {"id", "bigint(20) unsigned", ValueKind::kInteger, false},
      {"email", "varchar(200)", ValueKind::kText, false},
      {"subscribed", "tinyint(1)", ValueKind::kBoolean, true},
      {"balance", "decimal(20,6)", ValueKind::kDecimal, true},
      {"born", "date", ValueKind::kDate, true},
      {"seen", "datetime(6)", ValueKind::kDateTime, true},
      {"photo", "blob", ValueKind::kBinary, true},
      {"code", "varbinary(8)", ValueKind::kBinary, true},
      {"note", "text", ValueKind::kText, true},
  };
  EXPECT_EQ(*columns, expected);

  auto same_with_schema = source->DescribeTable(db.name(), "customers");
  ASSERT_TRUE(same_with_schema.ok());
  EXPECT_EQ(*same_with_schema, expected);

  auto hostile = source->DescribeTable("", kHostile);
  ASSERT_TRUE(hostile.ok()) << hostile.status().ToString();
  ASSERT_EQ(hostile->size(), 1u);
  EXPECT_EQ((*hostile)[0].name, kHostile);
  EXPECT_EQ((*hostile)[0].kind, ValueKind::kText);
  EXPECT_FALSE((*hostile)[0].nullable);

  auto missing = source->DescribeTable("", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            fmt::format("table 'nope' does not exist in database '{}'", db.name()));
  EXPECT_EQ(source->DescribeTable("other_db", "customers").status().code(), ErrorCode::kNotFound);

  auto query = source->DescribeQuery(
      "SELECT id, email AS address, balance * 2 AS doubled, NULL AS nothing FROM customers");
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  ASSERT_EQ(query->size(), 4u);
  EXPECT_EQ((*query)[0].name, "id");
  EXPECT_EQ((*query)[0].kind, ValueKind::kInteger);
  EXPECT_EQ((*query)[0].declared_type, "BIGINT UNSIGNED");
  EXPECT_FALSE((*query)[0].nullable);
  EXPECT_EQ((*query)[1].name, "address");
  EXPECT_EQ((*query)[1].kind, ValueKind::kText);
  EXPECT_EQ((*query)[2].kind, ValueKind::kDecimal);
  EXPECT_EQ((*query)[3].kind, ValueKind::kUnknown);

  // Writes are refused as soon as they are prepared (this account lacks the privilege; the
  // read-only session would refuse them too, see read_only_test.cpp)...
  auto write = source->DescribeQuery("DELETE FROM customers");
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(write.status().message().find("DELETE command denied"), std::string::npos)
      << write.status().message();
  // ...and anything else without result columns by the driver.
  for (const char* sql : {"DO 1", "SET @a = 1", "SELECT 1 INTO @a"}) {
    auto not_select = source->DescribeQuery(sql);
    ASSERT_FALSE(not_select.ok()) << sql;
    EXPECT_EQ(not_select.status().code(), ErrorCode::kBadQuery) << sql;
    EXPECT_EQ(not_select.status().message(),
              "only SELECT queries can be used: this statement returns no rows");
  }
  auto syntax = source->DescribeQuery("SELEKT 1");
  EXPECT_EQ(syntax.status().code(), ErrorCode::kBadQuery);
  auto unknown_column = source->DescribeQuery("SELECT emial FROM customers");
  EXPECT_EQ(unknown_column.status().code(), ErrorCode::kBadQuery);
  auto unknown_table = source->DescribeQuery("SELECT * FROM nope");
  EXPECT_EQ(unknown_table.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(source->DescribeQuery("  ").status().code(), ErrorCode::kBadQuery);
}

// Issue 12: every message said "MySQL", also to a user who had connected to MariaDB. Once a
// connection has said which server it is (the test server is MariaDB), messages name it.
TEST_F(MySqlFixtureTest, MessagesNameTheServerTheUserConnectedTo) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(200))");
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  auto info = source->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_NE(info->server_version.find("MariaDB"), std::string::npos) << info->server_version;

  auto syntax = source->DescribeQuery("SELEKT 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message().rfind("MariaDB rejected the query: ", 0), 0u)
      << syntax.status().message();
  auto unknown_table = source->DescribeQuery("SELECT * FROM nope");
  ASSERT_FALSE(unknown_table.ok());
  EXPECT_EQ(unknown_table.status().message().rfind(
                fmt::format("MariaDB at {}:{}: ", server.reader.host, server.reader.port), 0),
            0u)
      << unknown_table.status().message();
  auto reader = source->OpenReader("SELECT email FROM customers WHERE no_such_column = 1", {}, {});
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().message().rfind("MariaDB rejected the query: ", 0), 0u)
      << reader.status().message();
  for (const Status& status : {syntax.status(), unknown_table.status(), reader.status()}) {
    EXPECT_EQ(status.message().find("MySQL"), std::string::npos) << status.message();
  }

  // Before a login succeeds the server has not said which it is (libmariadb drops the
  // greeting's version when the login fails): the neutral name, never a wrong one.
  ConnectionSettings wrong = db.Reader();
  wrong.password = "Wrong-Pa55word-x";
  auto denied = OpenMySqlSource(wrong);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().message().rfind("MySQL/MariaDB rejected user ", 0), 0u)
      << denied.status().message();
}

TEST_F(MySqlFixtureTest, ReadsEveryTypeExactly) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("SET SESSION sql_mode = ''");  // zero dates
  db.admin().Exec(
      "CREATE TABLE types (id INT PRIMARY KEY, b TINYINT(1), i INT, big BIGINT, "
      "ubig BIGINT UNSIGNED, d DECIMAL(20,6), f FLOAT, g DOUBLE, dt DATE, ts_dt DATETIME(6), "
      "ts TIMESTAMP NULL, tm TIME, y YEAR, c_latin CHAR(10) CHARACTER SET latin1, "
      "v_utf8 VARCHAR(50) CHARACTER SET utf8mb3, t_mb4 TEXT CHARACTER SET utf8mb4, "
      "e ENUM('red','green'), s SET('a','b','c'), j JSON, bin BINARY(3), vb VARBINARY(10), "
      "bl BLOB, bits BIT(12))");
  db.admin().Exec(
      "INSERT INTO types VALUES (1, 1, -2147483648, -9223372036854775808, "
      "18446744073709551615, -12345678901234.123456, 0.1, 0.1, '2024-02-29', "
      "'2024-02-29 13:14:15.123456', '2001-02-03 04:05:06', '-838:59:59', 2024, 'Zoë', "
      "'Ærø ünïcödé', 'emoji 😀 and 中文', 'green', 'a,c', '{\"k\": [1, \"ü\"]}', "
      "'ab', X'00FF10', X'DEADBEEF', b'101000000001')");
  db.admin().Exec(
      "INSERT INTO types VALUES (2, 0, 2147483647, 9223372036854775807, 0, 0.000001, -1.5, "
      "1e300, '0000-00-00', '0000-00-00 00:00:00', NULL, '00:00:00', 0, '', '', '', NULL, '', "
      "NULL, NULL, X'', NULL, b'0')");
  db.admin().Exec("INSERT INTO types (id) VALUES (3)");

  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  const std::vector<Row> rows = ReadAll(*source, "SELECT * FROM types ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  const std::vector<std::string> names = {
      "id", "b",       "i",      "big",   "ubig", "d", "f", "g",   "dt", "ts_dt", "ts",  "tm",
      "y",  "c_latin", "v_utf8", "t_mb4", "e",    "s", "j", "bin", "vb", "bl",    "bits"};
  auto text = [](const char* s) { return Value::Text(s); };
  const Row expected1 = {
      text("1"),
      text("1"),
      text("-2147483648"),
      text("-9223372036854775808"),
      text("18446744073709551615"),
      text("-12345678901234.123456"),
      text("0.1"),
      text("0.1"),
      text("2024-02-29"),
      text("2024-02-29 13:14:15.123456"),
      text("2001-02-03 04:05:06"),
      text("-838:59:59"),
      text("2024"),
      text("Zoë"),
      text("Ærø ünïcödé"),
      text("emoji 😀 and 中文"),
      text("green"),
      text("a,c"),
      text("{\"k\": [1, \"ü\"]}"),
      Value::Binary(std::string("ab\0", 3)),
      Value::Binary(std::string("\x00\xff\x10", 3)),
      Value::Binary("\xde\xad\xbe\xef"),
      Value::Binary("\x0a\x01"),
  };
  const Row expected2 = {
      text("2"),
      text("0"),
      text("2147483647"),
      text("9223372036854775807"),
      text("0"),
      text("0.000001"),
      text("-1.5"),
      text("1e+300"),
      Value::Null(),
      Value::Null(),
      Value::Null(),
      text("00:00:00"),
      text("0000"),
      text(""),
      text(""),
      text(""),
      Value::Null(),
      text(""),
      Value::Null(),
      Value::Null(),
      Value::Binary(""),
      Value::Null(),
      Value::Binary(std::string("\x00\x00", 2)),
  };
  ASSERT_EQ(rows[0].size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(rows[0][i], expected1[i])
        << names[i] << ": " << rows[0][i].DebugString() << " vs " << expected1[i].DebugString();
    EXPECT_EQ(rows[1][i], expected2[i])
        << names[i] << ": " << rows[1][i].DebugString() << " vs " << expected2[i].DebugString();
    if (i > 0) {
      EXPECT_TRUE(rows[2][i].is_null()) << names[i];
    }
  }

  auto reader = source->OpenReader("SELECT * FROM types", {}, {});
  ASSERT_TRUE(reader.ok());
  const std::vector<ColumnInfo>& columns = (*reader)->columns();
  ASSERT_EQ(columns.size(), names.size());
  const std::vector<ValueKind> kinds = {
      ValueKind::kInteger, ValueKind::kBoolean,  ValueKind::kInteger,  ValueKind::kInteger,
      ValueKind::kInteger, ValueKind::kDecimal,  ValueKind::kReal,     ValueKind::kReal,
      ValueKind::kDate,    ValueKind::kDateTime, ValueKind::kDateTime, ValueKind::kTime,
      ValueKind::kInteger, ValueKind::kText,     ValueKind::kText,     ValueKind::kText,
      ValueKind::kText,    ValueKind::kText,     ValueKind::kText,     ValueKind::kBinary,
      ValueKind::kBinary,  ValueKind::kBinary,   ValueKind::kBinary};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(columns[i].name, names[i]);
    EXPECT_EQ(columns[i].kind, kinds[i]) << names[i];
  }
}

TEST_F(MySqlFixtureTest, ZeroDatesCanBeKept) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("SET SESSION sql_mode = ''");
  db.admin().Exec("CREATE TABLE z (d DATE, dt DATETIME, flag TINYINT(1))");
  db.admin().Exec("INSERT INTO z VALUES ('0000-00-00', '0000-00-00 00:00:00', 7)");
  TypeOptions options;
  options.zero_dates_as_null = false;
  options.tinyint1_as_boolean = false;
  auto source = OpenMySqlSource(db.Reader(), options);
  ASSERT_TRUE(source.ok());
  const std::vector<Row> rows = ReadAll(**source, "SELECT d, dt, flag FROM z");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0],
            (Row{Value::Text("0000-00-00"), Value::Text("0000-00-00 00:00:00"), Value::Text("7")}));
}

TEST_F(MySqlFixtureTest, LongTextArrivesWhole) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("CREATE TABLE docs (id INT, body LONGTEXT, raw LONGBLOB)");
  db.admin().Exec(
      "INSERT INTO docs VALUES (1, CONCAT(REPEAT('ä', 500000), 'END'), REPEAT(X'00FF', 300000))");
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  const std::vector<Row> rows = ReadAll(*source, "SELECT id, body, raw FROM docs");
  ASSERT_EQ(rows.size(), 1u);
  std::string expected_body;
  for (int i = 0; i < 500000; ++i) expected_body += "ä";
  expected_body += "END";
  EXPECT_EQ(rows[0][1].state(), Value::State::kText);
  EXPECT_EQ(rows[0][1].bytes().size(), expected_body.size());
  EXPECT_TRUE(rows[0][1].bytes() == expected_body);
  EXPECT_EQ(rows[0][2].state(), Value::State::kBinary);
  EXPECT_EQ(rows[0][2].bytes().size(), 600000u);
}

TEST_F(MySqlFixtureTest, BatchesAreBoundedByRowsAndBytes) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("CREATE TABLE nums (n INT PRIMARY KEY, pad VARCHAR(1000))");
  db.admin().Exec("INSERT INTO nums SELECT seq, REPEAT('x', 984) FROM seq_1_to_25");
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);

  auto read_batches = [&](const ReadOptions& options) {
    std::vector<size_t> sizes;
    auto reader = source->OpenReader("SELECT n, pad FROM nums ORDER BY n", {}, options);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return sizes;
    Batch batch;
    int next = 1;
    while (true) {
      auto state = (*reader)->ReadBatch(batch);
      EXPECT_TRUE(state.ok()) << state.status().ToString();
      if (!state.ok()) break;
      sizes.push_back(batch.rows.size());
      for (const Row& row : batch.rows) EXPECT_EQ(row[0], Value::Text(std::to_string(next++)));
      if (*state == ReadState::kFinished) break;
    }
    EXPECT_EQ(next, 26);
    auto after = (*reader)->ReadBatch(batch);
    EXPECT_TRUE(after.ok() && *after == ReadState::kFinished && batch.rows.empty());
    return sizes;
  };

  ReadOptions by_rows;
  by_rows.max_rows = 10;
  EXPECT_EQ(read_batches(by_rows), (std::vector<size_t>{10, 10, 5}));

  // Each row costs 2 + 984 bytes plus two cell overheads = 1018: the third row crosses 3000.
  ReadOptions by_bytes;
  by_bytes.max_bytes = 3000;
  EXPECT_EQ(read_batches(by_bytes), (std::vector<size_t>{3, 3, 3, 3, 3, 3, 3, 3, 1}));

  ReadOptions tiny;
  tiny.max_bytes = 1;
  // At least one row per batch; the end is seen by the call after the last row.
  std::vector<size_t> ones(25, 1);
  ones.push_back(0);
  EXPECT_EQ(read_batches(tiny), ones);

  ReadOptions zero;
  zero.max_rows = 0;
  EXPECT_EQ(source->OpenReader("SELECT 1", {}, zero).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(MySqlFixtureTest, ParametersAreBoundNeverSpliced) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50), nick VARCHAR(50))");
  db.admin().Exec(
      "INSERT INTO people VALUES (1, 'alice', NULL), (2, 'bob', ''), (3, 'x'' OR 1=1 --', 'z')");
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);

  auto injected =
      ReadAll(*source, "SELECT id FROM people WHERE name = ?", {Value::Text("' OR 1=1 --")});
  EXPECT_TRUE(injected.empty());
  auto literal =
      ReadAll(*source, "SELECT id FROM people WHERE name = ?", {Value::Text("x' OR 1=1 --")});
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(literal[0][0], Value::Text("3"));

  auto nulls =
      ReadAll(*source, "SELECT id FROM people WHERE ? IS NULL AND nick IS NULL", {Value::Null()});
  ASSERT_EQ(nulls.size(), 1u);
  EXPECT_EQ(nulls[0][0], Value::Text("1"));
  auto empty = ReadAll(*source, "SELECT id FROM people WHERE nick = ?", {Value::Text("")});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0][0], Value::Text("2"));
  auto several = ReadAll(*source, "SELECT id FROM people WHERE id IN (?, ?) ORDER BY id",
                         {Value::Text("3"), Value::Text("1")});
  ASSERT_EQ(several.size(), 2u);

  auto wrong_count = source->OpenReader("SELECT id FROM people WHERE id = ?", {}, {});
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_EQ(wrong_count.status().code(), ErrorCode::kBadQuery);
}

TEST_F(MySqlFixtureTest, HostileIdentifiersReadThroughQuoting) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  const std::string table = Quote(kHostile);
  const std::string column = Quote("col`; DROP TABLE x; -- .[]");
  db.admin().Exec(fmt::format("CREATE TABLE {} ({} VARCHAR(10), `select` INT)", table, column));
  db.admin().Exec(fmt::format("INSERT INTO {} VALUES ('v', 1)", table));
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  const auto rows = ReadAll(*source, fmt::format("SELECT {}, `select` FROM {}", column, table));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Row{Value::Text("v"), Value::Text("1")}));
  auto reader = source->OpenReader(fmt::format("SELECT {} FROM {}", column, table), {}, {});
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->columns()[0].name, "col`; DROP TABLE x; -- .[]");
}

// MySQL/MariaDB count identifiers in characters, at most 64: a table and a column named with 64
// characters (96 bytes for the table) are described and read; a 65th character is refused before
// the server sees it.
TEST_F(MySqlFixtureTest, NamesAtTheIdentifierLimitWork) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  std::string table;
  for (int i = 0; i < 32; ++i) table += "é";
  table += std::string(32, 't');
  const std::string column(64, 'c');
  db.admin().Exec(fmt::format("CREATE TABLE {} ({} VARCHAR(5))", Quote(table), Quote(column)));
  db.admin().Exec(fmt::format("INSERT INTO {} VALUES ('v')", Quote(table)));
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);

  auto described = source->DescribeTable("", table);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->size(), 1u);
  EXPECT_EQ((*described)[0].name, column);
  EXPECT_EQ((*described)[0].kind, ValueKind::kText);
  EXPECT_EQ(ReadAll(*source, fmt::format("SELECT {} FROM {}", Quote(column), Quote(table))),
            std::vector<Row>{Row{Value::Text("v")}});

  auto longer = query::QuoteIdentifier(query::Dialect::kMySql, table + "x");
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.status().message().find("limit of 64 characters"), std::string::npos)
      << longer.status().message();
}

// The first error of reading `sql` to the end, and how long it took.
std::pair<Status, Clock::duration> ReadUntilError(SourceConnector& source, std::string_view sql,
                                                  ReadOptions options = {}) {
  const auto start = Clock::now();
  auto reader = source.OpenReader(sql, {}, options);
  if (!reader.ok()) return {reader.status(), Clock::now() - start};
  Batch batch;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    if (!state.ok()) return {state.status(), Clock::now() - start};
    if (*state == ReadState::kFinished) return {Status::Ok(), Clock::now() - start};
  }
}

TEST_F(MySqlFixtureTest, SlowQueriesTimeOut) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  ConnectionSettings settings = db.Reader();
  settings.query_timeout_s = 1;
  auto source = MustOpen(settings);
  ASSERT_NE(source, nullptr);

  // Slow before the first row (the server computes it while mysql_stmt_execute waits).
  auto [status, elapsed] = ReadUntilError(*source, "SELECT SLEEP(5)");
  EXPECT_EQ(status.code(), ErrorCode::kTimeout) << status.ToString();
  EXPECT_TRUE(status.retryable());
  EXPECT_NE(status.message().find("query timeout of 1 s"), std::string::npos);
  EXPECT_LT(elapsed, std::chrono::milliseconds(4000));

  // Slow in the middle of the stream.
  ReadOptions one_row;
  one_row.max_rows = 1;
  auto [mid_status, mid_elapsed] =
      ReadUntilError(*source, "SELECT seq, IF(seq = 3, SLEEP(5), 0) FROM seq_1_to_5", one_row);
  EXPECT_EQ(mid_status.code(), ErrorCode::kTimeout) << mid_status.ToString();
  EXPECT_LT(mid_elapsed, std::chrono::milliseconds(4000));

  // The limit is per batch, not per read: a slow consumer does not trip it.
  auto reader = source->OpenReader("SELECT seq FROM seq_1_to_3", {}, one_row);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  int rows = 0;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    rows += static_cast<int>(batch.rows.size());
    if (*state == ReadState::kFinished) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  EXPECT_EQ(rows, 3);

  // Catalog calls run under the server's own statement timeout.
  auto catalog = db.admin().Scalar("SELECT 1");
  EXPECT_EQ(catalog, "1");
}

// The number of server threads running a statement that contains `marker`.
int RunningWith(AdminConnection& admin, std::string_view marker) {
  return std::stoi(admin.Scalar(
      fmt::format("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%{}%' "
                  "AND ID <> CONNECTION_ID()",
                  marker)));
}

bool WaitUntilGone(AdminConnection& admin, std::string_view marker) {
  for (int i = 0; i < 50; ++i) {
    if (RunningWith(admin, marker) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(MySqlFixtureTest, DroppingAReaderMidStreamStopsTheQuery) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  db.admin().Exec("CREATE TABLE big (n INT PRIMARY KEY, pad VARCHAR(200))");
  db.admin().Exec("INSERT INTO big SELECT seq, REPEAT('y', 200) FROM seq_1_to_200000");
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);

  ReadOptions options;
  options.max_rows = 100;
  auto reader = source->OpenReader("SELECT /* cs_drop_marker */ n, pad FROM big", {}, options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  auto state = (*reader)->ReadBatch(batch);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, ReadState::kMore);
  EXPECT_EQ(batch.rows.size(), 100u);
  EXPECT_EQ(RunningWith(db.admin(), "cs_drop_marker"), 1);

  const auto start = Clock::now();
  reader->reset();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_TRUE(WaitUntilGone(db.admin(), "cs_drop_marker"));

  // The connector is unaffected and can read again.
  auto again = ReadAll(*source, "SELECT COUNT(*) FROM big");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0][0], Value::Text("200000"));
}

TEST_F(MySqlFixtureTest, CancelFromAnotherThreadStopsABlockedRead) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  // Row 3 takes 20 s; rows 1 and 2 are wide enough that the server flushes them first, so the
  // first ReadBatch blocks in mysql_stmt_fetch, not in the execution.
  auto reader = source->OpenReader(
      "SELECT /* cs_cancel_marker */ seq, REPEAT('x', 40000), IF(seq = 3, SLEEP(20), 0) "
      "FROM seq_1_to_4",
      {}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  RowReader* raw = reader->get();
  std::thread canceller([raw] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    raw->Cancel();
  });
  const auto start = Clock::now();
  Batch batch;
  auto state = raw->ReadBatch(batch);
  canceller.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), ErrorCode::kCancelled) << state.status().ToString();
  auto again = raw->ReadBatch(batch);
  EXPECT_EQ(again.status().code(), ErrorCode::kCancelled);
  EXPECT_TRUE(WaitUntilGone(db.admin(), "cs_cancel_marker"));
}

TEST_F(MySqlFixtureTest, CancelStopsAQuerySlowToReturnItsFirstRow) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  auto reader = source->OpenReader("SELECT /* cs_cancel_first_marker */ SLEEP(20)", {}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->columns().size(), 1u);
  RowReader* raw = reader->get();
  std::thread canceller([raw] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    raw->Cancel();
  });
  const auto start = Clock::now();
  Batch batch;
  auto state = raw->ReadBatch(batch);
  canceller.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(state.status().code(), ErrorCode::kCancelled) << state.status().ToString();
  EXPECT_TRUE(WaitUntilGone(db.admin(), "cs_cancel_first_marker"));
}

TEST_F(MySqlFixtureTest, ParametersInTheSelectList) {
  CS_REQUIRE_MARIADB(server);
  ScratchDatabase db(server);
  auto source = MustOpen(db.Reader());
  ASSERT_NE(source, nullptr);
  auto rows = ReadAll(*source, "SELECT ? AS a, CONCAT(?, 'x') AS b, ? AS c",
                      {Value::Text("héllo"), Value::Text("y"), Value::Null()});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Row{Value::Text("héllo"), Value::Text("yx"), Value::Null()}));
}

}  // namespace
}  // namespace contactsync::source::mysql
