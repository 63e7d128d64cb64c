// SqliteStore: the storage primitives of the sync engine's batch writer
// (sync_store.h, SyncBatchWriter). The rules of a row (add, update,
// unchanged, skip, fail, the hash, what deletion removes) are
// RuleBasedSyncBatchWriter's (store/sync_batch_rules.h); this file only looks
// up and writes.
//
// Built for throughput (issue 7): every statement is prepared once and
// cached; a batch is one BEGIN IMMEDIATE transaction, or with group_commit
// several batches are (the engine commits every few tens of thousands of
// rows: a transaction per 1,000 rows made every commit rewrite into the WAL
// the pages of the email index that the batch's random-order addresses
// touched, about one page per row on a large store); one look-up per batch
// (Prefetch) finds the rows' contacts and their subscriptions on the list,
// which hold the hashes of the values this sync last wrote, so an unchanged
// row costs a share of two range scans and no write. A new contact is three
// single-row INSERTs: the contact with its custom values (one JSON column),
// its subscription with the hash, the history row (migration 8). Statements
// that write several rows are avoided: SQLite gives them a statement journal,
// which in a long transaction spills to a temporary file (14 GB of writes in a
// fresh sync of 1M rows once, a fifth of its time; issue 7).
//
// A first import (a run into a store without contacts) is written in bulk
// (issue 13, BulkImport): the engine commits it less often (every few
// seconds, not every 50,000 rows), since each commit rewrites the leaves of
// the random-order email index that it touched; and no address the run has
// not inserted is looked up. The store had no contact when the first
// transaction began (checked under its write lock), and as long as no other
// connection has committed since (PRAGMA data_version, read at the start of
// each transaction, is unchanged), every contact is one this run inserted: a
// filter of the keys it inserted sends only its own addresses (a duplicate in
// the source, or the filter's rare false positive) to the look-up, which is
// exact. Once another writer has committed anything, every address is looked
// up again, for the rest of the run.
//
// The addresses seen by the run: a bitmap of contact ids for addresses that
// have a contact (one bit per contact), and a TEMP table of this connection
// for the few that have none (failed rows, a Test's new addresses), so
// duplicate detection and delete_not_affected cost no memory per row of the
// source and no random TEMP B-tree write per contact.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "store/contact_fields_json.h"
#include "store/sqlite/mail_queue.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"
#include "store/sync_batch_rules.h"

