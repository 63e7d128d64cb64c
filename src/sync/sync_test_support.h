#pragma once

// Test support for the sync engine: a temp directory, a store dump for
// "nothing changed" comparisons (on either store), and a source wrapper that loses its
// connection mid-read. The sources themselves: test_sources.h. Test-only.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "source/sqlite/test_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/test_store.h"
#include "sync/definition.h"
#include "sync/engine.h"

namespace contactsync::sync::testing {

using source::sqlite::testing::TempDir;

// The store read behind its back (store/test_store.h): a dump for "nothing changed"
// comparisons, and counts.
using store::testing::DumpStore;
using store::testing::StoreCount;

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
