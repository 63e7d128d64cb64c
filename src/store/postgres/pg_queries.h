#pragma once

// Queries shared by the PostgreSQL store's source files, as sqlite_queries.h is for the SQLite
// store: each runs inside the caller's transaction on its session. What they decide is the
// shared rules' (store_rules.h); these only keep and find.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/contact_fields_json.h"
#include "store/postgres/pg_database.h"
#include "store/store.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {

// A time column read as cs_ms(...) (milliseconds since the Unix epoch) shown as the interface
// shows times, to the second; "" for NULL (a time that has not happened).
std::string ShownTime(const Rows& rows, int row, int column);

// ListRef: store_rules.h, one for every backend.

// The list named `name` (trimmed, case-sensitive), or nullopt.
base::Result<std::optional<ListRef>> FindList(Database& db, std::string_view name);

// The list named `name`, or NotFound "list 'X' does not exist".
base::Result<ListRef> RequireList(Database& db, std::string_view name);

// Every custom field with its options, ordered by key.
base::Result<std::vector<CustomField>> LoadFields(Database& db);

// The first entry (by id) that excludes `email_key` from `list`, counting the global entries,
// or nullopt. Patterns are matched by model::ExclusionMatches, the one matcher of every
// backend.
base::Result<std::optional<Exclusion>> FindMatchingExclusion(Database& db, const ListRef& list,
                                                             std::string_view email_key);

// Sets the subscription's status and cause and appends the history row, in one call so that
// no caller can forget the history. `from` is the status before (nullopt: the contact joins
// the list; then the new subscription row says how it joined and no history row is written:
// GetHistory shows the join from it, under an id of subscription_history's sequence taken
// now, so that the entry keeps its place among the contact's entries). `at_ms`:
// base::UnixMillis. `sync_hash`, when given, is stored with the subscription; otherwise a
// stored one stays.
base::Status ChangeSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash = std::nullopt);

// Removes a contact from a list while the contact stays: writes the join entry the
// subscription row held into the history, then the removal entry (`from` -> none, `cause`,
// `now_ms`), and deletes the row. Every deletion of a subscription row whose contact stays
// goes through here (or, for a whole list, MaterialiseJoinsOfList), so that no join is lost
// with its row.
base::Status RemoveSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                SubscriptionStatus from, const Cause& cause, int64_t now_ms);

// Writes the join entries of every subscription to `list` into the history, before the list
// is deleted (its subscriptions go by ON DELETE CASCADE).
base::Status MaterialiseJoinsOfList(Database& db, const ListRef& list);

// Inserts a run's failures (in the caller's transaction), many rows a statement.
base::Status InsertRunFailures(Database& db, int64_t run_id,
                               const std::vector<RunFailure>& failures);

// `json` (EncodeContactFields' output) as the parameter of contacts.fields (write it as
// `$n::jsonb`): a contact without values stores NULL, never "".
Param ContactFieldsParam(std::string_view json);

// Sets a contact's values for the fields of `changes` (field id, value); "" removes one
// (values are never stored empty). Reads contacts.fields and writes it back through the one
// encoder (store/contact_fields_json.h).
base::Status WriteFieldValues(Database& db, int64_t contact_id, const FieldValueRefs& changes);

// A contact's contacts.fields as text ("" for NULL), for DecodeContactFields.
base::Result<std::string> LoadFieldsJson(Database& db, int64_t contact_id);

// A contact's custom values (contacts.fields), by field key.
base::Result<std::map<std::string, std::string>> LoadFieldValues(Database& db, int64_t contact_id);

// Queues the mail that `from` -> `to` on `list` for `contact_id` causes, as
// DecideMailForChange (mail_rules.h) says: a confirmation (remembering `autoresponders` for
// when it is confirmed) or the list's autoresponders, each due AutoresponderDueTime(`now_ms`,
// delay), or nothing. In the caller's write transaction, right after ChangeSubscription, so
// that the change and its messages commit or roll back together (pg_store_mail.cpp).
base::Status QueueMailForChange(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                bool autoresponders, int64_t now_ms);

}  // namespace contactsync::store::postgres
