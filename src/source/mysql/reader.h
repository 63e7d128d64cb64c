#pragma once

// The MySQL/MariaDB RowReader: one SELECT, streamed unbuffered on a session of its own.
//
// Each reader opens its own connection, so that it may outlive the connector, the connector
// stays usable while a result is half read, and stopping the reader (KILL QUERY, then closing
// its connection without reading the rest) can never touch another statement.
//
// Limits: each ReadBatch may wait at most query_timeout_s for its rows; past that a watchdog
// sends KILL QUERY and the batch fails with kTimeout (the server's own statement timeout is off
// on this session because it would count the whole read). Cancel() (any thread) sends KILL
// QUERY too, and the running or next ReadBatch returns kCancelled. Destroying a reader that
// has not finished kills its query and closes its connection at once.
//
// Thread safety: as RowReader.

#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/mysql/types.h"
#include "source/settings.h"
#include "source/source.h"

namespace contactsync::source::mysql {

// Connects and prepares `sql` (kBadQuery when it returns no rows: "only SELECT queries can be
// used"; kPermissionDenied when the read-only session refuses it at prepare time). The first
// ReadBatch opens the read-only transaction, binds `params` (copied) and runs the statement, so
// errors of the run itself (FOR UPDATE, a timeout) come from ReadBatch. columns() are known at
// once, from the prepared statement, and refreshed after the run. Errors as MapMySqlError.
base::Result<std::unique_ptr<RowReader>> OpenMySqlReader(const ConnectionSettings& settings,
                                                         std::string_view sql,
                                                         const std::vector<Value>& params,
                                                         const ReadOptions& options,
                                                         const TypeOptions& types);

}  // namespace contactsync::source::mysql