namespace contactsync::store::sqlite {
namespace {

// A Bloom filter of email keys, of a fixed size (allocated at the first Add):
// a clear bit says a key was never added, without a statement; a hit only
// means "ask the store".
class KeyFilter {
 public:
  explicit KeyFilter(size_t bits) : bits_(bits) {}
  void Add(std::string_view key) {
    if (words_.empty()) words_.assign(bits_ / 64, 0);
    for (const size_t bit : Bits(key)) words_[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  bool MayContain(std::string_view key) const {
    if (words_.empty()) return false;
    for (const size_t bit : Bits(key)) {
      if ((words_[bit / 64] & (uint64_t{1} << (bit % 64))) == 0) return false;
    }
    return true;
  }

 private:
  std::array<size_t, 3> Bits(std::string_view key) const {
    const uint64_t hash = std::hash<std::string_view>{}(key);
    const uint64_t second = (hash >> 32) | 1;
    return {static_cast<size_t>(hash % bits_), static_cast<size_t>((hash + second) % bits_),
            static_cast<size_t>((hash + 2 * second) % bits_)};
  }

  const size_t bits_;
  std::vector<uint64_t> words_;
};

class SqliteSyncBatchWriter final : public RuleBasedSyncBatchWriter {
 public:
  SqliteSyncBatchWriter(Database& db, const base::Clock& clock, const SyncBatchOptions& options,
                        ListRef list, std::vector<CustomField> fields, bool first_import)
      : RuleBasedSyncBatchWriter(options, list.name, std::move(fields)),
        db_(db),
        clock_(clock),
        list_(std::move(list)),
        first_import_(first_import) {}

  base::Status Commit() override {
    join_ids_.Forget();
    if (!transaction_) return base::Status::Ok();
    Transaction transaction = std::move(*transaction_);
    transaction_.reset();
    return transaction.Commit();
  }
  bool BulkImport() const override { return first_import_; }

 private:
  base::Status BeginBatch() override;
  void AbandonBatch() override {  // rolls back since the last commit
    transaction_.reset();
    only_run_contacts_ = false;
    join_ids_.Forget();
  }
  base::Status LoadExclusions(std::vector<std::string>& patterns) override;
  // Looks up the contacts of all `count` rows in one statement (see
  // Prefetch in the .cpp).
  base::Status LookUpContacts(const std::vector<SyncRow>& rows, size_t count,
                              const BatchAddresses& addresses, std::vector<char>& found,
                              std::vector<BatchContact>& contacts) override;
  base::Status LoadDetails(BatchContact& contact) override;
  base::Status LoadFieldsJson(int64_t contact_id, std::string& json) override;
  base::Result<bool> MarkSeen(int64_t contact_id, const std::string& key) override;
  base::Result<bool> KeySeen(const std::string& key) override;  // in the TEMP table
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

  // Whether the store may hold a contact for the row's address: always,
  // except in a first import while no other writer has committed
  // (only_run_contacts_).
  bool MayHaveContact(const SyncRow& row) const {
    return !only_run_contacts_ || run_keys_.MayContain(row.email_key);
  }
  base::Status CheckOnlyRunContacts();
  bool IdSeen(int64_t contact_id) const;
  // The sequential guess of Prefetch (see there); (contact id, row index)
  // of the rows it found, ascending.
  base::Result<size_t> GuessNextContacts(const std::vector<SyncRow>& rows, size_t count,
                                         const BatchAddresses& addresses, std::vector<char>& found,
                                         std::vector<BatchContact>& contacts);

  Database& db_;
  const base::Clock& clock_;
  const ListRef list_;
  int64_t now_ms_ = 0;  // the batch's time, as the store keeps times (base::UnixMillis)
  std::vector<std::pair<int64_t, size_t>> guessed_;
  std::vector<size_t> positions_;  // JSON array index -> row index
  std::string keys_json_;
  // The sequential guess of Prefetch: contacts after this id come next.
  static constexpr int kGuessPatience = 2;    // failed guesses in a row before pausing
  static constexpr int64_t kGuessRetry = 32;  // then one guess every this many batches
  int64_t next_guess_after_ = 0;
  int guess_misses_ = 0;
  int64_t batches_ = 0;
  // Contacts seen by this run, one bit per contact id: 1M contacts cost
  // 125 KB, where a TEMP table of their addresses costs tens of MB of pages
  // that a large run reads and writes back at random. Ids from kMaxBitmapId
  // on (never assigned in practice) fall back to the TEMP table.
  static constexpr int64_t kMaxBitmapId = int64_t{1} << 28;
  std::vector<uint64_t> seen_ids_;
  // The filter of KeySeen: 1 MiB, for the addresses put in the TEMP table.
  KeyFilter seen_keys_{size_t{1} << 23};
  // A first import (BulkImport): the writer was opened on a store without
  // contacts; while only_run_contacts_, every contact is one this run
  // inserted, and its key is in run_keys_ (see the top of this file). 8 MiB:
  // for 5M addresses, about 1% false positives (each costs a share of the
  // batch look-up); fewer than 0.01% for 1M.
  const bool first_import_;
  bool only_run_contacts_ = false;
  // PRAGMA data_version at the start of the first transaction; none before it.
  std::optional<int64_t> data_version_;
  KeyFilter run_keys_{size_t{1} << 26};
  // Join entry ids of the open transaction (sqlite_queries.h).
  JoinEntryIds join_ids_{4096};
  // Open between Writes with group_commit; destroying it rolls back.
  std::optional<Transaction> transaction_;
};

// Whether the store holds no contact (in the caller's transaction).
base::Result<bool> StoreHasNoContacts(Database& db) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached("SELECT NOT EXISTS (SELECT 1 FROM contacts)"));
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  return row && query->ColumnInt64(0) != 0;
}

// Changes when another connection commits to the store; not with this one's commits.
base::Result<int64_t> DataVersion(Database& db) {
  CS_ASSIGN_OR_RETURN(CachedStatement query, db.Cached("PRAGMA data_version"));
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return base::Internal("PRAGMA data_version returned no row");
  return query->ColumnInt64(0);
}

// At the start of each of a first import's transactions, under the write lock: whether every
// contact is still one this run inserted.
base::Status SqliteSyncBatchWriter::CheckOnlyRunContacts() {
  CS_ASSIGN_OR_RETURN(const int64_t version, DataVersion(db_));
  if (!data_version_) {
    CS_ASSIGN_OR_RETURN(only_run_contacts_, StoreHasNoContacts(db_));
    data_version_ = version;
  } else if (version != *data_version_) {
    only_run_contacts_ = false;  // another writer committed: look everything up from now on
  }
  return base::Status::Ok();
}

base::Status SqliteSyncBatchWriter::BeginBatch() {
  if (!transaction_) {
    const TransactionKind kind =
        options().dry_run ? TransactionKind::kRead : TransactionKind::kWrite;
    CS_ASSIGN_OR_RETURN(Transaction begun, Transaction::Begin(db_, kind));
    transaction_.emplace(std::move(begun));
    if (first_import_ && (!data_version_ || only_run_contacts_)) {
      CS_RETURN_IF_ERROR(CheckOnlyRunContacts());
    }
  }
  now_ms_ = base::UnixMillis(clock_.Now());
  return base::Status::Ok();
}

base::Status SqliteSyncBatchWriter::LoadExclusions(std::vector<std::string>& patterns) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db_.Cached("SELECT pattern FROM exclusions "
                                 "WHERE list_id IS NULL OR list_id = ?1 ORDER BY id"));
  query->Bind(1, list_.id);
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Status::Ok();
    patterns.push_back(query->ColumnText(0));
  }
}

