// SqliteStore: the sync engine's batch writer (sync_store.h,
// SyncBatchWriter).
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
// fresh sync of 1M rows once, a fifth of its time; issue 7). The rules are the store's
// (store_rules.h: DecideSubscription, CheckContactText, Excluded; model: NormalizeFieldValue,
// ExclusionMatches), the same SaveContact applies, plus docs/spec.md §4's stricter sync rules (a
// bounced or unsubscribed contact fails the row instead of being skipped).
//
// The addresses seen by the run: a bitmap of contact ids for addresses that
// have a contact (one bit per contact), and a TEMP table of this connection
// for the few that have none (failed rows, a Test's new addresses), so
// duplicate detection and delete_not_affected cost no memory per row of the
// source and no random TEMP B-tree write per contact.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "base/text.h"
#include "model/exclusion.h"
#include "store/sqlite/mail_queue.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

using model::SubscriptionStatusName;

constexpr std::string_view kReasonExcluded = "excluded";
constexpr std::string_view kReasonUnsubscribed = "previously_unsubscribed";
constexpr std::string_view kReasonBounced = "bounced";
constexpr std::string_view kReasonDuplicate = "duplicate_in_source";
constexpr std::string_view kReasonFieldInvalid = "field_invalid";
constexpr std::string_view kReasonEmailInvalid = "email_invalid";
constexpr std::string_view kReasonRequired = "required_field_missing";

// A 64-bit hash of the synced values, eight bytes at a step (byte-wise
// FNV-1a was a tenth of an unchanged re-sync's writer time). Every value
// goes in with its length and absent ones with a presence word, so that
// ("ab","") and ("a","b") or absent and empty hash differently. Stored
// hashes made by an older function only cost one full comparison per
// contact: they never match, and the run stores the new ones.
class Hasher {
 public:
  void Add(std::string_view bytes) {
    Word(bytes.size());
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
      uint64_t word;
      std::memcpy(&word, bytes.data() + i, sizeof word);
      Word(word);
    }
    if (i < bytes.size()) {
      uint64_t word = 0;
      std::memcpy(&word, bytes.data() + i, bytes.size() - i);
      Word(word);
    }
  }
  void AddOptional(const std::optional<std::string>& value) {
    Word(value ? 1 : 0);
    if (value) Add(*value);
  }
  void AddInt(int64_t value) { Word(static_cast<uint64_t>(value)); }
  int64_t value() const {
    uint64_t h = hash_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<int64_t>(h);
  }

 private:
  void Word(uint64_t word) {
    hash_ = (hash_ ^ word) * 0xbf58476d1ce4e5b9ULL;
    hash_ ^= hash_ >> 31;
  }
  uint64_t hash_ = 0x9e3779b97f4a7c15ULL;
};

struct Existing {
  int64_t id = 0;
  std::string email;
  std::string first_name;
  std::string last_name;
  std::string phone;
  bool bounced = false;
  bool ever_unsubscribed = false;
  std::optional<SubscriptionStatus> status;
  std::optional<int64_t> hash;
  bool details = false;  // email .. phone read (LoadDetails)
};

class SqliteSyncBatchWriter final : public SyncBatchWriter {
 public:
  SqliteSyncBatchWriter(Database& db, const base::Clock& clock, SyncBatchOptions options,
                        ListRef list, std::vector<CustomField> fields)
      : db_(db),
        clock_(clock),
        options_(std::move(options)),
        list_(std::move(list)),
        fields_(std::move(fields)) {
    for (const CustomField& field : fields_) by_key_.emplace(field.definition.key, &field);
  }

  base::Status Write(std::vector<SyncRow>& rows, size_t count,
                     std::vector<SyncRowOutcome>& outcomes) override {
    count = std::min(count, rows.size());
    outcomes.resize(count);
    if (!transaction_) {
      const TransactionKind kind =
          options_.dry_run ? TransactionKind::kRead : TransactionKind::kWrite;
      CS_ASSIGN_OR_RETURN(Transaction begun, Transaction::Begin(db_, kind));
      transaction_.emplace(std::move(begun));
    }
    base::Status status = WriteRows(rows, count, outcomes);
    if (!status.ok()) {
      transaction_.reset();  // rolls back everything since the last commit
      return status;
    }
    return options_.group_commit ? base::Status::Ok() : Commit();
  }

  base::Status Commit() override {
    if (!transaction_) return base::Status::Ok();
    Transaction transaction = std::move(*transaction_);
    transaction_.reset();
    return transaction.Commit();
  }

  base::Result<DeletionOutcome> DeleteNotSelected(double max_fraction) override;

