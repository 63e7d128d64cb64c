#pragma once

// The row filter of a sync definition (docs/spec.md §3 "rules"): a list of conditions on
// source columns, combined with AND (`all`) or OR (`any`). This header holds the
// types, the operator names used in JSON, and validation; select_builder.h turns
// a RuleSet into SQL.
//
// All functions are pure and thread safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace contactsync::query {

enum class RuleOp {
  kEquals,
  kNotEquals,
  kGreaterThan,
  kGreaterOrEqual,
  kLessThan,
  kLessOrEqual,
  kContains,
  kNotContains,
  kStartsWith,
  kEndsWith,
  kIsEmpty,
  kIsNotEmpty,
  kIn,
};

// The name of `op` in a sync definition (docs/spec.md §3): "equals", "not_equals", ...,
// "is_not_empty", "in".
std::string_view RuleOpName(RuleOp op);

// The operator named `name` (exact, lower case), or InvalidArgument listing the
// valid names.
base::Result<RuleOp> ParseRuleOp(std::string_view name);

// One condition. `values` holds exactly one value for the comparison and text
// operators, none for is_empty / is_not_empty, and 1..kMaxInValues for `in`.
struct Rule {
  std::string column;
  RuleOp op = RuleOp::kEquals;
  std::vector<std::string> values;

  bool operator==(const Rule&) const = default;
};

enum class Match { kAll, kAny };

// "all" or "any".
std::string_view MatchName(Match match);
// kAll for "all", kAny for "any", otherwise InvalidArgument.
base::Result<Match> ParseMatch(std::string_view name);

// No rules means every row.
struct RuleSet {
  Match match = Match::kAll;
  std::vector<Rule> rules;

  bool operator==(const RuleSet&) const = default;
};

inline constexpr size_t kMaxInValues = 1000;
inline constexpr size_t kMaxRuleValueBytes = 64 * 1024;
inline constexpr size_t kMaxRules = 100;

// OK when every rule is well formed (see ValidateRules) without looking at the
// column names beyond "non-empty, valid UTF-8, no NUL". BuildSelect calls this;
// it cannot know the live columns.
base::Status ValidateRuleShapes(const RuleSet& rule_set);

// ValidateRuleShapes plus: every value a rule compares with is non-empty (an
// empty cell is selected with is_empty; saved definitions with an empty value
// still load, so that they can be edited, but are refused at save and run);
// every rule's column is one of `known_columns` (the
// real columns of the table or custom query, compared exactly, as the builder
// quotes them). The InvalidArgument message names the rule by its 1-based
// position and the problem, e.g. "rule 2: column 'x' does not exist; known
// columns: a, b, c".
base::Status ValidateRules(const RuleSet& rule_set, const std::vector<std::string>& known_columns);

}  // namespace contactsync::query
