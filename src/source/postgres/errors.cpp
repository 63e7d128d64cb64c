#include "source/postgres/errors.h"

#include <array>
#include <vector>

#include <fmt/format.h>

#include "base/redact.h"
#include "base/text.h"

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;
using base::Status;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool IsSqlStateChar(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

bool IsSqlStateAt(std::string_view text, size_t pos) {
  if (pos + 6 > text.size() || text[pos + 5] != ':') return false;
  for (size_t i = pos; i < pos + 5; ++i) {
    if (!IsSqlStateChar(text[i])) return false;
  }
  return true;
}

// libpq writes "SEVERITY:  text" with two spaces; the severity is translated on servers with a
// non-English lc_messages, so any leading word of letters counts.
std::string_view StripSeverity(std::string_view line) {
  const size_t colon = line.find(":  ");
  if (colon == std::string_view::npos || colon == 0 || colon > 20) return line;
  for (char c : line.substr(0, colon)) {
    if (c < 'A' || c > 'Z') return line;
  }
  return line.substr(colon + 3);
}

std::string Endpoint(const PgFailure& failure) {
  const std::string host = base::Printable(failure.host, 100);
  // An IPv6 literal needs brackets, or its port reads as one more group.
  if (Contains(host, ":")) return fmt::format("[{}]:{}", host, failure.port);
  return fmt::format("{}:{}", host, failure.port);
}

bool IsTlsProblem(std::string_view message) {
  constexpr std::array<std::string_view, 6> kMarkers = {
      "SSL", "certificate", "sslmode", "sslrootcert", "TLS", "tlsv1",
  };
  for (std::string_view marker : kMarkers) {
    if (Contains(message, marker)) return true;
  }
  return false;
}

bool IsUnreachable(std::string_view message) {
  constexpr std::array<std::string_view, 8> kMarkers = {
      "could not translate host name",
      "Connection refused",
      "could not connect",
      "No route to host",
      "Network is unreachable",
      "Name or service not known",
      "Temporary failure in name resolution",
      "No such file or directory",  // a Unix socket that does not exist
  };
  for (std::string_view marker : kMarkers) {
    if (Contains(message, marker)) return true;
  }
  return false;
}

Status Map(const PgFailure& failure, const std::string& message) {
  const std::string_view state = failure.sqlstate;
  const std::string_view state_class = state.substr(0, 2);
  const std::string endpoint = Endpoint(failure);
  const std::string user = base::Printable(failure.user, 100);
  const std::string database = base::Printable(failure.database, 100);
  const bool connecting = failure.phase == Phase::kConnect;
  const auto unreachable = [&] {
    return base::Unavailable(fmt::format("cannot reach PostgreSQL at {}: {}", endpoint, message));
  };
  const auto lost = [&] {
    return Status(
        ErrorCode::kConnectionLost,
        fmt::format("lost the connection to PostgreSQL at {} ({}); try again", endpoint, message));
  };

  if (!state.empty()) {
    if (state == "28P01") {
      return {ErrorCode::kAuthFailed,
              fmt::format("PostgreSQL rejected user '{}' at {}: wrong user name or password", user,
                          endpoint)};
    }
    if (state == "28000") {
      // pg_hba.conf refused the client: the reason (host, TLS, database) is what to fix.
      return {ErrorCode::kAuthFailed,
              fmt::format("PostgreSQL rejected user '{}' at {}: wrong user name or password, "
                          "or the server does not accept this account from here ({})",
                          user, endpoint, message)};
    }
    if (state == "3D000") {
      return base::NotFound(
          fmt::format("database '{}' does not exist on PostgreSQL at {}", database, endpoint));
    }
    if (state == "57014") {
      if (failure.cancelled) return {ErrorCode::kCancelled, "the read was cancelled"};
      return {ErrorCode::kTimeout,
              fmt::format("PostgreSQL stopped the query after the query timeout of {} s ({}); "
                          "add an index, narrow the rules or raise query_timeout_s",
                          failure.query_timeout_s, message)};
    }
    if (state == "25P03") {
      return {ErrorCode::kTimeout,
              fmt::format("PostgreSQL closed the session because it waited too long between two "
                          "batches of the read ({}); try again",
                          message)};
    }
    if (state == "55P03") {
      return {ErrorCode::kTimeout,
              fmt::format("the query waited too long for a lock held by another session ({}); "
                          "try again later",
                          message)};
    }
    if (state_class == "08" || state == "57P01" || state == "57P02") {
      return connecting ? unreachable() : lost();
    }
    if (state == "57P03" || state_class == "53" || state_class == "40") {
      return base::Unavailable(fmt::format(
          "PostgreSQL at {} is busy or not ready ({}); try again later", endpoint, message));
    }
    if (state == "25006") {
      return base::PermissionDenied(fmt::format("contactsync only reads: {}", message));
    }
    if (state == "42501") {
      return base::PermissionDenied(
          fmt::format("user '{}' is not allowed to do this on PostgreSQL ({}); grant it SELECT "
                      "on what the query reads",
                      user, message));
    }
    if (state == "42P01" || state == "3F000") {
      return base::NotFound(fmt::format("PostgreSQL: {}", message));
    }
    if (state_class == "XX" || state_class == "58") {
      return base::Internal(fmt::format("PostgreSQL internal error {} ({})", state, message));
    }
    if (connecting) return unreachable();
    return {ErrorCode::kBadQuery, fmt::format("PostgreSQL rejected the query: {}", message)};
  }

  // No SQLSTATE: libpq failed on the client side.
  if (IsTlsProblem(failure.message)) {
    return {ErrorCode::kTlsFailure,
            fmt::format("TLS with PostgreSQL at {} failed: {}; check the TLS mode and CA file",
                        endpoint, message)};
  }
  if (Contains(failure.message, "timeout expired")) {
    return {ErrorCode::kTimeout,
            fmt::format("cannot reach PostgreSQL at {}: no answer within the connect timeout of "
                        "{} s; check the host, the port and any firewall",
                        endpoint, failure.connect_timeout_s)};
  }
  if (Contains(failure.message, "no password supplied")) {
    return {ErrorCode::kAuthFailed,
            fmt::format("PostgreSQL rejected user '{}' at {}: wrong user name or password (the "
                        "server asks for a password and none was given)",
                        user, endpoint)};
  }
  if (connecting || IsUnreachable(failure.message)) {
    if (!connecting && failure.connection_bad) return lost();
    return unreachable();
  }
  if (failure.connection_bad) return lost();
  return base::Internal(fmt::format("unexpected PostgreSQL client error ({})", message));
}

}  // namespace