 private:
  base::Status WriteRows(std::vector<SyncRow>& rows, size_t count,
                         std::vector<SyncRowOutcome>& outcomes) {
    const base::TimePoint now = clock_.Now();
    now_ = base::FormatIso8601Utc(now);
    now_ms_ = base::UnixMillis(now);
    CS_RETURN_IF_ERROR(LoadExclusions());
    if (options_.status != SyncEntryStatus::kExcluded) CS_RETURN_IF_ERROR(Prefetch(rows, count));
    for (size_t i = 0; i < count; ++i) {
      SyncRowOutcome& outcome = outcomes[i];
      outcome.result = SyncRowResult::kNone;
      outcome.reason.clear();
      outcome.message.clear();
      CS_RETURN_IF_ERROR(WriteRow(rows[i], i, outcome));
    }
    return base::Status::Ok();
  }
  // Looks up the contacts of all `count` rows in one statement (see
  // Prefetch in the .cpp) into found_, existing_ and repeated_.
  base::Status Prefetch(const std::vector<SyncRow>& rows, size_t count);
  base::Status LoadExclusions();
  // Row `index` of the batch being written (Prefetch has run).
  base::Status WriteRow(SyncRow& row, size_t index, SyncRowOutcome& outcome);
  base::Status WriteExclusionRow(SyncRow& row, SyncRowOutcome& outcome);
  base::Status FailDuplicate(const SyncRow& row, SyncRowOutcome& outcome);
  // The store's input rules; false (and `outcome` failed) when the row breaks one. Fills
  // row_fields_ and normalises the row's field values.
  bool CheckRow(SyncRow& row, SyncRowOutcome& outcome);
  SubscriptionStatus Requested() const;
  // A row whose address has no contact. Returns the new contact's id, 0 when
  // none was created (the row failed, or dry run).
  base::Result<int64_t> WriteNew(const SyncRow& row, SyncRowOutcome& outcome);
  base::Status WriteExisting(const SyncRow& row, Existing& existing, SyncRowOutcome& outcome);
  // Reads the stored text of `existing` (email, names, phone) unless it has it.
  base::Status LoadDetails(Existing& existing);
  // fields_json_ := contacts.fields for json_entries_ (field id, value), "" for none.
  void MakeFieldsJson();
  // Marks the address as seen by this run: by its contact's id when it has a
  // contact (`contact_id` > 0), otherwise by `key` in the TEMP table. True
  // when it was not seen before.
  base::Result<bool> MarkSeen(int64_t contact_id, const std::string& key);
  base::Result<bool> KeySeen(const std::string& key);  // in the TEMP table
  void SetKeyBits(std::string_view key);
  bool IdSeen(int64_t contact_id) const;
  int64_t HashOf(const SyncRow& row, const std::vector<const CustomField*>& row_fields) const;
  // The hash of an existing subscription on the list.
  base::Status WriteHash(int64_t contact_id, const SyncHash& hash);
  base::Status WriteSubscription(int64_t contact_id, std::optional<SubscriptionStatus> from,
                                 SubscriptionStatus to, std::optional<SyncHash> hash);

  static void Fail(SyncRowOutcome& outcome, std::string_view reason, std::string message) {
    outcome.result = SyncRowResult::kFailed;
    outcome.reason = std::string(reason);
    outcome.message = std::move(message);
  }

  Database& db_;
  const base::Clock& clock_;
  const SyncBatchOptions options_;
  const ListRef list_;
  const std::vector<CustomField> fields_;
  std::unordered_map<std::string, const CustomField*> by_key_;
  std::vector<std::string> exclusions_;  // patterns for the list, this batch
  std::string now_;                      // the batch's time, ISO 8601 (runs, exclusions, mail)
  int64_t now_ms_ = 0;                   // and as contacts, subscriptions and history keep it
  // Per-row scratch, reused.
  std::vector<const CustomField*> row_fields_;
  std::unordered_map<int64_t, std::string> stored_values_;
  std::vector<std::pair<int64_t, std::string_view>> json_entries_;
  std::string fields_json_;
  // Per row of the batch being written, from Prefetch: whether its address
  // has a contact (and that contact), or appeared earlier in the batch.
  std::vector<char> found_;
  std::vector<Existing> existing_;
  std::vector<char> repeated_;
  // The batch's row indexes ordered by address, then by index: a binary
  // search finds an address's first row (a hash map allocated a node per
  // row of every batch).
  std::vector<size_t> rows_by_key_;
  // The sequential guess of Prefetch (see there); (contact id, row index)
  // of the rows it found, ascending.
  base::Result<size_t> GuessNextContacts(const std::vector<SyncRow>& rows, size_t count);
  std::vector<std::pair<int64_t, size_t>> guessed_;
  // The first row of the batch with address `key`, if any.
  std::optional<size_t> FirstRowWithKey(const std::vector<SyncRow>& rows,
                                        std::string_view key) const;
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
  // The Bloom filter of KeySeen: 1 MiB, fixed (allocated at the first
  // address put in the TEMP table).
  static constexpr size_t kKeyBits = size_t{1} << 23;
  std::vector<uint64_t> key_bits_;
  // Open between Writes with group_commit; destroying it rolls back.
  std::optional<Transaction> transaction_;
};

