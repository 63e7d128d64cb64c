#pragma once

// The one place where libpq and PostgreSQL failures become contactsync errors
// (docs/architecture.md, conventions). Pure: no libpq calls, so it is tested table-driven
// without a server.
//
// Messages are one line, name what to fix, and never contain the password: the password is
// given to MapPostgresError only so that it can be removed from whatever text libpq or the
// server produced (a user who types the password into the user field would otherwise see it).

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::source::postgres {

// Where a failure happened: errors while connecting mean something else than the same text
// in the middle of a read (an 08xxx class error is "unreachable" before, "lost" after).
enum class Phase { kConnect, kQuery };

// Everything known about one failure.
struct PgFailure {
  Phase phase = Phase::kQuery;
  // Five-character SQLSTATE from the server (PG_DIAG_SQLSTATE, or FindSqlState on a connection
  // message); empty when libpq failed on the client side (refused, unknown host, TLS).
  std::string_view sqlstate;
  // PQerrorMessage() or the primary message of the result; may span lines.
  std::string_view message;
  // PQstatus() == CONNECTION_BAD after the failure: the session is gone.
  bool connection_bad = false;
  // The caller asked to stop (RowReader::Cancel): a canceled statement is then kCancelled,
  // not kTimeout.
  bool cancelled = false;
  // For the message; the user and database are shown, the password never.
  std::string_view host;
  int port = 0;
  std::string_view user;
  std::string_view database;
  int connect_timeout_s = 0;
  int query_timeout_s = 0;
  std::string_view password;  // secret: only removed from the text, never shown
};

// Maps a failure to a Status. By SQLSTATE first:
//   28P01, 28000          kAuthFailed "PostgreSQL rejected user 'u' at host:port: wrong user
//                         name or password" (28000, a pg_hba.conf refusal, adds the server's
//                         reason)
//   3D000                 kNotFound "database 'x' does not exist"
//   57014                 kCancelled when `cancelled`, otherwise kTimeout (statement_timeout)
//   25P03, 55P03          kTimeout (idle-in-transaction timeout, lock timeout)
//   08xxx, 57P01, 57P02   kConnectionLost (kUnavailable while connecting)
//   57P03, 53xxx, 40xxx   kUnavailable (starting up, too many connections, deadlock: retryable)
//   25006                 kPermissionDenied "contactsync only reads: ..."
//   42501                 kPermissionDenied naming the user (the account may not read it)
//   42P01, 3F000          kNotFound (table, schema)
//   XXxxx, 58xxx          kInternal
//   any other             kBadQuery (syntax 42601, unknown column 42703, 0A000, 22xxx, ...)
// Without a SQLSTATE, by libpq's text: TLS trouble -> kTlsFailure; "timeout expired" ->
// kTimeout; "no password supplied" -> kAuthFailed; refused, unknown host, unreachable, and any
// other connect failure -> kUnavailable "cannot reach PostgreSQL at host:port: ..."; during a
// query a bad connection -> kConnectionLost; otherwise kInternal.
base::Status MapPostgresError(const PgFailure& failure);

// The SQLSTATE in a libpq connection message formatted with PQERRORS_VERBOSE
// ("... failed: FATAL:  28P01: password authentication failed ..."), or empty. libpq offers no
// other way to learn the code of a failed connection, and matching the text would break on
// servers whose lc_messages is not English.
std::string_view FindSqlState(std::string_view message);

// The message reduced to one line: libpq's "connection to server at ... failed: " prefixes,
// severities, SQLSTATEs and the DETAIL/HINT/LOCATION lines removed, repeated lines (one per
// address tried) merged, at most `max_chars` characters, non-printable bytes escaped.
std::string CleanMessage(std::string_view message, size_t max_chars = 300);

}  // namespace contactsync::source::postgres
