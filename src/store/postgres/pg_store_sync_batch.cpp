// PgStore: the storage primitives of the sync engine's batch writer (sync_store.h,
// SyncBatchWriter). The rules of a row (add, update, unchanged, skip, fail, the hash, what
// deletion removes) are RuleBasedSyncBatchWriter's (store/sync_batch_rules.h); this file only
// looks up and writes. It is the SQLite writer (sqlite_store_sync_batch.cpp) without its
// SQLite-specific speed tricks (the first-import Bloom filter, PRAGMA data_version, the page
// cache, the TEMP table of seen addresses): this first PostgreSQL writer is correct and simple;
// a COPY-based one comes later.
//
// Transactions. The writer runs its own transaction: one per Write(), or with group_commit one
// across the Writes until Commit(). Not InTransaction: a batch cannot be retried after a
// serialization failure, since its rows are decided as they go (the seen sets, the outcomes).
// A real run's transaction is READ COMMITTED, so that every statement sees what other sessions
// committed before it; a dry run's is one REPEATABLE READ READ ONLY snapshot. A failed batch
// rolls back (AbandonBatch), as does dropping the writer with writes pending.
//
// Locking. First step of the PostgreSQL store's sync locking (per-contact locks with a COPY
// staging table come next):
//  - Writers serialise: right after BEGIN, a real run takes the transaction-scoped advisory
//    lock kSyncWriterLock, so that two sync runs (on any hosts) never interleave their batches,
//    as under SQLite's one writer. The lock goes with the transaction (COMMIT or ROLLBACK): a
//    run holds it for one batch, or one group of batches, at a time.
//  - The batch's contacts are locked (SELECT ... FOR UPDATE) before they are read: a
//    concurrent SaveContact (SERIALIZABLE, retried) that changes one of them waits for this
//    batch and then decides again on what it wrote, instead of this run writing over a change
//    it did not see. The lock is its own statement, before the look-up: in READ COMMITTED a
//    statement that waited for a row lock re-reads only the locked row, and would have joined
//    the subscription as it was before the change it waited for.
//  - A contact that another session adds after the look-up makes InsertContact find its
//    address taken (ON CONFLICT DO NOTHING): the batch fails and rolls back (kUnavailable:
//    run the sync again) rather than deciding on stale facts.
//  - DeleteNotSelected runs in InTransaction (SERIALIZABLE, retried: its body only reads the
//    seen sets), under the same advisory lock.
//
// The addresses seen by the run are kept in memory: a set of contact ids, and a set of the
// keys seen without a contact (failed rows, a Test's new addresses).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/text.h"
#include "store/postgres/pg_queries.h"
#include "store/postgres/pg_store.h"
#include "store/store_rules.h"
#include "store/sync_batch_rules.h"

namespace contactsync::store::postgres {
namespace {

// The key of the transaction-scoped advisory lock that serialises sync batches (see the top of
// this file). Advisory lock keys are shared by every client of the database: nothing else may
// use this one.
constexpr int64_t kSyncWriterLock = 6390117400274;

// `keys` as a PostgreSQL text[] literal ({"a","b"}), for a `$n::text[]` parameter: every
// element quoted, with '"' and '\' backslash-escaped, so that no address (commas, braces,
// spaces, the word NULL) is read as anything but itself.
std::string TextArrayLiteral(const std::vector<std::string_view>& keys) {
  std::string literal = "{";
  for (const std::string_view key : keys) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    for (const char c : key) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return literal;
}

class PgSyncBatchWriter final : public RuleBasedSyncBatchWriter {
 public:
  PgSyncBatchWriter(Database& db, const base::Clock& clock, const SyncBatchOptions& options,
                    ListRef list, std::vector<CustomField> fields)
      : RuleBasedSyncBatchWriter(options, list.name, std::move(fields)),
        db_(db),
        clock_(clock),
        list_(std::move(list)) {}
  PgSyncBatchWriter(const PgSyncBatchWriter&) = delete;
  PgSyncBatchWriter& operator=(const PgSyncBatchWriter&) = delete;
  // Dropping the writer rolls back what was not committed (and frees the session for the
  // store's other calls).
  ~PgSyncBatchWriter() override { AbandonBatch(); }

  base::Status Commit() override;
  bool BulkImport() const override { return false; }  // SQLite's first-import trick only

