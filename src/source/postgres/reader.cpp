#include "source/postgres/reader.h"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "source/postgres/catalog.h"
#include "source/postgres/types.h"

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;

// The cursor's name is ours and constant; the user's query follows FOR, and DECLARE accepts
// exactly one query there.
constexpr std::string_view kDeclare = "DECLARE contactsync_rows NO SCROLL CURSOR FOR ";

// Rows asked for before any row size is known: one, because a first row may be a gigabyte.
constexpr size_t kFirstFetchRows = 1;

// A FETCH asks for at most this many times the rows of the largest FETCH before it: the
// average row size learnt from a few narrow rows says little about the next ones, so the row
// count grows only as the rows keep fitting (1, 2, 4, ... up to the byte estimate and
// max_rows).
constexpr size_t kFetchGrowth = 2;

// The bytes a FETCH result holds in its cells (what the byte bound is about).
size_t ResultBytes(const PGresult* result) {
  size_t bytes = 0;
  const int rows = PQntuples(result);
  const int columns = PQnfields(result);
  for (int row = 0; row < rows; ++row) {
    for (int column = 0; column < columns; ++column) {
      bytes += static_cast<size_t>(PQgetlength(result, row, column));
    }
  }
  return bytes;
}

Status Cancelled() { return Status(ErrorCode::kCancelled, "the read was cancelled"); }

}  // namespace

Result<std::vector<ColumnInfo>> DeclareCursor(Connection& connection, std::string_view sql,
                                              const std::vector<Value>* params) {
  CS_ASSIGN_OR_RETURN(ResultHandle description, connection.PrepareAndDescribe(sql));
  if (PQnfields(description.get()) == 0) {
    return Status(ErrorCode::kBadQuery,
                  "only SELECT queries can be used: this statement returns no rows");
  }
  const auto expected = static_cast<size_t>(PQnparams(description.get()));
  const std::vector<Value> nulls(params == nullptr ? expected : 0);
  if (params == nullptr) params = &nulls;
  if (expected != params->size()) {
    return Status(ErrorCode::kBadQuery,
                  fmt::format("the query has {} parameters but {} values were given", expected,
                              params->size()));
  }
  CS_ASSIGN_OR_RETURN(std::vector<ColumnInfo> columns,
                      ResultColumns(connection, description.get()));
  const Status declared =
      connection.Exec(std::string(kDeclare) + std::string(sql), *params).status();
  // The statement parsed on its own, so a syntax error now means DECLARE refused it: it is not
  // a query (EXPLAIN, SHOW, INSERT ... RETURNING, ...).
  if (!declared.ok() && connection.last_sqlstate() == "42601") {
    return Status(ErrorCode::kBadQuery,
                  "only SELECT queries can be used: this statement is not a plain query");
  }
  CS_RETURN_IF_ERROR(declared);
  return columns;
}

Result<std::unique_ptr<RowReader>> PostgresRowReader::Open(std::shared_ptr<Connection> connection,
                                                           std::string_view sql,
                                                           const std::vector<Value>& params,
                                                           const ReadOptions& options) {
  if (options.max_rows == 0 || options.max_bytes == 0) {
    return base::InvalidArgument("read options: max_rows and max_bytes must be positive");
  }
  CS_RETURN_IF_ERROR(connection->BeginReadOnly());
  Result<std::vector<ColumnInfo>> columns = DeclareCursor(*connection, sql, &params);
  if (!columns.ok()) {
    connection->Rollback();
    return columns.status();
  }
  std::unique_ptr<PostgresRowReader> reader(
      new PostgresRowReader(std::move(connection), std::move(columns).value(), options));
  return std::unique_ptr<RowReader>(std::move(reader));
}

PostgresRowReader::PostgresRowReader(std::shared_ptr<Connection> connection,
                                     std::vector<ColumnInfo> columns, const ReadOptions& options)
    : connection_(std::move(connection)),
      columns_(std::move(columns)),
      options_(options),
      cancel_handle_(connection_->MakeCancelHandle()) {
  connection_->set_leased(true);
}

PostgresRowReader::~PostgresRowReader() { End(); }

