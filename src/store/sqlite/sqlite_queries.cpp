#include "store/sqlite/sqlite_queries.h"

#include <unordered_map>

#include <fmt/format.h>

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
    exclusion.created_at = query->ColumnText(3);
    return std::optional<Exclusion>(std::move(exclusion));
  }
}

base::Result<SubscriptionStatus> StoredStatus(std::string_view name) {
  auto status = model::ParseSubscriptionStatus(name);
  if (!status.ok())
    return base::Internal("stored subscription status: " + status.status().message());
  return *status;
}

base::Result<model::CauseKind> StoredCauseKind(std::string_view name) {
  auto kind = model::ParseCauseKind(name);
  if (!kind.ok()) return base::Internal("stored cause: " + kind.status().message());
  return *kind;
}

// Sets the subscription's status and cause, and records the change in the
// history, in one step so that no caller can forget the history row.
base::Status ChangeSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash) {
  {
    // A contact not on the list has no row there: a plain INSERT then, which
    // costs SQLite less than the upsert (a first sync makes a million).
    // coalesce keeps a stored hash when none is given (?7 NULL).
    CS_ASSIGN_OR_RETURN(
        CachedStatement upsert,
        from ? db.Cached("INSERT INTO subscriptions (contact_id, list_id, status, created_at, "
                         "changed_at, cause, cause_detail, sync_id, sync_hash) VALUES (?1, ?2, "
                         "?3, ?4, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (contact_id, list_id) DO UPDATE "
                         "SET status = excluded.status, changed_at = excluded.changed_at, cause "
                         "= excluded.cause, cause_detail = excluded.cause_detail, sync_id = "
                         "coalesce(excluded.sync_id, sync_id), sync_hash = CASE WHEN "
                         "excluded.sync_id IS NULL THEN sync_hash ELSE excluded.sync_hash END")
             : db.Cached("INSERT INTO subscriptions (contact_id, list_id, status, created_at, "
                         "changed_at, cause, cause_detail, sync_id, sync_hash) VALUES (?1, ?2, "
                         "?3, ?4, ?4, ?5, ?6, ?7, ?8)"));
    upsert->Bind(1, contact_id)
        .Bind(2, list.id)
        .Bind(3, SubscriptionStatusName(to))
        .Bind(4, at_ms)
        .Bind(5, model::CauseKindName(cause.kind))
        .Bind(6, cause.detail);
    if (sync_hash) {
      upsert->Bind(7, sync_hash->sync_id).Bind(8, sync_hash->hash);
    } else {
      upsert->BindNull(7).BindNull(8);
    }
    CS_RETURN_IF_ERROR(upsert->Run());
  }
  CS_ASSIGN_OR_RETURN(
      CachedStatement history,
      db.Cached("INSERT INTO subscription_history (contact_id, list_name, from_status, "
                "to_status, cause, cause_detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  history->Bind(1, contact_id)
      .Bind(2, list.name)
      .Bind(4, SubscriptionStatusName(to))
      .Bind(5, model::CauseKindName(cause.kind))
      .Bind(6, cause.detail)
      .Bind(7, at_ms);
  if (from) {
    history->Bind(3, SubscriptionStatusName(*from));
  } else {
    history->BindNull(3);
  }
  return history->Run();
}

// Read, change and write back in C++ rather than with SQL's json_set, so that
// one encoder writes contacts.fields (a second one would drift: key order,
// escapes, empty values).
base::Status WriteFieldValues(Database& db, int64_t contact_id, const FieldValueRefs& changes) {
  FieldValues stored;
  {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db.Cached("SELECT fields FROM contacts WHERE id = ?1"));
    query->Bind(1, contact_id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Internal("the contact whose values are written is gone");
    CS_RETURN_IF_ERROR(DecodeContactFields(query->ColumnTextView(0), stored));
  }
  FieldValueRefs entries;
  entries.reserve(stored.size() + changes.size());
  for (const auto& [id, value] : stored) entries.emplace_back(id, value);
  entries.insert(entries.end(), changes.begin(), changes.end());  // the later entry wins
  std::string json;
  EncodeContactFields(entries, json);
  CS_ASSIGN_OR_RETURN(CachedStatement update,
                      db.Cached("UPDATE contacts SET fields = ?2 WHERE id = ?1"));
  update->Bind(1, contact_id);
  if (json.empty()) {
    update->BindNull(2);
  } else {
    update->Bind(2, json);
  }
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
