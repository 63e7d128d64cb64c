#include "store/sqlite/sqlite_queries.h"

#include <unordered_map>

#include <fmt/format.h>

#include "base/clock.h"
#include "model/exclusion.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {

base::Result<std::optional<ListRef>> FindList(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached("SELECT id, name FROM lists WHERE name = ?1"));
  query->Bind(1, ListNameForLookup(name));
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<ListRef>();
  return std::optional<ListRef>(ListRef{query->ColumnInt64(0), query->ColumnText(1)});
}

base::Result<ListRef> RequireList(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(std::optional<ListRef> list, FindList(db, name));
  if (!list) return ListNotFound(name);
  return *std::move(list);
}

base::Result<std::vector<CustomField>> LoadFields(Database& db) {
  std::vector<CustomField> fields;
  std::unordered_map<int64_t, size_t> index_by_id;
  {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db.Cached("SELECT id, key, label, type, required FROM custom_fields ORDER BY key"));
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) break;
      CustomField field;
      field.id = query->ColumnInt64(0);
      field.definition.key = query->ColumnText(1);
      field.definition.label = query->ColumnText(2);
      auto type = model::ParseFieldType(query->ColumnText(3));
      if (!type.ok()) return base::Internal("stored field type: " + type.status().message());
      field.definition.type = *type;
      field.definition.required = query->ColumnInt64(4) != 0;
      index_by_id.emplace(field.id, fields.size());
      fields.push_back(std::move(field));
    }
  }
  CS_ASSIGN_OR_RETURN(
      CachedStatement options,
      db.Cached("SELECT field_id, value FROM custom_field_options ORDER BY field_id, position"));
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, options->Step());
    if (!row) break;
    const auto it = index_by_id.find(options->ColumnInt64(0));
    if (it != index_by_id.end()) {
      fields[it->second].definition.options.push_back(options->ColumnText(1));
    }
  }
  return fields;
}

std::string ShownTime(const Statement& row, int column) {
  return row.ColumnIsNull(column) ? std::string() : base::FormatUnixMillis(row.ColumnInt64(column));
}

base::Result<std::optional<Exclusion>> FindMatchingExclusion(Database& db, const ListRef& list,
                                                             std::string_view email_key) {
  // Patterns are matched here rather than in SQL so that one matcher
  // (model::ExclusionMatches) decides for every backend.
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached("SELECT id, pattern, list_id, created_at FROM exclusions "
                                "WHERE list_id IS NULL OR list_id = ?1 ORDER BY id"));
  query->Bind(1, list.id);
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return std::optional<Exclusion>();
    std::string pattern = query->ColumnText(1);
    if (!model::ExclusionMatches(pattern, email_key)) continue;
    Exclusion exclusion;
    exclusion.id = query->ColumnInt64(0);
    exclusion.pattern = std::move(pattern);
    if (!query->ColumnIsNull(2)) exclusion.list_name = list.name;
    exclusion.created_at = ShownTime(*query, 3);
    return std::optional<Exclusion>(std::move(exclusion));
  }
}

