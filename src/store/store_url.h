#pragma once

// Where a store lives, from the --store / config URL (StoreOptions::url).
//
// Thread safety: pure function.

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::store {

enum class StoreBackend { kSqlite, kPostgresql };

struct StoreLocation {
  StoreBackend backend = StoreBackend::kSqlite;
  std::string path;  // kSqlite: the database file, absolute or relative to the working directory
  std::string url;   // kPostgresql: the URL as given (trimmed), for libpq; may hold a password
};

// "sqlite:///abs/path.db" -> /abs/path.db; "sqlite:rel/path.db" -> rel/path.db;
// a plain path -> itself; "postgresql://..." and "postgres://..." (any case) -> the
// PostgreSQL store at that URL, read by libpq when the store opens. Any other "scheme://" or
// an empty URL is InvalidArgument naming the accepted forms.
base::Result<StoreLocation> ParseStoreUrl(std::string_view url);

}  // namespace contactsync::store
