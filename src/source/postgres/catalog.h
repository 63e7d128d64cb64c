#pragma once

// What the connector asks the PostgreSQL catalog: the connection test, the tables a user may
// pick from, and column descriptions. Every function runs its catalog queries inside its own
// BEGIN READ ONLY ... ROLLBACK on `connection`, except ResultColumns, which runs inside the
// caller's transaction. Values (names) are always bound parameters.
//
// Errors are those of Connection::Exec, plus the ones named per function.
//
// Thread safety: as Connection (one thread at a time).

#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/postgres/connection.h"
#include "source/source.h"

namespace contactsync::source::postgres {

// The warning SourceInfo carries when the account could change data.
inline constexpr std::string_view kCanWriteWarning =
    "this account can change data; contactsync never writes, but a SELECT-only account is safer "
    "(see docs/read-only.md)";

// Server version ("PostgreSQL 15.5 (Debian 15.5-1)"), the current database, and can_write:
// true when the account is a superuser, may CREATE in the database or in any non-system
// schema, or holds INSERT, UPDATE, DELETE or TRUNCATE on any table or view there.
base::Result<SourceInfo> CheckConnection(Connection& connection);

// Tables (plain, partitioned, foreign) and views (plain, materialized) in every schema but
// pg_catalog, information_schema and the other pg_* schemas, that the account may read
// (USAGE on the schema, SELECT on the table or one of its columns), sorted by schema and name
// in byte order. Partitions are left out: their parent lists their rows.
base::Result<std::vector<TableInfo>> ListTables(Connection& connection);

// The columns of `schema`.`name` in table order: declared_type as format_type() spells it
// (a domain by its own name), kind from the domain's base type, nullable from attnotnull.
// An empty `schema` means the first schema of the search path (current_schemas(false)) that
// has a table or view `name`. kNotFound "table 'x' does not exist" when there is none.
base::Result<std::vector<ColumnInfo>> DescribeTable(Connection& connection, std::string_view schema,
                                                    std::string_view name);

// The columns described by `description` (a PQdescribePrepared result or any result), with
// declared types from format_type(). Runs one catalog query on `connection` inside the
// caller's open transaction; it replaces the unnamed prepared statement.
base::Result<std::vector<ColumnInfo>> ResultColumns(Connection& connection,
                                                    const PGresult* description);

}  // namespace contactsync::source::postgres
