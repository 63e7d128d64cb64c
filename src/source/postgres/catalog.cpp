#include "source/postgres/catalog.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "base/text.h"
#include "query/dialect.h"
#include "source/account_warning.h"
#include "source/postgres/types.h"

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;

// In every query, `n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'` leaves
// out the schemas that belong to PostgreSQL: pg_catalog, pg_toast, the pg_temp_N and
// pg_toast_temp_N schemas of other sessions (users may not create names starting with "pg_"),
// and the SQL standard's information_schema.

constexpr const char* kCheckSql =
    "SELECT version(), current_database(), "
    "COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) "
    "OR has_database_privilege(current_database(), 'CREATE') "
    "OR EXISTS (SELECT 1 FROM pg_namespace n "
    "WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' "
    "AND has_schema_privilege(n.oid, 'CREATE')) "
    "OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' "
    "AND (has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') "
    "OR has_any_column_privilege(c.oid, 'INSERT, UPDATE'))), "
    // The rights beyond data (see kPrivilegedRoles in catalog.h), comma-separated; '' for none.
    "(SELECT CASE WHEN r.rolsuper THEN 'superuser' ELSE concat_ws(', ', "
    "CASE WHEN r.rolreplication THEN 'replication' END, "
    "CASE WHEN r.rolbypassrls THEN 'bypassrls' END, "
    "CASE WHEN r.rolcreaterole THEN 'createrole' END, "
    "CASE WHEN r.rolcreatedb THEN 'createdb' END, "
    "(SELECT string_agg(p.rolname, ', ' ORDER BY p.rolname) FROM pg_roles p "
    "WHERE p.rolname = ANY ($1::text[]) AND pg_has_role(r.oid, p.oid, 'MEMBER'))) END "
    "FROM pg_roles r WHERE r.rolname = current_user)";

// kPrivilegedRoles as a PostgreSQL array literal for $1 (the names need no quoting).
std::string PrivilegedRolesArray() {
  std::string array = "{";
  for (std::string_view role : kPrivilegedRoles) {
    if (array.size() > 1) array += ',';
    array += role;
  }
  return array + "}";
}

// "superuser" or "replication, pg_read_server_files" as a list.
std::vector<std::string> SplitPrivileges(std::string_view text) {
  std::vector<std::string> privileges;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(", ", start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) privileges.emplace_back(text.substr(start, end - start));
    start = end + 2;
  }
  return privileges;
}

constexpr const char* kListTablesSql =
    "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition "
    "AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' "
    "AND has_schema_privilege(n.oid, 'USAGE') "
    "AND (has_table_privilege(c.oid, 'SELECT') OR has_any_column_privilege(c.oid, 'SELECT'))";

// $1 schema ('' for the search path), $2 name. The search path position orders the matches
// when the schema is empty, as PostgreSQL itself resolves an unqualified name.
constexpr const char* kFindTableSql =
    "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN unnest(current_schemas(false)) WITH ORDINALITY AS s(name, position) "
    "ON s.name = n.nspname "
    "WHERE c.relname = $2::text::name AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND CASE WHEN $1::text = '' THEN s.position IS NOT NULL "
    "ELSE n.nspname = $1::text::name END "
    "ORDER BY s.position LIMIT 1";

// $1 table oid. A domain column's kind is its base type's (following domains over domains),
// while its declared type keeps the domain's name.
constexpr const char* kTableColumnsSql =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, base.typid, "
    "base.typmod FROM pg_attribute a CROSS JOIN LATERAL ("
    "WITH RECURSIVE chain(typid, typmod, depth) AS ("
    "SELECT a.atttypid, a.atttypmod, 0 UNION ALL "
    "SELECT t.typbasetype, t.typtypmod, chain.depth + 1 FROM chain "
    "JOIN pg_type t ON t.oid = chain.typid WHERE t.typtype = 'd' AND chain.depth < 32) "
    "SELECT typid, typmod FROM chain ORDER BY depth DESC LIMIT 1) AS base "
    "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

// $1 type oids, $2 type modifiers, as array literals of numbers.
constexpr const char* kFormatTypesSql =
    "SELECT format_type(t.oid, t.mod) FROM unnest($1::oid[], $2::int4[]) "
    "WITH ORDINALITY AS t(oid, mod, position) ORDER BY t.position";

std::string Text(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

bool Bool(const PGresult* result, int row, int column) {
  return std::string_view(PQgetvalue(result, row, column)) == "t";
}

Status Unexpected(std::string_view what) {
  return base::Internal(fmt::format("unexpected answer from PostgreSQL to {}", what));
}

// True when `name` could name a PostgreSQL object at all; anything else cannot exist (and a
// longer name would be truncated by the server into one that might).
bool CanBeName(std::string_view name) {
  return query::CheckIdentifier(query::Dialect::kPostgreSql, name).ok();
}

Status TableNotFound(std::string_view schema, std::string_view name) {
  if (schema.empty()) {
    return base::NotFound(fmt::format("table '{}' does not exist", base::Printable(name)));
  }
  return base::NotFound(
      fmt::format("table '{}.{}' does not exist", base::Printable(schema), base::Printable(name)));
}

}  // namespace

