// Failures of the PostgreSQL driver against real servers: a server killed in the middle of a
// read (on a private server set, so that the shared one other tests use stays up), TLS that the
// server cannot give, an unknown host, and a password typed into the wrong field. Each must end
// with its one-line error, quickly, and without the password.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "source/postgres/postgres_source.h"
#include "source/postgres/test_server.h"
#include "source/testing/private_servers.h"

extern char** environ;

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;
using testing::AdminSession;
using testing::PostgresTest;
using Clock = std::chrono::steady_clock;
using server_testing::Alive;
using server_testing::CommandLine;
using server_testing::ExpectNoSecrets;
using server_testing::ExpectOneLine;

// ---------------------------------------------------------------------------------------------
// Against the shared test server.

TEST_F(PostgresTest, RequiredTlsOnAServerWithoutTlsIsRefused) {
  ConnectionSettings settings = reader_;
  settings.tls_mode = TlsMode::kRequire;
  const auto start = Clock::now();
  auto connector = OpenPostgresSource(settings);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(settings.connect_timeout_s));
  ASSERT_FALSE(connector.ok());
  const base::Status& status = connector.status();
  EXPECT_EQ(status.code(), ErrorCode::kTlsFailure) << status.ToString();
  EXPECT_NE(status.message().find(fmt::format("PostgreSQL at {}:{}", settings.host, settings.port)),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("server does not support SSL, but SSL was required"),
            std::string::npos)
      << status.message();
  ExpectOneLine(status);
  ExpectNoSecrets(status, {reader_.password, admin_.password});
}

TEST_F(PostgresTest, MissingCaFileIsNamed) {
  ConnectionSettings settings = reader_;
  settings.tls_mode = TlsMode::kVerifyCa;
  settings.tls_ca_file = "/nonexistent/contactsync-ca.pem";
  auto connector = OpenPostgresSource(settings);
  ASSERT_FALSE(connector.ok());
  const base::Status& status = connector.status();
  EXPECT_EQ(status.code(), ErrorCode::kTlsFailure) << status.ToString();
  EXPECT_NE(status.message().find("'/nonexistent/contactsync-ca.pem'"), std::string::npos)
      << status.message();
  ExpectOneLine(status);
  ExpectNoSecrets(status, {reader_.password});
}

TEST_F(PostgresTest, UnknownHostIsUnavailableAtOnce) {
  ConnectionSettings settings = reader_;
  settings.host = "no-such-host.invalid";  // RFC 6761: never resolves
  settings.connect_timeout_s = 3;
  const auto start = Clock::now();
  auto connector = OpenPostgresSource(settings);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(settings.connect_timeout_s + 2));
  ASSERT_FALSE(connector.ok());
  const base::Status& status = connector.status();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable) << status.ToString();
  EXPECT_TRUE(status.retryable());
  EXPECT_NE(status.message().find(
                fmt::format("cannot reach PostgreSQL at no-such-host.invalid:{}", settings.port)),
            std::string::npos)
      << status.message();
  ExpectOneLine(status);
  ExpectNoSecrets(status, {settings.password});
}

TEST_F(PostgresTest, PasswordTypedIntoAnotherFieldIsNotShown) {
  // The password pasted into the database field: "unknown database" must not echo it.
  ConnectionSettings settings = reader_;
  settings.database = reader_.password;
  auto connector = OpenPostgresSource(settings);
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), ErrorCode::kNotFound) << connector.status().ToString();
  ExpectNoSecrets(connector.status(), {reader_.password});
  ExpectOneLine(connector.status());

  // Into the user field, with a wrong password.
  settings = reader_;
  settings.user = reader_.password;
  settings.password = reader_.password;
  connector = OpenPostgresSource(settings);
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), ErrorCode::kAuthFailed) << connector.status().ToString();
  ExpectNoSecrets(connector.status(), {reader_.password});
}

// ---------------------------------------------------------------------------------------------
// A private server set (scripts/test-servers.sh), killed in the middle of a read.

class PostgresServerLossTest : public server_testing::PrivateServersTest {
 protected:
  void SetUp() override {
    PrivateServersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    admin_ = Account("CONTACTSYNC_TEST_PG_", SourceType::kPostgreSql);
    reader_ = Account("CONTACTSYNC_TEST_PG_READER_", SourceType::kPostgreSql);
  }

  ConnectionSettings admin_;
  ConnectionSettings reader_;
};

TEST_F(PostgresServerLossTest, ServerKilledMidReadIsConnectionLostWithinSeconds) {
  constexpr int kTotalRows = 200000;
  {
    AdminSession admin(admin_);
    ASSERT_TRUE(admin.ok());
    admin.Exec(fmt::format(
        "CREATE TABLE loss_rows AS SELECT g AS id FROM generate_series(1, {}) AS g", kTotalRows));
    admin.Exec(fmt::format("GRANT SELECT ON loss_rows TO {}", reader_.user));
  }

  auto connector = OpenPostgresSource(reader_);
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  auto reader =
      (*connector)
          ->OpenReader("SELECT id, repeat('x', 1000), pg_backend_pid() FROM loss_rows ORDER BY id",
                       {}, {.max_rows = 100});
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

  // The whole server, as a crash or `kill -9` would stop it, from the backend serving the read.
  const pid_t backend = std::atoi(batch.rows.front()[2].bytes().c_str());
  server_testing::KillPostgresHard(env_["CONTACTSYNC_TEST_PG_DATADIR"], {backend}, reader_.user);

  server_testing::ExpectReadLostAfterKill(
      *reader, *connector, batch, rows_read, kTotalRows, "PostgreSQL", reader_,
      {reader_.password, admin_.password}, [&] { return OpenPostgresSource(reader_); });
}

}  // namespace
}  // namespace contactsync::source::postgres
