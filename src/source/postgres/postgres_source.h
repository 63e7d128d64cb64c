#pragma once

// The PostgreSQL source: reads a user's PostgreSQL database through libpq and never changes
// it.
//
// Layers that keep the database unchanged (docs/read-only.md, docs/spec.md §2):
//  1. Check() reports can_write (superuser, CREATE on the database or a schema, or INSERT,
//     UPDATE, DELETE, TRUNCATE on any table) and privileged (catalog.h) with one warning line
//     asking for a SELECT-only account;
//  2. the session starts with default_transaction_read_only=on, standard_conforming_strings=on
//     (verified: the custom-query checker lexes strings that way) and a statement_timeout;
//  3. every operation runs in its own BEGIN READ ONLY ... ROLLBACK (connection.h);
//  4. user SQL only through the extended protocol (one statement per call), parsed and
//     described before it runs (statements without result columns are refused), and run as
//     DECLARE ... CURSOR FOR, which accepts nothing but a query (reader.h);
//  5. after each batch the transaction must still have no transaction id, which catches the
//     writes a read-only transaction lets through (lo_from_bytea, lo_import); the ROLLBACK
//     undoes them.
// What remains for the custom-query checker and a SELECT-only account: functions that act
// outside the transaction (lo_export, pg_file_write, dblink_exec, pg_terminate_backend), which
// only privileged accounts may call.
//
// The connector keeps one connection and reuses it; while a RowReader has it, the connector's
// other calls (and further readers) get a new connection. After a connection is lost the next
// call reconnects, so retrying a retryable error on the same connector works.
//
// Thread safety: as SourceConnector (one thread at a time; RowReader::Cancel from any thread).

#include <memory>

#include "base/status.h"
#include "source/settings.h"
#include "source/source.h"

namespace contactsync::source::postgres {

// Connects to the server in `settings` (type kPostgreSql) and returns the connector. Errors:
// kInvalidArgument for settings that fail Validate or are not PostgreSQL's, and those of
// MapPostgresError (errors.h): kAuthFailed, kUnavailable, kTimeout, kTlsFailure, kNotFound for
// an unknown database; kFailedPrecondition for a server older than 10 or one that ignored the
// session settings.
base::Result<std::unique_ptr<SourceConnector>> OpenPostgresSource(
    const ConnectionSettings& settings);

}  // namespace contactsync::source::postgres