base::Status SqliteSyncBatchWriter::LoadExclusions() {
  exclusions_.clear();
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db_.Cached("SELECT pattern FROM exclusions "
                                 "WHERE list_id IS NULL OR list_id = ?1 ORDER BY id"));
  query->Bind(1, list_.id);
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Status::Ok();
    exclusions_.push_back(query->ColumnText(0));
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
  SetKeyBits(key);
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO temp.cs_sync_seen (email_key) VALUES (?1) ON CONFLICT DO NOTHING"));
  insert->Bind(1, key);
  CS_RETURN_IF_ERROR(insert->Run());
  return db_.Changes() == 1;
}

// A Bloom filter in front of the TEMP table: most addresses without a
// contact (every row of a fresh sync) were never put there, and a clear bit
// says so without a statement. A set bit only means "ask the table".
std::array<size_t, 3> KeyBits(std::string_view key, size_t bits) {
  const uint64_t hash = std::hash<std::string_view>{}(key);
  const uint64_t second = (hash >> 32) | 1;
  return {static_cast<size_t>(hash % bits), static_cast<size_t>((hash + second) % bits),
          static_cast<size_t>((hash + 2 * second) % bits)};
}

void SqliteSyncBatchWriter::SetKeyBits(std::string_view key) {
  if (key_bits_.empty()) key_bits_.assign(kKeyBits / 64, 0);
  for (const size_t bit : KeyBits(key, kKeyBits)) key_bits_[bit / 64] |= uint64_t{1} << (bit % 64);
}

base::Result<bool> SqliteSyncBatchWriter::KeySeen(const std::string& key) {
  if (key_bits_.empty()) return false;
  for (const size_t bit : KeyBits(key, kKeyBits)) {
    if ((key_bits_[bit / 64] & (uint64_t{1} << (bit % 64))) == 0) return false;
  }
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

// `text` as a JSON string. Email keys are UTF-8 text without control
// characters, but a quoted local part may hold '"' or '\'.
void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(byte));
    } else {
      out += c;
    }
  }
  out += '"';
}

