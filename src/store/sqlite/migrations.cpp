#include "store/sqlite/migrations.h"

#include <fmt/format.h>

#include "store/sqlite/transaction.h"

namespace contactsync::store::sqlite {
namespace {

// Conventions of the schema (kept so that a PostgreSQL twin reads the same):
//  - timestamps are ISO 8601 UTC text (base::FormatIso8601Utc), sortable;
//  - statuses and cause kinds are their model names, checked by CHECK;
//  - every row that a sync run or an import can change carries the cause of
//    its latest change (kind + detail, e.g. sync_run + run id), so a batch
//    upsert records provenance without extra tables;
//  - STRICT tables: SQLite refuses values of the wrong type instead of
//    silently storing them.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE lists (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  sender_name TEXT NOT NULL DEFAULT '',
  sender_email TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE custom_fields (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('text', 'textarea', 'number', 'date', 'datetime',
                                     'dropdown', 'radio', 'checkbox', 'hidden')),
  required INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
  created_at TEXT NOT NULL
) STRICT;

-- Options of the choice types, in the order the field defines them (the
-- order checkbox values are stored in).
CREATE TABLE custom_field_options (
  field_id INTEGER NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (field_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,            -- as first given, trimmed
  email_key TEXT NOT NULL UNIQUE, -- model::EmailKey: the identity of a contact
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  bounced INTEGER NOT NULL DEFAULT 0 CHECK (bounced IN (0, 1)),
  ever_unsubscribed INTEGER NOT NULL DEFAULT 0 CHECK (ever_unsubscribed IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_change_cause TEXT NOT NULL,
  last_change_detail TEXT NOT NULL DEFAULT ''
) STRICT;

-- Only non-empty values are stored: no row means "no value".
CREATE TABLE contact_field_values (
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  field_id INTEGER NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
  value TEXT NOT NULL CHECK (value <> ''),
  PRIMARY KEY (contact_id, field_id)
) STRICT, WITHOUT ROWID;
-- Makes DeleteField's cascade an index range instead of a full scan.
CREATE INDEX contact_field_values_by_field ON contact_field_values (field_id);

CREATE TABLE subscriptions (
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('active', 'unconfirmed', 'unsubscribed', 'bounced')),
  created_at TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (contact_id, list_id)
) STRICT, WITHOUT ROWID;
-- Lists' members by status (campaigns, counts, FindContacts by list).
CREATE INDEX subscriptions_by_list_status ON subscriptions (list_id, status);

-- The list is kept by name, not id, so that history outlives a deleted list.
CREATE TABLE subscription_history (
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_name TEXT NOT NULL,
  from_status TEXT,  -- NULL: joined the list
  to_status TEXT,    -- NULL: removed from the list
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  at TEXT NOT NULL
) STRICT;
CREATE INDEX subscription_history_by_contact ON subscription_history (contact_id, id);

-- list_id NULL: the entry covers all lists.
CREATE TABLE exclusions (
  id INTEGER PRIMARY KEY,
  pattern TEXT NOT NULL,  -- canonical (model::NormalizeExclusionPattern)
  list_id INTEGER REFERENCES lists (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL
) STRICT;
-- One entry per pattern and scope; NULL (all lists) counts as one scope.
CREATE UNIQUE INDEX exclusions_by_pattern_scope ON exclusions (pattern, coalesce(list_id, 0));
CREATE INDEX exclusions_by_list ON exclusions (list_id);
)sql";

constexpr Migration kMigrations[] = {
    {1, "lists, custom fields, contacts, subscriptions, history, exclusions", kInitialSchema},
};

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT
)sql";

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int LatestSchemaVersion() { return Migrations().back().version; }

base::Result<int> CurrentSchemaVersion(Database& db) {
  {
    CS_ASSIGN_OR_RETURN(CachedStatement exists,
                        db.Cached("SELECT count(*) FROM sqlite_schema "
                                  "WHERE type = 'table' AND name = 'schema_migrations'"));
    CS_ASSIGN_OR_RETURN(const bool row, exists->Step());
    if (!row || exists->ColumnInt64(0) == 0) return 0;
  }
  CS_ASSIGN_OR_RETURN(CachedStatement max,
                      db.Cached("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  CS_ASSIGN_OR_RETURN(const bool row, max->Step());
  return row ? static_cast<int>(max->ColumnInt64(0)) : 0;
}

base::Status ApplyMigrations(Database& db, std::span<const Migration> migrations,
                             const base::Clock& clock) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  CS_ASSIGN_OR_RETURN(const int current, CurrentSchemaVersion(db));
  if (current > latest) {
    return base::FailedPrecondition(fmt::format(
        "store schema version {} is newer than this contactsync ({}); upgrade contactsync", current,
        latest));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    const base::Status status = InTransaction(db, TransactionKind::kWrite, [&]() -> base::Status {
      CS_RETURN_IF_ERROR(db.Exec(kCreateMigrationsTable));
      // Another process may have applied it between our check and our lock.
      CS_ASSIGN_OR_RETURN(const int now_at, CurrentSchemaVersion(db));
      if (now_at >= migration.version) return base::Status::Ok();
      CS_RETURN_IF_ERROR(db.Exec(migration.sql));
      CS_ASSIGN_OR_RETURN(CachedStatement record,
                          db.Cached("INSERT INTO schema_migrations (version, description, "
                                    "applied_at) VALUES (?1, ?2, ?3)"));
      record->Bind(1, int64_t{migration.version})
          .Bind(2, migration.description)
          .Bind(3, base::FormatIso8601Utc(clock.Now()));
      return record->Run();
    });
    if (!status.ok()) {
      return status.WithContext(
          fmt::format("applying migration {} ({}): ", migration.version, migration.description));
    }
  }
  return base::Status::Ok();
}

}  // namespace contactsync::store::sqlite