base::Result<bool> SqliteSyncBatchWriter::MarkSeen(int64_t contact_id, const std::string& key) {
  if (contact_id > 0 && contact_id < kMaxBitmapId) {
    const auto word = static_cast<size_t>(contact_id / 64);
    const uint64_t bit = uint64_t{1} << (contact_id % 64);
    if (word >= seen_ids_.size()) seen_ids_.resize(std::max(word + 1, seen_ids_.size() * 2));
    const bool first = (seen_ids_[word] & bit) == 0;
    seen_ids_[word] |= bit;
    return first;
  }
  seen_keys_.Add(key);
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO temp.cs_sync_seen (email_key) VALUES (?1) ON CONFLICT DO NOTHING"));
  insert->Bind(1, key);
  CS_RETURN_IF_ERROR(insert->Run());
  return db_.Changes() == 1;
}

// Most addresses without a contact (every row of a fresh sync) were never put
// in the TEMP table, and the filter says so without a statement.
base::Result<bool> SqliteSyncBatchWriter::KeySeen(const std::string& key) {
  if (!seen_keys_.MayContain(key)) return false;
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db_.Cached("SELECT 1 FROM temp.cs_sync_seen WHERE email_key = ?1"));
  query->Bind(1, key);
  return query->Step();
}

bool SqliteSyncBatchWriter::IdSeen(int64_t contact_id) const {
  if (contact_id <= 0 || contact_id >= kMaxBitmapId) return false;
  const auto word = static_cast<size_t>(contact_id / 64);
  return word < seen_ids_.size() && (seen_ids_[word] & (uint64_t{1} << (contact_id % 64))) != 0;
}

// Reads the contact columns of the current row of a look-up statement
// (from `first` on: id, bounced, ever_unsubscribed, then with `details`
// email, first_name, last_name, phone) into `existing`, without its status
// and hash.
void ReadContact(Statement& query, int first, bool details, BatchContact& existing) {
  existing.id = query.ColumnInt64(first);
  existing.bounced = query.ColumnInt64(first + 1) != 0;
  existing.ever_unsubscribed = query.ColumnInt64(first + 2) != 0;
  existing.status.reset();
  existing.hash.reset();
  existing.details = details;
  if (!details) return;
  // assign() keeps the buffers from batch to batch: no allocation per contact.
  existing.email.assign(query.ColumnTextView(first + 3));
  existing.first_name.assign(query.ColumnTextView(first + 4));
  existing.last_name.assign(query.ColumnTextView(first + 5));
  existing.phone.assign(query.ColumnTextView(first + 6));
}

base::Status ReadStatus(Statement& query, int column, BatchContact& existing) {
  if (query.ColumnIsNull(column)) return base::Status::Ok();
  CS_ASSIGN_OR_RETURN(existing.status, StoredStatus(query.ColumnTextView(column)));
  return base::Status::Ok();
}

