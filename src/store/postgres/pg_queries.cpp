#include "store/postgres/pg_queries.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "base/clock.h"
#include "model/exclusion.h"

namespace contactsync::store::postgres {

std::string ShownTime(const Rows& rows, int row, int column) {
  return rows.IsNull(row, column) ? std::string() : base::FormatUnixMillis(rows.Int64(row, column));
}

base::Result<std::optional<ListRef>> FindList(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db.Exec("SELECT id, name FROM lists WHERE name = $1",
                                               {std::string_view(ListNameForLookup(name))}));
  if (rows.size() == 0) return std::optional<ListRef>();
  return std::optional<ListRef>(ListRef{rows.Int64(0, 0), std::string(rows.Text(0, 1))});
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
        const Rows rows,
        db.Exec("SELECT id, key, label, type, required FROM custom_fields ORDER BY key"));
    for (int i = 0; i < rows.size(); ++i) {
      CustomField field;
      field.id = rows.Int64(i, 0);
      field.definition.key = rows.Text(i, 1);
      field.definition.label = rows.Text(i, 2);
      auto type = model::ParseFieldType(rows.Text(i, 3));
      if (!type.ok()) return base::Internal("stored field type: " + type.status().message());
      field.definition.type = *type;
      field.definition.required = rows.Bool(i, 4);
      index_by_id.emplace(field.id, fields.size());
      fields.push_back(std::move(field));
    }
  }
  CS_ASSIGN_OR_RETURN(
      const Rows options,
      db.Exec("SELECT field_id, value FROM custom_field_options ORDER BY field_id, position"));
  for (int i = 0; i < options.size(); ++i) {
    const auto it = index_by_id.find(options.Int64(i, 0));
    if (it != index_by_id.end()) {
      fields[it->second].definition.options.emplace_back(options.Text(i, 1));
    }
  }
  return fields;
}

base::Result<std::optional<Exclusion>> FindMatchingExclusion(Database& db, const ListRef& list,
                                                             std::string_view email_key) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db.Exec("SELECT id, pattern, list_id IS NULL, cs_ms(created_at) FROM "
                              "exclusions WHERE list_id IS NULL OR list_id = $1 ORDER BY id",
                              {list.id}));
  for (int i = 0; i < rows.size(); ++i) {
    if (!model::ExclusionMatches(rows.Text(i, 1), email_key)) continue;
    Exclusion exclusion;
    exclusion.id = rows.Int64(i, 0);
    exclusion.pattern = rows.Text(i, 1);
    if (!rows.Bool(i, 2)) exclusion.list_name = list.name;
    exclusion.created_at = ShownTime(rows, i, 3);
    return std::optional<Exclusion>(std::move(exclusion));
  }
  return std::optional<Exclusion>();
}

namespace {

Param StatusParam(std::optional<SubscriptionStatus> status) {
  if (status) return SubscriptionStatusName(*status);
  return nullptr;
}

// Appends one entry to a contact's history: `from` nullopt is a join, `to` nullopt a removal.
base::Status AppendHistory(Database& db, int64_t contact_id, std::string_view list_name,
                           std::optional<SubscriptionStatus> from,
                           std::optional<SubscriptionStatus> to, const Cause& cause,
                           int64_t at_ms) {
  return db
      .Exec(
          "INSERT INTO subscription_history (contact_id, list_name, from_status, to_status, "
          "cause, cause_detail, at) VALUES ($1, $2, $3, $4, $5, $6, cs_ts($7))",
          {contact_id, list_name, StatusParam(from), StatusParam(to),
           model::CauseKindName(cause.kind), std::string_view(cause.detail), at_ms})
      .status();
}

// What a join and a change both write into the subscription row: $1 contact, $2 list, $3
// status, $4 time, $5 cause, $6 its detail, $7 $8 the sync's id and hash (NULL: none).
std::vector<Param> SubscriptionChangeParams(int64_t contact_id, const ListRef& list,
                                            SubscriptionStatus to, const Cause& cause,
                                            int64_t at_ms, std::optional<SyncHash> sync_hash) {
  std::vector<Param> params = {contact_id,
                               list.id,
                               SubscriptionStatusName(to),
                               at_ms,
                               model::CauseKindName(cause.kind),
                               std::string_view(cause.detail)};
  if (sync_hash) {
    params.emplace_back(sync_hash->sync_id);
    params.emplace_back(sync_hash->hash);
  } else {
    params.emplace_back(nullptr);
    params.emplace_back(nullptr);
  }
  return params;
}

// A join is the subscription row alone: it says how the contact joined (joined_*), and
// GetHistory shows that as the join entry, under the id taken here from the history's
// sequence.
base::Status JoinList(Database& db, int64_t contact_id, const ListRef& list, SubscriptionStatus to,
                      const Cause& cause, int64_t at_ms, std::optional<SyncHash> sync_hash) {
  return db
      .Exec(
          "INSERT INTO subscriptions (contact_id, list_id, status, created_at, changed_at, "
          "cause, cause_detail, joined_status, joined_cause, joined_detail, joined_entry_id, "
          "sync_id, sync_hash) VALUES ($1, $2, $3, cs_ts($4), cs_ts($4), $5, $6, $3, $5, $6, "
          "nextval(pg_get_serial_sequence('subscription_history', 'id')), $7, $8)",
          SubscriptionChangeParams(contact_id, list, to, cause, at_ms, sync_hash))
      .status();
}

// coalesce keeps a stored hash when none is given ($7 NULL).
base::Status UpdateSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                SubscriptionStatus to, const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash) {
  CS_ASSIGN_OR_RETURN(
      const Rows updated,
      db.Exec("UPDATE subscriptions SET status = $3, changed_at = cs_ts($4), cause = $5, "
              "cause_detail = $6, sync_id = coalesce($7::bigint, sync_id), sync_hash = CASE "
              "WHEN $7::bigint IS NULL THEN sync_hash ELSE $8::bigint END WHERE contact_id = $1 "
              "AND list_id = $2",
              SubscriptionChangeParams(contact_id, list, to, cause, at_ms, sync_hash)));
  if (updated.Affected() == 0) {
    return base::Internal(
        fmt::format("contact {} has no subscription to list {} to change", contact_id, list.id));
  }
  return base::Status::Ok();
}

