#include "source/postgres/postgres_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "query/dialect.h"
#include "source/postgres/reader.h"
#include "source/postgres/test_server.h"

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;
using testing::PostgresTest;
using Clock = std::chrono::steady_clock;
constexpr query::Dialect kPostgreSql = query::Dialect::kPostgreSql;

std::unique_ptr<SourceConnector> Open(const ConnectionSettings& settings) {
  auto connector = OpenPostgresSource(settings);
  EXPECT_TRUE(connector.ok()) << connector.status().ToString();
  return connector.ok() ? std::move(connector).value() : nullptr;
}

// Every row of `sql`, read in batches of `options`; fails the test on an error.
std::vector<Row> ReadAll(SourceConnector& connector, const std::string& sql,
                         const std::vector<Value>& params = {}, ReadOptions options = {}) {
  std::vector<Row> rows;
  auto reader = connector.OpenReader(sql, params, options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString() << "\n" << sql;
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

// A port on 127.0.0.1 where nothing listens.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(PostgresTest, CheckReportsVersionDatabaseAndWriteAccess) {
  auto admin = Open(admin_);
  ASSERT_NE(admin, nullptr);
  auto info = admin->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->server_version.rfind("PostgreSQL ", 0), 0u) << info->server_version;
  EXPECT_EQ(info->server_version.find(" on "), std::string::npos) << info->server_version;
  EXPECT_EQ(info->database, admin_.database);
  EXPECT_TRUE(info->can_write);
  EXPECT_NE(info->warning.find("SELECT-only account"), std::string::npos);

  auto reader = Open(reader_);
  ASSERT_NE(reader, nullptr);
  info = reader->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->can_write);
  EXPECT_EQ(info->warning, "");

  // One table the reader may change is enough to be warned about.
  session_->Exec(fmt::format("CREATE TABLE {0} (id int); GRANT SELECT, UPDATE ON {0} TO {1}",
                             Qualified("editable"), reader_.user));
  info = reader->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->can_write);
}

TEST_F(PostgresTest, ListsReadableTablesAndViewsSorted) {
  session_->Exec(fmt::format(
      "CREATE TABLE {0} (id int); CREATE TABLE {1} (id int); CREATE VIEW {2} AS SELECT * FROM "
      "{0}; CREATE MATERIALIZED VIEW {3} AS SELECT * FROM {0}; CREATE TABLE {4} (id int) "
      "PARTITION BY RANGE (id); CREATE TABLE {5} PARTITION OF {4} FOR VALUES FROM (0) TO (10); "
      "CREATE TABLE {6} (id int); GRANT SELECT ON {0}, {2}, {4} TO {7}; GRANT SELECT (id) ON {1} "
      "TO {7}",
      Qualified("b table"), Qualified("A\"q"), Qualified("view"), Qualified("matview"),
      Qualified("parted"), Qualified("part_1"), Qualified("secret"),
      *query::QuoteIdentifier(kPostgreSql, reader_.user)));
  auto admin = Open(admin_);
  ASSERT_NE(admin, nullptr);
  auto tables = admin->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  std::vector<TableInfo> mine;
  for (const TableInfo& table : *tables) {
    EXPECT_NE(table.schema, "pg_catalog");
    EXPECT_NE(table.schema, "information_schema");
    if (table.schema == schema_) mine.push_back(table);
  }
  EXPECT_TRUE(std::is_sorted(tables->begin(), tables->end(), [](const auto& a, const auto& b) {
    return std::tie(a.schema, a.name) < std::tie(b.schema, b.name);
  }));
  const std::vector<TableInfo> expected = {
      {schema_, "A\"q", TableKind::kTable},   {schema_, "b table", TableKind::kTable},
      {schema_, "matview", TableKind::kView}, {schema_, "parted", TableKind::kTable},
      {schema_, "secret", TableKind::kTable}, {schema_, "view", TableKind::kView},
  };
  EXPECT_EQ(mine, expected);

  auto reader = Open(reader_);
  ASSERT_NE(reader, nullptr);
  tables = reader->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  mine.clear();
  for (const TableInfo& table : *tables) {
    if (table.schema == schema_) mine.push_back(table);
  }
  // A grant on one column is enough to list the table; the partition is left out.
  const std::vector<TableInfo> readable = {
      {schema_, "A\"q", TableKind::kTable},
      {schema_, "b table", TableKind::kTable},
      {schema_, "parted", TableKind::kTable},
      {schema_, "view", TableKind::kView},
  };
  EXPECT_EQ(mine, readable);
}

