#pragma once

// The one place where SQLite result codes become contactsync errors (docs/architecture.md,
// conventions).

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::source::sqlite {

// Why a statement was interrupted; SQLite reports all of these as SQLITE_INTERRUPT.
enum class InterruptReason { kNone, kTimeout, kCancelled };

// Everything known about one failure.
struct SqliteFailure {
  int code = 0;                   // SQLite (extended) result code
  std::string_view message = {};  // sqlite3_errmsg() or equivalent
  std::string_view path = {};     // the database file, for messages
  std::string_view denied = {};   // the action our authorizer refused ("PRAGMA query_only"), if any
  InterruptReason interrupt = InterruptReason::kNone;
  int query_timeout_s = 0;  // for the kTimeout message
};

// Maps a failure to a Status with a one-line message naming what to fix:
//   SQLITE_AUTH             kPermissionDenied "contactsync only reads: <denied> is not allowed"
//   SQLITE_READONLY*        kPermissionDenied (the statement tried to write)
//   SQLITE_CANTOPEN         kUnavailable naming the path
//   SQLITE_NOTADB           kInvalidArgument "... is not an SQLite database"
//   SQLITE_CORRUPT          kFailedPrecondition (the file is damaged)
//   SQLITE_BUSY/LOCKED      kUnavailable (another process holds a lock; retryable)
//   SQLITE_IOERR            kUnavailable (retryable)
//   SQLITE_INTERRUPT        kTimeout or kCancelled, per `interrupt`
//   SQLITE_ERROR/RANGE/...  kBadQuery with SQLite's message (syntax, unknown table or column)
//   SQLITE_NOMEM, others    kInternal
base::Status MapSqliteError(const SqliteFailure& failure);

}  // namespace contactsync::source::sqlite
