#pragma once

// Test support shared by the drivers' server-loss tests: a private set of
// throwaway servers started with scripts/test-servers.sh (so that killing one
// never disturbs the shared servers other tests use), and the checks those
// tests make on error messages. Linked into test binaries only.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "base/status.h"
#include "source/settings.h"
#include "source/source.h"

namespace contactsync::source::server_testing {

// The message holds none of `secrets`, and is one non-empty line.
void ExpectNoSecrets(const base::Status& status, const std::vector<std::string>& secrets);
void ExpectOneLine(const base::Status& status);

// True when mariadbd and a PostgreSQL server binary are installed
// (scripts/test-servers.sh needs both).
bool ServerBinariesPresent();

// CONTACTSYNC_REQUIRE_TEST_SERVERS=1: a missing server fails instead of skipping.
bool TestServersRequired();

// Runs scripts/test-servers.sh with `args` (no shell); its stdout (the env
// file's path) is discarded, its stderr (never secret) is the test's.
// Returns the exit status, or -1 when it could not run.
int RunTestServersScript(const std::vector<std::string>& args);

// The `export NAME=value` lines of an env file written by the script.
std::map<std::string, std::string> ReadEnvFile(const std::filesystem::path& file);

// True while `pid` runs (a zombie counts as gone: its sockets are closed).
bool Alive(pid_t pid);

// The process's command line, NULs as spaces; "" when it is gone.
std::string CommandLine(pid_t pid);

// SIGKILLs `pid` after checking its command line holds `marker` (so a test
// can never kill an unrelated process), and waits up to 10 s for it to die.
// Reports failures through gtest assertions.
void KillHard(pid_t pid, std::string_view marker);

// SIGKILLs a PostgreSQL server of a private set as a crash would stop it:
// the postmaster of `datadir` and the server processes `backends` (whose
// command lines hold `backend_marker`, e.g. the reader's user name), without
// giving the server a chance to end any session politely; then removes the
// System V segment the killed postmaster leaves behind. Reports failures
// through gtest assertions.
void KillPostgresHard(const std::string& datadir, const std::vector<pid_t>& backends,
                      std::string_view backend_marker);

// After the server behind `reader` was killed mid-read (`rows_read` of
// `total_rows` read so far): reading on must end within 15 s with one line of
// kConnectionLost naming "<server_name> at 127.0.0.1:<port>", the same error
// again at once; then closing the reader, Check() on `connector` and
// reopening with `reopen` must fail without hanging past the connect timeout.
// No message may hold any of `secrets`. Reports through gtest assertions.
void ExpectReadLostAfterKill(
    std::unique_ptr<RowReader>& reader, std::unique_ptr<SourceConnector>& connector, Batch& batch,
    int rows_read, int total_rows, std::string_view server_name, const ConnectionSettings& settings,
    const std::vector<std::string>& secrets,
    const std::function<base::Result<std::unique_ptr<SourceConnector>>()>& reopen);

// A fixture owning a private server set: SetUp starts it (skipping, or
// failing under CONTACTSYNC_REQUIRE_TEST_SERVERS=1, when the server binaries
// are missing); TearDown stops it and checks that its directory, the only
// place holding the passwords, is gone.
class PrivateServersTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Settings for the account whose variables start with `prefix`
  // ("CONTACTSYNC_TEST_MARIADB_", "CONTACTSYNC_TEST_PG_READER_", ...): TLS
  // off, 5 s connect timeout, 60 s query timeout.
  ConnectionSettings Account(const std::string& prefix, SourceType type);

  std::string dir_;
  std::map<std::string, std::string> env_;
};

}  // namespace contactsync::source::server_testing
