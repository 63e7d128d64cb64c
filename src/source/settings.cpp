#include "source/settings.h"

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::source {

std::string_view SourceTypeName(SourceType type) {
  switch (type) {
    case SourceType::kMySql:
      return "mysql";
    case SourceType::kPostgreSql:
      return "postgresql";
    case SourceType::kSqlite:
      return "sqlite";
  }
  return "unknown";
}

base::Result<SourceType> ParseSourceType(std::string_view name) {
  const std::string lower = base::AsciiLower(base::TrimAscii(name));
  if (lower == "mysql" || lower == "mariadb") return SourceType::kMySql;
  if (lower == "postgresql" || lower == "postgres") return SourceType::kPostgreSql;
  if (lower == "sqlite" || lower == "sqlite3") return SourceType::kSqlite;
  return base::InvalidArgument(
      fmt::format("unknown connection type '{}': use mysql, mariadb, postgresql or sqlite",
                  base::Printable(name)));
}

std::string_view TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kDisable:
      return "disable";
    case TlsMode::kPrefer:
      return "prefer";
    case TlsMode::kRequire:
      return "require";
    case TlsMode::kVerifyCa:
      return "verify_ca";
  }
  return "unknown";
}

base::Result<TlsMode> ParseTlsMode(std::string_view name) {
  const std::string lower = base::AsciiLower(base::TrimAscii(name));
  if (lower == "disable") return TlsMode::kDisable;
  if (lower == "prefer") return TlsMode::kPrefer;
  if (lower == "require") return TlsMode::kRequire;
  if (lower == "verify_ca") return TlsMode::kVerifyCa;
  return base::InvalidArgument(fmt::format(
      "unknown TLS mode '{}': use disable, prefer, require or verify_ca", base::Printable(name)));
}

int EffectivePort(const ConnectionSettings& settings) {
  if (settings.port != 0) return settings.port;
  switch (settings.type) {
    case SourceType::kMySql:
      return 3306;
    case SourceType::kPostgreSql:
      return 5432;
    case SourceType::kSqlite:
      return 0;
  }
  return 0;
}

base::Status Validate(const ConnectionSettings& settings) {
  if (settings.database.empty()) {
    return base::InvalidArgument(settings.type == SourceType::kSqlite
                                     ? "database: give the path of the SQLite file"
                                     : "database: give the name of the database to read");
  }
  if (settings.connect_timeout_s < 1 || settings.connect_timeout_s > 3600) {
    return base::InvalidArgument(
        fmt::format("connect_timeout_s must be between 1 and 3600 seconds, not {}",
                    settings.connect_timeout_s));
  }
  if (settings.query_timeout_s < 1 || settings.query_timeout_s > 86400) {
    return base::InvalidArgument(fmt::format(
        "query_timeout_s must be between 1 and 86400 seconds, not {}", settings.query_timeout_s));
  }
  if (settings.type == SourceType::kSqlite) return base::Status::Ok();

  if (settings.host.empty()) return base::InvalidArgument("host: give the database server's name");
  if (settings.port < 0 || settings.port > 65535) {
    return base::InvalidArgument(
        fmt::format("port must be between 1 and 65535 (0 for the default), not {}", settings.port));
  }
  if (settings.user.empty()) return base::InvalidArgument("user: give the account to log in as");
  if (settings.tls_mode == TlsMode::kVerifyCa && settings.tls_ca_file.empty()) {
    return base::InvalidArgument("tls_ca_file: TLS mode verify_ca needs a CA certificate file");
  }
  return base::Status::Ok();
}

}  // namespace contactsync::source