 private:
  base::Status BeginBatch() override;
  void AbandonBatch() override;
  base::Status LoadExclusions(std::vector<std::string>& patterns) override;
  base::Status LookUpContacts(const std::vector<SyncRow>& rows, size_t count,
                              const BatchAddresses& addresses, std::vector<char>& found,
                              std::vector<BatchContact>& contacts) override;
  base::Status LoadDetails(BatchContact& contact) override;
  base::Status LoadFieldsJson(int64_t contact_id, std::string& json) override;
  base::Result<bool> MarkSeen(int64_t contact_id, const std::string& key) override;
  base::Result<bool> KeySeen(const std::string& key) override;
  base::Result<int64_t> InsertContact(const NewContactWrite& contact) override;
  base::Status UpdateContact(const ContactUpdate& update) override;
  base::Status EnterList(int64_t contact_id, SubscriptionStatus status,
                         std::optional<int64_t> hash) override;
  base::Status WriteHash(int64_t contact_id, int64_t hash) override;
  base::Status InsertExclusion(const std::string& pattern) override;
  base::Status InsertRunFailures(const std::vector<RunFailure>& failures) override;
  base::Result<DeletionOutcome> InDeletionTransaction(
      const std::function<base::Result<DeletionOutcome>()>& body) override;
  base::Result<int64_t> CountListSubscriptions() override;
  base::Status ListNotSelected(std::vector<DeletionCandidate>& candidates) override;
  base::Result<bool> RemoveFromList(const DeletionCandidate& candidate) override;

  // Takes kSyncWriterLock for the open transaction (waits while another run holds it).
  base::Status LockOutOtherWriters();
  // The email keys of the rows whose contacts the batch looks up, into lookup_keys_.
  void CollectLookUpKeys(const std::vector<SyncRow>& rows, size_t count,
                         const BatchAddresses& addresses);
  base::Status LockContacts(std::string_view keys);

  Database& db_;
  const base::Clock& clock_;
  const ListRef list_;
  int64_t now_ms_ = 0;  // the batch's time, as the store keeps times (base::UnixMillis)
  // Open between Writes with group_commit.
  bool in_transaction_ = false;
  // The addresses this run has seen: by contact id, and by key when they had no contact.
  std::unordered_set<int64_t> seen_ids_;
  std::unordered_set<std::string> seen_keys_;
  std::vector<std::string_view> lookup_keys_;  // into the batch's rows, reused
};

base::Status PgSyncBatchWriter::BeginBatch() {
  if (!in_transaction_) {
    CS_RETURN_IF_ERROR(db_.Exec(options().dry_run
                                    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                    : "BEGIN ISOLATION LEVEL READ COMMITTED")
                           .status());
    in_transaction_ = true;
    if (!options().dry_run) {
      if (base::Status locked = LockOutOtherWriters(); !locked.ok()) {
        AbandonBatch();  // Write() rolls back only what WriteRows began
        return locked;
      }
    }
  }
  now_ms_ = base::UnixMillis(clock_.Now());
  return base::Status::Ok();
}

base::Status PgSyncBatchWriter::LockOutOtherWriters() {
  return db_.Exec("SELECT pg_advisory_xact_lock($1)", {kSyncWriterLock}).status();
}

// Rolls back since the last commit. A failed statement has left the transaction aborted: every
// later statement but ROLLBACK would fail (and COMMIT would roll back without saying so).
void PgSyncBatchWriter::AbandonBatch() {
  if (!in_transaction_) return;
  in_transaction_ = false;
  if (db_.ok()) (void)db_.Exec("ROLLBACK");
}

base::Status PgSyncBatchWriter::Commit() {
  if (!in_transaction_) return base::Status::Ok();
  in_transaction_ = false;  // a failed COMMIT ends the transaction too
  return db_.Exec("COMMIT").status();
}

base::Status PgSyncBatchWriter::LoadExclusions(std::vector<std::string>& patterns) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db_.Exec("SELECT pattern FROM exclusions "
                                                "WHERE list_id IS NULL OR list_id = $1 ORDER BY id",
                                                {list_.id}));
  for (int i = 0; i < rows.size(); ++i) patterns.emplace_back(rows.Text(i, 0));
  return base::Status::Ok();
}