TEST_F(PostgresTest, DescribesTableColumns) {
  session_->Exec(fmt::format(
      "CREATE DOMAIN {0} AS numeric(10,2); CREATE DOMAIN {1} AS {0}; CREATE TYPE {2} AS ENUM "
      "('happy', 'sad'); CREATE TABLE {3} (id bigint PRIMARY KEY, email varchar(200) NOT NULL, "
      "price {1}, mood {2}, active boolean, flag bit(1), born date, seen timestamptz, photo "
      "bytea, tags text[], dropped int); ALTER TABLE {3} DROP COLUMN dropped",
      Qualified("money2"), Qualified("money3"), Qualified("mood"), Qualified("people")));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto columns = connector->DescribeTable(schema_, "people");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  const std::vector<ColumnInfo> expected = {
      {"id", "bigint", ValueKind::kInteger, false},
      {"email", "character varying(200)", ValueKind::kText, false},
      {"price", schema_ + ".money3", ValueKind::kDecimal, true},
      {"mood", schema_ + ".mood", ValueKind::kText, true},
      {"active", "boolean", ValueKind::kBoolean, true},
      {"flag", "bit(1)", ValueKind::kBoolean, true},
      {"born", "date", ValueKind::kDate, true},
      {"seen", "timestamp with time zone", ValueKind::kDateTime, true},
      {"photo", "bytea", ValueKind::kBinary, true},
      {"tags", "text[]", ValueKind::kText, true},
  };
  EXPECT_EQ(*columns, expected);

  auto missing = connector->DescribeTable(schema_, "nope");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  EXPECT_EQ(connector->DescribeTable("no such schema", "people").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(connector->DescribeTable(schema_, std::string(100, 'x')).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(connector->DescribeTable(schema_, std::string("peo\0ple", 7)).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(PostgresTest, DescribeTableWithoutSchemaFollowsTheSearchPath) {
  // search_path is "$user", public: a table in public is found without a schema, one in the
  // test schema is not.
  const std::string name = testing::UniqueName();
  const std::string qpublic = *query::QualifiedName(kPostgreSql, "public", name);
  session_->Exec(fmt::format("CREATE TABLE {} (a int NOT NULL)", qpublic));
  session_->Exec(fmt::format("CREATE TABLE {} (b text)", Qualified(name)));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto columns = connector->DescribeTable("", name);
  session_->Exec(fmt::format("DROP TABLE {}", qpublic));
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ASSERT_EQ(columns->size(), 1u);
  EXPECT_EQ((*columns)[0].name, "a");
  EXPECT_FALSE((*columns)[0].nullable);
  EXPECT_EQ(connector->DescribeTable("", "only_in_" + name).status().code(), ErrorCode::kNotFound);
}

TEST_F(PostgresTest, DescribesQueriesWithoutRunningThem) {
  session_->Exec(
      fmt::format("CREATE TABLE {} (id int, email text, paid numeric(12,2))", Qualified("orders")));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto columns = connector->DescribeQuery(fmt::format(
      "SELECT id, email AS \"E-mail\", paid, now() AS at, 1.5::float8 AS r, $1::date AS since "
      "FROM {} WHERE email = $2",
      Qualified("orders")));
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  const std::vector<ColumnInfo> expected = {
      {"id", "integer", ValueKind::kInteger, true},
      {"E-mail", "text", ValueKind::kText, true},
      {"paid", "numeric(12,2)", ValueKind::kDecimal, true},
      {"at", "timestamp with time zone", ValueKind::kDateTime, true},
      {"r", "double precision", ValueKind::kReal, true},
      {"since", "date", ValueKind::kDate, true},
  };
  EXPECT_EQ(*columns, expected);

  const auto not_select =
      connector->DescribeQuery(fmt::format("DELETE FROM {}", Qualified("orders")));
  EXPECT_EQ(not_select.status().code(), ErrorCode::kBadQuery);
  EXPECT_NE(not_select.status().message().find("only SELECT queries can be used"),
            std::string::npos);
  EXPECT_EQ(connector->DescribeQuery("SELEC 1").status().code(), ErrorCode::kBadQuery);
  EXPECT_EQ(connector->DescribeQuery("SELECT nope FROM " + Qualified("orders")).status().code(),
            ErrorCode::kBadQuery);
  EXPECT_EQ(connector->DescribeQuery("SELECT * FROM " + Qualified("nope")).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(connector->DescribeQuery("SELECT 1; SELECT 2").status().code(), ErrorCode::kBadQuery);
  EXPECT_EQ(connector->DescribeQuery("").status().code(), ErrorCode::kBadQuery);
}

TEST_F(PostgresTest, AcceptsQueriesOnlyAndDescribeQueryRefusesWhatOpenReaderWould) {
  session_->Exec(fmt::format("CREATE TABLE {} (id int); INSERT INTO {} VALUES (7)", Qualified("t"),
                             Qualified("t")));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  for (const std::string& sql :
       std::vector<std::string>{"VALUES (7)", "TABLE " + Qualified("t"),
                                "WITH x AS (SELECT id FROM " + Qualified("t") + ") SELECT * FROM x",
                                "SELECT id FROM " + Qualified("t") + " -- trailing comment",
                                "  SELECT id FROM " + Qualified("t") + ";"}) {
    EXPECT_TRUE(connector->DescribeQuery(sql).ok()) << sql;
    const auto rows = ReadAll(*connector, sql);
    ASSERT_EQ(rows.size(), 1u) << sql;
    EXPECT_EQ(rows[0][0], Value::Text("7")) << sql;
  }
  for (const std::string& sql :
       std::vector<std::string>{"SHOW search_path", "EXPLAIN SELECT 1",
                                "INSERT INTO " + Qualified("t") + " VALUES (8) RETURNING id"}) {
    const auto described = connector->DescribeQuery(sql);
    EXPECT_EQ(described.status().code(), ErrorCode::kBadQuery) << sql;
    EXPECT_NE(described.status().message().find("only SELECT queries can be used"),
              std::string::npos)
        << described.status().message();
    EXPECT_EQ(connector->OpenReader(sql, {}, {}).status().code(), ErrorCode::kBadQuery) << sql;
  }
  // Refused when described, before any Run: the read-only transaction forbids the row locks.
  EXPECT_EQ(
      connector->DescribeQuery("SELECT * FROM " + Qualified("t") + " FOR UPDATE").status().code(),
      ErrorCode::kPermissionDenied);
  // Parameters are NULL while describing; the query is planned, not run.
  EXPECT_TRUE(
      connector->DescribeQuery("SELECT 1 / $1::int, pg_sleep(10) FROM " + Qualified("t")).ok());
  EXPECT_EQ(session_->Scalar("SELECT count(*) FROM " + Qualified("t")), "1");
}

TEST_F(PostgresTest, ReadsEveryCommonTypeExactly) {
  session_->Exec(fmt::format(
      "CREATE TYPE {0} AS ENUM ('happy', 'sad'); "
      "CREATE TABLE {1} (id int PRIMARY KEY, b bool, i2 smallint, i4 int, i8 bigint, "
      "n numeric(30,10), r real, d double precision, dt date, ts timestamp, tstz timestamptz, "
      "tm time, iv interval, tx text, vc varchar(50), ch char(5), js json, jb jsonb, u uuid, "
      "m {0}, arr int[], by bytea);"
      "INSERT INTO {1} VALUES "
      "(1, true, -32768, -2147483648, -9223372036854775808, '12345678901234567890.0123456789', "
      "'NaN', 'Infinity', 'infinity', '2024-02-29 13:45:00.123456', '2024-02-29 13:45:00+02', "
      "'23:59:59.5', '1 year 2 months 3 days 04:05:06', 'Grüße 👋 \"q\" \\ ''s', 'Zoë', 'ab', "
      "'{{\"a\": [1, 2]}}', '{{\"b\": 1, \"a\": \"ü\"}}', "
      "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', '{{1,2,NULL}}', '\\x00ff41'), "
      "(2, false, 32767, 2147483647, 9223372036854775807, '-0.1', '-Infinity', 0.1, "
      "'-infinity', '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '00:00:00', '-1 day', '', "
      "'', '', 'null', '[]', '00000000-0000-0000-0000-000000000000', 'sad', '{{}}', ''), "
      "(3, NULL, NULL, NULL, NULL, NULL, 0.1, 1e300, '2000-01-01', NULL, NULL, NULL, NULL, "
      "repeat('é', 524288), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
      Qualified("mood"), Qualified("types")));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto reader = connector->OpenReader(
      fmt::format("SELECT * FROM {} ORDER BY id", Qualified("types")), {}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<ValueKind> kinds;
  for (const ColumnInfo& column : (*reader)->columns()) kinds.push_back(column.kind);
  using K = ValueKind;
  EXPECT_EQ(kinds,
            (std::vector<K>{K::kInteger,  K::kBoolean, K::kInteger, K::kInteger, K::kInteger,
                            K::kDecimal,  K::kReal,    K::kReal,    K::kDate,    K::kDateTime,
                            K::kDateTime, K::kTime,    K::kText,    K::kText,    K::kText,
                            K::kText,     K::kText,    K::kText,    K::kText,    K::kText,
                            K::kText,     K::kBinary}));
  EXPECT_EQ((*reader)->columns()[5].declared_type, "numeric(30,10)");
  EXPECT_EQ((*reader)->columns()[19].declared_type, schema_ + ".mood");

  const std::vector<Row> rows =
      ReadAll(*connector, fmt::format("SELECT * FROM {} ORDER BY id", Qualified("types")));
  ASSERT_EQ(rows.size(), 3u);
  const auto T = [](const char* text) { return Value::Text(text); };
  const Value null;
  const Row first = {T("1"),
                     T("t"),
                     T("-32768"),
                     T("-2147483648"),
                     T("-9223372036854775808"),
                     T("12345678901234567890.0123456789"),
                     T("NaN"),
                     T("Infinity"),
                     T("infinity"),
                     T("2024-02-29 13:45:00.123456"),
                     T("2024-02-29 11:45:00+00"),
                     T("23:59:59.5"),
                     T("P1Y2M3DT4H5M6S"),
                     T("Grüße 👋 \"q\" \\ 's"),
                     T("Zoë"),
                     T("ab   "),
                     T("{\"a\": [1, 2]}"),
                     T("{\"a\": \"ü\", \"b\": 1}"),
                     T("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                     T("happy"),
                     T("{1,2,NULL}"),
                     Value::Binary(std::string("\x00\xff"
                                               "A",
                                               3))};
  EXPECT_EQ(rows[0], first);
  const Row second = {T("2"),
                      T("f"),
                      T("32767"),
                      T("2147483647"),
                      T("9223372036854775807"),
                      T("-0.1000000000"),
                      T("-Infinity"),
                      T("0.1"),
                      T("-infinity"),
                      T("1999-12-31 23:59:59"),
                      T("1970-01-01 00:00:00+00"),
                      T("00:00:00"),
                      T("P-1D"),
                      T(""),
                      T(""),
                      T("     "),
                      T("null"),
                      T("[]"),
                      T("00000000-0000-0000-0000-000000000000"),
                      T("sad"),
                      T("{}"),
                      Value::Binary("")};
  EXPECT_EQ(rows[1], second);
  ASSERT_EQ(rows[2].size(), 22u);
  EXPECT_TRUE(rows[2][1].is_null());
  EXPECT_EQ(rows[2][6], T("0.1"));
  EXPECT_EQ(rows[2][7], T("1e+300"));
  EXPECT_EQ(rows[2][8], T("2000-01-01"));
  std::string big;
  for (int i = 0; i < 524288; ++i) big += "é";
  EXPECT_EQ(rows[2][13], Value::Text(big));  // 1 MB of two-byte characters
  EXPECT_EQ(rows[2][21], null);
}

TEST_F(PostgresTest, StreamsInBatchesBoundedByRows) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto reader = connector->OpenReader("SELECT x FROM generate_series(1, 2500) AS x ORDER BY x", {},
                                      {.max_rows = 1000, .max_bytes = 1 << 30});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  std::vector<size_t> sizes;
  int expected = 1;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    sizes.push_back(batch.rows.size());
    size_t bytes = 0;
    for (const Row& row : batch.rows) {
      ASSERT_EQ(row.size(), 1u);
      EXPECT_EQ(row[0], Value::Text(std::to_string(expected++)));
      bytes += row[0].ByteCost();
    }
    EXPECT_EQ(batch.bytes, bytes);
    if (*state == ReadState::kFinished) break;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
  // After kFinished: kFinished again, with an empty batch.
  auto again = (*reader)->ReadBatch(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, ReadState::kFinished);
  EXPECT_TRUE(batch.rows.empty());
}

TEST_F(PostgresTest, StreamsInBatchesBoundedByBytes) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  // Each row costs 1000 + 16 bytes: a 10 000-byte bound ends a batch at its 10th row.
  auto reader = connector->OpenReader("SELECT repeat('x', 1000) FROM generate_series(1, 95)", {},
                                      {.max_rows = 1000, .max_bytes = 10000});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  std::vector<size_t> sizes;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    sizes.push_back(batch.rows.size());
    if (*state == ReadState::kFinished) break;
    EXPECT_GE(batch.bytes, 10000u);
    EXPECT_LT(batch.bytes - batch.rows.back()[0].ByteCost(), 10000u);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{10, 10, 10, 10, 10, 10, 10, 10, 10, 5}));

  // A row larger than the bound still makes a batch of its own.
  reader = connector->OpenReader("SELECT repeat('y', 1048576) FROM generate_series(1, 3)", {},
                                 {.max_rows = 1000, .max_bytes = 1000});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  sizes.clear();
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    sizes.push_back(batch.rows.size());
    for (const Row& row : batch.rows) EXPECT_EQ(row[0].bytes().size(), 1048576u);
    if (*state == ReadState::kFinished) break;
  }
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), 1u), 3);
}

