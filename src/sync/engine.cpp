#include "sync/engine.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "base/text.h"
#include "mapping/mapping.h"
#include "query/select_builder.h"
#include "sync/checks.h"
#include "sync/run_lock.h"

namespace contactsync::sync {
namespace {

using Clock = std::chrono::steady_clock;

// One batch on its way from the reader thread to the writer. Work items are
// recycled through a free list, so after the first few batches the pipeline
// allocates nothing per batch: rows, strings and vectors keep their buffers.
struct Work {
  source::Batch batch;
  std::vector<store::SyncRow> rows;  // [0, count) are this batch's
  std::vector<int64_t> row_numbers;  // of rows[i]
  size_t count = 0;
  std::vector<store::RunFailure> failures;  // mapping failures, in row order
  std::vector<SampleRow> sample;
  int64_t rows_read = 0;
  bool last = false;
  base::Status error;
};

// A bounded queue between the two threads (depth = batches in flight), with
// a free list of spent items. Close() releases both sides.
class Channel {
 public:
  explicit Channel(size_t depth) : depth_(std::max<size_t>(depth, 1)) {}

  bool Push(std::unique_ptr<Work> work) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || queue_.size() < depth_; });
    if (closed_) return false;
    queue_.push_back(std::move(work));
    not_empty_.notify_one();
    return true;
  }

  // An item, or null after `timeout` (or when closed and empty).
  std::unique_ptr<Work> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return nullptr;
    std::unique_ptr<Work> work = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return work;
  }

  std::unique_ptr<Work> TakeFree() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return std::make_unique<Work>();
    std::unique_ptr<Work> work = std::move(free_.back());
    free_.pop_back();
    return work;
  }

  void GiveBack(std::unique_ptr<Work> work) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(work));
  }

  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  const size_t depth_;
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<std::unique_ptr<Work>> queue_;
  std::vector<std::unique_ptr<Work>> free_;
  bool closed_ = false;
};

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

std::vector<source::Value> Params(const query::BuiltQuery& query) {
  std::vector<source::Value> params;
  params.reserve(query.params.size());
  for (const auto& param : query.params) {
    params.push_back(param ? source::Value::FromText(*param) : source::Value::Null());
  }
  return params;
}

