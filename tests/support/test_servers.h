#pragma once

// The throwaway database servers of scripts/test-servers.sh, as the tests of
// the built program see them: accounts from CONTACTSYNC_TEST_<PREFIX>_* and a
// way to run SQL as the privileged account through the servers' own clients.
// Without the variables a test skips, or fails when
// CONTACTSYNC_REQUIRE_TEST_SERVERS=1 (scripts/test.sh and CI set it).

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace contactsync::testing {

struct TestAccount {
  std::string host;
  std::string port;
  std::string user;
  std::string password;
  std::string database;
};

// CONTACTSYNC_TEST_<prefix>_{HOST,PORT,USER,PASSWORD,DATABASE}, e.g. prefix
// "MARIADB_READER"; nullopt when any is missing.
std::optional<TestAccount> AccountFromEnv(const std::string& prefix);

bool TestServersRequired();

// Runs `sql` with the `mariadb` client as `admin`; returns its output.
// ADD_FAILURE on a non-zero exit.
std::string MariadbExec(const TestAccount& admin, const std::string& sql);

// Runs `sql` with `psql` as `admin`; returns its output (tuples only).
std::string PsqlExec(const TestAccount& admin, const std::string& sql);

}  // namespace contactsync::testing

// Declares `const TestAccount& var` for prefix, or skips / fails the test.
#define CS_REQUIRE_TEST_ACCOUNT(var, prefix)                                               \
  const auto cs_account_##var = ::contactsync::testing::AccountFromEnv(prefix);            \
  if (!cs_account_##var) {                                                                 \
    if (::contactsync::testing::TestServersRequired()) {                                   \
      FAIL() << "CONTACTSYNC_REQUIRE_TEST_SERVERS=1 but CONTACTSYNC_TEST_" << (prefix)     \
             << "_* is not set";                                                           \
    }                                                                                      \
    GTEST_SKIP() << "no test server: run `source $(scripts/test-servers.sh start)` first"; \
  }                                                                                        \
  const ::contactsync::testing::TestAccount& var = *cs_account_##var