TEST_F(PostgresTest, BindsHostileValuesAsParameters) {
  session_->Exec(fmt::format(
      "CREATE TABLE {} (id int, v text, b bytea); INSERT INTO {} VALUES (1, '''; DROP TABLE x; "
      "--', '\\x00'), (2, '', NULL), (3, NULL, '\\xff'), (4, '$1 \"select\" `;--', NULL)",
      Qualified("t"), Qualified("t")));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  const std::string sql = fmt::format(
      "SELECT id FROM {} WHERE v = $1 OR b = $2 OR (v IS NULL AND $3::text IS NULL) "
      "ORDER BY id",
      Qualified("t"));
  auto rows = ReadAll(*connector, sql,
                      {Value::Text("'; DROP TABLE x; --"), Value::Binary("\xff"), Value::Null()});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], Value::Text("1"));
  EXPECT_EQ(rows[1][0], Value::Text("3"));
  rows = ReadAll(
      *connector, sql,
      {Value::Text("$1 \"select\" `;--"), Value::Binary(std::string(1, '\0')), Value::Text("x")});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], Value::Text("1"));
  EXPECT_EQ(rows[1][0], Value::Text("4"));
  rows = ReadAll(*connector, sql, {Value::Text(""), Value::Null(), Value::Text("x")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], Value::Text("2"));
  EXPECT_EQ(session_->Scalar("SELECT count(*) FROM " + Qualified("t")), "4");

  // A text value is sent NUL-terminated, so a NUL inside would silently cut it short.
  auto nul = connector->OpenReader(
      sql, {Value::Text(std::string("a\0b", 3)), Value::Null(), Value::Null()}, {});
  EXPECT_EQ(nul.status().code(), ErrorCode::kInvalidArgument);
  auto too_few = connector->OpenReader(sql, {Value::Text("a")}, {});
  EXPECT_EQ(too_few.status().code(), ErrorCode::kBadQuery);
  EXPECT_NE(too_few.status().message().find("3 parameters but 1 values"), std::string::npos);
  auto bad_value = connector->OpenReader("SELECT $1::int", {Value::Text("abc")}, {});
  EXPECT_EQ(bad_value.status().code(), ErrorCode::kBadQuery);
  // The connector is still usable after all these failures.
  EXPECT_EQ(ReadAll(*connector, "SELECT 1").size(), 1u);
}

