// SqliteStore: saved connections to external databases.

#include <fmt/format.h>

#include "base/text.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr std::string_view kConnectionColumns =
    "SELECT id, owner_id, name, type, host, port, user_name, sealed_password, database_name, "
    "tls_mode, tls_ca_file, connect_timeout_s, query_timeout_s, created_at, updated_at, "
    "allowed_functions, allow_custom_query_with_privileged_account "
    "FROM connections";

ConnectionRecord ReadConnection(const Statement& row) {
  ConnectionRecord record;
  record.id = row.ColumnInt64(0);
  record.owner_id = row.ColumnText(1);
  record.name = row.ColumnText(2);
  record.type = row.ColumnText(3);
  record.host = row.ColumnText(4);
  record.port = static_cast<int>(row.ColumnInt64(5));
  record.user = row.ColumnText(6);
  record.sealed_password = row.ColumnBlob(7);
  record.database = row.ColumnText(8);
  record.tls_mode = row.ColumnText(9);
  record.tls_ca_file = row.ColumnText(10);
  record.connect_timeout_s = static_cast<int>(row.ColumnInt64(11));
  record.query_timeout_s = static_cast<int>(row.ColumnInt64(12));
  record.created_at = ShownTime(row, 13);
  record.updated_at = ShownTime(row, 14);
  record.allowed_functions = AllowedFunctionsFromJson(row.ColumnText(15));
  record.allow_custom_query_with_privileged_account = row.ColumnInt64(16) != 0;
  return record;
}

base::Result<std::optional<ConnectionRecord>> FindConnection(Database& db, std::string_view name) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached(fmt::format("{} WHERE name = ?1", kConnectionColumns)));
  query->Bind(1, base::TrimAscii(name));
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<ConnectionRecord>();
  return std::optional<ConnectionRecord>(ReadConnection(*query));
}

}  // namespace

base::Result<ConnectionRecord> SqliteStore::CreateConnection(const ConnectionRecord& input) {
  CS_ASSIGN_OR_RETURN(ConnectionRecord record, ValidateNewConnectionRecord(input));
  return InTransaction(db_, TransactionKind::kWrite, [&]() -> base::Result<ConnectionRecord> {
    CS_ASSIGN_OR_RETURN(const auto existing, FindConnection(db_, record.name));
    if (existing) {
      return ConnectionNameTaken(record.name);
    }
    const int64_t now = NowMillis();
    record.created_at = record.updated_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db_.Cached("INSERT INTO connections (owner_id, name, type, host, port, user_name, "
                   "sealed_password, database_name, tls_mode, tls_ca_file, connect_timeout_s, "
                   "query_timeout_s, created_at, updated_at, allowed_functions, "
                   "allow_custom_query_with_privileged_account) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?16)"));
    insert->Bind(1, record.owner_id)
        .Bind(2, record.name)
        .Bind(3, record.type)
        .Bind(4, record.host)
        .Bind(5, int64_t{record.port})
        .Bind(6, record.user)
        .BindBlob(7, record.sealed_password)
        .Bind(8, record.database)
        .Bind(9, record.tls_mode)
        .Bind(10, record.tls_ca_file)
        .Bind(11, int64_t{record.connect_timeout_s})
        .Bind(12, int64_t{record.query_timeout_s})
        .Bind(13, now)
        .Bind(14, now)
        .Bind(15, AllowedFunctionsToJson(record.allowed_functions))
        .Bind(16, int64_t{record.allow_custom_query_with_privileged_account ? 1 : 0});
    CS_RETURN_IF_ERROR(insert->Run());
    record.id = db_.LastInsertRowId();
    return record;
  });
}

base::Result<ConnectionRecord> SqliteStore::UpdateConnection(const ConnectionRecord& input) {
  CS_ASSIGN_OR_RETURN(ConnectionRecord record, ValidateConnectionRecord(input));
  return InTransaction(db_, TransactionKind::kWrite, [&]() -> base::Result<ConnectionRecord> {
    CS_ASSIGN_OR_RETURN(const auto existing, FindConnection(db_, record.name));
    if (!existing) return ConnectionNotFound(record.name);
    record.id = existing->id;
    record.owner_id = existing->owner_id;
    record.created_at = existing->created_at;
    const int64_t now = NowMillis();
    record.updated_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE connections SET type = ?2, host = ?3, port = ?4, user_name = ?5, "
                   "sealed_password = ?6, database_name = ?7, tls_mode = ?8, tls_ca_file = ?9, "
                   "connect_timeout_s = ?10, query_timeout_s = ?11, updated_at = ?12, "
                   "allowed_functions = ?13, allow_custom_query_with_privileged_account = ?14 "
                   "WHERE id = ?1"));
    update->Bind(1, record.id)
        .Bind(2, record.type)
        .Bind(3, record.host)
        .Bind(4, int64_t{record.port})
        .Bind(5, record.user)
        .BindBlob(6, record.sealed_password)
        .Bind(7, record.database)
        .Bind(8, record.tls_mode)
        .Bind(9, record.tls_ca_file)
        .Bind(10, int64_t{record.connect_timeout_s})
        .Bind(11, int64_t{record.query_timeout_s})
        .Bind(12, now)
        .Bind(13, AllowedFunctionsToJson(record.allowed_functions))
        .Bind(14, int64_t{record.allow_custom_query_with_privileged_account ? 1 : 0});
    CS_RETURN_IF_ERROR(update->Run());
    return record;
  });
}

base::Result<std::vector<ConnectionRecord>> SqliteStore::GetConnections() {
  return InTransaction(
      db_, TransactionKind::kRead, [&]() -> base::Result<std::vector<ConnectionRecord>> {
        CS_ASSIGN_OR_RETURN(CachedStatement query,
                            db_.Cached(fmt::format("{} ORDER BY name", kConnectionColumns)));
        std::vector<ConnectionRecord> records;
        while (true) {
          CS_ASSIGN_OR_RETURN(const bool row, query->Step());
          if (!row) return records;
          records.push_back(ReadConnection(*query));
        }
      });
}

base::Result<ConnectionRecord> SqliteStore::GetConnection(std::string_view name) {
  return InTransaction(db_, TransactionKind::kRead, [&]() -> base::Result<ConnectionRecord> {
    CS_ASSIGN_OR_RETURN(const auto record, FindConnection(db_, name));
    if (!record) return ConnectionNotFound(name);
    return *record;
  });
}

base::Status SqliteStore::DeleteConnection(std::string_view name) {
  return InTransaction(db_, TransactionKind::kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const auto record, FindConnection(db_, name));
    if (!record) return ConnectionNotFound(name);
    CS_ASSIGN_OR_RETURN(CachedStatement remove,
                        db_.Cached("DELETE FROM connections WHERE id = ?1"));
    remove->Bind(1, record->id);
    return remove->Run();
  });
}

}  // namespace contactsync::store::sqlite
