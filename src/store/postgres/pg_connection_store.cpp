#include "store/postgres/pg_connection_store.h"

#include <string>

#include "base/text.h"
#include "store/postgres/pg_migrations.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

constexpr std::string_view kConnectionColumns =
    "SELECT id, owner_id, name, type, host, port, user_name, sealed_password, database_name, "
    "tls_mode, tls_ca_file, connect_timeout_s, query_timeout_s, cs_ms(created_at), "
    "cs_ms(updated_at), allowed_functions::text, allow_custom_query_with_privileged_account "
    "FROM connections ";

ConnectionRecord ReadConnection(const Rows& rows, int row) {
  ConnectionRecord record;
  record.id = rows.Int64(row, 0);
  record.owner_id = rows.Text(row, 1);
  record.name = rows.Text(row, 2);
  record.type = rows.Text(row, 3);
  record.host = rows.Text(row, 4);
  record.port = static_cast<int>(rows.Int64(row, 5));
  record.user = rows.Text(row, 6);
  record.sealed_password = rows.Bytea(row, 7);
  record.database = rows.Text(row, 8);
  record.tls_mode = rows.Text(row, 9);
  record.tls_ca_file = rows.Text(row, 10);
  record.connect_timeout_s = static_cast<int>(rows.Int64(row, 11));
  record.query_timeout_s = static_cast<int>(rows.Int64(row, 12));
  record.created_at = base::FormatUnixMillis(rows.Int64(row, 13));
  record.updated_at = base::FormatUnixMillis(rows.Int64(row, 14));
  record.allowed_functions = AllowedFunctionsFromJson(rows.Text(row, 15));
  record.allow_custom_query_with_privileged_account = rows.Bool(row, 16);
  return record;
}

int64_t Flag(bool value) { return value ? 1 : 0; }

}  // namespace

base::Result<std::unique_ptr<PgConnectionStore>> PgConnectionStore::Open(std::string_view url,
                                                                         const base::Clock& clock) {
  CS_ASSIGN_OR_RETURN(Database db, OpenMigrated(url));
  return std::unique_ptr<PgConnectionStore>(
      new PgConnectionStore(std::make_unique<Database>(std::move(db)), clock));
}

base::Result<std::optional<ConnectionRecord>> PgConnectionStore::Find(std::string_view name) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db_.Exec(std::string(kConnectionColumns) + "WHERE name = $1",
                                                {base::TrimAscii(name)}));
  if (rows.size() == 0) return std::optional<ConnectionRecord>();
  return std::optional<ConnectionRecord>(ReadConnection(rows, 0));
}

base::Result<ConnectionRecord> PgConnectionStore::CreateConnection(const ConnectionRecord& input) {
  CS_ASSIGN_OR_RETURN(const ConnectionRecord record, ValidateNewConnectionRecord(input));
  return InTransaction(db_, kWrite, [&]() -> base::Result<ConnectionRecord> {
    CS_ASSIGN_OR_RETURN(const std::optional<ConnectionRecord> existing, Find(record.name));
    if (existing) return ConnectionNameTaken(record.name);
    const std::string functions = AllowedFunctionsToJson(record.allowed_functions);
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_.Exec("INSERT INTO connections (owner_id, name, type, host, port, user_name, "
                 "sealed_password, database_name, tls_mode, tls_ca_file, connect_timeout_s, "
                 "query_timeout_s, created_at, updated_at, allowed_functions, "
                 "allow_custom_query_with_privileged_account) VALUES ($1, $2, $3, $4, $5, $6, "
                 "$7, $8, $9, $10, $11, $12, cs_ts($13), cs_ts($13), $14::jsonb, $15::integer "
                 "<> 0)",
                 {record.owner_id, record.name, record.type, record.host, int64_t{record.port},
                  record.user, Bytes{record.sealed_password}, record.database, record.tls_mode,
                  record.tls_ca_file, int64_t{record.connect_timeout_s},
                  int64_t{record.query_timeout_s}, NowMillis(), std::string_view(functions),
                  Flag(record.allow_custom_query_with_privileged_account)}));
    CS_ASSIGN_OR_RETURN(const std::optional<ConnectionRecord> created, Find(record.name));
    if (!created) return base::Internal("the new connection vanished");
    return *created;
  });
}

base::Result<ConnectionRecord> PgConnectionStore::UpdateConnection(const ConnectionRecord& input) {
  CS_ASSIGN_OR_RETURN(const ConnectionRecord record, ValidateConnectionRecord(input));
  return InTransaction(db_, kWrite, [&]() -> base::Result<ConnectionRecord> {
    CS_ASSIGN_OR_RETURN(const std::optional<ConnectionRecord> existing, Find(record.name));
    if (!existing) return ConnectionNotFound(record.name);
    const std::string functions = AllowedFunctionsToJson(record.allowed_functions);
    // owner_id and created_at are kept: the password stays sealed for the first owner.
    CS_RETURN_IF_ERROR(
        db_.Exec("UPDATE connections SET type = $2, host = $3, port = $4, user_name = $5, "
                 "sealed_password = $6, database_name = $7, tls_mode = $8, tls_ca_file = $9, "
                 "connect_timeout_s = $10, query_timeout_s = $11, updated_at = cs_ts($12), "
                 "allowed_functions = $13::jsonb, "
                 "allow_custom_query_with_privileged_account = $14::integer <> 0 WHERE id = $1",
                 {existing->id, record.type, record.host, int64_t{record.port}, record.user,
                  Bytes{record.sealed_password}, record.database, record.tls_mode,
                  record.tls_ca_file, int64_t{record.connect_timeout_s},
                  int64_t{record.query_timeout_s}, NowMillis(), std::string_view(functions),
                  Flag(record.allow_custom_query_with_privileged_account)})
            .status());
    CS_ASSIGN_OR_RETURN(const std::optional<ConnectionRecord> updated, Find(record.name));
    if (!updated) return base::Internal("the updated connection vanished");
    return *updated;
  });
}

base::Result<std::vector<ConnectionRecord>> PgConnectionStore::GetConnections() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<ConnectionRecord>> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_.Exec(std::string(kConnectionColumns) + "ORDER BY name COLLATE \"C\""));
    std::vector<ConnectionRecord> records;
    for (int i = 0; i < rows.size(); ++i) records.push_back(ReadConnection(rows, i));
    return records;
  });
}

base::Result<ConnectionRecord> PgConnectionStore::GetConnection(std::string_view name) {
  return InTransaction(db_, kRead, [&]() -> base::Result<ConnectionRecord> {
    CS_ASSIGN_OR_RETURN(const std::optional<ConnectionRecord> record, Find(name));
    if (!record) return ConnectionNotFound(name);
    return *record;
  });
}

base::Status PgConnectionStore::DeleteConnection(std::string_view name) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const Rows rows, db_.Exec("DELETE FROM connections WHERE name = $1",
                                                  {base::TrimAscii(name)}));
    if (rows.Affected() == 0) return ConnectionNotFound(name);
    return base::Status::Ok();
  });
}

}  // namespace contactsync::store::postgres
