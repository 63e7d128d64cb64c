#pragma once

// Builds the one SELECT that a sync runs against the external database
// (docs/spec.md §3): chosen columns from a table or a custom query, filtered by a RuleSet.
// Identifiers are quoted by dialect.h; every rule value is a bound parameter and
// never appears in the SQL text.
//
// Operator semantics, chosen to match what a user of the wizard expects and to
// behave the same in all three dialects:
// - not_equals and not_contains also select rows where the column is NULL
//   ("username not_equals test" should keep rows with no username), which plain
//   SQL `<>` / NOT LIKE would drop.
// - is_empty means NULL or the empty string; is_not_empty the opposite.
// - contains / starts_with / ends_with use LIKE with the value's % and _
//   escaped (ESCAPE '!'), so the value is matched literally. Whether the match
//   is case sensitive follows the column's collation: usually case-insensitive
//   on MySQL/MariaDB, case-sensitive on PostgreSQL, ASCII-case-insensitive on
//   SQLite.
// - PostgreSQL has no implicit cast to text, so the LIKE family and is_empty
//   compare CAST(column AS TEXT); MySQL compares CAST(column AS CHAR) for
//   is_empty because there 0 = '' is true. equals, the ordering comparisons and
//   in compare the column itself: the server converts the text parameter to the
//   column's type (PostgreSQL infers an untyped parameter's type from the
//   column; MySQL and SQLite convert by their comparison rules), so a value that
//   is not a valid number for a numeric column is a server error on PostgreSQL.
//
// Pure functions; thread safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"
#include "query/custom_query_check.h"
#include "query/dialect.h"
#include "query/rules.h"

namespace contactsync::query {

// A table or view, optionally in a named schema (MySQL database, PostgreSQL
// schema, SQLite attached database); empty schema means the connection's default.
struct TableSource {
  std::string schema;
  std::string name;
};

// The text of a user's custom query (docs/spec.md §3 source.query), and the policy of
// the connection it runs on (the user functions it allows), with which
// BuildSelect checks it again.
struct CustomQuerySource {
  CustomQuerySource() = default;
  // A constructor rather than an aggregate, so that `CustomQuerySource{sql}`
  // (no policy: closed) is complete.
  explicit CustomQuerySource(std::string query_sql, CustomQueryPolicy query_policy = {})
      : sql(std::move(query_sql)), policy(std::move(query_policy)) {}

  std::string sql;
  CustomQueryPolicy policy;
};

using SelectSource = std::variant<TableSource, CustomQuerySource>;

// The alias given to a wrapped custom query.
inline constexpr std::string_view kCustomQueryAlias = "cs_source";

struct BuiltQuery {
  std::string sql;
  // Values for the placeholders of `sql`, in order. Rules never produce
  // std::nullopt; it is there so that callers can bind NULL.
  std::vector<std::optional<std::string>> params;

  bool operator==(const BuiltQuery&) const = default;
};

// SELECT <columns> FROM <table> [WHERE ...], or for a custom query
// SELECT <columns> FROM (\n<query>\n) AS cs_source [WHERE ...], where <query> is
// the checked statement without its trailing ';' (PrepareCustomQuery with the
// source's policy) on lines of its own (CustomQueryAsSubquery). The WHERE
// clause holds one parenthesised condition per rule, joined by AND (all) or OR
// (any); no rules, no WHERE.
//
// Preconditions the caller owns: `columns` and the rules' columns exist in the
// live table or query (ValidateRules); this function cannot see the catalog.
// Errors: InvalidArgument for no columns, a bad identifier, or a malformed rule
// (ValidateRuleShapes); kBadQuery when the custom query fails
// CheckCustomQuery.
base::Result<BuiltQuery> BuildSelect(Dialect dialect, const SelectSource& source,
                                     const std::vector<std::string>& columns,
                                     const RuleSet& rule_set);

// "(\n<body>\n) AS cs_source": the user's statement on lines of its own, so that
// no comment in it - not even one only the server sees, at its very end - can
// reach the closing parenthesis or what follows it (a WHERE, a LIMIT): every
// line comment form of the three servers ends at a line feed, and a block
// comment left open is refused by the checker and by the server.
std::string CustomQueryAsSubquery(std::string_view body);

// The SQL followed by its parameters, for reports and logs only:
// "SELECT ... WHERE (`a` = ?) -- params: $1='x', $2=NULL". Values are quoted
// with ' doubled, non-printable bytes escaped and long values cut.
std::string DescribeSql(const BuiltQuery& query);

}  // namespace contactsync::query