void ReadHash(Statement& query, int column, BatchContact& existing) {
  if (!query.ColumnIsNull(column)) existing.hash = query.ColumnInt64(column);
}

// One statement per batch instead of one per row: SQLite spent more on
// preparing, resetting and closing the cursors of a per-row look-up than on
// its B-tree searches (callgrind, issue 7).
//
// First, a guess that costs no search: a re-sync usually reads the rows in
// the order the first run created their contacts, so the batch's contacts
// are likely the next ones by id after the last batch's. One range scan of
// that many contacts finds them (GuessNextContacts); the guess is dropped while it keeps
// failing (a source in another order, a fresh sync), retried now and then.
// Then the addresses still unknown go in as one JSON array, and json_each
// drives index searches in array order. An address repeated within the
// batch is looked up once: its later rows are duplicates whatever the first
// one did.
base::Status SqliteSyncBatchWriter::LookUpContacts(const std::vector<SyncRow>& rows, size_t count,
                                                   const BatchAddresses& addresses,
                                                   std::vector<char>& found,
                                                   std::vector<BatchContact>& contacts) {
  const bool guess =
      !only_run_contacts_ && (guess_misses_ < kGuessPatience || batches_ % kGuessRetry == 0);
  ++batches_;
  if (guess && count > 0) {
    CS_ASSIGN_OR_RETURN(const size_t hits,
                        GuessNextContacts(rows, count, addresses, found, contacts));
    // Most rows of a batch found: keep guessing. (Rows without a contact,
    // like failed ones, are a few percent.)
    guess_misses_ = hits * 2 >= count ? 0 : guess_misses_ + 1;
  }

  positions_.clear();
  keys_json_.clear();  // not assign("["): GCC 12 -O2 warns of a false overlap (-Wrestrict)
  keys_json_ += '[';
  for (size_t i = 0; i < count; ++i) {
    if (addresses.Repeated(i) || found[i] != 0 || !MayHaveContact(rows[i])) continue;
    if (!positions_.empty()) keys_json_ += ',';
    AppendJsonString(keys_json_, rows[i].email_key);
    positions_.push_back(i);
  }
  keys_json_ += ']';
  if (positions_.empty()) return base::Status::Ok();
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db_.Cached("SELECT j.key, c.id, c.bounced, c.ever_unsubscribed, c.email, c.first_name, "
                 "c.last_name, c.phone, s.status, CASE WHEN s.sync_id = ?3 THEN s.sync_hash END "
                 "FROM json_each(?1) AS j CROSS JOIN contacts AS c ON c.email_key = j.value "
                 "LEFT JOIN subscriptions s ON s.contact_id = c.id AND s.list_id = ?2"));
  query->Bind(1, keys_json_).Bind(2, list_.id).Bind(3, options().sync_id);
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Status::Ok();
    const int64_t position = query->ColumnInt64(0);
    if (position < 0 || static_cast<size_t>(position) >= positions_.size()) {
      return base::Internal("the batch look-up returned a row it was not asked for");
    }
    const size_t i = positions_[static_cast<size_t>(position)];
    ReadContact(*query, 1, /*details=*/true, contacts[i]);
    CS_RETURN_IF_ERROR(ReadStatus(*query, 8, contacts[i]));
    ReadHash(*query, 9, contacts[i]);
    found[i] = 1;
  }
}

