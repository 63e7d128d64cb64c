#include "source/postgres/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;

struct Case {
  std::string_view name;
  Phase phase;
  std::string_view sqlstate;
  std::string_view message;
  bool connection_bad;
  bool cancelled;
  ErrorCode code;
  std::string_view expected;  // a part of the resulting message
};

PgFailure MakeFailure(const Case& c) {
  PgFailure failure;
  failure.phase = c.phase;
  failure.sqlstate = c.sqlstate;
  failure.message = c.message;
  failure.connection_bad = c.connection_bad;
  failure.cancelled = c.cancelled;
  failure.host = "db.example.com";
  failure.port = 5432;
  failure.user = "alice";
  failure.database = "shop";
  failure.connect_timeout_s = 10;
  failure.query_timeout_s = 300;
  return failure;
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"wrong_password", Phase::kConnect, "28P01",
       "connection to server at \"db.example.com\" (10.0.0.1), port 5432 failed: FATAL:  28P01: "
       "password authentication failed for user \"alice\"\nLOCATION:  auth_failed, auth.c:334\n",
       true, false, ErrorCode::kAuthFailed,
       "PostgreSQL rejected user 'alice' at db.example.com:5432: wrong user name or password"},
      {"pg_hba_refusal", Phase::kConnect, "28000",
       "FATAL:  28000: no pg_hba.conf entry for host \"10.0.0.9\", user \"alice\", database "
       "\"shop\", no encryption",
       true, false, ErrorCode::kAuthFailed, "no pg_hba.conf entry for host"},
      {"no_password_given", Phase::kConnect, "",
       "connection to server at \"db.example.com\", port 5432 failed: fe_sendauth: no password "
       "supplied\n",
       true, false, ErrorCode::kAuthFailed, "wrong user name or password"},
      {"unknown_database", Phase::kConnect, "3D000",
       "FATAL:  3D000: database \"shop\" does not exist", true, false, ErrorCode::kNotFound,
       "database 'shop' does not exist"},
      {"refused", Phase::kConnect, "",
       "connection to server at \"db.example.com\" (10.0.0.1), port 5432 failed: Connection "
       "refused\n\tIs the server running on that host and accepting TCP/IP connections?\n",
       true, false, ErrorCode::kUnavailable,
       "cannot reach PostgreSQL at db.example.com:5432: Connection refused"},
      {"unknown_host", Phase::kConnect, "",
       "could not translate host name \"db.example.com\" to address: Name or service not known\n",
       true, false, ErrorCode::kUnavailable, "cannot reach PostgreSQL at db.example.com:5432"},
      {"connect_timeout", Phase::kConnect, "", "timeout expired", true, false, ErrorCode::kTimeout,
       "within the connect timeout of 10 s"},
      {"server_without_tls", Phase::kConnect, "",
       "connection to server at \"db.example.com\", port 5432 failed: server does not support "
       "SSL, but SSL was required\n",
       true, false, ErrorCode::kTlsFailure, "server does not support SSL"},
      {"untrusted_certificate", Phase::kConnect, "",
       "connection to server at \"db.example.com\", port 5432 failed: SSL error: certificate "
       "verify failed\n",
       true, false, ErrorCode::kTlsFailure, "certificate verify failed"},
      {"missing_ca_file", Phase::kConnect, "",
       "connection to server at \"db.example.com\", port 5432 failed: root certificate file "
       "\"/nope.pem\" does not exist\nEither provide the file or change sslmode to disable "
       "server certificate verification.\n",
       true, false, ErrorCode::kTlsFailure, "root certificate file"},
      {"starting_up", Phase::kConnect, "57P03", "FATAL:  57P03: the database system is starting up",
       true, false, ErrorCode::kUnavailable, "busy or not ready"},
      {"too_many_connections", Phase::kConnect, "53300",
       "FATAL:  53300: sorry, too many clients already", true, false, ErrorCode::kUnavailable,
       "too many clients"},
      {"protocol_error_while_connecting", Phase::kConnect, "08P01",
       "FATAL:  08P01: invalid startup packet", true, false, ErrorCode::kUnavailable,
       "cannot reach PostgreSQL"},
      {"statement_timeout", Phase::kQuery, "57014", "canceling statement due to statement timeout",
       false, false, ErrorCode::kTimeout, "query timeout of 300 s"},
      {"cancelled_by_caller", Phase::kQuery, "57014", "canceling statement due to user request",
       false, true, ErrorCode::kCancelled, "cancelled"},
      {"idle_in_transaction_timeout", Phase::kQuery, "25P03",
       "terminating connection due to idle-in-transaction timeout", true, false,
       ErrorCode::kTimeout, "waited too long between two batches"},
      {"lock_timeout", Phase::kQuery, "55P03", "canceling statement due to lock timeout", false,
       false, ErrorCode::kTimeout, "lock"},
      {"connection_failure_mid_read", Phase::kQuery, "08006", "connection failure", true, false,
       ErrorCode::kConnectionLost, "lost the connection to PostgreSQL at db.example.com:5432"},
      {"terminated_by_admin", Phase::kQuery, "57P01",
       "terminating connection due to administrator command", true, false,
       ErrorCode::kConnectionLost, "administrator command"},
      {"server_closed_connection", Phase::kQuery, "",
       "server closed the connection unexpectedly\n\tThis probably means the server terminated "
       "abnormally\n\tbefore or while processing the request.\n",
       true, false, ErrorCode::kConnectionLost, "server closed the connection unexpectedly"},
      {"read_only_transaction", Phase::kQuery, "25006",
       "cannot execute INSERT in a read-only transaction", false, false,
       ErrorCode::kPermissionDenied,
       "contactsync only reads: cannot execute INSERT in a read-only transaction"},
      {"insufficient_privilege", Phase::kQuery, "42501", "permission denied for table orders",
       false, false, ErrorCode::kPermissionDenied, "user 'alice' is not allowed"},
      {"syntax_error", Phase::kQuery, "42601", "syntax error at or near \"FORM\"", false, false,
       ErrorCode::kBadQuery, "PostgreSQL rejected the query: syntax error at or near \"FORM\""},
      {"multiple_statements", Phase::kQuery, "42601",
       "cannot insert multiple commands into a prepared statement", false, false,
       ErrorCode::kBadQuery, "multiple commands"},
      {"unknown_column", Phase::kQuery, "42703", "column \"emial\" does not exist", false, false,
       ErrorCode::kBadQuery, "column \"emial\" does not exist"},
      {"unknown_table", Phase::kQuery, "42P01", "relation \"custmers\" does not exist", false,
       false, ErrorCode::kNotFound, "relation \"custmers\" does not exist"},
      {"unknown_schema", Phase::kQuery, "3F000", "schema \"shp\" does not exist", false, false,
       ErrorCode::kNotFound, "schema \"shp\""},
      {"data_modifying_cursor", Phase::kQuery, "0A000",
       "DECLARE CURSOR must not contain data-modifying statements in WITH", false, false,
       ErrorCode::kBadQuery, "data-modifying"},
      {"bad_parameter_value", Phase::kQuery, "22P02",
       "invalid input syntax for type integer: \"abc\"", false, false, ErrorCode::kBadQuery,
       "invalid input syntax"},
      {"deadlock", Phase::kQuery, "40P01", "deadlock detected", false, false,
       ErrorCode::kUnavailable, "deadlock detected"},
      {"internal_error", Phase::kQuery, "XX000", "cache lookup failed for type 0", false, false,
       ErrorCode::kInternal, "XX000"},
      {"client_error_without_state", Phase::kQuery, "", "out of memory", false, false,
       ErrorCode::kInternal, "out of memory"},
  };
  return cases;
}