std::string_view FindSqlState(std::string_view message) {
  size_t pos = 0;
  while ((pos = message.find(":  ", pos)) != std::string_view::npos) {
    pos += 3;
    if (IsSqlStateAt(message, pos)) return message.substr(pos, 5);
  }
  return {};
}

std::string CleanMessage(std::string_view message, size_t max_chars) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(start, end - start);
    start = end + 1;
    // Indented lines are libpq's hints ("Is the server running on that host...").
    if (line.empty() || line.front() == ' ' || line.front() == '\t') continue;
    if (StartsWith(line, "LOCATION:") || StartsWith(line, "DETAIL:") || StartsWith(line, "HINT:") ||
        StartsWith(line, "CONTEXT:") || StartsWith(line, "STATEMENT:") ||
        StartsWith(line, "QUERY:")) {
      continue;
    }
    if (StartsWith(line, "connection to server")) {
      if (const size_t failed = line.find(" failed: "); failed != std::string_view::npos) {
        line = line.substr(failed + 9);
      }
    }
    line = StripSeverity(line);
    if (IsSqlStateAt(line, 0) && line.size() > 6 && line[6] == ' ') line = line.substr(7);
    line = base::TrimAscii(line);
    if (line.empty()) continue;
    bool seen = false;
    for (std::string_view earlier : lines) seen = seen || earlier == line;
    if (!seen) lines.push_back(line);
  }
  std::string joined;
  for (std::string_view line : lines) {
    if (!joined.empty()) joined += "; ";
    joined.append(line);
  }
  if (joined.empty()) joined = "no details from libpq";
  return base::Printable(joined, max_chars);
}

base::Status MapPostgresError(const PgFailure& failure) {
  // The password is removed from the raw text (before CleanMessage escapes bytes of it) and
  // again from the finished message, which also shows the user and database names (a password
  // typed into the wrong field).
  const std::vector<std::string_view> secrets = {failure.password};
  const Status status = Map(failure, CleanMessage(base::Redact(failure.message, secrets)));
  return Status(status.code(), base::Redact(status.message(), secrets));
}

}  // namespace contactsync::source::postgres
