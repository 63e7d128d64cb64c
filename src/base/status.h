#pragma once

// Expected failures as values.
//
// Every operation that can fail for a reason a user can act on (bad input, a
// missing object, a busy store, a lost connection) returns a Status or a
// Result<T>. Exceptions are reserved for programming errors and are caught once
// per entry point (CLI main, HTTP handler, worker thread).
//
// The set of codes is deliberately small and closed: the CLI maps them to exit
// statuses, the HTTP layer to response codes, and the sync engine decides from
// them whether a failure may be retried. Messages are one line, written for the
// user, and must already be free of secrets (see base/redact.h).
//
// Thread safety: Status and Result are values; distinct objects may be used from
// distinct threads without synchronisation.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace contactsync::base {

enum class ErrorCode {
  kOk,
  kInvalidArgument,     // the input is wrong; repeating it will fail again
  kNotFound,            // a named object does not exist
  kAlreadyExists,       // a unique name or key is taken
  kFailedPrecondition,  // the object's state forbids it (e.g. contact unsubscribed)
  kPermissionDenied,    // the account or the rules forbid it
  kAuthFailed,          // wrong user name or password
  kUnavailable,         // a server or the store is unreachable or busy; retryable
  kTimeout,             // an operation ran past its limit; retryable
  kConnectionLost,      // a connection broke mid-operation; retryable
  kTlsFailure,          // TLS negotiation or verification failed
  kBadQuery,            // SQL the user wrote was rejected by a check or the server
  kCancelled,           // the user stopped it
  kInternal,            // a bug or an unexpected library failure
};

// Stable lower_snake name of a code, used in JSON output and API errors.
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {
    assert(code != ErrorCode::kOk);
  }

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // True when trying the same operation again later may succeed.
  bool retryable() const {
    return code_ == ErrorCode::kUnavailable || code_ == ErrorCode::kTimeout ||
           code_ == ErrorCode::kConnectionLost;
  }

  // "not_found: list 'News' does not exist"
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context`, e.g.
  // "importing row 12: " + message. The code is kept.
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Convenience constructors, so call sites read as sentences.
inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {ErrorCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {ErrorCode::kPermissionDenied, std::move(m)};
}
inline Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// Either a value or a non-OK Status. Accessing the value of a failed Result is
// a programming error (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(data_); }

  // The failure, or OK when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & {
    assert(ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(data_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace contactsync::base

// Propagates a failed Status out of the enclosing function.
#define CS_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::contactsync::base::Status cs_status_ = (expr); \
    if (!cs_status_.ok()) return cs_status_;         \
  } while (false)

#define CS_CONCAT_INNER_(a, b) a##b
#define CS_CONCAT_(a, b) CS_CONCAT_INNER_(a, b)

// `CS_ASSIGN_OR_RETURN(auto list, store.GetList("News"));` declares `list`
// from a Result, or returns its Status from the enclosing function.
#define CS_ASSIGN_OR_RETURN(decl, expr)                                                         \
  auto CS_CONCAT_(cs_result_, __LINE__) = (expr);                                               \
  if (!CS_CONCAT_(cs_result_, __LINE__).ok()) return CS_CONCAT_(cs_result_, __LINE__).status(); \
  decl = std::move(CS_CONCAT_(cs_result_, __LINE__)).value()
