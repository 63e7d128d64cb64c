#pragma once

// Queries the faces run on a saved connection outside a sync: the preview of
// a table's first rows. Built by the query module (quoted identifiers), run
// through the read-only source connector.

#include <string>
#include <string_view>
#include <vector>

#include "app/connections.h"
#include "base/status.h"
#include "source/source.h"

namespace contactsync::app {

// A previewed cell as a person reads it: its text, `null_text` for NULL, or
// what it holds when it is not text ("<binary, 12 bytes>", "<not UTF-8, 3
// bytes>"). Shared by the CLI's table and the API's preview rows.
std::string CellForDisplay(const source::Value& value, std::string_view null_text);

struct Preview {
  std::string sql;  // as executed
  std::vector<source::ColumnInfo> columns;
  std::vector<source::Row> rows;  // at most the requested limit
};

// The first `limit` rows (1..1000) of table `name` in `schema` (empty: the
// default), all columns in table order. Errors as SourceConnector's, plus
// InvalidArgument for a bad limit.
base::Result<Preview> PreviewTable(source::SourceConnector& connector, source::SourceType type,
                                   const std::string& schema, const std::string& name,
                                   size_t limit);

// The first `limit` rows (1..1000) of a custom query on saved connection
// `connection`: allowed on its account first (sync::CheckCustomQueryAllowed:
// kPermissionDenied on an account that can write or is privileged, unless the
// connection allows it), checked (query::CheckCustomQuery with the
// connection's allowed functions: one SELECT, nothing that writes or locks),
// described without running, then run wrapped as a subquery with a LIMIT.
// kBadQuery naming what the check found; otherwise errors as
// SourceConnector's.
base::Result<Preview> PreviewQuery(source::SourceConnector& connector,
                                   const ConnectionView& connection, const std::string& sql,
                                   size_t limit);

// The columns of a custom query, allowed and checked as PreviewQuery does and
// described without running it.
base::Result<std::vector<source::ColumnInfo>> DescribeCustomQuery(
    source::SourceConnector& connector, const ConnectionView& connection, const std::string& sql);

}  // namespace contactsync::app