// Reads the contact columns of the current row of a look-up statement
// (from `first` on: id, bounced, ever_unsubscribed, then with `details`
// email, first_name, last_name, phone) into `existing`, without its status
// and hash.
void ReadContact(Statement& query, int first, bool details, Existing& existing) {
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

base::Status ReadStatus(Statement& query, int column, Existing& existing) {
  if (query.ColumnIsNull(column)) return base::Status::Ok();
  CS_ASSIGN_OR_RETURN(existing.status, StoredStatus(query.ColumnTextView(column)));
  return base::Status::Ok();
}

void ReadHash(Statement& query, int column, Existing& existing) {
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
base::Status SqliteSyncBatchWriter::Prefetch(const std::vector<SyncRow>& rows, size_t count) {
  found_.assign(count, 0);
  repeated_.assign(count, 0);
  if (existing_.size() < count) existing_.resize(count);
  rows_by_key_.resize(count);
  for (size_t i = 0; i < count; ++i) rows_by_key_[i] = i;
  std::sort(rows_by_key_.begin(), rows_by_key_.end(), [&](size_t a, size_t b) {
    const int order = rows[a].email_key.compare(rows[b].email_key);
    return order != 0 ? order < 0 : a < b;
  });
  for (size_t j = 1; j < count; ++j) {
    if (rows[rows_by_key_[j]].email_key == rows[rows_by_key_[j - 1]].email_key)
      repeated_[rows_by_key_[j]] = 1;
  }

  const bool guess = guess_misses_ < kGuessPatience || batches_ % kGuessRetry == 0;
  ++batches_;
  if (guess && count > 0) {
    CS_ASSIGN_OR_RETURN(const size_t hits, GuessNextContacts(rows, count));
    // Most rows of a batch found: keep guessing. (Rows without a contact,
    // like failed ones, are a few percent.)
    guess_misses_ = hits * 2 >= count ? 0 : guess_misses_ + 1;
  }

  positions_.clear();
  keys_json_.assign("[");
  for (size_t i = 0; i < count; ++i) {
    if (repeated_[i] != 0 || found_[i] != 0) continue;
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
  query->Bind(1, keys_json_).Bind(2, list_.id).Bind(3, options_.sync_id);
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Status::Ok();
    const int64_t position = query->ColumnInt64(0);
    if (position < 0 || static_cast<size_t>(position) >= positions_.size()) {
      return base::Internal("the batch look-up returned a row it was not asked for");
    }
    const size_t i = positions_[static_cast<size_t>(position)];
    ReadContact(*query, 1, /*details=*/true, existing_[i]);
    CS_RETURN_IF_ERROR(ReadStatus(*query, 8, existing_[i]));
    ReadHash(*query, 9, existing_[i]);
    found_[i] = 1;
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
                                                              size_t count) {
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
      const std::optional<size_t> first = FirstRowWithKey(rows, scan->ColumnTextView(0));
      if (!first) continue;
      ReadContact(*scan, 1, /*details=*/false, existing_[*first]);
      found_[*first] = 1;
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
  statuses->Bind(1, after).Bind(2, last_id).Bind(3, list_.id).Bind(4, options_.sync_id);
  size_t next = 0;
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, statuses->Step());
    if (!row) break;
    const int64_t id = statuses->ColumnInt64(0);
    while (next < guessed_.size() && guessed_[next].first < id) ++next;
    if (next == guessed_.size()) break;
    if (guessed_[next].first != id) continue;
    Existing& existing = existing_[guessed_[next].second];
    CS_RETURN_IF_ERROR(ReadStatus(*statuses, 1, existing));
    ReadHash(*statuses, 2, existing);
  }
  return guessed_.size();
}

std::optional<size_t> SqliteSyncBatchWriter::FirstRowWithKey(const std::vector<SyncRow>& rows,
                                                             std::string_view key) const {
  const auto it =
      std::lower_bound(rows_by_key_.begin(), rows_by_key_.end(), key,
                       [&](size_t i, std::string_view k) { return rows[i].email_key < k; });
  if (it == rows_by_key_.end() || rows[*it].email_key != key) return std::nullopt;
  return *it;
}

int64_t SqliteSyncBatchWriter::HashOf(const SyncRow& row,
                                      const std::vector<const CustomField*>& row_fields) const {
  Hasher hasher;
  hasher.AddOptional(row.first_name);
  hasher.AddOptional(row.last_name);
  hasher.AddOptional(row.phone);
  for (size_t i = 0; i < row.fields.size(); ++i) {
    hasher.AddInt(row_fields[i]->id);
    hasher.Add(row.fields[i].second);
  }
  return hasher.value();
}

base::Status SqliteSyncBatchWriter::WriteHash(int64_t contact_id, const SyncHash& hash) {
  CS_ASSIGN_OR_RETURN(CachedStatement update,
                      db_.Cached("UPDATE subscriptions SET sync_id = ?3, sync_hash = ?4 "
                                 "WHERE contact_id = ?1 AND list_id = ?2"));
  update->Bind(1, contact_id).Bind(2, list_.id).Bind(3, hash.sync_id).Bind(4, hash.hash);
  return update->Run();
}

// Status, cause and a history row together, exactly as SaveContact writes
// them (with the hash, when given), and the mail the change causes
// (mail_queue.h).
base::Status SqliteSyncBatchWriter::WriteSubscription(int64_t contact_id,
                                                      std::optional<SubscriptionStatus> from,
                                                      SubscriptionStatus to,
                                                      std::optional<SyncHash> hash) {
  CS_RETURN_IF_ERROR(
      ChangeSubscription(db_, contact_id, list_, from, to, options_.cause, now_ms_, hash));
  return QueueMailForChange(db_, contact_id, list_, from, to, options_.send_autoresponders, now_);
}

base::Status SqliteSyncBatchWriter::WriteRow(SyncRow& row, size_t index, SyncRowOutcome& outcome) {
  if (options_.status == SyncEntryStatus::kExcluded) return WriteExclusionRow(row, outcome);

  // Has this run seen the address? Earlier in this batch; or, for an address
  // with a contact, in the bitmap of contact ids (the look-up is needed
  // anyway); for one without a contact (a failed row, a Test's new address)
  // in the TEMP table.
  if (repeated_[index] != 0) {
    if (row.failed) return base::Status::Ok();  // the mapping's failure stands
    return FailDuplicate(row, outcome);
  }
  if (found_[index] != 0) {
    Existing& existing = existing_[index];
    CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(existing.id, row.email_key));
    if (row.failed) return base::Status::Ok();
    if (!first) return FailDuplicate(row, outcome);
    if (!CheckRow(row, outcome)) return base::Status::Ok();
    return WriteExisting(row, existing, outcome);
  }
  CS_ASSIGN_OR_RETURN(const bool seen, KeySeen(row.email_key));
  if (seen) {
    if (row.failed) return base::Status::Ok();
    return FailDuplicate(row, outcome);
  }
  int64_t created = 0;
  if (!row.failed && CheckRow(row, outcome)) {
    CS_ASSIGN_OR_RETURN(created, WriteNew(row, outcome));
  }
  CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(created, row.email_key));
  (void)first;  // KeySeen said so
  return base::Status::Ok();
}

