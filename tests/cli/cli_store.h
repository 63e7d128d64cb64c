#pragma once

// The store a command-line test's `contactsync` runs on (store/test_store.h): SQLite in the
// test's data directory (`--data-dir DIR`, as a user starts out), or, with
// CONTACTSYNC_TEST_STORE=postgresql, a fresh schema of the PostgreSQL test server
// (`--store URL`, with the secret key in $CONTACTSYNC_SECRET_KEY, as every host of such an
// install gives it: there is no data directory to keep a key file in). Test-only.

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "store/test_store.h"
#include "support/process.h"

namespace contactsync::testing {

struct CliStore {
  std::vector<std::string> args;  // the global options that name the store
  Environment env;                // what the child's environment needs besides
  std::string url;                // the store's URL, for store::testing::StoreCount/DumpStore
  std::string data_dir;           // SQLite: the data directory ("" on PostgreSQL)

  bool postgresql() const { return data_dir.empty(); }
};

// Any fixed key of the right form (64 hex digits) does: each test has a store of its own.
inline constexpr std::string_view kTestSecretKey =
    "6b6579206f6620746865206f6e6520636c6920746573742c206e6f74206d7563";

// A new, empty store for a test whose files live under `data_dir` (the SQLite store's data
// directory); `url` is "" after a test failure when the PostgreSQL schema cannot be made.
inline CliStore NewCliStore(const std::string& data_dir) {
  if (store::testing::TestStoreIsPostgresql()) {
    const std::string url = store::testing::NewTestStoreUrl(data_dir);
    return CliStore{
        {"--store", url}, {{"CONTACTSYNC_SECRET_KEY", std::string(kTestSecretKey)}}, url, ""};
  }
  return CliStore{
      {"--data-dir", data_dir}, {}, "sqlite://" + data_dir + "/contactsync.db", data_dir};
}

// Whether `secret` is anywhere in the store as it lies on disk: in the SQLite file or its
// write-ahead log, byte for byte; on PostgreSQL in any row of any table of the store's schema,
// as text or inside a bytea (which reads as hex).
inline bool StoreHolds(const CliStore& store, std::string_view secret) {
  if (!store.postgresql()) {
    std::stringstream bytes;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(store.data_dir + "/contactsync.db" + suffix, std::ios::binary);
      bytes << in.rdbuf();
    }
    return bytes.str().find(secret) != std::string::npos;
  }
  std::string hex;
  for (unsigned char c : secret) {
    constexpr std::string_view kDigits = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xf];
  }
  bool found = false;
  const auto search_row = [&](const std::vector<std::string>& row) {
    found =
        found || row[0].find(secret) != std::string::npos || row[0].find(hex) != std::string::npos;
  };
  store::testing::ForEachStoreRow(
      store.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
      [&](const std::vector<std::string>& table) {
        store::testing::ForEachStoreRow(store.url, "SELECT t::text FROM \"" + table[0] + "\" t",
                                        search_row);
      });
  return found;
}

}  // namespace contactsync::testing
