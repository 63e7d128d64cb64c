#pragma once

// The rules of a sync batch (docs/spec.md §4), written once for every
// backend: what a source row does to a contact and its subscription, which
// rows fail and why, when the hash of the synced values is (re)written, and
// what DeleteNotSelected may remove. A backend's SyncBatchWriter derives from
// RuleBasedSyncBatchWriter and implements only its storage primitives
// (look-ups and writes, protected below); it decides nothing.
//
// The rules are the store's (store_rules.h: DecideSubscription,
// CheckContactText, Excluded; model: NormalizeFieldValue, ExclusionMatches),
// the same SaveContact applies, plus docs/spec.md §4's stricter sync rules (a
// bounced or unsubscribed contact fails the row instead of being skipped).
//
// Thread safety: the functions are pure; a writer is not thread-safe
// (sync_store.h).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "model/sync_reasons.h"
#include "store/contact_fields_json.h"
#include "store/list_store.h"
#include "store/sync_store.h"

namespace contactsync::store {

// The reason codes a sync batch gives (SyncRowOutcome::reason).
using model::kReasonBounced;
using model::kReasonDuplicateInSource;
using model::kReasonEmailInvalid;
using model::kReasonExcluded;
using model::kReasonFieldInvalid;
using model::kReasonPreviouslyUnsubscribed;
using model::kReasonRequiredFieldMissing;

// The status a sync of `entry` asks for a contact it puts on its list (not for
// kExcluded, whose rows go onto the exclusion list instead).
SubscriptionStatus RequestedStatus(SyncEntryStatus entry);

// A 64-bit hash of the values a sync writes for a row (names, phone, the
// custom values with their field ids: `row_fields[i]` is the field of
// `row.fields[i]`). Equal hashes mean equal values, so that an unchanged
// contact costs no other read.
int64_t HashSyncedValues(const SyncRow& row, const std::vector<const CustomField*>& row_fields);

// The fraction rule of DeleteNotSelected: removing `not_selected` of the
// `list_size` subscriptions is refused when that is more than
// `max_fraction` of the list; `note` then says why (for the run's report).
struct DeletionDecision {
  bool refused = false;
  std::string note;
};
DeletionDecision DecideDeletion(int64_t list_size, int64_t not_selected, double max_fraction,
                                std::string_view list_name);

// Which subscriptions DeleteNotSelected removes when the run did not select
// them: active and unconfirmed ones. Unsubscribed and bounced subscriptions
// stay: they are the record that keeps a later run from subscribing the
// address again.
bool DeletionMayRemove(SubscriptionStatus status);

// The orphan rule: a contact removed from a list by DeleteNotSelected is
// deleted too when that was its last subscription, it never bounced or
// unsubscribed, and no exclusion entry names its address (patterns equal to
// its email key). A backend may check this in its own query for speed, as
// long as the query says this.
struct OrphanFacts {
  bool has_other_subscriptions = false;
  bool bounced = false;
  bool ever_unsubscribed = false;
  bool named_by_exclusion = false;
};
bool DeletesOrphanContact(const OrphanFacts& facts);

// What a backend knows of a contact a batch row names. Kept from batch to
// batch (assign(), not new strings: no allocation per contact).
struct BatchContact {
  int64_t id = 0;
  bool bounced = false;
  bool ever_unsubscribed = false;
  std::optional<SubscriptionStatus> status;  // on the sync's list; nullopt: not on it
  std::optional<int64_t> hash;               // this sync's hash in that subscription
  bool details = false;                      // email .. phone below are read
  std::string email;
  std::string first_name;
  std::string last_name;
  std::string phone;
};

// The addresses of the batch being written: which rows repeat an address of
// an earlier row (the first row wins), and the first row of an address.
class BatchAddresses {
 public:
  void Index(const std::vector<SyncRow>& rows, size_t count);
  bool Repeated(size_t row) const { return repeated_[row] != 0; }
  std::optional<size_t> FirstRowWithKey(const std::vector<SyncRow>& rows,
                                        std::string_view key) const;

 private:
  std::vector<char> repeated_;
  // The batch's row indexes ordered by address, then by index: a binary
  // search finds an address's first row (a hash map allocated a node per
  // row of every batch).
  std::vector<size_t> rows_by_key_;
};

// A new contact as a sync row creates it.
struct NewContactWrite {
  const SyncRow& row;  // email, email_key; absent names and phone are stored ""
  bool ever_unsubscribed = false;
  std::string_view fields_json;  // contacts.fields; "" for none (NULL)
};

// An existing contact's new synced values (all of them, changed or not).
struct ContactUpdate {
  int64_t id = 0;
  std::string_view first_name{};
  std::string_view last_name{};
  std::string_view phone{};
  bool ever_unsubscribed = false;
  bool fields_changed = false;     // false: contacts.fields stays
  std::string_view fields_json{};  // when fields_changed; "" for none (NULL)
};

// A subscription DeleteNotSelected would remove.
struct DeletionCandidate {
  int64_t contact_id = 0;
  std::string email_key;
  SubscriptionStatus status = SubscriptionStatus::kActive;
};

class RuleBasedSyncBatchWriter : public SyncBatchWriter {
 public:
  base::Status Write(std::vector<SyncRow>& rows, size_t count,
                     std::vector<SyncRowOutcome>& outcomes) final;
  base::Status AddRunFailures(const std::vector<RunFailure>& failures) final;
  base::Result<DeletionOutcome> DeleteNotSelected(double max_fraction) final;

 protected:
  RuleBasedSyncBatchWriter(SyncBatchOptions options, std::string list_name,
                           std::vector<CustomField> fields);

  const SyncBatchOptions& options() const { return options_; }
  const std::string& list_name() const { return list_name_; }

