#include "query/select_builder.h"

#include <fmt/format.h>

#include "base/text.h"
#include "query/custom_query_check.h"

namespace contactsync::query {
namespace {

// Assembles the WHERE clause, numbering placeholders as it goes.
class ConditionWriter {
 public:
  ConditionWriter(Dialect dialect, std::vector<std::optional<std::string>>& params)
      : dialect_(dialect), params_(params) {}

  base::Result<std::string> Write(const Rule& rule) {
    CS_ASSIGN_OR_RETURN(const std::string column, QuoteIdentifier(dialect_, rule.column));
    switch (rule.op) {
      case RuleOp::kEquals:
        return fmt::format("{} = {}", column, Bind(rule.values[0]));
      case RuleOp::kNotEquals:
        return fmt::format("{} <> {} OR {} IS NULL", column, Bind(rule.values[0]), column);
      case RuleOp::kGreaterThan:
        return fmt::format("{} > {}", column, Bind(rule.values[0]));
      case RuleOp::kGreaterOrEqual:
        return fmt::format("{} >= {}", column, Bind(rule.values[0]));
      case RuleOp::kLessThan:
        return fmt::format("{} < {}", column, Bind(rule.values[0]));
      case RuleOp::kLessOrEqual:
        return fmt::format("{} <= {}", column, Bind(rule.values[0]));
      case RuleOp::kContains:
        return Like(column, "%" + EscapeLike(rule.values[0]) + "%");
      case RuleOp::kNotContains:
        return fmt::format("{} NOT LIKE {} {} OR {} IS NULL", LikeOperand(column),
                           Bind("%" + EscapeLike(rule.values[0]) + "%"), LikeEscapeClause(dialect_),
                           column);
      case RuleOp::kStartsWith:
        return Like(column, EscapeLike(rule.values[0]) + "%");
      case RuleOp::kEndsWith:
        return Like(column, "%" + EscapeLike(rule.values[0]));
      case RuleOp::kIsEmpty:
        return fmt::format("{} IS NULL OR {} = ''", column, EmptyOperand(column));
      case RuleOp::kIsNotEmpty:
        return fmt::format("{} IS NOT NULL AND {} <> ''", column, EmptyOperand(column));
      case RuleOp::kIn: {
        std::string list;
        for (const std::string& value : rule.values) {
          if (!list.empty()) list += ", ";
          list += Bind(value);
        }
        return fmt::format("{} IN ({})", column, list);
      }
    }
    return base::Internal("unknown rule operator");
  }

 private:
  std::string Bind(std::string value) {
    params_.emplace_back(std::move(value));
    return Placeholder(dialect_, static_cast<int>(params_.size()));
  }

  // PostgreSQL has no LIKE for non-text types and no implicit cast to text.
  std::string LikeOperand(const std::string& column) const {
    if (dialect_ == Dialect::kPostgreSql) return fmt::format("CAST({} AS TEXT)", column);
    return column;
  }

  // Comparing with '' must not convert '' to the column's type: PostgreSQL
  // rejects '' as an integer, and MySQL reads it as 0, so 0 = '' would be true.
  std::string EmptyOperand(const std::string& column) const {
    if (dialect_ == Dialect::kPostgreSql) return fmt::format("CAST({} AS TEXT)", column);
    if (dialect_ == Dialect::kMySql) return fmt::format("CAST({} AS CHAR)", column);
    return column;
  }

  std::string Like(const std::string& column, std::string pattern) {
    return fmt::format("{} LIKE {} {}", LikeOperand(column), Bind(std::move(pattern)),
                       LikeEscapeClause(dialect_));
  }

  Dialect dialect_;
  std::vector<std::optional<std::string>>& params_;
};

constexpr size_t kShownValueChars = 60;

}  // namespace

base::Result<BuiltQuery> BuildSelect(Dialect dialect, const SelectSource& source,
                                     const std::vector<std::string>& columns,
                                     const RuleSet& rule_set) {
  if (columns.empty()) return base::InvalidArgument("no columns to select");
  CS_RETURN_IF_ERROR(ValidateRuleShapes(rule_set));

  BuiltQuery built;
  std::string& sql = built.sql;
  sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) {
    CS_ASSIGN_OR_RETURN(const std::string column, QuoteIdentifier(dialect, columns[i]));
    if (i > 0) sql += ", ";
    sql += column;
  }
  sql += " FROM ";
  if (const auto* table = std::get_if<TableSource>(&source)) {
    CS_ASSIGN_OR_RETURN(const std::string name, QualifiedName(dialect, table->schema, table->name));
    sql += name;
  } else {
    const auto& custom = std::get<CustomQuerySource>(source);
    CS_ASSIGN_OR_RETURN(const std::string body,
                        PrepareCustomQuery(dialect, custom.sql, custom.policy));
    sql += CustomQueryAsSubquery(body);
  }

  if (!rule_set.rules.empty()) {
    ConditionWriter writer(dialect, built.params);
    const std::string_view joiner = rule_set.match == Match::kAll ? " AND " : " OR ";
    sql += " WHERE ";
    for (size_t i = 0; i < rule_set.rules.size(); ++i) {
      auto condition = writer.Write(rule_set.rules[i]);
      if (!condition.ok()) {
        return base::InvalidArgument(
            fmt::format("rule {}: {}", i + 1, condition.status().message()));
      }
      if (i > 0) sql += joiner;
      sql += "(" + *condition + ")";
    }
  }
  return built;
}

std::string CustomQueryAsSubquery(std::string_view body) {
  // A derived table needs an alias in MySQL and PostgreSQL; AS works in all three.
  return fmt::format("(\n{}\n) AS {}", body, kCustomQueryAlias);
}

std::string DescribeSql(const BuiltQuery& query) {
  if (query.params.empty()) return query.sql;
  std::string out = query.sql + " -- params: ";
  for (size_t i = 0; i < query.params.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("${}=", i + 1);
    if (!query.params[i].has_value()) {
      out += "NULL";
      continue;
    }
    // Printable escapes control characters (a newline would end the "--"
    // comment and make the text look like more SQL).
    const std::string shown = base::Printable(*query.params[i], kShownValueChars);
    out += '\'';
    for (const char c : shown) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace contactsync::query
