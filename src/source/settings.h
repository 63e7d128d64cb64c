#pragma once

// How to reach an external database (docs/spec.md §2), with every default and its trade-off in one
// place. The store keeps these (password encrypted at rest); the source module only reads them.
//
// The password is a secret: it must never appear in a message, log or report. Nothing in this
// module prints a ConnectionSettings; errors name host, port, user and database only.
//
// Thread safety: plain values.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace contactsync::source {

enum class SourceType {
  kMySql,       // MySQL and MariaDB (one driver, libmariadb)
  kPostgreSql,  // PostgreSQL (libpq)
  kSqlite,      // an SQLite file (sqlite3); `database` is its path
};

enum class TlsMode {
  kDisable,   // plain TCP; only for servers on a trusted network or loopback
  kPrefer,    // TLS when the server offers it, plain otherwise; no certificate check
  kRequire,   // TLS or fail; no certificate check (protects against sniffing, not a MITM)
  kVerifyCa,  // TLS or fail, and the server certificate must chain to `tls_ca_file`
};

struct ConnectionSettings {
  SourceType type = SourceType::kMySql;

  // Server address. Ignored for SQLite. `port` 0 means the type's default (3306, 5432).
  std::string host = "127.0.0.1";
  int port = 0;

  // Account. Ignored for SQLite. Give contactsync a SELECT-only account: Check() warns when
  // the account can write.
  std::string user;
  std::string password;  // secret

  // Database (schema) name; for SQLite the path of the file, which is opened read-only.
  std::string database;

  // Default kPrefer: works against servers without TLS out of the box, like the mysql and psql
  // clients do; users with a CA file should choose kVerifyCa.
  TlsMode tls_mode = TlsMode::kPrefer;
  std::string tls_ca_file;  // PEM file; required for kVerifyCa, ignored otherwise

  // Seconds to wait for a connection (for SQLite: for a lock held by a writer). 10 s covers a
  // slow network without making an unreachable host hang a wizard step for long.
  int connect_timeout_s = 10;

  // Seconds a single query may run on the database before it is stopped with kTimeout. For a
  // streamed read it bounds the wait for each batch, not the whole sync, so that a slow
  // consumer does not trip it. 300 s lets large unindexed scans finish.
  int query_timeout_s = 300;

  // Custom-query policy (docs/read-only.md), kept with the connection because it is
  // the owner's decision about this account on this database. Closed by default.
  // User-defined functions a custom query may call (`--allow-function`, lower-case).
  std::vector<std::string> allowed_functions;
  // Custom queries on an account that can write or is privileged (SourceInfo) are
  // refused unless this is set (`--allow-custom-query-with-privileged-account`).
  bool allow_custom_query_with_privileged_account = false;
};

// "mysql", "postgresql", "sqlite".
std::string_view SourceTypeName(SourceType type);
// Accepts the names above and the aliases "mariadb", "postgres", "sqlite3" (any case).
base::Result<SourceType> ParseSourceType(std::string_view name);

// "disable", "prefer", "require", "verify_ca".
std::string_view TlsModeName(TlsMode mode);
base::Result<TlsMode> ParseTlsMode(std::string_view name);

// The port to connect to: `settings.port`, or the type's default when it is 0.
int EffectivePort(const ConnectionSettings& settings);

// OK when the settings are complete and in range for their type; otherwise InvalidArgument
// naming the field to fix. Does not touch the network or the file system.
base::Status Validate(const ConnectionSettings& settings);

}  // namespace contactsync::source
