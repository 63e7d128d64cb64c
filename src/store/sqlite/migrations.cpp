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

// Saved connections to external databases. The password column holds the
// secret box output (nonce + ciphertext), never the password; owner_id is the
// random id the box binds it to.
constexpr std::string_view kConnections = R"sql(
CREATE TABLE connections (
  id INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  host TEXT NOT NULL DEFAULT '',
  port INTEGER NOT NULL DEFAULT 0,
  user_name TEXT NOT NULL DEFAULT '',
  sealed_password BLOB NOT NULL DEFAULT x'',
  database_name TEXT NOT NULL,
  tls_mode TEXT NOT NULL,
  tls_ca_file TEXT NOT NULL DEFAULT '',
  connect_timeout_s INTEGER NOT NULL,
  query_timeout_s INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
)sql";

// The sync engine's storage (src/sync/). sync_runs doubles as the lock that
// keeps two runs of one sync apart: the partial unique index admits one
// 'running' row per sync, whichever process inserts it. sync_hashes holds,
// per sync and contact, a hash of the values the sync last wrote or
// confirmed, so that an unchanged re-sync reads one row per contact and
// writes nothing; any later change to the contact (by anyone) drops the
// hashes (trigger), so a stale hash can only cause a full comparison, never
// a missed update.
constexpr std::string_view kSyncs = R"sql(
CREATE TABLE syncs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  definition TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE sync_runs (
  id INTEGER PRIMARY KEY,
  sync_id INTEGER NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
  started_by TEXT NOT NULL,
  holder TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
  message TEXT NOT NULL DEFAULT '',
  sql TEXT NOT NULL DEFAULT '',
  deletion_note TEXT NOT NULL DEFAULT '',
  selected INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id, id);
CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (sync_id) WHERE state = 'running';

CREATE TABLE sync_run_failures (
  run_id INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
  row_number INTEGER NOT NULL,
  email TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (run_id, row_number)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_hashes (
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  sync_id INTEGER NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
  hash INTEGER NOT NULL,
  PRIMARY KEY (contact_id, sync_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sync_hashes_by_sync ON sync_hashes (sync_id);

CREATE TRIGGER contacts_update_forgets_sync_hashes AFTER UPDATE ON contacts
BEGIN
  DELETE FROM sync_hashes WHERE contact_id = NEW.id;
END;
CREATE TRIGGER custom_fields_delete_forgets_sync_hashes AFTER DELETE ON custom_fields
BEGIN
  DELETE FROM sync_hashes;
END;
)sql";

// Mail (src/mail/, docs/mail.md). mail_settings has one row (id 1); its
// SMTP password is the secret box output bound to owner_id, like a
// connection's. mail_outbox holds every message a subscription change caused,
// queued in the transaction of that change; the sender claims one at a time
// (state sending + claimed_at) before talking to the SMTP server, so that a
// crash between sending and marking leaves a trace instead of a silent
// re-send. idempotency_key is the message's identity (its Message-ID).
// A confirmation row remembers whether the change that caused it asked for
// autoresponders (autoresponders_on_confirm), so that following the link
// starts them only then.
constexpr std::string_view kMail = R"sql(
CREATE TABLE mail_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner_id TEXT NOT NULL,
  smtp_host TEXT NOT NULL DEFAULT '',
  smtp_port INTEGER NOT NULL DEFAULT 0,
  tls_mode TEXT NOT NULL DEFAULT 'starttls' CHECK (tls_mode IN ('none', 'starttls', 'tls')),
  smtp_user TEXT NOT NULL DEFAULT '',
  tls_ca_file TEXT NOT NULL DEFAULT '',
  sealed_password BLOB NOT NULL DEFAULT x'',
  from_name TEXT NOT NULL DEFAULT '',
  from_email TEXT NOT NULL DEFAULT '',
  hourly_cap INTEGER NOT NULL DEFAULT 0 CHECK (hourly_cap >= 0),
  base_url TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE mail_autoresponders (
  id INTEGER PRIMARY KEY,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  delay_s INTEGER NOT NULL CHECK (delay_s >= 0),
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX mail_autoresponders_by_list ON mail_autoresponders (list_id);

CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'autoresponder')),
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  autoresponder_id INTEGER REFERENCES mail_autoresponders (id) ON DELETE CASCADE,
  autoresponders_on_confirm INTEGER NOT NULL DEFAULT 0 CHECK (autoresponders_on_confirm IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_at TEXT NOT NULL DEFAULT '',
  sent_at TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at, id);
CREATE INDEX mail_outbox_sent ON mail_outbox (sent_at) WHERE state = 'sent';
CREATE INDEX mail_outbox_by_subscription ON mail_outbox (contact_id, list_id);
)sql";

