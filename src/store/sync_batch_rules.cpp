#include "store/sync_batch_rules.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/text.h"
#include "model/exclusion.h"
#include "store/store_rules.h"

namespace contactsync::store {
namespace {

// Eight bytes at a step (byte-wise FNV-1a was a tenth of an unchanged
// re-sync's writer time). Every value goes in with its length and absent ones
// with a presence word, so that ("ab","") and ("a","b") or absent and empty
// hash differently. Stored hashes made by an older function only cost one
// full comparison per contact: they never match, and the run stores the new
// ones.
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

void Fail(SyncRowOutcome& outcome, std::string_view reason, std::string message) {
  outcome.result = SyncRowResult::kFailed;
  outcome.reason = std::string(reason);
  outcome.message = std::move(message);
}

}  // namespace

SubscriptionStatus RequestedStatus(SyncEntryStatus entry) {
  return entry == SyncEntryStatus::kActive        ? SubscriptionStatus::kActive
         : entry == SyncEntryStatus::kUnconfirmed ? SubscriptionStatus::kUnconfirmed
                                                  : SubscriptionStatus::kUnsubscribed;
}

int64_t HashSyncedValues(const SyncRow& row, const std::vector<const CustomField*>& row_fields) {
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

DeletionDecision DecideDeletion(int64_t list_size, int64_t not_selected, double max_fraction,
                                std::string_view list_name) {
  DeletionDecision decision;
  if (not_selected <= 0 || list_size <= 0) return decision;
  const double fraction = static_cast<double>(not_selected) / static_cast<double>(list_size);
  if (fraction <= max_fraction) return decision;
  decision.refused = true;
  decision.note = fmt::format(
      "not deleting {} of the {} contacts on list '{}' ({:.1f}%): that is more than "
      "max_delete_fraction {} allows; no contact was deleted. Check the source and the rules, "
      "or raise max_delete_fraction in the sync definition",
      not_selected, list_size, base::Printable(list_name), fraction * 100, max_fraction);
  return decision;
}

bool DeletionMayRemove(SubscriptionStatus status) {
  return status == SubscriptionStatus::kActive || status == SubscriptionStatus::kUnconfirmed;
}

bool DeletesOrphanContact(const OrphanFacts& facts) {
  return !facts.has_other_subscriptions && !facts.bounced && !facts.ever_unsubscribed &&
         !facts.named_by_exclusion;
}

void BatchAddresses::Index(const std::vector<SyncRow>& rows, size_t count) {
  repeated_.assign(count, 0);
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
}

std::optional<size_t> BatchAddresses::FirstRowWithKey(const std::vector<SyncRow>& rows,
                                                      std::string_view key) const {
  const auto it =
      std::lower_bound(rows_by_key_.begin(), rows_by_key_.end(), key,
                       [&](size_t i, std::string_view k) { return rows[i].email_key < k; });
  if (it == rows_by_key_.end() || rows[*it].email_key != key) return std::nullopt;
  return *it;
}

RuleBasedSyncBatchWriter::RuleBasedSyncBatchWriter(SyncBatchOptions options, std::string list_name,
                                                   std::vector<CustomField> fields)
    : options_(std::move(options)), list_name_(std::move(list_name)), fields_(std::move(fields)) {
  for (const CustomField& field : fields_) {
    const auto& by = options_.rows_normalised_by;
    const bool normalised = std::find(by.begin(), by.end(), field.definition) != by.end();
    by_key_.emplace(field.definition.key, KnownField{&field, normalised});
  }
}

base::Status RuleBasedSyncBatchWriter::Write(std::vector<SyncRow>& rows, size_t count,
                                             std::vector<SyncRowOutcome>& outcomes) {
  count = std::min(count, rows.size());
  outcomes.resize(count);
  CS_RETURN_IF_ERROR(BeginBatch());
  base::Status status = WriteRows(rows, count, outcomes);
  if (!status.ok()) {
    AbandonBatch();
    return status;
  }
  return options_.group_commit ? base::Status::Ok() : Commit();
}

base::Status RuleBasedSyncBatchWriter::AddRunFailures(const std::vector<RunFailure>& failures) {
  if (options_.dry_run || options_.run_id == 0 || failures.empty()) return base::Status::Ok();
  return InsertRunFailures(failures);
}

base::Status RuleBasedSyncBatchWriter::WriteRows(std::vector<SyncRow>& rows, size_t count,
                                                 std::vector<SyncRowOutcome>& outcomes) {
  exclusions_.clear();
  CS_RETURN_IF_ERROR(LoadExclusions(exclusions_));
  if (options_.status != SyncEntryStatus::kExcluded) {
    addresses_.Index(rows, count);
    found_.assign(count, 0);
    if (contacts_.size() < count) contacts_.resize(count);
    CS_RETURN_IF_ERROR(LookUpContacts(rows, count, addresses_, found_, contacts_));
  }
  for (size_t i = 0; i < count; ++i) {
    SyncRowOutcome& outcome = outcomes[i];
    outcome.result = SyncRowResult::kNone;
    outcome.reason.clear();
    outcome.message.clear();
    CS_RETURN_IF_ERROR(WriteRow(rows[i], i, outcome));
  }
  return base::Status::Ok();
}

base::Status RuleBasedSyncBatchWriter::WriteRow(SyncRow& row, size_t index,
                                                SyncRowOutcome& outcome) {
  if (options_.status == SyncEntryStatus::kExcluded) return WriteExclusionRow(row, outcome);

  // Has this run seen the address? Earlier in this batch; or, for an address
  // with a contact, by its contact (the look-up is needed anyway); for one
  // without a contact (a failed row, a Test's new address) by its key. A row
  // that failed in mapping still marks its address seen, but its failure
  // stands.
  if (addresses_.Repeated(index)) {
    if (!row.failed) FailDuplicate(row, outcome);
    return base::Status::Ok();
  }
  if (found_[index] != 0) {
    BatchContact& existing = contacts_[index];
    CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(existing.id, row.email_key));
    if (row.failed) return base::Status::Ok();
    if (!first) {
      FailDuplicate(row, outcome);
      return base::Status::Ok();
    }
    if (!CheckRow(row, outcome)) return base::Status::Ok();
    return WriteExisting(row, existing, outcome);
  }
  CS_ASSIGN_OR_RETURN(const bool seen, KeySeen(row.email_key));
  if (seen) {
    if (!row.failed) FailDuplicate(row, outcome);
    return base::Status::Ok();
  }
  int64_t created = 0;
  if (!row.failed && CheckRow(row, outcome)) {
    CS_ASSIGN_OR_RETURN(created, WriteNew(row, outcome));
  }
  CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(created, row.email_key));
  (void)first;  // KeySeen said so
  return base::Status::Ok();
}

