#include "query/rules.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::query {
namespace {

constexpr std::array<std::pair<RuleOp, std::string_view>, 13> kOpNames = {{
    {RuleOp::kEquals, "equals"},
    {RuleOp::kNotEquals, "not_equals"},
    {RuleOp::kGreaterThan, "greater_than"},
    {RuleOp::kGreaterOrEqual, "greater_or_equal"},
    {RuleOp::kLessThan, "less_than"},
    {RuleOp::kLessOrEqual, "less_or_equal"},
    {RuleOp::kContains, "contains"},
    {RuleOp::kNotContains, "not_contains"},
    {RuleOp::kStartsWith, "starts_with"},
    {RuleOp::kEndsWith, "ends_with"},
    {RuleOp::kIsEmpty, "is_empty"},
    {RuleOp::kIsNotEmpty, "is_not_empty"},
    {RuleOp::kIn, "in"},
}};

// Long catalogs would make a one-line message unreadable.
constexpr size_t kMaxListedColumns = 30;

std::string ListColumns(const std::vector<std::string>& columns) {
  if (columns.empty()) return "(none)";
  std::string out;
  for (size_t i = 0; i < columns.size() && i < kMaxListedColumns; ++i) {
    if (i > 0) out += ", ";
    out += base::Printable(columns[i], 64);
  }
  if (columns.size() > kMaxListedColumns) {
    out += fmt::format(", ... ({} more)", columns.size() - kMaxListedColumns);
  }
  return out;
}

base::Status CheckValueCount(const Rule& rule) {
  const size_t count = rule.values.size();
  switch (rule.op) {
    case RuleOp::kIsEmpty:
    case RuleOp::kIsNotEmpty:
      if (count != 0) {
        return base::InvalidArgument(
            fmt::format("operator '{}' takes no value, got {}", RuleOpName(rule.op), count));
      }
      return base::Status::Ok();
    case RuleOp::kIn:
      if (count == 0) {
        return base::InvalidArgument("operator 'in' needs a list of at least one value");
      }
      if (count > kMaxInValues) {
        return base::InvalidArgument(
            fmt::format("operator 'in' takes at most {} values, got {}", kMaxInValues, count));
      }
      return base::Status::Ok();
    default:
      if (count != 1) {
        return base::InvalidArgument(fmt::format("operator '{}' takes exactly one value, got {}",
                                                 RuleOpName(rule.op), count));
      }
      return base::Status::Ok();
  }
}

base::Status CheckRuleShape(const Rule& rule) {
  if (rule.column.empty()) return base::InvalidArgument("the column name is empty");
  CS_RETURN_IF_ERROR(base::CheckText("the column name", rule.column, kMaxRuleValueBytes));
  CS_RETURN_IF_ERROR(CheckValueCount(rule));
  for (size_t i = 0; i < rule.values.size(); ++i) {
    const std::string what =
        rule.values.size() == 1 ? std::string("the value") : fmt::format("value {}", i + 1);
    CS_RETURN_IF_ERROR(base::CheckText(what, rule.values[i], kMaxRuleValueBytes));
  }
  return base::Status::Ok();
}

// An empty value is refused where a value is required: MariaDB compares '' with a number as 0
// (issue 12: `active = ''` selected the inactive customers). Empty cells are what is_empty
// selects.
base::Status CheckValuesPresent(const Rule& rule) {
  for (size_t i = 0; i < rule.values.size(); ++i) {
    if (!rule.values[i].empty()) continue;
    if (rule.values.size() == 1) {
      return base::InvalidArgument(fmt::format(
          "operator '{}' needs a value; to select empty cells use is_empty", RuleOpName(rule.op)));
    }
    return base::InvalidArgument(fmt::format(
        "value {} of operator '{}' is empty; to select empty cells add a rule with is_empty", i + 1,
        RuleOpName(rule.op)));
  }
  return base::Status::Ok();
}

base::Status RuleError(size_t index, const base::Status& status) {
  return base::InvalidArgument(fmt::format("rule {}: {}", index + 1, status.message()));
}

}  // namespace

std::string_view RuleOpName(RuleOp op) {
  for (const auto& [value, name] : kOpNames) {
    if (value == op) return name;
  }
  return "unknown";
}

base::Result<RuleOp> ParseRuleOp(std::string_view name) {
  for (const auto& [value, op_name] : kOpNames) {
    if (op_name == name) return value;
  }
  std::string valid;
  for (const auto& entry : kOpNames) {
    if (!valid.empty()) valid += ", ";
    valid += entry.second;
  }
  return base::InvalidArgument(
      fmt::format("unknown rule operator '{}'; valid: {}", base::Printable(name), valid));
}

std::string_view MatchName(Match match) { return match == Match::kAll ? "all" : "any"; }

base::Result<Match> ParseMatch(std::string_view name) {
  if (name == "all") return Match::kAll;
  if (name == "any") return Match::kAny;
  return base::InvalidArgument(
      fmt::format("unknown rule match '{}'; valid: all, any", base::Printable(name)));
}

base::Status ValidateRuleShapes(const RuleSet& rule_set) {
  if (rule_set.rules.size() > kMaxRules) {
    return base::InvalidArgument(
        fmt::format("too many rules: {}, at most {} allowed", rule_set.rules.size(), kMaxRules));
  }
  for (size_t i = 0; i < rule_set.rules.size(); ++i) {
    if (auto status = CheckRuleShape(rule_set.rules[i]); !status.ok()) {
      return RuleError(i, status);
    }
  }
  return base::Status::Ok();
}

base::Status ValidateRules(const RuleSet& rule_set, const std::vector<std::string>& known_columns) {
  CS_RETURN_IF_ERROR(ValidateRuleShapes(rule_set));
  for (size_t i = 0; i < rule_set.rules.size(); ++i) {
    if (auto status = CheckValuesPresent(rule_set.rules[i]); !status.ok()) {
      return RuleError(i, status);
    }
    const std::string& column = rule_set.rules[i].column;
    bool found = false;
    const std::string* case_match = nullptr;
    const std::string lower = base::AsciiLower(column);
    for (const std::string& known : known_columns) {
      if (known == column) {
        found = true;
        break;
      }
      if (case_match == nullptr && base::AsciiLower(known) == lower) case_match = &known;
    }
    if (found) continue;
    // Exact match only: the builder quotes the name, and quoted names are case
    // sensitive in PostgreSQL; a near miss is worth pointing out.
    std::string hint;
    if (case_match != nullptr) {
      hint = fmt::format(" (did you mean '{}'?)", base::Printable(*case_match, 64));
    }
    return base::InvalidArgument(
        fmt::format("rule {}: column '{}' does not exist{}; known columns: {}", i + 1,
                    base::Printable(column, 64), hint, ListColumns(known_columns)));
  }
  return base::Status::Ok();
}

}  // namespace contactsync::query