// Accounts of the HTTP server (issue 5). Passwords are argon2id strings
// (libsodium crypto_pwhash_str); session ids and API tokens are random and
// only their BLAKE2b hashes are kept, so a copy of the store opens no session.
// Times of sessions are Unix seconds, compared by the idle and absolute
// timeouts.
constexpr std::string_view kAccounts = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_unix INTEGER NOT NULL,
  last_seen_unix INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
)sql";

// Each connection's custom-query policy (issue 11, docs/read-only.md): the user
// functions its owner vouches for, as a JSON array of names, and whether custom
// queries may run on an account that can write or is privileged. Closed by
// default: connections saved before get neither.
constexpr std::string_view kConnectionPolicy = R"sql(
ALTER TABLE connections ADD COLUMN allowed_functions TEXT NOT NULL DEFAULT '[]'
  CHECK (json_valid(allowed_functions) AND json_type(allowed_functions) = 'array');
ALTER TABLE connections ADD COLUMN allow_custom_query_with_privileged_account INTEGER NOT NULL
  DEFAULT 0 CHECK (allow_custom_query_with_privileged_account IN (0, 1));
)sql";

// Ids that are never handed out twice (issue 11, "mail-link ids are reused"): a confirm or
// unsubscribe link carries a contact id and a list id, and an outbox row is claimed by id, so
// an id freed by a delete must not go to the next contact, list or message. AUTOINCREMENT
// keeps the highest id ever used in sqlite_sequence, which copying the rows seeds with the
// current maximum. SQLite cannot add AUTOINCREMENT to a table, so each is rebuilt by its
// documented procedure (ApplyMigrations turns foreign keys off around it and runs
// foreign_key_check before committing): the same columns, constraints, indexes and triggers,
// the rows copied with their ids, the old table dropped, the new one renamed. The tables that
// point at these keep their foreign keys, which name the tables, not their storage.
constexpr std::string_view kIdsNeverReused = R"sql(
CREATE TABLE lists_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  sender_name TEXT NOT NULL DEFAULT '',
  sender_email TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
) STRICT;
INSERT INTO lists_new (id, name, sender_name, sender_email, description, created_at)
  SELECT id, name, sender_name, sender_email, description, created_at FROM lists;
DROP TABLE lists;
ALTER TABLE lists_new RENAME TO lists;

CREATE TABLE contacts_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO contacts_new (id, email, email_key, first_name, last_name, phone, bounced,
                          ever_unsubscribed, created_at, updated_at, last_change_cause,
                          last_change_detail)
  SELECT id, email, email_key, first_name, last_name, phone, bounced, ever_unsubscribed,
         created_at, updated_at, last_change_cause, last_change_detail FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
-- Dropped with the old table (migration 3).
CREATE TRIGGER contacts_update_forgets_sync_hashes AFTER UPDATE ON contacts
BEGIN
  DELETE FROM sync_hashes WHERE contact_id = NEW.id;
END;

CREATE TABLE mail_outbox_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'autoresponder')),
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  autoresponder_id INTEGER REFERENCES mail_autoresponders (id) ON DELETE CASCADE,
  autoresponders_on_confirm INTEGER NOT NULL DEFAULT 0 CHECK (autoresponders_on_confirm IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_at TEXT NOT NULL DEFAULT '',
  sent_at TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
INSERT INTO mail_outbox_new (id, idempotency_key, kind, contact_id, list_id, autoresponder_id,
                             autoresponders_on_confirm, state, attempts, next_attempt_at,
                             claimed_at, sent_at, last_error, recipient, subject, created_at,
                             updated_at)
  SELECT id, idempotency_key, kind, contact_id, list_id, autoresponder_id,
         autoresponders_on_confirm, state, attempts, next_attempt_at, claimed_at, sent_at,
         last_error, recipient, subject, created_at, updated_at FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at, id);
CREATE INDEX mail_outbox_sent ON mail_outbox (sent_at) WHERE state = 'sent';
CREATE INDEX mail_outbox_by_subscription ON mail_outbox (contact_id, list_id);
)sql";