namespace {

void BindStatus(Statement& statement, int index, std::optional<SubscriptionStatus> status) {
  if (status) {
    statement.Bind(index, SubscriptionStatusName(*status));
  } else {
    statement.BindNull(index);
  }
}

// Appends one entry to a contact's history: `from` nullopt is a join, `to` nullopt a removal.
base::Status AppendHistory(Database& db, int64_t contact_id, const std::string& list_name,
                           std::optional<SubscriptionStatus> from,
                           std::optional<SubscriptionStatus> to, const Cause& cause,
                           int64_t at_ms) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement history,
      db.Cached("INSERT INTO subscription_history (contact_id, list_name, from_status, "
                "to_status, cause, cause_detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  history->Bind(1, contact_id)
      .Bind(2, list_name)
      .Bind(5, model::CauseKindName(cause.kind))
      .Bind(6, cause.detail)
      .Bind(7, at_ms);
  BindStatus(*history, 3, from);
  BindStatus(*history, 4, to);
  return history->Run();
}

// Raises the AUTOINCREMENT mark of subscription_history by `count`: the ids
// (mark, mark + count] are the caller's, never handed out again. Returns the
// first.
base::Result<int64_t> ReserveHistoryIds(Database& db, int64_t count) {
  CS_ASSIGN_OR_RETURN(CachedStatement reserve,
                      db.Cached("UPDATE sqlite_sequence SET seq = seq + ?1 "
                                "WHERE name = 'subscription_history' RETURNING seq"));
  reserve->Bind(1, count);
  CS_ASSIGN_OR_RETURN(const bool row, reserve->Step());
  if (!row) return base::Internal("the store has no id mark for subscription_history");
  const int64_t last = reserve->ColumnInt64(0);
  CS_ASSIGN_OR_RETURN(const bool more, reserve->Step());  // finishes the UPDATE
  if (more) return base::Internal("the store has two id marks for subscription_history");
  return last - count + 1;
}

// Binds what a join and a change both write into the subscription row: ?1 contact, ?2 list,
// ?3 status, ?4 time, ?5 cause, ?6 its detail, ?7 ?8 the sync's id and hash (NULL: none).
void BindSubscriptionChange(Statement& statement, int64_t contact_id, const ListRef& list,
                            SubscriptionStatus to, const Cause& cause, int64_t at_ms,
                            std::optional<SyncHash> sync_hash) {
  statement.Bind(1, contact_id)
      .Bind(2, list.id)
      .Bind(3, SubscriptionStatusName(to))
      .Bind(4, at_ms)
      .Bind(5, model::CauseKindName(cause.kind))
      .Bind(6, cause.detail);
  if (sync_hash) {
    statement.Bind(7, sync_hash->sync_id).Bind(8, sync_hash->hash);
  } else {
    statement.BindNull(7).BindNull(8);
  }
}

// A join is the subscription row alone: it says how the contact joined (joined_*), and
// GetHistory shows that as the join entry. A plain INSERT: the contact has no row there.
base::Status JoinList(Database& db, int64_t contact_id, const ListRef& list, SubscriptionStatus to,
                      const Cause& cause, int64_t at_ms, std::optional<SyncHash> sync_hash,
                      int64_t entry_id) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db.Cached("INSERT INTO subscriptions (contact_id, list_id, status, created_at, changed_at, "
                "cause, cause_detail, joined_status, joined_cause, joined_detail, "
                "joined_entry_id, sync_id, sync_hash) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?3, ?5, "
                "?6, ?9, ?7, ?8)"));
  BindSubscriptionChange(*insert, contact_id, list, to, cause, at_ms, sync_hash);
  insert->Bind(9, entry_id);
  return insert->Run();
}

// coalesce keeps a stored hash when none is given (?7 NULL).
base::Status UpdateSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                SubscriptionStatus to, const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement update,
      db.Cached("UPDATE subscriptions SET status = ?3, changed_at = ?4, cause = ?5, "
                "cause_detail = ?6, sync_id = coalesce(?7, sync_id), sync_hash = CASE WHEN ?7 "
                "IS NULL THEN sync_hash ELSE ?8 END WHERE contact_id = ?1 AND list_id = ?2"));
  BindSubscriptionChange(*update, contact_id, list, to, cause, at_ms, sync_hash);
  CS_RETURN_IF_ERROR(update->Run());
  if (db.Changes() == 0) {
    return base::Internal(
        fmt::format("contact {} has no subscription to list {} to change", contact_id, list.id));
  }
  return base::Status::Ok();
}

// Writes the join entries of subscriptions about to go, under the ids they reserved. ?1 is
// the list's id, ?2 its name (history outlives a deleted list).
constexpr std::string_view kMaterialiseJoins =
    "INSERT INTO subscription_history (id, contact_id, list_name, from_status, to_status, "
    "cause, cause_detail, at) SELECT joined_entry_id, contact_id, ?2, NULL, joined_status, "
    "joined_cause, joined_detail, created_at FROM subscriptions WHERE list_id = ?1";

}  // namespace

base::Result<int64_t> JoinEntryIds::Take(Database& db) {
  if (next_ == end_) {
    CS_ASSIGN_OR_RETURN(next_, ReserveHistoryIds(db, block_));
    end_ = next_ + block_;
  }
  return next_++;
}

