// Every store conformance suite (store_conformance_fixture.h,
// interface_conformance.h), against every backend. A backend adds its factory
// to kBackends, and to BothBackends for the interfaces that stand alone.

#include "store/account_store_conformance.h"
#include "store/connection_store_conformance.h"
#include "store/contact_store_conformance.h"
#include "store/list_store_conformance.h"
#include "store/mail_store_conformance.h"
#include "store/postgres/pg_test_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_conformance_fixture.h"
#include "store/sync_store_conformance.h"

#include <vector>

namespace contactsync::store::testing {
namespace {

// Without a PostgreSQL test server its lines are skipped.
const auto kBackends =
    ::testing::Values(StoreFactory{"sqlite", sqlite::testing::MakeTempSqliteStore, nullptr},
                      StoreFactory{"postgresql", postgres::testing::MakeTempPgStore,
                                   postgres::testing::WhyNoTestServer});

// The suites of the interfaces that stand alone take a factory of that interface alone, so
// that the PostgreSQL store passes those of the contracts it implements so far (issue 14);
// without a PostgreSQL test server its lines are skipped.
template <typename Interface, typename SqliteBackend, typename PgBackend>
std::vector<InterfaceFactory<Interface>> BothBackends() {
  return {{"sqlite", sqlite::testing::OpenOnTempFile<SqliteBackend, Interface>, nullptr},
          {"postgresql", postgres::testing::OpenOnTempSchema<PgBackend, Interface>,
           postgres::testing::WhyNoTestServer}};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Store, ListStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, ContactStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, ConnectionStoreConformance,
                         ::testing::ValuesIn(BothBackends<ConnectionStore, sqlite::SqliteStore,
                                                          postgres::PgConnectionStore>()),
                         InterfaceFactoryName<ConnectionStore>);
INSTANTIATE_TEST_SUITE_P(Store, SyncStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, MailStoreConformance, kBackends, StoreFactoryName);
INSTANTIATE_TEST_SUITE_P(Store, AccountStoreConformance,
                         ::testing::ValuesIn(BothBackends<AccountStore, sqlite::SqliteAccountStore,
                                                          postgres::PgAccountStore>()),
                         InterfaceFactoryName<AccountStore>);

}  // namespace contactsync::store::testing