// The compact format of contacts (issue 13): what a contact costs the store is what makes a
// first sync slow, so a fresh contact now writes three rows (contact, subscription, history)
// and three index entries, where it wrote six rows and ten B-tree entries:
//  - its custom values are one column, contacts.fields: a JSON object of field id (decimal
//    text) -> canonical value, only non-empty values, NULL when it has none (it was one
//    contact_field_values row and one index entry per value). Last in the row, so that a long
//    textarea value never stands between a reader and the other columns;
//  - the hash of the values a sync last wrote for a contact is kept in the contact's
//    subscription to the sync's list (a sync writes to one list), with the sync's id:
//    subscriptions.sync_id and sync_hash (it was a sync_hashes row and its index entry). A
//    second sync into the same list replaces the first one's hash: that costs only a full
//    comparison, and a rewrite of the hash, when the first runs again. A change to the synced
//    columns of a contact (email, names, phone, fields) by anyone clears the hashes of its
//    subscriptions (trigger; the sync writes its hash after its own update), and deleting a
//    custom field clears them all, so that a stale hash can only cost a full comparison, never
//    hide an update. Deleting a sync leaves its hashes without an owner (sync_id NULL), so a
//    later sync that reuses the id never takes them for its own. sync_id has no index:
//    deleting or editing a sync, rare, scans the subscriptions instead of every sync paying
//    an index entry per contact;
//  - the times of contacts, subscriptions and history are INTEGER milliseconds since the Unix
//    epoch, UTC (base::UnixMillis); the store's interface still speaks ISO 8601 text, through
//    base::FormatUnixMillis and base::ParseIso8601Utc. (The other tables keep their text
//    times for now: they are written once per list, field, run or message, not per contact.)
// Rebuilt by SQLite's procedure, as migration 7 did (foreign keys off around it, checked by
// foreign_key_check before the commit): each table made anew, its rows copied with their ids
// and converted, the old one dropped and the new one renamed, indexes and triggers made again.
// contacts keeps its AUTOINCREMENT high-water mark: sqlite_sequence is carried over, not
// seeded from the copied rows, so the ids of deleted contacts are still never reused.
constexpr std::string_view kCompactContacts = R"sql(
DROP TRIGGER contacts_update_forgets_sync_hashes;
DROP TRIGGER custom_fields_delete_forgets_sync_hashes;

CREATE TABLE contacts_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL,            -- as first given, trimmed
  email_key TEXT NOT NULL UNIQUE, -- model::EmailKey: the identity of a contact
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  bounced INTEGER NOT NULL DEFAULT 0 CHECK (bounced IN (0, 1)),
  ever_unsubscribed INTEGER NOT NULL DEFAULT 0 CHECK (ever_unsubscribed IN (0, 1)),
  created_at INTEGER NOT NULL,    -- milliseconds since the Unix epoch, UTC
  updated_at INTEGER NOT NULL,
  last_change_cause TEXT NOT NULL,
  last_change_detail TEXT NOT NULL DEFAULT '',
  -- {"<custom field id>": "<canonical value>", ...}: only non-empty values; NULL for none.
  fields TEXT CHECK (fields IS NULL OR json_valid(fields))
) STRICT;
INSERT INTO contacts_new (id, email, email_key, first_name, last_name, phone, bounced,
                          ever_unsubscribed, created_at, updated_at, last_change_cause,
                          last_change_detail, fields)
  SELECT c.id, c.email, c.email_key, c.first_name, c.last_name, c.phone, c.bounced,
         c.ever_unsubscribed,
         CAST(round((julianday(c.created_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(c.updated_at) - 2440587.5) * 86400000) AS INTEGER),
         c.last_change_cause, c.last_change_detail,
         (SELECT nullif(json_group_object(CAST(v.field_id AS TEXT), v.value), '{}')
            FROM (SELECT field_id, value FROM contact_field_values
                   WHERE contact_id = c.id ORDER BY field_id) AS v)
    FROM contacts c;
DELETE FROM sqlite_sequence WHERE name = 'contacts_new';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'contacts_new', seq FROM sqlite_sequence WHERE name = 'contacts';

CREATE TABLE subscriptions_new (
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('active', 'unconfirmed', 'unsubscribed', 'bounced')),
  created_at INTEGER NOT NULL,  -- milliseconds since the Unix epoch, UTC
  changed_at INTEGER NOT NULL,
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  -- The sync that last wrote the contact's values into this list, and their hash.
  sync_id INTEGER REFERENCES syncs (id) ON DELETE SET NULL,
  sync_hash INTEGER,
  PRIMARY KEY (contact_id, list_id)
) STRICT, WITHOUT ROWID;
-- A hash moves into the subscription of its contact to its sync's list (the definition's
-- "list", by name); a contact on no such list has no use for it. Of two syncs into one list,
-- the newer one's hash stays.
INSERT INTO subscriptions_new (contact_id, list_id, status, created_at, changed_at, cause,
                               cause_detail, sync_id, sync_hash)
  SELECT s.contact_id, s.list_id, s.status,
         CAST(round((julianday(s.created_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(s.changed_at) - 2440587.5) * 86400000) AS INTEGER),
         s.cause, s.cause_detail, h.sync_id, h.hash
    FROM subscriptions s
    LEFT JOIN (SELECT h.contact_id, l.id AS list_id, max(h.sync_id) AS sync_id, h.hash
                 FROM sync_hashes h JOIN syncs y ON y.id = h.sync_id
                 JOIN lists l ON l.name = json_extract(y.definition, '$.list')
                GROUP BY h.contact_id, l.id) AS h
      ON h.contact_id = s.contact_id AND h.list_id = s.list_id;

CREATE TABLE subscription_history_new (
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_name TEXT NOT NULL,
  from_status TEXT,  -- NULL: joined the list
  to_status TEXT,    -- NULL: removed from the list
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL  -- milliseconds since the Unix epoch, UTC
) STRICT;
INSERT INTO subscription_history_new (id, contact_id, list_name, from_status, to_status, cause,
                                      cause_detail, at)
  SELECT id, contact_id, list_name, from_status, to_status, cause, cause_detail,
         CAST(round((julianday(at) - 2440587.5) * 86400000) AS INTEGER)
    FROM subscription_history;

DROP TABLE sync_hashes;
DROP TABLE contact_field_values;
DROP TABLE subscription_history;
DROP TABLE subscriptions;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
ALTER TABLE subscription_history_new RENAME TO subscription_history;
-- Lists' members by status (campaigns, counts, FindContacts by list).
CREATE INDEX subscriptions_by_list_status ON subscriptions (list_id, status);
CREATE INDEX subscription_history_by_contact ON subscription_history (contact_id, id);

CREATE TRIGGER contacts_update_forgets_sync_hashes
AFTER UPDATE OF email, first_name, last_name, phone, fields ON contacts
WHEN OLD.email IS NOT NEW.email OR OLD.first_name IS NOT NEW.first_name
  OR OLD.last_name IS NOT NEW.last_name OR OLD.phone IS NOT NEW.phone
  OR OLD.fields IS NOT NEW.fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE contact_id = NEW.id AND sync_hash IS NOT NULL;
END;
CREATE TRIGGER custom_fields_delete_forgets_sync_hashes AFTER DELETE ON custom_fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE sync_hash IS NOT NULL;
END;
)sql";