void PostgresRowReader::Cancel() {
  cancelled_.store(true, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(cancel_mutex_);
  if (!cancel_handle_) return;
  // Best effort: when the request cannot be delivered, the reader's wait still gives up after
  // a short grace period (Connection::Exec).
  char error[256];
  PQcancel(cancel_handle_.get(), error, static_cast<int>(sizeof(error)));
}

void PostgresRowReader::End() {
  if (!open_) return;
  open_ = false;
  pending_.Reset();
  {
    // From now on Cancel() sends nothing: the connection may serve other statements soon.
    // Read after this, the flag also covers a cancel request sent just before.
    std::lock_guard<std::mutex> lock(cancel_mutex_);
    cancel_handle_.Reset();
  }
  // A cancel request may still be on its way to the server; it must not meet the next
  // statement someone runs on this connection.
  if (cancelled()) {
    connection_->Close();
  } else {
    connection_->Rollback();
  }
  connection_->set_leased(false);
}

Status PostgresRowReader::Fail(Status status) {
  error_ = std::move(status);
  End();
  return error_;
}

Status PostgresRowReader::CheckNoWrite() {
  CS_ASSIGN_OR_RETURN(const bool wrote, connection_->TransactionWrote());
  if (!wrote) return Status::Ok();
  return base::PermissionDenied(
      "contactsync only reads: the query changed data in the database (for example through a "
      "function such as lo_from_bytea), so it was stopped and its changes were rolled back");
}

size_t PostgresRowReader::NextFetchSize(const Batch& batch) const {
  const size_t rows_left = options_.max_rows - batch.rows.size();
  if (rows_read_ == 0) return std::min(rows_left, kFirstFetchRows);
  const size_t average = std::max<size_t>(1, bytes_read_ / rows_read_);
  const size_t bytes_left = options_.max_bytes > batch.bytes ? options_.max_bytes - batch.bytes : 0;
  // The row that reaches the bound ends the batch, so the bytes left may hold one row more.
  const size_t by_bytes = bytes_left / average + 1;
  const size_t by_growth = std::max<size_t>(1, largest_fetch_rows_) * kFetchGrowth;
  return std::clamp<size_t>(std::min(by_bytes, by_growth), 1, rows_left);
}

bool PostgresRowReader::TakePending(Batch& batch) {
  const int rows = PQntuples(pending_.get());
  const int width = static_cast<int>(columns_.size());
  while (pending_row_ < rows) {
    Row row;
    row.reserve(columns_.size());
    size_t bytes = 0;
    for (int column = 0; column < width; ++column) {
      row.push_back(ReadCell(pending_.get(), pending_row_, column));
      bytes += row.back().ByteCost();
    }
    ++pending_row_;
    batch.rows.push_back(std::move(row));
    batch.bytes += bytes;
    ++rows_read_;
    bytes_read_ += bytes;
    if (batch.rows.size() >= options_.max_rows || batch.bytes >= options_.max_bytes) break;
  }
  if (pending_row_ >= rows) pending_.Reset();  // frees the FETCH result as soon as it is used
  return batch.rows.size() >= options_.max_rows || batch.bytes >= options_.max_bytes;
}

Result<ReadState> PostgresRowReader::ReadBatch(Batch& batch) {
  batch.Clear();
  if (!error_.ok()) return error_;
  if (finished_) return ReadState::kFinished;
  if (cancelled()) return Fail(Cancelled());
  while (true) {
    const bool full = pending_ && TakePending(batch);
    if (exhausted_ && !pending_) {
      if (Status status = CheckNoWrite(); !status.ok()) return Fail(std::move(status));
      End();
      finished_ = true;
      return ReadState::kFinished;
    }
    if (full) {
      if (Status status = CheckNoWrite(); !status.ok()) return Fail(std::move(status));
      return ReadState::kMore;
    }
    if (cancelled()) return Fail(Cancelled());
    const size_t want = NextFetchSize(batch);
    Result<ResultHandle> fetched = connection_->Exec(
        fmt::format("FETCH FORWARD {} FROM contactsync_rows", want), {}, &cancelled_);
    if (!fetched.ok()) return Fail(fetched.status());
    if (PQnfields(fetched->get()) != static_cast<int>(columns_.size())) {
      return Fail(base::Internal("the cursor returned a different number of columns"));
    }
    const auto got = static_cast<size_t>(PQntuples(fetched->get()));
    if (got < want) exhausted_ = true;
    largest_fetch_rows_ = std::max(largest_fetch_rows_, got);
    peak_fetch_bytes_ = std::max(peak_fetch_bytes_, ResultBytes(fetched->get()));
    pending_ = std::move(fetched).value();
    pending_row_ = 0;
  }
}

}  // namespace contactsync::source::postgres
