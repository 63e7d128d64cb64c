#pragma once

// The custom-query checker: layer 4 of "never writing to the external database"
// (docs/architecture.md). A custom query (SPEC §3 source.query) must be one
// read-only SELECT; this refuses, before anything is sent to a server, the
// statements and functions that a read-only transaction is known to let through
// (INTO OUTFILE, DDL with implicit commit, lo_from_bytea, dblink_exec, ...), a
// second statement, and anything it cannot read unambiguously.
//
// The check is lexical for every dialect (sql_tokenizer.h) and, for PostgreSQL,
// also a parse with PostgreSQL's own grammar (libpg_query). It errs towards
// refusing: an unquoted column named like a forbidden keyword (`copy`, `set`)
// must be quoted, and in PostgreSQL a WITH RECURSIVE ... CYCLE ... SET clause is
// refused because of its SET. It is not the only layer: the connection is
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
// followed by one ';' and white space or comments, free of the forbidden
// keywords and functions listed in custom_query_check.cpp, of bound-parameter
// placeholders, and (MySQL) of executable comments. Otherwise kBadQuery with a
// one-line message naming what was found and where, e.g. "custom query: only one
// SELECT statement is allowed; found a second statement at line 1, column 11
// after ';'".
base::Status CheckCustomQuery(Dialect dialect, std::string_view sql,
                              const CustomQueryPolicy& policy = {});

// CheckCustomQuery, then the statement itself: from its first to its last code
// token, without surrounding comments and white space and without the trailing
// ';', ready to be wrapped as a subquery. Errors as CheckCustomQuery.
base::Result<std::string> PrepareCustomQuery(Dialect dialect, std::string_view sql,
                                             const CustomQueryPolicy& policy = {});

// The PostgreSQL half of CheckCustomQuery on its own: parses `sql` with
// PostgreSQL's grammar (libpg_query) and requires exactly one SelectStmt with no
// INTO, no locking clause, no data-modifying statement or CTE anywhere, and no
// call to a denied function. kBadQuery with the parser's message and position
// on a syntax error. CheckCustomQuery(kPostgreSql, ...) runs it after the
// lexical checks; it is public so that each layer can be tested alone.
base::Status CheckWithPostgresParser(std::string_view sql);

// True when `name` (any case, unqualified) is a function on the deny list for
// `dialect`: one with effects outside the query (files, locks, sleeps,
// sequences, server signals, extension loading).
bool IsDeniedFunction(Dialect dialect, std::string_view name);

}  // namespace contactsync::query
