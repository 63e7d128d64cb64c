#pragma once

// Test support: the MariaDB of scripts/test-servers.sh and fixtures made with its privileged
// account. Linked into the server tests only.
//
// The servers are found through CONTACTSYNC_TEST_MARIADB_{HOST,PORT,USER,PASSWORD,DATABASE}
// (privileged) and CONTACTSYNC_TEST_MARIADB_READER_* (SELECT-only). Without them a test skips,
// or fails when CONTACTSYNC_REQUIRE_TEST_SERVERS=1 (CI).

#include <mysql.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/mysql/handle.h"
#include "source/settings.h"

namespace contactsync::source::mysql::testing {

struct TestServer {
  ConnectionSettings admin;   // ALL PRIVILEGES
  ConnectionSettings reader;  // SELECT on the test database only
};

// The servers from the environment, or nullopt.
std::optional<TestServer> FindTestServer();

// True when a missing server must fail the test instead of skipping it.
bool TestServersRequired();

// Skips (or fails, in CI) the current test when no server is configured; otherwise declares
// `const TestServer& var`.
#define CS_REQUIRE_MARIADB(var)                                                                 \
  const auto cs_found_server_ = ::contactsync::source::mysql::testing::FindTestServer();        \
  if (!cs_found_server_) {                                                                      \
    if (::contactsync::source::mysql::testing::TestServersRequired()) {                         \
      FAIL() << "CONTACTSYNC_REQUIRE_TEST_SERVERS=1 but CONTACTSYNC_TEST_MARIADB_* is not set"; \
    }                                                                                           \
    GTEST_SKIP() << "no MariaDB test server: run `source $(scripts/test-servers.sh start)` "    \
                    "first (see scripts/test-servers.sh)";                                      \
  }                                                                                             \
  const ::contactsync::source::mysql::testing::TestServer& var = *cs_found_server_

// A privileged text-protocol connection for fixtures and for looking behind the driver's back
// (status counters, PROCESSLIST). Failures are reported as gtest failures.
class AdminConnection {
 public:
  explicit AdminConnection(const ConnectionSettings& admin, std::string_view database = {});

  bool ok() const { return static_cast<bool>(connection_); }
  // Runs one statement; ADD_FAILURE with the server's message when it fails.
  void Exec(std::string_view sql);
  // Runs one statement and returns its rows (NULL as nullopt).
  std::vector<std::vector<std::optional<std::string>>> Query(std::string_view sql);
  // The first column of the first row ("" when there is none or it is NULL).
  std::string Scalar(std::string_view sql);

 private:
  ConnectionHandle connection_;
};

// A fresh database with a unique name, readable by the reader account, dropped at the end.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const TestServer& server);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  // name() as a quoted identifier (query/dialect.h).
  std::string QuotedName() const;
  // Settings of the two accounts with `database` set to this database.
  ConnectionSettings Admin() const;
  ConnectionSettings Reader() const;
  // A privileged connection using this database.
  AdminConnection& admin() { return *admin_; }

 private:
  const TestServer server_;
  std::string name_;
  std::optional<AdminConnection> admin_;
};

}  // namespace contactsync::source::mysql::testing