// The guess: the `count` contacts after next_guess_after_ in id order, then
// their subscriptions on the list (with this sync's hashes) over the same
// range of ids, merged by id. Two sequential range scans cost less than one
// join that searches the subscriptions for every contact. (The unary + keeps
// SQLite on the primary key's contact_id range instead of the by-list index,
// which would read the whole list.) Returns how many rows of the batch it
// found.
base::Result<size_t> SqliteSyncBatchWriter::GuessNextContacts(const std::vector<SyncRow>& rows,
                                                              size_t count,
                                                              const BatchAddresses& addresses,
                                                              std::vector<char>& found,
                                                              std::vector<BatchContact>& contacts) {
  guessed_.clear();
  const int64_t after = next_guess_after_;
  int64_t last_id = after;
  {
    CS_ASSIGN_OR_RETURN(CachedStatement scan,
                        db_.Cached("SELECT email_key, id, bounced, ever_unsubscribed FROM "
                                   "contacts WHERE id > ?1 ORDER BY id LIMIT ?2"));
    scan->Bind(1, after).Bind(2, static_cast<int64_t>(count));
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, scan->Step());
      if (!row) break;
      last_id = scan->ColumnInt64(1);
      const std::optional<size_t> first = addresses.FirstRowWithKey(rows, scan->ColumnTextView(0));
      if (!first) continue;
      ReadContact(*scan, 1, /*details=*/false, contacts[*first]);
      found[*first] = 1;
      guessed_.emplace_back(last_id, *first);
      next_guess_after_ = std::max(next_guess_after_, last_id);
    }
  }
  if (guessed_.empty()) return size_t{0};
  // Walks the subscriptions (ascending contact ids) alongside guessed_.
  CS_ASSIGN_OR_RETURN(CachedStatement statuses,
                      db_.Cached("SELECT contact_id, status, CASE WHEN sync_id = ?4 THEN "
                                 "sync_hash END FROM subscriptions WHERE contact_id > ?1 AND "
                                 "contact_id <= ?2 AND +list_id = ?3 ORDER BY contact_id"));
  statuses->Bind(1, after).Bind(2, last_id).Bind(3, list_.id).Bind(4, options().sync_id);
  size_t next = 0;
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, statuses->Step());
    if (!row) break;
    const int64_t id = statuses->ColumnInt64(0);
    while (next < guessed_.size() && guessed_[next].first < id) ++next;
    if (next == guessed_.size()) break;
    if (guessed_[next].first != id) continue;
    BatchContact& existing = contacts[guessed_[next].second];
    CS_RETURN_IF_ERROR(ReadStatus(*statuses, 1, existing));
    ReadHash(*statuses, 2, existing);
  }
  return guessed_.size();
}

base::Status SqliteSyncBatchWriter::LoadDetails(BatchContact& contact) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db_.Cached("SELECT email, first_name, last_name, phone FROM contacts WHERE id = ?1"));
  query->Bind(1, contact.id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return base::Internal("a contact found in this batch is gone");
  contact.email.assign(query->ColumnTextView(0));
  contact.first_name.assign(query->ColumnTextView(1));
  contact.last_name.assign(query->ColumnTextView(2));
  contact.phone.assign(query->ColumnTextView(3));
  return base::Status::Ok();
}

base::Status SqliteSyncBatchWriter::LoadFieldsJson(int64_t contact_id, std::string& json) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db_.Cached("SELECT fields FROM contacts WHERE id = ?1"));
  query->Bind(1, contact_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return base::Internal("a contact found in this batch is gone");
  json.assign(query->ColumnTextView(0));  // NULL reads as ""
  return base::Status::Ok();
}

base::Result<int64_t> SqliteSyncBatchWriter::InsertContact(const NewContactWrite& contact) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO contacts (email, email_key, first_name, last_name, phone, "
                 "bounced, ever_unsubscribed, created_at, updated_at, last_change_cause, "
                 "last_change_detail, fields) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?7, ?8, ?9, "
                 "?10)"));
  const SyncRow& row = contact.row;
  const auto text = [](const std::optional<std::string>& value) {
    return value ? std::string_view(*value) : std::string_view();
  };
  insert->Bind(1, row.email)
      .Bind(2, row.email_key)
      .Bind(3, text(row.first_name))
      .Bind(4, text(row.last_name))
      .Bind(5, text(row.phone))
      .Bind(6, int64_t{contact.ever_unsubscribed ? 1 : 0})
      .Bind(7, now_ms_)
      .Bind(8, model::CauseKindName(options().cause.kind))
      .Bind(9, options().cause.detail);
  BindContactFields(*insert, 10, contact.fields_json);
  CS_RETURN_IF_ERROR(insert->Run());
  if (only_run_contacts_) run_keys_.Add(row.email_key);
  return db_.LastInsertRowId();
}