base::Status SqliteSyncBatchWriter::FailDuplicate(const SyncRow& row, SyncRowOutcome& outcome) {
  Fail(outcome, kReasonDuplicate,
       fmt::format("{} appeared earlier in this run; the first row wins", row.email));
  return base::Status::Ok();
}

base::Status SqliteSyncBatchWriter::WriteExclusionRow(SyncRow& row, SyncRowOutcome& outcome) {
  CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(0, row.email_key));
  if (row.failed) return base::Status::Ok();  // the mapping's failure stands
  if (!first) return FailDuplicate(row, outcome);
  // The row's address goes onto the list's exclusion list (an address is a
  // pattern that matches only itself).
  for (const std::string& pattern : exclusions_) {
    if (model::ExclusionMatches(pattern, row.email_key)) {
      outcome.result = SyncRowResult::kUnchanged;
      return base::Status::Ok();
    }
  }
  // '*' is legal in an address but is the exclusion list's wildcard: as an
  // entry, "a*b@x.com" would also exclude "ab@x.com" and "axyzb@x.com".
  if (row.email_key.find('*') != std::string::npos) {
    Fail(outcome, kReasonEmailInvalid,
         fmt::format("{} contains '*', which the exclusion list reads as a wildcard matching "
                     "other addresses; add a pattern by hand if that is what you mean",
                     base::Printable(row.email)));
    return base::Status::Ok();
  }
  base::Result<std::string> pattern = model::NormalizeExclusionPattern(row.email_key);
  if (!pattern.ok()) {
    Fail(outcome, kReasonFieldInvalid, pattern.status().message());
    return base::Status::Ok();
  }
  if (!options_.dry_run) {
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db_.Cached("INSERT INTO exclusions (pattern, list_id, created_at) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT DO NOTHING"));
    insert->Bind(1, *pattern).Bind(2, list_.id).Bind(3, now_);
    CS_RETURN_IF_ERROR(insert->Run());
  }
  exclusions_.push_back(*pattern);
  outcome.result = SyncRowResult::kAdded;
  return base::Status::Ok();
}

bool SqliteSyncBatchWriter::CheckRow(SyncRow& row, SyncRowOutcome& outcome) {
  // The store's own input rules, whoever produced the row. (The scratch
  // input keeps its buffers from row to row.)
  if (base::Status valid = CheckContactText(row.first_name, row.last_name, row.phone);
      !valid.ok()) {
    Fail(outcome, kReasonFieldInvalid, valid.message());
    return false;
  }
  row_fields_.clear();
  for (auto& [key, value] : row.fields) {
    const auto field = by_key_.find(key);
    if (field == by_key_.end()) {
      Fail(outcome, kReasonFieldInvalid, FieldNotFound(key).message());
      return false;
    }
    base::Result<std::string> normal = model::NormalizeFieldValue(field->second->definition, value);
    if (!normal.ok()) {
      Fail(outcome, kReasonFieldInvalid, normal.status().message());
      return false;
    }
    value = std::move(normal).value();
    if (value.empty() && field->second->definition.required) {
      Fail(outcome, kReasonRequired, fmt::format("field {} is required but blank", key));
      return false;
    }
    row_fields_.push_back(field->second);
  }
  for (const std::string& pattern : exclusions_) {
    if (model::ExclusionMatches(pattern, row.email_key)) {
      Fail(outcome, kReasonExcluded, Excluded(row.email, list_.name, pattern).message());
      return false;
    }
  }
  return true;
}

SubscriptionStatus SqliteSyncBatchWriter::Requested() const {
  return options_.status == SyncEntryStatus::kActive        ? SubscriptionStatus::kActive
         : options_.status == SyncEntryStatus::kUnconfirmed ? SubscriptionStatus::kUnconfirmed
                                                            : SubscriptionStatus::kUnsubscribed;
}

