#pragma once

// One libpq session on the user's PostgreSQL server, made read-only and bounded in time. The
// connector and its readers share it through a shared_ptr (a reader may outlive the
// connector).
//
// What Open sets up (docs/read-only.md, docs/spec.md §2):
//  - PQconnectStartParams with keyword/value arrays and expand_dbname=0, so no setting is ever
//    parsed as a conninfo string;
//  - startup `options`: default_transaction_read_only=on, statement_timeout (query_timeout_s),
//    idle_in_transaction_session_timeout, and the settings that make text results exact
//    (DateStyle 'ISO, YMD', TimeZone 'UTC', IntervalStyle 'iso_8601', extra_float_digits 3,
//    bytea_output 'hex'), standard_conforming_strings on (how the custom-query checker lexes
//    '...'); client_encoding UTF8; application_name contactsync;
//  - a check that the server applied them (a pooler that drops startup options would otherwise
//    change every date silently).
// Every statement goes through the extended protocol (PQsendQueryParams / PQsendPrepare), which
// refuses several statements in one string; callers bracket their work in BeginReadOnly and
// Rollback.
//
// Every wait for the server is bounded: the connect by connect_timeout_s, each statement by
// query_timeout_s plus a grace period after which the client gives up on a server that no
// longer answers (and closes the connection).
//
// Thread safety: one thread at a time. Nothing here is called by RowReader::Cancel, which uses
// its own CancelHandle.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "source/postgres/errors.h"
#include "source/postgres/handle.h"
#include "source/settings.h"
#include "source/value.h"

namespace contactsync::source::postgres {

class Connection {
 public:
  // Connects and authenticates. Errors: those of MapPostgresError for Phase::kConnect, and
  // kFailedPrecondition when the server is older than PostgreSQL 10 or ignored the session
  // settings. Precondition: Validate(settings) is OK and settings.type is kPostgreSql.
  static base::Result<std::shared_ptr<Connection>> Open(const ConnectionSettings& settings);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement, `sql`, with `params` bound to $1..$n (NULL as SQL NULL, text in text
  // format, binary as bytes) and waits for its result, which is PGRES_COMMAND_OK or
  // PGRES_TUPLES_OK. `cancel`, when given, is a reader's cancel flag: once it is set the wait
  // ends with kCancelled within a few seconds even if the server does not confirm the cancel
  // request (the connection is then closed). Errors: kBadQuery for a NUL byte in `sql`,
  // kInvalidArgument for one in a text parameter (text parameters travel NUL-terminated), a
  // COPY (never allowed: the connection is closed to end it), and MapPostgresError's codes.
  base::Result<ResultHandle> Exec(std::string_view sql, const std::vector<Value>& params = {},
                                  const std::atomic<bool>* cancel = nullptr);

  // Parses `sql` as the unnamed prepared statement, without running it, and returns its
  // description (PQdescribePrepared): result columns (PQnfields, PQftype, PQfmod, PQfname) and
  // parameters (PQnparams). Parameter types are left to the server to infer.
  base::Result<ResultHandle> PrepareAndDescribe(std::string_view sql);

  // BEGIN READ ONLY. Precondition: no transaction is open.
  base::Status BeginReadOnly();
  // Ends the transaction with ROLLBACK: it only read, so there is nothing to commit, and a
  // rollback also undoes whatever a function called by the query managed to change in spite of
  // the read-only transaction (large objects, settings). When the rollback fails the connection
  // is closed, so that it can never be reused half-way through a transaction.
  void Rollback();

  // True when the current transaction was given a transaction id, which happens only when
  // something in it wrote (PostgreSQL assigns one at the first change; reads never need one).
  // This catches the writes a read-only transaction lets through, such as lo_from_bytea().
  base::Result<bool> TransactionWrote();

  // Closes the connection; broken() is true from then on.
  void Close() { conn_.Reset(); }
  // True when the connection is closed or libpq lost it.
  bool broken() const;

  // A cancel handle for the statements of this connection, usable from any thread.
  CancelHandle MakeCancelHandle() const;

  // Whether a RowReader owns the connection's transaction (its cursor is open). The connector
  // opens a new connection rather than interleave statements with an open read.
  bool leased() const { return leased_; }
  void set_leased(bool leased) { leased_ = leased; }

  // The Status of a failed statement `result` (nullptr: the failure libpq reports for the
  // connection itself).
  base::Status Failure(const PGresult* result, bool cancelled = false) const;

  // The SQLSTATE of the last failed statement, or "" when the last one succeeded or failed
  // without one.
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& user() const { return user_; }
  int query_timeout_s() const { return query_timeout_s_; }

 private:
  explicit Connection(const ConnectionSettings& settings);

  // Waits until libpq has a whole result to hand out, within `deadline` and the cancel rules of
  // Exec.
  base::Status WaitForResult(std::chrono::steady_clock::time_point deadline,
                             const std::atomic<bool>* cancel);
  // Collects every result of the statement just sent; returns the error one if any.
  base::Result<ResultHandle> Collect(const std::atomic<bool>* cancel);
  PgFailure MakeFailure(Phase phase) const;

  ConnectionHandle conn_;
  std::string host_;
  int port_ = 0;
  std::string user_;
  std::string database_;
  std::string password_;  // kept only to scrub it from error messages
  int connect_timeout_s_ = 0;
  int query_timeout_s_ = 0;
  bool leased_ = false;
  std::string last_sqlstate_;
};

// Runs `body` (returning base::Result<T>) inside BEGIN READ ONLY ... ROLLBACK on `connection`.
template <typename Body>
auto InReadOnlyTransaction(Connection& connection, Body&& body) -> decltype(body()) {
  CS_RETURN_IF_ERROR(connection.BeginReadOnly());
  auto result = std::forward<Body>(body)();
  connection.Rollback();
  return result;
}

}  // namespace contactsync::source::postgres
