#pragma once

// Queries shared by the SQLite store's source files. Each runs inside the
// caller's transaction and uses the connection's statement cache.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/contact_fields_json.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/store.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {

// Times: every table keeps INTEGER milliseconds since the Unix epoch, UTC (schema 11), while
// the store's interface speaks ISO 8601 text: StoredTime (store_rules.h) reads the interface's
// text, and ShownTime shows a row's time to the second, "" for NULL (a time that has not
// happened: a run still running, a message never sent).
std::string ShownTime(const Statement& row, int column);

// ListRef: store_rules.h, one for every backend.

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

// The history ids of join entries, a block at a time, for a writer that makes
// many joins in one transaction (a sync run): one statement per block instead
// of one per join. A join entry's id is reserved when the contact joins, so
// that the entry keeps its place among the contact's entries (they are shown
// by id); the ids of a block keep that promise only in the transaction that
// reserved them (after it, another writer's entry for the same contact could
// get a larger id before a join takes a smaller one), so the writer calls
// Forget() when its transaction ends. Ids never handed out are never used:
// the history's ids have gaps, as AUTOINCREMENT's may.
class JoinEntryIds {
 public:
  explicit JoinEntryIds(int64_t block) : block_(block) {}
  base::Result<int64_t> Take(Database& db);
  void Forget() { next_ = end_ = 0; }

 private:
  const int64_t block_;
  int64_t next_ = 0;  // [next_, end_) are reserved and not handed out
  int64_t end_ = 0;
};

// Sets the subscription's status and cause and appends the history row, in
// one call so that no caller can forget the history. `from` is the status
// before (nullopt: the contact joins the list; then the new subscription row
// says how it joined and no history row is written: GetHistory shows the join
// from it, under an id taken from `join_ids` when given, else reserved now).
// `at_ms`: base::UnixMillis. `sync_hash`, when given, is stored with the
// subscription; otherwise a stored one stays.
base::Status ChangeSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash = std::nullopt,
                                JoinEntryIds* join_ids = nullptr);

// Removes a contact from a list while the contact stays: writes the join
// entry the subscription row held into the history, then the removal entry
// (`from` -> none, `cause`, `now_ms`), and deletes the row. Every deletion of
// a subscription row whose contact stays goes through here (or, for a whole
// list, MaterialiseJoinsOfList), so that no join is lost with its row.
base::Status RemoveSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                SubscriptionStatus from, const Cause& cause, int64_t now_ms);

// Writes the join entries of every subscription to `list` into the history,
// before the list is deleted (its subscriptions go by ON DELETE CASCADE).
base::Status MaterialiseJoinsOfList(Database& db, const ListRef& list);

// Inserts a run's failures (in the caller's transaction).
base::Status InsertRunFailures(Database& db, int64_t run_id,
                               const std::vector<RunFailure>& failures);

// Binds `json` (EncodeContactFields' output) as contacts.fields at `index`: a
// contact without values stores NULL, never "".
void BindContactFields(Statement& statement, int index, std::string_view json);

// Sets a contact's values for the fields of `changes` (field id, value); ""
// removes one (values are never stored empty). Reads contacts.fields and
// writes it back through the one encoder (store/contact_fields_json.h).
base::Status WriteFieldValues(Database& db, int64_t contact_id, const FieldValueRefs& changes);

// A contact's custom values (contacts.fields), by field key.
base::Result<std::map<std::string, std::string>> LoadFieldValues(Database& db, int64_t contact_id);

}  // namespace contactsync::store::sqlite