TEST_F(PostgresTest, HostileIdentifiers) {
  const std::string hostile_schema = schema_ + " \"q\" `b` [c];--.x";
  const std::string table = "select \"t\" `x` [y]; --.z";
  const std::vector<std::string> columns = {"select", "a b", "c\"d", "e`f",
                                            "[g]",    ";--", "h.i",  "Ünï 📧"};
  const std::string qtable = *query::QualifiedName(kPostgreSql, hostile_schema, table);
  std::string definition;
  std::string values;
  for (size_t i = 0; i < columns.size(); ++i) {
    definition += (i == 0 ? "" : ", ") + *query::QuoteIdentifier(kPostgreSql, columns[i]) + " text";
    values += fmt::format("{}'v{}'", i == 0 ? "" : ", ", i);
  }
  session_->Exec(
      fmt::format("CREATE SCHEMA {0}; CREATE TABLE {1} ({2}); INSERT INTO {1} "
                  "VALUES ({3}); CREATE VIEW {4} AS SELECT * FROM {1}",
                  *query::QuoteIdentifier(kPostgreSql, hostile_schema), qtable, definition, values,
                  *query::QualifiedName(kPostgreSql, hostile_schema, "view \"v\"")));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);

  auto tables = connector->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  std::vector<TableInfo> mine;
  for (const TableInfo& info : *tables) {
    if (info.schema == hostile_schema) mine.push_back(info);
  }
  EXPECT_EQ(mine, (std::vector<TableInfo>{{hostile_schema, table, TableKind::kTable},
                                          {hostile_schema, "view \"v\"", TableKind::kView}}));

  auto described = connector->DescribeTable(hostile_schema, table);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  std::vector<std::string> names;
  for (const ColumnInfo& column : *described) names.push_back(column.name);
  EXPECT_EQ(names, columns);

  std::string select;
  for (size_t i = 0; i < columns.size(); ++i) {
    select += (i == 0 ? "" : ", ") + *query::QuoteIdentifier(kPostgreSql, columns[i]);
  }
  auto reader = connector->OpenReader(fmt::format("SELECT {} FROM {} WHERE {} = $1", select, qtable,
                                                  *query::QuoteIdentifier(kPostgreSql, "c\"d")),
                                      {Value::Text("v2")}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  names.clear();
  for (const ColumnInfo& column : (*reader)->columns()) names.push_back(column.name);
  EXPECT_EQ(names, columns);
  Batch batch;
  ASSERT_TRUE((*reader)->ReadBatch(batch).ok());
  ASSERT_EQ(batch.rows.size(), 1u);
  EXPECT_EQ(batch.rows[0][7], Value::Text("v7"));
  reader->reset();

  session_->Exec(
      fmt::format("DROP SCHEMA {} CASCADE", *query::QuoteIdentifier(kPostgreSql, hostile_schema)));
}

