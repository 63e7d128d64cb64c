#pragma once

// PgConnectionStore: the ConnectionStore (store/connection_store.h) on the PostgreSQL store,
// on its own session. The checks and errors are store_rules.h's, as the SQLite store's are;
// this keeps and finds. (The PostgreSQL Store, when every contract of it is built, forwards
// its ConnectionStore calls to one of these on its session.)
//
// Thread safety: one instance per thread.

#include <memory>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "store/connection_store.h"
#include "store/postgres/pg_database.h"

namespace contactsync::store::postgres {

class PgConnectionStore final : public ConnectionStore {
 public:
  // Opens the store at `url` (postgresql://...) and applies its migrations. `clock` must
  // outlive the store.
  static base::Result<std::unique_ptr<PgConnectionStore>> Open(std::string_view url,
                                                               const base::Clock& clock);

  base::Result<ConnectionRecord> CreateConnection(const ConnectionRecord& record) override;
  base::Result<ConnectionRecord> UpdateConnection(const ConnectionRecord& record) override;
  base::Result<std::vector<ConnectionRecord>> GetConnections() override;
  base::Result<ConnectionRecord> GetConnection(std::string_view name) override;
  base::Status DeleteConnection(std::string_view name) override;

 private:
  PgConnectionStore(Database db, const base::Clock& clock) : db_(std::move(db)), clock_(clock) {}

  int64_t NowMillis() const { return base::UnixMillis(clock_.Now()); }
  base::Result<std::optional<ConnectionRecord>> Find(std::string_view name);

  Database db_;
  const base::Clock& clock_;
};

}  // namespace contactsync::store::postgres
