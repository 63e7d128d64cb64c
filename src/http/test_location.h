#pragma once

// The location the HTTP tests serve from: the test's data directory with its secret key file,
// and the store under test (store/test_store.h): a SQLite file in that directory, or a fresh
// PostgreSQL schema (a PostgreSQL store has no directory of its own; the key stays in the
// data directory all the same). Test-only.

#include <string>

#include "app/data_dir.h"
#include "store/test_store.h"

namespace contactsync::http {

inline app::Location TestLocation(const std::string& data_dir) {
  return app::Location{data_dir, store::testing::NewTestStoreUrl(data_dir),
                       data_dir + "/secret.key"};
}

}  // namespace contactsync::http