// History written for changes only (issue 13): a join was a history row and an index entry per
// subscription that only repeated what the subscription row almost says, so a first sync of a
// million contacts wrote two million B-tree entries for nothing. The subscription now says how
// the contact joined: joined_status, joined_cause, joined_detail (created_at is the join's
// time), and joined_entry_id, the history id its join entry has. ChangeSubscription writes a
// join as the subscription row alone; GetHistory shows the join entry from that row; whatever
// deletes a subscription row while its contact stays writes the join entry into the history
// first, under that id (RemoveSubscription, MaterialiseJoinsOfList).
// Why an id, not a place found by time: the history is ordered by id, i.e. by when each entry
// was written, and entries of the same millisecond (several lists, a join and its first
// change) have no other order; so a join reserves the id its row would have had (the
// AUTOINCREMENT mark of subscription_history, raised by one: ReserveHistoryIds), and no later
// row can take it.
// The migration keeps what GetHistory shows: a subscription's join entry is the earliest
// history row of its contact and list name that joined (from_status NULL) at its created_at;
// its values and id go into the subscription and the row is dropped. A subscription whose
// join the history does not hold (none is known to exist; a store edited by hand could have
// one) takes its join from its own status, cause and created_at, and an id after every
// existing entry: from then on its history shows that join, last.
// Both tables are rebuilt (subscription_history gains AUTOINCREMENT, which SQLite cannot add
// to a table), as migration 8 did: foreign keys off around it, checked before the commit.
constexpr std::string_view kHistoryForChanges = R"sql(
DROP TRIGGER contacts_update_forgets_sync_hashes;
DROP TRIGGER custom_fields_delete_forgets_sync_hashes;

CREATE TABLE subscriptions_new (
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('active', 'unconfirmed', 'unsubscribed', 'bounced')),
  created_at INTEGER NOT NULL,  -- milliseconds since the Unix epoch, UTC; when it joined
  changed_at INTEGER NOT NULL,
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  -- How it joined: its join entry in the history, which is written only when this row goes.
  joined_status TEXT NOT NULL
    CHECK (joined_status IN ('active', 'unconfirmed', 'unsubscribed', 'bounced')),
  joined_cause TEXT NOT NULL,
  joined_detail TEXT NOT NULL DEFAULT '',
  joined_entry_id INTEGER NOT NULL,  -- its id in subscription_history, reserved at the join
  -- The sync that last wrote the contact's values into this list, and their hash.
  sync_id INTEGER REFERENCES syncs (id) ON DELETE SET NULL,
  sync_hash INTEGER,
  PRIMARY KEY (contact_id, list_id)
) STRICT, WITHOUT ROWID;
INSERT INTO subscriptions_new (contact_id, list_id, status, created_at, changed_at, cause,
                               cause_detail, joined_status, joined_cause, joined_detail,
                               joined_entry_id, sync_id, sync_hash)
  SELECT s.contact_id, s.list_id, s.status, s.created_at, s.changed_at, s.cause,
         s.cause_detail,
         CASE WHEN h.id IS NULL THEN s.status ELSE h.to_status END,
         CASE WHEN h.id IS NULL THEN s.cause ELSE h.cause END,
         CASE WHEN h.id IS NULL THEN s.cause_detail ELSE h.cause_detail END,
         coalesce(h.id, (SELECT coalesce(max(id), 0) FROM subscription_history) +
                        sum(h.id IS NULL) OVER (ORDER BY s.contact_id, s.list_id)),
         s.sync_id, s.sync_hash
    FROM subscriptions s
    JOIN lists l ON l.id = s.list_id
    LEFT JOIN subscription_history h ON h.id = (
      SELECT min(j.id) FROM subscription_history j
       WHERE j.contact_id = s.contact_id AND j.list_name = l.name AND j.from_status IS NULL
         AND j.at = s.created_at);

