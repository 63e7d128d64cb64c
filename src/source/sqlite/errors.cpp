#include "source/sqlite/errors.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::source::sqlite {

base::Status MapSqliteError(const SqliteFailure& failure) {
  using base::ErrorCode;
  const std::string path = base::Printable(failure.path, 200);
  const std::string message = base::Printable(failure.message, 300);
  switch (failure.code & 0xff) {
    case SQLITE_AUTH:
      return base::PermissionDenied(fmt::format(
          "contactsync only reads: {} is not allowed",
          failure.denied.empty() ? std::string("this statement") : std::string(failure.denied)));
    case SQLITE_READONLY:
      // Only reachable if a write slipped past the authorizer; the read-only open stopped it.
      return base::PermissionDenied(
          fmt::format("contactsync only reads: the statement tried to write ({})", message));
    case SQLITE_PERM:
      return base::PermissionDenied(
          fmt::format("cannot read SQLite file '{}': permission denied ({})", path, message));
    case SQLITE_CANTOPEN:
      return base::Unavailable(
          fmt::format("cannot open SQLite file '{}': check that it exists and is readable ({})",
                      path, message));
    case SQLITE_NOTADB:
      return base::InvalidArgument(fmt::format(
          "'{}' is not an SQLite database (or it is encrypted); check the file path", path));
    case SQLITE_CORRUPT:
      return {ErrorCode::kFailedPrecondition,
              fmt::format("SQLite file '{}' is damaged ({}); repair or restore it", path, message)};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return base::Unavailable(fmt::format(
          "SQLite file '{}' is locked by another program; try again later ({})", path, message));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
      return base::Unavailable(
          fmt::format("I/O error reading SQLite file '{}' ({})", path, message));
    case SQLITE_SCHEMA:
      return base::Unavailable(
          fmt::format("the schema of SQLite file '{}' changed during the read; try again", path));
    case SQLITE_INTERRUPT:
      if (failure.interrupt == InterruptReason::kCancelled) {
        return {ErrorCode::kCancelled, "the read was cancelled"};
      }
      if (failure.interrupt == InterruptReason::kTimeout) {
        return {ErrorCode::kTimeout,
                fmt::format("the query ran longer than the query timeout of {} s; add an index, "
                            "narrow the rules or raise query_timeout_s",
                            failure.query_timeout_s)};
      }
      return {ErrorCode::kCancelled, "the query was interrupted"};
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_CONSTRAINT:
      return {ErrorCode::kBadQuery, fmt::format("SQLite rejected the query: {}", message)};
    case SQLITE_NOMEM:
      return base::Internal("SQLite ran out of memory");
    default:
      return base::Internal(
          fmt::format("unexpected SQLite error {} ({}) on '{}'", failure.code, message, path));
  }
}

}  // namespace contactsync::source::sqlite
