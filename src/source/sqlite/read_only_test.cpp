// The hostile matrix: statements that try to change an SQLite file through the source. Each
// must be refused, and the file must be byte-for-byte unchanged with no new file beside it.

#include <sqlite3.h>

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "source/source.h"
#include "source/sqlite/test_fixture.h"

namespace contactsync::source::sqlite {
namespace {

using base::ErrorCode;
using ::testing::HasSubstr;
using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteDatabase;

constexpr char kFixtureSql[] = R"sql(
CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
INSERT INTO people VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', NULL);
CREATE VIEW v AS SELECT email FROM people;
)sql";

struct HostileCase {
  std::string name;
  std::string sql;  // "$DIR" is replaced by the test's temporary directory
  ErrorCode code;
  std::string message;  // expected part of the error message
};

std::vector<HostileCase> HostileCases() {
  using namespace std::string_literals;
  const std::string kOnlyReads = "contactsync only reads";
  return {
      {"PragmaQueryOnlyOff", "PRAGMA query_only=0", ErrorCode::kPermissionDenied,
       "PRAGMA query_only=0 is not allowed"},
      {"PragmaQueryOnlyOffInSelectCase", "pragma QUERY_ONLY = false", ErrorCode::kPermissionDenied,
       kOnlyReads},
      {"PragmaJournalMode", "PRAGMA journal_mode=WAL", ErrorCode::kPermissionDenied, kOnlyReads},
      {"PragmaWritableSchema", "PRAGMA writable_schema=ON", ErrorCode::kPermissionDenied,
       kOnlyReads},
      {"VacuumInto", "VACUUM INTO '$DIR/copy.db'", ErrorCode::kPermissionDenied, kOnlyReads},
      {"Vacuum", "VACUUM", ErrorCode::kPermissionDenied, "VACUUM is not allowed"},
      {"Attach", "ATTACH DATABASE '$DIR/other.db' AS other", ErrorCode::kPermissionDenied,
       "ATTACH is not allowed"},
      {"Insert", "INSERT INTO people (email) VALUES ('eve@example.com')",
       ErrorCode::kPermissionDenied, "INSERT into people is not allowed"},
      {"InsertViaCte", "WITH x(e) AS (SELECT 'e@x.org') INSERT INTO people (email) SELECT e FROM x",
       ErrorCode::kPermissionDenied, kOnlyReads},
      {"Replace", "REPLACE INTO people (id, email) VALUES (1, 'eve@example.com')",
       ErrorCode::kPermissionDenied, kOnlyReads},
      {"Update", "UPDATE people SET name = 'Eve'", ErrorCode::kPermissionDenied,
       "UPDATE of people is not allowed"},
      {"Delete", "DELETE FROM people", ErrorCode::kPermissionDenied,
       "DELETE from people is not allowed"},
      {"CreateTable", "CREATE TABLE evil (x)", ErrorCode::kPermissionDenied,
       "CREATE TABLE is not allowed"},
      {"CreateTempTable", "CREATE TEMP TABLE evil AS SELECT * FROM people",
       ErrorCode::kPermissionDenied, kOnlyReads},
      {"CreateIndex", "CREATE INDEX evil ON people (email)", ErrorCode::kPermissionDenied,
       kOnlyReads},
      {"CreateTrigger", "CREATE TRIGGER evil AFTER INSERT ON people BEGIN DELETE FROM people; END",
       ErrorCode::kPermissionDenied, kOnlyReads},
      {"DropTable", "DROP TABLE people", ErrorCode::kPermissionDenied, "DROP TABLE is not allowed"},
      {"DropView", "DROP VIEW v", ErrorCode::kPermissionDenied, kOnlyReads},
      {"AlterTable", "ALTER TABLE people ADD COLUMN evil TEXT", ErrorCode::kPermissionDenied,
       kOnlyReads},
      {"Reindex", "REINDEX", ErrorCode::kPermissionDenied, "REINDEX is not allowed"},
      {"Analyze", "ANALYZE", ErrorCode::kPermissionDenied, kOnlyReads},
      {"Begin", "BEGIN IMMEDIATE", ErrorCode::kPermissionDenied, kOnlyReads},
      {"Savepoint", "SAVEPOINT s", ErrorCode::kPermissionDenied, kOnlyReads},
      {"LoadExtension", "SELECT load_extension('$DIR/evil.so')", ErrorCode::kPermissionDenied,
       "load_extension() is not allowed"},
      {"LoadExtensionInSubquery", "SELECT * FROM people WHERE id IN (SELECT load_extension('x'))",
       ErrorCode::kPermissionDenied, kOnlyReads},
      {"SelectThenDelete", "SELECT 1; DELETE FROM people", ErrorCode::kBadQuery,
       "only one statement is allowed"},
      {"SelectThenPragma", "SELECT 1;PRAGMA query_only=0", ErrorCode::kBadQuery,
       "only one statement is allowed"},
      {"DeleteThenSelect", "DELETE FROM people; SELECT 1", ErrorCode::kPermissionDenied,
       kOnlyReads},
      {"CommentHidesNothing", "SELECT 1 /* x */; /* y */ DROP TABLE people", ErrorCode::kBadQuery,
       "only one statement is allowed"},
      {"NulByteThenDelete", "SELECT 1\0DELETE FROM people"s, ErrorCode::kBadQuery,
       "only one statement is allowed"},
  };
}

class ReadOnlyTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "victim.db").string();
    WriteDatabase(path_, kFixtureSql);
  }

  std::string Sql() const {
    std::string sql = GetParam().sql;
    const std::string dir = dir_.path().string();
    for (size_t at = sql.find("$DIR"); at != std::string::npos; at = sql.find("$DIR", at)) {
      sql.replace(at, 4, dir);
      at += dir.size();
    }
    return sql;
  }

  TempDir dir_;
  std::string path_;
};

