// The sync-storage conformance suite (sync_store_conformance.h) on SQLite.

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/sync_store_conformance.h"

namespace contactsync::store::sqlite {

using store::testing::SyncStoreConformance;
using store::testing::SyncStoreFactory;
INSTANTIATE_TEST_SUITE_P(Sqlite, SyncStoreConformance,
                         ::testing::Values(SyncStoreFactory{"sqlite",
                                                            sqlite::testing::MakeTempSqliteStore}),
                         store::testing::SyncStoreFactoryName);

}  // namespace contactsync::store::sqlite
