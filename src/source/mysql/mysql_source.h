#pragma once

// The MySQL/MariaDB source: reads a user's MySQL or MariaDB database and never changes it.
//
// Layers that keep the database unchanged (docs/read-only.md, docs/spec.md §2):
//  0. every session fixes sql_mode and utf8mb4 and reads them back (session.h), so the server
//     lexes a custom query as the checker in src/query does;
//  1. Check() reads SHOW GRANTS and reports can_write and privileged (grants.h), with one
//     warning line for accounts that could change data or hold rights beyond data;
//  2. one statement per call: user SQL only through server-side prepared statements on a
//     connection without CLIENT_MULTI_STATEMENTS (nor LOAD DATA LOCAL);
//  3. statements without result columns (INSERT, DDL, SET, CALL, SELECT ... INTO OUTFILE) are
//     refused before they run;
//  4. a read-only session (`SET SESSION TRANSACTION READ ONLY`) and `START TRANSACTION READ
//     ONLY` right before every statement, so the server refuses writes (1792);
//  5. a timeout on every statement (server-side for catalog queries, a per-batch watchdog
//     with KILL QUERY for streamed reads).
//
// MySQL has one namespace per connection: TableInfo::schema is empty, and DescribeTable accepts
// an empty schema or the connection's database name. Catalog calls and checks share the
// connector's session; each RowReader opens a session of its own (see reader.h).
//
// Thread safety: as SourceConnector (one thread at a time; RowReader::Cancel from any thread).

#include <memory>

#include "base/status.h"
#include "source/mysql/types.h"
#include "source/settings.h"
#include "source/source.h"

namespace contactsync::source::mysql {

// Connects to `settings` (type kMySql, after Validate) and makes the session read-only.
// Errors: kAuthFailed (wrong user or password), kUnavailable (host unreachable), kNotFound
// (unknown database), kTlsFailure, kTimeout; never with the password in the message.
base::Result<std::unique_ptr<SourceConnector>> OpenMySqlSource(const ConnectionSettings& settings);

// The same with non-default type mapping choices (zero dates, TINYINT(1)).
base::Result<std::unique_ptr<SourceConnector>> OpenMySqlSource(const ConnectionSettings& settings,
                                                               const TypeOptions& types);

}  // namespace contactsync::source::mysql
