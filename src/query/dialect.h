#pragma once

// SQL dialect details that the query builder and the custom-query checker need:
// identifier quoting, placeholders and LIKE escaping for MySQL/MariaDB,
// PostgreSQL and SQLite.
//
// This module knows nothing about connections; source/ maps its own connection
// type onto Dialect. Every function is pure and thread safe.

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::query {

enum class Dialect { kMySql, kPostgreSql, kSqlite };

// "mysql", "postgresql" or "sqlite", for messages.
std::string_view DialectName(Dialect dialect);

// `identifier` as a quoted identifier: `a``b` for MySQL (backticks), "a""b" for
// PostgreSQL and SQLite, with the quote character doubled inside. The text is
// kept byte for byte (quoted identifiers are case sensitive in PostgreSQL).
// InvalidArgument when `identifier` is empty, holds a NUL byte or is not UTF-8.
base::Result<std::string> QuoteIdentifier(Dialect dialect, std::string_view identifier);

// `schema.name` with both parts quoted, or just the quoted name when `schema` is
// empty (the connection's default schema / database). For SQLite the schema is
// an attached database name such as "main". Errors as QuoteIdentifier.
base::Result<std::string> QualifiedName(Dialect dialect, std::string_view schema,
                                        std::string_view name);

// The text of the `index`-th bound parameter (1-based): "?" for MySQL and
// SQLite, "$<index>" for PostgreSQL. Precondition: index >= 1.
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
