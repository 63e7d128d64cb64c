#include "source/postgres/connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "base/redact.h"
#include "base/text.h"

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

// A sync stalled this long between two batches is hung; the server then ends the session,
// because an open read-only transaction still holds a snapshot that keeps VACUUM from cleaning
// up behind it on the user's database.
constexpr int64_t kIdleInTransactionMs = 15 * 60 * 1000;

// The server enforces query_timeout_s itself (statement_timeout) and says so with SQLSTATE
// 57014; the client waits this much longer before deciding the server is gone.
constexpr auto kClientGrace = std::chrono::seconds(10);

// After RowReader::Cancel, how long to wait for the server to confirm before closing the
// connection: a cancel must end a read promptly even when the server cannot be reached.
constexpr auto kCancelGrace = std::chrono::seconds(5);

// How often a wait looks at the cancel flag and the clock.
constexpr auto kPollSlice = std::chrono::milliseconds(100);

// Protocol limit on bound values (a 16-bit count).
constexpr size_t kMaxParams = 65535;

std::string_view SslMode(TlsMode mode) {
  switch (mode) {
    case TlsMode::kDisable:
      return "disable";
    case TlsMode::kPrefer:
      return "prefer";
    case TlsMode::kRequire:
      return "require";
    case TlsMode::kVerifyCa:
      return "verify-ca";
  }
  return "prefer";
}

// Waits until the socket is ready for `events` or `until`; false on timeout.
Result<bool> WaitSocket(int socket, short events, Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  const auto slice = std::clamp(left, std::chrono::milliseconds(0), kPollSlice);
  pollfd descriptor{socket, events, 0};
  const int rc = poll(&descriptor, 1, static_cast<int>(slice.count()));
  if (rc < 0 && errno != EINTR) return base::Internal("poll() on the PostgreSQL socket failed");
  return rc > 0;
}

// libpq reads sslrootcert only once the server has agreed to TLS, so against a server without
// TLS a missing or unreadable file would go unmentioned; it is tried first, and named.
Status CheckCaFile(const ConnectionSettings& settings) {
  std::FILE* file = std::fopen(settings.tls_ca_file.c_str(), "r");
  if (file != nullptr) {
    std::fclose(file);
    return Status::Ok();
  }
  const std::string reason = std::error_code(errno, std::generic_category()).message();
  return Status(ErrorCode::kTlsFailure,
                base::Redact(fmt::format("cannot verify PostgreSQL at {}:{}: the CA file '{}' "
                                         "cannot be read ({}); check the CA file setting",
                                         base::Printable(settings.host), EffectivePort(settings),
                                         base::Printable(settings.tls_ca_file, 200), reason),
                             {settings.password}));
}

std::string ParameterStatus(PGconn* conn, const char* name) {
  const char* value = PQparameterStatus(conn, name);
  return value != nullptr ? value : "";
}

}  // namespace

Connection::Connection(const ConnectionSettings& settings)
    : host_(settings.host),
      port_(EffectivePort(settings)),
      user_(settings.user),
      database_(settings.database),
      password_(settings.password),
      connect_timeout_s_(settings.connect_timeout_s),
      query_timeout_s_(settings.query_timeout_s) {}

