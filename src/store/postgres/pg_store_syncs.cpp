// PgStore: sync definitions and runs (sync_store.h).

#include <fmt/format.h>

#include <algorithm>

#include "base/text.h"
#include "store/postgres/pg_queries.h"
#include "store/postgres/pg_store.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

// Sync names, definitions and the texts of refusals: store_rules.h, one for every backend.

constexpr std::string_view kSyncColumns =
    "SELECT id, name, definition, cs_ms(created_at), cs_ms(updated_at) FROM syncs ";

SyncRecord ReadSync(const Rows& rows, int row) {
  return SyncRecord{rows.Int64(row, 0), std::string(rows.Text(row, 1)),
                    std::string(rows.Text(row, 2)), ShownTime(rows, row, 3),
                    ShownTime(rows, row, 4)};
}

base::Result<SyncRecord> RequireSync(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db.Exec(fmt::format("{} WHERE name = $1", kSyncColumns),
                                               {base::TrimAscii(name)}));
  if (rows.size() == 0) return SyncNotFound(name);
  return ReadSync(rows, 0);
}

base::Result<bool> SyncNameExists(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db.Exec("SELECT 1 FROM syncs WHERE name = $1", {name}));
  return rows.size() > 0;
}

constexpr std::string_view kRunColumns =
    "SELECT r.id, s.name, r.started_by, r.holder, cs_ms(r.started_at), cs_ms(r.finished_at), "
    "r.duration_ms, r.state, r.message, r.sql, r.deletion_note, r.selected, r.added, r.updated, "
    "r.unchanged, r.skipped, r.failed, r.deleted FROM sync_runs r JOIN syncs s ON s.id = "
    "r.sync_id ";

base::Result<RunRecord> ReadRun(const Rows& rows, int row) {
  RunRecord run;
  run.id = rows.Int64(row, 0);
  run.sync_name = rows.Text(row, 1);
  run.started_by = rows.Text(row, 2);
  run.holder = rows.Text(row, 3);
  run.started_at = ShownTime(rows, row, 4);
  run.finished_at = ShownTime(rows, row, 5);  // "" while running (NULL)
  run.duration_ms = rows.Int64(row, 6);
  CS_ASSIGN_OR_RETURN(run.state, ParseRunState(rows.Text(row, 7)));
  run.message = rows.Text(row, 8);
  run.sql = rows.Text(row, 9);
  run.deletion_note = rows.Text(row, 10);
  run.counts =
      RunCounts{rows.Int64(row, 11), rows.Int64(row, 12), rows.Int64(row, 13), rows.Int64(row, 14),
                rows.Int64(row, 15), rows.Int64(row, 16), rows.Int64(row, 17)};
  return run;
}

base::Result<std::optional<RunRecord>> FindRunningRun(Database& db, int64_t sync_id) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec(fmt::format("{} WHERE r.sync_id = $1 AND r.state = 'running'", kRunColumns),
              {sync_id}));
  if (rows.size() == 0) return std::optional<RunRecord>();
  CS_ASSIGN_OR_RETURN(RunRecord run, ReadRun(rows, 0));
  return std::optional<RunRecord>(std::move(run));
}

base::Status RequireRun(Database& db, int64_t run_id) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db.Exec("SELECT 1 FROM sync_runs WHERE id = $1", {run_id}));
  if (rows.size() == 0) return RunNotFound(run_id);
  return base::Status::Ok();
}

// Whether `holder` has a lease that has ended (a holder without one: no).
base::Result<bool> HolderLeaseEnded(Database& db, std::string_view holder, int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT cs_ms(ends_at) FROM holder_leases WHERE holder = $1", {holder}));
  return rows.size() > 0 && HolderLeaseExpired(rows.Int64(0, 0), now_ms);
}

