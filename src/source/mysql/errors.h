#pragma once

// The one place where MySQL and MariaDB errors become contactsync errors (docs/architecture.md,
// conventions).
//
// Server errors (1000-1999, 3000+, 4000+) and client library errors (2000-2999, 5000+) arrive as
// a number, an SQLSTATE and a message; MapMySqlError turns them into a base::Status whose code
// decides what the caller does (retry, ask for a new password, fix the query) and whose message
// names what to fix. Retryable codes: kUnavailable, kTimeout, kConnectionLost.
//
// Secrets: the message is built from the server's text, which can echo user input (a query,
// a value). Every occurrence of the password is replaced by "*****" before the Status is made,
// so no message from this driver carries the password.
//
// Thread safety: pure function.

#include <string_view>

#include "base/status.h"

namespace contactsync::source::mysql {

// Why the driver itself interrupted a statement with KILL QUERY; the server reports all of
// these as error 1317 (ER_QUERY_INTERRUPTED).
enum class InterruptReason { kNone, kTimeout, kCancelled };

// The name messages use before a connection has said which server it is: libmariadb frees the
// greeting's version string when the login fails, so a wrong password cannot name it either.
inline constexpr std::string_view kUnknownServerName = "MySQL/MariaDB";

// Where the failure happened, for messages. Views into the caller's ConnectionSettings.
struct ErrorContext {
  // The server as the user knows it: "MariaDB" or "MySQL" once a connection has told which
  // (Session::server_name), the neutral kUnknownServerName before that.
  std::string_view server_name = kUnknownServerName;
  std::string_view host;
  int port = 0;
  std::string_view user;
  std::string_view database;
  std::string_view password;  // only to redact it; never printed
  int query_timeout_s = 0;    // for timeout messages
  InterruptReason interrupt = InterruptReason::kNone;
  // The failure came from establishing the connection: a connection that
  // breaks before it is up means the server cannot be reached, not that a
  // session was lost.
  bool connecting = false;
};

// Maps one failure:
//   1045, 1698 (access denied)                 kAuthFailed
//   2002, 2003, 2005 (socket, host, DNS)       kUnavailable
//   1040, 1203, 1053 (too many connections, shutting down), 1205, 1213 (lock wait, deadlock)
//                                              kUnavailable
//   1049 (unknown database)                    kNotFound
//   1146 (unknown table)                       kNotFound
//   2006, 2013, 2055, 5013, 5014 (lost)        kConnectionLost; kUnavailable while
//                                              context.connecting (e.g. a server still
//                                              dying resets the handshake)
//   1969 (MariaDB max_statement_time), 3024 (MySQL max_execution_time)
//                                              kTimeout
//   1317 (interrupted)                         kTimeout or kCancelled per context.interrupt
//                                              (kCancelled when nobody said why)
//   2026 and TLS failures                      kTlsFailure
//   1792, 1290 (read-only transaction, server option), 1142, 1143, 1044, 1227, 1370
//                                              kPermissionDenied
//   1064, 1054 and other SQL errors            kBadQuery
//   other client library errors                kInternal
base::Status MapMySqlError(unsigned int code, std::string_view sqlstate, std::string_view message,
                           const ErrorContext& context);

}  // namespace contactsync::source::mysql
