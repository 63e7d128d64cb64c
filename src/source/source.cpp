#include "source/source.h"

#include <fmt/format.h>

#include "source/mysql/mysql_source.h"
#include "source/postgres/postgres_source.h"
#include "source/sqlite/sqlite_source.h"

namespace contactsync::source {

base::Result<std::unique_ptr<SourceConnector>> OpenSource(const ConnectionSettings& settings) {
  CS_RETURN_IF_ERROR(Validate(settings));
  switch (settings.type) {
    case SourceType::kSqlite:
      return sqlite::OpenSqliteSource(settings);
    case SourceType::kMySql:
      return mysql::OpenMySqlSource(settings);
    case SourceType::kPostgreSql:
      return postgres::OpenPostgresSource(settings);
  }
  return base::InvalidArgument(
      fmt::format("unknown connection type {}", static_cast<int>(settings.type)));
}

}  // namespace contactsync::source