base::Result<bool> PgSyncBatchWriter::MarkSeen(int64_t contact_id, const std::string& key) {
  if (contact_id > 0) return seen_ids_.insert(contact_id).second;
  return seen_keys_.insert(key).second;
}

base::Result<bool> PgSyncBatchWriter::KeySeen(const std::string& key) {
  return seen_keys_.contains(key);
}

// An address repeated within the batch is looked up once: its later rows are duplicates
// whatever the first one did.
void PgSyncBatchWriter::CollectLookUpKeys(const std::vector<SyncRow>& rows, size_t count,
                                          const BatchAddresses& addresses) {
  lookup_keys_.clear();
  for (size_t i = 0; i < count; ++i) {
    if (!addresses.Repeated(i)) lookup_keys_.emplace_back(rows[i].email_key);
  }
}

// Locks the batch's contacts until the transaction ends (see the top of this file), in id
// order.
base::Status PgSyncBatchWriter::LockContacts(std::string_view keys) {
  return db_
      .Exec("SELECT id FROM contacts WHERE email_key = ANY($1::text[]) ORDER BY id FOR UPDATE",
            {keys})
      .status();
}

// One statement per batch (after the lock, in a real run): the rows' contacts with their
// subscriptions to the list, which hold the hashes of the values this sync last wrote.
base::Status PgSyncBatchWriter::LookUpContacts(const std::vector<SyncRow>& rows, size_t count,
                                               const BatchAddresses& addresses,
                                               std::vector<char>& found,
                                               std::vector<BatchContact>& contacts) {
  CollectLookUpKeys(rows, count, addresses);
  if (lookup_keys_.empty()) return base::Status::Ok();
  const std::string keys = TextArrayLiteral(lookup_keys_);
  if (!options().dry_run) CS_RETURN_IF_ERROR(LockContacts(keys));
  CS_ASSIGN_OR_RETURN(
      const Rows looked_up,
      db_.Exec("SELECT c.email_key, c.id, c.bounced, c.ever_unsubscribed, c.email, c.first_name, "
               "c.last_name, c.phone, s.status, CASE WHEN s.sync_id = $3 THEN s.sync_hash END "
               "FROM contacts c LEFT JOIN subscriptions s ON s.contact_id = c.id AND "
               "s.list_id = $2 WHERE c.email_key = ANY($1::text[])",
               {std::string_view(keys), list_.id, options().sync_id}));
  for (int r = 0; r < looked_up.size(); ++r) {
    const std::optional<size_t> first = addresses.FirstRowWithKey(rows, looked_up.Text(r, 0));
    if (!first || *first >= count) {
      return base::Internal("the batch look-up returned a row it was not asked for");
    }
    BatchContact& existing = contacts[*first];
    existing.id = looked_up.Int64(r, 1);
    existing.bounced = looked_up.Bool(r, 2);
    existing.ever_unsubscribed = looked_up.Bool(r, 3);
    existing.details = true;
    // assign() keeps the buffers from batch to batch: no allocation per contact.
    existing.email.assign(looked_up.Text(r, 4));
    existing.first_name.assign(looked_up.Text(r, 5));
    existing.last_name.assign(looked_up.Text(r, 6));
    existing.phone.assign(looked_up.Text(r, 7));
    existing.status.reset();
    if (!looked_up.IsNull(r, 8)) {
      CS_ASSIGN_OR_RETURN(existing.status, StoredStatus(looked_up.Text(r, 8)));
    }
    existing.hash.reset();
    if (!looked_up.IsNull(r, 9)) existing.hash = looked_up.Int64(r, 9);
    found[*first] = 1;
  }
  return base::Status::Ok();
}

base::Status PgSyncBatchWriter::LoadDetails(BatchContact& contact) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db_.Exec("SELECT email, first_name, last_name, phone FROM contacts WHERE id = $1",
               {contact.id}));
  if (rows.size() == 0) return base::Internal("a contact found in this batch is gone");
  contact.email.assign(rows.Text(0, 0));
  contact.first_name.assign(rows.Text(0, 1));
  contact.last_name.assign(rows.Text(0, 2));
  contact.phone.assign(rows.Text(0, 3));
  return base::Status::Ok();
}

