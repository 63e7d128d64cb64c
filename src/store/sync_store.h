#pragma once

// SyncStore: the storage of the sync engine (src/sync/): sync definitions,
// runs and their failures, and the batch writer that applies a run's rows.
// The store keeps a sync's definition as its JSON text without interpreting
// it; the engine owns its meaning. Errors and thread safety: store_common.h.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/custom_field.h"
#include "store/store_common.h"

namespace contactsync::store {

struct SyncRecord {
  int64_t id = 0;
  std::string name;             // unique, case-sensitive, as a list name
  std::string definition_json;  // docs/spec.md §3 form, as the sync module wrote it
  std::string created_at;
  std::string updated_at;
};

enum class RunState { kRunning, kSucceeded, kFailed, kCancelled };
// "running", "succeeded", "failed", "cancelled".
std::string_view RunStateName(RunState state);
base::Result<RunState> ParseRunState(std::string_view name);

struct RunCounts {
  int64_t selected = 0;  // rows read from the source
  int64_t added = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t deleted = 0;  // removed from the list by delete_not_affected

  bool operator==(const RunCounts&) const = default;
};

struct RunRecord {
  int64_t id = 0;
  std::string sync_name;
  std::string started_by;  // who: a user name or "cli:<login>"
  // The process running it ("host:pid:start-ticks"), so that a run left
  // behind by a killed process can be recognised and abandoned.
  std::string holder;
  std::string started_at;
  std::string finished_at;  // empty while running
  int64_t duration_ms = 0;
  RunState state = RunState::kRunning;
  std::string message;        // why it failed or was cancelled; empty on success
  std::string sql;            // the query with its bound values (query::DescribeSql)
  std::string deletion_note;  // why delete_not_affected deleted nothing, or empty
  RunCounts counts;
};

struct RunFailure {
  int64_t row_number = 0;  // 1-based position in the source result
  std::string email;       // as read (escaped when not text)
  std::string reason;      // a stable reason code (docs/sync.md)
  std::string message;

  bool operator==(const RunFailure&) const = default;
};

// One page of a run's failures, and how many match in all.
struct RunFailurePage {
  std::vector<RunFailure> items;
  int64_t total = 0;
};

// How a sync enters new contacts into its list (docs/spec.md §3 "status").
enum class SyncEntryStatus { kActive, kUnconfirmed, kUnsubscribed, kExcluded };

struct SyncBatchOptions {
  std::string list;
  SyncEntryStatus status = SyncEntryStatus::kActive;
  bool update_existing = true;
  bool dry_run = false;  // decide and count, write nothing to the store
  int64_t sync_id = 0;   // whose hashes of synced values to use (0: none)
  Cause cause;           // recorded on every write (kSyncRun + run id)
  // Contacts this run makes active receive the list's autoresponders; for
  // unconfirmed entries, once they confirm (mail section below).
  bool send_autoresponders = false;
  // false: every Write() is one transaction. true: Write() leaves its
  // transaction open for the next batches, and the caller commits with
  // Commit() (fewer, larger transactions: the sync engine, issue 7).
  bool group_commit = false;
  // The run whose failures AddRunFailures records (0: none, as in a Test).
  int64_t run_id = 0;
  // The custom field definitions the rows' values were already checked and
  // normalised by (model::NormalizeFieldValue; the sync's mapping does). A
  // value of a field whose definition in the store is still the same is not
  // normalised again; one whose field changed since (another type, other
  // options) is. Empty: every value is normalised.
  std::vector<model::FieldDefinition> rows_normalised_by;
};

// One source row after mapping (mapping::MappedContact). Reused across batches.
struct SyncRow {
  // The row already failed in mapping but its address was valid: the writer
  // only records the address as seen (for duplicates and deletions).
  bool failed = false;
  std::string email;                      // validated, trimmed
  std::string email_key;                  // model::EmailKey(email)
  std::optional<std::string> first_name;  // absent: not mapped
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  std::vector<std::pair<std::string, std::string>> fields;  // canonical key -> value
};

enum class SyncRowResult { kAdded, kUpdated, kUnchanged, kSkipped, kFailed, kNone };

struct SyncRowOutcome {
  SyncRowResult result = SyncRowResult::kNone;  // kNone for rows with `failed`
  std::string reason;  // kFailed: excluded, previously_unsubscribed, bounced,
                       // duplicate_in_source, field_invalid, required_field_missing
  std::string message;
};

struct DeletionOutcome {
  int64_t list_size = 0;         // subscriptions on the list before deleting
  int64_t not_selected = 0;      // active/unconfirmed subscriptions the run did not select
  int64_t removed = 0;           // removed from the list (0 when refused or dry run)
  int64_t contacts_deleted = 0;  // contact records deleted with them
  bool refused = false;          // past max_delete_fraction: nothing deleted
  std::string note;              // why refused
};

// Writes a sync run's rows into the store, batch by batch, applying docs/spec.md §4
// with the same rules as SaveContact (store_rules.h); a backend's writer
// derives from RuleBasedSyncBatchWriter (sync_batch_rules.h), which decides
// every row, and only stores and looks up. Remembers, for the
// lifetime of the writer, which addresses it has seen, so that a repeated
// address fails with duplicate_in_source and DeleteNotSelected knows what
// the run selected. Must not outlive its store; one writer per store
// instance at a time; not thread-safe.
class SyncBatchWriter {
 public:
  virtual ~SyncBatchWriter() = default;

