#pragma once

// The store the store-backed suites outside store/ run on (the sync engine's, the CLI's, the
// HTTP server's): SQLite by default, or the PostgreSQL test server when
// CONTACTSYNC_TEST_STORE=postgresql (ctest registers those suites a second time so, with the
// suffix "/postgresql_store"). Both stores hold the same tables under the same names, so a
// test that reads the store behind its back (a count, a dump compared before and after) reads
// either with the same SQL. Test-only.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "store/postgres/pg_database.h"
#include "store/postgres/pg_test_store.h"
#include "store/store_url.h"

namespace contactsync::store::testing {

inline bool TestStoreIsPostgresql() {
  const char* backend = std::getenv("CONTACTSYNC_TEST_STORE");
  return backend != nullptr && std::string_view(backend) == "postgresql";
}

// With CONTACTSYNC_TEST_STORE=postgresql and no PostgreSQL test server, every test of the
// binary is skipped, as the server-backed tests are (unless CONTACTSYNC_REQUIRE_TEST_SERVERS=1
// says the server must be there: then they run and fail).
class TestStoreEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!TestStoreIsPostgresql()) return;
    const std::string why = postgres::testing::WhyNoTestServer();
    if (!why.empty()) GTEST_SKIP() << why;
  }
};
inline ::testing::Environment* const kTestStoreEnvironment =
    ::testing::AddGlobalTestEnvironment(new TestStoreEnvironment);

// A new, empty store's URL: a file in `dir`, or a fresh schema of the PostgreSQL test server
// ("" after a test failure when it cannot be made).
inline std::string NewTestStoreUrl(const std::filesystem::path& dir) {
  if (TestStoreIsPostgresql()) return postgres::testing::TempSchemas::NewUrl();
  return "sqlite://" + (dir / "store.db").string();
}

// Calls `row(cells)` for every row of `sql` on the store at `url`, each cell as text ("NULL"
// for a null).
template <typename OnRow>
void ForEachStoreRow(const std::string& url, const std::string& sql, OnRow&& row) {
  auto location = ParseStoreUrl(url);
  ASSERT_TRUE(location.ok()) << location.status().ToString();
  std::vector<std::string> cells;
  if (location->backend == StoreBackend::kPostgresql) {
    auto db = postgres::Database::Open(location->url);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto rows = db->Exec(sql);
    ASSERT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    for (int r = 0; r < rows->size(); ++r) {
      cells.clear();
      for (int c = 0; c < rows->columns(); ++c) {
        cells.push_back(rows->IsNull(r, c) ? "NULL" : std::string(rows->Text(r, c)));
      }
      row(cells);
    }
    return;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(location->path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    cells.clear();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_blob(stmt, i));
      cells.push_back(sqlite3_column_type(stmt, i) == SQLITE_NULL
                          ? std::string("NULL")
                          : std::string(text == nullptr ? "" : text,
                                        static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
    }
    row(cells);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// Every table a sync changes, as text, in a fixed order: two equal dumps mean the store holds
// the same contacts (with their values), subscriptions (with the hashes), history and
// exclusions byte for byte (timestamps included).
inline std::string DumpStore(const std::string& url) {
  std::string dump;
  for (const char* sql :
       {"SELECT * FROM contacts ORDER BY id", "SELECT * FROM subscriptions ORDER BY 1, 2",
        "SELECT * FROM subscription_history ORDER BY id", "SELECT * FROM exclusions ORDER BY id"}) {
    dump += sql;
    dump += '\n';
    ForEachStoreRow(url, sql, [&](const std::vector<std::string>& cells) {
      for (const std::string& cell : cells) dump += cell + '|';
      dump += '\n';
    });
  }
  return dump;
}

// A scalar from the store, read behind its back (-1 when there is no row).
inline int64_t StoreCount(const std::string& url, const std::string& sql) {
  int64_t value = -1;
  ForEachStoreRow(url, sql, [&](const std::vector<std::string>& cells) {
    if (!cells.empty()) value = std::stoll(cells[0]);
  });
  return value;
}

}  // namespace contactsync::store::testing