Result<std::shared_ptr<Connection>> Connection::Open(const ConnectionSettings& settings) {
  std::shared_ptr<Connection> connection(new Connection(settings));
  const auto statement_timeout_ms = static_cast<int64_t>(settings.query_timeout_s) * 1000;
  // Numbers and constants only: nothing the user typed goes into `options`.
  const std::string options = fmt::format(
      "-c default_transaction_read_only=on -c statement_timeout={} "
      "-c idle_in_transaction_session_timeout={} -c DateStyle=ISO,YMD -c TimeZone=UTC "
      "-c IntervalStyle=iso_8601 -c extra_float_digits=3 -c bytea_output=hex "
      "-c standard_conforming_strings=on",
      statement_timeout_ms, kIdleInTransactionMs);
  const std::string port = std::to_string(connection->port_);
  const std::string connect_timeout = std::to_string(settings.connect_timeout_s);
  std::vector<std::pair<const char*, std::string>> pairs = {
      {"host", settings.host},
      {"port", port},
      {"user", settings.user},
      {"password", settings.password},
      {"dbname", settings.database},
      // Honoured by libpq only for blocking connects; the loop below enforces the same limit.
      {"connect_timeout", connect_timeout},
      {"sslmode", std::string(SslMode(settings.tls_mode))},
      {"application_name", "contactsync"},
      {"client_encoding", "UTF8"},
      {"options", options},
  };
  if (settings.tls_mode == TlsMode::kVerifyCa) {
    CS_RETURN_IF_ERROR(CheckCaFile(settings));
    pairs.emplace_back("sslrootcert", settings.tls_ca_file);
  }
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : pairs) {
    keywords.push_back(keyword);
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  // expand_dbname=0: a database name such as "host=evil" or "postgresql://..." stays a name.
  connection->conn_ = ConnectionHandle(PQconnectStartParams(keywords.data(), values.data(), 0));
  PGconn* conn = connection->conn_.get();
  if (conn == nullptr) return base::Internal("libpq could not allocate a connection");
  // Verbose messages carry the server's SQLSTATE ("FATAL:  28P01: ..."), which libpq offers
  // no other way to read for a failed connection; see FindSqlState.
  PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);

  // The non-blocking form, so that this loop owns the deadline: libpq's own connect_timeout
  // restarts for every address a host name resolves to. (Name resolution itself happens
  // inside libpq and is bounded by the system resolver's timeouts.)
  const Clock::time_point deadline =
      Clock::now() + std::chrono::seconds(settings.connect_timeout_s);
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (PQstatus(conn) != CONNECTION_BAD) {
    if (poll_status == PGRES_POLLING_OK) break;
    if (poll_status == PGRES_POLLING_FAILED) break;
    const short events = poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    bool ready = false;
    while (!ready) {
      if (Clock::now() >= deadline) {
        PgFailure failure = connection->MakeFailure(Phase::kConnect);
        failure.message = "timeout expired";
        return MapPostgresError(failure);
      }
      CS_ASSIGN_OR_RETURN(ready, WaitSocket(PQsocket(conn), events, deadline));
    }
    poll_status = PQconnectPoll(conn);
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PgFailure failure = connection->MakeFailure(Phase::kConnect);
    failure.message = message;
    failure.sqlstate = FindSqlState(message);
    return MapPostgresError(failure);
  }
  PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);

  const std::string where =
      fmt::format("PostgreSQL at {}:{}", base::Printable(settings.host), connection->port_);
  if (PQserverVersion(conn) < 100000) {
    return Status(ErrorCode::kFailedPrecondition,
                  fmt::format("{} runs version {}; contactsync needs PostgreSQL 10 or newer", where,
                              ParameterStatus(conn, "server_version")));
  }
  // The server reports these settings back; if they differ, dates and numbers would not be
  // read as ISO 8601 and exact text, or (standard_conforming_strings) the server would read a
  // backslash in '...' as an escape where the custom-query checker does not, and a string the
  // checker saw closed would stay open.
  const std::pair<const char*, std::string_view> expected[] = {
      {"DateStyle", "ISO, YMD"},
      {"TimeZone", "UTC"},
      {"IntervalStyle", "iso_8601"},
      {"client_encoding", "UTF8"},
      {"standard_conforming_strings", "on"},
  };
  for (const auto& [name, value] : expected) {
    const std::string actual = ParameterStatus(conn, name);
    if (actual != value) {
      return Status(ErrorCode::kFailedPrecondition,
                    fmt::format("{} did not apply the session setting {} (it is '{}', not '{}'); "
                                "connect to the server directly rather than through a pooler "
                                "that drops startup options",
                                where, name, base::Printable(actual), value));
    }
  }
  // A SQL_ASCII database holds whatever bytes its applications wrote, and the server checks
  // every value it sends against the client encoding: one latin1 byte anywhere would fail the
  // whole read ("invalid byte sequence for encoding UTF8"). Taken as they are, such values are
  // marked as not UTF-8 cell by cell (Value::FromText), and only their rows fail.
  if (ParameterStatus(conn, "server_encoding") == "SQL_ASCII" &&
      PQsetClientEncoding(conn, "SQL_ASCII") != 0) {
    return Status(ErrorCode::kFailedPrecondition,
                  fmt::format("{} refused client_encoding SQL_ASCII for its SQL_ASCII database: {}",
                              where, base::Printable(PQerrorMessage(conn))));
  }
  return connection;
}

