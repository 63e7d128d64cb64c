#include "source/mysql/mysql_source.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/text.h"
#include "query/dialect.h"
#include "source/account_warning.h"
#include "source/mysql/grants.h"
#include "source/mysql/handle.h"
#include "source/mysql/reader.h"
#include "source/mysql/row_fetcher.h"
#include "source/mysql/session.h"

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;

Status NoRows() {
  return Status(ErrorCode::kBadQuery,
                "only SELECT queries can be used: this statement returns no rows");
}

// Text of a catalog cell; information_schema and SHOW GRANTS only return text or NULL.
std::string CellText(const Value& value) { return value.is_null() ? std::string() : value.bytes(); }

class MySqlSource final : public SourceConnector {
 public:
  MySqlSource(std::unique_ptr<Session> session, const TypeOptions& types)
      : session_(std::move(session)), types_(types) {}

  Result<SourceInfo> Check() override {
    CS_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        session_->QueryAll("SELECT VERSION(), DATABASE()", {}));
    if (rows.size() != 1 || rows[0].size() != 2) {
      return base::Internal("SELECT VERSION(), DATABASE() returned an unexpected result");
    }
    SourceInfo info;
    info.server_version = CellText(rows[0][0]);
    info.database = rows[0][1].is_null() ? settings().database : CellText(rows[0][1]);

    // Without FOR: MariaDB then lists the grants of the account's default role too, which the
    // account holds as soon as it logs in.
    CS_ASSIGN_OR_RETURN(std::vector<Row> grant_rows, session_->QueryAll("SHOW GRANTS", {}));
    std::vector<std::string> grants;
    for (const Row& row : grant_rows) {
      if (!row.empty()) grants.push_back(CellText(row[0]));
    }
    info.can_write = GrantsCanWrite(grants, info.database);
    const std::vector<std::string> privileges = GrantsPrivileges(grants);
    info.privileged = !privileges.empty();
    info.warning = AccountWarning(info.can_write, privileges);
    return info;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    // SYSTEM VERSIONED is MariaDB's label for base tables with history; SEQUENCE, SYSTEM VIEW
    // and TEMPORARY are left out.
    CS_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        session_->QueryAll("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                           "WHERE TABLE_SCHEMA = ? "
                           "AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED') "
                           "ORDER BY TABLE_NAME",
                           {settings().database}));
    std::vector<TableInfo> tables;
    tables.reserve(rows.size());
    for (const Row& row : rows) {
      TableInfo table;
      table.name = CellText(row[0]);
      table.kind = CellText(row[1]) == "VIEW" ? TableKind::kView : TableKind::kTable;
      tables.push_back(std::move(table));
    }
    // The catalog sorts by its case-insensitive collation; the contract wants one stable order.
    std::sort(tables.begin(), tables.end(),
              [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
    return tables;
  }

  Result<std::vector<ColumnInfo>> DescribeTable(std::string_view schema,
                                                std::string_view name) override {
    const std::string& database = settings().database;
    if (!schema.empty() && schema != database) {
      return base::NotFound(fmt::format(
          "database '{}' is not the one this connection reads ('{}'); leave the schema empty",
          base::Printable(schema), base::Printable(database)));
    }
    CS_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        session_->QueryAll("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE "
                                           "FROM information_schema.COLUMNS "
                                           "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
                                           "ORDER BY ORDINAL_POSITION",
                                           {database, std::string(name)}));
    if (rows.empty()) {
      return base::NotFound(fmt::format("table '{}' does not exist in database '{}'",
                                        base::Printable(name), base::Printable(database)));
    }
    std::vector<ColumnInfo> columns;
    columns.reserve(rows.size());
    for (const Row& row : rows) {
      ColumnInfo column;
      column.name = CellText(row[0]);
      column.declared_type = CellText(row[1]);
      column.nullable = CellText(row[2]) == "YES";
      columns.push_back(std::move(column));
    }
    // Kinds come from the same mapping as read rows (the catalog's type names do not tell
    // VARBINARY from a binary-collated VARCHAR as the result metadata does). The table exists
    // in the live catalog, so quoting its name is all that is needed.
    const std::vector<ColumnInfo> described = DescribeSelectAll(name);
    if (described.size() == columns.size()) {
      for (size_t i = 0; i < columns.size(); ++i) columns[i].kind = described[i].kind;
    }
    return columns;
  }

  Result<std::vector<ColumnInfo>> DescribeQuery(std::string_view sql) override {
    CS_ASSIGN_OR_RETURN(StatementHandle stmt, session_->Prepare(sql));
    return Describe(stmt.get());
  }

  Result<std::unique_ptr<RowReader>> OpenReader(std::string_view sql,
                                                const std::vector<Value>& params,
                                                const ReadOptions& options) override {
    return OpenMySqlReader(settings(), sql, params, options, types_);
  }

 private:
  const ConnectionSettings& settings() const { return session_->settings(); }

  // The result columns of a prepared (never executed) statement.
  Result<std::vector<ColumnInfo>> Describe(MYSQL_STMT* stmt) const {
    if (mysql_stmt_field_count(stmt) == 0) return NoRows();
    ResultHandle metadata(mysql_stmt_result_metadata(stmt));
    if (!metadata) return session_->StatementError(stmt);
    return RowFetcher::DescribeFields(mysql_fetch_fields(metadata.get()),
                                      mysql_num_fields(metadata.get()), types_);
  }

  // Columns of `SELECT * FROM db.name`, or none when it cannot be prepared (a view over a
  // dropped table): DescribeTable then reports kinds as unknown rather than failing.
  std::vector<ColumnInfo> DescribeSelectAll(std::string_view name) {
    Result<std::string> table =
        query::QualifiedName(query::Dialect::kMySql, settings().database, name);
    if (!table.ok()) return {};
    Result<StatementHandle> stmt = session_->Prepare("SELECT * FROM " + *table);
    if (!stmt.ok()) return {};
    Result<std::vector<ColumnInfo>> columns = Describe(stmt->get());
    return columns.ok() ? std::move(columns).value() : std::vector<ColumnInfo>{};
  }

  std::unique_ptr<Session> session_;
  const TypeOptions types_;
};

}  // namespace

Result<std::unique_ptr<SourceConnector>> OpenMySqlSource(const ConnectionSettings& settings) {
  return OpenMySqlSource(settings, TypeOptions{});
}

Result<std::unique_ptr<SourceConnector>> OpenMySqlSource(const ConnectionSettings& settings,
                                                         const TypeOptions& types) {
  if (settings.type != SourceType::kMySql) {
    return base::InvalidArgument("OpenMySqlSource needs a connection of type mysql");
  }
  CS_RETURN_IF_ERROR(Validate(settings));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                      Session::Open(settings, StatementTimeout::kServer));
  return std::unique_ptr<SourceConnector>(std::make_unique<MySqlSource>(std::move(session), types));
}

}  // namespace contactsync::source::mysql
