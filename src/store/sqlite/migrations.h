#pragma once

// The SQLite store's schema as numbered migrations.
//
// Migrations are applied in order on open (and by `contactsync init`). The
// table schema_migrations records each applied version; applying is
// idempotent and each migration runs in its own write transaction, so a
// failure leaves the store at the previous version. A released migration is
// never edited: a schema change is a new migration at the end.

#include <span>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "store/sqlite/sqlite_handle.h"

namespace contactsync::store::sqlite {

struct Migration {
  int version;  // strictly increasing, from 1 (a number may be skipped)
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// The migrations this build knows, in order.
std::span<const Migration> Migrations();

// The version of the newest migration this build knows.
int LatestSchemaVersion();

// The highest version recorded in `db` (0 for a fresh file).
base::Result<int> CurrentSchemaVersion(Database& db);

// Applies every migration of `migrations` newer than the store's version.
// FailedPrecondition when the store is newer than the newest of
// `migrations`: an older build must not write a schema it does not know.
// Safe against another process migrating the same file at the same time.
base::Status ApplyMigrations(Database& db, std::span<const Migration> migrations,
                             const base::Clock& clock);

}  // namespace contactsync::store::sqlite
