#pragma once

// SaveContact's rules, written once for every backend (as sync_batch_rules.h writes the sync
// batch's): the fields a new contact must have, that only values differing from what is
// stored count as changes, the subscription decision (DecideSubscription, store_rules.h), the
// contact's flags it changes, and what is written then. A backend implements
// ContactSaveStorage, its look-ups and writes inside the write transaction it runs
// SaveContactByRules in, and decides nothing itself, so that SQLite and PostgreSQL save alike.
//
// Thread safety: that of the storage given.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/contact_fields_json.h"
#include "store/contact_store.h"
#include "store/list_store.h"
#include "store/store_rules.h"

namespace contactsync::store {

// A row of contacts as every backend keeps it.
struct ContactRow {
  int64_t id = 0;
  std::string email;
  std::string first_name;
  std::string last_name;
  std::string phone;
  bool bounced = false;
  bool ever_unsubscribed = false;
  int64_t created_at = 0;  // base::UnixMillis
  int64_t updated_at = 0;
};

// The interface's Contact of `row`, without its values and subscriptions (the backend loads
// those).
Contact ContactOfRow(ContactRow row);

// The storage SaveContactByRules reads and writes, in the caller's write transaction. Every
// method only finds or keeps; errors are the storage's.
class ContactSaveStorage {
 public:
  virtual ~ContactSaveStorage() = default;

  // Every custom field with its options.
  virtual base::Result<std::vector<CustomField>> LoadFields() = 0;
  // The list named `name`, or NotFound (ListNotFound).
  virtual base::Result<ListRef> RequireList(std::string_view name) = 0;
  // The contact whose email key is `email_key`, or nullopt. Found to be written: a backend
  // whose writers run at once locks its row here, before its subscription is read.
  virtual base::Result<std::optional<ContactRow>> FindContactToWrite(
      std::string_view email_key) = 0;
  // The contact's custom values, by field key.
  virtual base::Result<std::map<std::string, std::string>> LoadFieldValues(int64_t contact_id) = 0;
  // The contact's status on the list; nullopt: not on it.
  virtual base::Result<std::optional<SubscriptionStatus>> FindSubscriptionStatus(
      int64_t contact_id, int64_t list_id) = 0;
  // The first exclusion entry that excludes `email_key` from `list`, or nullopt.
  virtual base::Result<std::optional<Exclusion>> FindMatchingExclusion(
      const ListRef& list, std::string_view email_key) = 0;
  // Inserts `row` (created_at = updated_at = row.created_at) and returns its id.
  virtual base::Result<int64_t> InsertContact(const ContactRow& row, std::string_view email_key,
                                              const Cause& cause) = 0;
  // Writes the names, phone, flags and updated_at of `row` over contact row.id.
  virtual base::Status UpdateContact(const ContactRow& row, const Cause& cause) = 0;
  // Sets the contact's values of `changes` (field id, value; "" removes one).
  virtual base::Status WriteFieldValues(int64_t contact_id, const FieldValueRefs& changes) = 0;
  // Writes the subscription's change with its history (from nullopt: the contact joins).
  virtual base::Status ChangeSubscription(int64_t contact_id, const ListRef& list,
                                          std::optional<SubscriptionStatus> from,
                                          SubscriptionStatus to, const Cause& cause,
                                          int64_t now_ms) = 0;
  // Queues the mail the change causes (DecideMailForChange, mail_rules.h), right after it.
  virtual base::Status QueueMailForChange(int64_t contact_id, const ListRef& list,
                                          std::optional<SubscriptionStatus> from,
                                          SubscriptionStatus to, bool autoresponders,
                                          int64_t now_ms) = 0;
  // The interface's Contact of `row`, with its values and subscriptions.
  virtual base::Result<Contact> LoadContact(ContactRow row) = 0;
};

// The body of SaveContact, in the caller's write transaction: `email` is the change's address
// validated (model::ValidateEmail), its text and cause checked already (CheckContactText,
// CheckCause); `now_ms` (base::UnixMillis) stamps what it writes.
base::Result<ContactChangeOutcome> SaveContactByRules(ContactSaveStorage& storage,
                                                      const ContactChange& change,
                                                      const std::string& email, int64_t now_ms);

}  // namespace contactsync::store
