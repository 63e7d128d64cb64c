#include "source/mysql/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;

constexpr std::string_view kPassword = "s3cret-Pa55";

ErrorContext Context(InterruptReason interrupt = InterruptReason::kNone) {
  ErrorContext context;
  context.host = "db.example.com";
  context.port = 3307;
  context.user = "shop_reader";
  context.database = "shop";
  context.password = kPassword;
  context.query_timeout_s = 30;
  context.interrupt = interrupt;
  return context;
}

struct Case {
  unsigned int code;
  std::string sqlstate;
  std::string message;
  InterruptReason interrupt;
  ErrorCode expected;
  std::string expected_substring;
};

TEST(MapMySqlErrorTest, MapsEveryClassOfFailure) {
  const std::vector<Case> cases = {
      {1045, "28000", "Access denied for user 'shop_reader'@'10.0.0.1' (using password: YES)",
       InterruptReason::kNone, ErrorCode::kAuthFailed,
       "MySQL/MariaDB rejected user 'shop_reader' at db.example.com:3307: wrong user name or "
       "password"},
      {1698, "28000", "Access denied for user 'root'@'localhost'", InterruptReason::kNone,
       ErrorCode::kAuthFailed, "wrong user name or password"},
      {2002, "HY000", "Can't connect to local server through socket '/x.sock' (2)",
       InterruptReason::kNone, ErrorCode::kUnavailable,
       "cannot reach MySQL/MariaDB at db.example.com:3307"},
      {2003, "HY000", "Can't connect to server on 'db.example.com' (111)", InterruptReason::kNone,
       ErrorCode::kUnavailable, "cannot reach MySQL/MariaDB at db.example.com:3307: Can't connect"},
      {2005, "HY000", "Unknown server host 'db.example.com' (-2)", InterruptReason::kNone,
       ErrorCode::kUnavailable, "cannot reach MySQL/MariaDB at db.example.com:3307"},
      {1049, "42000", "Unknown database 'shop'", InterruptReason::kNone, ErrorCode::kNotFound,
       "database 'shop' does not exist on db.example.com:3307"},
      {1146, "42S02", "Table 'shop.nope' doesn't exist", InterruptReason::kNone,
       ErrorCode::kNotFound, "Table 'shop.nope' doesn't exist"},
      {2013, "HY000", "Lost connection to server during query", InterruptReason::kNone,
       ErrorCode::kConnectionLost, "lost the connection to MySQL/MariaDB at db.example.com:3307"},
      {2006, "HY000", "Server has gone away", InterruptReason::kNone, ErrorCode::kConnectionLost,
       "lost the connection"},
      {1969, "70100", "Query execution was interrupted (max_statement_time exceeded)",
       InterruptReason::kNone, ErrorCode::kTimeout, "query timeout of 30 s"},
      {3024, "HY000", "Query execution was interrupted, maximum statement execution time exceeded",
       InterruptReason::kNone, ErrorCode::kTimeout, "query timeout of 30 s"},
      {1317, "70100", "Query execution was interrupted", InterruptReason::kTimeout,
       ErrorCode::kTimeout, "query timeout of 30 s"},
      {1317, "70100", "Query execution was interrupted", InterruptReason::kCancelled,
       ErrorCode::kCancelled, "cancelled"},
      {1317, "70100", "Query execution was interrupted", InterruptReason::kNone,
       ErrorCode::kCancelled, "cancelled"},
      {2026, "HY000", "TLS/SSL error: certificate verify failed", InterruptReason::kNone,
       ErrorCode::kTlsFailure, "TLS with MySQL/MariaDB at db.example.com:3307 failed"},
      {2003, "HY000", "SSL connection error: unable to get local issuer certificate",
       InterruptReason::kNone, ErrorCode::kTlsFailure, "TLS with MySQL/MariaDB"},
      {1792, "25006", "Cannot execute statement in a READ ONLY transaction", InterruptReason::kNone,
       ErrorCode::kPermissionDenied, "contactsync only reads"},
      {1142, "42000", "SELECT command denied to user 'shop_reader'@'%' for table 'secrets'",
       InterruptReason::kNone, ErrorCode::kPermissionDenied, "user 'shop_reader' may not"},
      {1044, "42000", "Access denied for user 'shop_reader'@'%' to database 'shop'",
       InterruptReason::kNone, ErrorCode::kPermissionDenied,
       "user 'shop_reader' may not use database 'shop'"},
      {1227, "42000", "Access denied; you need (at least one of) the SUPER privilege(s)",
       InterruptReason::kNone, ErrorCode::kPermissionDenied, "may not do this"},
      {1064, "42000", "You have an error in your SQL syntax near 'DELETE FROM t' at line 1",
       InterruptReason::kNone, ErrorCode::kBadQuery,
       "MySQL/MariaDB rejected the query: You have an error"},
      {1054, "42S22", "Unknown column 'emial' in 'field list'", InterruptReason::kNone,
       ErrorCode::kBadQuery, "Unknown column 'emial'"},
      {1366, "22007", "Incorrect integer value", InterruptReason::kNone, ErrorCode::kBadQuery,
       "error 1366, SQLSTATE 22007"},
      {1040, "08004", "Too many connections", InterruptReason::kNone, ErrorCode::kUnavailable,
       "busy"},
      {1213, "40001", "Deadlock found when trying to get lock", InterruptReason::kNone,
       ErrorCode::kUnavailable, "try again"},
      {2014, "HY000", "Commands out of sync; you can't run this command now",
       InterruptReason::kNone, ErrorCode::kInternal, "MySQL/MariaDB client error 2014"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "error " << c.code << " " << c.message);
    const base::Status status = MapMySqlError(c.code, c.sqlstate, c.message, Context(c.interrupt));
    EXPECT_EQ(status.code(), c.expected) << status.ToString();
    EXPECT_NE(status.message().find(c.expected_substring), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find(kPassword), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
  }
}

TEST(MapMySqlErrorTest, ALossWhileConnectingMeansTheServerCannotBeReached) {
  ErrorContext connecting = Context();
  connecting.connecting = true;
  const std::string handshake =
      "Lost connection to server at 'handshake: reading initial communication packet', system "
      "error: 104";
  const base::Status lost = MapMySqlError(2013, "HY000", handshake, connecting);
  EXPECT_EQ(lost.code(), ErrorCode::kUnavailable) << lost.ToString();
  EXPECT_NE(lost.message().find("cannot reach MySQL/MariaDB at db.example.com:3307"),
            std::string::npos)
      << lost.message();
  EXPECT_TRUE(lost.retryable());
  // The same error on an established session is a lost connection.
  EXPECT_EQ(MapMySqlError(2013, "HY000", handshake, Context()).code(), ErrorCode::kConnectionLost);
}

TEST(MapMySqlErrorTest, RetryableOnlyForTransientFailures) {
  EXPECT_TRUE(MapMySqlError(2013, "HY000", "Lost connection", Context()).retryable());
  EXPECT_TRUE(MapMySqlError(2003, "HY000", "Can't connect", Context()).retryable());
  EXPECT_TRUE(MapMySqlError(1969, "70100", "timeout", Context()).retryable());
  EXPECT_FALSE(MapMySqlError(1045, "28000", "Access denied", Context()).retryable());
  EXPECT_FALSE(MapMySqlError(1064, "42000", "syntax", Context()).retryable());
}

TEST(MapMySqlErrorTest, PasswordEchoedByTheServerIsRedacted) {
  // A user who pasted the password into a query gets it back in the syntax error.
  const std::string message = "You have an error in your SQL syntax near '" +
                              std::string(kPassword) + "' and again " + std::string(kPassword);
  for (unsigned int code : {1064u, 1366u, 2003u, 2013u, 2026u, 2014u, 1142u}) {
    const base::Status status = MapMySqlError(code, "42000", message, Context());
    EXPECT_EQ(status.message().find(kPassword), std::string::npos) << status.message();
  }
  const base::Status status = MapMySqlError(1064, "42000", message, Context());
  EXPECT_NE(status.message().find("near '***' and again ***"), std::string::npos)
      << status.message();
}

// Issue 12: with the password "invalid" the host "db.nonexistent.invalid" was shown as
// "db.nonexistent.*****", garbling the message and telling every reader the password.
TEST(MapMySqlErrorTest, HostThatContainsThePasswordStaysReadable) {
  ErrorContext context = Context();
  context.host = "db.nonexistent.invalid";
  context.password = "invalid";
  const base::Status status = MapMySqlError(
      2005, "HY000", "Unknown MySQL server host 'db.nonexistent.invalid' (-2)", context);
  EXPECT_EQ(status.message().find('*'), std::string::npos) << status.message();
  EXPECT_NE(
      status.message().find("cannot reach MySQL/MariaDB at db.nonexistent.invalid:3307: Unknown "
                            "MySQL server host 'db.nonexistent.invalid' (-2)"),
      std::string::npos)
      << status.message();
}

// Issue 12: messages said "MySQL" to users of MariaDB; they name the server the context names.
TEST(MapMySqlErrorTest, MessagesNameTheServerOfTheContext) {
  ErrorContext mariadb = Context(InterruptReason::kTimeout);
  mariadb.server_name = "MariaDB";
  for (unsigned int code :
       {1045u, 2003u, 1040u, 1205u, 1146u, 2013u, 1317u, 2026u, 1064u, 1366u, 2014u}) {
    const base::Status status = MapMySqlError(code, "HY000", "server text", mariadb);
    EXPECT_NE(status.message().find("MariaDB"), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find("MySQL"), std::string::npos) << status.message();
  }
  EXPECT_EQ(MapMySqlError(1064, "42000", "syntax", mariadb).message(),
            "MariaDB rejected the query: syntax");
}

TEST(MapMySqlErrorTest, ControlCharactersAreEscaped) {
  const base::Status status = MapMySqlError(1064, "42000", "syntax near 'a\nb'", Context());
  EXPECT_EQ(status.message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace contactsync::source::mysql
