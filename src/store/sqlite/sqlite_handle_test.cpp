#include "store/sqlite/sqlite_handle.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <utility>

#include "store/store_test_util.h"

namespace contactsync::store::sqlite {
namespace {

using base::ErrorCode;

TEST(SqliteErrorTest, MapsResultCodes) {
  struct Case {
    int code;
    ErrorCode expected;
    std::string_view fragment;
  };
  const Case cases[] = {
      {SQLITE_BUSY, ErrorCode::kUnavailable,
       "the store /d/s.db is busy: another contactsync process is writing; try again"},
      {SQLITE_BUSY_SNAPSHOT, ErrorCode::kUnavailable, "is busy"},
      {SQLITE_LOCKED, ErrorCode::kUnavailable, "is busy"},
      {SQLITE_NOTADB, ErrorCode::kInvalidArgument, "/d/s.db is not a contactsync store"},
      {SQLITE_CORRUPT, ErrorCode::kInternal, "damaged"},
      {SQLITE_CANTOPEN, ErrorCode::kInvalidArgument, "cannot open the store /d/s.db"},
      {SQLITE_READONLY, ErrorCode::kPermissionDenied, "/d/s.db"},
      {SQLITE_FULL, ErrorCode::kUnavailable, "full"},
      {SQLITE_IOERR_WRITE, ErrorCode::kUnavailable, "I/O error"},
      {SQLITE_TOOBIG, ErrorCode::kInvalidArgument, "too large"},
      {SQLITE_INTERRUPT, ErrorCode::kCancelled, "interrupted"},
      {SQLITE_CONSTRAINT_UNIQUE, ErrorCode::kAlreadyExists, "detail"},
      {SQLITE_CONSTRAINT_PRIMARYKEY, ErrorCode::kAlreadyExists, "detail"},
      {SQLITE_CONSTRAINT_CHECK, ErrorCode::kInternal, "detail"},
      {SQLITE_ERROR, ErrorCode::kInternal, "detail (code 1)"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(
        store::testing::HasError(SqliteError(c.code, "detail", "/d/s.db"), c.expected, c.fragment))
        << "code " << c.code;
  }
  EXPECT_TRUE(SqliteError(SQLITE_BUSY, "", "x").retryable());
  EXPECT_FALSE(SqliteError(SQLITE_NOTADB, "", "x").retryable());
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(":memory:", 100);
    ASSERT_TRUE(store::testing::IsOk(db));
    db_.emplace(std::move(db).value());
    ASSERT_TRUE(store::testing::IsOk(db_->Exec("CREATE TABLE t (v TEXT)")));
  }
  std::optional<Database> db_;
};

TEST_F(DatabaseTest, TextRoundTripsByteForByteAndEmptyIsNotNull) {
  const std::string with_nul("a\0b", 3);
  for (const std::string& value : {std::string(), with_nul, std::string("\xF0\x9F\x98\x80")}) {
    CS_ASSERT_OK_AND_ASSIGN(CachedStatement insert, db_->Cached("INSERT INTO t VALUES (?1)"));
    insert->Bind(1, value);
    ASSERT_TRUE(store::testing::IsOk(insert->Run()));
  }
  CS_ASSERT_OK_AND_ASSIGN(Statement select, db_->Prepare("SELECT v FROM t ORDER BY rowid"));
  std::vector<std::string> read;
  while (true) {
    CS_ASSERT_OK_AND_ASSIGN(const bool row, select.Step());
    if (!row) break;
    EXPECT_FALSE(select.ColumnIsNull(0));
    read.push_back(select.ColumnText(0));
  }
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0], "");
  EXPECT_EQ(read[1], with_nul);
  EXPECT_EQ(read[2], "\xF0\x9F\x98\x80");
}

TEST_F(DatabaseTest, PrepareRefusesASecondStatement) {
  EXPECT_FALSE(db_->Prepare("SELECT 1; DROP TABLE t").ok());
  EXPECT_TRUE(db_->Prepare("SELECT 1; ").ok());
  EXPECT_FALSE(db_->Prepare("SELEKT 1").ok());
}

TEST_F(DatabaseTest, BindErrorsSurfaceOnStep) {
  CS_ASSERT_OK_AND_ASSIGN(Statement insert, db_->Prepare("INSERT INTO t VALUES (?1)"));
  insert.Bind(7, int64_t{1});  // out of range
  EXPECT_FALSE(insert.Run().ok());
  insert.Reset();
  insert.Bind(1, "ok");
  EXPECT_TRUE(store::testing::IsOk(insert.Run()));
}

TEST_F(DatabaseTest, CachedStatementsAreResetWhenBorrowedAndReturned) {
  ASSERT_TRUE(store::testing::IsOk(db_->Exec("INSERT INTO t VALUES ('a'), ('b')")));
  {
    CS_ASSERT_OK_AND_ASSIGN(CachedStatement select, db_->Cached("SELECT v FROM t ORDER BY v"));
    CS_ASSERT_OK_AND_ASSIGN(const bool row, select->Step());
    ASSERT_TRUE(row);
    EXPECT_EQ(select->ColumnText(0), "a");
  }
  // Returned half-read: the next borrow starts from the first row again.
  CS_ASSERT_OK_AND_ASSIGN(CachedStatement again, db_->Cached("SELECT v FROM t ORDER BY v"));
  CS_ASSERT_OK_AND_ASSIGN(const bool row, again->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(again->ColumnText(0), "a");
}

TEST_F(DatabaseTest, MovedConnectionKeepsWorking) {
  {
    CS_ASSERT_OK_AND_ASSIGN(CachedStatement warm, db_->Cached("SELECT count(*) FROM t"));
    ASSERT_TRUE(store::testing::IsOk(warm->Step()));
  }
  Database moved = std::move(*db_);
  db_.reset();
  EXPECT_TRUE(store::testing::IsOk(moved.Exec("INSERT INTO t VALUES ('x')")));
  CS_ASSERT_OK_AND_ASSIGN(CachedStatement count, moved.Cached("SELECT count(*) FROM t"));
  CS_ASSERT_OK_AND_ASSIGN(const bool row, count->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(count->ColumnInt64(0), 1);
}

}  // namespace
}  // namespace contactsync::store::sqlite
