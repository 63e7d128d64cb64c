#pragma once

// Store: contactsync's own data (docs/spec.md §1), as the one object a process
// opens. It is every narrow interface at once; code that uses the store takes
// only the interface it needs, and only the top (CLI command setup, HTTP
// server wiring) holds a Store:
//  - ListStore (list_store.h): lists, custom fields, exclusions;
//  - ContactStore (contact_store.h): contacts, subscriptions, history;
//  - ConnectionStore (connection_store.h): saved connections;
//  - SyncStore (sync_store.h): sync definitions, runs, the batch writer;
//  - OutboxQueue and MailStore (mail_store.h): the outbox sender's part of
//    the mail store, and the rest of mail.
// Accounts stand alone (account_store.h).
//
// Two implementations share one behaviour and one set of conformance suites
// (store/*_conformance.h, one per interface, on store_conformance_fixture.h):
// SQLite (the embedded default, one file in the data directory) and, later,
// PostgreSQL. A backend implements Store by passing every suite. Errors and
// thread safety: store_common.h.

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/connection_store.h"
#include "store/contact_store.h"
#include "store/list_store.h"
#include "store/mail_store.h"
#include "store/store_common.h"
#include "store/sync_store.h"

namespace contactsync::store {

class Store : public ListStore,
              public ContactStore,
              public ConnectionStore,
              public SyncStore,
              public MailStore {
 public:
  ~Store() override = default;

  // The schema version the store is at after the migrations applied on open.
  virtual base::Result<int> SchemaVersion() = 0;
};

// Opens (creating when absent) the store at `options.url` (store_url.h) and applies pending
// migrations (open_store.cpp, module cs_store_open: the one place that knows every backend).
base::Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

// Where the store at `url` is, for messages and `contactsync init`: a SQLite store's file, a
// PostgreSQL store's database, host, port and user, never its password.
base::Result<std::string> DescribeStoreLocation(std::string_view url);

}  // namespace contactsync::store
