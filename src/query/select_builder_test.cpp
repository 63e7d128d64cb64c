#include "query/select_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "query/sql_tokenizer.h"

namespace contactsync::query {
namespace {

using ::testing::HasSubstr;
using Params = std::vector<std::optional<std::string>>;

const TableSource kTable{"", "customers"};

BuiltQuery MustBuild(Dialect dialect, const SelectSource& source,
                     const std::vector<std::string>& columns, const RuleSet& rules) {
  auto built = BuildSelect(dialect, source, columns, rules);
  EXPECT_TRUE(built.ok()) << built.status().ToString();
  return built.ok() ? *built : BuiltQuery{};
}

TEST(SelectBuilderTest, PlainTable) {
  EXPECT_EQ(MustBuild(Dialect::kMySql, kTable, {"email", "name"}, {}).sql,
            "SELECT `email`, `name` FROM `customers`");
  EXPECT_EQ(MustBuild(Dialect::kPostgreSql, TableSource{"crm", "Customers"}, {"email"}, {}).sql,
            "SELECT \"email\" FROM \"crm\".\"Customers\"");
  const BuiltQuery sqlite = MustBuild(Dialect::kSqlite, kTable, {"email"}, {});
  EXPECT_EQ(sqlite.sql, "SELECT \"email\" FROM \"customers\"");
  EXPECT_TRUE(sqlite.params.empty());
}

struct OpCase {
  RuleOp op;
  std::vector<std::string> values;
  std::string mysql;
  std::string postgresql;
  std::string sqlite;
  Params params;
};

TEST(SelectBuilderTest, EveryOperatorInEveryDialect) {
  const OpCase cases[] = {
      {RuleOp::kEquals, {"x"}, "`c` = ?", "\"c\" = $1", "\"c\" = ?", {"x"}},
      {RuleOp::kNotEquals,
       {"test"},
       "`c` <> ? OR `c` IS NULL",
       "\"c\" <> $1 OR \"c\" IS NULL",
       "\"c\" <> ? OR \"c\" IS NULL",
       {"test"}},
      {RuleOp::kGreaterThan, {"5"}, "`c` > ?", "\"c\" > $1", "\"c\" > ?", {"5"}},
      {RuleOp::kGreaterOrEqual, {"5"}, "`c` >= ?", "\"c\" >= $1", "\"c\" >= ?", {"5"}},
      {RuleOp::kLessThan, {"2024-01-01"}, "`c` < ?", "\"c\" < $1", "\"c\" < ?", {"2024-01-01"}},
      {RuleOp::kLessOrEqual, {"-1.5"}, "`c` <= ?", "\"c\" <= $1", "\"c\" <= ?", {"-1.5"}},
      {RuleOp::kContains,
       {"50%_off!"},
       "`c` LIKE ? ESCAPE '!'",
       "CAST(\"c\" AS TEXT) LIKE $1 ESCAPE '!'",
       "\"c\" LIKE ? ESCAPE '!'",
       {"%50!%!_off!!%"}},
      {RuleOp::kNotContains,
       {"spam"},
       "`c` NOT LIKE ? ESCAPE '!' OR `c` IS NULL",
       "CAST(\"c\" AS TEXT) NOT LIKE $1 ESCAPE '!' OR \"c\" IS NULL",
       "\"c\" NOT LIKE ? ESCAPE '!' OR \"c\" IS NULL",
       {"%spam%"}},
      {RuleOp::kStartsWith,
       {"ab_"},
       "`c` LIKE ? ESCAPE '!'",
       "CAST(\"c\" AS TEXT) LIKE $1 ESCAPE '!'",
       "\"c\" LIKE ? ESCAPE '!'",
       {"ab!_%"}},
      {RuleOp::kEndsWith,
       {"@example.com"},
       "`c` LIKE ? ESCAPE '!'",
       "CAST(\"c\" AS TEXT) LIKE $1 ESCAPE '!'",
       "\"c\" LIKE ? ESCAPE '!'",
       {"%@example.com"}},
      {RuleOp::kIsEmpty,
       {},
       "`c` IS NULL OR CAST(`c` AS CHAR) = ''",
       "\"c\" IS NULL OR CAST(\"c\" AS TEXT) = ''",
       "\"c\" IS NULL OR \"c\" = ''",
       {}},
      {RuleOp::kIsNotEmpty,
       {},
       "`c` IS NOT NULL AND CAST(`c` AS CHAR) <> ''",
       "\"c\" IS NOT NULL AND CAST(\"c\" AS TEXT) <> ''",
       "\"c\" IS NOT NULL AND \"c\" <> ''",
       {}},
      {RuleOp::kIn, {"a"}, "`c` IN (?)", "\"c\" IN ($1)", "\"c\" IN (?)", {"a"}},
      {RuleOp::kIn,
       {"a", "b", "c"},
       "`c` IN (?, ?, ?)",
       "\"c\" IN ($1, $2, $3)",
       "\"c\" IN (?, ?, ?)",
       {"a", "b", "c"}},
  };
  for (const auto& c : cases) {
    const RuleSet rules{Match::kAll, {{"c", c.op, c.values}}};
    const std::string name(RuleOpName(c.op));
    const BuiltQuery mysql = MustBuild(Dialect::kMySql, kTable, {"email"}, rules);
    EXPECT_EQ(mysql.sql, "SELECT `email` FROM `customers` WHERE (" + c.mysql + ")") << name;
    EXPECT_EQ(mysql.params, c.params) << name;
    const BuiltQuery pg = MustBuild(Dialect::kPostgreSql, kTable, {"email"}, rules);
    EXPECT_EQ(pg.sql, "SELECT \"email\" FROM \"customers\" WHERE (" + c.postgresql + ")") << name;
    EXPECT_EQ(pg.params, c.params) << name;
    const BuiltQuery sqlite = MustBuild(Dialect::kSqlite, kTable, {"email"}, rules);
    EXPECT_EQ(sqlite.sql, "SELECT \"email\" FROM \"customers\" WHERE (" + c.sqlite + ")") << name;
    EXPECT_EQ(sqlite.params, c.params) << name;
  }
}

TEST(SelectBuilderTest, MatchAllAndAny) {
  RuleSet rules{Match::kAll,
                {{"username", RuleOp::kNotEquals, {"test"}},
                 {"city", RuleOp::kIn, {"Kyiv", "Lviv"}},
                 {"email", RuleOp::kIsNotEmpty, {}}}};
  BuiltQuery pg = MustBuild(Dialect::kPostgreSql, kTable, {"email"}, rules);
  EXPECT_EQ(pg.sql,
            "SELECT \"email\" FROM \"customers\" WHERE (\"username\" <> $1 OR \"username\" IS "
            "NULL) AND (\"city\" IN ($2, $3)) AND (\"email\" IS NOT NULL AND CAST(\"email\" AS "
            "TEXT) <> '')");
  EXPECT_EQ(pg.params, (Params{"test", "Kyiv", "Lviv"}));
  rules.match = Match::kAny;
  BuiltQuery mysql = MustBuild(Dialect::kMySql, kTable, {"email"}, rules);
  EXPECT_EQ(mysql.sql,
            "SELECT `email` FROM `customers` WHERE (`username` <> ? OR `username` IS NULL) OR "
            "(`city` IN (?, ?)) OR (`email` IS NOT NULL AND CAST(`email` AS CHAR) <> '')");
  EXPECT_EQ(mysql.params, (Params{"test", "Kyiv", "Lviv"}));
}

TEST(SelectBuilderTest, HostileColumnNamesAreQuoted) {
  const RuleSet rules{Match::kAll, {{"x`; DROP TABLE t; --", RuleOp::kEquals, {"1"}}}};
  EXPECT_EQ(
      MustBuild(Dialect::kMySql, TableSource{"d`b", "t a`b"}, {"a`b", "first name", "x\"y"}, rules)
          .sql,
      "SELECT `a``b`, `first name`, `x\"y` FROM `d``b`.`t a``b` WHERE (`x``; DROP TABLE "
      "t; --` = ?)");
  EXPECT_EQ(MustBuild(Dialect::kPostgreSql, TableSource{"", "t\"; --"}, {"a\"b", ";--"},
                      RuleSet{Match::kAll, {{"c\"", RuleOp::kIsEmpty, {}}}})
                .sql,
            "SELECT \"a\"\"b\", \";--\" FROM \"t\"\"; --\" WHERE (\"c\"\"\" IS NULL OR "
            "CAST(\"c\"\"\" AS TEXT) = '')");
  EXPECT_EQ(MustBuild(Dialect::kSqlite, kTable, {"]x[", "`y`"}, {}).sql,
            "SELECT \"]x[\", \"`y`\" FROM \"customers\"");
}

TEST(SelectBuilderTest, HostileValuesOnlyInParams) {
  const std::vector<std::string> hostile = {
      "'; DROP TABLE customers; --", "\\' OR 1=1 #", "$1", "?", "\" OR \"\"=\"", "/*!50000 x*/"};
  for (const Dialect dialect : {Dialect::kMySql, Dialect::kPostgreSql, Dialect::kSqlite}) {
    RuleSet rules{Match::kAny, {}};
    for (const std::string& value : hostile) {
      rules.rules.push_back({"c", RuleOp::kEquals, {value}});
      rules.rules.push_back({"c", RuleOp::kContains, {value}});
    }
    const BuiltQuery built = MustBuild(dialect, kTable, {"c"}, rules);
    ASSERT_EQ(built.params.size(), 2 * hostile.size());
    for (const std::string& value : hostile) {
      if (value != "?" && value != "$1") {
        EXPECT_THAT(built.sql, Not(HasSubstr(value)));
      }
    }
    EXPECT_THAT(built.sql, Not(HasSubstr("DROP")));
    EXPECT_EQ(built.params[0], hostile[0]);
    EXPECT_EQ(built.params[1], "%" + hostile[0] + "%");
  }
}

TEST(SelectBuilderTest, WrapsCustomQuery) {
  const RuleSet rules{Match::kAll, {{"email", RuleOp::kEndsWith, {"@shop.test"}}}};
  EXPECT_EQ(MustBuild(Dialect::kMySql,
                      CustomQuerySource{"  -- shop\nSELECT email, name FROM c WHERE x = 1 ;  \n"},
                      {"email", "name"}, rules)
                .sql,
            "SELECT `email`, `name` FROM (\nSELECT email, name FROM c WHERE x = 1\n) AS cs_source "
            "WHERE (`email` LIKE ? ESCAPE '!')");
  // A trailing line comment is cut, or it would swallow ") AS cs_source".
  EXPECT_EQ(
      MustBuild(Dialect::kPostgreSql, CustomQuerySource{"SELECT 1 AS a -- note"}, {"a"}, {}).sql,
      "SELECT \"a\" FROM (\nSELECT 1 AS a\n) AS cs_source");
  EXPECT_EQ(MustBuild(Dialect::kSqlite,
                      CustomQuerySource{"WITH x AS (SELECT 1 AS a)\nSELECT a "
                                        "FROM x; /* end */"},
                      {"a"}, RuleSet{Match::kAny, {{"a", RuleOp::kIn, {"1", "2"}}}}),
            (BuiltQuery{"SELECT \"a\" FROM (\nWITH x AS (SELECT 1 AS a)\nSELECT a FROM x\n) AS "
                        "cs_source WHERE (\"a\" IN (?, ?))",
                        {"1", "2"}}));
  EXPECT_EQ(MustBuild(Dialect::kMySql, CustomQuerySource{"SELECT 'a;b' AS v # c"}, {"v"}, {}).sql,
            "SELECT `v` FROM (\nSELECT 'a;b' AS v\n) AS cs_source");
  // The source's policy reaches the check.
  EXPECT_FALSE(
      BuildSelect(Dialect::kMySql, CustomQuerySource{"SELECT shop_fn(1) AS v"}, {"v"}, {}).ok());
  EXPECT_TRUE(BuildSelect(Dialect::kMySql,
                          CustomQuerySource{"SELECT shop_fn(1) AS v", {{"shop_fn"}}}, {"v"}, {})
                  .ok());
}

// Issue 11: a comment at the end of the user's statement that only the server
// sees (the checker would have cut it otherwise) must not swallow the
// wrapper's ") AS cs_source ... LIMIT n". Read with each server's own lexing.
TEST(SelectBuilderTest, WrapperCannotBeCommentedOut) {
  const std::pair<Dialect, std::string> bodies[] = {
      {Dialect::kMySql, "SELECT 1 AS c -- only the server sees this"},
      {Dialect::kMySql, "SELECT 1 AS c # only the server sees this\r"},
      {Dialect::kMySql, "SELECT 1 AS c -- \r, 2 AS d"},
      {Dialect::kPostgreSql, "SELECT 1 AS c -- only the server sees this"},
      {Dialect::kSqlite, "SELECT 1 AS c -- \r"},
  };
  for (const auto& [dialect, body] : bodies) {
    const std::string sql = "SELECT c FROM " + CustomQueryAsSubquery(body) + " LIMIT 5";
    auto tokens = Tokenize(sql, {dialect, dialect == Dialect::kMySql, false});
    ASSERT_TRUE(tokens.ok()) << tokens.status().message();
    ASSERT_GE(tokens->size(), 5u) << body;
    std::string tail;
    for (size_t i = tokens->size() - 5; i < tokens->size(); ++i) {
      tail += std::string((*tokens)[i].text) + " ";
    }
    EXPECT_EQ(tail, ") AS cs_source LIMIT 5 ") << DialectName(dialect) << ": " << body;
  }
}

TEST(SelectBuilderTest, CustomQueryIsChecked) {
  auto built =
      BuildSelect(Dialect::kMySql, CustomQuerySource{"SELECT 1; DELETE FROM t"}, {"a"}, {});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), base::ErrorCode::kBadQuery);
  built =
      BuildSelect(Dialect::kPostgreSql, CustomQuerySource{"SELECT * FROM t FOR UPDATE"}, {"a"}, {});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), base::ErrorCode::kBadQuery);
}

