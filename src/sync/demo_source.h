#pragma once

// The sample source database of `contactsync demo`: an SQLite file of
// realistic shop customers, the same on every machine (a seeded generator),
// with the dirt real tables have: blank and invalid emails, the same address
// twice in different case, test accounts, and customers who will be marked
// unsubscribed in the store before the first sync.
//
// This writes a file the demo owns; it never touches a user's database (the
// source side of contactsync is read-only and is not used here).
//
// Thread safety: pure function of its arguments (plus the file system).

#include <string>
#include <vector>

#include "base/status.h"

namespace contactsync::sync {

struct DemoSource {
  std::string path;
  int64_t rows = 0;
  // Addresses the demo unsubscribes in the store before syncing, to show
  // that a sync never re-subscribes them.
  std::vector<std::string> unsubscribed;
};

// Writes `path` (table `customers`: id, email, first_name, last_name, city,
// signup_date, newsletter, is_test) with `customers` rows, unless the file
// already exists, in which case it is kept as it is. Written to a temporary
// file and renamed, so a crash never leaves half a database.
base::Result<DemoSource> WriteDemoSource(const std::string& path, int customers = 3000);

}  // namespace contactsync::sync
