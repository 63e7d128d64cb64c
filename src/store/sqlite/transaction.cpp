#include "store/sqlite/transaction.h"

namespace contactsync::store::sqlite {

base::Result<Transaction> Transaction::Begin(Database& db, TransactionKind kind) {
  CS_RETURN_IF_ERROR(db.Exec(kind == TransactionKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  // SQLite rolls back by itself after some errors (a full disk, an I/O
  // error); a second ROLLBACK would only fail.
  if (db_ != nullptr && db_->InTransaction()) {
    (void)db_->Exec("ROLLBACK");
  }
}

base::Status Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  const base::Status status = db->Exec("COMMIT");
  if (!status.ok() && db->InTransaction()) (void)db->Exec("ROLLBACK");
  return status;
}

}  // namespace contactsync::store::sqlite