TEST(SelectBuilderTest, RefusesBadInput) {
  struct Case {
    std::string name;
    std::vector<std::string> columns;
    RuleSet rules;
    std::string message;
  };
  const Case cases[] = {
      {"no columns", {}, {}, "no columns"},
      {"empty column", {"a", ""}, {}, "empty"},
      {"in with none", {"a"}, {Match::kAll, {{"a", RuleOp::kIn, {}}}}, "rule 1: operator 'in'"},
      {"in with 1001",
       {"a"},
       {Match::kAll, {{"a", RuleOp::kIn, std::vector<std::string>(1001, "v")}}},
       "at most 1000"},
      {"missing value", {"a"}, {Match::kAll, {{"a", RuleOp::kLessThan, {}}}}, "exactly one"},
  };
  for (const auto& c : cases) {
    auto built = BuildSelect(Dialect::kSqlite, kTable, c.columns, c.rules);
    ASSERT_FALSE(built.ok()) << c.name;
    EXPECT_EQ(built.status().code(), base::ErrorCode::kInvalidArgument) << c.name;
    EXPECT_THAT(built.status().message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_FALSE(BuildSelect(Dialect::kMySql, TableSource{"", ""}, {"a"}, {}).ok());
}

TEST(SelectBuilderTest, UnknownColumnCaughtByValidateRules) {
  const RuleSet rules{Match::kAll, {{"nope", RuleOp::kEquals, {"x"}}}};
  const base::Status status = ValidateRules(rules, {"email", "name"});
  EXPECT_EQ(status.message(), "rule 1: column 'nope' does not exist; known columns: email, name");
}

TEST(SelectBuilderTest, DescribesSqlWithParams) {
  EXPECT_EQ(DescribeSql({"SELECT 1", {}}), "SELECT 1");
  EXPECT_EQ(
      DescribeSql({"SELECT `a` FROM `t` WHERE (`a` = ?) OR (`b` LIKE ? ESCAPE '!')", {"x", "%y%"}}),
      "SELECT `a` FROM `t` WHERE (`a` = ?) OR (`b` LIKE ? ESCAPE '!') -- params: $1='x', "
      "$2='%y%'");
  EXPECT_EQ(DescribeSql({"Q", {std::nullopt, "it's", "line\nbreak"}}),
            "Q -- params: $1=NULL, $2='it''s', $3='line\\x0abreak'");
  const std::string described = DescribeSql({"Q", {std::string(500, 'v')}});
  EXPECT_EQ(described, "Q -- params: $1='" + std::string(60, 'v') + "...'");
}

}  // namespace
}  // namespace contactsync::query
