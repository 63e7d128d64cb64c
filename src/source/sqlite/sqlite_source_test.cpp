#include "source/sqlite/sqlite_source.h"

#include <sqlite3.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "query/dialect.h"
#include "source/source.h"
#include "source/sqlite/test_fixture.h"

namespace contactsync::source::sqlite {
namespace {

using base::ErrorCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteDatabase;

// Every common declared type, NULL next to '', long and non-ASCII text, bytes that are not
// UTF-8 in a TEXT column, a BLOB, extreme integers, and identifiers that break naive quoting.
constexpr char kFixtureSql[] = R"sql(
CREATE TABLE people (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL,
  name VARCHAR(100),
  balance DECIMAL(10,2),
  score REAL,
  active BOOLEAN,
  born DATE,
  seen DATETIME,
  wake TIME,
  photo BLOB,
  anything
);
INSERT INTO people VALUES
  (1, 'ann@example.com', 'Ann', 12.5, 1.25, 1, '1990-01-02', '2024-05-06 07:08:09', '07:30:00',
   x'00ff10', 'x'),
  (2, 'bob@example.com', '', NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL),
  (3, 'zoe@example.com', 'Zoë 😀 李', -0.5, 1e300, NULL, NULL, NULL, NULL, x'', ''),
  (4, 'bad@example.com', CAST(x'41ff42' AS TEXT), 7, 0.1, NULL, NULL, NULL, NULL, NULL,
   9223372036854775807),
  (5, 'min@example.com', substr(replace(hex(zeroblob(60000)), '0', 'x'), 1, 100000), 100, -2.5,
   NULL, NULL, NULL, NULL, NULL, -9223372036854775808);
CREATE VIEW active_people AS SELECT id, email FROM people WHERE active = 1;
CREATE TABLE "we""ird `t` [x] ;-- select" (
  "col one" TEXT, "qu""ote" TEXT, "back`tick" TEXT, "[br]" TEXT, "select" TEXT, ";--" TEXT,
  "a.b" TEXT);
INSERT INTO "we""ird `t` [x] ;-- select" VALUES ('1', '2', '3', '4', '5', '6', '7');
CREATE TABLE "sch.tbl" ("x.y" INTEGER);
INSERT INTO "sch.tbl" VALUES (42);
CREATE TABLE numbers (n INTEGER NOT NULL, padding TEXT);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 25)
  INSERT INTO numbers SELECT n, substr(hex(zeroblob(500)), 1, 1000) FROM c;
)sql";

constexpr char kWeirdTable[] = "we\"ird `t` [x] ;-- select";

class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "fixture.db").string();
    WriteDatabase(path_, kFixtureSql);
  }

  ConnectionSettings Settings() const {
    ConnectionSettings settings;
    settings.type = SourceType::kSqlite;
    settings.database = path_;
    return settings;
  }

  std::unique_ptr<SourceConnector> Open() {
    auto source = OpenSource(Settings());
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    return source.ok() ? std::move(source).value() : nullptr;
  }

  // Reads the whole result of `sql` into rows, checking the batch bounds on the way.
  std::vector<Row> ReadAll(SourceConnector& source, const std::string& sql,
                           const std::vector<Value>& params = {}, const ReadOptions& options = {}) {
    std::vector<Row> rows;
    auto reader = source.OpenReader(sql, params, options);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return rows;
    Batch batch;
    while (true) {
      auto state = (*reader)->ReadBatch(batch);
      EXPECT_TRUE(state.ok()) << state.status().ToString();
      if (!state.ok()) break;
      for (Row& row : batch.rows) rows.push_back(std::move(row));
      if (*state == ReadState::kFinished) break;
    }
    return rows;
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(SqliteSourceTest, CheckReportsVersionAndReadOnly) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto info = source->Check();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_THAT(info->server_version, HasSubstr("SQLite 3."));
  EXPECT_EQ(info->database, path_);
  EXPECT_FALSE(info->can_write);
  EXPECT_EQ(info->warning, "");
}

