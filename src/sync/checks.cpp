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

// Operators whose value the database compares with the cell as a value of the column's type.
// A number column converts a text that is not a number instead of refusing it: MariaDB
// turns '' and 'yes' into 0 (issue 12: `active = ''` selected the inactive customers).
bool ComparesAsColumnType(query::RuleOp op) {
  switch (op) {
    case query::RuleOp::kEquals:
    case query::RuleOp::kNotEquals:
    case query::RuleOp::kGreaterThan:
    case query::RuleOp::kGreaterOrEqual:
    case query::RuleOp::kLessThan:
    case query::RuleOp::kLessOrEqual:
    case query::RuleOp::kIn:
      return true;
    default:
      return false;
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "-12", "3.50", ".5", "1e6": what every supported database reads as a number, whole.
bool IsNumberText(std::string_view text) {
  size_t pos = 0;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
  size_t digits = 0;
  const auto skip_digits = [&] {
    while (pos < text.size() && IsDigit(text[pos])) {
      ++pos;
      ++digits;
    }
  };
  skip_digits();
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    skip_digits();
  }
  if (digits == 0) return false;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
    const size_t exponent_start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == exponent_start) return false;
  }
  return pos == text.size();
}

// The spellings PostgreSQL's boolean input accepts in full (it refuses the others itself,
// but only when the sync runs).
bool IsPostgresBoolean(std::string_view text) {
  static constexpr std::string_view kSpellings[] = {"true", "false", "t",  "f",   "yes", "no",
                                                    "y",    "n",     "on", "off", "1",   "0"};
  const std::string lower = base::AsciiLower(text);
  for (std::string_view spelling : kSpellings) {
    if (lower == spelling) return true;
  }
  return false;
}

// Booleans are numbers on MariaDB (TINYINT(1)) and SQLite; PostgreSQL has its own type.
bool HoldsNumbers(source::ValueKind kind, source::SourceType type) {
  return kind == source::ValueKind::kInteger || kind == source::ValueKind::kDecimal ||
         kind == source::ValueKind::kReal ||
         (kind == source::ValueKind::kBoolean && type != source::SourceType::kPostgreSql);
}

std::string TypeOf(const source::ColumnInfo& column) {
  if (column.declared_type.empty()) return std::string(source::ValueKindName(column.kind));
  return base::Printable(column.declared_type, 64);
}

// The first value of rule `index` the column's type cannot hold, as a save-time refusal.
base::Status CheckRuleValueFitsColumn(size_t index, const query::Rule& rule,
                                      const source::ColumnInfo& column, source::SourceType type) {
  for (const std::string& value : rule.values) {
    if (column.kind == source::ValueKind::kBoolean && type == source::SourceType::kPostgreSql) {
      if (IsPostgresBoolean(value)) continue;
      return base::InvalidArgument(fmt::format(
          "rule {}: column '{}' is a boolean ({}); '{}' is not true or false", index + 1,
          base::Printable(column.name, 64), TypeOf(column), base::Printable(value, 64)));
    }
    if (!HoldsNumbers(column.kind, type) || IsNumberText(value)) continue;
    return base::InvalidArgument(
        fmt::format("rule {}: column '{}' holds numbers ({}); '{}' is not a number", index + 1,
                    base::Printable(column.name, 64), TypeOf(column), base::Printable(value, 64)));
  }
  return base::Status::Ok();
}

// Every compared value fits its column's type, so that the database never converts it into
// something the user did not write.
base::Status CheckRuleValuesFitColumns(const query::RuleSet& rules,
                                       const std::vector<source::ColumnInfo>& columns,
                                       source::SourceType type) {
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const query::Rule& rule = rules.rules[i];
    if (!ComparesAsColumnType(rule.op)) continue;
    for (const source::ColumnInfo& column : columns) {
      if (column.name != rule.column) continue;
      CS_RETURN_IF_ERROR(CheckRuleValueFitsColumn(i, rule, column, type));
    }
  }
  return base::Status::Ok();
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
                                   source::SourceConnector& source, store::ListStore& lists,
                                   store::SyncStore& syncs) {
  Plan plan;
  if (base::Result<store::ListInfo> list = lists.GetList(definition.list); !list.ok()) {
    return list.status().WithContext("list: ");
  }
  CS_ASSIGN_OR_RETURN(std::vector<store::CustomField> fields, lists.GetFields());
  for (store::CustomField& field : fields) plan.fields.push_back(std::move(field.definition));
  if (base::Result<store::SyncRecord> saved = syncs.GetSync(definition.name); saved.ok()) {
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
  if (base::Status fits =
          CheckRuleValuesFitColumns(definition.rules, plan.columns, connection.type);
      !fits.ok()) {
    return fits.WithContext("rules: ");
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
