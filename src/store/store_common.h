#pragma once

// What the store's interfaces (store.h) share: the cause and status types of
// the model, the input limits every backend checks, and how a store is opened.
//
// Errors, for every interface: kInvalidArgument for bad input (message names
// the field), kNotFound for an unknown list, field, contact, exclusion,
// connection, sync, run or message, kAlreadyExists for a taken name,
// kFailedPrecondition when a rule refuses (message says which rule),
// kUnavailable when the store is busy past its busy timeout (another process
// holds the write lock), kInternal for anything unexpected. A failed call
// writes nothing: each mutating call is one transaction.
//
// Thread safety, for every interface: an instance is not thread-safe; use one
// per thread. Several instances, in one or several processes, may share a
// store: writes are serialised by the database and never corrupt it.

#include <cstddef>
#include <string>

#include "base/clock.h"
#include "model/subscription.h"

namespace contactsync::store {

using model::Cause;
using model::SubscriptionStatus;

// Input limits, checked by every implementation (bytes of UTF-8).
inline constexpr size_t kMaxNameBytes = 255;          // list names, contact names
inline constexpr size_t kMaxDescriptionBytes = 4096;  // list descriptions
inline constexpr size_t kMaxPhoneBytes = 64;

struct StoreOptions {
  // "sqlite:///abs/path.db", "sqlite:relative.db", a plain file path, or
  // "postgresql://user@host:port/db?sslmode=..." (store_url.h).
  std::string url;
  // How long a write waits for another process's write lock before failing
  // with kUnavailable. Long enough for any single batch, short enough that a
  // stuck process is reported rather than waited on forever.
  int busy_timeout_ms = 5000;
  const base::Clock* clock = &base::SystemClock();  // never null; not owned
};

}  // namespace contactsync::store
