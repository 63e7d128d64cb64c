#include "source/source.h"

#include <fmt/format.h>

#include "source/sqlite/sqlite_source.h"

namespace contactsync::source {

base::Result<std::unique_ptr<SourceConnector>> OpenSource(const ConnectionSettings& settings) {
  CS_RETURN_IF_ERROR(Validate(settings));
  switch (settings.type) {
    case SourceType::kSqlite:
      return sqlite::OpenSqliteSource(settings);
    case SourceType::kMySql:
    case SourceType::kPostgreSql:
      break;
  }
  return base::InvalidArgument(fmt::format(
      "connections of type {} are not built yet; only sqlite is available in this version",
      SourceTypeName(settings.type)));
}

}  // namespace contactsync::source