CREATE TABLE subscription_history_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_name TEXT NOT NULL,
  from_status TEXT,  -- NULL: joined the list
  to_status TEXT,    -- NULL: removed from the list
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL  -- milliseconds since the Unix epoch, UTC
) STRICT;
INSERT INTO subscription_history_new (id, contact_id, list_name, from_status, to_status, cause,
                                      cause_detail, at)
  SELECT id, contact_id, list_name, from_status, to_status, cause, cause_detail, at
    FROM subscription_history
   WHERE id NOT IN (SELECT joined_entry_id FROM subscriptions_new);
-- The mark covers the reserved ids too, so that no new row ever takes one.
DELETE FROM sqlite_sequence WHERE name = 'subscription_history_new';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'subscription_history_new',
         max(coalesce((SELECT max(id) FROM subscription_history), 0),
             coalesce((SELECT max(joined_entry_id) FROM subscriptions_new), 0));

DROP TABLE subscription_history;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
ALTER TABLE subscription_history_new RENAME TO subscription_history;
-- Lists' members by status (campaigns, counts, FindContacts by list).
CREATE INDEX subscriptions_by_list_status ON subscriptions (list_id, status);
CREATE INDEX subscription_history_by_contact ON subscription_history (contact_id, id);

CREATE TRIGGER contacts_update_forgets_sync_hashes
AFTER UPDATE OF email, first_name, last_name, phone, fields ON contacts
WHEN OLD.email IS NOT NEW.email OR OLD.first_name IS NOT NEW.first_name
  OR OLD.last_name IS NOT NEW.last_name OR OLD.phone IS NOT NEW.phone
  OR OLD.fields IS NOT NEW.fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE contact_id = NEW.id AND sync_hash IS NOT NULL;
END;
CREATE TRIGGER custom_fields_delete_forgets_sync_hashes AFTER DELETE ON custom_fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE sync_hash IS NOT NULL;
END;
)sql";

// Subscription checks without temporary tables (issue 13): SQLite evaluates a CHECK of the form
// `x IN (four constants)` by building a temporary B-tree of the constants for every row a
// statement writes, and the two such checks of subscriptions were a fifth of a fresh sync's
// time (an insert cost two B-tree openings and closings more than its own write). The same
// checks written as comparisons cost nothing. SQLite cannot change a CHECK in place, so the
// table is rebuilt, as migrations 8 and 9 did (its triggers go and come back with it).
constexpr std::string_view kSubscriptionChecks = R"sql(
DROP TRIGGER contacts_update_forgets_sync_hashes;
DROP TRIGGER custom_fields_delete_forgets_sync_hashes;

CREATE TABLE subscriptions_new (
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status = 'active' OR status = 'unconfirmed'
                              OR status = 'unsubscribed' OR status = 'bounced'),
  created_at INTEGER NOT NULL,  -- milliseconds since the Unix epoch, UTC; when it joined
  changed_at INTEGER NOT NULL,
  cause TEXT NOT NULL,
  cause_detail TEXT NOT NULL DEFAULT '',
  -- How it joined: its join entry in the history, which is written only when this row goes.
  joined_status TEXT NOT NULL
    CHECK (joined_status = 'active' OR joined_status = 'unconfirmed'
           OR joined_status = 'unsubscribed' OR joined_status = 'bounced'),
  joined_cause TEXT NOT NULL,
  joined_detail TEXT NOT NULL DEFAULT '',
  joined_entry_id INTEGER NOT NULL,  -- its id in subscription_history, reserved at the join
  -- The sync that last wrote the contact's values into this list, and their hash.
  sync_id INTEGER REFERENCES syncs (id) ON DELETE SET NULL,
  sync_hash INTEGER,
  PRIMARY KEY (contact_id, list_id)
) STRICT, WITHOUT ROWID;
INSERT INTO subscriptions_new SELECT * FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
-- Lists' members by status (campaigns, counts, FindContacts by list).
CREATE INDEX subscriptions_by_list_status ON subscriptions (list_id, status);

CREATE TRIGGER contacts_update_forgets_sync_hashes
AFTER UPDATE OF email, first_name, last_name, phone, fields ON contacts
WHEN OLD.email IS NOT NEW.email OR OLD.first_name IS NOT NEW.first_name
  OR OLD.last_name IS NOT NEW.last_name OR OLD.phone IS NOT NEW.phone
  OR OLD.fields IS NOT NEW.fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE contact_id = NEW.id AND sync_hash IS NOT NULL;
