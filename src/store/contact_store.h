#pragma once

// ContactStore: contacts and their subscriptions (docs/spec.md §1). Everything
// a face (CLI, HTTP) does to a contact goes through here, and the rules that
// must hold whoever asks live here too, inside the write transaction:
//  - an email is unique case-insensitively after trimming and is stored as
//    first given (model/email.h);
//  - custom field values obey their field's type (model/custom_field.h), and a
//    required field must have a value when a contact is created;
//  - an address matching an exclusion entry for a list (or for all lists) can
//    never be subscribed to that list;
//  - a contact that unsubscribed from a list, or bounced, is never made active
//    or unconfirmed on it again unless the request is an explicit re-subscribe
//    (SubscribeMode::kResubscribe) that the contact asked for;
//  - every subscription change writes a history row with its cause.
// Errors and thread safety: store_common.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store_common.h"

namespace contactsync::store {

struct Subscription {
  std::string list_name;
  SubscriptionStatus status = SubscriptionStatus::kActive;
  std::string changed_at;  // time of the latest status change
  Cause cause;             // what made the latest change
};

struct Contact {
  int64_t id = 0;
  std::string email;  // as first given, trimmed
  std::string first_name;
  std::string last_name;
  std::string phone;
  std::map<std::string, std::string> fields;  // key -> canonical value; no empty values
  bool bounced = false;                       // hard bounce: no list will mail it
  bool ever_unsubscribed = false;             // unsubscribed from at least one list at some time
  std::string created_at;
  std::string updated_at;
  std::vector<Subscription> subscriptions;  // ordered by list name
};

// One row of a contact's subscription history. `from` is empty when the
// contact joined the list; `to` is empty when it was removed from the list.
struct HistoryEntry {
  std::string list_name;
  std::optional<SubscriptionStatus> from;
  std::optional<SubscriptionStatus> to;
  Cause cause;
  std::string at;
};

// The values to write for a contact. An absent optional leaves the stored
// value as it is; a present empty string clears it. Field values are raw
// text, normalised by the store (model::NormalizeFieldValue); "" clears.
struct ContactInput {
  std::string email;  // as typed; trimmed and validated by the store
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  std::map<std::string, std::string> fields;  // key (any case, with or without %) -> value
};

enum class SubscribeMode {
  kNormal,       // never re-activates an unsubscribed or bounced contact
  kResubscribe,  // the contact asked to come back: lifts unsubscribed/bounced
};

// Create-or-update a contact and optionally subscribe it, atomically.
struct ContactChange {
  ContactInput contact;
  std::optional<std::string> list;                          // the list to subscribe to, by name
  SubscriptionStatus status = SubscriptionStatus::kActive;  // with `list`
  SubscribeMode mode = SubscribeMode::kNormal;
  Cause cause;
};

struct ContactChangeOutcome {
  Contact contact;                                    // as stored afterwards
  bool created = false;                               // the contact did not exist before
  std::vector<std::string> changed_fields;            // "first_name", "phone", custom keys...
  std::optional<SubscriptionStatus> previous_status;  // on `list`, before the change
  bool subscription_changed = false;
};

struct ContactFilter {
  std::optional<std::string> list;           // only contacts on this list
  std::optional<SubscriptionStatus> status;  // with `list`: only this status on it;
                                             // without: this status on any list
  std::string search;   // words (at most kMaxSearchWords), each a case-insensitive
                        // substring of the email, first or last name
  int64_t limit = 100;  // 1..1000
  int64_t offset = 0;
};

struct ContactPage {
  std::vector<Contact> contacts;  // ordered by email key
  int64_t total = 0;              // matches before limit/offset
};

class ContactStore {
 public:
  virtual ~ContactStore() = default;

  // Contacts.
  virtual base::Result<ContactChangeOutcome> SaveContact(const ContactChange& change) = 0;
  virtual base::Result<Contact> GetContact(std::string_view email) = 0;
  // The contact with store id `id` (the HTTP API addresses contacts by id).
  virtual base::Result<Contact> GetContactById(int64_t id) = 0;
  virtual base::Result<ContactPage> FindContacts(const ContactFilter& filter) = 0;
  // Deletes the contact, its values and subscriptions; its history goes too.
  virtual base::Status DeleteContact(std::string_view email) = 0;

  // Subscriptions. Unsubscribe sets the list's status to unsubscribed (and
  // the contact's ever_unsubscribed flag); MarkBounced sets the global bounced
  // flag and turns every active or unconfirmed subscription into bounced.
  virtual base::Status Unsubscribe(std::string_view email, std::string_view list,
                                   const Cause& cause) = 0;
  virtual base::Status MarkBounced(std::string_view email, const Cause& cause) = 0;
  virtual base::Result<std::vector<HistoryEntry>> GetHistory(std::string_view email) = 0;
};

}  // namespace contactsync::store