// PostgreSQL keeps names of at most 63 bytes, however many characters: a table and a column named
// at the limit are described and read; one byte more is refused before the server, which would
// silently truncate it, sees it.
TEST_F(PostgresTest, NamesAtTheIdentifierLimitWork) {
  std::string table;
  for (int i = 0; i < 31; ++i) table += "é";
  table += "t";  // 63 bytes, 32 characters
  const std::string column(63, 'c');
  const std::string qcolumn = *query::QuoteIdentifier(kPostgreSql, column);
  session_->Exec(fmt::format("CREATE TABLE {0} ({1} text); INSERT INTO {0} VALUES ('v')",
                             Qualified(table), qcolumn));
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);

  auto described = connector->DescribeTable(schema_, table);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->size(), 1u);
  EXPECT_EQ((*described)[0].name, column);
  EXPECT_EQ(ReadAll(*connector, fmt::format("SELECT {} FROM {}", qcolumn, Qualified(table))),
            std::vector<Row>{Row{Value::Text("v")}});

  auto longer = query::QuoteIdentifier(kPostgreSql, table + "x");
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.status().message().find("limit of 63 bytes"), std::string::npos)
      << longer.status().message();
  EXPECT_EQ(connector->DescribeTable(schema_, table + "x").status().code(), ErrorCode::kNotFound);
}