class PgMapErrorTest : public testing::TestWithParam<Case> {};

TEST_P(PgMapErrorTest, MapsCodeAndMessage) {
  const Case& c = GetParam();
  const base::Status status = MapPostgresError(MakeFailure(c));
  EXPECT_EQ(status.code(), c.code) << ErrorCodeName(status.code()) << ": " << status.message();
  EXPECT_NE(status.message().find(c.expected), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << "one line: " << status.message();
  EXPECT_EQ(status.message().find("LOCATION"), std::string::npos) << status.message();
}

// Whatever the failure, a password that got into the text (or into the user name field) never
// comes out.
TEST_P(PgMapErrorTest, NeverShowsThePassword) {
  const Case& c = GetParam();
  const std::string password = "Tr0ub4dor&3";
  const std::string message = std::string(c.message) + " (password " + password + ")";
  PgFailure failure = MakeFailure(c);
  failure.message = message;
  failure.password = password;
  failure.user = password;
  const base::Status status = MapPostgresError(failure);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message().find(password), std::string::npos) << status.message();
}

INSTANTIATE_TEST_SUITE_P(All, PgMapErrorTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

// Issue 12: with the password "invalid" the host "db.nonexistent.invalid" was shown as
// "db.nonexistent.***", garbling the message and telling every reader the password.
TEST(PgMapErrorTest, HostThatContainsThePasswordStaysReadable) {
  PgFailure failure = MakeFailure(Cases()[0]);
  failure.phase = Phase::kConnect;
  failure.sqlstate = "";
  failure.message =
      "could not translate host name \"db.nonexistent.invalid\" to address: Name or service not "
      "known\n";
  failure.connection_bad = true;
  failure.host = "db.nonexistent.invalid";
  failure.password = "invalid";
  const base::Status status = MapPostgresError(failure);
  EXPECT_EQ(status.message().find('*'), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("db.nonexistent.invalid"), std::string::npos) << status.message();
}

TEST(PgMapErrorTest, CancelledOnlyWinsForCanceledStatements) {
  PgFailure failure = MakeFailure(Cases()[0]);
  failure.cancelled = true;  // a wrong password stays a wrong password
  EXPECT_EQ(MapPostgresError(failure).code(), ErrorCode::kAuthFailed);
}

TEST(PgMapErrorTest, BracketsIpv6Hosts) {
  PgFailure failure = MakeFailure(Cases()[4]);
  failure.host = "::1";
  EXPECT_NE(MapPostgresError(failure).message().find("[::1]:5432"), std::string::npos);
}

TEST(PgFindSqlStateTest, ReadsVerboseConnectionMessages) {
  EXPECT_EQ(FindSqlState("connection to server at \"h\", port 1 failed: FATAL:  28P01: password "
                         "authentication failed for user \"u\"\nLOCATION:  auth.c:334\n"),
            "28P01");
  EXPECT_EQ(FindSqlState("FATAL:  3D000: database \"x\" does not exist"), "3D000");
  // A translated severity still has libpq's two spaces.
  EXPECT_EQ(FindSqlState("FATAL:  28P01: Passwort-Authentifizierung fehlgeschlagen"), "28P01");
  EXPECT_EQ(FindSqlState("connection to server at \"h\", port 1 failed: Connection refused"), "");
  EXPECT_EQ(FindSqlState("FATAL:  password authentication failed"), "");
  EXPECT_EQ(FindSqlState(""), "");
}

TEST(PgCleanMessageTest, KeepsOneLinePerDistinctProblem) {
  EXPECT_EQ(CleanMessage("connection to server at \"localhost\" (::1), port 1 failed: Connection "
                         "refused\n\tIs the server running on that host and accepting TCP/IP "
                         "connections?\nconnection to server at \"localhost\" (127.0.0.1), port 1 "
                         "failed: Connection refused\n\tIs the server running on that host and "
                         "accepting TCP/IP connections?\n"),
            "Connection refused");
  EXPECT_EQ(CleanMessage("ERROR:  42601: syntax error at or near \"x\"\nLOCATION:  scanner.l:1\n"),
            "syntax error at or near \"x\"");
  EXPECT_EQ(CleanMessage("FATAL:  terminating connection due to administrator command\nserver "
                         "closed the connection unexpectedly\n\tThis probably means...\n"),
            "terminating connection due to administrator command; server closed the connection "
            "unexpectedly");
  EXPECT_EQ(CleanMessage(""), "no details from libpq");
  EXPECT_EQ(CleanMessage(std::string(500, 'x'), 10), "xxxxxxxxxx...");
  EXPECT_EQ(CleanMessage("bad \x01 byte"), "bad \\x01 byte");
}

}  // namespace
}  // namespace contactsync::source::postgres
