// SqliteContactStore: the sync engine's batch writer (contact_store.h,
// SyncBatchWriter).
//
// Built for throughput (issue 7): every statement is prepared once and
// cached; a batch is one BEGIN IMMEDIATE transaction; one indexed look-up per
// row finds the contact, its subscription on the list and the hash of the
// values this sync last wrote, so an unchanged row costs one read and no
// write. The rules are the store's (store_rules.h: DecideSubscription,
// CheckContactText, Excluded; model: NormalizeFieldValue, ExclusionMatches),
// the same SaveContact applies, plus SPEC §4's stricter sync rules (a
// bounced or unsubscribed contact fails the row instead of being skipped).
//
// The addresses seen by the run live in a TEMP table of this connection, so
// duplicate detection and delete_not_affected cost no memory per row.

#include <algorithm>
#include <unordered_map>

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

// FNV-1a over the synced values with a separator and presence byte per value,
// so that ("ab","") and ("a","b") or absent and empty hash differently.
class Hasher {
 public:
  void Add(std::string_view bytes) {
    for (const char c : bytes) Byte(static_cast<unsigned char>(c));
    Byte(0xff);
  }
  void AddOptional(const std::optional<std::string>& value) {
    Byte(value ? 1 : 0);
    if (value) Add(*value);
  }
  void AddInt(int64_t value) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>(value >> (8 * i)));
  }
  int64_t value() const { return static_cast<int64_t>(hash_); }

 private:
  void Byte(unsigned char b) {
    hash_ ^= b;
    hash_ *= 0x100000001b3ULL;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
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
    const TransactionKind kind =
        options_.dry_run ? TransactionKind::kRead : TransactionKind::kWrite;
    return InTransaction(db_, kind, [&]() -> base::Status {
      now_ = base::FormatIso8601Utc(clock_.Now());
      CS_RETURN_IF_ERROR(LoadExclusions());
      for (size_t i = 0; i < count; ++i) {
        SyncRowOutcome& outcome = outcomes[i];
        outcome.result = SyncRowResult::kNone;
        outcome.reason.clear();
        outcome.message.clear();
        CS_RETURN_IF_ERROR(WriteRow(rows[i], outcome));
      }
      return base::Status::Ok();
    });
  }

  base::Result<DeletionOutcome> DeleteNotSelected(double max_fraction) override;

 private:
  base::Status LoadExclusions();
  base::Status WriteRow(SyncRow& row, SyncRowOutcome& outcome);
  base::Result<bool> MarkSeen(const std::string& key);
  base::Result<std::optional<Existing>> Lookup(const std::string& key);
  int64_t HashOf(const SyncRow& row, const std::vector<const CustomField*>& row_fields) const;
  base::Status WriteHash(int64_t contact_id, int64_t hash);
  base::Status WriteSubscription(int64_t contact_id, std::optional<SubscriptionStatus> from,
                                 SubscriptionStatus to);

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
  std::string now_;
  // Per-row scratch, reused.
  ContactInput scratch_input_;
  std::vector<const CustomField*> row_fields_;
  std::unordered_map<int64_t, std::string> stored_values_;
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

base::Result<bool> SqliteSyncBatchWriter::MarkSeen(const std::string& key) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db_.Cached("INSERT INTO temp.cs_sync_seen (email_key) VALUES (?1) ON CONFLICT DO NOTHING"));
  insert->Bind(1, key);
  CS_RETURN_IF_ERROR(insert->Run());
  return db_.Changes() == 1;
}