base::Result<int64_t> SqliteSyncBatchWriter::WriteNew(const SyncRow& row, SyncRowOutcome& outcome) {
  for (const CustomField& field : fields_) {
    if (!field.definition.required) continue;
    const bool given = std::any_of(row.fields.begin(), row.fields.end(), [&](const auto& kv) {
      return kv.first == field.definition.key && !kv.second.empty();
    });
    if (!given) {
      Fail(outcome, kReasonRequired,
           fmt::format("custom field {} is required", field.definition.key));
      return int64_t{0};
    }
  }
  const SubscriptionRequest request{.email = row.email,
                                    .list_name = list_.name,
                                    .contact_bounced = false,
                                    .current = std::nullopt,
                                    .requested = Requested(),
                                    .mode = SubscribeMode::kNormal};
  CS_ASSIGN_OR_RETURN(const SubscriptionDecision decision, DecideSubscription(request));
  outcome.result = SyncRowResult::kAdded;
  if (options_.dry_run) return int64_t{0};
  json_entries_.clear();
  for (size_t i = 0; i < row.fields.size(); ++i) {
    json_entries_.emplace_back(row_fields_[i]->id, row.fields[i].second);
  }
  MakeFieldsJson();
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO contacts (email, email_key, first_name, last_name, phone, "
                 "bounced, ever_unsubscribed, created_at, updated_at, last_change_cause, "
                 "last_change_detail, fields) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?7, ?8, ?9, "
                 "?10)"));
  insert->Bind(1, row.email)
      .Bind(2, row.email_key)
      .Bind(3, row.first_name.value_or(""))
      .Bind(4, row.last_name.value_or(""))
      .Bind(5, row.phone.value_or(""))
      .Bind(6, int64_t{decision.set_ever_unsubscribed ? 1 : 0})
      .Bind(7, now_ms_)
      .Bind(8, model::CauseKindName(options_.cause.kind))
      .Bind(9, options_.cause.detail);
  if (fields_json_.empty()) {
    insert->BindNull(10);
  } else {
    insert->Bind(10, fields_json_);
  }
  CS_RETURN_IF_ERROR(insert->Run());
  const int64_t id = db_.LastInsertRowId();
  // The contact entered the list with decision.status, and the values hashed are the row's.
  std::optional<SyncHash> hash;
  if (options_.sync_id != 0) hash = SyncHash{options_.sync_id, HashOf(row, row_fields_)};
  CS_RETURN_IF_ERROR(WriteSubscription(id, std::nullopt, decision.status, hash));
  return id;
}