TEST_F(SqliteSourceTest, ListsTablesAndViewsWithoutInternalTables) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto tables = source->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  // AUTOINCREMENT created sqlite_sequence, which must not be listed.
  EXPECT_THAT(*tables, ElementsAre(TableInfo{"", "active_people", TableKind::kView},
                                   TableInfo{"", "numbers", TableKind::kTable},
                                   TableInfo{"", "people", TableKind::kTable},
                                   TableInfo{"", "sch.tbl", TableKind::kTable},
                                   TableInfo{"", kWeirdTable, TableKind::kTable}));
}

TEST_F(SqliteSourceTest, DescribesTableColumnsWithKinds) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto columns = source->DescribeTable("", "people");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_THAT(*columns,
              ElementsAre(ColumnInfo{"id", "INTEGER", ValueKind::kInteger, true},
                          ColumnInfo{"email", "TEXT", ValueKind::kText, false},
                          ColumnInfo{"name", "VARCHAR(100)", ValueKind::kText, true},
                          ColumnInfo{"balance", "DECIMAL(10,2)", ValueKind::kDecimal, true},
                          ColumnInfo{"score", "REAL", ValueKind::kReal, true},
                          ColumnInfo{"active", "BOOLEAN", ValueKind::kBoolean, true},
                          ColumnInfo{"born", "DATE", ValueKind::kDate, true},
                          ColumnInfo{"seen", "DATETIME", ValueKind::kDateTime, true},
                          ColumnInfo{"wake", "TIME", ValueKind::kTime, true},
                          ColumnInfo{"photo", "BLOB", ValueKind::kBinary, true},
                          ColumnInfo{"anything", "", ValueKind::kUnknown, true}));
}

TEST_F(SqliteSourceTest, DescribesViewAndMain) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto columns = source->DescribeTable("main", "active_people");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ASSERT_EQ(columns->size(), 2u);
  EXPECT_EQ((*columns)[1].name, "email");
  EXPECT_EQ((*columns)[1].kind, ValueKind::kText);
}

TEST_F(SqliteSourceTest, DescribesHostileIdentifiers) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto columns = source->DescribeTable("", kWeirdTable);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  std::vector<std::string> names;
  for (const ColumnInfo& column : *columns) names.push_back(column.name);
  EXPECT_THAT(names,
              ElementsAre("col one", "qu\"ote", "back`tick", "[br]", "select", ";--", "a.b"));

  auto dotted = source->DescribeTable("", "sch.tbl");
  ASSERT_TRUE(dotted.ok()) << dotted.status().ToString();
  EXPECT_THAT(*dotted, ElementsAre(ColumnInfo{"x.y", "INTEGER", ValueKind::kInteger, true}));
}

TEST_F(SqliteSourceTest, DescribeTableOfUnknownNameIsNotFound) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto missing = source->DescribeTable("", "nobody");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'nobody'"));
  // Names are matched exactly, never interpreted: a name that is SQL is just a missing table.
  EXPECT_EQ(source->DescribeTable("", "people; DROP TABLE people").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(source->DescribeTable("other", "people").status().code(), ErrorCode::kNotFound);
}

TEST_F(SqliteSourceTest, DescribesQueryWithoutRunningIt) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  // abs() of the smallest integer fails when run ("integer overflow"): describing must not run.
  const std::string sql =
      "SELECT email, balance * 2 AS twice, abs(-9223372036854775807 - 1) AS boom FROM people";
  auto columns = source->DescribeQuery(sql);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_THAT(*columns, ElementsAre(ColumnInfo{"email", "TEXT", ValueKind::kText, true},
                                    ColumnInfo{"twice", "", ValueKind::kUnknown, true},
                                    ColumnInfo{"boom", "", ValueKind::kUnknown, true}));
  auto reader = source->OpenReader(sql, {}, {});
  ASSERT_TRUE(reader.ok());
  Batch batch;
  EXPECT_EQ((*reader)->ReadBatch(batch).status().code(), ErrorCode::kBadQuery);
}

