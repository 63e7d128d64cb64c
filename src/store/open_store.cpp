// The one place that knows every backend: OpenStore, OpenAccountStore and DescribeStoreLocation
// choose by the store URL (store_url.h). Its own module (cs_store_open), because the PostgreSQL
// store's module builds on cs_store.

#include "store/postgres/pg_account_store.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_account_store.h"
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
    case StoreBackend::kPostgresql: {
      CS_ASSIGN_OR_RETURN(std::unique_ptr<postgres::PgStore> store,
                          postgres::PgStore::Open(location.url, *options.clock));
      return std::unique_ptr<Store>(std::move(store));
    }
  }
  return base::Internal("unknown store backend");
}

base::Result<std::unique_ptr<AccountStore>> OpenAccountStore(const StoreOptions& options) {
  CS_ASSIGN_OR_RETURN(const StoreLocation location, ParseStoreUrl(options.url));
  switch (location.backend) {
    case StoreBackend::kSqlite: {
      CS_ASSIGN_OR_RETURN(
          std::unique_ptr<sqlite::SqliteAccountStore> store,
          sqlite::SqliteAccountStore::Open(location.path, options.busy_timeout_ms, *options.clock));
      return std::unique_ptr<AccountStore>(std::move(store));
    }
    case StoreBackend::kPostgresql: {
      CS_ASSIGN_OR_RETURN(std::unique_ptr<postgres::PgAccountStore> store,
                          postgres::PgAccountStore::Open(location.url, *options.clock));
      return std::unique_ptr<AccountStore>(std::move(store));
    }
  }
  return base::Internal("unknown store backend");
}

base::Result<std::string> DescribeStoreLocation(std::string_view url) {
  CS_ASSIGN_OR_RETURN(const StoreLocation location, ParseStoreUrl(url));
  switch (location.backend) {
    case StoreBackend::kSqlite:
      return location.path;
    case StoreBackend::kPostgresql:
      return postgres::DescribeStoreUrl(location.url);
  }
  return base::Internal("unknown store backend");
}

}  // namespace contactsync::store
