#include "source/mysql/session.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "base/redact.h"
#include "base/text.h"
#include "source/mysql/row_fetcher.h"

namespace contactsync::source::mysql {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;

constexpr const char* kSetSessionSqlMode =
    "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION'";
static_assert(std::string_view(kSetSessionSqlMode).find(kSessionSqlMode) != std::string_view::npos,
              "the statement must set exactly kSessionSqlMode");

// libmariadb's global state must be set up once before connections are made from several
// threads (mysql_init would do it lazily, but not thread-safely).
void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

ErrorContext ContextOf(const ConnectionSettings& settings, InterruptReason interrupt,
                       std::string_view server_name) {
  ErrorContext context;
  context.server_name = server_name;
  context.host = settings.host;
  context.port = EffectivePort(settings);
  context.user = settings.user;
  context.database = settings.database;
  context.password = settings.password;
  context.query_timeout_s = settings.query_timeout_s;
  context.interrupt = interrupt;
  return context;
}

Status ConnectionError(MYSQL* mysql, const ConnectionSettings& settings, bool connecting) {
  ErrorContext context = ContextOf(settings, InterruptReason::kNone, kUnknownServerName);
  context.connecting = connecting;
  return MapMySqlError(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql), context);
}

// libmariadb reads the CA file only once the server has agreed to TLS, so against a server
// without TLS a missing or unreadable file would go unmentioned; it is tried first, and named.
Status CheckCaFile(const ConnectionSettings& settings) {
  std::FILE* file = std::fopen(settings.tls_ca_file.c_str(), "r");
  if (file != nullptr) {
    std::fclose(file);
    return Status::Ok();
  }
  const std::string reason = std::error_code(errno, std::generic_category()).message();
  return Status(ErrorCode::kTlsFailure,
                base::Redact(fmt::format("cannot verify {} at {}:{}: the CA file '{}' cannot be "
                                         "read ({}); check the CA file setting",
                                         kUnknownServerName, base::Printable(settings.host),
                                         EffectivePort(settings),
                                         base::Printable(settings.tls_ca_file, 200), reason),
                             {settings.password}));
}

// Which server a connected handle talks to, from the version string of the server's greeting
// (MariaDB's reads e.g. "10.11.6-MariaDB-log").
std::string_view ServerName(MYSQL* mysql) {
  const char* version = mysql_get_server_info(mysql);
  return version != nullptr && std::strstr(version, "MariaDB") != nullptr ? kMariaDbName
                                                                          : kMySqlName;
}

Status SetOption(MYSQL* mysql, mysql_option option, const void* value) {
  if (mysql_options(mysql, option, value) != 0) {
    return base::Internal(
        fmt::format("libmariadb refused connection option {}", static_cast<int>(option)));
  }
  return Status::Ok();
}