bool Connection::broken() const { return !conn_ || PQstatus(conn_.get()) == CONNECTION_BAD; }

CancelHandle Connection::MakeCancelHandle() const {
  return CancelHandle(conn_ ? PQgetCancel(conn_.get()) : nullptr);
}

PgFailure Connection::MakeFailure(Phase phase) const {
  PgFailure failure;
  failure.phase = phase;
  failure.connection_bad = broken();
  failure.host = host_;
  failure.port = port_;
  failure.user = user_;
  failure.database = database_;
  failure.connect_timeout_s = connect_timeout_s_;
  failure.query_timeout_s = query_timeout_s_;
  failure.password = password_;
  return failure;
}

Status Connection::Failure(const PGresult* result, bool cancelled) const {
  PgFailure failure = MakeFailure(Phase::kQuery);
  failure.cancelled = cancelled;
  if (result != nullptr) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    failure.sqlstate = state != nullptr ? state : "";
    failure.message = primary != nullptr ? primary : PQresultErrorMessage(result);
    return MapPostgresError(failure);
  }
  if (!conn_) {
    failure.message = "the connection was closed after an earlier failure";
    return MapPostgresError(failure);
  }
  const std::string message = PQerrorMessage(conn_.get());
  failure.message = message;
  return MapPostgresError(failure);
}

Status Connection::WaitForResult(Clock::time_point deadline, const std::atomic<bool>* cancel) {
  std::optional<Clock::time_point> cancel_deadline;
  while (PQisBusy(conn_.get()) != 0) {
    const Clock::time_point now = Clock::now();
    if (cancel != nullptr && !cancel_deadline && cancel->load(std::memory_order_relaxed)) {
      cancel_deadline = now + kCancelGrace;
    }
    if (cancel_deadline && now >= *cancel_deadline) {
      Close();
      return Status(ErrorCode::kCancelled,
                    "the read was cancelled (PostgreSQL did not confirm in time, so the "
                    "connection was closed)");
    }
    if (now >= deadline) {
      Close();
      return Status(ErrorCode::kTimeout,
                    fmt::format("PostgreSQL at {}:{} did not answer within the query timeout of "
                                "{} s; the connection was closed",
                                base::Printable(host_), port_, query_timeout_s_));
    }
    const Result<bool> readable = WaitSocket(PQsocket(conn_.get()), POLLIN, deadline);
    if (!readable.ok()) return readable.status();
    if (*readable && PQconsumeInput(conn_.get()) == 0) return Failure(nullptr);
  }
  return Status::Ok();
}

