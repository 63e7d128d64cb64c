#pragma once

// The sync engine (docs/spec.md §4): Test and Run of a sync definition.
//
// A run is a pipeline of two threads with a small bounded queue between
// them, so memory is bounded by the batch sizes (source::ReadOptions), not by
// the table:
//   reader thread: RowReader::ReadBatch -> mapping::RowMapper per row
//   caller thread: SyncBatchWriter::Write (one store transaction per
//                  commit_rows rows or commit_interval; per
//                  bulk_commit_interval for a first import, which the
//                  writer says is a BulkImport), failures persisted in the
//                  same transactions, progress reported
// then, after a complete successful non-empty read, delete_not_affected.
//
// One run per sync at a time, across processes: the store's BeginRun lock; a
// lock left by a process that no longer exists (killed) is abandoned and
// taken over (run_lock.h).
//
// Cancellation: set `*options.cancel`; the engine calls RowReader::Cancel,
// stops after the batch being written, commits the batches written (every
// written batch stays) and finishes the run as cancelled. Nothing is deleted
// by a cancelled run.
//
// Thread safety: Execute uses `source` from its reader thread and `store`
// from the calling thread only; neither may be used by anyone else during
// the call. `on_progress` is called on the calling thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "source/settings.h"
#include "source/source.h"
#include "store/list_store.h"
#include "store/sync_store.h"
#include "sync/definition.h"

namespace contactsync::sync {

enum class Phase { kChecking, kCounting, kReading, kDeleting, kFinished };
// "checking", "counting", "reading", "deleting", "finished".
std::string_view PhaseName(Phase phase);

struct Progress {
  Phase phase = Phase::kChecking;
  int64_t run_id = 0;  // set once a Run holds its lock (0 before, and for a Test)
  int64_t rows_read = 0;
  std::optional<int64_t> estimated_total;  // COUNT(*) of the query, when asked for
  store::RunCounts counts;                 // so far
  std::string sql;                         // the query with its values (DescribeSql)
};

struct SampleRow {
  int64_t row_number = 0;
  std::vector<std::pair<std::string, std::string>> values;  // target ("email", "%CITY%") -> value
};

struct RunReport {
  int64_t run_id = 0;  // 0 for a Test
  bool dry_run = false;
  store::RunState state = store::RunState::kSucceeded;
  std::string message;                                // why it failed or was cancelled
  base::ErrorCode error_code = base::ErrorCode::kOk;  // of the failure, for exit codes and APIs
  std::string sql;  // DescribeSql: the query with its bound values
  std::string started_by;
  std::string started_at;
  int64_t duration_ms = 0;
  store::RunCounts counts;  // Test: what a run would do (deleted: would delete)
  std::string deletion_note;
  // The first `EngineOptions::kept_failures` failures in row order; a Run
  // keeps every failure in the store (SyncStore::GetRunFailures).
  std::vector<store::RunFailure> failures;
  std::vector<SampleRow> sample;  // Test: the first mapped rows
};

struct EngineOptions {
  bool dry_run = false;                       // Test: read and check everything, write no contact
  std::string started_by;                     // recorded in the report
  const std::atomic<bool>* cancel = nullptr;  // not owned; may be null
  std::function<void(const Progress&)> on_progress;
  source::ReadOptions read;
  bool estimate_total = true;  // run SELECT COUNT(*) over the query first
  size_t sample_size = 5;
  size_t kept_failures = 100;
  size_t queue_depth = 2;  // batches between reader and writer
  // The store commits after at least this many rows or this long since the
  // last commit, whichever comes first (and at the end, on cancel, after a
  // failed read). A crash loses at most that much work; the next run redoes
  // it. Larger transactions write each page of the store's indexes to the
  // WAL once per commit instead of once per batch.
  size_t commit_rows = 50000;
  std::chrono::milliseconds commit_interval{1000};
  // A first import (SyncBatchWriter::BulkImport) commits by time only, this
  // often: each commit rewrites the leaves of the email index its
  // random-order addresses touched, so fewer commits make it faster. Kept
  // below the store's busy timeout (5 s), so that a write of the web UI or
  // of another run waits for a commit instead of failing.
  std::chrono::milliseconds bulk_commit_interval{3000};
  const base::Clock* clock = &base::SystemClock();
};

// Checks, plans and runs (or tests) `definition`, which must be saved in
// `syncs` under its name for a Run. Returns a Status only when no run could
// start: a failed check (checks.h), another run in progress
// (kFailedPrecondition), the store unavailable. Once a run started, problems
// (lost connection, cancel) end it with state failed/cancelled in the report,
// which is also persisted. `connection`: as CheckDefinition's.
base::Result<RunReport> Execute(const SyncDefinition& definition,
                                const source::ConnectionSettings& connection,
                                source::SourceConnector& source, store::ListStore& lists,
                                store::SyncStore& syncs, const EngineOptions& options);

}  // namespace contactsync::sync