// Writes the join entries of subscriptions about to go, under the ids they reserved. $1 is the
// list's id, $2 its name (history outlives a deleted list).
constexpr std::string_view kMaterialiseJoins =
    "INSERT INTO subscription_history (id, contact_id, list_name, from_status, to_status, "
    "cause, cause_detail, at) SELECT joined_entry_id, contact_id, $2, NULL, joined_status, "
    "joined_cause, joined_detail, created_at FROM subscriptions WHERE list_id = $1";

}  // namespace

base::Status ChangeSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                const Cause& cause, int64_t at_ms,
                                std::optional<SyncHash> sync_hash) {
  if (!from) return JoinList(db, contact_id, list, to, cause, at_ms, sync_hash);
  CS_RETURN_IF_ERROR(UpdateSubscription(db, contact_id, list, to, cause, at_ms, sync_hash));
  return AppendHistory(db, contact_id, list.name, from, to, cause, at_ms);
}

base::Status RemoveSubscription(Database& db, int64_t contact_id, const ListRef& list,
                                SubscriptionStatus from, const Cause& cause, int64_t now_ms) {
  CS_RETURN_IF_ERROR(db.Exec(fmt::format("{} AND contact_id = $3", kMaterialiseJoins),
                             {list.id, std::string_view(list.name), contact_id})
                         .status());
  CS_RETURN_IF_ERROR(AppendHistory(db, contact_id, list.name, from, std::nullopt, cause, now_ms));
  return db
      .Exec("DELETE FROM subscriptions WHERE contact_id = $1 AND list_id = $2",
            {contact_id, list.id})
      .status();
}

base::Status MaterialiseJoinsOfList(Database& db, const ListRef& list) {
  return db.Exec(kMaterialiseJoins, {list.id, std::string_view(list.name)}).status();
}

base::Status InsertRunFailures(Database& db, int64_t run_id,
                               const std::vector<RunFailure>& failures) {
  // Up to 1,000 rows a statement (5,000 parameters: far below the protocol's 65,535), so that
  // a run with a million failures does not pay a round trip each.
  constexpr size_t kRowsPerStatement = 1000;
  for (size_t begin = 0; begin < failures.size(); begin += kRowsPerStatement) {
    const size_t end = std::min(failures.size(), begin + kRowsPerStatement);
    std::string sql =
        "INSERT INTO sync_run_failures (run_id, row_number, email, reason, message) VALUES ";
    std::vector<Param> params = {run_id};
    params.reserve(1 + 4 * (end - begin));
    for (size_t i = begin; i < end; ++i) {
      const RunFailure& failure = failures[i];
      const size_t first = params.size() + 1;
      if (i > begin) sql += ", ";
      sql += fmt::format("($1, ${}, ${}, ${}, ${})", first, first + 1, first + 2, first + 3);
      params.emplace_back(failure.row_number);
      params.emplace_back(std::string_view(failure.email));
      params.emplace_back(std::string_view(failure.reason));
      params.emplace_back(std::string_view(failure.message));
    }
    CS_RETURN_IF_ERROR(db.Exec(sql, params).status());
  }
  return base::Status::Ok();
}

Param ContactFieldsParam(std::string_view json) {
  if (json.empty()) return nullptr;
  return json;
}

base::Result<std::string> LoadFieldsJson(Database& db, int64_t contact_id) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db.Exec("SELECT fields::text FROM contacts WHERE id = $1", {contact_id}));
  if (rows.size() == 0) return base::Internal("the contact whose values are read is gone");
  return std::string(rows.Text(0, 0));
}

// Read, change and write back in C++ rather than with jsonb's operators, so that one encoder
// decides what contacts.fields holds (a second one would drift: empty values, escapes).
base::Status WriteFieldValues(Database& db, int64_t contact_id, const FieldValueRefs& changes) {
  std::string json;
  {
    CS_ASSIGN_OR_RETURN(const std::string stored, LoadFieldsJson(db, contact_id));
    CS_RETURN_IF_ERROR(MergeContactFields(stored, changes, json));
  }
  return db
      .Exec("UPDATE contacts SET fields = $2::jsonb WHERE id = $1",
            {contact_id, ContactFieldsParam(json)})
      .status();
}

base::Result<std::map<std::string, std::string>> LoadFieldValues(Database& db, int64_t contact_id) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT f.key, j.value FROM contacts c CROSS JOIN LATERAL "
              "jsonb_each_text(c.fields) j JOIN custom_fields f ON f.id = j.key::bigint "
              "WHERE c.id = $1",
              {contact_id}));
  std::map<std::string, std::string> values;
  for (int i = 0; i < rows.size(); ++i) values.emplace(rows.Text(i, 0), rows.Text(i, 1));
  return values;
}

}  // namespace contactsync::store::postgres
