#include "support/test_servers.h"

#include <cstdlib>

#include "support/process.h"

namespace contactsync::testing {
namespace {

std::string Env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::optional<TestAccount> AccountFromEnv(const std::string& prefix) {
  const std::string base = "CONTACTSYNC_TEST_" + prefix + "_";
  TestAccount account{Env(base + "HOST"), Env(base + "PORT"), Env(base + "USER"),
                      Env(base + "PASSWORD"), Env(base + "DATABASE")};
  if (account.host.empty() || account.port.empty() || account.user.empty() ||
      account.database.empty()) {
    return std::nullopt;
  }
  return account;
}

bool TestServersRequired() { return Env("CONTACTSYNC_REQUIRE_TEST_SERVERS") == "1"; }

std::string MariadbExec(const TestAccount& admin, const std::string& sql) {
  // The password as an argument is visible to other local users; acceptable
  // for a throwaway test server, never for contactsync itself.
  ProcessResult result = RunProcess({"/usr/bin/mariadb", "--protocol=TCP", "-h", admin.host, "-P",
                                     admin.port, "-u", admin.user, "--password=" + admin.password,
                                     "--batch", "--skip-column-names", admin.database, "-e", sql});
  if (result.exit_code != 0) ADD_FAILURE() << "mariadb failed: " << result.err << "\nSQL: " << sql;
  return result.out;
}

std::string PsqlExec(const TestAccount& admin, const std::string& sql) {
  const std::string url = "postgresql://" + admin.user + ":" + admin.password + "@" + admin.host +
                          ":" + admin.port + "/" + admin.database;
  ProcessResult result = RunProcess(
      {"/usr/bin/psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql});
  if (result.exit_code != 0) ADD_FAILURE() << "psql failed: " << result.err << "\nSQL: " << sql;
  return result.out;
}

}  // namespace contactsync::testing
