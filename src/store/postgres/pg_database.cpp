#include "store/postgres/pg_database.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::store::postgres {
namespace {

using ConninfoHandle = pg::Handle<PQconninfoOption, PQconninfoFree>;

// libpq's message without its trailing newline, on one line.
std::string OneLine(const char* text) {
  std::string line = text == nullptr ? "" : text;
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return std::string(base::TrimAscii(line));
}

std::string_view Option(const PQconninfoOption* options, std::string_view keyword) {
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (keyword == o->keyword && o->val != nullptr) return o->val;
  }
  return {};
}

// The connection's failure, named by the store's description. Before the server answered
// there is no SQLSTATE: libpq's text says what went wrong (and never holds the password).
base::Status ConnectFailure(const PGconn* conn, const std::string& description) {
  const std::string reason = OneLine(PQerrorMessage(conn));
  const std::string message = fmt::format("cannot open the store ({}): {}", description, reason);
  if (reason.find("password authentication failed") != std::string::npos ||
      reason.find("no password supplied") != std::string::npos) {
    return base::Status(base::ErrorCode::kAuthFailed, message);
  }
  if (reason.find("does not exist") != std::string::npos &&
      reason.find("database") != std::string::npos) {
    return base::NotFound(message);
  }
  if (reason.find("SSL") != std::string::npos || reason.find("certificate") != std::string::npos) {
    return base::Status(base::ErrorCode::kTlsFailure, message);
  }
  return base::Unavailable(message);
}

}  // namespace

base::Result<std::string> DescribeStoreUrl(std::string_view url) {
  char* error = nullptr;
  const ConninfoHandle options(PQconninfoParse(std::string(url).c_str(), &error));
  if (error != nullptr) PQfreemem(error);  // may quote the URL, password included: not shown
  if (!options) {
    return base::InvalidArgument(
        "the store URL is not one libpq can read; use "
        "postgresql://user@host:port/database?sslmode=... (the password in PGPASSWORD or "
        "~/.pgpass, or in the URL)");
  }
  const std::string_view host = Option(options.get(), "host");
  const std::string_view port = Option(options.get(), "port");
  const std::string_view dbname = Option(options.get(), "dbname");
  const std::string_view user = Option(options.get(), "user");
  std::string description = fmt::format("PostgreSQL database '{}'", base::Printable(dbname));
  description += fmt::format(" on {}", host.empty() ? "the local socket" : base::Printable(host));
  if (!port.empty()) description += fmt::format(":{}", base::Printable(port));
  if (!user.empty()) description += fmt::format(" as {}", base::Printable(user));
  return description;
}

int Rows::size() const { return PQntuples(result_.get()); }

int Rows::columns() const { return PQnfields(result_.get()); }

bool Rows::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Rows::Text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<size_t>(PQgetlength(result_.get(), row, column))};
}

int64_t Rows::Int64(int row, int column) const {
  const std::string_view text = Text(row, column);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string Rows::Bytea(int row, int column) const {
  if (IsNull(row, column)) return "";
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)), &length);
  if (bytes == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

int64_t Rows::Affected() const {
  const char* text = PQcmdTuples(result_.get());
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

base::Result<Database> Database::Open(std::string_view url, int connect_timeout_s) {
  CS_ASSIGN_OR_RETURN(std::string description, DescribeStoreUrl(url));
  const std::string lower = base::AsciiLower(url);
  if (!lower.starts_with("postgresql://") && !lower.starts_with("postgres://")) {
    return base::InvalidArgument("a PostgreSQL store URL starts with postgresql://");
  }
  const std::string url_text(url);
  const std::string timeout = std::to_string(connect_timeout_s);
  // Later keywords win over what the URL says, earlier ones only fill in what it leaves out.
  const char* keywords[] = {"connect_timeout", "dbname", "client_encoding",
                            "fallback_application_name", nullptr};
  const char* values[] = {timeout.c_str(), url_text.c_str(), "UTF8", "contactsync", nullptr};
  pg::ConnectionHandle conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn) return base::Internal("libpq could not allocate a connection");
  if (PQstatus(conn.get()) != CONNECTION_OK) return ConnectFailure(conn.get(), description);
  // The server's notices (a DROP ... CASCADE naming what went with it) are not for the user:
  // libpq would print them on stderr, between the lines of contactsync's own output.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return Database(std::move(conn), std::move(description));
}

bool Database::ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

base::Status Database::Failure(const PGresult* result) {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state == nullptr ? "" : state;
  const std::string reason =
      OneLine(result == nullptr ? PQerrorMessage(conn_.get()) : PQresultErrorMessage(result));
  last_failure_was_conflict_ = sqlstate == "40001" || sqlstate == "40P01";
  const std::string message = fmt::format("store ({}): {}", description_, reason);
  if (!ok() || sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02") {
    return base::Status(base::ErrorCode::kConnectionLost, message);
  }
  if (sqlstate == "23505") return base::AlreadyExists(message);
  if (last_failure_was_conflict_ || sqlstate.starts_with("53") || sqlstate == "57P03") {
    return base::Unavailable(message);
  }
  if (sqlstate == "57014" || sqlstate == "55P03" || sqlstate == "25P03") {
    return base::Status(base::ErrorCode::kTimeout, message);
  }
  return base::Internal(fmt::format("{} (SQLSTATE {})", message, sqlstate));
}

base::Result<Rows> Database::Exec(std::string_view sql, const std::vector<Param>& params) {
  last_failure_was_conflict_ = false;
  if (!ok()) {
    return base::Status(base::ErrorCode::kConnectionLost,
                        fmt::format("store ({}): the connection was lost", description_));
  }
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    if (const auto* bytes = std::get_if<Bytes>(&params[i])) {
      texts[i] = std::string(bytes->data);
      lengths[i] = static_cast<int>(texts[i].size());
      formats[i] = 1;  // binary: the bytes as they are
    } else if (const auto* number = std::get_if<int64_t>(&params[i])) {
      texts[i] = std::to_string(*number);
    } else if (const auto* text = std::get_if<std::string_view>(&params[i])) {
      // Text parameters travel NUL-terminated: a NUL inside would cut the value short.
      if (text->find('\0') != std::string_view::npos) {
        return base::InvalidArgument("a value contains a NUL byte, which the store cannot keep");
      }
      texts[i] = std::string(*text);
    } else {
      continue;  // NULL
    }
    values[i] = texts[i].c_str();
  }
  const std::string statement(sql);
  pg::ResultHandle result(PQexecParams(conn_.get(), statement.c_str(),
                                       static_cast<int>(params.size()), nullptr, values.data(),
                                       lengths.data(), formats.data(), 0));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure(result.get());
  return Rows(std::move(result));
}

base::Status Database::ExecScript(std::string_view sql) {
  last_failure_was_conflict_ = false;
  const std::string script(sql);
  pg::ResultHandle result(PQexec(conn_.get(), script.c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure(result.get());
  return base::Status::Ok();
}

}  // namespace contactsync::store::postgres