base::Status PgSyncBatchWriter::LoadFieldsJson(int64_t contact_id, std::string& json) {
  CS_ASSIGN_OR_RETURN(json, postgres::LoadFieldsJson(db_, contact_id));  // NULL reads as ""
  return base::Status::Ok();
}

base::Result<int64_t> PgSyncBatchWriter::InsertContact(const NewContactWrite& contact) {
  const SyncRow& row = contact.row;
  const auto text = [](const std::optional<std::string>& value) {
    return value ? std::string_view(*value) : std::string_view();
  };
  CS_ASSIGN_OR_RETURN(
      const Rows inserted,
      db_.Exec(
          "INSERT INTO contacts (email, email_key, first_name, last_name, phone, bounced, "
          "ever_unsubscribed, created_at, updated_at, last_change_cause, "
          "last_change_detail, fields) VALUES ($1, $2, $3, $4, $5, false, $6::integer <> 0, "
          "cs_ts($7), cs_ts($7), $8, $9, $10::jsonb) ON CONFLICT (email_key) DO NOTHING "
          "RETURNING id",
          {std::string_view(row.email), std::string_view(row.email_key), text(row.first_name),
           text(row.last_name), text(row.phone), int64_t{contact.ever_unsubscribed ? 1 : 0},
           now_ms_, model::CauseKindName(options().cause.kind),
           std::string_view(options().cause.detail), ContactFieldsParam(contact.fields_json)}));
  // The look-up found no contact for the address; one that is there now was committed by
  // another session since. Deciding its row on what the look-up said could undo that session's
  // change: the batch fails (and rolls back) instead.
  if (inserted.size() == 0) {
    return base::Unavailable(fmt::format(
        "contact {} was added by another writer while this run was writing; run the sync again",
        base::Printable(row.email)));
  }
  return inserted.Int64(0, 0);
}

base::Status PgSyncBatchWriter::UpdateContact(const ContactUpdate& update) {
  CS_ASSIGN_OR_RETURN(
      const Rows updated,
      db_.Exec(
          "UPDATE contacts SET first_name = $2, last_name = $3, phone = $4, "
          "ever_unsubscribed = $5::integer <> 0, updated_at = cs_ts($6), "
          "last_change_cause = $7, last_change_detail = $8, fields = CASE WHEN "
          "$10::integer <> 0 THEN $9::jsonb ELSE fields END WHERE id = $1",
          {update.id, update.first_name, update.last_name, update.phone,
           int64_t{update.ever_unsubscribed ? 1 : 0}, now_ms_,
           model::CauseKindName(options().cause.kind), std::string_view(options().cause.detail),
           ContactFieldsParam(update.fields_changed ? update.fields_json : ""),
           int64_t{update.fields_changed ? 1 : 0}}));
  if (updated.Affected() == 0) return base::Internal("a contact found in this batch is gone");
  return base::Status::Ok();
}

// Status, cause and history together, exactly as SaveContact writes them (with the hash, when
// given), and the mail the change causes, in the same transaction (pg_queries.h).
base::Status PgSyncBatchWriter::EnterList(int64_t contact_id, SubscriptionStatus status,
                                          std::optional<int64_t> hash) {
  std::optional<SyncHash> sync_hash;
  if (hash) sync_hash = SyncHash{options().sync_id, *hash};
  CS_RETURN_IF_ERROR(ChangeSubscription(db_, contact_id, list_, std::nullopt, status,
                                        options().cause, now_ms_, sync_hash));
  return QueueMailForChange(db_, contact_id, list_, std::nullopt, status,
                            options().send_autoresponders, now_ms_);
}

base::Status PgSyncBatchWriter::WriteHash(int64_t contact_id, int64_t hash) {
  return db_
      .Exec(
          "UPDATE subscriptions SET sync_id = $3, sync_hash = $4 "
          "WHERE contact_id = $1 AND list_id = $2",
          {contact_id, list_.id, options().sync_id, hash})
      .status();
}

base::Status PgSyncBatchWriter::InsertExclusion(const std::string& pattern) {
  return db_
      .Exec(
          "INSERT INTO exclusions (pattern, list_id, created_at) VALUES ($1, $2, cs_ts($3)) "
          "ON CONFLICT DO NOTHING",
          {std::string_view(pattern), list_.id, now_ms_})
      .status();
}

