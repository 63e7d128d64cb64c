#pragma once

// The PostgreSQL store's schema as numbered migrations, as the SQLite store's
// (store/sqlite/migrations.h): applied in order on open and by `contactsync init`, each in its
// own transaction, recorded in schema_migrations; a store newer than this build is refused.
// Several processes may open the store at once (N servers and M workers, issue 14): each
// migration's transaction first takes a transaction-level advisory lock, so one applies it
// and the others find it applied. A released migration is never edited.
//
// Migration 1 is the whole schema of the SQLite store at its schema 11, in PostgreSQL's
// terms: identity columns (ids never reused, as AUTOINCREMENT promises), timestamptz times
// converted at the interface by cs_ms/cs_ts (milliseconds since the Unix epoch, the form the
// store's code and the SQLite store use), booleans, jsonb for a contact's custom values and
// a connection's allowed functions, bytea for sealed secrets.

#include <span>
#include <string_view>

#include "base/status.h"
#include "store/postgres/pg_database.h"

namespace contactsync::store::postgres {

struct Migration {
  int version;  // strictly increasing, from 1
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// The migrations this build knows, in order.
std::span<const Migration> Migrations();

// The version of the newest migration this build knows.
int LatestSchemaVersion();

// The highest version recorded in the store (0 for a database without the store's tables).
base::Result<int> CurrentSchemaVersion(Database& db);

// Applies every migration of `migrations` newer than the store's version. FailedPrecondition
// when the store is newer than the newest of `migrations`.
base::Status ApplyMigrations(Database& db, std::span<const Migration> migrations);

// A session on the store at `url` with every migration of this build applied: how each of
// the store's classes opens it.
base::Result<Database> OpenMigrated(std::string_view url);

}  // namespace contactsync::store::postgres