TEST_F(PostgresTest, WrongPasswordIsAuthFailedWithoutThePassword) {
  ConnectionSettings settings = admin_;
  settings.password = "wrong-" + admin_.password;
  auto connector = OpenPostgresSource(settings);
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), ErrorCode::kAuthFailed) << connector.status().ToString();
  EXPECT_NE(connector.status().message().find("wrong user name or password"), std::string::npos);
  EXPECT_NE(connector.status().message().find(admin_.user), std::string::npos);
  EXPECT_EQ(connector.status().message().find(settings.password), std::string::npos);
  EXPECT_EQ(connector.status().message().find(admin_.password), std::string::npos);

  settings.user = "nobody_" + testing::UniqueName();
  EXPECT_EQ(OpenPostgresSource(settings).status().code(), ErrorCode::kAuthFailed);
}

TEST_F(PostgresTest, UnknownDatabaseIsNotFound) {
  ConnectionSettings settings = admin_;
  settings.database = "no_such_db_" + testing::UniqueName();
  auto connector = OpenPostgresSource(settings);
  EXPECT_EQ(connector.status().code(), ErrorCode::kNotFound) << connector.status().ToString();
  EXPECT_NE(
      connector.status().message().find("database '" + settings.database + "' does not exist"),
      std::string::npos)
      << connector.status().message();
  // Not parsed as a connection string.
  settings.database = "dbname=" + admin_.database + " host=nowhere";
  EXPECT_EQ(OpenPostgresSource(settings).status().code(), ErrorCode::kNotFound);
}

TEST_F(PostgresTest, UnreachablePortIsUnavailableWithinTheTimeout) {
  ConnectionSettings settings = admin_;
  settings.port = ClosedPort();
  settings.connect_timeout_s = 3;
  const auto start = Clock::now();
  auto connector = OpenPostgresSource(settings);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(connector.status().code(), ErrorCode::kUnavailable) << connector.status().ToString();
  EXPECT_NE(connector.status().message().find(
                fmt::format("cannot reach PostgreSQL at 127.0.0.1:{}", settings.port)),
            std::string::npos)
      << connector.status().message();
}

TEST_F(PostgresTest, SilentServerIsTimeoutAfterTheConnectTimeout) {
  // A socket that accepts connections (the kernel completes them) but never answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ConnectionSettings settings = admin_;
  settings.port = ntohs(address.sin_port);
  settings.tls_mode = TlsMode::kDisable;
  settings.connect_timeout_s = 1;
  const auto start = Clock::now();
  auto connector = OpenPostgresSource(settings);
  const auto elapsed = Clock::now() - start;
  close(fd);
  EXPECT_EQ(connector.status().code(), ErrorCode::kTimeout) << connector.status().ToString();
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST_F(PostgresTest, TlsFailuresAreTlsFailure) {
  // The test server has no TLS.
  ConnectionSettings settings = admin_;
  settings.tls_mode = TlsMode::kRequire;
  auto connector = OpenPostgresSource(settings);
  EXPECT_EQ(connector.status().code(), ErrorCode::kTlsFailure) << connector.status().ToString();
  settings.tls_mode = TlsMode::kVerifyCa;
  settings.tls_ca_file = "/nonexistent/ca.pem";
  connector = OpenPostgresSource(settings);
  EXPECT_EQ(connector.status().code(), ErrorCode::kTlsFailure) << connector.status().ToString();
  // prefer falls back to plain TCP, as psql does.
  settings.tls_mode = TlsMode::kPrefer;
  EXPECT_TRUE(OpenPostgresSource(settings).ok());
}

TEST_F(PostgresTest, StatementTimeoutIsTimeout) {
  ConnectionSettings settings = admin_;
  settings.query_timeout_s = 1;
  auto connector = Open(settings);
  ASSERT_NE(connector, nullptr);
  const auto start = Clock::now();
  auto reader = connector->OpenReader("SELECT pg_sleep(5)", {}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  auto state = (*reader)->ReadBatch(batch);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(state.status().code(), ErrorCode::kTimeout) << state.status().ToString();
  EXPECT_NE(state.status().message().find("query timeout of 1 s"), std::string::npos);
  // The same error again, and the connector still works.
  EXPECT_EQ((*reader)->ReadBatch(batch).status().code(), ErrorCode::kTimeout);
  EXPECT_EQ(ReadAll(*connector, "SELECT 1").size(), 1u);
}

TEST_F(PostgresTest, DroppingAReaderMidStreamEndsTheQuery) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto reader = connector->OpenReader(
      "SELECT x, pg_backend_pid() FROM generate_series(1, 200000) AS x", {}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  auto state = (*reader)->ReadBatch(batch);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(*state, ReadState::kMore);
  const std::string pid = batch.rows[0][1].bytes();
  const auto start = Clock::now();
  reader->reset();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  // The session is idle: no statement running, no transaction (and so no snapshot) left open.
  EXPECT_EQ(
      session_->Scalar("SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = $1", {pid}),
      "idle");
  EXPECT_EQ(session_->Scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND "
                             "(backend_xmin IS NOT NULL OR query ILIKE '%generate_series%')",
                             {pid}),
            "0");
  // The connector reuses the connection.
  const auto pids = ReadAll(*connector, "SELECT pg_backend_pid()");
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(pids[0][0].bytes(), pid);
}

TEST_F(PostgresTest, CancelFromAnotherThreadStopsABlockedRead) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  // Row 1 arrives at once (with the server process id); row 2 takes 30 s.
  auto reader = connector->OpenReader(
      "SELECT x, pg_backend_pid(), CASE WHEN x = 2 THEN pg_sleep(30) END "
      "FROM generate_series(1, 2) AS x",
      {}, {.max_rows = 1});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  ASSERT_TRUE((*reader)->ReadBatch(batch).ok());
  ASSERT_EQ(batch.rows.size(), 1u);
  const std::string pid = batch.rows[0][1].bytes();

  const auto start = Clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    (*reader)->Cancel();
  });
  auto state = (*reader)->ReadBatch(batch);
  canceller.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(state.status().code(), ErrorCode::kCancelled) << state.status().ToString();
  EXPECT_EQ((*reader)->ReadBatch(batch).status().code(), ErrorCode::kCancelled);
  // Nothing of the read is left running on the server.
  EXPECT_TRUE(testing::WaitForBackendsGone(*session_, {std::stoi(pid)}, 5));
  EXPECT_EQ(ReadAll(*connector, "SELECT 1").size(), 1u);  // a new connection
}

