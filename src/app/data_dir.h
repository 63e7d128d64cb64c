#pragma once

// Where contactsync keeps its data, decided once for every face.
//
// Precedence: an explicit --store URL, else an explicit --data-dir, else
// $CONTACTSYNC_STORE (a store URL: how every server and worker of a scaled-out
// install names its PostgreSQL store, docs/scale-out.md), else
// $CONTACTSYNC_DATA_DIR, else $XDG_DATA_HOME/contactsync, else
// $HOME/.local/share/contactsync. The SQLite store is `contactsync.db` inside
// the data directory, with the secret key file beside it.

#include <optional>
#include <string>

#include "base/status.h"

namespace contactsync::app {

struct Location {
  std::string data_dir;   // absolute; empty only when --store was given
  std::string store_url;  // what store::OpenStore receives
  // The secret key file (secrets::SecretBox): in the data directory, or
  // beside the store file when --store names a SQLite file. Empty when
  // neither applies (a PostgreSQL store: every host needs the same key); then
  // $CONTACTSYNC_SECRET_KEY must be set.
  std::string key_path;
};

// Resolves the location from the command-line values (either may be empty)
// and the environment. Fails only when no directory can be derived at all
// (no HOME and nothing given).
base::Result<Location> ResolveLocation(const std::string& data_dir_flag,
                                       const std::string& store_flag);

}  // namespace contactsync::app
