#pragma once

// Test support for the PostgreSQL store: the store URL of the test server's privileged account
// (scripts/test-servers.sh: CONTACTSYNC_TEST_PG_*), and a fixture that gives each test a fresh
// schema of its own (the store's tables go there through the URL's search_path) and drops it
// afterwards. Without the variables the tests are skipped, or fail when
// CONTACTSYNC_REQUIRE_TEST_SERVERS=1 (as CI sets it). Test-only.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "store/postgres/pg_database.h"

namespace contactsync::store::postgres::testing {

struct TestServer {
  std::string host, port, user, password, database;

  // postgresql://user:password@host:port/database, plus `query` ("options=...").
  std::string Url(const std::string& query = "") const {
    return fmt::format("postgresql://{}:{}@{}:{}/{}{}{}", user, password, host, port, database,
                       query.empty() ? "" : "?", query);
  }
};

inline std::optional<TestServer> TestServerFromEnv() {
  TestServer server;
  for (auto [field, name] :
       {std::pair{&server.host, "HOST"}, std::pair{&server.port, "PORT"},
        std::pair{&server.user, "USER"}, std::pair{&server.password, "PASSWORD"},
        std::pair{&server.database, "DATABASE"}}) {
    const char* value = std::getenv(fmt::format("CONTACTSYNC_TEST_PG_{}", name).c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    *field = value;
  }
  return server;
}

// A fresh schema per test; url() is the store URL whose search_path is that schema.
class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<TestServer> server = TestServerFromEnv();
    if (!server) {
      const char* require = std::getenv("CONTACTSYNC_REQUIRE_TEST_SERVERS");
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << "CONTACTSYNC_REQUIRE_TEST_SERVERS=1 but CONTACTSYNC_TEST_PG_* is not set";
      }
      GTEST_SKIP() << "no PostgreSQL test server (scripts/test-servers.sh)";
    }
    server_ = *server;
    static std::atomic<int> counter{0};
    schema_ = fmt::format("cs_store_{}_{}", getpid(), counter++);
    auto admin = Database::Open(server_.Url());
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_.emplace(std::move(admin).value());
    ASSERT_TRUE(admin_->Exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_)).ok());
    ASSERT_TRUE(admin_->Exec(fmt::format("CREATE SCHEMA {}", schema_)).ok());
  }

  void TearDown() override {
    if (admin_ && admin_->ok()) {
      (void)admin_->Exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
    }
  }

  std::string url() const {
    return server_.Url(fmt::format("options=-csearch_path%3D{}", schema_));
  }

  Database OpenStoreDatabase() {
    auto db = Database::Open(url());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }

  TestServer server_;
  std::string schema_;
  std::optional<Database> admin_;  // on the server's default search_path
};

}  // namespace contactsync::store::postgres::testing