// A JSON object of the non-empty values in field id order, as the migration writes it; a
// field given twice keeps its last value.
void SqliteSyncBatchWriter::MakeFieldsJson() {
  std::stable_sort(json_entries_.begin(), json_entries_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  fields_json_.clear();
  for (size_t i = 0; i < json_entries_.size(); ++i) {
    const auto& [id, value] = json_entries_[i];
    if (value.empty() || (i + 1 < json_entries_.size() && json_entries_[i + 1].first == id)) {
      continue;
    }
    fields_json_ += fields_json_.empty() ? "{\"" : ",\"";
    fields_json_ += std::to_string(id);
    fields_json_ += "\":";
    AppendJsonString(fields_json_, value);
  }
  if (!fields_json_.empty()) fields_json_ += '}';
}

base::Status SqliteSyncBatchWriter::LoadDetails(Existing& existing) {
  if (existing.details) return base::Status::Ok();
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db_.Cached("SELECT email, first_name, last_name, phone FROM contacts WHERE id = ?1"));
  query->Bind(1, existing.id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return base::Internal("a contact found in this batch is gone");
  existing.email.assign(query->ColumnTextView(0));
  existing.first_name.assign(query->ColumnTextView(1));
  existing.last_name.assign(query->ColumnTextView(2));
  existing.phone.assign(query->ColumnTextView(3));
  existing.details = true;
  return base::Status::Ok();
}

// The contact's stored text is read (LoadDetails) only where a row needs it:
// an unchanged contact, whose hash matches, never does.
base::Status SqliteSyncBatchWriter::WriteExisting(const SyncRow& row, Existing& existing,
                                                  SyncRowOutcome& outcome) {
  // docs/spec.md §4: a sync never re-subscribes a contact that bounced or left the
  // list; the row fails and says so.
  if (existing.bounced || existing.status == SubscriptionStatus::kBounced) {
    CS_RETURN_IF_ERROR(LoadDetails(existing));
    Fail(outcome, kReasonBounced,
         fmt::format("{} bounced; a sync never subscribes it again", existing.email));
    return base::Status::Ok();
  }
  const SubscriptionStatus requested = Requested();
  if (existing.status == SubscriptionStatus::kUnsubscribed &&
      requested != SubscriptionStatus::kUnsubscribed) {
    CS_RETURN_IF_ERROR(LoadDetails(existing));
    Fail(outcome, kReasonUnsubscribed,
         fmt::format("{} unsubscribed from list '{}'; a sync never subscribes it again",
                     existing.email, base::Printable(list_.name)));
    return base::Status::Ok();
  }

  const bool on_list = existing.status.has_value();
  if (on_list && !options_.update_existing) {
    outcome.result = SyncRowResult::kSkipped;
    return base::Status::Ok();
  }
  std::optional<SubscriptionDecision> decision;
  if (!on_list) {
    CS_RETURN_IF_ERROR(LoadDetails(existing));
    const SubscriptionRequest request{.email = existing.email,
                                      .list_name = list_.name,
                                      .contact_bounced = existing.bounced,
                                      .current = std::nullopt,
                                      .requested = requested,
                                      .mode = SubscribeMode::kNormal};
    CS_ASSIGN_OR_RETURN(decision, DecideSubscription(request));
  }

  // Which synced values differ from the stored ones (update_existing only).
  // Equal hashes mean equal values: an unchanged contact costs no other read.
  const int64_t hash = HashOf(row, row_fields_);
  bool contact_changed = false;
  bool values_known_equal = false;
  if (options_.update_existing) {
    if (existing.hash == hash) {
      values_known_equal = true;
    } else {
      CS_RETURN_IF_ERROR(LoadDetails(existing));
      const auto differs = [](const std::optional<std::string>& given, const std::string& stored) {
        return given && *given != stored;
      };
      contact_changed = differs(row.first_name, existing.first_name) ||
                        differs(row.last_name, existing.last_name) ||
                        differs(row.phone, existing.phone);
      stored_values_.clear();
      if (!row.fields.empty()) {
        CS_ASSIGN_OR_RETURN(CachedStatement values,
                            db_.Cached("SELECT CAST(j.key AS INTEGER), j.value FROM contacts c, "
                                       "json_each(c.fields) j WHERE c.id = ?1"));
        values->Bind(1, existing.id);
        while (true) {
          CS_ASSIGN_OR_RETURN(const bool more, values->Step());
          if (!more) break;
          stored_values_.emplace(values->ColumnInt64(0), values->ColumnText(1));
        }
      }
    }
  }

  bool values_changed = false;
  if (options_.update_existing && !values_known_equal) {
    for (size_t i = 0; i < row.fields.size(); ++i) {
      const auto stored = stored_values_.find(row_fields_[i]->id);
      const std::string_view current =
          stored == stored_values_.end() ? std::string_view() : std::string_view(stored->second);
      if (current != row.fields[i].second) values_changed = true;
    }
  }
  if (values_changed) {
    // contacts.fields anew: the stored values, the row's over them.
    json_entries_.clear();
    for (const auto& [id, value] : stored_values_) json_entries_.emplace_back(id, value);
    for (size_t i = 0; i < row.fields.size(); ++i) {
      json_entries_.emplace_back(row_fields_[i]->id, row.fields[i].second);
    }
    MakeFieldsJson();
  }
  const bool set_unsubscribed_flag =
      decision && decision->set_ever_unsubscribed && !existing.ever_unsubscribed;
  if (!options_.dry_run && (contact_changed || values_changed || set_unsubscribed_flag)) {
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE contacts SET first_name = ?2, last_name = ?3, phone = ?4, "
                   "ever_unsubscribed = ?5, updated_at = ?6, last_change_cause = ?7, "
                   "last_change_detail = ?8, fields = CASE WHEN ?10 THEN ?9 ELSE fields END "
                   "WHERE id = ?1"));
    const bool update_text = options_.update_existing;
    update->Bind(1, existing.id)
        .Bind(2, update_text && row.first_name ? *row.first_name : existing.first_name)
        .Bind(3, update_text && row.last_name ? *row.last_name : existing.last_name)
        .Bind(4, update_text && row.phone ? *row.phone : existing.phone)
        .Bind(5, int64_t{existing.ever_unsubscribed || set_unsubscribed_flag ? 1 : 0})
        .Bind(6, now_ms_)
        .Bind(7, model::CauseKindName(options_.cause.kind))
        .Bind(8, options_.cause.detail)
        .Bind(10, int64_t{values_changed ? 1 : 0});
    if (values_changed && !fields_json_.empty()) {
      update->Bind(9, fields_json_);
    } else {
      update->BindNull(9);
    }
    CS_RETURN_IF_ERROR(update->Run());
  }
  // The stored values now equal the row's (when this sync may write them):
  // remember their hash, unless it is already there. (An update of the
  // contact above has cleared it: trigger contacts_update_forgets_sync_hashes;
  // then existing.hash, read before, differs from `hash` too.)
  std::optional<SyncHash> sync_hash;
  if (!options_.dry_run && options_.update_existing && options_.sync_id != 0 &&
      (contact_changed || values_changed || existing.hash != hash)) {
    sync_hash = SyncHash{options_.sync_id, hash};
  }
  if (!options_.dry_run && decision && decision->changed) {
    // The contact entered the list with decision->status (and the hash).
    CS_RETURN_IF_ERROR(WriteSubscription(existing.id, std::nullopt, decision->status, sync_hash));
  } else if (sync_hash) {
    CS_RETURN_IF_ERROR(WriteHash(existing.id, *sync_hash));
  }
  if (!on_list) {
    outcome.result = SyncRowResult::kAdded;
  } else if (contact_changed || values_changed) {
    outcome.result = SyncRowResult::kUpdated;
  } else {
    outcome.result = SyncRowResult::kUnchanged;
  }
  return base::Status::Ok();
}

