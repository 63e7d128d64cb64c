// SqliteStore: sync definitions and runs (sync_store.h).

#include <fmt/format.h>

#include "base/text.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

// Sync names, definitions and the texts of refusals: store_rules.h, one for every backend.

constexpr std::string_view kSyncColumns =
    "SELECT id, name, definition, created_at, updated_at FROM syncs ";

SyncRecord ReadSync(const Statement& row) {
  return SyncRecord{row.ColumnInt64(0), row.ColumnText(1), row.ColumnText(2), ShownTime(row, 3),
                    ShownTime(row, 4)};
}

base::Result<SyncRecord> RequireSync(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached(fmt::format("{} WHERE name = ?1", kSyncColumns)));
  query->Bind(1, base::TrimAscii(name));
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return SyncNotFound(name);
  return ReadSync(*query);
}

constexpr std::string_view kRunColumns =
    "SELECT r.id, s.name, r.started_by, r.holder, r.started_at, r.finished_at, r.duration_ms, "
    "r.state, r.message, r.sql, r.deletion_note, r.selected, r.added, r.updated, r.unchanged, "
    "r.skipped, r.failed, r.deleted FROM sync_runs r JOIN syncs s ON s.id = r.sync_id ";

base::Result<RunRecord> ReadRun(const Statement& row) {
  RunRecord run;
  run.id = row.ColumnInt64(0);
  run.sync_name = row.ColumnText(1);
  run.started_by = row.ColumnText(2);
  run.holder = row.ColumnText(3);
  run.started_at = ShownTime(row, 4);
  run.finished_at = ShownTime(row, 5);
  run.duration_ms = row.ColumnInt64(6);
  CS_ASSIGN_OR_RETURN(run.state, ParseRunState(row.ColumnText(7)));
  run.message = row.ColumnText(8);
  run.sql = row.ColumnText(9);
  run.deletion_note = row.ColumnText(10);
  run.counts =
      RunCounts{row.ColumnInt64(11), row.ColumnInt64(12), row.ColumnInt64(13), row.ColumnInt64(14),
                row.ColumnInt64(15), row.ColumnInt64(16), row.ColumnInt64(17)};
  return run;
}

base::Result<std::optional<RunRecord>> FindRunningRun(Database& db, int64_t sync_id) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db.Cached(fmt::format("{} WHERE r.sync_id = ?1 AND r.state = 'running'", kRunColumns)));
  query->Bind(1, sync_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<RunRecord>();
  CS_ASSIGN_OR_RETURN(RunRecord run, ReadRun(*query));
  return std::optional<RunRecord>(std::move(run));
}

// Whether `holder` has a lease that has ended (a holder without one: no).
base::Result<bool> HolderLeaseEnded(Database& db, std::string_view holder, int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached("SELECT ends_at FROM holder_leases WHERE holder = ?1"));
  query->Bind(1, holder);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  return row && HolderLeaseExpired(query->ColumnInt64(0), now_ms);
}

base::Status FailRun(Database& db, int64_t run_id, std::string_view message, int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(CachedStatement update,
                      db.Cached("UPDATE sync_runs SET state = 'failed', message = ?2, "
                                "finished_at = ?3 WHERE id = ?1 AND state = 'running'"));
  update->Bind(1, run_id).Bind(2, message).Bind(3, now_ms);
  return update->Run();
}

}  // namespace

