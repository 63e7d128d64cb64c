#pragma once

// The custom-query checker: layer 4 of "never writing to the external database"
// (docs/read-only.md, "The custom-query check"). A custom query (docs/spec.md §3
// source.query) must be one read-only SELECT, and it is closed by default:
// - it is lexed exactly as its server lexes it (sql_tokenizer.h), so comments,
//   strings and identifiers end where the server ends them;
// - one statement, starting with SELECT or WITH, no writing keyword (INTO,
//   DDL, ...), no row lock (FOR UPDATE/SHARE, LOCK IN SHARE MODE, NOWAIT,
//   SKIP LOCKED), no bound parameter, no MySQL executable comment, no MySQL
//   assignment or sequence syntax;
// - every function call must be a built-in on the dialect's allow-list
//   (function_allow_list.h) or a function the connection vouches for
//   (CustomQueryPolicy); the never-list wins over both. MySQL/MariaDB and SQLite
//   calls are found on the tokens; PostgreSQL's come from its own parse tree
//   (libpg_query), whose every node kind, type, operator and sampling method
//   must be on an allow-list too.
// It errs towards refusing: an unquoted column named like a forbidden keyword
// (`copy`, `set`) must be quoted. It is not the only layer: the connection is
// read-only and runs one statement per call.
//
// All functions are pure and thread safe (libpg_query keeps per-thread state).

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "query/dialect.h"

namespace contactsync::query {

inline constexpr size_t kMaxCustomQueryBytes = 1024 * 1024;

// What one connection allows beyond the dialect's built-in allow-list
// (docs/read-only.md). Empty by default: closed.
struct CustomQueryPolicy {
  // User-defined functions the connection's owner vouches for (`--allow-function`),
  // lower-case, unqualified ("shop_discount") or schema-qualified
  // ("public.shop_discount"). contactsync cannot see inside them.
  std::vector<std::string> allowed_functions;
};

// OK when `sql` is a single SELECT (or WITH ... SELECT) statement, optionally
// followed by one ';' and white space or comments, that passes every rule
// above. Otherwise kBadQuery with a one-line message naming what was found and
// where, e.g. "custom query: function 'x' is not allowed (found at line 1,
// column 8): only built-in functions without side effects may be called; if
// 'x' is your own function and you trust it, allow it on the connection with
// --allow-function x".
base::Status CheckCustomQuery(Dialect dialect, std::string_view sql,
                              const CustomQueryPolicy& policy = {});

// CheckCustomQuery, then the statement itself: from its first to its last code
// token, without surrounding comments and white space and without the trailing
// ';', ready to be wrapped as a subquery. Errors as CheckCustomQuery.
base::Result<std::string> PrepareCustomQuery(Dialect dialect, std::string_view sql,
                                             const CustomQueryPolicy& policy = {});

// The PostgreSQL half of CheckCustomQuery on its own: parses `sql` with
// PostgreSQL's grammar (libpg_query) and requires exactly one SelectStmt with no
// INTO, no locking clause, no data-modifying statement or CTE anywhere, only
// allowed node kinds, and only allowed functions, types, operators and
// TABLESAMPLE methods. kBadQuery with the parser's message and position on a
// syntax error. CheckCustomQuery(kPostgreSql, ...) runs it after the lexical
// checks; it is public so that each layer can be tested alone.
base::Status CheckWithPostgresParser(std::string_view sql, const CustomQueryPolicy& policy = {});

}  // namespace contactsync::query