END;
CREATE TRIGGER custom_fields_delete_forgets_sync_hashes AFTER DELETE ON custom_fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE sync_hash IS NOT NULL;
END;
)sql";

// Integer times everywhere (issue 13): the times of the tables migration 8 left as ISO 8601
// text (lists, custom fields, exclusions, connections, syncs and runs, mail, users and API
// tokens) become INTEGER milliseconds since the Unix epoch, UTC, as the contacts' are, so
// that the store has one form of time (compared and ordered as numbers; an outbox of a
// million confirmations keeps five integers a message, not five 20-byte texts) and the
// interface one pair of conversions (base::FormatUnixMillis, base::ParseIso8601Utc). A time
// that has not happened yet (a run still running, a message never claimed or sent, a token
// never used) is NULL, where it was ''. Sessions already kept Unix seconds, and
// schema_migrations.applied_at stays text: ApplyMigrations writes that table before it knows
// which version it is at. Each table is rebuilt by SQLite's procedure, as migrations 7 to 10
// did; lists and mail_outbox keep their AUTOINCREMENT marks (sqlite_sequence carried over).
constexpr std::string_view kIntegerTimes = R"sql(
DROP TRIGGER custom_fields_delete_forgets_sync_hashes;

CREATE TABLE lists_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  sender_name TEXT NOT NULL DEFAULT '',
  sender_email TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL  -- milliseconds since the Unix epoch, UTC
) STRICT;
INSERT INTO lists_new (id, name, sender_name, sender_email, description, created_at)
  SELECT id, name, sender_name, sender_email, description,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM lists;
DELETE FROM sqlite_sequence WHERE name = 'lists_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'lists_new', seq FROM sqlite_sequence
  WHERE name = 'lists';
DROP TABLE lists;
ALTER TABLE lists_new RENAME TO lists;

CREATE TABLE custom_fields_new (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('text', 'textarea', 'number', 'date', 'datetime',
                                     'dropdown', 'radio', 'checkbox', 'hidden')),
  required INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO custom_fields_new (id, key, label, type, required, created_at)
  SELECT id, key, label, type, required,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM custom_fields;
DROP TABLE custom_fields;
ALTER TABLE custom_fields_new RENAME TO custom_fields;
CREATE TRIGGER custom_fields_delete_forgets_sync_hashes AFTER DELETE ON custom_fields
BEGIN
  UPDATE subscriptions SET sync_hash = NULL WHERE sync_hash IS NOT NULL;
END;

CREATE TABLE exclusions_new (
  id INTEGER PRIMARY KEY,
  pattern TEXT NOT NULL,  -- canonical (model::NormalizeExclusionPattern)
  list_id INTEGER REFERENCES lists (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO exclusions_new (id, pattern, list_id, created_at)
  SELECT id, pattern, list_id,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM exclusions;
DROP TABLE exclusions;
ALTER TABLE exclusions_new RENAME TO exclusions;
CREATE UNIQUE INDEX exclusions_by_pattern_scope ON exclusions (pattern, coalesce(list_id, 0));
CREATE INDEX exclusions_by_list ON exclusions (list_id);

CREATE TABLE connections_new (
  id INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  host TEXT NOT NULL DEFAULT '',
  port INTEGER NOT NULL DEFAULT 0,
  user_name TEXT NOT NULL DEFAULT '',
  sealed_password BLOB NOT NULL DEFAULT x'',
  database_name TEXT NOT NULL,
  tls_mode TEXT NOT NULL,
  tls_ca_file TEXT NOT NULL DEFAULT '',
  connect_timeout_s INTEGER NOT NULL,
  query_timeout_s INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  allowed_functions TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(allowed_functions) AND json_type(allowed_functions) = 'array'),
  allow_custom_query_with_privileged_account INTEGER NOT NULL DEFAULT 0
    CHECK (allow_custom_query_with_privileged_account IN (0, 1))
) STRICT;
INSERT INTO connections_new (id, owner_id, name, type, host, port, user_name, sealed_password,
                             database_name, tls_mode, tls_ca_file, connect_timeout_s,
                             query_timeout_s, created_at, updated_at, allowed_functions,
                             allow_custom_query_with_privileged_account)
  SELECT id, owner_id, name, type, host, port, user_name, sealed_password, database_name,
         tls_mode, tls_ca_file, connect_timeout_s, query_timeout_s,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(updated_at) - 2440587.5) * 86400000) AS INTEGER),
         allowed_functions, allow_custom_query_with_privileged_account
    FROM connections;
DROP TABLE connections;
ALTER TABLE connections_new RENAME TO connections;