base::Result<SyncRecord> SqliteStore::CreateSync(std::string_view raw_name,
                                                 std::string_view definition_json) {
  CS_ASSIGN_OR_RETURN(const std::string name, CheckSyncName(raw_name));
  CS_RETURN_IF_ERROR(CheckSyncDefinition(definition_json));
  return InTransaction(db_, kWrite, [&]() -> base::Result<SyncRecord> {
    {
      CS_ASSIGN_OR_RETURN(CachedStatement exists,
                          db_.Cached("SELECT 1 FROM syncs WHERE name = ?1"));
      exists->Bind(1, name);
      CS_ASSIGN_OR_RETURN(const bool row, exists->Step());
      if (row) {
        return SyncNameTaken(name);
      }
    }
    const int64_t now = NowMillis();
    SyncRecord record{0, name, std::string(definition_json), base::FormatUnixMillis(now),
                      base::FormatUnixMillis(now)};
    CS_ASSIGN_OR_RETURN(CachedStatement insert,
                        db_.Cached("INSERT INTO syncs (name, definition, created_at, updated_at) "
                                   "VALUES (?1, ?2, ?3, ?3)"));
    insert->Bind(1, record.name).Bind(2, record.definition_json).Bind(3, now);
    CS_RETURN_IF_ERROR(insert->Run());
    record.id = db_.LastInsertRowId();
    return record;
  });
}

base::Result<SyncRecord> SqliteStore::UpdateSync(std::string_view name,
                                                 std::string_view raw_new_name,
                                                 std::string_view definition_json) {
  CS_ASSIGN_OR_RETURN(const std::string new_name, CheckSyncName(raw_new_name));
  CS_RETURN_IF_ERROR(CheckSyncDefinition(definition_json));
  return InTransaction(db_, kWrite, [&]() -> base::Result<SyncRecord> {
    CS_ASSIGN_OR_RETURN(SyncRecord record, RequireSync(db_, name));
    if (new_name != record.name) {
      CS_ASSIGN_OR_RETURN(CachedStatement exists,
                          db_.Cached("SELECT 1 FROM syncs WHERE name = ?1"));
      exists->Bind(1, new_name);
      CS_ASSIGN_OR_RETURN(const bool row, exists->Step());
      if (row) {
        return SyncNameTaken(new_name);
      }
    }
    record.name = new_name;
    record.definition_json = std::string(definition_json);
    const int64_t now = NowMillis();
    record.updated_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE syncs SET name = ?2, definition = ?3, updated_at = ?4 WHERE id = ?1"));
    update->Bind(1, record.id).Bind(2, record.name).Bind(3, record.definition_json).Bind(4, now);
    CS_RETURN_IF_ERROR(update->Run());
    // The mapping may have changed: hashes of the old definition's values
    // would hide changes the new one makes.
    CS_ASSIGN_OR_RETURN(CachedStatement forget,
                        db_.Cached("UPDATE subscriptions SET sync_hash = NULL WHERE sync_id = ?1 "
                                   "AND sync_hash IS NOT NULL"));
    forget->Bind(1, record.id);
    CS_RETURN_IF_ERROR(forget->Run());
    return record;
  });
}

base::Result<SyncRecord> SqliteStore::GetSync(std::string_view name) {
  return InTransaction(db_, kRead, [&] { return RequireSync(db_, name); });
}

base::Result<std::vector<SyncRecord>> SqliteStore::GetSyncs() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<SyncRecord>> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} ORDER BY name", kSyncColumns)));
    std::vector<SyncRecord> syncs;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) return syncs;
      syncs.push_back(ReadSync(*query));
    }
  });
}

base::Status SqliteStore::DeleteSync(std::string_view name) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const SyncRecord record, RequireSync(db_, name));
    CS_ASSIGN_OR_RETURN(const std::optional<RunRecord> running, FindRunningRun(db_, record.id));
    if (running) return AlreadyRunning(*running);
    // Runs, their failures and the sync's hashes go by ON DELETE CASCADE.
    CS_ASSIGN_OR_RETURN(CachedStatement remove, db_.Cached("DELETE FROM syncs WHERE id = ?1"));
    remove->Bind(1, record.id);
    return remove->Run();
  });
}

