#pragma once

// The SQLite source: reads a user's SQLite file and can never change it.
//
// Layers that keep the file unchanged (docs/read-only.md, docs/spec.md §2):
//  1. opened with SQLITE_OPEN_READONLY through a `file:...?mode=ro` URI;
//  2. `PRAGMA query_only=1`, ATTACH limited to zero databases, defensive mode, untrusted schema;
//  3. an authorizer that allows only SELECT, reading columns, recursive CTEs and functions not
//     on a deny-list (load_extension, readfile, writefile, edit, fts3_tokenizer, ...), so
//     PRAGMA, ATTACH, transactions, writes and DDL fail at prepare time with kPermissionDenied;
//  4. exactly one statement per call (a non-empty tail is kBadQuery), which must be read-only
//     by sqlite3_stmt_readonly (this is what stops VACUUM INTO, which no authorizer code covers)
//     and must return columns;
//  5. a progress handler that stops any statement after the query timeout (kTimeout) or on
//     RowReader::Cancel (kCancelled).
//
// The connector and its readers share one sqlite3 connection; a reader keeps it alive. The
// schema argument of DescribeTable must be empty or "main".
//
// Thread safety: as SourceConnector (one thread at a time; RowReader::Cancel from any thread).

#include <memory>

#include "base/status.h"
#include "source/settings.h"
#include "source/source.h"

namespace contactsync::source::sqlite {

// Opens `settings.database` (a file path) read-only. Errors: kNotFound when the file does not
// exist, kPermissionDenied when it cannot be read, kInvalidArgument when it is a directory or
// not an SQLite database, kUnavailable when it is locked or cannot be opened.
base::Result<std::unique_ptr<SourceConnector>> OpenSqliteSource(const ConnectionSettings& settings);

}  // namespace contactsync::source::sqlite
