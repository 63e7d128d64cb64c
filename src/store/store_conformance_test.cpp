// Every store conformance suite (store_conformance_fixture.h), against every
// backend. A backend adds its factory to kBackends.

#include "store/account_store_conformance.h"
#include "store/connection_store_conformance.h"
#include "store/contact_store_conformance.h"
#include "store/list_store_conformance.h"
#include "store/mail_store_conformance.h"
#include "store/postgres/pg_test_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_conformance_fixture.h"
#include "store/sync_store_conformance.h"

namespace contactsync::store::testing {
namespace {

const auto kBackends =
    ::testing::Values(StoreFactory{"sqlite", sqlite::testing::MakeTempSqliteStore});
// The PostgreSQL store passes the suites of the contracts it implements so far (issue 14).
const auto kAccountBackends = ::testing::Values(
    AccountStoreFactory{"sqlite", sqlite::testing::MakeTempSqliteAccountStore, nullptr},
    AccountStoreFactory{"postgresql", postgres::testing::MakeTempPgAccountStore,
                        postgres::testing::WhyNoTestServer});

}  // namespace

INSTANTIATE_TEST_SUITE_P(Store, ListStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, ContactStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, ConnectionStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, SyncStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, MailStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, AccountStoreConformance, kAccountBackends, AccountStoreFactoryName);

}  // namespace contactsync::store::testing