base::Result<RunRecord> SqliteStore::BeginRun(std::string_view sync_name,
                                              std::string_view started_by,
                                              std::string_view holder) {
  CS_RETURN_IF_ERROR(CheckRunStart(started_by, holder));
  return InTransaction(db_, kWrite, [&]() -> base::Result<RunRecord> {
    CS_ASSIGN_OR_RETURN(const SyncRecord sync, RequireSync(db_, sync_name));
    const int64_t now = NowMillis();
    CS_ASSIGN_OR_RETURN(const std::optional<RunRecord> running, FindRunningRun(db_, sync.id));
    if (running) {
      CS_ASSIGN_OR_RETURN(const bool ended, HolderLeaseEnded(db_, running->holder, now));
      if (!ended) return AlreadyRunning(*running);
      CS_RETURN_IF_ERROR(FailRun(db_, running->id, kRunLeaseExpiredMessage, now));
    }
    RunRecord run;
    run.sync_name = sync.name;
    run.started_by = std::string(started_by);
    run.holder = std::string(holder);
    run.started_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(CachedStatement insert,
                        db_.Cached("INSERT INTO sync_runs (sync_id, started_by, holder, "
                                   "started_at, state) VALUES (?1, ?2, ?3, ?4, 'running')"));
    insert->Bind(1, sync.id).Bind(2, run.started_by).Bind(3, run.holder).Bind(4, now);
    CS_RETURN_IF_ERROR(insert->Run());
    run.id = db_.LastInsertRowId();
    return run;
  });
}

base::Result<std::optional<RunRecord>> SqliteStore::GetRunningRun(std::string_view sync_name) {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::optional<RunRecord>> {
    CS_ASSIGN_OR_RETURN(const SyncRecord sync, RequireSync(db_, sync_name));
    return FindRunningRun(db_, sync.id);
  });
}

base::Status SqliteStore::AbandonRun(int64_t run_id, std::string_view holder,
                                     std::string_view message) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE sync_runs SET state = 'failed', message = ?3, "
                                   "finished_at = ?4 WHERE id = ?1 AND holder = ?2 "
                                   "AND state = 'running'"));
    update->Bind(1, run_id).Bind(2, holder).Bind(3, message).Bind(4, NowMillis());
    return update->Run();
  });
}

base::Status SqliteStore::RenewHolderLease(std::string_view holder,
                                           std::chrono::milliseconds lease) {
  CS_RETURN_IF_ERROR(CheckHolderLease(holder, lease));
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    const int64_t now = NowMillis();
    {
      CS_ASSIGN_OR_RETURN(CachedStatement forget,
                          db_.Cached("DELETE FROM holder_leases WHERE ends_at < ?1"));
      forget->Bind(1, now - kForgetLeasesAfterMs);
      CS_RETURN_IF_ERROR(forget->Run());
    }
    CS_ASSIGN_OR_RETURN(
        CachedStatement renew,
        db_.Cached("INSERT INTO holder_leases (holder, ends_at) VALUES (?1, ?2) "
                   "ON CONFLICT (holder) DO UPDATE SET ends_at = excluded.ends_at"));
    renew->Bind(1, holder).Bind(2, now + lease.count());
    return renew->Run();
  });
}

base::Status SqliteStore::ReleaseHolderLease(std::string_view holder) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement remove,
                        db_.Cached("DELETE FROM holder_leases WHERE holder = ?1"));
    remove->Bind(1, holder);
    return remove->Run();
  });
}

base::Status SqliteStore::AddRunFailures(int64_t run_id, const std::vector<RunFailure>& failures) {
  if (failures.empty()) return base::Status::Ok();
  return InTransaction(db_, kWrite, [&] { return InsertRunFailures(db_, run_id, failures); });
}

