#pragma once

// A lexer for the SQL text of a custom query, per dialect, precise enough to
// tell code from string literals, quoted identifiers and comments. It does not
// parse; custom_query_check.h uses the token stream to find statement breaks,
// forbidden keywords and side-effecting function calls.
//
// Written by hand because no maintained library tokenizes MySQL/MariaDB SQL
// (libpg_query covers PostgreSQL only, and is used in addition there). The rules
// follow the servers' own lexers: MySQL sql/sql_lex.cc, PostgreSQL scan.l,
// SQLite tokenize.c.
//
// Where a server's lexing depends on a session setting (MySQL sql_mode
// NO_BACKSLASH_ESCAPES and ANSI_QUOTES, PostgreSQL standard_conforming_strings),
// the setting is an option; the checker tokenizes under every combination and
// requires all of them to find the same tokens, because it cannot know the
// server's mode.
//
// Thread safe; tokens point into the caller's text, which must outlive them.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "query/dialect.h"

namespace contactsync::query {

enum class TokenKind {
  kWord,              // unquoted identifier or keyword: select, updated_at
  kQuotedIdentifier,  // "name" (PG, SQLite, MySQL ANSI_QUOTES), `name`, [name] (SQLite)
  kString,            // 'text', E'text', $tag$text$tag$, MySQL "text"
  kNumber,            // 1, 1.5, .5, 1e-3
  kParameter,         // $1 (PG), ? (MySQL, SQLite), :name @name $name (SQLite)
  kVariable,          // MySQL @user_var and @@system_var
  kSymbol,            // any other character, one token per byte: ; ( ) , . + ...
};

struct Token {
  TokenKind kind = TokenKind::kSymbol;
  // The token as written, quotes included.
  std::string_view text;
  // kWord: lower-cased (ASCII). kQuotedIdentifier: the name with its quotes
  // removed and doubled quotes undone. Otherwise the same as `text`.
  std::string value;
  size_t offset = 0;  // byte offset of text in the input
};

struct TokenizerOptions {
  Dialect dialect = Dialect::kMySql;
  // MySQL: backslash escapes in '...' and "..." (off under NO_BACKSLASH_ESCAPES).
  // PostgreSQL: backslash escapes in '...' (standard_conforming_strings = off).
  // E'...' strings always have them; SQLite ignores this option.
  bool backslash_escapes = true;
  // MySQL only: "..." is an identifier (sql_mode ANSI_QUOTES) instead of a string.
  bool ansi_quotes = false;
};

// The code tokens of `sql`; comments and white space are dropped. kBadQuery
// ("custom query: unterminated string starting at line 1, column 8") for an
// unterminated string, quoted identifier or block comment, and for MySQL
// executable comments (/*! ... */, /*M! ... */), which the server runs as code.
base::Result<std::vector<Token>> Tokenize(std::string_view sql, const TokenizerOptions& options);

// "line L, column C" for a byte offset in `text` (both 1-based; columns count
// UTF-8 characters).
std::string DescribePosition(std::string_view text, size_t offset);

}  // namespace contactsync::query