TEST_F(PostgresTest, CancelBeforeReadingIsCancelled) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto reader = connector->OpenReader("SELECT 1", {}, {});
  ASSERT_TRUE(reader.ok());
  (*reader)->Cancel();
  Batch batch;
  EXPECT_EQ((*reader)->ReadBatch(batch).status().code(), ErrorCode::kCancelled);
}

TEST_F(PostgresTest, LostConnectionMidReadIsConnectionLostAndTheConnectorRecovers) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto reader = connector->OpenReader(
      "SELECT x, pg_backend_pid() FROM generate_series(1, 10000) AS x", {}, {.max_rows = 10});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  ASSERT_TRUE((*reader)->ReadBatch(batch).ok());
  const std::string pid = batch.rows[0][1].bytes();
  EXPECT_EQ(session_->Scalar("SELECT pg_terminate_backend($1::int)", {pid}), "t");
  ASSERT_TRUE(testing::WaitForBackendsGone(*session_, {std::stoi(pid)}, 5));
  base::Result<ReadState> state = ReadState::kMore;
  for (int i = 0; i < 100 && state.ok() && *state == ReadState::kMore; ++i) {
    state = (*reader)->ReadBatch(batch);  // rows already fetched may come first
  }
  EXPECT_EQ(state.status().code(), ErrorCode::kConnectionLost) << state.status().ToString();
  EXPECT_TRUE(state.status().retryable());
  reader->reset();
  auto info = connector->Check();
  EXPECT_TRUE(info.ok()) << info.status().ToString();
}

TEST_F(PostgresTest, ReaderOutlivesConnectorAndConnectorWorksDuringARead) {
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto reader =
      connector->OpenReader("SELECT x FROM generate_series(1, 50) AS x", {}, {.max_rows = 20});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  ASSERT_TRUE((*reader)->ReadBatch(batch).ok());
  EXPECT_EQ(batch.rows.size(), 20u);
  // Other calls while the read is open do not disturb it.
  EXPECT_TRUE(connector->ListTables().ok());
  EXPECT_EQ(ReadAll(*connector, "SELECT 1").size(), 1u);
  connector.reset();
  size_t total = batch.rows.size();
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    total += batch.rows.size();
    if (*state == ReadState::kFinished) break;
  }
  EXPECT_EQ(total, 50u);
}

TEST_F(PostgresTest, ReaderAccountCannotReadWhatItWasNotGranted) {
  session_->Exec(fmt::format("CREATE TABLE {} (id int)", Qualified("private")));
  auto connector = Open(reader_);
  ASSERT_NE(connector, nullptr);
  auto reader = connector->OpenReader("SELECT * FROM " + Qualified("private"), {}, {});
  EXPECT_EQ(reader.status().code(), ErrorCode::kPermissionDenied) << reader.status().ToString();
}

