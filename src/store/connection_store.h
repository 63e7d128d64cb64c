#pragma once

// ConnectionStore: the saved connections to users' databases. Errors and
// thread safety: store_common.h.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store_common.h"

namespace contactsync::store {

// A saved connection to an external database, as the store keeps it. The
// store knows nothing of drivers: `type` and `tls_mode` are the source
// module's names, checked by the layer above (app/connections.h), and the
// password arrives already sealed (secrets/secret_box.h) for `owner_id`.
struct ConnectionRecord {
  int64_t id = 0;
  std::string owner_id;  // random, fixed at creation; binds the sealed password
  std::string name;      // unique, 1..255 bytes, no control characters
  std::string type;
  std::string host;
  int port = 0;
  std::string user;
  std::string sealed_password;  // bytes; empty when there is no password
  std::string database;         // name, or file path for SQLite
  std::string tls_mode;
  std::string tls_ca_file;
  int connect_timeout_s = 0;
  int query_timeout_s = 0;
  // The connection's custom-query policy (source::ConnectionSettings), checked
  // by the layer above: user functions a custom query may call, kept in order.
  std::vector<std::string> allowed_functions;
  bool allow_custom_query_with_privileged_account = false;
  std::string created_at;
  std::string updated_at;
};

class ConnectionStore {
 public:
  virtual ~ConnectionStore() = default;

  // Saved connections. Create fails with kAlreadyExists for a taken name;
  // Update replaces every setting of the connection with `record.name`
  // (owner_id and created_at are kept); Get/Update/Delete fail with kNotFound
  // for an unknown name. GetConnections orders by name.
  virtual base::Result<ConnectionRecord> CreateConnection(const ConnectionRecord& record) = 0;
  virtual base::Result<ConnectionRecord> UpdateConnection(const ConnectionRecord& record) = 0;
  virtual base::Result<std::vector<ConnectionRecord>> GetConnections() = 0;
  virtual base::Result<ConnectionRecord> GetConnection(std::string_view name) = 0;
  virtual base::Status DeleteConnection(std::string_view name) = 0;
};

}  // namespace contactsync::store
