#include "app/source_queries.h"

#include <fmt/format.h>

#include "query/custom_query_check.h"
#include "query/select_builder.h"
#include "sync/checks.h"
#include "sync/definition.h"

namespace contactsync::app {

namespace {

base::Status CheckLimit(size_t limit) {
  if (limit < 1 || limit > 1000) {
    return base::InvalidArgument("preview limit must be between 1 and 1000");
  }
  return base::Status::Ok();
}

// Runs `built` with a LIMIT and keeps the first batch.
base::Status ReadFirstRows(source::SourceConnector& connector, const query::BuiltQuery& built,
                           size_t limit, Preview& preview) {
  // LIMIT takes a number we formatted ourselves; all three dialects accept it.
  preview.sql = fmt::format("{} LIMIT {}", built.sql, limit);
  std::vector<source::Value> params;
  for (const auto& param : built.params) {
    params.push_back(param ? source::Value::Text(*param) : source::Value::Null());
  }
  source::ReadOptions options;
  options.max_rows = limit;
  CS_ASSIGN_OR_RETURN(auto reader, connector.OpenReader(preview.sql, params, options));
  source::Batch batch;
  CS_ASSIGN_OR_RETURN(source::ReadState state, reader->ReadBatch(batch));
  (void)state;  // one batch of at most `limit` rows is all a preview shows
  preview.rows = std::move(batch.rows);
  return base::Status::Ok();
}

// The gate on the connection's account, then the checker with the
// connection's policy: the statement ready to describe or wrap.
base::Result<std::string> PrepareAllowedQuery(source::SourceConnector& connector,
                                              const ConnectionView& connection,
                                              const std::string& sql) {
  CS_ASSIGN_OR_RETURN(const source::SourceInfo info, connector.Check());
  CS_RETURN_IF_ERROR(sync::CheckCustomQueryAllowed(connection.name, connection.settings, info));
  return query::PrepareCustomQuery(sync::DialectFor(connection.settings.type), sql,
                                   sync::PolicyOf(connection.settings));
}

std::vector<std::string> ColumnNames(const std::vector<source::ColumnInfo>& columns) {
  std::vector<std::string> names;
  for (const auto& column : columns) names.push_back(column.name);
  return names;
}

}  // namespace

std::string CellForDisplay(const source::Value& value, std::string_view null_text) {
  switch (value.state()) {
    case source::Value::State::kNull:
      return std::string(null_text);
    case source::Value::State::kText:
      return value.bytes();
    case source::Value::State::kBinary:
      return fmt::format("<binary, {} bytes>", value.bytes().size());
    case source::Value::State::kBadText:
      return fmt::format("<not UTF-8, {} bytes>", value.bytes().size());
  }
  return std::string(null_text);
}

base::Result<Preview> PreviewQuery(source::SourceConnector& connector,
                                   const ConnectionView& connection, const std::string& sql,
                                   size_t limit) {
  CS_RETURN_IF_ERROR(CheckLimit(limit));
  CS_ASSIGN_OR_RETURN(const std::string statement, PrepareAllowedQuery(connector, connection, sql));
  Preview preview;
  CS_ASSIGN_OR_RETURN(preview.columns, connector.DescribeQuery(statement));
  query::CustomQuerySource custom{statement, sync::PolicyOf(connection.settings)};
  CS_ASSIGN_OR_RETURN(query::BuiltQuery built,
                      query::BuildSelect(sync::DialectFor(connection.settings.type), custom,
                                         ColumnNames(preview.columns), query::RuleSet{}));
  CS_RETURN_IF_ERROR(ReadFirstRows(connector, built, limit, preview));
  return preview;
}

base::Result<std::vector<source::ColumnInfo>> DescribeCustomQuery(
    source::SourceConnector& connector, const ConnectionView& connection, const std::string& sql) {
  CS_ASSIGN_OR_RETURN(const std::string statement, PrepareAllowedQuery(connector, connection, sql));
  return connector.DescribeQuery(statement);
}

base::Result<Preview> PreviewTable(source::SourceConnector& connector, source::SourceType type,
                                   const std::string& schema, const std::string& name,
                                   size_t limit) {
  CS_RETURN_IF_ERROR(CheckLimit(limit));
  Preview preview;
  CS_ASSIGN_OR_RETURN(preview.columns, connector.DescribeTable(schema, name));
  CS_ASSIGN_OR_RETURN(query::BuiltQuery built,
                      query::BuildSelect(sync::DialectFor(type), query::TableSource{schema, name},
                                         ColumnNames(preview.columns), query::RuleSet{}));
  CS_RETURN_IF_ERROR(ReadFirstRows(connector, built, limit, preview));
  return preview;
}

}  // namespace contactsync::app