TEST_F(PostgresTest, RejectsWrongSettings) {
  ConnectionSettings settings = admin_;
  settings.type = SourceType::kMySql;
  EXPECT_EQ(OpenPostgresSource(settings).status().code(), ErrorCode::kInvalidArgument);
  settings = admin_;
  settings.user = "";
  EXPECT_EQ(OpenPostgresSource(settings).status().code(), ErrorCode::kInvalidArgument);
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  EXPECT_EQ(connector->OpenReader("SELECT 1", {}, {.max_rows = 0}).status().code(),
            ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Issue 11: sessions the custom-query checker can trust, privileged accounts, FETCH by bytes.

// A login role made for one test (unique name, CONNECT on the test database) and dropped after.
class TemporaryRole {
 public:
  TemporaryRole(testing::AdminSession& session, const ConnectionSettings& admin,
                const std::string& attributes)
      : session_(session), name_(testing::UniqueName()), settings_(admin) {
    settings_.user = name_;
    settings_.password = "pw-" + name_;
    session_.Exec(
        fmt::format("CREATE ROLE {} LOGIN {} PASSWORD '{}'; GRANT CONNECT ON DATABASE {} "
                    "TO {}",
                    name_, attributes, settings_.password,
                    *query::QuoteIdentifier(kPostgreSql, admin.database), name_));
  }
  ~TemporaryRole() {
    session_.Exec(fmt::format("REVOKE CONNECT ON DATABASE {} FROM {}; DROP ROLE {}",
                              *query::QuoteIdentifier(kPostgreSql, settings_.database), name_,
                              name_));
  }
  TemporaryRole(const TemporaryRole&) = delete;
  TemporaryRole& operator=(const TemporaryRole&) = delete;

  const std::string& name() const { return name_; }
  const ConnectionSettings& settings() const { return settings_; }

 private:
  testing::AdminSession& session_;
  std::string name_;
  ConnectionSettings settings_;
};

TEST_F(PostgresTest, StandardConformingStringsIsOnWhateverTheRoleDefaultSays) {
  // A role whose own default would make the server read '\' as an escape: the checker, which
  // lexes with standard strings, would then see a string end where the server does not.
  TemporaryRole role(*session_, admin_, "");
  session_->Exec(fmt::format("ALTER ROLE {} SET standard_conforming_strings = off", role.name()));
  auto connector = Open(role.settings());
  ASSERT_NE(connector, nullptr);
  const std::vector<Row> rows = ReadAll(
      *connector, "SELECT 'a\\' AS c, current_setting('standard_conforming_strings') AS scs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].bytes(), "a\\");
  EXPECT_EQ(rows[0][1].bytes(), "on");
}

TEST_F(PostgresTest, CheckSaysOnceWhatMakesAnAccountPrivileged) {
  auto admin = Open(admin_);
  ASSERT_NE(admin, nullptr);
  auto info = admin->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->privileged);
  EXPECT_TRUE(info->can_write);
  EXPECT_NE(info->warning.find("can change data and is privileged (superuser)"), std::string::npos)
      << info->warning;
  EXPECT_NE(info->warning.find("--allow-custom-query-with-privileged-account"), std::string::npos);
  // One line, said once.
  EXPECT_EQ(info->warning.find('\n'), std::string::npos);
  EXPECT_EQ(info->warning.find("SELECT-only"), info->warning.rfind("SELECT-only"));

  auto reader = Open(reader_);
  ASSERT_NE(reader, nullptr);
  info = reader->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->privileged);
  EXPECT_EQ(info->warning, "");

  // Reading server files is a right beyond data, even for an account that cannot write.
  TemporaryRole files(*session_, admin_, "");
  session_->Exec(fmt::format("GRANT pg_read_server_files TO {}", files.name()));
  auto connector = Open(files.settings());
  ASSERT_NE(connector, nullptr);
  info = connector->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->privileged);
  EXPECT_FALSE(info->can_write);
  EXPECT_NE(info->warning.find("this account is privileged (pg_read_server_files)"),
            std::string::npos)
      << info->warning;

  // Membership through another role counts too (pg_monitor holds pg_stat_scan_tables).
  TemporaryRole monitor(*session_, admin_, "CREATEDB");
  session_->Exec(fmt::format("GRANT pg_monitor TO {}", monitor.name()));
  connector = Open(monitor.settings());
  ASSERT_NE(connector, nullptr);
  info = connector->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->privileged);
  EXPECT_NE(info->warning.find("(createdb, pg_stat_scan_tables)"), std::string::npos)
      << info->warning;
}

TEST_F(PostgresTest, FetchesAreSizedByBytesFromTheFirstOne) {
  // 40 rows of 2 MiB with a 4 MiB bound: a FETCH of a fixed 16 rows would hold 32 MiB.
  constexpr size_t kRow = 2 * 1024 * 1024;
  constexpr size_t kBound = 4 * 1024 * 1024;
  auto connector = Open(admin_);
  ASSERT_NE(connector, nullptr);
  auto opened =
      connector->OpenReader(fmt::format("SELECT repeat('w', {}) FROM generate_series(1, 40)", kRow),
                            {}, {.max_rows = 1000, .max_bytes = kBound});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto* reader = dynamic_cast<PostgresRowReader*>(opened->get());
  ASSERT_NE(reader, nullptr);
  Batch batch;
  size_t rows = 0;
  while (true) {
    auto state = reader->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    rows += batch.rows.size();
    if (!batch.rows.empty()) {
      // Over the bound by one row at most.
      EXPECT_LT(batch.bytes - batch.rows.back()[0].ByteCost(), kBound);
    }
    if (*state == ReadState::kFinished) break;
  }
  EXPECT_EQ(rows, 40u);
  EXPECT_GE(reader->peak_fetch_bytes(), kRow);
  EXPECT_LE(reader->peak_fetch_bytes(), kBound + kRow);
}

}  // namespace
}  // namespace contactsync::source::postgres
