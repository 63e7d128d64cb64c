#include "query/dialect.h"

#include <gtest/gtest.h>

#include <string>

namespace contactsync::query {
namespace {

struct QuoteCase {
  Dialect dialect;
  std::string input;
  std::string expected;
};

TEST(DialectTest, QuotesIdentifiers) {
  const QuoteCase cases[] = {
      {Dialect::kMySql, "email", "`email`"},
      {Dialect::kMySql, "a`b", "`a``b`"},
      {Dialect::kMySql, "``", "``````"},
      {Dialect::kMySql, "a\"b", "`a\"b`"},
      {Dialect::kMySql, "x;-- drop", "`x;-- drop`"},
      {Dialect::kMySql, "first name", "`first name`"},
      {Dialect::kPostgreSql, "Email", "\"Email\""},
      {Dialect::kPostgreSql, "a\"b", "\"a\"\"b\""},
      {Dialect::kPostgreSql, "a`b", "\"a`b\""},
      {Dialect::kPostgreSql, "прізвище", "\"прізвище\""},
      {Dialect::kSqlite, "a\"\"b", "\"a\"\"\"\"b\""},
      {Dialect::kSqlite, "[x]", "\"[x]\""},
      {Dialect::kSqlite, "'; DROP TABLE t; --", "\"'; DROP TABLE t; --\""},
  };
  for (const auto& c : cases) {
    auto quoted = QuoteIdentifier(c.dialect, c.input);
    ASSERT_TRUE(quoted.ok()) << c.input;
    EXPECT_EQ(*quoted, c.expected) << c.input;
  }
}

TEST(DialectTest, RefusesBadIdentifiers) {
  for (const Dialect dialect : {Dialect::kMySql, Dialect::kPostgreSql, Dialect::kSqlite}) {
    for (const std::string& bad :
         {std::string(), std::string("a\0b", 3), std::string("\xff\xfe")}) {
      auto quoted = QuoteIdentifier(dialect, bad);
      ASSERT_FALSE(quoted.ok());
      EXPECT_EQ(quoted.status().code(), base::ErrorCode::kInvalidArgument);
    }
  }
}

TEST(DialectTest, QualifiesNames) {
  EXPECT_EQ(*QualifiedName(Dialect::kMySql, "shop", "customers"), "`shop`.`customers`");
  EXPECT_EQ(*QualifiedName(Dialect::kMySql, "", "customers"), "`customers`");
  EXPECT_EQ(*QualifiedName(Dialect::kPostgreSql, "public", "Cust\"omers"),
            "\"public\".\"Cust\"\"omers\"");
  EXPECT_EQ(*QualifiedName(Dialect::kSqlite, "main", "t"), "\"main\".\"t\"");
  EXPECT_FALSE(QualifiedName(Dialect::kSqlite, "main", "").ok());
  EXPECT_FALSE(QualifiedName(Dialect::kSqlite, std::string("m\0", 2), "t").ok());
}

TEST(DialectTest, Placeholders) {
  EXPECT_EQ(Placeholder(Dialect::kMySql, 1), "?");
  EXPECT_EQ(Placeholder(Dialect::kMySql, 7), "?");
  EXPECT_EQ(Placeholder(Dialect::kSqlite, 3), "?");
  EXPECT_EQ(Placeholder(Dialect::kPostgreSql, 1), "$1");
  EXPECT_EQ(Placeholder(Dialect::kPostgreSql, 12), "$12");
}

TEST(DialectTest, EscapesLikePatterns) {
  EXPECT_EQ(EscapeLike("plain"), "plain");
  EXPECT_EQ(EscapeLike("50%"), "50!%");
  EXPECT_EQ(EscapeLike("a_b"), "a!_b");
  EXPECT_EQ(EscapeLike("wow!"), "wow!!");
  EXPECT_EQ(EscapeLike("!%_"), "!!!%!_");
  // Backslash and quotes are not special with ESCAPE '!' and a bound pattern.
  EXPECT_EQ(EscapeLike("c:\\x'y"), "c:\\x'y");
  EXPECT_EQ(EscapeLike(""), "");
  for (const Dialect dialect : {Dialect::kMySql, Dialect::kPostgreSql, Dialect::kSqlite}) {
    EXPECT_EQ(LikeEscapeClause(dialect), "ESCAPE '!'");
  }
}

TEST(DialectTest, Names) {
  EXPECT_EQ(DialectName(Dialect::kMySql), "mysql");
  EXPECT_EQ(DialectName(Dialect::kPostgreSql), "postgresql");
  EXPECT_EQ(DialectName(Dialect::kSqlite), "sqlite");
}

}  // namespace
}  // namespace contactsync::query
