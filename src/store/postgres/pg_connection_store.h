#pragma once

// PgConnectionStore: the ConnectionStore (store/connection_store.h) on the PostgreSQL store,
// on a session of its own (Open) or on the PgStore's (which forwards its ConnectionStore calls
// to one). The checks and errors are store_rules.h's, as the SQLite store's are; this keeps
// and finds.
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

  // On `db` (a migrated session that outlives this), for the PgStore.
  PgConnectionStore(Database& db, const base::Clock& clock) : db_(db), clock_(clock) {}

 private:
  PgConnectionStore(std::unique_ptr<Database> db, const base::Clock& clock)
      : owned_(std::move(db)), db_(*owned_), clock_(clock) {}

  int64_t NowMillis() const { return base::UnixMillis(clock_.Now()); }
  base::Result<std::optional<ConnectionRecord>> Find(std::string_view name);

  std::unique_ptr<Database> owned_;  // when opened on a session of its own
  Database& db_;
  const base::Clock& clock_;
};

}  // namespace contactsync::store::postgres
