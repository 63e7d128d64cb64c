#include "source/mysql/test_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "query/dialect.h"

namespace contactsync::source::mysql::testing {
namespace {

std::optional<ConnectionSettings> FromEnv(std::string_view prefix) {
  auto get = [&](std::string_view key) -> std::optional<std::string> {
    const std::string name = fmt::format("{}{}", prefix, key);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  auto host = get("HOST");
  auto port = get("PORT");
  auto user = get("USER");
  auto password = get("PASSWORD");
  auto database = get("DATABASE");
  if (!host || !port || !user || !password || !database) return std::nullopt;
  ConnectionSettings settings;
  settings.type = SourceType::kMySql;
  settings.host = *host;
  settings.port = std::atoi(port->c_str());
  settings.user = *user;
  settings.password = *password;
  settings.database = *database;
  settings.tls_mode = TlsMode::kPrefer;
  settings.connect_timeout_s = 5;
  settings.query_timeout_s = 60;
  return settings;
}

}  // namespace

std::optional<TestServer> FindTestServer() {
  auto admin = FromEnv("CONTACTSYNC_TEST_MARIADB_");
  auto reader = FromEnv("CONTACTSYNC_TEST_MARIADB_READER_");
  if (!admin || !reader) return std::nullopt;
  return TestServer{*admin, *reader};
}

bool TestServersRequired() {
  const char* value = std::getenv("CONTACTSYNC_REQUIRE_TEST_SERVERS");
  return value != nullptr && std::string_view(value) == "1";
}

AdminConnection::AdminConnection(const ConnectionSettings& admin, std::string_view database) {
  ConnectionHandle connection(mysql_init(nullptr));
  const unsigned int timeout = 10;
  mysql_options(connection.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(connection.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const std::string db(database);
  if (mysql_real_connect(connection.get(), admin.host.c_str(), admin.user.c_str(),
                         admin.password.c_str(), db.empty() ? nullptr : db.c_str(),
                         static_cast<unsigned int>(admin.port), nullptr, 0) == nullptr) {
    ADD_FAILURE() << "admin connection failed: " << mysql_error(connection.get());
    return;
  }
  connection_ = std::move(connection);
}

void AdminConnection::Exec(std::string_view sql) {
  if (!connection_) return;
  if (mysql_real_query(connection_.get(), sql.data(), sql.size()) != 0) {
    ADD_FAILURE() << "fixture statement failed: " << mysql_error(connection_.get())
                  << "\n  in: " << sql.substr(0, 300);
    return;
  }
  ResultHandle result(mysql_store_result(connection_.get()));
}

std::vector<std::vector<std::optional<std::string>>> AdminConnection::Query(std::string_view sql) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  if (!connection_) return rows;
  if (mysql_real_query(connection_.get(), sql.data(), sql.size()) != 0) {
    ADD_FAILURE() << "admin query failed: " << mysql_error(connection_.get()) << "\n  in: " << sql;
    return rows;
  }
  ResultHandle result(mysql_store_result(connection_.get()));
  if (!result) return rows;
  const unsigned int count = mysql_num_fields(result.get());
  while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(result.get());
    std::vector<std::optional<std::string>> out;
    for (unsigned int i = 0; i < count; ++i) {
      if (row[i] == nullptr) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(std::string(row[i], lengths[i]));
      }
    }
    rows.push_back(std::move(out));
  }
  return rows;
}

std::string AdminConnection::Scalar(std::string_view sql) {
  auto rows = Query(sql);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return {};
  return *rows[0][0];
}

ScratchDatabase::ScratchDatabase(const TestServer& server) : server_(server) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  name_ = fmt::format("cs_mysql_{}_{}_{}", getpid(), counter++, now % 1000000);
  {
    AdminConnection setup(server_.admin);
    setup.Exec(fmt::format("CREATE DATABASE {} CHARACTER SET utf8mb4", QuotedName()));
    setup.Exec(fmt::format("GRANT SELECT, SHOW VIEW ON {}.* TO '{}'@'%'", QuotedName(),
                           server_.reader.user));
  }
  admin_.emplace(server_.admin, name_);
}

ScratchDatabase::~ScratchDatabase() {
  admin_.reset();
  AdminConnection cleanup(server_.admin);
  cleanup.Exec(fmt::format("REVOKE ALL PRIVILEGES ON {}.* FROM '{}'@'%'", QuotedName(),
                           server_.reader.user));
  cleanup.Exec(fmt::format("DROP DATABASE IF EXISTS {}", QuotedName()));
}

std::string ScratchDatabase::QuotedName() const {
  return *query::QuoteIdentifier(query::Dialect::kMySql, name_);
}

ConnectionSettings ScratchDatabase::Admin() const {
  ConnectionSettings settings = server_.admin;
  settings.database = name_;
  return settings;
}

ConnectionSettings ScratchDatabase::Reader() const {
  ConnectionSettings settings = server_.reader;
  settings.database = name_;
  return settings;
}

}  // namespace contactsync::source::mysql::testing