void RuleBasedSyncBatchWriter::FailDuplicate(const SyncRow& row, SyncRowOutcome& outcome) {
  Fail(outcome, kReasonDuplicateInSource,
       fmt::format("{} appeared earlier in this run; the first row wins", row.email));
}

base::Status RuleBasedSyncBatchWriter::WriteExclusionRow(SyncRow& row, SyncRowOutcome& outcome) {
  CS_ASSIGN_OR_RETURN(const bool first, MarkSeen(0, row.email_key));
  if (row.failed) return base::Status::Ok();  // the mapping's failure stands
  if (!first) {
    FailDuplicate(row, outcome);
    return base::Status::Ok();
  }
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
  if (!options_.dry_run) CS_RETURN_IF_ERROR(InsertExclusion(*pattern));
  exclusions_.push_back(*std::move(pattern));
  outcome.result = SyncRowResult::kAdded;
  return base::Status::Ok();
}

bool RuleBasedSyncBatchWriter::CheckRow(SyncRow& row, SyncRowOutcome& outcome) {
  // The store's own input rules, whoever produced the row. (The scratch
  // input keeps its buffers from row to row.)
  if (base::Status valid = CheckContactText(row.first_name, row.last_name, row.phone);
      !valid.ok()) {
    Fail(outcome, kReasonFieldInvalid, valid.message());
    return false;
  }
  row_fields_.clear();
  for (auto& [key, value] : row.fields) {
    const auto known = by_key_.find(key);
    if (known == by_key_.end()) {
      Fail(outcome, kReasonFieldInvalid, FieldNotFound(key).message());
      return false;
    }
    const CustomField& field = *known->second.field;
    if (!known->second.normalised) {
      base::Result<std::string> normal = model::NormalizeFieldValue(field.definition, value);
      if (!normal.ok()) {
        Fail(outcome, kReasonFieldInvalid, normal.status().message());
        return false;
      }
      value = std::move(normal).value();
    }
    if (value.empty() && field.definition.required) {
      Fail(outcome, kReasonRequiredFieldMissing,
           fmt::format("field {} is required but blank", key));
      return false;
    }
    row_fields_.push_back(&field);
  }
  for (const std::string& pattern : exclusions_) {
    if (model::ExclusionMatches(pattern, row.email_key)) {
      Fail(outcome, kReasonExcluded, Excluded(row.email, list_name_, pattern).message());
      return false;
    }
  }
  return true;
}