TEST_F(SqliteSourceTest, DescribeQueryReportsSyntaxAndUnknownColumns) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto syntax = source->DescribeQuery("SELEC email FROM people");
  EXPECT_EQ(syntax.status().code(), ErrorCode::kBadQuery);
  EXPECT_THAT(syntax.status().message(), HasSubstr("syntax error"));
  auto unknown = source->DescribeQuery("SELECT nope FROM people");
  EXPECT_EQ(unknown.status().code(), ErrorCode::kBadQuery);
  EXPECT_THAT(unknown.status().message(), HasSubstr("no such column: nope"));
  // A double-quoted name is always an identifier: a mistyped column must not become a string.
  EXPECT_EQ(source->DescribeQuery("SELECT \"emial\" FROM people").status().code(),
            ErrorCode::kBadQuery);
  EXPECT_EQ(source->DescribeQuery("   -- nothing\n").status().code(), ErrorCode::kBadQuery);
  auto two = source->DescribeQuery("SELECT 1; SELECT 2");
  EXPECT_EQ(two.status().code(), ErrorCode::kBadQuery);
  EXPECT_THAT(two.status().message(), HasSubstr("only one statement is allowed"));
  EXPECT_TRUE(source->DescribeQuery("SELECT 1; -- the end\n /* really */ ;").ok());
}

TEST_F(SqliteSourceTest, ReadsEveryValueAsExactText) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  const std::vector<Row> rows = ReadAll(*source, "SELECT * FROM people ORDER BY id");
  ASSERT_EQ(rows.size(), 5u);

  const Row& ann = rows[0];
  EXPECT_EQ(ann[0], Value::Text("1"));
  EXPECT_EQ(ann[2], Value::Text("Ann"));
  EXPECT_EQ(ann[3], Value::Text("12.5"));
  EXPECT_EQ(ann[4], Value::Text("1.25"));
  EXPECT_EQ(ann[5], Value::Text("1"));
  EXPECT_EQ(ann[6], Value::Text("1990-01-02"));
  EXPECT_EQ(ann[7], Value::Text("2024-05-06 07:08:09"));
  EXPECT_EQ(ann[8], Value::Text("07:30:00"));
  EXPECT_EQ(ann[9], Value::Binary(std::string("\x00\xff\x10", 3)));

  const Row& bob = rows[1];
  EXPECT_EQ(bob[2], Value::Text(""));  // empty text ...
  EXPECT_TRUE(bob[3].is_null());       // ... is not NULL
  EXPECT_NE(bob[2], Value::Null());
  EXPECT_EQ(bob[5], Value::Text("0"));

  const Row& zoe = rows[2];
  EXPECT_EQ(zoe[2], Value::Text("Zoë 😀 李"));
  EXPECT_EQ(zoe[3], Value::Text("-0.5"));
  EXPECT_EQ(zoe[4], Value::Text("1e+300"));
  EXPECT_EQ(zoe[9], Value::Binary(""));
  EXPECT_EQ(zoe[10], Value::Text(""));

  const Row& bad = rows[3];
  EXPECT_EQ(bad[2].state(), Value::State::kBadText);
  EXPECT_EQ(bad[2].bytes(),
            "A\xff"
            "B");
  EXPECT_EQ(bad[4], Value::Text("0.1"));
  EXPECT_EQ(bad[10], Value::Text("9223372036854775807"));

  const Row& min = rows[4];
  EXPECT_EQ(min[2].bytes(), std::string(100000, 'x'));
  EXPECT_EQ(min[10], Value::Text("-9223372036854775808"));
}

TEST_F(SqliteSourceTest, ReadsHostileIdentifiersThroughQuoting) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  const auto quote = [](std::string_view name) {
    return *query::QuoteIdentifier(query::Dialect::kSqlite, name);
  };
  const std::string sql = "SELECT " + quote("qu\"ote") + ", " + quote(";--") + ", " + quote("a.b") +
                          " FROM " + quote(kWeirdTable);
  const std::vector<Row> rows = ReadAll(*source, sql);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0], ElementsAre(Value::Text("2"), Value::Text("6"), Value::Text("7")));
}

