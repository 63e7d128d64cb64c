#pragma once

// Test support for the sync engine: a temp directory, a store dump for
// "nothing changed" comparisons, and a source wrapper that loses its
// connection mid-read. The sources themselves: test_sources.h. Test-only.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "source/sqlite/test_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "sync/definition.h"
#include "sync/engine.h"

namespace contactsync::sync::testing {

using source::sqlite::testing::TempDir;

// Every table a sync changes, as text, in a fixed order: two equal dumps mean
// the store holds the same contacts (with their values), subscriptions (with
// the hashes), history and exclusions byte for byte (timestamps included).
inline std::string DumpStore(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string dump;
  for (const char* sql :
       {"SELECT * FROM contacts ORDER BY id", "SELECT * FROM subscriptions ORDER BY 1, 2",
        "SELECT * FROM subscription_history ORDER BY id", "SELECT * FROM exclusions ORDER BY id"}) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
    dump += sql;
    dump += '\n';
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_blob(stmt, i));
        dump += sqlite3_column_type(stmt, i) == SQLITE_NULL
                    ? std::string("NULL")
                    : std::string(text == nullptr ? "" : text,
                                  static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
        dump += '|';
      }
      dump += '\n';
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return dump;
}

// A scalar from the store file, read behind the store's back.
inline int64_t StoreCount(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  int64_t value = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// Wraps a connector; its readers fail with kConnectionLost after
// `good_batches` batches, as when the server goes away mid-read.
class FlakySource final : public source::SourceConnector {
 public:
  FlakySource(std::unique_ptr<source::SourceConnector> inner, int good_batches)
      : inner_(std::move(inner)), good_batches_(good_batches) {}
  base::Result<source::SourceInfo> Check() override { return inner_->Check(); }
  base::Result<std::vector<source::TableInfo>> ListTables() override {
    return inner_->ListTables();
  }
  base::Result<std::vector<source::ColumnInfo>> DescribeTable(std::string_view schema,
                                                              std::string_view name) override {
    return inner_->DescribeTable(schema, name);
  }
  base::Result<std::vector<source::ColumnInfo>> DescribeQuery(std::string_view sql) override {
    return inner_->DescribeQuery(sql);
  }
  base::Result<std::unique_ptr<source::RowReader>> OpenReader(
      std::string_view sql, const std::vector<source::Value>& params,
      const source::ReadOptions& options) override {
    CS_ASSIGN_OR_RETURN(auto reader, inner_->OpenReader(sql, params, options));
    return std::unique_ptr<source::RowReader>(new Reader(std::move(reader), good_batches_));
  }

 private:
  class Reader final : public source::RowReader {
   public:
    Reader(std::unique_ptr<source::RowReader> inner, int good)
        : inner_(std::move(inner)), left_(good) {}
    const std::vector<source::ColumnInfo>& columns() const override { return inner_->columns(); }
    base::Result<source::ReadState> ReadBatch(source::Batch& batch) override {
      if (left_-- <= 0) {
        return base::Status(base::ErrorCode::kConnectionLost,
                            "the connection to the test server was lost while reading");
      }
      return inner_->ReadBatch(batch);
    }
    void Cancel() override { inner_->Cancel(); }

   private:
    std::unique_ptr<source::RowReader> inner_;
    int left_;
  };
  std::unique_ptr<source::SourceConnector> inner_;
  int good_batches_;
};

}  // namespace contactsync::sync::testing
