#pragma once

// Test support for the PostgreSQL integration tests: the accounts of scripts/test-servers.sh
// (CONTACTSYNC_TEST_PG_* for the privileged cs_admin, CONTACTSYNC_TEST_PG_READER_* for the
// SELECT-only cs_reader), a plain libpq session for building fixtures as the privileged
// account, and a fixture that gives each test a fresh schema and drops it afterwards.
//
// Without the variables the tests are skipped, or fail when CONTACTSYNC_REQUIRE_TEST_SERVERS=1
// (as CI sets it), so that a missing server cannot pass for a green run.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/postgres/handle.h"
#include "source/settings.h"

namespace contactsync::source::postgres::testing {

// The settings of the account whose variables start with `prefix` ("CONTACTSYNC_TEST_PG" or
// "CONTACTSYNC_TEST_PG_READER"), or nullopt when they are not set.
std::optional<ConnectionSettings> AccountFromEnv(std::string_view prefix);

// A libpq session used only by tests, to create and inspect fixtures. Every call fails the
// current test (ADD_FAILURE) when the statement fails.
class AdminSession {
 public:
  explicit AdminSession(const ConnectionSettings& settings);

  bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  // Runs `sql` (any statements, simple protocol).
  void Exec(const std::string& sql);
  // Runs `sql` with `params` and returns the first column of every row ("NULL" for NULL).
  std::vector<std::string> Column(const std::string& sql,
                                  const std::vector<std::string>& params = {});
  // The first cell of Column(), or "" when there is no row.
  std::string Scalar(const std::string& sql, const std::vector<std::string>& params = {});
  // The backend process id of this session.
  int pid() const { return PQbackendPID(conn_.get()); }
  // Ends the session (its statistics are flushed when the server process exits).
  void Close() { conn_.Reset(); }

 private:
  ConnectionHandle conn_;
};

// Gives each test the admin and reader settings, an admin session, and a fresh schema
// `schema()` (unquoted; `qschema()` quoted) that is dropped with everything in it afterwards.
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // `"schema"."name"`.
  std::string Qualified(std::string_view name) const;

  ConnectionSettings admin_;
  ConnectionSettings reader_;
  std::optional<AdminSession> session_;
  std::string schema_;
  std::string qschema_;
};

// A unique name for this process and call: "cs_pg_<pid>_<n>_<random>".
std::string UniqueName();

// Waits until no server process in `pids` is listed in pg_stat_activity (its statistics are
// then flushed); false after `timeout_s`.
bool WaitForBackendsGone(AdminSession& session, const std::vector<int>& pids, int timeout_s = 15);

}  // namespace contactsync::source::postgres::testing
