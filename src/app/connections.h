#pragma once

// Saved connections to external databases: the bridge between what the store
// keeps (settings with the password sealed) and what a driver needs (settings
// with the password in clear, for the moment of connecting).
//
// The password is sealed with secrets::SecretBox, bound to the connection's
// random owner id, before it reaches the store, and opened only in Settings().
// Nothing here returns the password to a caller that displays things: the
// ConnectionView has none.
//
// Thread safety: not thread-safe (it uses one ConnectionStore).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "secrets/secret_box.h"
#include "source/settings.h"
#include "source/source.h"
#include "store/connection_store.h"

namespace contactsync::app {

// What may be shown of a connection: everything but the password.
struct ConnectionView {
  int64_t id = 0;  // the store's id
  std::string name;
  source::ConnectionSettings settings;  // settings.password is always empty
  bool has_password = false;
  std::string created_at;
  std::string updated_at;
  // Set by Connections::Update only: why the saved password was removed
  // ("the host changed"), empty when it was kept or replaced.
  std::string password_cleared_because;
};

// At most this many allowed functions per connection, each at most this long
// (PostgreSQL's identifier limit; MariaDB's is 64).
inline constexpr size_t kMaxAllowedFunctions = 100;
inline constexpr size_t kMaxFunctionNameBytes = 63;

// `names` as a connection keeps them: trimmed, lower-case, duplicates removed,
// order kept. InvalidArgument naming the first bad one: each must be an
// identifier ([a-z_][a-z0-9_$]*), optionally qualified by one schema
// ("shop.discount"), at most kMaxFunctionNameBytes per part.
base::Result<std::vector<std::string>> NormalizeAllowedFunctions(
    const std::vector<std::string>& names);

// Why a password saved for `before` must not be sent to `after`: the first
// of type, host, port, user, TLS mode or CA file that differs ("the host
// changed"), or empty when none does.
std::string WhyPasswordCannotFollow(const source::ConnectionSettings& before,
                                    const source::ConnectionSettings& after);

class Connections {
 public:
  // Neither is owned; both must outlive this object.
  Connections(store::ConnectionStore& store, const secrets::SecretBox& box)
      : store_(store), box_(box) {}

  // Validates (source::Validate, NormalizeAllowedFunctions, a name check) and
  // saves a new connection.
  base::Result<ConnectionView> Add(const std::string& name, source::ConnectionSettings settings);

  // Replaces the settings of `name`. When `new_password` is nullopt the stored
  // password is kept only while the settings still point at the same account
  // on the same server (WhyPasswordCannotFollow is empty); otherwise it is
  // removed, so that a saved password never follows a connection to a new
  // host, and the view's password_cleared_because says why.
  base::Result<ConnectionView> Update(const std::string& name, source::ConnectionSettings settings,
                                      const std::optional<std::string>& new_password);

  base::Result<std::vector<ConnectionView>> List();
  base::Result<ConnectionView> Get(const std::string& name);
  base::Status Remove(const std::string& name);

  // The full settings, password opened, for a driver. Never display these.
  base::Result<source::ConnectionSettings> Settings(const std::string& name);

  // A read-only session on saved connection `name` (source::OpenSource).
  base::Result<std::unique_ptr<source::SourceConnector>> Open(const std::string& name);

 private:
  store::ConnectionStore& store_;
  const secrets::SecretBox& box_;
};

// A session on connection settings that are not saved (a wizard's "Test
// connection"): source::Validate, then source::OpenSource.
base::Result<std::unique_ptr<source::SourceConnector>> OpenConnector(
    const source::ConnectionSettings& settings);

}  // namespace contactsync::app
