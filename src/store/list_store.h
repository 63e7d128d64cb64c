#pragma once

// ListStore: the lists contacts subscribe to, the custom fields contacts
// carry, and the exclusion entries that keep addresses off lists
// (docs/spec.md §1). Errors and thread safety: store_common.h.
//
// Rules every backend keeps: list names are unique and case-sensitive; field
// keys are unique case-insensitively and their definitions valid
// (model/custom_field.h); an address matching an exclusion entry for a list
// (or for all lists) can never be subscribed to that list (ContactStore and
// SyncStore refuse it).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/custom_field.h"
#include "store/store_common.h"

namespace contactsync::store {

struct ListInfo {
  int64_t id = 0;
  std::string name;              // unique, case-sensitive, 1..255 bytes, no control characters
  std::string sender_name;       // may be empty
  std::string sender_email;      // empty, or a valid address (model/email.h)
  std::string description;       // may be empty
  std::string created_at;        // ISO 8601 UTC
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

struct Exclusion {
  int64_t id = 0;
  std::string pattern;                   // canonical (model/exclusion.h)
  std::optional<std::string> list_name;  // empty: all lists
  std::string created_at;
};

class ListStore {
 public:
  virtual ~ListStore() = default;

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

}  // namespace contactsync::store
