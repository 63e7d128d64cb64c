#pragma once

// The PostgreSQL RowReader: streams the rows of one SELECT through a server-side cursor inside
// a read-only transaction.
//
// Why a cursor rather than single-row mode: each FETCH is a statement of its own, so
// statement_timeout bounds the wait for each batch and not the whole sync, as
// ConnectionSettings::query_timeout_s promises (in single-row mode the timeout would run while
// a slow consumer processes earlier rows); nothing runs on the server between two ReadBatch
// calls, so dropping a reader needs only a ROLLBACK; and DECLARE ... CURSOR FOR accepts
// nothing but a query (no EXPLAIN ANALYZE, SHOW, EXECUTE, or data-modifying WITH), one more
// layer against writes. FETCH sizes follow the byte bound: the first FETCH asks for one row,
// each later one for what the bytes left in the batch hold at the average row size so far, and
// never more than twice the rows of the largest FETCH before, so memory stays near
// ReadOptions::max_bytes even when the first rows are huge or the rows widen.
//
// Opening: BEGIN READ ONLY; the statement is parsed and described first (PQprepare +
// PQdescribePrepared), so statements without result columns (INSERT, COPY, DDL, SET, ...) are
// refused before anything runs; then DECLARE with the bound values. After every batch the
// reader checks that the transaction has no transaction id (TransactionWrote): a function that
// wrote in spite of the read-only transaction fails the read with kPermissionDenied, and the
// ROLLBACK that always ends the read undoes it.
//
// Cancel() sends a PostgreSQL cancel request (PQcancel) so that a FETCH blocked on the server
// returns; the reader then closes its connection rather than reuse it, so that a late cancel
// request can never stop a later statement. After the read has ended, Cancel() sends nothing.
//
// Thread safety: as RowReader (one thread at a time; Cancel from any thread).

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/postgres/connection.h"
#include "source/postgres/handle.h"
#include "source/source.h"

namespace contactsync::source::postgres {

// Inside the caller's open read-only transaction: parses and describes `sql` (statements
// without result columns are refused), then declares the cursor the reader fetches from, with
// `params` bound, or with NULL for every parameter when `params` is null (DECLARE plans the
// query without running it, so DescribeQuery refuses exactly what OpenReader would). Returns
// the result columns. Errors: kBadQuery "only SELECT queries can be used: ..." for statements
// without result columns and for statements DECLARE does not accept as a query, kBadQuery for
// a parameter count that differs from params->size(); and those of Connection::Exec.
base::Result<std::vector<ColumnInfo>> DeclareCursor(Connection& connection, std::string_view sql,
                                                    const std::vector<Value>* params);

class PostgresRowReader final : public RowReader {
 public:
  // Starts the read of `sql` (one query) with `params` on `connection`, which must not be
  // leased; the reader leases it until the read ends. Errors: kInvalidArgument for zero read
  // bounds, and those of DeclareCursor.
  static base::Result<std::unique_ptr<RowReader>> Open(std::shared_ptr<Connection> connection,
                                                       std::string_view sql,
                                                       const std::vector<Value>& params,
                                                       const ReadOptions& options);

  // Ends the read (ROLLBACK) if it is still open and releases the connection.
  ~PostgresRowReader() override;

  const std::vector<ColumnInfo>& columns() const override { return columns_; }
  base::Result<ReadState> ReadBatch(Batch& batch) override;
  void Cancel() override;

  // The most bytes (cell contents) one FETCH result has held so far: what the byte bound keeps
  // near ReadOptions::max_bytes (plus one row) rather than max_rows rows of any size.
  size_t peak_fetch_bytes() const { return peak_fetch_bytes_; }

 private:
  PostgresRowReader(std::shared_ptr<Connection> connection, std::vector<ColumnInfo> columns,
                    const ReadOptions& options);

  // How many rows the next FETCH should ask for, given what `batch` already holds.
  size_t NextFetchSize(const Batch& batch) const;
  // Moves rows from pending_ into `batch` until a bound is reached; true when one was.
  bool TakePending(Batch& batch);
  // Fails the read unless the transaction is still free of writes.
  base::Status CheckNoWrite();
  base::Status Fail(base::Status status);
  // Ends the transaction (or, after a cancel, the connection) and releases the lease.
  void End();
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  std::shared_ptr<Connection> connection_;
  std::vector<ColumnInfo> columns_;
  ReadOptions options_;

  CancelHandle cancel_handle_;  // guarded by cancel_mutex_; empty once the read has ended
  std::mutex cancel_mutex_;
  std::atomic<bool> cancelled_{false};

  ResultHandle pending_;  // the last FETCH result, rows from pending_row_ on not yet returned
  int pending_row_ = 0;
  bool exhausted_ = false;  // the cursor has no rows beyond pending_
  bool open_ = true;        // the transaction and cursor are open
  bool finished_ = false;
  base::Status error_;

  size_t rows_read_ = 0;  // totals, for the FETCH size estimate
  size_t bytes_read_ = 0;
  size_t largest_fetch_rows_ = 0;  // the most rows one FETCH returned, for the growth bound
  size_t peak_fetch_bytes_ = 0;
};

}  // namespace contactsync::source::postgres
