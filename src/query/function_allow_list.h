#pragma once

// What a custom query may call: one reviewed table per dialect of built-in
// functions known to be pure (they compute a value from their arguments, the
// rows and the clock, and touch nothing else), PostgreSQL's built-in types and
// operator symbols, and a never-list of function families that act outside the
// query. docs/read-only.md ("The custom-query check") lists the tables and why
// each group is there; function_allow_list.cpp is the one place they live.
//
// Closed by default: a name that is on no table is refused by the checker
// unless the connection vouches for it (CustomQueryPolicy::allowed_functions),
// and a name on the never-list is refused even then.
//
// Names are compared ASCII-case-insensitively. Pure functions; thread safe.

#include <string_view>
#include <vector>

#include "query/dialect.h"

namespace contactsync::query {

// True when `name` (unqualified) is a built-in function of `dialect` on its
// allow-list.
bool IsAllowedBuiltinFunction(Dialect dialect, std::string_view name);

// The allow-list of `dialect`, every group together (for tests and docs).
std::vector<std::string_view> AllowedBuiltinFunctions(Dialect dialect);

// True when `name` (unqualified, any dialect) belongs to a family that acts
// outside the query: runs SQL given as text, touches files, locks, other
// sessions, signals, WAL, replication, backups, configuration, statistics,
// sequences, transaction ids, large objects, sleeps, or loads code. No policy
// can allow these.
bool IsNeverAllowedFunction(std::string_view name);

// PostgreSQL: true when `name` (the last part of a TypeName, as the parser
// gives it: "int4", "varchar", "timestamptz", "text") is a built-in type whose
// input function only parses its text. A cast runs that function.
bool IsAllowedPostgresType(std::string_view name);

// PostgreSQL: true when `symbol` is a built-in operator symbol ("=", "||",
// "->>", "~~*") or the name the parser gives a BETWEEN form ("NOT BETWEEN").
bool IsAllowedPostgresOperator(std::string_view symbol);

}  // namespace contactsync::query
