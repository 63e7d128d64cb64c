#include "source/mysql/reader.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "source/mysql/row_fetcher.h"
#include "source/mysql/session.h"
#include "source/mysql/watchdog.h"

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;

Status Cancelled() { return Status(ErrorCode::kCancelled, "the read was cancelled"); }

class MySqlRowReader final : public RowReader {
 public:
  MySqlRowReader(std::unique_ptr<Session> session, StatementHandle stmt,
                 std::unique_ptr<RowFetcher> fetcher, std::vector<Value> params,
                 const ReadOptions& options)
      : session_(std::move(session)),
        settings_(session_->settings()),
        thread_id_(session_->thread_id()),
        stmt_(std::move(stmt)),
        fetcher_(std::move(fetcher)),
        columns_(fetcher_->columns()),
        params_(std::move(params)),
        options_(options),
        watchdog_([this] { Interrupt(InterruptReason::kTimeout); }) {}

  ~MySqlRowReader() override {
    if (IsStreaming()) Interrupt(InterruptReason::kCancelled);
    Release();
  }

  // Opens the read-only transaction and runs the statement. Done by the first ReadBatch rather
  // than by OpenReader so that Cancel() can stop a query that is slow to return its first row.
  Status Execute() {
    CS_RETURN_IF_ERROR(session_->RunFixed("START TRANSACTION READ ONLY"));
    std::vector<MYSQL_BIND> binds;
    CS_RETURN_IF_ERROR(session_->BindParams(stmt_.get(), params_, binds));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      streaming_ = true;
    }
    if (mysql_stmt_execute(stmt_.get()) != 0) {
      return session_->StatementError(stmt_.get(), interrupt_.load());
    }
    executed_ = true;
    params_.clear();
    if (!fetcher_->Refresh()) return session_->StatementError(stmt_.get());
    columns_ = fetcher_->columns();
    return Status::Ok();
  }

  const std::vector<ColumnInfo>& columns() const override { return columns_; }

  Result<ReadState> ReadBatch(Batch& batch) override {
    batch.Clear();
    if (!error_.ok()) return error_;
    if (finished_) return ReadState::kFinished;
    if (cancel_.load()) return Fail(Cancelled());

    watchdog_.Arm(std::chrono::seconds(settings_.query_timeout_s));
    if (!executed_) {
      Status executed = Execute();
      if (!executed.ok()) {
        watchdog_.Disarm();
        return Fail(cancel_.load() ? Cancelled() : std::move(executed));
      }
    }
    while (true) {
      Row row = batch.TakeRow();
      const RowFetcher::Step step = fetcher_->Next(row);
      if (step == RowFetcher::Step::kEnd) {
        watchdog_.Disarm();
        return Finish();
      }
      if (step == RowFetcher::Step::kError) {
        watchdog_.Disarm();
        if (cancel_.load()) return Fail(Cancelled());
        return Fail(session_->StatementError(stmt_.get(), interrupt_.load()));
      }
      for (const Value& value : row) batch.bytes += value.ByteCost();
      batch.rows.push_back(std::move(row));
      if (batch.rows.size() >= options_.max_rows || batch.bytes >= options_.max_bytes) {
        watchdog_.Disarm();
        return ReadState::kMore;
      }
      // Rows already buffered arrive without blocking, so a cancel must be looked for here too.
      if (cancel_.load()) {
        watchdog_.Disarm();
        return Fail(Cancelled());
      }
    }
  }

  void Cancel() override {
    cancel_.store(true);
    Interrupt(InterruptReason::kCancelled);
  }

 private:
  bool IsStreaming() {
    std::lock_guard<std::mutex> lock(mutex_);
    return streaming_;
  }

  // Stops the running statement from another thread (watchdog, Cancel) or the destructor.
  // Holding the mutex keeps the kill from racing with the end of the stream: once streaming_
  // is false the session may run COMMIT, which must not be killed.
  void Interrupt(InterruptReason reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!streaming_) return;
    InterruptReason expected = InterruptReason::kNone;
    interrupt_.compare_exchange_strong(expected, reason);
    // Best effort: when the side connection fails, closing our own connection (Release) still
    // ends the query as soon as the server tries to send to it.
    (void)KillQuery(settings_, thread_id_);
  }

  Result<ReadState> Finish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      streaming_ = false;
    }
    fetcher_.reset();
    stmt_.reset();
    finished_ = true;
    Status commit = session_->RunFixed("COMMIT");
    session_.reset();  // the connection is not needed any more
    if (!commit.ok()) return Fail(std::move(commit));
    return ReadState::kFinished;
  }

  Status Fail(Status status) {
    error_ = std::move(status);
    Release();
    return error_;
  }

  // Closes the connection first, so that the statement does not read the rest of the result
  // when it is closed (see handle.h).
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      streaming_ = false;
    }
    if (session_) session_->Abandon();
    fetcher_.reset();
    stmt_.reset();
    session_.reset();
  }

  std::unique_ptr<Session> session_;
  const ConnectionSettings settings_;  // for the side connection that sends KILL QUERY
  const unsigned long thread_id_;
  StatementHandle stmt_;
  std::unique_ptr<RowFetcher> fetcher_;
  std::vector<ColumnInfo> columns_;  // kept after the fetcher is gone
  std::vector<Value> params_;        // bound when the statement runs
  const ReadOptions options_;

  std::mutex mutex_;        // guards streaming_ against Interrupt from other threads
  bool streaming_ = false;  // a statement runs or has rows left on the connection
  std::atomic<InterruptReason> interrupt_{InterruptReason::kNone};
  std::atomic<bool> cancel_{false};
  bool executed_ = false;
  bool finished_ = false;
  Status error_;

  Watchdog watchdog_;  // last: destroyed (and joined) first, while the members it uses exist
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenMySqlReader(const ConnectionSettings& settings,
                                                   std::string_view sql,
                                                   const std::vector<Value>& params,
                                                   const ReadOptions& options,
                                                   const TypeOptions& types) {
  if (options.max_rows == 0 || options.max_bytes == 0) {
    return base::InvalidArgument("read options: max_rows and max_bytes must be positive");
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                      Session::Open(settings, StatementTimeout::kClientWatchdog));
  CS_ASSIGN_OR_RETURN(StatementHandle stmt, session->Prepare(sql));
  // No result columns: INSERT, DELETE, DDL, SET, CALL, SELECT ... INTO OUTFILE / DUMPFILE / @var.
  // Refused before anything runs; the read-only transaction is the layer behind this one.
  if (mysql_stmt_field_count(stmt.get()) == 0) {
    return Status(ErrorCode::kBadQuery,
                  "only SELECT queries can be used: this statement returns no rows");
  }
  const unsigned long expected = mysql_stmt_param_count(stmt.get());
  if (expected != params.size()) {
    return Status(ErrorCode::kBadQuery,
                  fmt::format("the query has {} parameters but {} values were given", expected,
                              params.size()));
  }
  // Result buffers are bound from the prepared statement's metadata, before it runs.
  std::unique_ptr<RowFetcher> fetcher = RowFetcher::Create(stmt.get(), types);
  if (!fetcher) return session->StatementError(stmt.get());
  auto reader = std::make_unique<MySqlRowReader>(std::move(session), std::move(stmt),
                                                 std::move(fetcher), params, options);
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace contactsync::source::mysql
