#pragma once

// Owners of the libpq C handles, shared by the PostgreSQL source driver (source/postgres) and
// the PostgreSQL store (store/postgres). Nothing outside those two sees a raw PGconn*,
// PGresult* or PGcancel*; these types release each exactly once (docs/architecture.md,
// conventions).
//
// Thread safety: none, like the handles they own; a ConnectionHandle and its results belong to
// one thread at a time. A CancelHandle may be used from another thread (PQcancel is thread-safe)
// as long as it outlives that use.

#include <libpq-fe.h>

#include <utility>

namespace contactsync::pg {

// A move-only owner of one libpq pointer, released with `Free`.
template <typename T, void (*Free)(T*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T* handle) : handle_(handle) {}
  ~Handle() { Reset(); }

  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  T* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

  void Reset() {
    if (handle_ != nullptr) Free(std::exchange(handle_, nullptr));
  }

 private:
  T* handle_ = nullptr;
};

// A connection; PQfinish closes the socket and frees everything, whatever state it is in.
using ConnectionHandle = Handle<PGconn, PQfinish>;
// One result of a statement.
using ResultHandle = Handle<PGresult, PQclear>;
// What PQcancel needs to ask the server to stop the running statement of one connection; it
// holds a copy of the connection's address and key, not the PGconn, so it may outlive it.
using CancelHandle = Handle<PGcancel, PQfreeCancel>;

}  // namespace contactsync::pg
