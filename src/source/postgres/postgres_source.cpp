#include "source/postgres/postgres_source.h"

#include <string_view>
#include <utility>
#include <vector>

#include "source/postgres/catalog.h"
#include "source/postgres/connection.h"
#include "source/postgres/reader.h"

namespace contactsync::source::postgres {
namespace {

using base::Result;

class PostgresSource final : public SourceConnector {
 public:
  PostgresSource(ConnectionSettings settings, std::shared_ptr<Connection> connection)
      : settings_(std::move(settings)), connection_(std::move(connection)) {}

  Result<SourceInfo> Check() override {
    CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, IdleConnection());
    return CheckConnection(*connection);
  }

  Result<std::vector<TableInfo>> ListTables() override {
    CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, IdleConnection());
    return postgres::ListTables(*connection);
  }

  Result<std::vector<ColumnInfo>> DescribeTable(std::string_view schema,
                                                std::string_view name) override {
    CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, IdleConnection());
    return postgres::DescribeTable(*connection, schema, name);
  }

  Result<std::vector<ColumnInfo>> DescribeQuery(std::string_view sql) override {
    CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, IdleConnection());
    return InReadOnlyTransaction(
        *connection, [&] { return DeclareCursor(*connection, sql, /*params=*/nullptr); });
  }

  Result<std::unique_ptr<RowReader>> OpenReader(std::string_view sql,
                                                const std::vector<Value>& params,
                                                const ReadOptions& options) override {
    CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, IdleConnection());
    return PostgresRowReader::Open(std::move(connection), sql, params, options);
  }

 private:
  // The connection to use now: the kept one, unless a reader holds it or it broke, in which
  // case a new one replaces it (a reader keeps its own until it ends).
  Result<std::shared_ptr<Connection>> IdleConnection() {
    if (connection_->leased() || connection_->broken()) {
      CS_ASSIGN_OR_RETURN(connection_, Connection::Open(settings_));
    }
    return connection_;
  }

  const ConnectionSettings settings_;  // for reconnecting; holds the password in memory only
  std::shared_ptr<Connection> connection_;
};

}  // namespace

Result<std::unique_ptr<SourceConnector>> OpenPostgresSource(const ConnectionSettings& settings) {
  if (settings.type != SourceType::kPostgreSql) {
    return base::InvalidArgument("OpenPostgresSource needs a connection of type postgresql");
  }
  CS_RETURN_IF_ERROR(Validate(settings));
  CS_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, Connection::Open(settings));
  return std::unique_ptr<SourceConnector>(
      std::make_unique<PostgresSource>(settings, std::move(connection)));
}

}  // namespace contactsync::source::postgres