Result<SourceInfo> CheckConnection(Connection& connection) {
  return InReadOnlyTransaction(connection, [&]() -> Result<SourceInfo> {
    CS_ASSIGN_OR_RETURN(ResultHandle result,
                        connection.Exec(kCheckSql, {Value::FromText(PrivilegedRolesArray())}));
    if (PQntuples(result.get()) != 1 || PQnfields(result.get()) != 4) {
      return Unexpected("the connection test");
    }
    SourceInfo info;
    // "PostgreSQL 15.5 (Debian 15.5-1) on x86_64-pc-linux-gnu, compiled by gcc ...": the part
    // before " on " names the product and version, also for forks that change the first word.
    info.server_version = Text(result.get(), 0, 0);
    if (const size_t on = info.server_version.find(" on "); on != std::string::npos) {
      info.server_version.resize(on);
    }
    info.database = Text(result.get(), 0, 1);
    info.can_write = Bool(result.get(), 0, 2);
    const std::vector<std::string> privileges = SplitPrivileges(Text(result.get(), 0, 3));
    info.privileged = !privileges.empty();
    info.warning = AccountWarning(info.can_write, privileges);
    return info;
  });
}

Result<std::vector<TableInfo>> ListTables(Connection& connection) {
  return InReadOnlyTransaction(connection, [&]() -> Result<std::vector<TableInfo>> {
    CS_ASSIGN_OR_RETURN(ResultHandle result, connection.Exec(kListTablesSql));
    if (PQnfields(result.get()) != 3) return Unexpected("the list of tables");
    std::vector<TableInfo> tables;
    const int rows = PQntuples(result.get());
    tables.reserve(static_cast<size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      TableInfo table;
      table.schema = Text(result.get(), row, 0);
      table.name = Text(result.get(), row, 1);
      const char kind = PQgetvalue(result.get(), row, 2)[0];
      table.kind = kind == 'v' || kind == 'm' ? TableKind::kView : TableKind::kTable;
      tables.push_back(std::move(table));
    }
    // Sorted here rather than by ORDER BY: byte order whatever the server's collation.
    std::sort(tables.begin(), tables.end(), [](const TableInfo& a, const TableInfo& b) {
      return std::tie(a.schema, a.name) < std::tie(b.schema, b.name);
    });
    return tables;
  });
}

Result<std::vector<ColumnInfo>> DescribeTable(Connection& connection, std::string_view schema,
                                              std::string_view name) {
  // An empty schema means the search path.
  if ((!schema.empty() && !CanBeName(schema)) || !CanBeName(name)) {
    return TableNotFound(schema, name);
  }
  return InReadOnlyTransaction(connection, [&]() -> Result<std::vector<ColumnInfo>> {
    CS_ASSIGN_OR_RETURN(ResultHandle found,
                        connection.Exec(kFindTableSql, {Value::Text(std::string(schema)),
                                                        Value::Text(std::string(name))}));
    if (PQntuples(found.get()) == 0) return TableNotFound(schema, name);
    const std::string oid = Text(found.get(), 0, 0);
    CS_ASSIGN_OR_RETURN(ResultHandle result, connection.Exec(kTableColumnsSql, {Value::Text(oid)}));
    if (PQnfields(result.get()) != 5) return Unexpected("the description of a table");
    std::vector<ColumnInfo> columns;
    const int rows = PQntuples(result.get());
    for (int row = 0; row < rows; ++row) {
      ColumnInfo column;
      column.name = Text(result.get(), row, 0);
      column.declared_type = Text(result.get(), row, 1);
      column.nullable = !Bool(result.get(), row, 2);
      const auto type = static_cast<Oid>(std::stoul(Text(result.get(), row, 3)));
      const int typmod = std::stoi(Text(result.get(), row, 4));
      column.kind = KindFromType(type, typmod);
      columns.push_back(std::move(column));
    }
    return columns;
  });
}

Result<std::vector<ColumnInfo>> ResultColumns(Connection& connection, const PGresult* description) {
  const int count = PQnfields(description);
  std::vector<ColumnInfo> columns;
  if (count <= 0) return columns;
  std::string oids = "{";
  std::string typmods = "{";
  for (int i = 0; i < count; ++i) {
    ColumnInfo column;
    column.name = PQfname(description, i);
    column.kind = KindFromType(PQftype(description, i), PQfmod(description, i));
    columns.push_back(std::move(column));
    const char* separator = i == 0 ? "" : ",";
    oids += fmt::format("{}{}", separator, PQftype(description, i));
    typmods += fmt::format("{}{}", separator, PQfmod(description, i));
  }
  oids += "}";
  typmods += "}";
  CS_ASSIGN_OR_RETURN(ResultHandle types,
                      connection.Exec(kFormatTypesSql, {Value::Text(oids), Value::Text(typmods)}));
  if (PQntuples(types.get()) != count) return Unexpected("format_type()");
  for (int i = 0; i < count; ++i) {
    // NULL for a type without a name (none of the built-in ones); the type stays unnamed.
    if (PQgetisnull(types.get(), i, 0) == 0) {
      columns[static_cast<size_t>(i)].declared_type = Text(types.get(), i, 0);
    }
  }
  return columns;
}

}  // namespace contactsync::source::postgres