Result<ResultHandle> Connection::Collect(const std::atomic<bool>* cancel) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::seconds(query_timeout_s_) + kClientGrace;
  ResultHandle last;
  ResultHandle error;
  last_sqlstate_.clear();
  while (true) {
    CS_RETURN_IF_ERROR(WaitForResult(deadline, cancel));
    ResultHandle result(PQgetResult(conn_.get()));
    if (!result) break;
    switch (PQresultStatus(result.get())) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
      case PGRES_EMPTY_QUERY:
        last = std::move(result);
        break;
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        // Statements are described before they run, so this is only reachable through a bug;
        // closing the connection is the one way to end a COPY without taking part in it.
        Close();
        return Status(ErrorCode::kBadQuery, "contactsync only reads: COPY is not allowed");
      default:
        if (!error) error = std::move(result);
        break;
    }
  }
  const bool cancelled = cancel != nullptr && cancel->load(std::memory_order_relaxed);
  if (error) {
    const char* state = PQresultErrorField(error.get(), PG_DIAG_SQLSTATE);
    last_sqlstate_ = state != nullptr ? state : "";
    return Failure(error.get(), cancelled);
  }
  if (!last) return Failure(nullptr, cancelled);
  return last;
}

Result<ResultHandle> Connection::Exec(std::string_view sql, const std::vector<Value>& params,
                                      const std::atomic<bool>* cancel) {
  if (broken()) return Failure(nullptr);
  if (sql.find('\0') != std::string_view::npos) {
    return Status(ErrorCode::kBadQuery, "the query contains a NUL byte");
  }
  if (params.size() > kMaxParams) {
    return Status(ErrorCode::kBadQuery,
                  fmt::format("the query has {} values; PostgreSQL accepts at most {}",
                              params.size(), kMaxParams));
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& value = params[i];
    switch (value.state()) {
      case Value::State::kNull:
        values.push_back(nullptr);
        lengths.push_back(0);
        formats.push_back(0);
        break;
      case Value::State::kText:
      case Value::State::kBadText:
        // Text-format values are read up to their first NUL, so one would cut the value short.
        if (value.bytes().find('\0') != std::string::npos) {
          return base::InvalidArgument(
              fmt::format("value {} of the query contains a NUL byte, which PostgreSQL text "
                          "cannot hold",
                          i + 1));
        }
        values.push_back(value.bytes().c_str());
        lengths.push_back(static_cast<int>(value.bytes().size()));
        formats.push_back(0);
        break;
      case Value::State::kBinary:
        values.push_back(value.bytes().data());
        lengths.push_back(static_cast<int>(value.bytes().size()));
        formats.push_back(1);
        break;
    }
  }
  const std::string text(sql);
  if (PQsendQueryParams(conn_.get(), text.c_str(), static_cast<int>(params.size()), nullptr,
                        values.data(), lengths.data(), formats.data(), 0) == 0) {
    return Failure(nullptr);
  }
  return Collect(cancel);
}

Result<ResultHandle> Connection::PrepareAndDescribe(std::string_view sql) {
  if (broken()) return Failure(nullptr);
  if (sql.find('\0') != std::string_view::npos) {
    return Status(ErrorCode::kBadQuery, "the query contains a NUL byte");
  }
  const std::string text(sql);
  if (PQsendPrepare(conn_.get(), "", text.c_str(), 0, nullptr) == 0) return Failure(nullptr);
  CS_RETURN_IF_ERROR(Collect(nullptr).status());
  if (PQsendDescribePrepared(conn_.get(), "") == 0) return Failure(nullptr);
  return Collect(nullptr);
}

Status Connection::BeginReadOnly() { return Exec("BEGIN READ ONLY").status(); }

void Connection::Rollback() {
  if (broken()) return;
  if (!Exec("ROLLBACK").ok()) Close();
}

Result<bool> Connection::TransactionWrote() {
  // txid_current_if_assigned() (PostgreSQL 10+) never assigns an id itself.
  CS_ASSIGN_OR_RETURN(ResultHandle result, Exec("SELECT txid_current_if_assigned() IS NOT NULL"));
  if (PQntuples(result.get()) != 1 || PQnfields(result.get()) != 1) {
    return base::Internal("unexpected answer to txid_current_if_assigned()");
  }
  return std::string_view(PQgetvalue(result.get(), 0, 0)) == "t";
}

}  // namespace contactsync::source::postgres
