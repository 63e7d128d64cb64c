#pragma once

// SourceConnector: one open, read-only session on a user's external database (docs/spec.md §2).
//
// This is the whole contract between contactsync and the databases it syncs from; it knows
// nothing of contacts. One implementation per driver (source/mysql, source/postgres,
// source/sqlite) and an in-memory fake (source/testing) for engine and HTTP tests.
//
// Never writing. Every implementation must make the database itself refuse writes, and must
// run exactly one statement per call (docs/read-only.md, docs/spec.md §2):
// a read-only transaction or read-only open, no multi-statement text, statement timeouts.
// SQL given to DescribeQuery and OpenReader is the user's custom query or text built by the
// query module from quoted identifiers; values always travel as bound parameters.
//
// Errors (base::ErrorCode), one line each, naming what to fix and never the password:
//   kAuthFailed        wrong user name or password
//   kUnavailable       host unreachable, server down, file locked or unreadable (retryable)
//   kTimeout           connect or query past its limit (retryable)
//   kConnectionLost    the connection broke mid-operation (retryable)
//   kTlsFailure        TLS could not be negotiated or the certificate was not trusted
//   kNotFound          unknown database, table or file
//   kBadQuery          the SQL was rejected: syntax, unknown column, several statements
//   kPermissionDenied  the account may not read it, or the SQL tried to write
//                      ("contactsync only reads: ... is not allowed")
//   kCancelled         RowReader::Cancel was called
//   kInvalidArgument   bad settings, or a driver that is not built
//
// Thread safety: a connector and its readers are not thread-safe: use them from one thread
// at a time. The only exception is RowReader::Cancel, which any thread may call.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/settings.h"
#include "source/value.h"

namespace contactsync::source {

// What a connection test found.
struct SourceInfo {
  std::string server_version;  // "10.11.6-MariaDB", "PostgreSQL 15.5", "SQLite 3.40.1"
  std::string database;        // the database (or file) actually opened
  // True when the account could change data (INSERT/UPDATE/DELETE/DDL privileges, superuser).
  // contactsync still never writes; the flag lets the UI ask for a SELECT-only account.
  bool can_write = false;
  // True when the account has rights beyond data (PostgreSQL superuser or the
  // pg_read_server_files / pg_write_server_files / pg_execute_server_program /
  // pg_signal_backend roles, replication; MariaDB FILE, SUPER, PROCESS, SHUTDOWN,
  // RELOAD, ... ). Custom queries are refused on such a connection unless it
  // allows them (ConnectionSettings::allow_custom_query_with_privileged_account).
  bool privileged = false;
  std::string warning;  // empty, or one line for the user (e.g. why can_write is a risk)
};

enum class TableKind { kTable, kView };

struct TableInfo {
  std::string schema;  // PostgreSQL schema; empty where the source has a single namespace
  std::string name;
  TableKind kind = TableKind::kTable;

  friend bool operator==(const TableInfo&, const TableInfo&) = default;
};

// Bounds of one RowReader::ReadBatch call. A batch ends after `max_rows` rows, or after the
// row that brings Batch::bytes to `max_bytes` or beyond, whichever comes first; a batch holds
// at least one row (when any is left) even if that row alone is larger than `max_bytes`.
struct ReadOptions {
  size_t max_rows = 1000;              // rows per batch: one store transaction per batch
  size_t max_bytes = 8 * 1024 * 1024;  // keeps memory flat for tables of wide text columns
};

enum class ReadState {
  kMore,      // the batch is full; more rows may follow
  kFinished,  // the result is exhausted; this batch holds the last rows (possibly none)
};

// A streaming result. Destroying a reader stops its query on the database (for servers: a
// cancel request), so a caller may stop reading at any time.
class RowReader {
 public:
  virtual ~RowReader() = default;

  // The result's columns, in order; every Row has this many Values.
  virtual const std::vector<ColumnInfo>& columns() const = 0;

  // Clears `batch` and fills it with the next rows within the ReadOptions bounds. After
  // kFinished or an error, further calls return kFinished with an empty batch or the same
  // error. On error the batch content is unspecified.
  virtual base::Result<ReadState> ReadBatch(Batch& batch) = 0;

  // Asks the running or next ReadBatch to stop with kCancelled. Thread-safe.
  virtual void Cancel() = 0;
};

// An open session on one external database.
class SourceConnector {
 public:
  virtual ~SourceConnector() = default;

  // Tests the connection with a trivial query and reports version and write privileges.
  virtual base::Result<SourceInfo> Check() = 0;

  // Tables and views the account can see, sorted by schema and name; system catalogs and
  // internal tables are left out.
  virtual base::Result<std::vector<TableInfo>> ListTables() = 0;

  // The columns of table or view `name` in `schema` (both unquoted, exactly as ListTables
  // spelled them; `schema` empty for the default) in table order. kNotFound when it does not
  // exist.
  virtual base::Result<std::vector<ColumnInfo>> DescribeTable(std::string_view schema,
                                                              std::string_view name) = 0;

  // The result columns of `sql` (one SELECT statement) without running it. Declared types are
  // known for plain column references; computed columns may be kUnknown.
  virtual base::Result<std::vector<ColumnInfo>> DescribeQuery(std::string_view sql) = 0;

  // Runs `sql` (one SELECT statement) with `params` bound to its placeholders in order (the
  // placeholder syntax is the driver's; the query module's dialect writes it) and returns a
  // reader over its rows. NULL params bind SQL NULL; text and binary params bind as such.
  // The reader holds what it needs of the connection and may outlive the connector.
  virtual base::Result<std::unique_ptr<RowReader>> OpenReader(std::string_view sql,
                                                              const std::vector<Value>& params,
                                                              const ReadOptions& options) = 0;
};

// Opens a session for `settings` (after Validate): connects, authenticates and makes the
// session read-only. The caller owns the result.
base::Result<std::unique_ptr<SourceConnector>> OpenSource(const ConnectionSettings& settings);

}  // namespace contactsync::source
