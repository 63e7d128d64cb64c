#pragma once

// ContactStore: contactsync's own data (SPEC §1) behind one interface.
//
// Two implementations share one behaviour and one test suite
// (store/contact_store_conformance.h): SQLite (the embedded default, one file
// in the data directory) and, later, PostgreSQL. Everything a face (CLI, HTTP)
// or the sync engine does to contacts goes through here, and the rules that
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
// A failed call writes nothing: each mutating call is one transaction.
//
// Errors: kInvalidArgument for bad input (message names the field), kNotFound
// for an unknown list, field, contact or exclusion, kAlreadyExists for a taken
// name, kFailedPrecondition when the rules above refuse (message says which
// rule), kUnavailable when the store is busy past its busy timeout (another
// process holds the write lock), kInternal for anything unexpected.
//
// Thread safety: an instance is not thread-safe; use one per thread. Several
// instances, in one or several processes, may share a store: writes are
// serialised by the database and never corrupt it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "model/custom_field.h"
#include "model/subscription.h"

namespace contactsync::store {

using model::Cause;
using model::SubscriptionStatus;

// Input limits, checked by every implementation (bytes of UTF-8).
inline constexpr size_t kMaxNameBytes = 255;          // list names, contact names
inline constexpr size_t kMaxDescriptionBytes = 4096;  // list descriptions
inline constexpr size_t kMaxPhoneBytes = 64;

struct ListInfo {
  int64_t id = 0;
  std::string name;          // unique, case-sensitive, 1..255 bytes, no control characters
  std::string sender_name;   // may be empty
  std::string sender_email;  // empty, or a valid address (model/email.h)
  std::string description;   // may be empty
  std::string created_at;    // ISO 8601 UTC
  int64_t subscriber_count = 0;  // all subscriptions, any status
};

struct NewList {
  std::string name;
  std::string sender_name;
  std::string sender_email;
  std::string description;
};

struct CustomField {
  int64_t id = 0;
  model::FieldDefinition definition;
};

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
  bool bounced = false;            // hard bounce: no list will mail it
  bool ever_unsubscribed = false;  // unsubscribed from at least one list at some time
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
  std::optional<std::string> list;  // the list to subscribe to, by name
  SubscriptionStatus status = SubscriptionStatus::kActive;  // with `list`
  SubscribeMode mode = SubscribeMode::kNormal;
  Cause cause;
};

struct ContactChangeOutcome {
  Contact contact;                          // as stored afterwards
  bool created = false;                     // the contact did not exist before
  std::vector<std::string> changed_fields;  // "first_name", "phone", custom keys...
  std::optional<SubscriptionStatus> previous_status;  // on `list`, before the change
  bool subscription_changed = false;
};

struct ContactFilter {
  std::optional<std::string> list;             // only contacts on this list
  std::optional<SubscriptionStatus> status;    // with `list`: only this status on it;
                                               // without: this status on any list
  std::string search;  // case-insensitive substring of email, first or last name
  int64_t limit = 100;  // 1..1000
  int64_t offset = 0;
};

struct ContactPage {
  std::vector<Contact> contacts;  // ordered by email key
  int64_t total = 0;              // matches before limit/offset
};

struct Exclusion {
  int64_t id = 0;
  std::string pattern;                   // canonical (model/exclusion.h)
  std::optional<std::string> list_name;  // empty: all lists
  std::string created_at;
};

class ContactStore {
 public:
  virtual ~ContactStore() = default;

  // The schema version the store is at after the migrations applied on open.
  virtual base::Result<int> SchemaVersion() = 0;

  // Lists.
  virtual base::Result<ListInfo> CreateList(const NewList& list) = 0;
  virtual base::Result<std::vector<ListInfo>> GetLists() = 0;  // ordered by name
  virtual base::Result<ListInfo> GetList(std::string_view name) = 0;
  // Deletes the list, its subscriptions and its list-scoped exclusions. The
  // contacts stay (they may be on other lists); their history keeps the list
  // name.
  virtual base::Status DeleteList(std::string_view name) = 0;

  // Custom fields.
  virtual base::Result<CustomField> CreateField(const model::FieldDefinition& field) = 0;
  virtual base::Result<std::vector<CustomField>> GetFields() = 0;  // ordered by key
  // Deletes the field and every contact's value for it.
  virtual base::Status DeleteField(std::string_view key) = 0;

  // Contacts.
  virtual base::Result<ContactChangeOutcome> SaveContact(const ContactChange& change) = 0;
  virtual base::Result<Contact> GetContact(std::string_view email) = 0;
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

  // Exclusions. `list` empty: the entry covers all lists. Adding an entry does
  // not change existing subscriptions; it stops new ones.
  virtual base::Result<Exclusion> AddExclusion(std::string_view pattern,
                                               std::optional<std::string> list) = 0;
  // All entries, or those that apply to `list` (its own and the global ones).
  virtual base::Result<std::vector<Exclusion>> GetExclusions(std::optional<std::string> list) = 0;
  virtual base::Status RemoveExclusion(int64_t id) = 0;
  // The first entry that excludes `email` from `list` (global entries count),
  // or nullopt.
  virtual base::Result<std::optional<Exclusion>> FindExclusion(std::string_view email,
                                                               std::string_view list) = 0;
};

struct StoreOptions {
  // "sqlite:///abs/path.db", "sqlite:relative.db", or a plain file path.
  // "postgresql://..." is recognised and refused until that backend exists.
  std::string url;
  // How long a write waits for another process's write lock before failing
  // with kUnavailable. Long enough for any single batch, short enough that a
  // stuck process is reported rather than waited on forever.
  int busy_timeout_ms = 5000;
  const base::Clock* clock = &base::SystemClock();  // never null; not owned
};

// Opens (creating when absent) the store and applies pending migrations.
base::Result<std::unique_ptr<ContactStore>> OpenStore(const StoreOptions& options);

}  // namespace contactsync::store
