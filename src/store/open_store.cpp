#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/store_url.h"

namespace contactsync::store {

base::Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  CS_ASSIGN_OR_RETURN(const StoreLocation location, ParseStoreUrl(options.url));
  if (options.busy_timeout_ms < 0) {
    return base::InvalidArgument("the store busy timeout must not be negative");
  }
  switch (location.backend) {
    case StoreBackend::kSqlite: {
      CS_ASSIGN_OR_RETURN(
          std::unique_ptr<sqlite::SqliteStore> store,
          sqlite::SqliteStore::Open(location.path, options.busy_timeout_ms, *options.clock));
      return std::unique_ptr<Store>(std::move(store));
    }
  }
  return base::Internal("unknown store backend");
}

}  // namespace contactsync::store
