#pragma once

// Queries shared by the SQLite store's source files. Each runs inside the
// caller's transaction and uses the connection's statement cache.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/contact_store.h"
#include "store/sqlite/sqlite_handle.h"

namespace contactsync::store::sqlite {

struct ListRef {
  int64_t id = 0;
  std::string name;
};

// The list named `name` (trimmed, case-sensitive), or nullopt.
base::Result<std::optional<ListRef>> FindList(Database& db, std::string_view name);

// The list named `name`, or NotFound "list 'X' does not exist".
base::Result<ListRef> RequireList(Database& db, std::string_view name);

// Every custom field with its options, ordered by key.
base::Result<std::vector<CustomField>> LoadFields(Database& db);

// The first entry (by id) that excludes `email_key` from `list`, counting
// the global entries, or nullopt.
base::Result<std::optional<Exclusion>> FindMatchingExclusion(Database& db, const ListRef& list,
                                                             std::string_view email_key);

// Stored names of enums, and back; an unknown stored name is kInternal (the
// CHECK constraints make it a bug).
base::Result<SubscriptionStatus> StoredStatus(std::string_view name);
base::Result<model::CauseKind> StoredCauseKind(std::string_view name);

}  // namespace contactsync::store::sqlite