base::Status FailRun(Database& db, int64_t run_id, std::string_view message, int64_t now_ms) {
  return db
      .Exec(
          "UPDATE sync_runs SET state = 'failed', message = $2, finished_at = cs_ts($3) "
          "WHERE id = $1 AND state = 'running'",
          {run_id, message, now_ms})
      .status();
}

}  // namespace

base::Result<SyncRecord> PgStore::CreateSync(std::string_view raw_name,
                                             std::string_view definition_json) {
  CS_ASSIGN_OR_RETURN(const std::string name, CheckSyncName(raw_name));
  CS_RETURN_IF_ERROR(CheckSyncDefinition(definition_json));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<SyncRecord> {
    CS_ASSIGN_OR_RETURN(const bool taken, SyncNameExists(*db_, name));
    if (taken) return SyncNameTaken(name);
    const int64_t now = NowMillis();
    SyncRecord record{0, name, std::string(definition_json), base::FormatUnixMillis(now),
                      base::FormatUnixMillis(now)};
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_->Exec("INSERT INTO syncs (name, definition, created_at, updated_at) "
                  "VALUES ($1, $2, cs_ts($3), cs_ts($3)) RETURNING id",
                  {std::string_view(record.name), std::string_view(record.definition_json), now}));
    record.id = inserted.Int64(0, 0);
    return record;
  });
}

base::Result<SyncRecord> PgStore::UpdateSync(std::string_view name, std::string_view raw_new_name,
                                             std::string_view definition_json) {
  CS_ASSIGN_OR_RETURN(const std::string new_name, CheckSyncName(raw_new_name));
  CS_RETURN_IF_ERROR(CheckSyncDefinition(definition_json));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<SyncRecord> {
    CS_ASSIGN_OR_RETURN(SyncRecord record, RequireSync(*db_, name));
    if (new_name != record.name) {
      CS_ASSIGN_OR_RETURN(const bool taken, SyncNameExists(*db_, new_name));
      if (taken) return SyncNameTaken(new_name);
    }
    record.name = new_name;
    record.definition_json = std::string(definition_json);
    const int64_t now = NowMillis();
    record.updated_at = base::FormatUnixMillis(now);
    CS_RETURN_IF_ERROR(db_->Exec("UPDATE syncs SET name = $2, definition = $3, updated_at = "
                                 "cs_ts($4) WHERE id = $1",
                                 {record.id, std::string_view(record.name),
                                  std::string_view(record.definition_json), now})
                           .status());
    // The mapping may have changed: hashes of the old definition's values
    // would hide changes the new one makes.
    CS_RETURN_IF_ERROR(db_->Exec("UPDATE subscriptions SET sync_hash = NULL WHERE sync_id = $1 "
                                 "AND sync_hash IS NOT NULL",
                                 {record.id})
                           .status());
    return record;
  });
}

base::Result<SyncRecord> PgStore::GetSync(std::string_view name) {
  return InTransaction(*db_, kRead, [&] { return RequireSync(*db_, name); });
}

base::Result<std::vector<SyncRecord>> PgStore::GetSyncs() {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::vector<SyncRecord>> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} ORDER BY name COLLATE \"C\"", kSyncColumns)));
    std::vector<SyncRecord> syncs;
    for (int i = 0; i < rows.size(); ++i) syncs.push_back(ReadSync(rows, i));
    return syncs;
  });
}

base::Status PgStore::DeleteSync(std::string_view name) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const SyncRecord record, RequireSync(*db_, name));
    CS_ASSIGN_OR_RETURN(const std::optional<RunRecord> running, FindRunningRun(*db_, record.id));
    if (running) return AlreadyRunning(*running);
    // Runs, their failures and the sync's hashes go by ON DELETE CASCADE (the
    // subscriptions' sync_id by ON DELETE SET NULL).
    return db_->Exec("DELETE FROM syncs WHERE id = $1", {record.id}).status();
  });
}