base::Status PgSyncBatchWriter::InsertRunFailures(const std::vector<RunFailure>& failures) {
  if (!in_transaction_) {
    return InTransaction(db_, TransactionKind::kWrite, [&] {
      return postgres::InsertRunFailures(db_, options().run_id, failures);
    });
  }
  base::Status inserted = postgres::InsertRunFailures(db_, options().run_id, failures);
  // The failures belong with the rows they describe: neither commits without the other.
  if (!inserted.ok()) AbandonBatch();
  return inserted;
}

// SERIALIZABLE and retried (the body only reads the seen sets): a concurrent SaveContact that
// subscribes a contact being deleted as an orphan makes one of the two start again. Under
// kSyncWriterLock as the batches are. (The snapshot is taken by the lock's statement, before
// any wait for another run; what that run changed since makes a write of this one fail, and
// InTransaction run it again.)
base::Result<DeletionOutcome> PgSyncBatchWriter::InDeletionTransaction(
    const std::function<base::Result<DeletionOutcome>()>& body) {
  const TransactionKind kind = options().dry_run ? TransactionKind::kRead : TransactionKind::kWrite;
  now_ms_ = base::UnixMillis(clock_.Now());
  return InTransaction(db_, kind, [&]() -> base::Result<DeletionOutcome> {
    if (!options().dry_run) CS_RETURN_IF_ERROR(LockOutOtherWriters());
    return body();
  });
}

base::Result<int64_t> PgSyncBatchWriter::CountListSubscriptions() {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db_.Exec("SELECT count(*) FROM subscriptions WHERE list_id = $1", {list_.id}));
  return rows.size() == 0 ? 0 : rows.Int64(0, 0);
}

// Which statuses go is DeletionMayRemove's (sync_batch_rules.h); a contact the run saw is in
// seen_ids_, an address it saw without a contact in seen_keys_.
base::Status PgSyncBatchWriter::ListNotSelected(std::vector<DeletionCandidate>& candidates) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db_.Exec("SELECT c.id, c.email_key, s.status FROM subscriptions s "
                               "JOIN contacts c ON c.id = s.contact_id WHERE s.list_id = $1 "
                               "ORDER BY c.id",
                               {list_.id}));
  for (int i = 0; i < rows.size(); ++i) {
    CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(rows.Text(i, 2)));
    if (!DeletionMayRemove(status)) continue;
    const int64_t id = rows.Int64(i, 0);
    if (seen_ids_.contains(id)) continue;
    std::string key(rows.Text(i, 1));
    if (seen_keys_.contains(key)) continue;
    candidates.push_back({id, std::move(key), status});
  }
  return base::Status::Ok();
}

base::Result<bool> PgSyncBatchWriter::RemoveFromList(const DeletionCandidate& candidate) {
  // The join entry first, then the removal (pg_queries.h): history outlives the row.
  CS_RETURN_IF_ERROR(RemoveSubscription(db_, candidate.contact_id, list_, candidate.status,
                                        options().cause, now_ms_));
  // DeletesOrphanContact (sync_batch_rules.h), checked in the statement.
  CS_ASSIGN_OR_RETURN(
      const Rows deleted,
      db_.Exec("DELETE FROM contacts WHERE id = $1 AND NOT bounced AND NOT ever_unsubscribed "
               "AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = $1) "
               "AND NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.pattern = $2)",
               {candidate.contact_id, std::string_view(candidate.email_key)}));
  return deleted.Affected() > 0;
}

}  // namespace

base::Result<std::unique_ptr<SyncBatchWriter>> PgStore::OpenSyncBatchWriter(
    const SyncBatchOptions& options) {
  CS_RETURN_IF_ERROR(CheckCause(options.cause));
  return InTransaction(
      *db_, TransactionKind::kRead, [&]() -> base::Result<std::unique_ptr<SyncBatchWriter>> {
        CS_ASSIGN_OR_RETURN(ListRef list, RequireList(*db_, options.list));
        CS_ASSIGN_OR_RETURN(std::vector<CustomField> fields, LoadFields(*db_));
        return std::unique_ptr<SyncBatchWriter>(
            new PgSyncBatchWriter(*db_, clock_, options, std::move(list), std::move(fields)));
      });
}

}  // namespace contactsync::store::postgres
