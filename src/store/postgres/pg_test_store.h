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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/clock.h"
#include "store/postgres/pg_account_store.h"
#include "store/postgres/pg_connection_store.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_store.h"

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

// Why the PostgreSQL tests cannot run here ("" when they can): no test server, unless
// CONTACTSYNC_REQUIRE_TEST_SERVERS=1 says one must be there (the tests then fail).
inline std::string WhyNoTestServer() {
  if (TestServerFromEnv()) return "";
  const char* require = std::getenv("CONTACTSYNC_REQUIRE_TEST_SERVERS");
  if (require != nullptr && std::string(require) == "1") return "";
  return "no PostgreSQL test server (scripts/test-servers.sh)";
}

// The store URL whose search_path is `schema`.
inline std::string SchemaUrl(const TestServer& server, const std::string& schema) {
  return server.Url(fmt::format("options=-csearch_path%3D{}", schema));
}

// Fresh schemas for the conformance suites' factories, each made on demand and all dropped
// when the test binary exits.
class TempSchemas {
 public:
  // A new empty schema's store URL, or "" (after ADD_FAILURE) when the server cannot make it.
  static std::string NewUrl() {
    static TempSchemas schemas;
    return schemas.Make();
  }

  ~TempSchemas() {
    if (!admin_ || !admin_->ok()) return;
    for (const std::string& name : names_) {
      (void)admin_->Exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", name));
    }
  }

 private:
  std::string Make() {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::optional<TestServer> server = TestServerFromEnv();
    if (!server) {
      ADD_FAILURE() << "CONTACTSYNC_TEST_PG_* is not set";
      return "";
    }
    if (!admin_) {
      auto admin = Database::Open(server->Url());
      if (!admin.ok()) {
        ADD_FAILURE() << admin.status().ToString();
        return "";
      }
      admin_.emplace(std::move(admin).value());
    }
    const std::string name = fmt::format("cs_conf_{}_{}", getpid(), names_.size());
    auto made = admin_->Exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", name));
    made = admin_->Exec(fmt::format("CREATE SCHEMA {}", name));
    if (!made.ok()) {
      ADD_FAILURE() << made.status().ToString();
      return "";
    }
    names_.push_back(name);
    return SchemaUrl(*server, name);
  }

  std::mutex mutex_;
  std::optional<Database> admin_;
  std::vector<std::string> names_;
};

// `Backend` (PgAccountStore, PgConnectionStore) on a fresh schema, as its `Interface`, for a
// conformance suite's factory.
template <typename Backend, typename Interface>
std::unique_ptr<Interface> OpenOnTempSchema(const base::Clock& clock) {
  const std::string url = TempSchemas::NewUrl();
  if (url.empty()) return nullptr;
  auto store = Backend::Open(url, clock);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

inline std::unique_ptr<Store> MakeTempPgStore(const base::Clock& clock) {
  return OpenOnTempSchema<PgStore, Store>(clock);
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

  std::string url() const { return SchemaUrl(server_, schema_); }

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