  // The storage primitives. Every write runs inside the transaction that
  // BeginBatch opened (or InDeletionTransaction); none is called in a dry run
  // except the look-ups and the seen set.

  // Opens the batch's transaction unless one is open (group_commit: the
  // batches since the last Commit() share one), read-only in a dry run, and
  // takes the batch's time for its writes.
  virtual base::Status BeginBatch() = 0;
  // After a failed batch: rolls back everything since the last Commit().
  virtual void AbandonBatch() = 0;
  // The exclusion patterns that apply to the list (its own and the global
  // ones), for this batch.
  virtual base::Status LoadExclusions(std::vector<std::string>& patterns) = 0;
  // For every row i < count that does not repeat an earlier address: sets
  // found[i] (sized count, zeroed) when its address has a contact and fills
  // contacts[i] (at least count long) with its id, flags, status and this
  // sync's hash, and optionally its details.
  virtual base::Status LookUpContacts(const std::vector<SyncRow>& rows, size_t count,
                                      const BatchAddresses& addresses, std::vector<char>& found,
                                      std::vector<BatchContact>& contacts) = 0;
  // Reads email, names and phone into `contact`.
  virtual base::Status LoadDetails(BatchContact& contact) = 0;
  // `json` := the contact's contacts.fields ("" for NULL).
  virtual base::Status LoadFieldsJson(int64_t contact_id, std::string& json) = 0;
  // Records that this run saw the address: by its contact's id when it has
  // one (`contact_id` > 0), else by `key`. True when it was not seen before.
  virtual base::Result<bool> MarkSeen(int64_t contact_id, const std::string& key) = 0;
  // Whether MarkSeen recorded `key` without a contact id.
  virtual base::Result<bool> KeySeen(const std::string& key) = 0;
  // Inserts the contact (cause and time: the batch's); returns its id.
  virtual base::Result<int64_t> InsertContact(const NewContactWrite& contact) = 0;
  virtual base::Status UpdateContact(const ContactUpdate& update) = 0;
  // The contact enters the list with `status`: the subscription with its
  // history entry and the mail the change causes, and this sync's `hash`
  // when given. The one place where a contact enters the list.
  virtual base::Status EnterList(int64_t contact_id, SubscriptionStatus status,
                                 std::optional<int64_t> hash) = 0;
  // Stores this sync's hash in the contact's subscription to the list.
  virtual base::Status WriteHash(int64_t contact_id, int64_t hash) = 0;
  // Adds a canonical pattern to the list's exclusion list (no-op when there).
  virtual base::Status InsertExclusion(const std::string& pattern) = 0;
  // Stores failures of options().run_id: in the open transaction when there
  // is one, else in their own.
  virtual base::Status InsertRunFailures(const std::vector<RunFailure>& failures) = 0;
  // Runs `body` in one transaction (read-only in a dry run); Commit() has
  // run before.
  virtual base::Result<DeletionOutcome> InDeletionTransaction(
      const std::function<base::Result<DeletionOutcome>()>& body) = 0;
  virtual base::Result<int64_t> CountListSubscriptions() = 0;
  // The list's subscriptions that DeletionMayRemove and whose address this run
  // has not seen.
  virtual base::Status ListNotSelected(std::vector<DeletionCandidate>& candidates) = 0;
  // Removes the subscription with its history entry, then the contact when
  // DeletesOrphanContact; returns whether the contact was deleted.
  virtual base::Result<bool> RemoveFromList(const DeletionCandidate& candidate) = 0;

 private:
  base::Status WriteRows(std::vector<SyncRow>& rows, size_t count,
                         std::vector<SyncRowOutcome>& outcomes);
  base::Status WriteRow(SyncRow& row, size_t index, SyncRowOutcome& outcome);
  base::Status WriteExclusionRow(SyncRow& row, SyncRowOutcome& outcome);
  void FailDuplicate(const SyncRow& row, SyncRowOutcome& outcome);
  // The store's input rules; false (and `outcome` failed) when the row breaks
  // one. Fills row_fields_ and normalises the row's field values.
  bool CheckRow(SyncRow& row, SyncRowOutcome& outcome);
  // A row whose address has no contact. Returns the new contact's id, 0 when
  // none was created (the row failed, or dry run).
  base::Result<int64_t> WriteNew(const SyncRow& row, SyncRowOutcome& outcome);
  base::Status WriteExisting(const SyncRow& row, BatchContact& existing, SyncRowOutcome& outcome);
  // Reads the contact's details unless it has them.
  base::Status EnsureDetails(BatchContact& contact);
  // Whether the row's custom values differ from the stored ones (read into
  // stored_values_); when they do, fields_json_ := the stored values with the
  // row's over them.
  base::Result<bool> CompareFieldValues(const SyncRow& row, int64_t contact_id);

  const SyncBatchOptions options_;
  const std::string list_name_;
  const std::vector<CustomField> fields_;
  // The store's fields by key, and whether the rows' values of a field are
  // already normalised by its definition (SyncBatchOptions::rows_normalised_by).
  struct KnownField {
    const CustomField* field = nullptr;
    bool normalised = false;
  };
  std::unordered_map<std::string, KnownField> by_key_;
  std::vector<std::string> exclusions_;  // patterns for the list, this batch
  // Per row of the batch being written: the look-up's answer.
  BatchAddresses addresses_;
  std::vector<char> found_;
  std::vector<BatchContact> contacts_;
  // Per-row scratch, reused.
  std::vector<const CustomField*> row_fields_;
  std::string stored_json_;
  FieldValues stored_values_;
  FieldValueRefs json_entries_;
  std::string fields_json_;
  std::vector<DeletionCandidate> candidates_;
};

}  // namespace contactsync::store