base::Status SqliteSyncBatchWriter::UpdateContact(const ContactUpdate& update) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement statement,
      db_.Cached("UPDATE contacts SET first_name = ?2, last_name = ?3, phone = ?4, "
                 "ever_unsubscribed = ?5, updated_at = ?6, last_change_cause = ?7, "
                 "last_change_detail = ?8, fields = CASE WHEN ?10 THEN ?9 ELSE fields END "
                 "WHERE id = ?1"));
  statement->Bind(1, update.id)
      .Bind(2, update.first_name)
      .Bind(3, update.last_name)
      .Bind(4, update.phone)
      .Bind(5, int64_t{update.ever_unsubscribed ? 1 : 0})
      .Bind(6, now_ms_)
      .Bind(7, model::CauseKindName(options().cause.kind))
      .Bind(8, options().cause.detail)
      .Bind(10, int64_t{update.fields_changed ? 1 : 0});
  BindContactFields(*statement, 9, update.fields_changed ? update.fields_json : "");
  return statement->Run();
}

// Status, cause and a history row together, exactly as SaveContact writes
// them (with the hash, when given), and the mail the change causes
// (mail_queue.h).
base::Status SqliteSyncBatchWriter::EnterList(int64_t contact_id, SubscriptionStatus status,
                                              std::optional<int64_t> hash) {
  std::optional<SyncHash> sync_hash;
  if (hash) sync_hash = SyncHash{options().sync_id, *hash};
  CS_RETURN_IF_ERROR(ChangeSubscription(db_, contact_id, list_, std::nullopt, status,
                                        options().cause, now_ms_, sync_hash, &join_ids_));
  return QueueMailForChange(db_, contact_id, list_, std::nullopt, status,
                            options().send_autoresponders, now_ms_);
}

base::Status SqliteSyncBatchWriter::WriteHash(int64_t contact_id, int64_t hash) {
  CS_ASSIGN_OR_RETURN(CachedStatement update,
                      db_.Cached("UPDATE subscriptions SET sync_id = ?3, sync_hash = ?4 "
                                 "WHERE contact_id = ?1 AND list_id = ?2"));
  update->Bind(1, contact_id).Bind(2, list_.id).Bind(3, options().sync_id).Bind(4, hash);
  return update->Run();
}

base::Status SqliteSyncBatchWriter::InsertExclusion(const std::string& pattern) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO exclusions (pattern, list_id, created_at) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT DO NOTHING"));
  insert->Bind(1, pattern).Bind(2, list_.id).Bind(3, now_ms_);
  return insert->Run();
}

base::Status SqliteSyncBatchWriter::InsertRunFailures(const std::vector<RunFailure>& failures) {
  if (transaction_) return sqlite::InsertRunFailures(db_, options().run_id, failures);
  return InTransaction(db_, TransactionKind::kWrite,
                       [&] { return sqlite::InsertRunFailures(db_, options().run_id, failures); });
}

base::Result<DeletionOutcome> SqliteSyncBatchWriter::InDeletionTransaction(
    const std::function<base::Result<DeletionOutcome>()>& body) {
  const TransactionKind kind = options().dry_run ? TransactionKind::kRead : TransactionKind::kWrite;
  now_ms_ = base::UnixMillis(clock_.Now());
  return InTransaction(db_, kind, body);
}

base::Result<int64_t> SqliteSyncBatchWriter::CountListSubscriptions() {
  CS_ASSIGN_OR_RETURN(CachedStatement count,
                      db_.Cached("SELECT count(*) FROM subscriptions WHERE list_id = ?1"));
  count->Bind(1, list_.id);
  CS_ASSIGN_OR_RETURN(const bool row, count->Step());
  return row ? count->ColumnInt64(0) : 0;
}

base::Status SqliteSyncBatchWriter::ListNotSelected(std::vector<DeletionCandidate>& candidates) {
  // The statuses are DeletionMayRemove's (sync_batch_rules.h). A contact the
  // run saw is in the bitmap; the TEMP table holds addresses seen without a
  // contact (and those of contacts past the bitmap).
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db_.Cached("SELECT c.id, c.email_key, s.status FROM subscriptions s "
                 "JOIN contacts c ON c.id = s.contact_id WHERE s.list_id = ?1 "
                 "AND s.status IN ('active', 'unconfirmed') AND NOT EXISTS "
                 "(SELECT 1 FROM temp.cs_sync_seen t WHERE t.email_key = c.email_key)"));
  query->Bind(1, list_.id);
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Status::Ok();
    const int64_t id = query->ColumnInt64(0);
    if (IdSeen(id)) continue;
    CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(query->ColumnTextView(2)));
    candidates.push_back({id, query->ColumnText(1), status});
  }
}