TEST_F(SqliteSourceTest, BindsParametersAsValuesNeverAsSql) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  const std::string sql = "SELECT email FROM people WHERE name = ?1 OR id = ?2 ORDER BY id";
  EXPECT_THAT(ReadAll(*source, sql, {Value::Text("Ann"), Value::Text("3")}),
              ElementsAre(ElementsAre(Value::Text("ann@example.com")),
                          ElementsAre(Value::Text("zoe@example.com"))));
  EXPECT_THAT(ReadAll(*source, sql, {Value::Text("' OR 1=1 --"), Value::Null()}),
              ::testing::IsEmpty());
  EXPECT_THAT(ReadAll(*source, "SELECT id FROM people WHERE photo = ?1",
                      {Value::Binary(std::string("\x00\xff\x10", 3))}),
              ElementsAre(ElementsAre(Value::Text("1"))));

  auto wrong_count = source->OpenReader(sql, {Value::Text("Ann")}, {});
  EXPECT_EQ(wrong_count.status().code(), ErrorCode::kBadQuery);
  EXPECT_THAT(wrong_count.status().message(), HasSubstr("2 parameters but 1 values"));
}

TEST_F(SqliteSourceTest, BatchesAreBoundedByRowCount) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto reader = source->OpenReader("SELECT n FROM numbers ORDER BY n", {},
                                   {.max_rows = 10, .max_bytes = 1 << 20});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  std::vector<size_t> sizes;
  std::vector<ReadState> states;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    sizes.push_back(batch.rows.size());
    states.push_back(*state);
    if (*state == ReadState::kFinished) break;
  }
  EXPECT_THAT(sizes, ElementsAre(10, 10, 5));
  EXPECT_THAT(states, ElementsAre(ReadState::kMore, ReadState::kMore, ReadState::kFinished));
  EXPECT_EQ(batch.rows.back()[0], Value::Text("25"));
  // After the end, the reader stays finished.
  auto again = (*reader)->ReadBatch(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, ReadState::kFinished);
  EXPECT_TRUE(batch.rows.empty());
}

TEST_F(SqliteSourceTest, ExactMultipleEndsWithAnEmptyFinishedBatch) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto reader = source->OpenReader("SELECT n FROM numbers WHERE n <= 20", {},
                                   {.max_rows = 10, .max_bytes = 1 << 20});
  ASSERT_TRUE(reader.ok());
  Batch batch;
  EXPECT_EQ(*(*reader)->ReadBatch(batch), ReadState::kMore);
  EXPECT_EQ(*(*reader)->ReadBatch(batch), ReadState::kMore);
  EXPECT_EQ(batch.rows.size(), 10u);
  EXPECT_EQ(*(*reader)->ReadBatch(batch), ReadState::kFinished);
  EXPECT_TRUE(batch.rows.empty());
}

TEST_F(SqliteSourceTest, BatchesAreBoundedByBytes) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  // Each row is one 1000-byte cell: 1000 + Value::kCellOverhead bytes.
  const size_t row_cost = 1000 + Value::kCellOverhead;
  auto reader = source->OpenReader("SELECT padding FROM numbers ORDER BY n", {},
                                   {.max_rows = 1000, .max_bytes = 3000});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  size_t total = 0;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    total += batch.rows.size();
    if (*state == ReadState::kFinished) break;
    EXPECT_EQ(batch.rows.size(), 3u);  // 2 rows are 2032 bytes, 3 reach the bound
    EXPECT_EQ(batch.bytes, 3 * row_cost);
  }
  EXPECT_EQ(total, 25u);

  // A row larger than the bound still makes progress, one row per batch.
  auto tiny =
      source->OpenReader("SELECT padding FROM numbers", {}, {.max_rows = 10, .max_bytes = 1});
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(*(*tiny)->ReadBatch(batch), ReadState::kMore);
  EXPECT_EQ(batch.rows.size(), 1u);
  EXPECT_EQ(batch.bytes, row_cost);
}

TEST_F(SqliteSourceTest, ReaderMayOutliveItsConnector) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto reader = source->OpenReader("SELECT count(*) FROM numbers", {}, {});
  ASSERT_TRUE(reader.ok());
  source.reset();
  Batch batch;
  auto state = (*reader)->ReadBatch(batch);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_THAT(batch.rows, ElementsAre(ElementsAre(Value::Text("25"))));
}