CREATE TABLE syncs_new (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO syncs_new (id, name, definition, created_at, updated_at)
  SELECT id, name, definition,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(updated_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM syncs;
DROP TABLE syncs;
ALTER TABLE syncs_new RENAME TO syncs;

CREATE TABLE sync_runs_new (
  id INTEGER PRIMARY KEY,
  sync_id INTEGER NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
  started_by TEXT NOT NULL,
  holder TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,  -- NULL while it runs
  duration_ms INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
  message TEXT NOT NULL DEFAULT '',
  sql TEXT NOT NULL DEFAULT '',
  deletion_note TEXT NOT NULL DEFAULT '',
  selected INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sync_runs_new (id, sync_id, started_by, holder, started_at, finished_at,
                           duration_ms, state, message, sql, deletion_note, selected, added,
                           updated, unchanged, skipped, failed, deleted)
  SELECT id, sync_id, started_by, holder,
         CAST(round((julianday(started_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(nullif(finished_at, '')) - 2440587.5) * 86400000) AS INTEGER),
         duration_ms, state, message, sql, deletion_note, selected, added, updated, unchanged,
         skipped, failed, deleted
    FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_new RENAME TO sync_runs;
CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id, id);
CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (sync_id) WHERE state = 'running';

CREATE TABLE mail_settings_new (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner_id TEXT NOT NULL,
  smtp_host TEXT NOT NULL DEFAULT '',
  smtp_port INTEGER NOT NULL DEFAULT 0,
  tls_mode TEXT NOT NULL DEFAULT 'starttls' CHECK (tls_mode IN ('none', 'starttls', 'tls')),
  smtp_user TEXT NOT NULL DEFAULT '',
  tls_ca_file TEXT NOT NULL DEFAULT '',
  sealed_password BLOB NOT NULL DEFAULT x'',
  from_name TEXT NOT NULL DEFAULT '',
  from_email TEXT NOT NULL DEFAULT '',
  hourly_cap INTEGER NOT NULL DEFAULT 0 CHECK (hourly_cap >= 0),
  base_url TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO mail_settings_new (id, owner_id, smtp_host, smtp_port, tls_mode, smtp_user,
                               tls_ca_file, sealed_password, from_name, from_email, hourly_cap,
                               base_url, updated_at)
  SELECT id, owner_id, smtp_host, smtp_port, tls_mode, smtp_user, tls_ca_file,
         sealed_password, from_name, from_email, hourly_cap, base_url,
         CAST(round((julianday(updated_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM mail_settings;
DROP TABLE mail_settings;
ALTER TABLE mail_settings_new RENAME TO mail_settings;

CREATE TABLE mail_autoresponders_new (
  id INTEGER PRIMARY KEY,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  delay_s INTEGER NOT NULL CHECK (delay_s >= 0),
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO mail_autoresponders_new (id, list_id, subject, body, delay_s, created_at)
  SELECT id, list_id, subject, body, delay_s,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM mail_autoresponders;
DROP TABLE mail_autoresponders;
ALTER TABLE mail_autoresponders_new RENAME TO mail_autoresponders;
CREATE INDEX mail_autoresponders_by_list ON mail_autoresponders (list_id);

CREATE TABLE mail_outbox_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'autoresponder')),
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  autoresponder_id INTEGER REFERENCES mail_autoresponders (id) ON DELETE CASCADE,
  autoresponders_on_confirm INTEGER NOT NULL DEFAULT 0 CHECK (autoresponders_on_confirm IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claimed_at INTEGER,  -- NULL until a sender claims it
  sent_at INTEGER,     -- NULL until it is sent
  last_error TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO mail_outbox_new (id, idempotency_key, kind, contact_id, list_id, autoresponder_id,
                             autoresponders_on_confirm, state, attempts, next_attempt_at,
                             claimed_at, sent_at, last_error, recipient, subject, created_at,
                             updated_at)
  SELECT id, idempotency_key, kind, contact_id, list_id, autoresponder_id,
         autoresponders_on_confirm, state, attempts,
         CAST(round((julianday(next_attempt_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(nullif(claimed_at, '')) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(nullif(sent_at, '')) - 2440587.5) * 86400000) AS INTEGER),
         last_error, recipient, subject,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(updated_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM mail_outbox;
DELETE FROM sqlite_sequence WHERE name = 'mail_outbox_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'mail_outbox_new', seq FROM sqlite_sequence
  WHERE name = 'mail_outbox';
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at, id);
CREATE INDEX mail_outbox_sent ON mail_outbox (sent_at) WHERE state = 'sent';
CREATE INDEX mail_outbox_by_subscription ON mail_outbox (contact_id, list_id);

CREATE TABLE users_new (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO users_new (id, username, password_hash, created_at)
  SELECT id, username, password_hash,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER)
    FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE api_tokens_new (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER  -- NULL until first used
) STRICT;
INSERT INTO api_tokens_new (id, user_id, name, token_hash, created_at, last_used_at)
  SELECT id, user_id, name, token_hash,
         CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER),
         CAST(round((julianday(nullif(last_used_at, '')) - 2440587.5) * 86400000) AS INTEGER)
    FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
)sql";

// Login rate limits in the store (issue 14): every server on one store counts a client's
// failed logins alike, where each process kept its own counters in memory (a client spreading
// its guesses over N servers behind one address got N times the limit). A counter per key
// ("user:NAME", "addr:IP"): when its window started and how many attempts it counted; expired
// ones are deleted by the next reservation (the index on window_start finds them).
constexpr std::string_view kLoginAttempts = R"sql(
CREATE TABLE login_attempts (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,  -- milliseconds since the Unix epoch, UTC
  attempts INTEGER NOT NULL CHECK (attempts >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX login_attempts_by_window ON login_attempts (window_start);
)sql";

// Holder leases (issue 14): a process that runs syncs renews a lease on its holder id, so that
// a run it leaves "running" when it dies is recognised by BeginRun on any host (a holder's
// host could only say so for its own processes). ends_at: milliseconds since the Unix epoch.
constexpr std::string_view kHolderLeases = R"sql(
CREATE TABLE holder_leases (
  holder TEXT PRIMARY KEY,
  ends_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

constexpr Migration kMigrations[] = {
    {1, "lists, custom fields, contacts, subscriptions, history, exclusions", kInitialSchema},
    {2, "saved connections to external databases", kConnections},
    {3, "sync definitions, runs, run failures, synced-value hashes", kSyncs},
    {4, "mail settings, autoresponders, outbox", kMail},
    {5, "accounts: users, sessions, API tokens", kAccounts},
    {6, "connections: custom-query policy (allowed functions, privileged accounts)",
     kConnectionPolicy},
    {7, "ids of contacts, lists and outbox messages never reused (AUTOINCREMENT)", kIdsNeverReused},
    {8,
     "compact contacts: custom values in one column, sync hashes in subscriptions, integer times",
     kCompactContacts},
    {9, "history for changes only: subscriptions say how they joined", kHistoryForChanges},
    {10, "subscription checks without temporary tables", kSubscriptionChecks},
    {11, "integer times in every table", kIntegerTimes},
    {12, "login rate limits shared by every server on the store", kLoginAttempts},
    {13, "holder leases: runs of a process that died are recognised on any host", kHolderLeases},
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

namespace {

// Fails when a row's foreign key points at no row: the rebuild of a table (migration 7) runs
// with foreign keys off, so nothing else would notice a copy that lost a parent.
base::Status CheckForeignKeys(Database& db) {
  CS_ASSIGN_OR_RETURN(Statement check, db.Prepare("PRAGMA foreign_key_check"));
  CS_ASSIGN_OR_RETURN(const bool row, check.Step());
  if (!row) return base::Status::Ok();
  return base::Internal(fmt::format("a row of table {} (rowid {}) refers to a missing row of {}",
                                    check.ColumnText(0), check.ColumnInt64(1),
                                    check.ColumnText(2)));
}

base::Result<bool> ForeignKeysOn(Database& db) {
  CS_ASSIGN_OR_RETURN(Statement pragma, db.Prepare("PRAGMA foreign_keys"));
  CS_ASSIGN_OR_RETURN(const bool row, pragma.Step());
  return row && pragma.ColumnInt64(0) != 0;
}

base::Status ApplyEach(Database& db, std::span<const Migration> migrations, int current,
                       const base::Clock& clock) {
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    const base::Status status = InTransaction(db, TransactionKind::kWrite, [&]() -> base::Status {
      CS_RETURN_IF_ERROR(db.Exec(kCreateMigrationsTable));
      // Another process may have applied it between our check and our lock.
      CS_ASSIGN_OR_RETURN(const int now_at, CurrentSchemaVersion(db));
      if (now_at >= migration.version) return base::Status::Ok();
      CS_RETURN_IF_ERROR(db.Exec(migration.sql));
      CS_RETURN_IF_ERROR(CheckForeignKeys(db));
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

}  // namespace

base::Status ApplyMigrations(Database& db, std::span<const Migration> migrations,
                             const base::Clock& clock) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  CS_ASSIGN_OR_RETURN(const int current, CurrentSchemaVersion(db));
  if (current > latest) {
    return base::FailedPrecondition(fmt::format(
        "store schema version {} is newer than this contactsync ({}); upgrade contactsync", current,
        latest));
  }
  if (current == latest) return base::Status::Ok();
  // Foreign keys off while migrating, as SQLite's table-rebuild procedure needs: with them on,
  // dropping the old copy of a table would cascade its deletes into every table that points
  // at it. The pragma is a no-op inside a transaction, so it is set here, around them all.
  CS_ASSIGN_OR_RETURN(const bool foreign_keys, ForeignKeysOn(db));
  if (foreign_keys) CS_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = OFF"));
  const base::Status applied = ApplyEach(db, migrations, current, clock);
  if (foreign_keys) {
    const base::Status restored = db.Exec("PRAGMA foreign_keys = ON");
    if (applied.ok()) return restored;
  }
  return applied;
}

}  // namespace contactsync::store::sqlite