base::Result<std::optional<Existing>> SqliteSyncBatchWriter::Lookup(const std::string& key) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db_.Cached("SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.bounced, "
                 "c.ever_unsubscribed, s.status, h.hash FROM contacts c "
                 "LEFT JOIN subscriptions s ON s.contact_id = c.id AND s.list_id = ?2 "
                 "LEFT JOIN sync_hashes h ON h.contact_id = c.id AND h.sync_id = ?3 "
                 "WHERE c.email_key = ?1"));
  query->Bind(1, key).Bind(2, list_.id).Bind(3, options_.sync_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<Existing>();
  Existing existing;
  existing.id = query->ColumnInt64(0);
  existing.email = query->ColumnText(1);
  existing.first_name = query->ColumnText(2);
  existing.last_name = query->ColumnText(3);
  existing.phone = query->ColumnText(4);
  existing.bounced = query->ColumnInt64(5) != 0;
  existing.ever_unsubscribed = query->ColumnInt64(6) != 0;
  if (!query->ColumnIsNull(7)) {
    CS_ASSIGN_OR_RETURN(existing.status, StoredStatus(query->ColumnText(7)));
  }
  if (!query->ColumnIsNull(8)) existing.hash = query->ColumnInt64(8);
  return std::optional<Existing>(std::move(existing));
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

base::Status SqliteSyncBatchWriter::WriteHash(int64_t contact_id, int64_t hash) {
  if (options_.sync_id == 0) return base::Status::Ok();
  CS_ASSIGN_OR_RETURN(CachedStatement upsert,
                      db_.Cached("INSERT INTO sync_hashes (contact_id, sync_id, hash) "
                                 "VALUES (?1, ?2, ?3) ON CONFLICT (contact_id, sync_id) "
                                 "DO UPDATE SET hash = excluded.hash"));
  upsert->Bind(1, contact_id).Bind(2, options_.sync_id).Bind(3, hash);
  return upsert->Run();
}

// Status, cause and a history row together, exactly as SaveContact writes
// them, and the mail the change causes (mail_queue.h).
base::Status SqliteSyncBatchWriter::WriteSubscription(int64_t contact_id,
                                                      std::optional<SubscriptionStatus> from,
                                                      SubscriptionStatus to) {
  CS_RETURN_IF_ERROR(ChangeSubscription(db_, contact_id, list_, from, to, options_.cause, now_));
  return QueueMailForChange(db_, contact_id, list_, from, to, options_.send_autoresponders, now_);
}

base::Status SqliteSyncBatchWriter::WriteRow(SyncRow& row, SyncRowOutcome& outcome) {
  CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(row.email_key));
  if (row.failed) return base::Status::Ok();  // the mapping's failure stands
  if (!first) {
    Fail(outcome, kReasonDuplicate,
         fmt::format("{} appeared earlier in this run; the first row wins", row.email));
    return base::Status::Ok();
  }

  if (options_.status == SyncEntryStatus::kExcluded) {
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

  // The store's own input rules, whoever produced the row. (The scratch
  // input keeps its buffers from row to row.)
  ContactInput& text = scratch_input_;
  text.first_name = row.first_name;
  text.last_name = row.last_name;
  text.phone = row.phone;
  if (base::Status valid = CheckContactText(text); !valid.ok()) {
    Fail(outcome, kReasonFieldInvalid, valid.message());
    return base::Status::Ok();
  }
  row_fields_.clear();
  for (auto& [key, value] : row.fields) {
    const auto field = by_key_.find(key);
    if (field == by_key_.end()) {
      Fail(outcome, kReasonFieldInvalid, FieldNotFound(key).message());
      return base::Status::Ok();
    }
    base::Result<std::string> normal = model::NormalizeFieldValue(field->second->definition, value);
    if (!normal.ok()) {
      Fail(outcome, kReasonFieldInvalid, normal.status().message());
      return base::Status::Ok();
    }
    value = std::move(normal).value();
    if (value.empty() && field->second->definition.required) {
      Fail(outcome, kReasonRequired, fmt::format("field {} is required but blank", key));
      return base::Status::Ok();
    }
    row_fields_.push_back(field->second);
  }
  for (const std::string& pattern : exclusions_) {
    if (model::ExclusionMatches(pattern, row.email_key)) {
      Fail(outcome, kReasonExcluded, Excluded(row.email, list_.name, pattern).message());
      return base::Status::Ok();
    }
  }

  const SubscriptionStatus requested =
      options_.status == SyncEntryStatus::kActive        ? SubscriptionStatus::kActive
      : options_.status == SyncEntryStatus::kUnconfirmed ? SubscriptionStatus::kUnconfirmed
                                                         : SubscriptionStatus::kUnsubscribed;
  CS_ASSIGN_OR_RETURN(std::optional<Existing> existing, Lookup(row.email_key));
  const int64_t hash = HashOf(row, row_fields_);

  if (!existing) {
    for (const CustomField& field : fields_) {
      if (!field.definition.required) continue;
      const bool given = std::any_of(row.fields.begin(), row.fields.end(), [&](const auto& kv) {
        return kv.first == field.definition.key && !kv.second.empty();
      });
      if (!given) {
        Fail(outcome, kReasonRequired,
             fmt::format("custom field {} is required", field.definition.key));
        return base::Status::Ok();
      }
    }
    const SubscriptionRequest request{.email = row.email,
                                      .list_name = list_.name,
                                      .contact_bounced = false,
                                      .current = std::nullopt,
                                      .requested = requested,
                                      .mode = SubscribeMode::kNormal};
    CS_ASSIGN_OR_RETURN(const SubscriptionDecision decision, DecideSubscription(request));
    outcome.result = SyncRowResult::kAdded;
    if (options_.dry_run) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db_.Cached("INSERT INTO contacts (email, email_key, first_name, last_name, phone, "
                   "bounced, ever_unsubscribed, created_at, updated_at, last_change_cause, "
                   "last_change_detail) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?7, ?8, ?9)"));
    insert->Bind(1, row.email)
        .Bind(2, row.email_key)
        .Bind(3, row.first_name.value_or(""))
        .Bind(4, row.last_name.value_or(""))
        .Bind(5, row.phone.value_or(""))
        .Bind(6, int64_t{decision.set_ever_unsubscribed ? 1 : 0})
        .Bind(7, now_)
        .Bind(8, model::CauseKindName(options_.cause.kind))
        .Bind(9, options_.cause.detail);
    CS_RETURN_IF_ERROR(insert->Run());
    const int64_t id = db_.LastInsertRowId();
    for (size_t i = 0; i < row.fields.size(); ++i) {
      if (row.fields[i].second.empty()) continue;
      CS_RETURN_IF_ERROR(WriteFieldValue(db_, id, row_fields_[i]->id, row.fields[i].second));
    }
    CS_RETURN_IF_ERROR(WriteSubscription(id, std::nullopt, decision.status));
    return WriteHash(id, hash);
  }

  // SPEC §4: a sync never re-subscribes a contact that bounced or left the
  // list; the row fails and says so.
  if (existing->bounced || existing->status == SubscriptionStatus::kBounced) {
    Fail(outcome, kReasonBounced,
         fmt::format("{} bounced; a sync never subscribes it again", existing->email));
    return base::Status::Ok();
  }
  if (existing->status == SubscriptionStatus::kUnsubscribed &&
      requested != SubscriptionStatus::kUnsubscribed) {
    Fail(outcome, kReasonUnsubscribed,
         fmt::format("{} unsubscribed from list '{}'; a sync never subscribes it again",
                     existing->email, base::Printable(list_.name)));
    return base::Status::Ok();
  }

  const bool on_list = existing->status.has_value();
  if (on_list && !options_.update_existing) {
    outcome.result = SyncRowResult::kSkipped;
    return base::Status::Ok();
  }
  std::optional<SubscriptionDecision> decision;
  if (!on_list) {
    const SubscriptionRequest request{.email = existing->email,
                                      .list_name = list_.name,
                                      .contact_bounced = existing->bounced,
                                      .current = std::nullopt,
                                      .requested = requested,
                                      .mode = SubscribeMode::kNormal};
    CS_ASSIGN_OR_RETURN(decision, DecideSubscription(request));
  }

  // Which synced values differ from the stored ones (update_existing only).
  bool contact_changed = false;
  bool values_known_equal = false;
  if (options_.update_existing) {
    if (existing->hash == hash) {
      values_known_equal = true;
    } else {
      const auto differs = [](const std::optional<std::string>& given, const std::string& stored) {
        return given && *given != stored;
      };
      contact_changed = differs(row.first_name, existing->first_name) ||
                        differs(row.last_name, existing->last_name) ||
                        differs(row.phone, existing->phone);
      stored_values_.clear();
      if (!row.fields.empty()) {
        CS_ASSIGN_OR_RETURN(CachedStatement values,
                            db_.Cached("SELECT field_id, value FROM contact_field_values "
                                       "WHERE contact_id = ?1"));
        values->Bind(1, existing->id);
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
      if (current == row.fields[i].second) continue;
      values_changed = true;
      if (!options_.dry_run) {
        CS_RETURN_IF_ERROR(
            WriteFieldValue(db_, existing->id, row_fields_[i]->id, row.fields[i].second));
      }
    }
  }
  const bool set_unsubscribed_flag =
      decision && decision->set_ever_unsubscribed && !existing->ever_unsubscribed;
  if (!options_.dry_run && (contact_changed || values_changed || set_unsubscribed_flag)) {
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE contacts SET first_name = ?2, last_name = ?3, phone = ?4, "
                   "ever_unsubscribed = ?5, updated_at = ?6, last_change_cause = ?7, "
                   "last_change_detail = ?8 WHERE id = ?1"));
    const bool update_text = options_.update_existing;
    update->Bind(1, existing->id)
        .Bind(2, update_text && row.first_name ? *row.first_name : existing->first_name)
        .Bind(3, update_text && row.last_name ? *row.last_name : existing->last_name)
        .Bind(4, update_text && row.phone ? *row.phone : existing->phone)
        .Bind(5, int64_t{existing->ever_unsubscribed || set_unsubscribed_flag ? 1 : 0})
        .Bind(6, now_)
        .Bind(7, model::CauseKindName(options_.cause.kind))
        .Bind(8, options_.cause.detail);
    CS_RETURN_IF_ERROR(update->Run());
  }
  if (!options_.dry_run && decision && decision->changed) {
    CS_RETURN_IF_ERROR(WriteSubscription(existing->id, std::nullopt, decision->status));
  }
  // The stored values now equal the row's (when this sync may write them):
  // remember their hash, unless it is already there.
  if (!options_.dry_run && options_.update_existing &&
      (contact_changed || values_changed || set_unsubscribed_flag || existing->hash != hash)) {
    CS_RETURN_IF_ERROR(WriteHash(existing->id, hash));
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
      // keeps a later run from subscribing the address again.
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
        CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(query->ColumnText(2)));
        candidates.push_back({query->ColumnInt64(0), query->ColumnText(1), status});
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
    now_ = base::FormatIso8601Utc(clock_.Now());
    for (const Candidate& candidate : candidates) {
      {
        CS_ASSIGN_OR_RETURN(
            CachedStatement remove,
            db_.Cached("DELETE FROM subscriptions WHERE contact_id = ?1 AND list_id = ?2"));
        remove->Bind(1, candidate.id).Bind(2, list_.id);
        CS_RETURN_IF_ERROR(remove->Run());
      }
      {
        CS_ASSIGN_OR_RETURN(
            CachedStatement history,
            db_.Cached(
                "INSERT INTO subscription_history (contact_id, list_name, from_status, "
                "to_status, cause, cause_detail, at) VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)"));
        history->Bind(1, candidate.id)
            .Bind(2, list_.name)
            .Bind(3, SubscriptionStatusName(candidate.status))
            .Bind(4, model::CauseKindName(options_.cause.kind))
            .Bind(5, options_.cause.detail)
            .Bind(6, now_);
        CS_RETURN_IF_ERROR(history->Run());
      }
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

base::Result<std::unique_ptr<SyncBatchWriter>> SqliteContactStore::OpenSyncBatchWriter(
    const SyncBatchOptions& options) {
  CS_RETURN_IF_ERROR(CheckCause(options.cause));
  // A run looks up every contact by its key: with SQLite's default 2 MiB
  // page cache, a large store re-reads index pages from the file for each
  // row. 32 MiB (main) + 8 MiB (the TEMP table of seen keys) keeps the
  // indexes hot and peak memory flat whatever the table size.
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
