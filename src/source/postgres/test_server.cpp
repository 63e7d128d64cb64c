#include "source/postgres/test_server.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "query/dialect.h"

namespace contactsync::source::postgres::testing {

std::optional<ConnectionSettings> AccountFromEnv(std::string_view prefix) {
  const auto get = [&](std::string_view field) -> std::optional<std::string> {
    const char* value = std::getenv(fmt::format("{}_{}", prefix, field).c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  const auto host = get("HOST");
  const auto port = get("PORT");
  const auto user = get("USER");
  const auto password = get("PASSWORD");
  const auto database = get("DATABASE");
  if (!host || !port || !user || !password || !database) return std::nullopt;
  ConnectionSettings settings;
  settings.type = SourceType::kPostgreSql;
  settings.host = *host;
  settings.port = std::atoi(port->c_str());
  settings.user = *user;
  settings.password = *password;
  settings.database = *database;
  settings.connect_timeout_s = 10;
  settings.query_timeout_s = 60;
  return settings;
}

AdminSession::AdminSession(const ConnectionSettings& settings) {
  const std::string port = std::to_string(EffectivePort(settings));
  // client_min_messages keeps DROP ... CASCADE notices out of the test output.
  const char* keywords[] = {
      "host",    "port", "user", "password", "dbname", "client_encoding", "application_name",
      "options", nullptr};
  const char* values[] = {settings.host.c_str(),
                          port.c_str(),
                          settings.user.c_str(),
                          settings.password.c_str(),
                          settings.database.c_str(),
                          "UTF8",
                          "contactsync-test",
                          "-c client_min_messages=warning",
                          nullptr};
  conn_ = ConnectionHandle(PQconnectdbParams(keywords, values, 0));
  if (!ok()) ADD_FAILURE() << "admin connection failed: " << PQerrorMessage(conn_.get());
}

void AdminSession::Exec(const std::string& sql) {
  ResultHandle result(PQexec(conn_.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "fixture SQL failed: " << PQerrorMessage(conn_.get()) << "\n" << sql;
  }
}

std::vector<std::string> AdminSession::Column(const std::string& sql,
                                              const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  ResultHandle result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()),
                                   nullptr, values.data(), nullptr, nullptr, 0));
  std::vector<std::string> column;
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "query failed: " << PQerrorMessage(conn_.get()) << "\n" << sql;
    return column;
  }
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    column.push_back(PQgetisnull(result.get(), row, 0) != 0 ? "NULL"
                                                            : PQgetvalue(result.get(), row, 0));
  }
  return column;
}

std::string AdminSession::Scalar(const std::string& sql, const std::vector<std::string>& params) {
  const std::vector<std::string> column = Column(sql, params);
  return column.empty() ? std::string() : column.front();
}

std::string UniqueName() {
  static int counter = 0;
  static std::mt19937 random(std::random_device{}());
  return fmt::format("cs_pg_{}_{}_{:06x}", getpid(), ++counter, random() & 0xffffff);
}

void PostgresTest::SetUp() {
  const std::optional<ConnectionSettings> admin = AccountFromEnv("CONTACTSYNC_TEST_PG");
  const std::optional<ConnectionSettings> reader = AccountFromEnv("CONTACTSYNC_TEST_PG_READER");
  if (!admin || !reader) {
    const char* require = std::getenv("CONTACTSYNC_REQUIRE_TEST_SERVERS");
    if (require != nullptr && std::string_view(require) == "1") {
      FAIL() << "CONTACTSYNC_TEST_PG_* is not set but CONTACTSYNC_REQUIRE_TEST_SERVERS=1; start "
                "the servers with scripts/test-servers.sh start and source its env file";
    }
    GTEST_SKIP() << "no PostgreSQL test server: run `source $(scripts/test-servers.sh start)` "
                    "first (set CONTACTSYNC_REQUIRE_TEST_SERVERS=1 to fail instead of skip)";
  }
  admin_ = *admin;
  reader_ = *reader;
  session_.emplace(admin_);
  ASSERT_TRUE(session_->ok());
  schema_ = UniqueName();
  qschema_ = *query::QuoteIdentifier(query::Dialect::kPostgreSql, schema_);
  session_->Exec(fmt::format("CREATE SCHEMA {0}; GRANT USAGE ON SCHEMA {0} TO {1}", qschema_,
                             *query::QuoteIdentifier(query::Dialect::kPostgreSql, reader_.user)));
}

void PostgresTest::TearDown() {
  if (session_ && session_->ok() && !schema_.empty()) {
    session_->Exec(fmt::format("DROP SCHEMA {} CASCADE", qschema_));
  }
}

std::string PostgresTest::Qualified(std::string_view name) const {
  return *query::QualifiedName(query::Dialect::kPostgreSql, schema_, name);
}

bool WaitForBackendsGone(AdminSession& session, const std::vector<int>& pids, int timeout_s) {
  std::string list = "{";
  for (size_t i = 0; i < pids.size(); ++i) list += (i == 0 ? "" : ",") + std::to_string(pids[i]);
  list += "}";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (session.Scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])",
                       {list}) == "0") {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace contactsync::source::postgres::testing