TEST_P(ReadOnlyTest, IsRefusedAndChangesNothing) {
  const std::string before = ReadFileBytes(path_);
  const std::vector<std::string> files_before = dir_.List();
  ASSERT_FALSE(before.empty());
  {
    ConnectionSettings settings;
    settings.type = SourceType::kSqlite;
    settings.database = path_;
    auto source = OpenSource(settings);
    ASSERT_TRUE(source.ok()) << source.status().ToString();

    auto described = (*source)->DescribeQuery(Sql());
    EXPECT_FALSE(described.ok());
    EXPECT_EQ(described.status().code(), GetParam().code) << described.status().ToString();
    EXPECT_THAT(described.status().message(), HasSubstr(GetParam().message));

    auto reader = (*source)->OpenReader(Sql(), {}, {});
    EXPECT_EQ(reader.status().code(), GetParam().code) << reader.status().ToString();
    if (reader.ok()) {
      // Should never get here; if it does, make sure running it is what the test measures.
      Batch batch;
      while ((*reader)->ReadBatch(batch).ok() && !batch.rows.empty()) {
      }
    }
    // The connection is still read-only and usable after the refusal.
    auto check = (*source)->Check();
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_FALSE(check->can_write);
  }
  EXPECT_EQ(ReadFileBytes(path_), before) << "the database file changed";
  EXPECT_EQ(dir_.List(), files_before) << "a file appeared next to the database";
}

INSTANTIATE_TEST_SUITE_P(Hostile, ReadOnlyTest, ::testing::ValuesIn(HostileCases()),
                         [](const auto& test_info) { return test_info.param.name; });

// The measure above can fail: a writable connection changes both the bytes and the directory.
TEST(ReadOnlyMeasureTest, DetectsAWrite) {
  TempDir dir;
  const std::string path = (dir.path() / "victim.db").string();
  WriteDatabase(path, kFixtureSql);
  const std::string before = ReadFileBytes(path);
  WriteDatabase(path, "UPDATE people SET name = 'Eve' WHERE id = 2;");
  EXPECT_NE(ReadFileBytes(path), before);
  WriteDatabase(path, "VACUUM INTO '" + (dir.path() / "copy.db").string() + "';");
  EXPECT_EQ(dir.List(), (std::vector<std::string>{"copy.db", "victim.db"}));
}

// A SELECT through the same harness succeeds and also leaves the file alone.
TEST(ReadOnlyMeasureTest, PlainSelectLeavesTheFileAlone) {
  TempDir dir;
  const std::string path = (dir.path() / "victim.db").string();
  WriteDatabase(path, kFixtureSql);
  const std::string before = ReadFileBytes(path);
  {
    ConnectionSettings settings;
    settings.type = SourceType::kSqlite;
    settings.database = path;
    auto source = OpenSource(settings);
    ASSERT_TRUE(source.ok());
    auto reader = (*source)->OpenReader("SELECT * FROM v", {}, {});
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    Batch batch;
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(batch.rows.size(), 2u);
  }
  EXPECT_EQ(ReadFileBytes(path), before);
  EXPECT_EQ(dir.List(), std::vector<std::string>{"victim.db"});
}

}  // namespace
}  // namespace contactsync::source::sqlite
