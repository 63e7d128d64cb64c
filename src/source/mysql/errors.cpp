#include "source/mysql/errors.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <string>

#include <fmt/format.h>

#include "base/redact.h"
#include "base/text.h"

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using base::Status;

// MySQL's own numbers that libmariadb's headers do not define.
constexpr unsigned int kMySqlQueryTimeout = 3024;        // ER_QUERY_TIMEOUT (MySQL 5.7+)
constexpr unsigned int kMariaDbStatementTimeout = 1969;  // ER_STATEMENT_TIMEOUT
constexpr unsigned int kReadOnlyTransaction = 1792;      // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
constexpr unsigned int kProcAccessDenied = 1370;         // ER_PROCACCESS_DENIED_ERROR

// A password can come back inside a server message when a user pasted it into a query or a
// value; it is masked only where it stands as a whole value (base::Redact), so a host or user
// name that merely contains it stays readable and does not give it away.
std::string Redact(std::string_view text, std::string_view secret) {
  return base::Redact(text, {secret});
}

// TLS failures come back as several client errors; the text is the only common mark.
bool MentionsTls(std::string_view message) {
  const std::string lower = base::AsciiLower(message);
  return lower.find("ssl") != std::string::npos || lower.find("tls") != std::string::npos ||
         lower.find("certificate") != std::string::npos;
}

}  // namespace

Status MapMySqlError(unsigned int code, std::string_view sqlstate, std::string_view message,
                     const ErrorContext& context) {
  // Redacted before Printable, so that escaping cannot split the secret into an unmatched form.
  const std::string server_text =
      base::Printable(Redact(std::string(message), context.password), 300);
  const std::string where = fmt::format("{}:{}", base::Printable(context.host), context.port);
  const std::string user = base::Printable(context.user);
  const std::string database = base::Printable(context.database);
  const std::string_view server = context.server_name;
  auto make = [&](ErrorCode error_code, std::string text) {
    return Status(error_code, Redact(std::move(text), context.password));
  };

  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return make(ErrorCode::kAuthFailed,
                  fmt::format("{} rejected user '{}' at {}: wrong user name or password", server,
                              user, where));
    case ER_DBACCESS_DENIED_ERROR:
      return make(ErrorCode::kPermissionDenied,
                  fmt::format("user '{}' may not use database '{}' on {}: grant it SELECT on the "
                              "database ({})",
                              user, database, where, server_text));
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
      if (MentionsTls(server_text)) break;  // handshake failures reuse these numbers
      return make(ErrorCode::kUnavailable,
                  fmt::format("cannot reach {} at {}: {}; check host, port and firewall", server,
                              where, server_text));
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_SERVER_SHUTDOWN:
      return make(ErrorCode::kUnavailable,
                  fmt::format("{} at {} is busy or shutting down: {}; try again later", server,
                              where, server_text));
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
      return make(ErrorCode::kUnavailable,
                  fmt::format("{} at {} could not lock rows for the read: {}; try again", server,
                              where, server_text));
    case ER_BAD_DB_ERROR:
      return make(ErrorCode::kNotFound,
                  fmt::format("database '{}' does not exist on {}", database, where));
    case ER_NO_SUCH_TABLE:
      return make(ErrorCode::kNotFound, fmt::format("{} at {}: {} (database '{}')", server, where,
                                                    server_text, database));
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
      if (context.connecting && !MentionsTls(server_text)) {
        return make(ErrorCode::kUnavailable,
                    fmt::format("cannot reach {} at {}: the connection broke while connecting "
                                "({}); check that the server is running",
                                server, where, server_text));
      }
      return make(ErrorCode::kConnectionLost,
                  fmt::format("lost the connection to {} at {}: {}; try again", server, where,
                              server_text));
    case kMariaDbStatementTimeout:
    case kMySqlQueryTimeout:
      return make(ErrorCode::kTimeout,
                  fmt::format("the query ran longer than the query timeout of {} s on {}; add an "
                              "index, narrow the rules or raise query_timeout_s",
                              context.query_timeout_s, where));
    case ER_QUERY_INTERRUPTED:
      if (context.interrupt == InterruptReason::kTimeout) {
        return make(ErrorCode::kTimeout,
                    fmt::format("reading from {} at {} waited longer than the query timeout of "
                                "{} s; add an index, narrow the rules or raise query_timeout_s",
                                server, where, context.query_timeout_s));
      }
      return make(ErrorCode::kCancelled, "the read was cancelled");
    case CR_SSL_CONNECTION_ERROR:
      return make(ErrorCode::kTlsFailure,
                  fmt::format("TLS with {} at {} failed: {}; check the TLS mode and CA file",
                              server, where, server_text));
    case kReadOnlyTransaction:
    case ER_OPTION_PREVENTS_STATEMENT:
      return make(
          ErrorCode::kPermissionDenied,
          fmt::format("contactsync only reads: the statement tried to write ({})", server_text));
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case kProcAccessDenied:
      return make(ErrorCode::kPermissionDenied,
                  fmt::format("user '{}' may not do this on {}: {}", user, where, server_text));
    case ER_PARSE_ERROR:
    case ER_BAD_FIELD_ERROR:
      return make(ErrorCode::kBadQuery,
                  fmt::format("{} rejected the query: {}", server, server_text));
    default:
      break;
  }

  if (MentionsTls(server_text) && code >= 2000 && code < 3000) {
    return make(ErrorCode::kTlsFailure,
                fmt::format("TLS with {} at {} failed: {}; check the TLS mode and CA file", server,
                            where, server_text));
  }
  // Client library errors (2xxx, 5xxx) that are not about the network are our misuse of it.
  if ((code >= 2000 && code < 3000) || (code >= 5000 && code < 6000)) {
    return make(ErrorCode::kInternal, fmt::format("{} client error {} talking to {}: {}", server,
                                                  code, where, server_text));
  }
  // Everything else the server said about a statement: syntax, semantics, data.
  return make(ErrorCode::kBadQuery,
              fmt::format("{} rejected the query: {} (error {}, SQLSTATE {})", server, server_text,
                          code, base::Printable(sqlstate, 5)));
}

}  // namespace contactsync::source::mysql