// COUNT(*) of the built query, for the progress bar. Best effort: a failure
// only means no estimate (the run itself reports real errors). A count over a
// large query can take long, so a watcher cancels it as soon as `cancel` is
// set (RowReader::Cancel is the one call any thread may make).
std::optional<int64_t> EstimateTotal(source::SourceConnector& source,
                                     const query::BuiltQuery& query,
                                     const std::atomic<bool>* cancel) {
  const std::string sql = fmt::format("SELECT COUNT(*) FROM ({}) AS cs_count", query.sql);
  base::Result<std::unique_ptr<source::RowReader>> reader =
      source.OpenReader(sql, Params(query), source::ReadOptions{1, 4096});
  if (!reader.ok()) return std::nullopt;
  source::RowReader& count_reader = **reader;
  std::atomic<bool> counted{false};
  std::thread watcher;
  if (cancel != nullptr) {
    watcher = std::thread([&] {
      while (!counted.load()) {
        if (cancel->load()) {
          count_reader.Cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  source::Batch batch;
  base::Result<source::ReadState> state = count_reader.ReadBatch(batch);
  counted = true;
  if (watcher.joinable()) watcher.join();
  if (!state.ok() || batch.rows.empty() || batch.rows[0].empty()) return std::nullopt;
  const std::string& text = batch.rows[0][0].bytes();
  int64_t total = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), total).ec != std::errc()) {
    return std::nullopt;
  }
  return total;
}

base::Result<store::RunRecord> AcquireRun(store::SyncStore& syncs, const std::string& name,
                                          const std::string& started_by) {
  const std::string holder = CurrentHolder();
  base::Result<store::RunRecord> run = syncs.BeginRun(name, started_by, holder);
  if (run.ok() || run.status().code() != base::ErrorCode::kFailedPrecondition) return run;
  CS_ASSIGN_OR_RETURN(const std::optional<store::RunRecord> running, syncs.GetRunningRun(name));
  if (!running || !HolderIsGone(running->holder)) return run;
  CS_RETURN_IF_ERROR(
      syncs.AbandonRun(running->id, running->holder,
                       "interrupted: the process running it ended before it finished"));
  return syncs.BeginRun(name, started_by, holder);
}

void FillSample(const store::SyncRow& row, int64_t row_number, SampleRow& sample) {
  sample.row_number = row_number;
  sample.values.clear();
  sample.values.emplace_back("email", row.email);
  if (row.first_name) sample.values.emplace_back("first_name", *row.first_name);
  if (row.last_name) sample.values.emplace_back("last_name", *row.last_name);
  if (row.phone) sample.values.emplace_back("phone", *row.phone);
  for (const auto& [key, value] : row.fields) sample.values.emplace_back("%" + key + "%", value);
}

// The reader thread: reads, maps, hands over. Never touches the store.
void ReadLoop(source::RowReader& reader, const mapping::RowMapper& mapper, Channel& channel,
              const std::atomic<bool>* cancel, size_t sample_size) {
  int64_t row_number = 0;
  size_t sampled = 0;
  mapping::MappedContact mapped;
  mapping::RowFailure failure;
  while (true) {
    std::unique_ptr<Work> work = channel.TakeFree();
    work->count = 0;
    work->failures.clear();
    work->sample.clear();
    work->rows_read = 0;
    work->last = false;
    work->error = base::Status::Ok();
    if (Cancelled(cancel)) {
      work->error = base::Status(base::ErrorCode::kCancelled, "cancelled");
      work->last = true;
      channel.Push(std::move(work));
      return;
    }
    base::Result<source::ReadState> state = reader.ReadBatch(work->batch);
    if (!state.ok()) {
      work->error = state.status();
      work->last = true;
      channel.Push(std::move(work));
      return;
    }
    const size_t n = work->batch.rows.size();
    if (work->rows.size() < n) work->rows.resize(n);
    work->row_numbers.resize(std::max(work->row_numbers.size(), n));
    for (const source::Row& row : work->batch.rows) {
      ++row_number;
      const mapping::RowMapper::Outcome outcome = mapper.Map(row, mapped, failure);
      if (outcome != mapping::RowMapper::Outcome::kFailedNoEmail) {
        store::SyncRow& out = work->rows[work->count];
        out.failed = outcome != mapping::RowMapper::Outcome::kOk;
        out.email.swap(mapped.email);
        out.email_key.swap(mapped.email_key);
        out.first_name.swap(mapped.first_name);
        out.last_name.swap(mapped.last_name);
        out.phone.swap(mapped.phone);
        out.fields.swap(mapped.fields);
        work->row_numbers[work->count] = row_number;
        ++work->count;
        if (!out.failed && sampled < sample_size) {
          FillSample(out, row_number, work->sample.emplace_back());
          ++sampled;
        }
      }
      if (outcome != mapping::RowMapper::Outcome::kOk) {
        work->failures.push_back(store::RunFailure{row_number, mapper.EmailAsRead(row),
                                                   std::string(ReasonName(failure.reason)),
                                                   failure.message});
      }
    }
    work->rows_read = static_cast<int64_t>(n);
    work->last = *state == source::ReadState::kFinished;
    const bool last = work->last;
    if (!channel.Push(std::move(work)) || last) return;
  }
}

void Count(store::RunCounts& counts, store::SyncRowResult result) {
  switch (result) {
    case store::SyncRowResult::kAdded:
      ++counts.added;
      break;
    case store::SyncRowResult::kUpdated:
      ++counts.updated;
      break;
    case store::SyncRowResult::kUnchanged:
      ++counts.unchanged;
      break;
    case store::SyncRowResult::kSkipped:
      ++counts.skipped;
      break;
    case store::SyncRowResult::kFailed:
      ++counts.failed;
      break;
    case store::SyncRowResult::kNone:
      break;
  }
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kChecking:
      return "checking";
    case Phase::kCounting:
      return "counting";
    case Phase::kReading:
      return "reading";
    case Phase::kDeleting:
      return "deleting";
    case Phase::kFinished:
      return "finished";
  }
  return "finished";
}

base::Result<RunReport> Execute(const SyncDefinition& definition,
                                const source::ConnectionSettings& connection,
                                source::SourceConnector& source, store::ListStore& lists,
                                store::SyncStore& syncs, const EngineOptions& options) {
  const Clock::time_point started = Clock::now();
  RunReport report;
  report.dry_run = options.dry_run;
  report.started_by = options.started_by;
  report.started_at = base::FormatIso8601Utc(options.clock->Now());
  Progress progress;
  const auto notify = [&](Phase phase) {
    progress.phase = phase;
    progress.counts = report.counts;
    if (options.on_progress) options.on_progress(progress);
  };
  notify(Phase::kChecking);

  CS_ASSIGN_OR_RETURN(Plan plan, CheckDefinition(definition, connection, source, lists, syncs));
  report.sql = query::DescribeSql(plan.query);
  progress.sql = report.sql;
  if (!options.dry_run && plan.sync_id == 0) {
    return base::NotFound(fmt::format("sync '{}' does not exist; save it before running it",
                                      base::Printable(definition.name)));
  }

  std::optional<store::RunRecord> run;
  if (!options.dry_run) {
    CS_ASSIGN_OR_RETURN(store::RunRecord begun,
                        AcquireRun(syncs, definition.name, options.started_by));
    run = std::move(begun);
    report.run_id = run->id;
    report.started_at = run->started_at;
    progress.run_id = run->id;
  }

  // From here on a failure ends the run (persisted) instead of returning.
  base::Status failure;
  bool complete = false;
  const auto body = [&]() -> base::Status {
    if (options.estimate_total) {
      notify(Phase::kCounting);
      progress.estimated_total = EstimateTotal(source, plan.query, options.cancel);
    }
    store::SyncBatchOptions batch_options;
    batch_options.list = definition.list;
    batch_options.status = definition.status;
    batch_options.update_existing = definition.update_existing;
    batch_options.dry_run = options.dry_run;
    batch_options.sync_id = plan.sync_id;
    batch_options.send_autoresponders = definition.send_autoresponders;
    batch_options.cause = model::Cause{model::CauseKind::kSyncRun,
                                       run ? std::to_string(run->id) : std::string("test")};
    batch_options.group_commit = true;
    batch_options.run_id = run ? run->id : 0;
    batch_options.rows_normalised_by = plan.fields;  // by the mapper below
    CS_ASSIGN_OR_RETURN(std::unique_ptr<store::SyncBatchWriter> writer,
                        syncs.OpenSyncBatchWriter(batch_options));
    CS_ASSIGN_OR_RETURN(std::unique_ptr<source::RowReader> reader,
                        source.OpenReader(plan.query.sql, Params(plan.query), options.read));
    CS_ASSIGN_OR_RETURN(
        const mapping::RowMapper mapper,
        mapping::RowMapper::Create(definition.mapping, reader->columns(), plan.fields));

    notify(Phase::kReading);
    Channel channel(options.queue_depth);
    std::thread reader_thread([&] {
      try {
        ReadLoop(*reader, mapper, channel, options.cancel,
                 options.dry_run ? options.sample_size : 0);
      } catch (const std::exception& e) {
        // A bug; reported once as the run's failure instead of terminating.
        auto work = std::make_unique<Work>();
        work->error = base::Internal(fmt::format("reader thread: {}", e.what()));
        work->last = true;
        channel.Push(std::move(work));
      }
    });
    std::vector<store::SyncRowOutcome> outcomes;
    std::vector<store::RunFailure> batch_failures;
    // Batches are committed in groups (EngineOptions::commit_rows and
    // commit_interval; a bulk import by bulk_commit_interval only), with the
    // failures of their rows in the same transaction. What the report and the
    // store's failures say is what was committed. The counts shown in
    // progress include what is not yet.
    const bool bulk = writer->BulkImport();
    const size_t commit_rows = bulk ? SIZE_MAX : options.commit_rows;
    const auto commit_interval = bulk ? options.bulk_commit_interval : options.commit_interval;
    std::vector<store::RunFailure> pending_failures;
    store::RunCounts committed_counts;
    size_t committed_report_failures = 0;
    int64_t pending_rows = 0;
    Clock::time_point last_commit = Clock::now();
    const auto commit = [&]() -> base::Status {
      CS_RETURN_IF_ERROR(writer->AddRunFailures(pending_failures));
      for (store::RunFailure& f : pending_failures) {
        if (report.failures.size() >= options.kept_failures) break;
        report.failures.push_back(std::move(f));
      }
      pending_failures.clear();
      CS_RETURN_IF_ERROR(writer->Commit());
      committed_counts = report.counts;
      committed_report_failures = report.failures.size();
      pending_rows = 0;
      last_commit = Clock::now();
      return base::Status::Ok();
    };
    base::Status status;
    bool write_failed = false;
    while (true) {
      if (Cancelled(options.cancel)) {
        status = base::Status(base::ErrorCode::kCancelled, "cancelled");
        break;
      }
      std::unique_ptr<Work> work = channel.Pop(std::chrono::milliseconds(100));
      if (!work) continue;
      if (!work->error.ok()) {
        status = work->error;
        break;
      }
      status = writer->Write(work->rows, work->count, outcomes);
      if (!status.ok()) {
        write_failed = true;  // the writer rolled back what was not committed
        break;
      }

      // Failures of this batch in row order: the mapping's and the store's.
      batch_failures.clear();
      size_t next_mapping_failure = 0;
      const auto take_mapping_failures_before = [&](int64_t row_number) {
        while (next_mapping_failure < work->failures.size() &&
               work->failures[next_mapping_failure].row_number < row_number) {
          batch_failures.push_back(std::move(work->failures[next_mapping_failure++]));
        }
      };
      for (size_t i = 0; i < work->count; ++i) {
        Count(report.counts, outcomes[i].result);
        if (outcomes[i].result != store::SyncRowResult::kFailed) continue;
        take_mapping_failures_before(work->row_numbers[i]);
        batch_failures.push_back(store::RunFailure{work->row_numbers[i], work->rows[i].email,
                                                   outcomes[i].reason, outcomes[i].message});
      }
      take_mapping_failures_before(INT64_MAX);
      report.counts.failed += static_cast<int64_t>(next_mapping_failure);
      report.counts.selected += work->rows_read;
      progress.rows_read = report.counts.selected;
      for (store::RunFailure& f : batch_failures) pending_failures.push_back(std::move(f));
      for (SampleRow& sample : work->sample) report.sample.push_back(std::move(sample));
      pending_rows += work->rows_read;
      const bool last = work->last;
      channel.GiveBack(std::move(work));
      if (last) {
        complete = true;
        break;
      }
      if (static_cast<size_t>(pending_rows) >= commit_rows ||
          Clock::now() - last_commit >= commit_interval) {
        status = commit();
        if (!status.ok()) {
          write_failed = true;
          break;
        }
      }
      notify(Phase::kReading);
    }
    if (!complete) reader->Cancel();
    channel.Close();
    reader_thread.join();
    // Whatever stopped the run, the batches written so far are good, unless
    // the store itself failed: keep them (as a transaction per batch did).
    if (!write_failed) {
      const base::Status committed = commit();
      if (!committed.ok()) {
        write_failed = true;
        if (status.ok()) status = committed;
      }
    }
    if (write_failed) {
      report.counts = committed_counts;
      report.failures.resize(committed_report_failures);
    }
    notify(Phase::kReading);
    CS_RETURN_IF_ERROR(status);

    // docs/spec.md §3: deletions only after a complete, successful, non-empty read.
    if (definition.delete_not_affected && report.counts.selected > 0 &&
        !Cancelled(options.cancel)) {
      notify(Phase::kDeleting);
      CS_ASSIGN_OR_RETURN(const store::DeletionOutcome deletion,
                          writer->DeleteNotSelected(definition.max_delete_fraction));
      if (deletion.refused) {
        report.deletion_note = deletion.note;
      } else {
        report.counts.deleted = options.dry_run ? deletion.not_selected : deletion.removed;
      }
    }
    return base::Status::Ok();
  };
  failure = body();

  if (failure.ok() && Cancelled(options.cancel) && !complete) {
    failure = base::Status(base::ErrorCode::kCancelled, "cancelled");
  }
  if (failure.ok()) {
    report.state = store::RunState::kSucceeded;
  } else if (failure.code() == base::ErrorCode::kCancelled || Cancelled(options.cancel)) {
    report.state = store::RunState::kCancelled;
    report.message = "cancelled";
    report.error_code = base::ErrorCode::kCancelled;
  } else {
    report.state = store::RunState::kFailed;
    report.message = failure.message();
    report.error_code = failure.code();
  }
  report.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (run) {
    run->state = report.state;
    run->message = report.message;
    run->sql = report.sql;
    run->deletion_note = report.deletion_note;
    run->counts = report.counts;
    run->duration_ms = report.duration_ms;
    run->finished_at = base::FormatIso8601Utc(options.clock->Now());
    CS_RETURN_IF_ERROR(syncs.FinishRun(*run));
  }
  notify(Phase::kFinished);
  return report;
}

}  // namespace contactsync::sync