base::Result<bool> SqliteSyncBatchWriter::RemoveFromList(const DeletionCandidate& candidate) {
  // The join entry first, then the removal (sqlite_queries.h): history outlives the row.
  CS_RETURN_IF_ERROR(RemoveSubscription(db_, candidate.contact_id, list_, candidate.status,
                                        options().cause, now_ms_));
  // DeletesOrphanContact (sync_batch_rules.h), checked in the statement.
  CS_ASSIGN_OR_RETURN(
      CachedStatement orphan,
      db_.Cached("DELETE FROM contacts WHERE id = ?1 AND bounced = 0 AND "
                 "ever_unsubscribed = 0 AND NOT EXISTS (SELECT 1 FROM subscriptions s "
                 "WHERE s.contact_id = ?1) AND NOT EXISTS (SELECT 1 FROM exclusions e "
                 "WHERE e.pattern = ?2)"));
  orphan->Bind(1, candidate.contact_id).Bind(2, candidate.email_key);
  CS_RETURN_IF_ERROR(orphan->Run());
  return db_.Changes() > 0;
}

}  // namespace

base::Result<std::unique_ptr<SyncBatchWriter>> SqliteStore::OpenSyncBatchWriter(
    const SyncBatchOptions& options) {
  CS_RETURN_IF_ERROR(CheckCause(options.cause));
  // The store connection's settings for a run, and their trade-offs
  // (issue 7; the connection-wide ones are in sqlite_store.cpp,
  // ConfigureConnection):
  // - cache_size: a run looks up every contact by its key; with SQLite's
  //   default 2 MiB page cache a large store re-reads index pages from the
  //   file for each row. 32 MiB (main) + 8 MiB (the TEMP table of addresses
  //   seen without a contact) keeps the upper index levels and the pages of
  //   the current stretch hot, and peak memory flat whatever the store's
  //   size; a larger cache helps a fresh sync a little (fewer re-reads of
  //   the random-order email index) at 1:1 cost in resident memory.
  // - synchronous = NORMAL (connection-wide) with WAL: a commit does not
  //   wait for the disk; a power loss may lose the last commits, never
  //   corrupt the file or half-write one; a crashed run is redone by the
  //   next. FULL would fsync every commit for no gain to a re-runnable sync.
  // - Group commit (SyncBatchOptions::group_commit, engine commit_rows and
  //   commit_interval) instead of a larger wal_autocheckpoint: checkpoints
  //   fsync; fewer, larger transactions mean fewer of them, and the WAL
  //   stays bounded by one commit's pages.
  // - temp_store stays FILE: the TEMP table is small for a run (addresses
  //   without a contact), but for a Test of a new table it holds every
  //   address, which in memory would grow with the table.
  // - mmap_size stays 0: mapped store pages count in the process's resident
  //   memory (the whole store, after a re-sync reads it all), and an I/O
  //   error would arrive as SIGBUS instead of a status.
  CS_RETURN_IF_ERROR(db_.Exec("PRAGMA main.cache_size = -32768; PRAGMA temp.cache_size = -8192"));
  CS_RETURN_IF_ERROR(db_.Exec(
      "CREATE TEMP TABLE IF NOT EXISTS cs_sync_seen (email_key TEXT PRIMARY KEY) WITHOUT ROWID"));
  CS_RETURN_IF_ERROR(db_.Exec("DELETE FROM temp.cs_sync_seen"));
  return InTransaction(
      db_, TransactionKind::kRead, [&]() -> base::Result<std::unique_ptr<SyncBatchWriter>> {
        CS_ASSIGN_OR_RETURN(ListRef list, RequireList(db_, options.list));
        CS_ASSIGN_OR_RETURN(std::vector<CustomField> fields, LoadFields(db_));
        // A first import: see the top of this file.
        bool first_import = false;
        if (options.group_commit && !options.dry_run &&
            options.status != SyncEntryStatus::kExcluded) {
          CS_ASSIGN_OR_RETURN(first_import, StoreHasNoContacts(db_));
        }
        return std::unique_ptr<SyncBatchWriter>(new SqliteSyncBatchWriter(
            db_, clock_, options, std::move(list), std::move(fields), first_import));
      });
}

}  // namespace contactsync::store::sqlite