// Connects `handle` (fresh from mysql_init) with every option the driver relies on.
Status Connect(MYSQL* mysql, const ConnectionSettings& settings) {
  const unsigned int connect_timeout = static_cast<unsigned int>(settings.connect_timeout_s);
  // The server's statement timeout (or the reader's watchdog) fires first and says why; the
  // socket timeouts only catch a server or network that went silent.
  const unsigned int io_timeout = static_cast<unsigned int>(settings.query_timeout_s) + 30;
  const unsigned int no_local_infile = 0;
  const my_bool no = 0;
  const my_bool yes = 1;
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout));
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout));
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout));
  // utf8mb4 so that every text column, whatever its own character set, arrives as UTF-8.
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4"));
  // LOAD DATA LOCAL would let the server ask this process for any local file.
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_infile));
  // A silent reconnect would give a fresh session without READ ONLY and timeouts.
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_RECONNECT, &no));
  CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_REPORT_DATA_TRUNCATION, &yes));
  switch (settings.tls_mode) {
    case TlsMode::kDisable:
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_ENFORCE, &no));
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no));
      break;
    case TlsMode::kPrefer:
    case TlsMode::kRequire:
      // libmariadb 3.3 uses TLS when the server offers it and silently falls back to plain TCP
      // otherwise (unless verification is on); kRequire is enforced after connecting.
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_ENFORCE, &yes));
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no));
      break;
    case TlsMode::kVerifyCa:
      CS_RETURN_IF_ERROR(CheckCaFile(settings));
      // libmariadb verifies the chain and the host name together; there is no chain-only mode.
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_ENFORCE, &yes));
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes));
      CS_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_CA, settings.tls_ca_file.c_str()));
      break;
  }
  // Client flags 0: in particular no CLIENT_MULTI_STATEMENTS.
  const char* database = settings.database.empty() ? nullptr : settings.database.c_str();
  if (mysql_real_connect(
          mysql, settings.host.c_str(), settings.user.c_str(), settings.password.c_str(), database,
          static_cast<unsigned int>(EffectivePort(settings)), nullptr, 0) == nullptr) {
    return ConnectionError(mysql, settings, /*connecting=*/true);
  }
  if (settings.tls_mode == TlsMode::kRequire && mysql_get_ssl_cipher(mysql) == nullptr) {
    return Status(
        ErrorCode::kTlsFailure,
        fmt::format("{} at {}:{} does not offer TLS, which TLS mode require needs; "
                    "enable TLS on the server or choose TLS mode prefer",
                    ServerName(mysql), base::Printable(settings.host), EffectivePort(settings)));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Session>> Session::Open(const ConnectionSettings& settings,
                                               StatementTimeout timeout) {
  InitLibraryOnce();
  std::unique_ptr<Session> session(new Session(settings));
  session->connection_.reset(mysql_init(nullptr));
  if (!session->connection_) return base::Internal("libmariadb could not allocate a connection");
  CS_RETURN_IF_ERROR(Connect(session->raw(), settings));
  session->is_mariadb_ = ServerName(session->raw()) == kMariaDbName;
  CS_RETURN_IF_ERROR(session->SetUp(timeout));
  return session;
}

Status Session::SetUp(StatementTimeout timeout) {
  CS_RETURN_IF_ERROR(FixLexing());
  CS_RETURN_IF_ERROR(RunFixed("SET SESSION TRANSACTION READ ONLY"));
  // The value is an integer from validated settings, so formatting it is safe.
  const int seconds = timeout == StatementTimeout::kServer ? settings_.query_timeout_s : 0;
  const std::string statement =
      is_mariadb_ ? fmt::format("SET SESSION max_statement_time = {}", seconds)
                  : fmt::format("SET SESSION max_execution_time = {}", seconds * 1000);
  if (mysql_real_query(raw(), statement.data(), statement.size()) != 0) return Error();
  return Status::Ok();
}

Status Session::FixLexing() {
  // SET NAMES, also when the server ignores the handshake's character set
  // (--skip-character-set-client-handshake); libmariadb then knows it too.
  if (mysql_set_character_set(raw(), kSessionCharset) != 0) return Error();
  CS_RETURN_IF_ERROR(RunFixed(kSetSessionSqlMode));
  return VerifyLexing();
}

Status Session::VerifyLexing() {
  CS_ASSIGN_OR_RETURN(std::vector<Row> rows,
                      QueryAll("SELECT @@session.sql_mode, @@session.character_set_client, "
                               "@@session.character_set_connection, "
                               "@@session.character_set_results",
                               {}));
  if (rows.size() != 1 || rows[0].size() != 4) {
    return base::Internal("reading the session's sql_mode and character sets gave no row");
  }
  const std::pair<std::string_view, std::string_view> expected[] = {
      {"sql_mode", kSessionSqlMode},
      {"character_set_client", kSessionCharset},
      {"character_set_connection", kSessionCharset},
      {"character_set_results", kSessionCharset},
  };
  for (size_t i = 0; i < std::size(expected); ++i) {
    const Value& cell = rows[0][i];
    const std::string actual = cell.is_null() ? "NULL" : cell.bytes();
    if (actual == expected[i].second) continue;
    return Status(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} at {}:{} kept {} '{}' after contactsync set it to '{}'; contactsync checks "
                    "custom queries as the server reads them with that setting, so connect to "
                    "the server directly rather than through a proxy that rewrites session "
                    "settings",
                    server_name(), base::Printable(settings_.host), EffectivePort(settings_),
                    expected[i].first, base::Printable(actual), expected[i].second));
  }
  return Status::Ok();
}

Status Session::RunFixed(FixedSql sql) {
  if (mysql_real_query(raw(), sql.c_str(), std::strlen(sql.c_str())) != 0) return Error();
  // Drain whatever the statement returned so that the connection is ready for the next one.
  ResultHandle result(mysql_store_result(raw()));
  if (!result && mysql_field_count(raw()) != 0) return Error();
  return Status::Ok();
}

