#include "source/sqlite/errors.h"

#include <sqlite3.h>

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace contactsync::source::sqlite {
namespace {

using base::ErrorCode;
using ::testing::HasSubstr;

struct Case {
  int code;
  InterruptReason interrupt;
  ErrorCode expected;
  std::string message_part;
  bool retryable;
};

TEST(MapSqliteErrorTest, MapsEveryFamily) {
  const std::vector<Case> cases = {
      {SQLITE_AUTH, InterruptReason::kNone, ErrorCode::kPermissionDenied,
       "contactsync only reads: PRAGMA query_only=0 is not allowed", false},
      {SQLITE_READONLY, InterruptReason::kNone, ErrorCode::kPermissionDenied,
       "contactsync only reads", false},
      {SQLITE_READONLY_DBMOVED, InterruptReason::kNone, ErrorCode::kPermissionDenied,
       "contactsync only reads", false},
      {SQLITE_CANTOPEN, InterruptReason::kNone, ErrorCode::kUnavailable, "/data/shop.db", true},
      {SQLITE_NOTADB, InterruptReason::kNone, ErrorCode::kInvalidArgument,
       "'/data/shop.db' is not an SQLite database", false},
      {SQLITE_CORRUPT, InterruptReason::kNone, ErrorCode::kFailedPrecondition, "damaged", false},
      {SQLITE_BUSY, InterruptReason::kNone, ErrorCode::kUnavailable, "locked", true},
      {SQLITE_BUSY_SNAPSHOT, InterruptReason::kNone, ErrorCode::kUnavailable, "locked", true},
      {SQLITE_LOCKED, InterruptReason::kNone, ErrorCode::kUnavailable, "locked", true},
      {SQLITE_IOERR_READ, InterruptReason::kNone, ErrorCode::kUnavailable, "I/O error", true},
      {SQLITE_SCHEMA, InterruptReason::kNone, ErrorCode::kUnavailable, "schema", true},
      {SQLITE_INTERRUPT, InterruptReason::kTimeout, ErrorCode::kTimeout, "timeout of 30 s", true},
      {SQLITE_INTERRUPT, InterruptReason::kCancelled, ErrorCode::kCancelled, "cancelled", false},
      {SQLITE_ERROR, InterruptReason::kNone, ErrorCode::kBadQuery, "no such column: x", false},
      {SQLITE_RANGE, InterruptReason::kNone, ErrorCode::kBadQuery, "rejected", false},
      {SQLITE_PERM, InterruptReason::kNone, ErrorCode::kPermissionDenied, "permission", false},
      {SQLITE_NOMEM, InterruptReason::kNone, ErrorCode::kInternal, "memory", false},
      {SQLITE_MISUSE, InterruptReason::kNone, ErrorCode::kInternal, "unexpected", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const base::Status status = MapSqliteError({.code = c.code,
                                                .message = "no such column: x",
                                                .path = "/data/shop.db",
                                                .denied = "PRAGMA query_only=0",
                                                .interrupt = c.interrupt,
                                                .query_timeout_s = 30});
    EXPECT_EQ(status.code(), c.expected) << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr(c.message_part));
    EXPECT_EQ(status.retryable(), c.retryable);
    EXPECT_EQ(status.message().find('\n'), std::string::npos);
  }
}

TEST(MapSqliteErrorTest, AuthWithoutActionStillSaysWhy) {
  const base::Status status = MapSqliteError({.code = SQLITE_AUTH});
  EXPECT_EQ(status.message(), "contactsync only reads: this statement is not allowed");
}

TEST(MapSqliteErrorTest, EscapesUnprintablePathBytes) {
  const base::Status status = MapSqliteError({.code = SQLITE_NOTADB, .path = "/x\n\xff.db"});
  EXPECT_EQ(status.message().find('\n'), std::string::npos);
  EXPECT_THAT(status.message(), HasSubstr("\\xff"));
}

}  // namespace
}  // namespace contactsync::source::sqlite
