#pragma once

// Each external database's SQL syntax, in one place: identifier quoting and the
// identifiers a database cannot hold, placeholders and LIKE escaping for
// MySQL/MariaDB, PostgreSQL and SQLite. The query builder, the custom-query
// checker and every driver use it (library cs_dialect, which needs only base, so
// that the drivers do not pull in the query builder).
//
// This module knows nothing about connections; each caller maps its own
// connection type onto Dialect. Every function is pure and thread safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::query {

enum class Dialect { kMySql, kPostgreSql, kSqlite };

// How a database measures the length of an identifier.
enum class LengthUnit { kCharacters, kBytes };

// What one database's SQL text looks like. One row per Dialect (SyntaxOf).
//
// Every dialect refuses an empty identifier, one holding a NUL byte (no server
// accepts it, and a C client API would cut the statement there) and one that is
// not UTF-8 (MySQL and PostgreSQL refuse such names; contactsync's text is UTF-8
// throughout, SQLite's included).
struct DialectSyntax {
  // "mysql", "postgresql" or "sqlite", for messages and test names.
  std::string_view name;
  // "MySQL/MariaDB", "PostgreSQL" or "SQLite", for messages to people.
  std::string_view display_name;
  // Encloses a quoted identifier; doubled when it stands inside one.
  char identifier_quote;
  // The longest identifier the server keeps, 0 for no limit. MySQL/MariaDB
  // count characters (64) and refuse a longer name; PostgreSQL counts bytes
  // (NAMEDATALEN - 1 = 63) and silently truncates a longer one, which could then
  // name another object. QuoteIdentifier refuses both before the server sees them.
  size_t max_identifier_length;
  LengthUnit identifier_length_unit;
  // "$1", "$2", ... rather than "?" for bound parameters.
  bool numbered_placeholders;
};

const DialectSyntax& SyntaxOf(Dialect dialect);

// SyntaxOf(dialect).name.
std::string_view DialectName(Dialect dialect);

// Ok when `identifier` can name an object in `dialect`; else InvalidArgument
// saying why: empty, a NUL byte, not UTF-8, or longer than the dialect's limit
// (the message names the limit, e.g. "PostgreSQL's limit of 63 bytes").
base::Status CheckIdentifier(Dialect dialect, std::string_view identifier);

// `identifier` as a quoted identifier: `a``b` for MySQL (backticks, which quote
// in every sql_mode, ANSI_QUOTES or not), "a""b" for PostgreSQL and SQLite, with
// the quote character doubled inside. Safe for any name the database accepts,
// including ones with spaces, quotes, brackets, dots, semicolons or reserved
// words. The text is kept byte for byte (quoted identifiers are case sensitive
// in PostgreSQL). Errors as CheckIdentifier.
base::Result<std::string> QuoteIdentifier(Dialect dialect, std::string_view identifier);

// `schema.name` with both parts quoted, or just the quoted name when `schema` is
// empty (the connection's default schema / database). For SQLite the schema is
// an attached database name such as "main". Errors as CheckIdentifier.
base::Result<std::string> QualifiedName(Dialect dialect, std::string_view schema,
                                        std::string_view name);

// The text of the `index`-th bound parameter (1-based): "?" for MySQL and
// SQLite, "$<index>" for PostgreSQL. Precondition: index >= 1. (The servers
// take at most 65535 parameters, SQLite 32766 by default: they refuse more.)
std::string Placeholder(Dialect dialect, int index);

// The LIKE escape character used by every pattern this module builds. '!' is
// chosen over '\' because a backslash means different things in a MySQL string
// literal depending on sql_mode NO_BACKSLASH_ESCAPES, and in PostgreSQL
// depending on standard_conforming_strings; '!' is plain in every dialect and
// mode, so one clause text works everywhere.
inline constexpr char kLikeEscapeChar = '!';

// `value` with '!', '%' and '_' prefixed by '!', so that it matches itself
// literally inside a LIKE pattern that is used with LikeEscapeClause().
std::string EscapeLike(std::string_view value);

// The clause to append after `LIKE <pattern>`: "ESCAPE '!'" (the same text in
// every dialect; the parameter keeps the call sites honest if that changes).
std::string_view LikeEscapeClause(Dialect dialect);

}  // namespace contactsync::query