  // Decides every row (in order) and, unless dry run, writes them in one
  // transaction (with group_commit: in the open transaction, begun by the
  // first Write after a Commit). `outcomes` is resized to rows.size(). A
  // non-OK Status (busy store, I/O) means nothing of this batch was written,
  // and with group_commit nothing since the last Commit(): the transaction is
  // rolled back. Per row, the point where a contact enters the list (with
  // the status it gets) is one place in the implementation, inside that
  // transaction: writes caused by it (outbox mail) belong there.
  virtual base::Status Write(std::vector<SyncRow>& rows, size_t count,
                             std::vector<SyncRowOutcome>& outcomes) = 0;

  // Commits what the Writes since the last Commit() wrote (group_commit; a
  // no-op otherwise or when nothing is pending). Dropping the writer without
  // it rolls those writes back. The store must not be used otherwise (other
  // Store calls) while writes are pending.
  virtual base::Status Commit() = 0;

  // Whether this writer imports in bulk: a first import, into a store
  // without contacts, which a backend may write with fewer look-ups (SQLite:
  // none for an address the run has not inserted, as long as no other writer
  // changes the store) and for which a commit costs more than usual (the
  // random-order email index rewritten). Its caller then commits by time
  // only, less often (sync::EngineOptions::bulk_commit_interval). Known from
  // the opening of the writer; group_commit only.
  virtual bool BulkImport() const = 0;

  // Records failures of the run (options.run_id) in the open transaction, so
  // that they are committed with the rows they belong to (in their own
  // transaction when none is open). No-op in a dry run or without a run.
  virtual base::Status AddRunFailures(const std::vector<RunFailure>& failures) = 0;

  // After a complete successful read: removes from the list every active or
  // unconfirmed subscription whose address was not seen, in one transaction,
  // unless they are more than `max_fraction` of the list (then nothing is
  // removed and `note` says why). A removed contact's record is deleted too
  // when it is on no other list, never bounced or unsubscribed, and no
  // exclusion entry names its address. Dry run: counts only. Commits
  // pending writes first.
  virtual base::Result<DeletionOutcome> DeleteNotSelected(double max_fraction) = 0;
};

class SyncStore {
 public:
  virtual ~SyncStore() = default;

  // Sync definitions. Names are unique (kAlreadyExists), 1..255 bytes of
  // UTF-8 without control characters. DeleteSync deletes the sync's runs and
  // is refused (kFailedPrecondition) while a run is in progress.
  virtual base::Result<SyncRecord> CreateSync(std::string_view name,
                                              std::string_view definition_json) = 0;
  // Replaces the definition of `name`, renaming it to `new_name`.
  virtual base::Result<SyncRecord> UpdateSync(std::string_view name, std::string_view new_name,
                                              std::string_view definition_json) = 0;
  virtual base::Result<SyncRecord> GetSync(std::string_view name) = 0;
  virtual base::Result<std::vector<SyncRecord>> GetSyncs() = 0;  // ordered by name
  virtual base::Status DeleteSync(std::string_view name) = 0;

  // Runs. BeginRun records a running run and is the lock that allows one run
  // per sync at a time, across processes: while one is running it fails with
  // kFailedPrecondition naming the running run — unless the running run's
  // holder has a lease (RenewHolderLease) that has expired: its process died
  // or lost its host, so BeginRun fails that run (kRunLeaseExpiredMessage)
  // and begins the new one. AbandonRun marks a running run failed with
  // `message` only if it is still running under `holder` (for runs whose
  // process died on this host: sync::HolderIsGone). FinishRun stores the
  // final state, counts, SQL, note and finish time of a running run.
  virtual base::Result<RunRecord> BeginRun(std::string_view sync_name, std::string_view started_by,
                                           std::string_view holder) = 0;
  virtual base::Result<std::optional<RunRecord>> GetRunningRun(std::string_view sync_name) = 0;
  virtual base::Status AbandonRun(int64_t run_id, std::string_view holder,
                                  std::string_view message) = 0;
  virtual base::Status AddRunFailures(int64_t run_id, const std::vector<RunFailure>& failures) = 0;
  virtual base::Status FinishRun(const RunRecord& run) = 0;
  virtual base::Result<RunRecord> GetRun(int64_t run_id) = 0;
  // Newest first.
  virtual base::Result<std::vector<RunRecord>> GetRuns(std::string_view sync_name) = 0;
  virtual base::Result<std::vector<RunFailure>> GetRunFailures(int64_t run_id) = 0;  // by row
  // By row: `limit` failures from `offset` on, of those with `reason` (all
  // when empty). A large run keeps a million failures; a page reads its own.
  virtual base::Result<RunFailurePage> GetRunFailurePage(int64_t run_id, std::string_view reason,
                                                         int64_t limit, int64_t offset) = 0;

  // Holder leases: a process that runs syncs keeps a lease on its holder id
  // (RunRecord::holder), renewed well before it ends (app::HolderLease), so
  // that a run it leaves behind when it dies is recognised on any host, by
  // BeginRun. Renew sets the lease to end `lease` from now (1 ms .. 1 day),
  // and forgets leases that ended more than a day ago; Release forgets
  // `holder`'s lease (a clean exit). A holder that never had a lease (a
  // process of a release before leases) keeps its runs until its host says
  // it is gone.
  virtual base::Status RenewHolderLease(std::string_view holder,
                                        std::chrono::milliseconds lease) = 0;
  virtual base::Status ReleaseHolderLease(std::string_view holder) = 0;

  // Sync batches: a writer for one run (or Test) of a sync into `options.list`
  // (kNotFound when it does not exist).
  virtual base::Result<std::unique_ptr<SyncBatchWriter>> OpenSyncBatchWriter(
      const SyncBatchOptions& options) = 0;
};

}  // namespace contactsync::store
