// One table-driven suite over the three dialects: each row says what query/dialect.h must do for
// one database (quoting, refusals, the identifier length limit, qualified names, placeholders),
// and every TEST_P runs once per row.

#include "query/dialect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace contactsync::query {
namespace {

using ::testing::HasSubstr;

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

struct DialectCase {
  Dialect dialect = Dialect::kMySql;
  std::string name;
  char quote = 0;
  size_t max_identifier_length = 0;  // 0: none
  LengthUnit unit = LengthUnit::kBytes;
  // identifier -> its quoted form.
  std::vector<std::pair<std::string, std::string>> quoted;
  // Identifiers at (or, without a limit, far beyond) the length limit: accepted.
  std::vector<std::string> at_limit;
  // Identifiers one past the limit, with what the refusal must say.
  std::vector<std::pair<std::string, std::string>> over_limit;
  // schema, name -> the qualified name.
  std::vector<std::tuple<std::string, std::string, std::string>> qualified;
  // index -> placeholder.
  std::vector<std::pair<int, std::string>> placeholders;
};

DialectCase Row(Dialect dialect, std::string name, char quote, size_t max_identifier_length,
                LengthUnit unit) {
  DialectCase row;
  row.dialect = dialect;
  row.name = std::move(name);
  row.quote = quote;
  row.max_identifier_length = max_identifier_length;
  row.unit = unit;
  return row;
}

std::vector<DialectCase> AllDialects() {
  DialectCase mysql = Row(Dialect::kMySql, "mysql", '`', 64, LengthUnit::kCharacters);
  mysql.quoted = {
      {"email", "`email`"},
      {"a`b", "`a``b`"},
      {"``", "``````"},
      {"a\"b", "`a\"b`"},
      {"x;-- drop", "`x;-- drop`"},
      {"first name", "`first name`"},
      {"select", "`select`"},
      {";--", "`;--`"},
      {"a.b", "`a.b`"},
      {"it's \"x\" [y]", "`it's \"x\" [y]`"},
      {"名前 😀", "`名前 😀`"},
  };
  // MySQL counts characters: 64 two- or three-byte characters are still 64.
  mysql.at_limit = {Repeat("a", 64), Repeat("é", 64), Repeat("名", 64)};
  mysql.over_limit = {
      {Repeat("a", 65), "is 65 characters long, over MySQL/MariaDB's limit of 64 characters"},
      {Repeat("é", 65), "is 65 characters long, over MySQL/MariaDB's limit of 64 characters"},
  };
  mysql.qualified = {{"shop", "customers", "`shop`.`customers`"},
                     {"", "customers", "`customers`"},
                     {"a`b", "c.d", "`a``b`.`c.d`"}};
  mysql.placeholders = {{1, "?"}, {7, "?"}, {8, "?"}};

  DialectCase postgresql = Row(Dialect::kPostgreSql, "postgresql", '"', 63, LengthUnit::kBytes);
  postgresql.quoted = {
      {"Email", "\"Email\""},
      {"a\"b", "\"a\"\"b\""},
      {"a`b", "\"a`b\""},
      {"прізвище", "\"прізвище\""},
      {"email", "\"email\""},
      {"select", "\"select\""},
      {"First Name", "\"First Name\""},
      {"\"", "\"\"\"\""},
      {"\"; DROP TABLE t; --", "\"\"\"; DROP TABLE t; --\""},
      {"`x`", "\"`x`\""},
      {"[x]", "\"[x]\""},
      {"a.b", "\"a.b\""},
      {";--", "\";--\""},
      {"$1", "\"$1\""},
      {"Ünïcødé 📧", "\"Ünïcødé 📧\""},
      {"'", "\"'\""},
      {"a\\b", "\"a\\b\""},
  };
  // PostgreSQL counts bytes (NAMEDATALEN - 1): 31 'é' and one 'a' are 63 bytes, 21 '€' too.
  postgresql.at_limit = {Repeat("a", 63), Repeat("é", 31) + "a", Repeat("€", 21)};
  postgresql.over_limit = {
      {Repeat("a", 64), "is 64 bytes long, over PostgreSQL's limit of 63 bytes"},
      // Only 32 characters, but 64 bytes.
      {Repeat("é", 32), "is 64 bytes long, over PostgreSQL's limit of 63 bytes"},
      {Repeat("€", 21) + "a", "is 64 bytes long, over PostgreSQL's limit of 63 bytes"},
  };
  postgresql.qualified = {{"public", "Cust\"omers", "\"public\".\"Cust\"\"omers\""},
                          {"my schema", "a.b", "\"my schema\".\"a.b\""},
                          {"", "t", "\"t\""}};
  postgresql.placeholders = {{1, "$1"}, {12, "$12"}, {65535, "$65535"}};

  DialectCase sqlite = Row(Dialect::kSqlite, "sqlite", '"', 0, LengthUnit::kBytes);
  sqlite.quoted = {
      {"a\"\"b", "\"a\"\"\"\"b\""},
      {"[x]", "\"[x]\""},
      {"'; DROP TABLE t; --", "\"'; DROP TABLE t; --\""},
      {"email", "\"email\""},
      {"col one", "\"col one\""},
      {"qu\"ote", "\"qu\"\"ote\""},
      {"\"\"", "\"\"\"\"\"\""},
      {"back`tick [br] ;-- a.b", "\"back`tick [br] ;-- a.b\""},
      {"select", "\"select\""},
  };
  sqlite.at_limit = {Repeat("a", 10000), Repeat("é", 5000)};
  sqlite.qualified = {{"main", "t", "\"main\".\"t\""}, {"", "t", "\"t\""}};
  sqlite.placeholders = {{1, "?"}, {3, "?"}};

  return {mysql, postgresql, sqlite};
}

class DialectTest : public ::testing::TestWithParam<DialectCase> {};

INSTANTIATE_TEST_SUITE_P(Each, DialectTest, ::testing::ValuesIn(AllDialects()),
                         [](const ::testing::TestParamInfo<DialectCase>& row) {
                           return row.param.name;
                         });

TEST_P(DialectTest, TableSaysWhatTheDatabaseDoes) {
  const DialectCase& c = GetParam();
  const DialectSyntax& syntax = SyntaxOf(c.dialect);
  EXPECT_EQ(syntax.name, c.name);
  EXPECT_EQ(DialectName(c.dialect), c.name);
  EXPECT_EQ(syntax.identifier_quote, c.quote);
  EXPECT_EQ(syntax.max_identifier_length, c.max_identifier_length);
  if (c.max_identifier_length != 0) {
    EXPECT_EQ(syntax.identifier_length_unit, c.unit);
  }
}

TEST_P(DialectTest, QuotesIdentifiersDoublingTheQuote) {
  const DialectCase& c = GetParam();
  for (const auto& [input, expected] : c.quoted) {
    const base::Result<std::string> quoted = QuoteIdentifier(c.dialect, input);
    ASSERT_TRUE(quoted.ok()) << input << ": " << quoted.status().ToString();
    EXPECT_EQ(*quoted, expected) << input;
    EXPECT_TRUE(CheckIdentifier(c.dialect, input).ok()) << input;
  }
}

// No database names an object "" or with a NUL byte, MySQL and PostgreSQL refuse bytes that are
// not UTF-8. (SQLite itself would take "" as a name; contactsync refuses it there too.)
TEST_P(DialectTest, RefusesWhatNoDatabaseCanName) {
  const DialectCase& c = GetParam();
  const std::pair<std::string, std::string> bad[] = {
      {std::string(), "may not be empty"},
      {std::string("a\0b", 3), "contains a NUL byte"},
      {std::string("\xff\xfe"), "is not valid UTF-8"},
      {std::string("caf\xe9"), "is not valid UTF-8"},
  };
  for (const auto& [name, why] : bad) {
    const base::Result<std::string> quoted = QuoteIdentifier(c.dialect, name);
    ASSERT_FALSE(quoted.ok()) << name;
    EXPECT_EQ(quoted.status().code(), base::ErrorCode::kInvalidArgument);
    EXPECT_THAT(quoted.status().message(), HasSubstr(why));
    EXPECT_EQ(CheckIdentifier(c.dialect, name).code(), base::ErrorCode::kInvalidArgument);
  }
}

TEST_P(DialectTest, RefusesIdentifiersOverTheLengthLimitNamingIt) {
  const DialectCase& c = GetParam();
  for (const std::string& name : c.at_limit) {
    const base::Result<std::string> quoted = QuoteIdentifier(c.dialect, name);
    ASSERT_TRUE(quoted.ok()) << quoted.status().ToString();
    EXPECT_EQ(quoted->size(), name.size() + 2);
  }
  for (const auto& [name, message] : c.over_limit) {
    const base::Result<std::string> quoted = QuoteIdentifier(c.dialect, name);
    ASSERT_FALSE(quoted.ok()) << name;
    EXPECT_EQ(quoted.status().code(), base::ErrorCode::kInvalidArgument);
    EXPECT_THAT(quoted.status().message(), HasSubstr(message));
    // In either part of a qualified name.
    EXPECT_FALSE(QualifiedName(c.dialect, name, "t").ok());
    EXPECT_FALSE(QualifiedName(c.dialect, "s", name).ok());
  }
}

TEST_P(DialectTest, QualifiesNames) {
  const DialectCase& c = GetParam();
  for (const auto& [schema, name, expected] : c.qualified) {
    const base::Result<std::string> qualified = QualifiedName(c.dialect, schema, name);
    ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
    EXPECT_EQ(*qualified, expected);
  }
  EXPECT_FALSE(QualifiedName(c.dialect, "main", "").ok());
  EXPECT_FALSE(QualifiedName(c.dialect, std::string("m\0", 2), "t").ok());
  EXPECT_FALSE(QualifiedName(c.dialect, "s", "").ok());
  EXPECT_FALSE(QualifiedName(c.dialect, std::string("s\0", 2), "t").ok());
}

TEST_P(DialectTest, Placeholders) {
  const DialectCase& c = GetParam();
  for (const auto& [index, expected] : c.placeholders) {
    EXPECT_EQ(Placeholder(c.dialect, index), expected) << index;
  }
}

TEST_P(DialectTest, LikeEscapeClauseIsTheSameEverywhere) {
  EXPECT_EQ(LikeEscapeClause(GetParam().dialect), "ESCAPE '!'");
}

TEST(EscapeLikeTest, EscapesTheEscapeAndBothWildcards) {
  EXPECT_EQ(EscapeLike("plain"), "plain");
  EXPECT_EQ(EscapeLike("50%"), "50!%");
  EXPECT_EQ(EscapeLike("a_b"), "a!_b");
  EXPECT_EQ(EscapeLike("wow!"), "wow!!");
  EXPECT_EQ(EscapeLike("!%_"), "!!!%!_");
  // Backslash and quotes are not special with ESCAPE '!' and a bound pattern.
  EXPECT_EQ(EscapeLike("c:\\x'y"), "c:\\x'y");
  EXPECT_EQ(EscapeLike(""), "");
}

}  // namespace
}  // namespace contactsync::query