base::Result<DeletionOutcome> SqliteSyncBatchWriter::DeleteNotSelected(double max_fraction) {
  CS_RETURN_IF_ERROR(Commit());
  const TransactionKind kind = options_.dry_run ? TransactionKind::kRead : TransactionKind::kWrite;
  return InTransaction(db_, kind, [&]() -> base::Result<DeletionOutcome> {
    DeletionOutcome outcome;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement count,
                          db_.Cached("SELECT count(*) FROM subscriptions WHERE list_id = ?1"));
      count->Bind(1, list_.id);
      CS_ASSIGN_OR_RETURN(const bool row, count->Step());
      outcome.list_size = row ? count->ColumnInt64(0) : 0;
    }
    struct Candidate {
      int64_t id;
      std::string key;
      SubscriptionStatus status;
    };
    std::vector<Candidate> candidates;
    {
      // Unsubscribed and bounced subscriptions stay: they are the record that
      // keeps a later run from subscribing the address again. A contact the
      // run saw is in the bitmap; the TEMP table holds addresses seen
      // without a contact (and those of contacts past the bitmap).
      CS_ASSIGN_OR_RETURN(
          CachedStatement query,
          db_.Cached("SELECT c.id, c.email_key, s.status FROM subscriptions s "
                     "JOIN contacts c ON c.id = s.contact_id WHERE s.list_id = ?1 "
                     "AND s.status IN ('active', 'unconfirmed') AND NOT EXISTS "
                     "(SELECT 1 FROM temp.cs_sync_seen t WHERE t.email_key = c.email_key)"));
      query->Bind(1, list_.id);
      while (true) {
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) break;
        const int64_t id = query->ColumnInt64(0);
        if (IdSeen(id)) continue;
        CS_ASSIGN_OR_RETURN(const SubscriptionStatus status,
                            StoredStatus(query->ColumnTextView(2)));
        candidates.push_back({id, query->ColumnText(1), status});
      }
    }
    outcome.not_selected = static_cast<int64_t>(candidates.size());
    if (candidates.empty()) return outcome;
    const double fraction =
        static_cast<double>(outcome.not_selected) / static_cast<double>(outcome.list_size);
    if (fraction > max_fraction) {
      outcome.refused = true;
      outcome.note = fmt::format(
          "not deleting {} of the {} contacts on list '{}' ({:.1f}%): that is more than "
          "max_delete_fraction {} allows; no contact was deleted. Check the source and the rules, "
          "or raise max_delete_fraction in the sync definition",
          outcome.not_selected, outcome.list_size, base::Printable(list_.name), fraction * 100,
          max_fraction);
      return outcome;
    }
    if (options_.dry_run) return outcome;
    now_ms_ = base::UnixMillis(clock_.Now());
    for (const Candidate& candidate : candidates) {
      CS_RETURN_IF_ERROR(
          RemoveSubscription(db_, candidate.id, list_, candidate.status, options_.cause, now_ms_));
      ++outcome.removed;
      CS_ASSIGN_OR_RETURN(
          CachedStatement orphan,
          db_.Cached("DELETE FROM contacts WHERE id = ?1 AND bounced = 0 AND "
                     "ever_unsubscribed = 0 AND NOT EXISTS (SELECT 1 FROM subscriptions s "
                     "WHERE s.contact_id = ?1) AND NOT EXISTS (SELECT 1 FROM exclusions e "
                     "WHERE e.pattern = ?2)"));
      orphan->Bind(1, candidate.id).Bind(2, candidate.key);
      CS_RETURN_IF_ERROR(orphan->Run());
      outcome.contacts_deleted += db_.Changes();
    }
    return outcome;
  });
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
        return std::unique_ptr<SyncBatchWriter>(
            new SqliteSyncBatchWriter(db_, clock_, options, std::move(list), std::move(fields)));
      });
}

}  // namespace contactsync::store::sqlite