base::Result<RunRecord> PgStore::BeginRun(std::string_view sync_name, std::string_view started_by,
                                          std::string_view holder) {
  CS_RETURN_IF_ERROR(CheckRunStart(started_by, holder));
  // The lock of one run per sync, across processes and hosts: the running run
  // is looked for, then inserted, SERIALIZABLE. Two BeginRun at once both read
  // "none running" and both insert; the partial unique index
  // sync_runs_one_running lets one insert through, and the other fails with a
  // serialization failure (not a unique violation: PostgreSQL reports it so
  // because this transaction read the range it then inserts into).
  // InTransaction runs the loser again, which then sees the winner's run and
  // fails with AlreadyRunning naming it, as under SQLite's one writer.
  return InTransaction(*db_, kWrite, [&]() -> base::Result<RunRecord> {
    CS_ASSIGN_OR_RETURN(const SyncRecord sync, RequireSync(*db_, sync_name));
    const int64_t now = NowMillis();
    CS_ASSIGN_OR_RETURN(const std::optional<RunRecord> running, FindRunningRun(*db_, sync.id));
    if (running) {
      CS_ASSIGN_OR_RETURN(const bool ended, HolderLeaseEnded(*db_, running->holder, now));
      if (!ended) return AlreadyRunning(*running);
      CS_RETURN_IF_ERROR(FailRun(*db_, running->id, kRunLeaseExpiredMessage, now));
    }
    RunRecord run;
    run.sync_name = sync.name;
    run.started_by = std::string(started_by);
    run.holder = std::string(holder);
    run.started_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_->Exec("INSERT INTO sync_runs (sync_id, started_by, holder, "
                  "started_at, state) VALUES ($1, $2, $3, cs_ts($4), 'running') "
                  "RETURNING id",
                  {sync.id, std::string_view(run.started_by), std::string_view(run.holder), now}));
    run.id = inserted.Int64(0, 0);
    return run;
  });
}

base::Result<std::optional<RunRecord>> PgStore::GetRunningRun(std::string_view sync_name) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::optional<RunRecord>> {
    CS_ASSIGN_OR_RETURN(const SyncRecord sync, RequireSync(*db_, sync_name));
    return FindRunningRun(*db_, sync.id);
  });
}

base::Status PgStore::AbandonRun(int64_t run_id, std::string_view holder,
                                 std::string_view message) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    return db_
        ->Exec(
            "UPDATE sync_runs SET state = 'failed', message = $3, finished_at = cs_ts($4) "
            "WHERE id = $1 AND holder = $2 AND state = 'running'",
            {run_id, holder, message, NowMillis()})
        .status();
  });
}

base::Status PgStore::RenewHolderLease(std::string_view holder, std::chrono::milliseconds lease) {
  CS_RETURN_IF_ERROR(CheckHolderLease(holder, lease));
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    const int64_t now = NowMillis();
    CS_RETURN_IF_ERROR(db_->Exec("DELETE FROM holder_leases WHERE ends_at < cs_ts($1)",
                                 {now - kForgetLeasesAfterMs})
                           .status());
    return db_
        ->Exec(
            "INSERT INTO holder_leases (holder, ends_at) VALUES ($1, cs_ts($2)) "
            "ON CONFLICT (holder) DO UPDATE SET ends_at = excluded.ends_at",
            {holder, now + static_cast<int64_t>(lease.count())})
        .status();
  });
}

base::Status PgStore::ReleaseHolderLease(std::string_view holder) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    return db_->Exec("DELETE FROM holder_leases WHERE holder = $1", {holder}).status();
  });
}

base::Status PgStore::AddRunFailures(int64_t run_id, const std::vector<RunFailure>& failures) {
  if (failures.empty()) return base::Status::Ok();
  return InTransaction(*db_, kWrite, [&] { return InsertRunFailures(*db_, run_id, failures); });
}

