#include "app/source_queries.h"

#include <fmt/format.h>

#include "query/select_builder.h"

namespace contactsync::app {

query::Dialect DialectFor(source::SourceType type) {
  switch (type) {
    case source::SourceType::kMySql:
      return query::Dialect::kMySql;
    case source::SourceType::kPostgreSql:
      return query::Dialect::kPostgreSql;
    case source::SourceType::kSqlite:
      return query::Dialect::kSqlite;
  }
  return query::Dialect::kSqlite;
}

base::Result<Preview> PreviewTable(source::SourceConnector& connector, source::SourceType type,
                                   const std::string& schema, const std::string& name,
                                   size_t limit) {
  if (limit < 1 || limit > 1000) {
    return base::InvalidArgument("preview limit must be between 1 and 1000");
  }
  Preview preview;
  CS_ASSIGN_OR_RETURN(preview.columns, connector.DescribeTable(schema, name));
  std::vector<std::string> names;
  for (const auto& column : preview.columns) names.push_back(column.name);
  CS_ASSIGN_OR_RETURN(query::BuiltQuery built,
                      query::BuildSelect(DialectFor(type), query::TableSource{schema, name}, names,
                                         query::RuleSet{}));
  // LIMIT takes a number we formatted ourselves; all three dialects accept it.
  preview.sql = fmt::format("{} LIMIT {}", built.sql, limit);
  source::ReadOptions options;
  options.max_rows = limit;
  CS_ASSIGN_OR_RETURN(auto reader, connector.OpenReader(preview.sql, {}, options));
  source::Batch batch;
  CS_ASSIGN_OR_RETURN(source::ReadState state, reader->ReadBatch(batch));
  (void)state;  // one batch of at most `limit` rows is all a preview shows
  preview.rows = std::move(batch.rows);
  return preview;
}

}  // namespace contactsync::app
