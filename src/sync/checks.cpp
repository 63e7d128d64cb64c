#include "sync/checks.h"

#include <string>
#include <variant>

#include <fmt/format.h>

#include "base/text.h"
#include "query/custom_query_check.h"

namespace contactsync::sync {
namespace {

// "can write", "is privileged", or both, as the refusal says it.
std::string WhatTheAccountCanDo(const source::SourceInfo& info) {
  if (info.can_write && info.privileged) return "can write and is privileged";
  return info.privileged ? "is privileged" : "can write";
}

}  // namespace

base::Status CheckCustomQueryAllowed(std::string_view connection_name,
                                     const source::ConnectionSettings& connection,
                                     const source::SourceInfo& info) {
  if (!info.can_write && !info.privileged) return base::Status::Ok();
  if (connection.allow_custom_query_with_privileged_account) return base::Status::Ok();
  return base::PermissionDenied(fmt::format(
      "custom queries are refused on connection '{}': its account {}; use a SELECT-only "
      "account (docs/read-only.md) or allow it with "
      "--allow-custom-query-with-privileged-account",
      base::Printable(connection_name), WhatTheAccountCanDo(info)));
}

query::CustomQueryPolicy PolicyOf(const source::ConnectionSettings& connection) {
  return query::CustomQueryPolicy{connection.allowed_functions};
}

base::Result<Plan> CheckDefinition(const SyncDefinition& definition,
                                   const source::ConnectionSettings& connection,
                                   source::SourceConnector& source, store::ContactStore& store) {
  Plan plan;
  if (base::Result<store::ListInfo> list = store.GetList(definition.list); !list.ok()) {
    return list.status().WithContext("list: ");
  }
  CS_ASSIGN_OR_RETURN(std::vector<store::CustomField> fields, store.GetFields());
  for (store::CustomField& field : fields) plan.fields.push_back(std::move(field.definition));
  if (base::Result<store::SyncRecord> saved = store.GetSync(definition.name); saved.ok()) {
    plan.sync_id = saved->id;
  }

  base::Result<source::SourceInfo> info = source.Check();
  if (!info.ok()) {
    return info.status().WithContext(
        fmt::format("connection '{}': ", base::Printable(definition.connection)));
  }
  const query::Dialect dialect = DialectFor(connection.type);
  if (!definition.source.query.empty()) {
    CS_RETURN_IF_ERROR(CheckCustomQueryAllowed(definition.connection, connection, *info));
    if (base::Status checked =
            query::CheckCustomQuery(dialect, definition.source.query, PolicyOf(connection));
        !checked.ok()) {
      return checked.WithContext("source: ");
    }
    base::Result<std::vector<source::ColumnInfo>> columns =
        source.DescribeQuery(definition.source.query);
    if (!columns.ok()) return columns.status().WithContext("source: custom query: ");
    plan.columns = std::move(columns).value();
  } else {
    base::Result<std::vector<source::ColumnInfo>> columns =
        source.DescribeTable(definition.source.schema, definition.source.table);
    if (!columns.ok()) return columns.status().WithContext("source: ");
    plan.columns = std::move(columns).value();
  }
  std::vector<std::string> names;
  names.reserve(plan.columns.size());
  for (const source::ColumnInfo& column : plan.columns) names.push_back(column.name);

  CS_RETURN_IF_ERROR(mapping::CheckMapping(definition.mapping, names, plan.fields));
  if (base::Status rules = query::ValidateRules(definition.rules, names); !rules.ok()) {
    return rules.WithContext("rules: ");
  }
  std::vector<std::string> selected;
  selected.reserve(definition.mapping.size());
  for (const mapping::ColumnMapping& entry : definition.mapping) selected.push_back(entry.column);
  query::SelectSource select_source = SelectSourceOf(definition);
  if (auto* custom = std::get_if<query::CustomQuerySource>(&select_source)) {
    custom->policy = PolicyOf(connection);
  }
  base::Result<query::BuiltQuery> built =
      query::BuildSelect(dialect, select_source, selected, definition.rules);
  if (!built.ok()) return built.status().WithContext("source: ");
  plan.query = std::move(built).value();
  return plan;
}

}  // namespace contactsync::sync