base::Result<int64_t> RuleBasedSyncBatchWriter::WriteNew(const SyncRow& row,
                                                         SyncRowOutcome& outcome) {
  for (const CustomField& field : fields_) {
    if (!field.definition.required) continue;
    const bool given = std::any_of(row.fields.begin(), row.fields.end(), [&](const auto& kv) {
      return kv.first == field.definition.key && !kv.second.empty();
    });
    if (!given) {
      Fail(outcome, kReasonRequiredFieldMissing,
           fmt::format("custom field {} is required", field.definition.key));
      return int64_t{0};
    }
  }
  const SubscriptionRequest request{.email = row.email,
                                    .list_name = list_name_,
                                    .contact_bounced = false,
                                    .current = std::nullopt,
                                    .requested = RequestedStatus(options_.status),
                                    .mode = SubscribeMode::kNormal};
  CS_ASSIGN_OR_RETURN(const SubscriptionDecision decision, DecideSubscription(request));
  outcome.result = SyncRowResult::kAdded;
  if (options_.dry_run) return int64_t{0};
  json_entries_.clear();
  for (size_t i = 0; i < row.fields.size(); ++i) {
    json_entries_.emplace_back(row_fields_[i]->id, row.fields[i].second);
  }
  EncodeContactFields(json_entries_, fields_json_);
  CS_ASSIGN_OR_RETURN(const int64_t id,
                      InsertContact({.row = row,
                                     .ever_unsubscribed = decision.set_ever_unsubscribed,
                                     .fields_json = fields_json_}));
  // The contact entered the list with decision.status, and the values hashed are the row's.
  std::optional<int64_t> hash;
  if (options_.sync_id != 0) hash = HashSyncedValues(row, row_fields_);
  CS_RETURN_IF_ERROR(EnterList(id, decision.status, hash));
  return id;
}

base::Status RuleBasedSyncBatchWriter::EnsureDetails(BatchContact& contact) {
  if (contact.details) return base::Status::Ok();
  CS_RETURN_IF_ERROR(LoadDetails(contact));
  contact.details = true;
  return base::Status::Ok();
}

base::Result<bool> RuleBasedSyncBatchWriter::CompareFieldValues(const SyncRow& row,
                                                                int64_t contact_id) {
  stored_values_.clear();
  if (row.fields.empty()) return false;
  CS_RETURN_IF_ERROR(LoadFieldsJson(contact_id, stored_json_));
  CS_RETURN_IF_ERROR(DecodeContactFields(stored_json_, stored_values_));
  bool changed = false;
  for (size_t i = 0; i < row.fields.size() && !changed; ++i) {
    const int64_t id = row_fields_[i]->id;
    const auto stored = std::find_if(stored_values_.begin(), stored_values_.end(),
                                     [&](const auto& entry) { return entry.first == id; });
    const std::string_view current =
        stored == stored_values_.end() ? std::string_view() : std::string_view(stored->second);
    changed = current != row.fields[i].second;
  }
  if (!changed) return false;
  // contacts.fields anew: the stored values, the row's over them.
  json_entries_.clear();
  for (const auto& [id, value] : stored_values_) json_entries_.emplace_back(id, value);
  for (size_t i = 0; i < row.fields.size(); ++i) {
    json_entries_.emplace_back(row_fields_[i]->id, row.fields[i].second);
  }
  EncodeContactFields(json_entries_, fields_json_);
  return true;
}