// Sets the subscription's status and cause, and records the change in the
// history, in one step so that no caller can forget the history row. A join
// writes no history row: the subscription row holds it (JoinList).
base::Status ChangeSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash, JoinEntryIds* join_ids) {
  if (!from) {
    CS_ASSIGN_OR_RETURN(const int64_t entry_id,
                        join_ids != nullptr ? join_ids->Take(db) : ReserveHistoryIds(db, 1));
    return JoinList(db, contact_id, list, to, cause, at_ms, sync_hash, entry_id);
  }
  CS_RETURN_IF_ERROR(UpdateSubscription(db, contact_id, list, to, cause, at_ms, sync_hash));
  return AppendHistory(db, contact_id, list.name, from, to, cause, at_ms);
}

base::Status RemoveSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                SubscriptionStatus from, const Cause& cause, int64_t now_ms) {
  {
    CS_ASSIGN_OR_RETURN(CachedStatement join,
                        db.Cached(fmt::format("{} AND contact_id = ?3", kMaterialiseJoins)));
    join->Bind(1, list.id).Bind(2, list.name).Bind(3, contact_id);
    CS_RETURN_IF_ERROR(join->Run());
  }
  CS_RETURN_IF_ERROR(AppendHistory(db, contact_id, list.name, from, std::nullopt, cause, now_ms));
  CS_ASSIGN_OR_RETURN(
      CachedStatement remove,
      db.Cached("DELETE FROM subscriptions WHERE contact_id = ?1 AND list_id = ?2"));
  remove->Bind(1, contact_id).Bind(2, list.id);
  return remove->Run();
}

base::Status MaterialiseJoinsOfList(Database& db, const ListRef& list) {
  CS_ASSIGN_OR_RETURN(CachedStatement joins, db.Cached(kMaterialiseJoins));
  joins->Bind(1, list.id).Bind(2, list.name);
  return joins->Run();
}

base::Status InsertRunFailures(Database& db, int64_t run_id,
                               const std::vector<RunFailure>& failures) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db.Cached("INSERT INTO sync_run_failures (run_id, row_number, email, reason, message) "
                "VALUES (?1, ?2, ?3, ?4, ?5)"));
  for (const RunFailure& failure : failures) {
    insert->Reset();
    insert->Bind(1, run_id)
        .Bind(2, failure.row_number)
        .Bind(3, failure.email)
        .Bind(4, failure.reason)
        .Bind(5, failure.message);
    CS_RETURN_IF_ERROR(insert->Run());
  }
  return base::Status::Ok();
}

void BindContactFields(Statement& statement, int index, std::string_view json) {
  if (json.empty()) {
    statement.BindNull(index);
  } else {
    statement.Bind(index, json);
  }
}

// Read, change and write back in C++ rather than with SQL's json_set, so that
// one encoder writes contacts.fields (a second one would drift: key order,
// escapes, empty values).
base::Status WriteFieldValues(Database& db, int64_t contact_id, const FieldValueRefs& changes) {
  std::string json;
  {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db.Cached("SELECT fields FROM contacts WHERE id = ?1"));
    query->Bind(1, contact_id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Internal("the contact whose values are written is gone");
    CS_RETURN_IF_ERROR(MergeContactFields(query->ColumnTextView(0), changes, json));
  }
  CS_ASSIGN_OR_RETURN(CachedStatement update,
                      db.Cached("UPDATE contacts SET fields = ?2 WHERE id = ?1"));
  update->Bind(1, contact_id);
  BindContactFields(*update, 2, json);
  return update->Run();
}

base::Result<std::map<std::string, std::string>> LoadFieldValues(Database& db, int64_t contact_id) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db.Cached("SELECT f.key, j.value FROM contacts c, json_each(c.fields) j "
                "JOIN custom_fields f ON f.id = CAST(j.key AS INTEGER) WHERE c.id = ?1"));
  query->Bind(1, contact_id);
  std::map<std::string, std::string> values;
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return values;
    values.emplace(query->ColumnText(0), query->ColumnText(1));
  }
}

}  // namespace contactsync::store::sqlite