constexpr char kEndless[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

TEST_F(SqliteSourceTest, QueryTimeoutStopsALongQuery) {
  ConnectionSettings settings = Settings();
  settings.query_timeout_s = 1;
  auto source = OpenSource(settings);
  ASSERT_TRUE(source.ok());
  auto reader = (*source)->OpenReader(kEndless, {}, {});
  ASSERT_TRUE(reader.ok());
  Batch batch;
  auto state = (*reader)->ReadBatch(batch);
  EXPECT_EQ(state.status().code(), ErrorCode::kTimeout);
  EXPECT_THAT(state.status().message(), HasSubstr("query timeout of 1 s"));
  // The error sticks; the connection stays usable for other statements.
  EXPECT_EQ((*reader)->ReadBatch(batch).status().code(), ErrorCode::kTimeout);
  EXPECT_TRUE((*source)->Check().ok());
}

TEST_F(SqliteSourceTest, CancelFromAnotherThreadStopsTheRead) {
  auto source = Open();
  ASSERT_NE(source, nullptr);
  auto reader = source->OpenReader(kEndless, {}, {});
  ASSERT_TRUE(reader.ok());
  RowReader* raw = reader->get();
  // Whether Cancel lands before or during ReadBatch, the endless query can only end cancelled.
  std::thread canceller([raw] { raw->Cancel(); });
  Batch batch;
  auto state = raw->ReadBatch(batch);
  canceller.join();
  EXPECT_EQ(state.status().code(), ErrorCode::kCancelled);
}

TEST_F(SqliteSourceTest, MissingFileIsNotFoundNamingThePath) {
  ConnectionSettings settings = Settings();
  settings.database = (dir_.path() / "missing.db").string();
  auto source = OpenSource(settings);
  EXPECT_EQ(source.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(source.status().message(), HasSubstr(settings.database));
  // Opening must not create the file.
  EXPECT_FALSE(std::filesystem::exists(settings.database));
}

TEST_F(SqliteSourceTest, DirectoryAndNonDatabaseFilesAreRejectedClearly) {
  ConnectionSettings settings = Settings();
  settings.database = dir_.path().string();
  EXPECT_EQ(OpenSource(settings).status().code(), ErrorCode::kInvalidArgument);

  settings.database = (dir_.path() / "notes.txt").string();
  {
    std::ofstream out(settings.database);
    out << std::string(4096, 'n');
  }
  auto source = OpenSource(settings);
  EXPECT_EQ(source.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(source.status().message(), HasSubstr("is not an SQLite database"));
  EXPECT_THAT(source.status().message(), HasSubstr("notes.txt"));
}

TEST_F(SqliteSourceTest, PathsWithUriCharactersOpenTheRightFile) {
  const std::string odd = (dir_.path() / "a?b#c%20d.db").string();
  WriteDatabase(odd, "CREATE TABLE only_here (x);");
  ConnectionSettings settings = Settings();
  settings.database = odd;
  auto source = OpenSource(settings);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto tables = (*source)->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_THAT(*tables, ElementsAre(TableInfo{"", "only_here", TableKind::kTable}));
}

TEST(OpenSourceTest, DispatchesToTheServerDrivers) {
  // Nothing listens on loopback port 9, so each driver fails to connect in
  // its own words: proof that OpenSource reached it.
  ConnectionSettings settings;
  settings.host = "127.0.0.1";
  settings.port = 9;
  settings.user = "reader";
  settings.database = "shop";
  settings.connect_timeout_s = 2;
  settings.type = SourceType::kMySql;
  auto mysql = OpenSource(settings);
  EXPECT_EQ(mysql.status().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(mysql.status().message(), HasSubstr("MySQL/MariaDB at 127.0.0.1:9"));
  settings.type = SourceType::kPostgreSql;
  auto postgres = OpenSource(settings);
  EXPECT_EQ(postgres.status().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(postgres.status().message(), HasSubstr("PostgreSQL at 127.0.0.1:9"));
}

TEST(OpenSourceTest, InvalidSettingsAreRejectedBeforeOpening) {
  ConnectionSettings settings;
  settings.type = SourceType::kSqlite;
  EXPECT_EQ(OpenSource(settings).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace contactsync::source::sqlite
