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

// Predefined roles whose members (direct or inherited, whether or not they INHERIT) count as
// privileged: they act outside the data of the database — server files and programs, other
// sessions, checkpoints, maintenance and long locks on any table, subscriptions that connect
// elsewhere. pg_read_all_settings, pg_read_all_stats and pg_read_all_data only read, so they
// are not on it; pg_monitor counts, through pg_stat_scan_tables, which it contains (its
// functions take locks on any table). pg_write_all_data is a write right (can_write). Roles
// that a server version lacks simply match no one.
inline constexpr std::string_view kPrivilegedRoles[] = {
    "pg_read_server_files", "pg_write_server_files", "pg_execute_server_program",
    "pg_signal_backend",    "pg_checkpoint",         "pg_stat_scan_tables",
    "pg_maintain",          "pg_create_subscription"};

// Server version ("PostgreSQL 15.5 (Debian 15.5-1)"), the current database, and
//  - can_write: true when the account is a superuser, may CREATE in the database or in any
//    non-system schema, or holds INSERT, UPDATE, DELETE or TRUNCATE on any table or view there;
//  - privileged: true when it is a superuser, has REPLICATION, BYPASSRLS, CREATEROLE (before
//    PostgreSQL 16 it can grant itself any predefined role) or CREATEDB, or is a member of one
//    of kPrivilegedRoles;
//  - warning: one line (AccountWarning) naming what was found.
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
