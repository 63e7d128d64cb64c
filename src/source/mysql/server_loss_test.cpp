// Failures of the MySQL/MariaDB driver against real servers: a server killed in the middle of a
// read (on a private server set, so that the shared one other tests use stays up), TLS that the
// server cannot give, an unknown host, and a password typed into the wrong field. Each must end
// with its one-line error, quickly, and without the password.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "source/mysql/mysql_source.h"
#include "source/mysql/test_server.h"
#include "source/testing/private_servers.h"

extern char** environ;

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using testing::AdminConnection;
using Clock = std::chrono::steady_clock;
using server_testing::Alive;
using server_testing::CommandLine;
using server_testing::ExpectNoSecrets;
using server_testing::ExpectOneLine;
using server_testing::KillHard;

// ---------------------------------------------------------------------------------------------
// Against the shared test server.

TEST(MySqlFailureTest, RequiredTlsOnAServerWithoutTlsIsRefused) {
  CS_REQUIRE_MARIADB(server);
  ConnectionSettings settings = server.reader;
  settings.tls_mode = TlsMode::kRequire;
  const auto start = Clock::now();
  auto source = OpenMySqlSource(settings);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(settings.connect_timeout_s));
  ASSERT_FALSE(source.ok());
  const base::Status& status = source.status();
  EXPECT_EQ(status.code(), ErrorCode::kTlsFailure) << status.ToString();
  EXPECT_NE(status.message().find(fmt::format("{}:{}", settings.host, settings.port)),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("does not offer TLS, which TLS mode require needs"),
            std::string::npos)
      << status.message();
  ExpectOneLine(status);
  ExpectNoSecrets(status, {server.reader.password, server.admin.password});
}

TEST(MySqlFailureTest, MissingCaFileIsNamed) {
  CS_REQUIRE_MARIADB(server);
  ConnectionSettings settings = server.reader;
  settings.tls_mode = TlsMode::kVerifyCa;
  settings.tls_ca_file = "/nonexistent/contactsync-ca.pem";
  auto source = OpenMySqlSource(settings);
  ASSERT_FALSE(source.ok());
  const base::Status& status = source.status();
  EXPECT_EQ(status.code(), ErrorCode::kTlsFailure) << status.ToString();
  EXPECT_NE(status.message().find("'/nonexistent/contactsync-ca.pem'"), std::string::npos)
      << status.message();
  ExpectOneLine(status);
  ExpectNoSecrets(status, {server.reader.password});
}

TEST(MySqlFailureTest, UnknownHostIsUnavailableAtOnce) {
  CS_REQUIRE_MARIADB(server);
  ConnectionSettings settings = server.reader;
  settings.host = "no-such-host.invalid";  // RFC 6761: never resolves
  settings.connect_timeout_s = 3;
  const auto start = Clock::now();
  auto source = OpenMySqlSource(settings);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(settings.connect_timeout_s + 2));
  ASSERT_FALSE(source.ok());
  const base::Status& status = source.status();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable) << status.ToString();
  EXPECT_TRUE(status.retryable());
  EXPECT_NE(status.message().find(fmt::format("no-such-host.invalid:{}", settings.port)),
            std::string::npos)
      << status.message();
  ExpectOneLine(status);
  ExpectNoSecrets(status, {settings.password});
}

TEST(MySqlFailureTest, PasswordTypedIntoAnotherFieldIsNotShown) {
  CS_REQUIRE_MARIADB(server);
  // The password pasted into the database field: "unknown database" must not echo it.
  ConnectionSettings settings = server.reader;
  settings.database = server.reader.password;
  auto source = OpenMySqlSource(settings);
  ASSERT_FALSE(source.ok());
  // The reader may not see a database it has no grant on, so the server says "access denied".
  EXPECT_TRUE(source.status().code() == ErrorCode::kNotFound ||
              source.status().code() == ErrorCode::kPermissionDenied)
      << source.status().ToString();
  ExpectNoSecrets(source.status(), {server.reader.password});
  ExpectOneLine(source.status());

  // Into the user field, with a wrong password.
  settings = server.reader;
  settings.user = server.reader.password;
  settings.password = server.reader.password;
  source = OpenMySqlSource(settings);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), ErrorCode::kAuthFailed) << source.status().ToString();
  ExpectNoSecrets(source.status(), {server.reader.password});
}

// ---------------------------------------------------------------------------------------------
// A private server set (scripts/test-servers.sh), killed in the middle of a read.

class MySqlServerLossTest : public server_testing::PrivateServersTest {
 protected:
  void SetUp() override {
    PrivateServersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    admin_ = Account("CONTACTSYNC_TEST_MARIADB_", SourceType::kMySql);
    reader_ = Account("CONTACTSYNC_TEST_MARIADB_READER_", SourceType::kMySql);
  }

  ConnectionSettings admin_;
  ConnectionSettings reader_;
};

TEST_F(MySqlServerLossTest, ServerKilledMidReadIsConnectionLostWithinSeconds) {
  constexpr int kTotalRows = 1 << 18;  // 262144
  {
    AdminConnection admin(admin_, admin_.database);
    ASSERT_TRUE(admin.ok());
    admin.Exec("CREATE TABLE loss_rows (id INT PRIMARY KEY)");
    admin.Exec("INSERT INTO loss_rows VALUES (1)");
    for (int rows = 1; rows < kTotalRows; rows *= 2) {
      admin.Exec(fmt::format("INSERT INTO loss_rows SELECT id + {} FROM loss_rows", rows));
    }
    ASSERT_EQ(admin.Scalar("SELECT COUNT(*) FROM loss_rows"), std::to_string(kTotalRows));
  }

  auto source = OpenMySqlSource(reader_);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  // About 260 MB in all: far more than the socket buffers between client and server hold, so
  // most of the result is still unsent when the server dies.
  auto reader = (*source)->OpenReader("SELECT id, REPEAT('x', 1000) FROM loss_rows ORDER BY id", {},
                                      {.max_rows = 100});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  int rows_read = 0;
  for (int i = 0; i < 3; ++i) {
    auto state = (*reader)->ReadBatch(batch);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    ASSERT_EQ(*state, ReadState::kMore);
    ASSERT_EQ(batch.rows.size(), 100u);
    EXPECT_EQ(batch.rows.front()[0].bytes(), std::to_string(rows_read + 1));
    rows_read += static_cast<int>(batch.rows.size());
  }

  std::ifstream pid_file(env_["CONTACTSYNC_TEST_MARIADB_PIDFILE"]);
  pid_t pid = 0;
  pid_file >> pid;
  KillHard(pid, "--datadir=" + env_["CONTACTSYNC_TEST_MARIADB_DATADIR"]);

  server_testing::ExpectReadLostAfterKill(*reader, *source, batch, rows_read, kTotalRows, "MariaDB",
                                          reader_, {reader_.password, admin_.password},
                                          [&] { return OpenMySqlSource(reader_); });
}

}  // namespace
}  // namespace contactsync::source::mysql
