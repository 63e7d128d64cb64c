#include "sync/checks.h"

#include <fmt/format.h>

#include "base/text.h"
#include "query/custom_query_check.h"

namespace contactsync::sync {

base::Result<Plan> CheckDefinition(const SyncDefinition& definition, source::SourceType type,
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

  if (base::Result<source::SourceInfo> info = source.Check(); !info.ok()) {
    return info.status().WithContext(
        fmt::format("connection '{}': ", base::Printable(definition.connection)));
  }
  const query::Dialect dialect = DialectFor(type);
  if (!definition.source.query.empty()) {
    if (base::Status checked = query::CheckCustomQuery(dialect, definition.source.query);
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
  base::Result<query::BuiltQuery> built =
      query::BuildSelect(dialect, SelectSourceOf(definition), selected, definition.rules);
  if (!built.ok()) return built.status().WithContext("source: ");
  plan.query = std::move(built).value();
  return plan;
}

}  // namespace contactsync::sync