Result<StatementHandle> Session::Prepare(std::string_view sql) {
  if (base::TrimAscii(sql).empty()) {
    return Status(ErrorCode::kBadQuery, "the query is empty; write one SELECT statement");
  }
  StatementHandle stmt(mysql_stmt_init(raw()));
  if (!stmt) return Error();
  if (mysql_stmt_prepare(stmt.get(), sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return StatementError(stmt.get());
  }
  return stmt;
}

Status Session::BindParams(MYSQL_STMT* stmt, const std::vector<Value>& params,
                           std::vector<MYSQL_BIND>& binds) const {
  const unsigned long expected = mysql_stmt_param_count(stmt);
  if (expected != params.size()) {
    return Status(ErrorCode::kBadQuery,
                  fmt::format("the query has {} parameters but {} values were given", expected,
                              params.size()));
  }
  if (params.empty()) return Status::Ok();
  binds.assign(params.size(), MYSQL_BIND{});
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& value = params[i];
    MYSQL_BIND& bind = binds[i];
    std::memset(&bind, 0, sizeof(bind));
    switch (value.state()) {
      case Value::State::kNull:
        bind.buffer_type = MYSQL_TYPE_NULL;
        break;
      case Value::State::kText:
      case Value::State::kBadText:
        bind.buffer_type = MYSQL_TYPE_STRING;
        break;
      case Value::State::kBinary:
        bind.buffer_type = MYSQL_TYPE_BLOB;
        break;
    }
    if (!value.is_null()) {
      // libmariadb only reads the buffer; the cast drops a const it does not honour in its API.
      bind.buffer = const_cast<char*>(value.bytes().data());
      bind.buffer_length = static_cast<unsigned long>(value.bytes().size());
    }
  }
  if (mysql_stmt_bind_param(stmt, binds.data()) != 0) return StatementError(stmt);
  return Status::Ok();
}

Result<std::vector<Row>> Session::QueryAll(FixedSql sql, const std::vector<std::string>& params) {
  ReadOnlyTransaction transaction(*this);
  CS_RETURN_IF_ERROR(transaction.status());
  CS_ASSIGN_OR_RETURN(StatementHandle stmt, Prepare(sql.c_str()));
  std::vector<Value> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(Value::FromText(param));
  std::vector<MYSQL_BIND> binds;
  CS_RETURN_IF_ERROR(BindParams(stmt.get(), values, binds));
  if (mysql_stmt_execute(stmt.get()) != 0) return StatementError(stmt.get());
  std::unique_ptr<RowFetcher> fetcher = RowFetcher::Create(stmt.get(), TypeOptions{});
  if (!fetcher) return StatementError(stmt.get());
  std::vector<Row> rows;
  while (true) {
    Row row;
    const RowFetcher::Step step = fetcher->Next(row);
    if (step == RowFetcher::Step::kEnd) break;
    if (step == RowFetcher::Step::kError) return StatementError(stmt.get());
    rows.push_back(std::move(row));
  }
  fetcher.reset();
  stmt.reset();
  CS_RETURN_IF_ERROR(transaction.Commit());
  return rows;
}

ErrorContext Session::Context(InterruptReason interrupt) const {
  return ContextOf(settings_, interrupt, server_name());
}

Status Session::Error(InterruptReason interrupt) const {
  if (!connection_) {
    return Status(ErrorCode::kConnectionLost,
                  fmt::format("the {} connection is closed", server_name()));
  }
  return MapMySqlError(mysql_errno(raw()), mysql_sqlstate(raw()), mysql_error(raw()),
                       Context(interrupt));
}

Status Session::StatementError(MYSQL_STMT* stmt, InterruptReason interrupt) const {
  // An error packet met while fetching unbuffered rows (a killed or timed-out query) is
  // recorded on the connection, not on the statement.
  if (mysql_stmt_errno(stmt) == 0) return Error(interrupt);
  return MapMySqlError(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt),
                       Context(interrupt));
}

ReadOnlyTransaction::ReadOnlyTransaction(Session& session) : session_(session) {
  status_ = session_.RunFixed("START TRANSACTION READ ONLY");
  open_ = status_.ok();
}

ReadOnlyTransaction::~ReadOnlyTransaction() {
  if (open_ && session_.raw() != nullptr) (void)session_.RunFixed("ROLLBACK");
}

Status ReadOnlyTransaction::Commit() {
  if (!open_) return status_;
  open_ = false;
  return session_.RunFixed("COMMIT");
}

Status KillQuery(const ConnectionSettings& settings, unsigned long thread_id) {
  InitLibraryOnce();
  ConnectionHandle side(mysql_init(nullptr));
  if (!side) return base::Internal("libmariadb could not allocate a connection");
  CS_RETURN_IF_ERROR(Connect(side.get(), settings));
  // The thread id is an integer from libmariadb, so formatting it is safe.
  const std::string statement = fmt::format("KILL QUERY {}", thread_id);
  if (mysql_real_query(side.get(), statement.data(), statement.size()) != 0) {
    return ConnectionError(side.get(), settings, /*connecting=*/false);
  }
  return Status::Ok();
}

}  // namespace contactsync::source::mysql