// The contact's stored text is read (LoadDetails) only where a row needs it:
// an unchanged contact, whose hash matches, never does.
base::Status RuleBasedSyncBatchWriter::WriteExisting(const SyncRow& row, BatchContact& existing,
                                                     SyncRowOutcome& outcome) {
  // docs/spec.md §4: a sync never re-subscribes a contact that bounced or left the
  // list; the row fails and says so.
  if (existing.bounced || existing.status == SubscriptionStatus::kBounced) {
    CS_RETURN_IF_ERROR(EnsureDetails(existing));
    Fail(outcome, kReasonBounced,
         fmt::format("{} bounced; a sync never subscribes it again", existing.email));
    return base::Status::Ok();
  }
  const SubscriptionStatus requested = RequestedStatus(options_.status);
  if (existing.status == SubscriptionStatus::kUnsubscribed &&
      requested != SubscriptionStatus::kUnsubscribed) {
    CS_RETURN_IF_ERROR(EnsureDetails(existing));
    Fail(outcome, kReasonPreviouslyUnsubscribed,
         fmt::format("{} unsubscribed from list '{}'; a sync never subscribes it again",
                     existing.email, base::Printable(list_name_)));
    return base::Status::Ok();
  }

  const bool on_list = existing.status.has_value();
  if (on_list && !options_.update_existing) {
    outcome.result = SyncRowResult::kSkipped;
    return base::Status::Ok();
  }
  std::optional<SubscriptionDecision> decision;
  if (!on_list) {
    CS_RETURN_IF_ERROR(EnsureDetails(existing));
    const SubscriptionRequest request{.email = existing.email,
                                      .list_name = list_name_,
                                      .contact_bounced = existing.bounced,
                                      .current = std::nullopt,
                                      .requested = requested,
                                      .mode = SubscribeMode::kNormal};
    CS_ASSIGN_OR_RETURN(decision, DecideSubscription(request));
  }

  // Which synced values differ from the stored ones (update_existing only).
  // Equal hashes mean equal values: an unchanged contact costs no other read.
  const int64_t hash = HashSyncedValues(row, row_fields_);
  bool contact_changed = false;
  bool values_changed = false;
  if (options_.update_existing && existing.hash != hash) {
    CS_RETURN_IF_ERROR(EnsureDetails(existing));
    const auto differs = [](const std::optional<std::string>& given, const std::string& stored) {
      return given && *given != stored;
    };
    contact_changed = differs(row.first_name, existing.first_name) ||
                      differs(row.last_name, existing.last_name) ||
                      differs(row.phone, existing.phone);
    CS_ASSIGN_OR_RETURN(values_changed, CompareFieldValues(row, existing.id));
  }
  const bool set_unsubscribed_flag =
      decision && decision->set_ever_unsubscribed && !existing.ever_unsubscribed;
  if (!options_.dry_run && (contact_changed || values_changed || set_unsubscribed_flag)) {
    // Without update_existing only the flag changes: the stored text stays.
    const bool update_text = options_.update_existing;
    const auto text = [&](const std::optional<std::string>& given,
                          const std::string& stored) -> std::string_view {
      return update_text && given ? *given : stored;
    };
    CS_RETURN_IF_ERROR(UpdateContact(
        {.id = existing.id,
         .first_name = text(row.first_name, existing.first_name),
         .last_name = text(row.last_name, existing.last_name),
         .phone = text(row.phone, existing.phone),
         .ever_unsubscribed = existing.ever_unsubscribed || set_unsubscribed_flag,
         .fields_changed = values_changed,
         .fields_json = values_changed ? std::string_view(fields_json_) : std::string_view()}));
  }
  // The stored values now equal the row's (when this sync may write them):
  // remember their hash, unless it is already there. (A backend's update of
  // the contact above may have cleared it, as SQLite's trigger
  // contacts_update_forgets_sync_hashes does; then existing.hash, read
  // before, differs from `hash` too.)
  std::optional<int64_t> sync_hash;
  if (!options_.dry_run && options_.update_existing && options_.sync_id != 0 &&
      (contact_changed || values_changed || existing.hash != hash)) {
    sync_hash = hash;
  }
  if (!options_.dry_run && decision && decision->changed) {
    // The contact entered the list with decision->status (and the hash).
    CS_RETURN_IF_ERROR(EnterList(existing.id, decision->status, sync_hash));
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

base::Result<DeletionOutcome> RuleBasedSyncBatchWriter::DeleteNotSelected(double max_fraction) {
  CS_RETURN_IF_ERROR(Commit());
  return InDeletionTransaction([&]() -> base::Result<DeletionOutcome> {
    DeletionOutcome outcome;
    CS_ASSIGN_OR_RETURN(outcome.list_size, CountListSubscriptions());
    candidates_.clear();
    CS_RETURN_IF_ERROR(ListNotSelected(candidates_));
    outcome.not_selected = static_cast<int64_t>(candidates_.size());
    DeletionDecision decision =
        DecideDeletion(outcome.list_size, outcome.not_selected, max_fraction, list_name_);
    if (decision.refused) {
      outcome.refused = true;
      outcome.note = std::move(decision.note);
      return outcome;
    }
    if (options_.dry_run) return outcome;
    for (const DeletionCandidate& candidate : candidates_) {
      CS_ASSIGN_OR_RETURN(const bool contact_deleted, RemoveFromList(candidate));
      ++outcome.removed;
      if (contact_deleted) ++outcome.contacts_deleted;
    }
    return outcome;
  });
}

}  // namespace contactsync::store
