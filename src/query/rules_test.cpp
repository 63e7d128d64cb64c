#include "query/rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::query {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kColumns = {"email", "username", "city", "age"};

TEST(RulesTest, OperatorNamesRoundTrip) {
  const std::vector<std::pair<RuleOp, std::string>> names = {
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
  };
  for (const auto& [op, name] : names) {
    EXPECT_EQ(RuleOpName(op), name);
    auto parsed = ParseRuleOp(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, op);
  }
  for (const char* bad : {"EQUALS", "equal", "", "like", "in "}) {
    auto parsed = ParseRuleOp(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), base::ErrorCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("not_equals"));
  }
}

TEST(RulesTest, MatchNames) {
  EXPECT_EQ(*ParseMatch("all"), Match::kAll);
  EXPECT_EQ(*ParseMatch("any"), Match::kAny);
  EXPECT_EQ(MatchName(Match::kAll), "all");
  EXPECT_EQ(MatchName(Match::kAny), "any");
  EXPECT_FALSE(ParseMatch("ALL").ok());
  EXPECT_FALSE(ParseMatch("or").ok());
}

TEST(RulesTest, AcceptsWellFormedRules) {
  RuleSet rules{Match::kAny,
                {{"username", RuleOp::kNotEquals, {"test"}},
                 {"city", RuleOp::kIsEmpty, {}},
                 {"age", RuleOp::kIn, std::vector<std::string>(1000, "1")},
                 {"email", RuleOp::kContains, {"@"}},
                 {"city", RuleOp::kEquals, {std::string(kMaxRuleValueBytes, 'x')}}}};
  EXPECT_TRUE(ValidateRules(rules, kColumns).ok());
  EXPECT_TRUE(ValidateRules(RuleSet{}, kColumns).ok());
  EXPECT_TRUE(ValidateRules(RuleSet{}, {}).ok());
}

struct BadCase {
  std::string name;
  Rule rule;
  std::string message;
};

TEST(RulesTest, RefusesMalformedRules) {
  const BadCase cases[] = {
      {"unknown column",
       {"nope", RuleOp::kEquals, {"x"}},
       "rule 2: column 'nope' does not exist; known columns: email, username, city, age"},
      {"case differs",
       {"City", RuleOp::kEquals, {"x"}},
       "rule 2: column 'City' does not exist (did you mean 'city'?)"},
      {"empty column", {"", RuleOp::kEquals, {"x"}}, "rule 2: the column name is empty"},
      {"no value",
       {"city", RuleOp::kEquals, {}},
       "rule 2: operator 'equals' takes exactly one value, got 0"},
      {"two values",
       {"city", RuleOp::kContains, {"a", "b"}},
       "rule 2: operator 'contains' takes exactly one value, got 2"},
      {"value for is_empty",
       {"city", RuleOp::kIsEmpty, {"a"}},
       "rule 2: operator 'is_empty' takes no value, got 1"},
      {"value for is_not_empty",
       {"city", RuleOp::kIsNotEmpty, {""}},
       "rule 2: operator 'is_not_empty' takes no value, got 1"},
      {"blank in",
       {"city", RuleOp::kIn, {}},
       "rule 2: operator 'in' needs a list of at least one value"},
      {"big in",
       {"city", RuleOp::kIn, std::vector<std::string>(1001, "x")},
       "rule 2: operator 'in' takes at most 1000 values, got 1001"},
      {"long value",
       {"city", RuleOp::kEquals, {std::string(kMaxRuleValueBytes + 1, 'x')}},
       "rule 2: the value is too long"},
      {"bad utf8",
       {"city", RuleOp::kStartsWith, {"ab\xc3"}},
       "rule 2: the value is not valid UTF-8"},
      {"nul",
       {"city", RuleOp::kEndsWith, {std::string("a\0b", 3)}},
       "rule 2: the value contains a NUL byte at offset 1"},
      {"nul in list",
       {"city", RuleOp::kIn, {"a", std::string("\0", 1)}},
       "rule 2: value 2 contains a NUL byte"},
      // Issue 12: on MariaDB `active = ''` compared as 0 and selected the inactive customers.
      {"empty value",
       {"city", RuleOp::kEquals, {""}},
       "rule 2: operator 'equals' needs a value; to select empty cells use is_empty"},
      {"empty contains",
       {"email", RuleOp::kContains, {""}},
       "rule 2: operator 'contains' needs a value"},
      {"empty in list",
       {"city", RuleOp::kIn, {"Oslo", ""}},
       "rule 2: value 2 of operator 'in' is empty"},
      {"nul in column",
       {std::string("ci\0ty", 5), RuleOp::kIsEmpty, {}},
       "rule 2: the column name contains a NUL byte"},
  };
  for (const auto& c : cases) {
    RuleSet rules{Match::kAll, {{"email", RuleOp::kIsNotEmpty, {}}, c.rule}};
    const base::Status status = ValidateRules(rules, kColumns);
    ASSERT_FALSE(status.ok()) << c.name;
    EXPECT_EQ(status.code(), base::ErrorCode::kInvalidArgument) << c.name;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(RulesTest, ShapeCheckIgnoresCatalog) {
  RuleSet rules{Match::kAll, {{"anything", RuleOp::kEquals, {"x"}}}};
  EXPECT_TRUE(ValidateRuleShapes(rules).ok());
  EXPECT_FALSE(ValidateRules(rules, kColumns).ok());
  rules.rules[0].values.clear();
  EXPECT_FALSE(ValidateRuleShapes(rules).ok());
  // A saved definition with an empty value still loads (to be edited); saving refuses it.
  rules.rules[0] = {"city", RuleOp::kEquals, {""}};
  EXPECT_TRUE(ValidateRuleShapes(rules).ok());
  EXPECT_FALSE(ValidateRules(rules, kColumns).ok());
}

TEST(RulesTest, LimitsRuleCount) {
  RuleSet rules;
  rules.rules.assign(kMaxRules + 1, Rule{"city", RuleOp::kIsEmpty, {}});
  EXPECT_THAT(ValidateRuleShapes(rules).message(), HasSubstr("too many rules"));
  rules.rules.pop_back();
  EXPECT_TRUE(ValidateRuleShapes(rules).ok());
}

TEST(RulesTest, LongColumnListIsCut) {
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("c" + std::to_string(i));
  RuleSet rules{Match::kAll, {{"x", RuleOp::kIsEmpty, {}}}};
  const std::string message = ValidateRules(rules, many).message();
  EXPECT_THAT(message, HasSubstr("c29, ... (10 more)"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("c30")));
}

}  // namespace
}  // namespace contactsync::query