base::Status SqliteStore::FinishRun(const RunRecord& run) {
  CS_RETURN_IF_ERROR(CheckRunFinish(run));
  CS_ASSIGN_OR_RETURN(const int64_t finished_at, run.finished_at.empty()
                                                     ? base::Result<int64_t>(NowMillis())
                                                     : StoredTime(run.finished_at));
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE sync_runs SET state = ?2, finished_at = ?3, duration_ms = ?4, "
                   "message = ?5, sql = ?6, deletion_note = ?7, selected = ?8, added = ?9, "
                   "updated = ?10, unchanged = ?11, skipped = ?12, failed = ?13, deleted = ?14 "
                   "WHERE id = ?1 AND state = 'running'"));
    update->Bind(1, run.id)
        .Bind(2, RunStateName(run.state))
        .Bind(3, finished_at)
        .Bind(4, run.duration_ms)
        .Bind(5, run.message)
        .Bind(6, run.sql)
        .Bind(7, run.deletion_note)
        .Bind(8, run.counts.selected)
        .Bind(9, run.counts.added)
        .Bind(10, run.counts.updated)
        .Bind(11, run.counts.unchanged)
        .Bind(12, run.counts.skipped)
        .Bind(13, run.counts.failed)
        .Bind(14, run.counts.deleted);
    CS_RETURN_IF_ERROR(update->Run());
    if (db_.Changes() == 0) {
      return RunNotRunning(run.id);
    }
    return base::Status::Ok();
  });
}

base::Result<RunRecord> SqliteStore::GetRun(int64_t run_id) {
  return InTransaction(db_, kRead, [&]() -> base::Result<RunRecord> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} WHERE r.id = ?1", kRunColumns)));
    query->Bind(1, run_id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return RunNotFound(run_id);
    return ReadRun(*query);
  });
}

base::Result<std::vector<RunRecord>> SqliteStore::GetRuns(std::string_view sync_name) {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<RunRecord>> {
    CS_ASSIGN_OR_RETURN(const SyncRecord sync, RequireSync(db_, sync_name));
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached(fmt::format("{} WHERE r.sync_id = ?1 ORDER BY r.id DESC", kRunColumns)));
    query->Bind(1, sync.id);
    std::vector<RunRecord> runs;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) return runs;
      CS_ASSIGN_OR_RETURN(RunRecord run, ReadRun(*query));
      runs.push_back(std::move(run));
    }
  });
}

namespace {

base::Status RequireRun(Database& db, int64_t run_id) {
  CS_ASSIGN_OR_RETURN(CachedStatement exists, db.Cached("SELECT 1 FROM sync_runs WHERE id = ?1"));
  exists->Bind(1, run_id);
  CS_ASSIGN_OR_RETURN(const bool row, exists->Step());
  if (!row) return RunNotFound(run_id);
  return base::Status::Ok();
}

}  // namespace

base::Result<RunFailurePage> SqliteStore::GetRunFailurePage(int64_t run_id, std::string_view reason,
                                                            int64_t limit, int64_t offset) {
  return InTransaction(db_, kRead, [&]() -> base::Result<RunFailurePage> {
    CS_RETURN_IF_ERROR(RequireRun(db_, run_id));
    RunFailurePage page;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement count,
                          db_.Cached("SELECT count(*) FROM sync_run_failures WHERE run_id = ?1 "
                                     "AND (?2 = '' OR reason = ?2)"));
      count->Bind(1, run_id).Bind(2, reason);
      CS_ASSIGN_OR_RETURN(const bool row, count->Step());
      page.total = row ? count->ColumnInt64(0) : 0;
    }
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT row_number, email, reason, message FROM sync_run_failures WHERE "
                   "run_id = ?1 AND (?2 = '' OR reason = ?2) ORDER BY row_number LIMIT ?3 "
                   "OFFSET ?4"));
    query->Bind(1, run_id).Bind(2, reason).Bind(3, limit).Bind(4, offset);
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) return page;
      page.items.push_back(RunFailure{query->ColumnInt64(0), query->ColumnText(1),
                                      query->ColumnText(2), query->ColumnText(3)});
    }
  });
}

base::Result<std::vector<RunFailure>> SqliteStore::GetRunFailures(int64_t run_id) {
  // LIMIT -1: SQLite's "no limit".
  CS_ASSIGN_OR_RETURN(RunFailurePage all, GetRunFailurePage(run_id, "", -1, 0));
  return std::move(all.items);
}

}  // namespace contactsync::store::sqlite