base::Status PgStore::FinishRun(const RunRecord& run) {
  CS_RETURN_IF_ERROR(CheckRunFinish(run));
  CS_ASSIGN_OR_RETURN(const int64_t finished_at, run.finished_at.empty()
                                                     ? base::Result<int64_t>(NowMillis())
                                                     : StoredTime(run.finished_at));
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(
        const Rows updated,
        db_->Exec("UPDATE sync_runs SET state = $2, finished_at = cs_ts($3), duration_ms = $4, "
                  "message = $5, sql = $6, deletion_note = $7, selected = $8, added = $9, "
                  "updated = $10, unchanged = $11, skipped = $12, failed = $13, deleted = $14 "
                  "WHERE id = $1 AND state = 'running'",
                  {run.id, RunStateName(run.state), finished_at, run.duration_ms,
                   std::string_view(run.message), std::string_view(run.sql),
                   std::string_view(run.deletion_note), run.counts.selected, run.counts.added,
                   run.counts.updated, run.counts.unchanged, run.counts.skipped, run.counts.failed,
                   run.counts.deleted}));
    if (updated.Affected() == 0) {
      return RunNotRunning(run.id);
    }
    return base::Status::Ok();
  });
}

base::Result<RunRecord> PgStore::GetRun(int64_t run_id) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<RunRecord> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} WHERE r.id = $1", kRunColumns), {run_id}));
    if (rows.size() == 0) return RunNotFound(run_id);
    return ReadRun(rows, 0);
  });
}

base::Result<std::vector<RunRecord>> PgStore::GetRuns(std::string_view sync_name) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::vector<RunRecord>> {
    CS_ASSIGN_OR_RETURN(const SyncRecord sync, RequireSync(*db_, sync_name));
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec(fmt::format("{} WHERE r.sync_id = $1 ORDER BY r.id DESC", kRunColumns),
                  {sync.id}));
    std::vector<RunRecord> runs;
    for (int i = 0; i < rows.size(); ++i) {
      CS_ASSIGN_OR_RETURN(RunRecord run, ReadRun(rows, i));
      runs.push_back(std::move(run));
    }
    return runs;
  });
}

base::Result<RunFailurePage> PgStore::GetRunFailurePage(int64_t run_id, std::string_view reason,
                                                        int64_t limit, int64_t offset) {
  // As SQLite reads them: a negative limit is no limit (LIMIT NULL), a
  // negative offset is none; PostgreSQL refuses both.
  const Param limit_param = limit < 0 ? Param(nullptr) : Param(limit);
  const int64_t from = std::max<int64_t>(offset, 0);
  return InTransaction(*db_, kRead, [&]() -> base::Result<RunFailurePage> {
    CS_RETURN_IF_ERROR(RequireRun(*db_, run_id));
    RunFailurePage page;
    {
      CS_ASSIGN_OR_RETURN(const Rows count,
                          db_->Exec("SELECT count(*) FROM sync_run_failures WHERE run_id = $1 "
                                    "AND ($2::text = '' OR reason = $2::text)",
                                    {run_id, reason}));
      page.total = count.Int64(0, 0);
    }
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec("SELECT row_number, email, reason, message FROM sync_run_failures WHERE "
                  "run_id = $1 AND ($2::text = '' OR reason = $2::text) ORDER BY row_number "
                  "LIMIT $3 OFFSET $4",
                  {run_id, reason, limit_param, from}));
    for (int i = 0; i < rows.size(); ++i) {
      page.items.push_back(RunFailure{rows.Int64(i, 0), std::string(rows.Text(i, 1)),
                                      std::string(rows.Text(i, 2)), std::string(rows.Text(i, 3))});
    }
    return page;
  });
}

base::Result<std::vector<RunFailure>> PgStore::GetRunFailures(int64_t run_id) {
  // -1: no limit (GetRunFailurePage's LIMIT NULL).
  CS_ASSIGN_OR_RETURN(RunFailurePage all, GetRunFailurePage(run_id, "", -1, 0));
  return std::move(all.items);
}

}  // namespace contactsync::store::postgres
