#include "query/sql_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::query {
namespace {

using ::testing::HasSubstr;

// Renders tokens as "kind:text" joined by spaces, e.g. "w:select n:1".
std::string Render(Dialect dialect, std::string_view sql, bool backslash, bool ansi = false) {
  auto tokens = Tokenize(sql, {dialect, backslash, ansi});
  if (!tokens.ok()) return "ERROR " + tokens.status().message();
  std::string out;
  for (const Token& token : *tokens) {
    if (!out.empty()) out += ' ';
    switch (token.kind) {
      case TokenKind::kWord:
        out += "w:" + token.value;
        break;
      case TokenKind::kQuotedIdentifier:
        out += "q:" + token.value;
        break;
      case TokenKind::kString:
        out += "s:" + std::string(token.text);
        break;
      case TokenKind::kNumber:
        out += "n:" + std::string(token.text);
        break;
      case TokenKind::kParameter:
        out += "p:" + std::string(token.text);
        break;
      case TokenKind::kVariable:
        out += "v:" + std::string(token.text);
        break;
      case TokenKind::kSymbol:
        out += std::string(token.text);
        break;
    }
  }
  return out;
}

// With each server's default settings.
std::string Render(Dialect dialect, std::string_view sql) {
  return Render(dialect, sql, dialect == Dialect::kMySql);
}

struct Case {
  Dialect dialect;
  std::string sql;
  std::string expected;
};

TEST(SqlTokenizerTest, Tokenizes) {
  const Case cases[] = {
      {Dialect::kMySql, "SELECT a, B FROM t;", "w:select w:a , w:b w:from w:t ;"},
      {Dialect::kMySql, "select 'it''s', 'a\\'b'", "w:select s:'it''s' , s:'a\\'b'"},
      {Dialect::kMySql, "select \"x\"\"y\", `a``b`", "w:select s:\"x\"\"y\" , q:a`b"},
      {Dialect::kMySql, "select 1 -- c\n, 2 # c\n, 3", "w:select n:1 , n:2 , n:3"},
      {Dialect::kMySql, "select 1--1", "w:select n:1 - - n:1"},
      {Dialect::kMySql, "select 1 --", "w:select n:1"},
      {Dialect::kMySql, "select 1 --\tx", "w:select n:1"},
      {Dialect::kMySql, "select /* a ; b */ 1 /*+ hint */", "w:select n:1"},
      {Dialect::kMySql, "select @x, @@global.read_only, ?",
       "w:select v:@x , v:@@global . w:read_only , p:?"},
      {Dialect::kMySql, "select $a, 1.5e3, .5, 1.into",
       "w:select w:$a , n:1.5e3 , n:.5 , n:1. w:into"},
      {Dialect::kMySql, "select 0x1F, N'x', _utf8mb4'y'",
       "w:select w:0x1f , w:n s:'x' , w:_utf8mb4 s:'y'"},
      // MySQL reads digits then letters as one identifier, unless an exponent.
      {Dialect::kMySql, "select 1abs(2), 1e5, 2e+1, 12",
       "w:select w:1abs ( n:2 ) , n:1e5 , n:2e+1 , n:12"},
      {Dialect::kMySql, "select [x]", "w:select [ w:x ]"},
      {Dialect::kPostgreSql, "SELECT \"Up\"\"d\", 'a\\', E'b\\'c'",
       "w:select q:Up\"d , s:'a\\' , s:E'b\\'c'"},
      {Dialect::kPostgreSql, "select $$ ; drop $$, $tag$ x $$ y $tag$, $1",
       "w:select s:$$ ; drop $$ , s:$tag$ x $$ y $tag$ , p:$1"},
      {Dialect::kPostgreSql, "select a$b, x::int, j ? 'k'",
       "w:select w:a$b , w:x : : w:int , w:j ? s:'k'"},
      {Dialect::kPostgreSql, "select /* a /* nested */ still */ 1", "w:select n:1"},
      {Dialect::kPostgreSql, "select 1 # 2 --x\n", "w:select n:1 # n:2"},
      {Dialect::kPostgreSql, "select somee'x'", "w:select w:somee s:'x'"},
      {Dialect::kPostgreSql, "select `x`", "w:select ` w:x `"},
      {Dialect::kSqlite, "select [a b], `c``d`, \"e\"\"f\", 'g'",
       "w:select q:a b , q:c`d , q:e\"f , s:'g'"},
      {Dialect::kSqlite, "select 'a\\', ?1, :n, @m, $o",
       "w:select s:'a\\' , p:?1 , p::n , p:@m , p:$o"},
      {Dialect::kSqlite, "select 1 -- x\n # y", "w:select n:1 p:# w:y"},
      {Dialect::kSqlite, "select x'00'", "w:select w:x s:'00'"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Render(c.dialect, c.sql), c.expected) << c.sql;
  }
}

// Issue 11: a line comment ends where the server ends it. MariaDB and SQLite
// end "--" and "#" only at a line feed, so the quote after a carriage return
// is still comment; PostgreSQL's scan.l ends "--" at '\r' too.
TEST(SqlTokenizerTest, LineCommentsEndWhereTheServerEndsThem) {
  const Case cases[] = {
      {Dialect::kMySql, "select 1 AS c -- \r'\n, load_file('/x') AS d -- '\nFROM DUAL",
       "w:select n:1 w:as w:c , w:load_file ( s:'/x' ) w:as w:d w:from w:dual"},
      {Dialect::kMySql, "select 1 # \r'\n, 2", "w:select n:1 , n:2"},
      {Dialect::kMySql, "select 1 -- \r\n, 2", "w:select n:1 , n:2"},
      {Dialect::kSqlite, "select 1 -- \r'\n, 2", "w:select n:1 , n:2"},
      {Dialect::kPostgreSql, "select 1 -- \r'x'", "w:select n:1 s:'x'"},
      {Dialect::kPostgreSql, "select 1 -- \n'x'", "w:select n:1 s:'x'"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Render(c.dialect, c.sql), c.expected) << c.sql;
  }
}

// Issue 11: SQLite's variables as tokenize.c reads them; "#a(')" is one token,
// so the quote inside it opens no string.
TEST(SqlTokenizerTest, SqliteVariablesAreOneTokenAsSqliteReadsThem) {
  const Case cases[] = {
      {Dialect::kSqlite, "select #a(') , load_extension(x) -- '",
       "w:select p:#a(') , w:load_extension ( w:x )"},
      {Dialect::kSqlite, "select $a::b::c, @x, :y, ?7", "w:select p:$a::b::c , p:@x , p::y , p:?7"},
      {Dialect::kSqlite, "select $a(b c)", "w:select p:$a(b w:c )"},
      {Dialect::kSqlite, "select $(x)", "w:select p:$ ( w:x )"},
      {Dialect::kSqlite, "select :a$b", "w:select p::a$b"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Render(c.dialect, c.sql), c.expected) << c.sql;
  }
}

TEST(SqlTokenizerTest, ModesChangeReading) {
  // MySQL NO_BACKSLASH_ESCAPES: the backslash is an ordinary character.
  EXPECT_EQ(Render(Dialect::kMySql, "select 'a\\' , 'b'", false), "w:select s:'a\\' , s:'b'");
  EXPECT_THAT(Render(Dialect::kMySql, "select 'a\\' , 'b'", true),
              HasSubstr("unterminated string starting at line 1, column 17"));
  // ANSI_QUOTES: "x" is an identifier.
  EXPECT_EQ(Render(Dialect::kMySql, "select \"x\"", true, true), "w:select q:x");
  // PostgreSQL standard_conforming_strings = off.
  EXPECT_EQ(Render(Dialect::kPostgreSql, "select 'a\\'b'", true), "w:select s:'a\\'b'");
  EXPECT_THAT(Render(Dialect::kPostgreSql, "select 'a\\'b'", false), HasSubstr("unterminated"));
}

TEST(SqlTokenizerTest, ReportsErrors) {
  const Case cases[] = {
      {Dialect::kMySql, "select 'abc", "unterminated string starting at line 1, column 8"},
      {Dialect::kMySql, "select\n  \"abc", "unterminated string starting at line 2, column 3"},
      {Dialect::kMySql, "select `abc", "unterminated quoted identifier"},
      {Dialect::kMySql, "select 1 /* x", "unterminated comment starting at line 1, column 10"},
      {Dialect::kMySql, "select 1 /*! ; drop table t */", "executable comments"},
      {Dialect::kMySql, "select 1 /*M!100000 sleep(1) */", "executable comments"},
      {Dialect::kMySql, "select 'x\\'", "unterminated string"},
      {Dialect::kPostgreSql, "select /* /* */", "unterminated comment"},
      {Dialect::kPostgreSql, "select $a$ x $b$", "unterminated dollar-quoted string"},
      {Dialect::kPostgreSql, "select E'x\\'", "unterminated string"},
      {Dialect::kPostgreSql, "select \"x", "unterminated quoted identifier"},
      {Dialect::kSqlite, "select [x", "unterminated quoted identifier"},
      {Dialect::kSqlite, "select 'é", "unterminated string starting at line 1, column 8"},
      {Dialect::kSqlite, "select 'é' 'x", "unterminated string starting at line 1, column 12"},
      {Dialect::kSqlite, std::string("select \0", 8), "NUL"},
  };
  for (const auto& c : cases) {
    auto tokens = Tokenize(c.sql, {c.dialect, true, false});
    ASSERT_FALSE(tokens.ok()) << c.sql;
    EXPECT_EQ(tokens.status().code(), base::ErrorCode::kBadQuery) << c.sql;
    EXPECT_THAT(tokens.status().message(), HasSubstr(c.expected)) << c.sql;
  }
}

TEST(SqlTokenizerTest, OffsetsPointIntoInput) {
  const std::string sql = "select  `a`";
  auto tokens = Tokenize(sql, {Dialect::kMySql, true, false});
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[1].offset, 8u);
  EXPECT_EQ((*tokens)[1].text, "`a`");
  EXPECT_EQ(DescribePosition("ab\ncd", 4), "line 2, column 2");
  EXPECT_EQ(DescribePosition("ab", 99), "line 1, column 3");
}

}  // namespace
}  // namespace contactsync::query
