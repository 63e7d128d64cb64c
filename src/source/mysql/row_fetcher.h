#pragma once

// Streams the rows of one executed prepared statement into Values, in constant memory.
//
// The result is read unbuffered (no mysql_stmt_store_result): each Next() takes one row off the
// network. Every column gets a fixed buffer of at most kMaxInlineBytes; a longer cell (a 1 MB
// TEXT) is fetched again with mysql_stmt_fetch_column into a buffer of its exact size, so memory
// grows with the widest cell of the current row, never with the result.
//
// Ownership: borrows the statement, which must outlive the fetcher and must not be re-bound
// while it lives. Not movable: libmariadb keeps pointers into its buffers.
// Thread safety: none.

#include <mysql.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "source/mysql/types.h"
#include "source/value.h"

namespace contactsync::source::mysql {

class RowFetcher {
 public:
  static constexpr size_t kMaxInlineBytes = 4096;

  enum class Step { kRow, kEnd, kError };

  // Binds result buffers to `stmt`, which has been prepared (or executed) and returns columns,
  // from its current result metadata. Returns null when libmariadb refuses the metadata or the
  // binding; mysql_stmt_errno(stmt) says why.
  static std::unique_ptr<RowFetcher> Create(MYSQL_STMT* stmt, const TypeOptions& options);

  // To call after mysql_stmt_execute: the server may describe the result differently once
  // parameter values are known (`SELECT ?`); rebinds when a column's plan changed. False when
  // libmariadb refuses.
  bool Refresh();

  RowFetcher(const RowFetcher&) = delete;
  RowFetcher& operator=(const RowFetcher&) = delete;

  const std::vector<ColumnInfo>& columns() const { return columns_; }

  // Reads the next row into `row` (replacing its content). kError leaves the reason in
  // mysql_stmt_errno(stmt).
  Step Next(Row& row);

  // Column descriptions of a prepared statement's result metadata (for DescribeQuery).
  static std::vector<ColumnInfo> DescribeFields(const MYSQL_FIELD* fields, unsigned int count,
                                                const TypeOptions& options);

 private:
  struct Column {
    ColumnPlan plan;
    std::vector<char> bytes;  // kText / kBinary buffer
    uint64_t integer = 0;
    float float_value = 0;
    double double_value = 0;
    MYSQL_TIME time{};
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
  };

  RowFetcher(MYSQL_STMT* stmt, const TypeOptions& options) : stmt_(stmt), options_(options) {}
  bool Bind(bool only_if_changed);

  MYSQL_STMT* stmt_;
  TypeOptions options_;
  std::vector<ColumnInfo> columns_;
  std::vector<Column> buffers_;  // rebuilt only before (re)binding, never while bound
  std::vector<MYSQL_BIND> binds_;
  std::string overflow_;  // the last cell too long for its inline buffer
};

}  // namespace contactsync::source::mysql
