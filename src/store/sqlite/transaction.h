#pragma once

// Transactions on a Database: one per mutating store call, so that a failed
// call writes nothing.
//
// Writes begin with BEGIN IMMEDIATE, taking the write lock up front: a
// deferred transaction that reads first and then tries to write can fail
// with SQLITE_BUSY without the busy handler being able to help, and it could
// decide on data another writer is about to change. Reads use a deferred
// transaction so that a call reading several tables sees one snapshot.

#include <utility>

#include "base/status.h"
#include "store/sqlite/sqlite_handle.h"

namespace contactsync::store::sqlite {

enum class TransactionKind { kRead, kWrite };

// Rolls back on destruction unless committed. Must not outlive its Database.
class Transaction {
 public:
  // kUnavailable when the write lock is not obtained within the busy timeout.
  static base::Result<Transaction> Begin(Database& db, TransactionKind kind);

  ~Transaction();
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  base::Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed or rolled back
};

// Runs `body` (returning Status or Result<T>) in a transaction of `kind`,
// committing when it succeeds and rolling back when it fails.
template <typename Body>
auto InTransaction(Database& db, TransactionKind kind, Body&& body) -> decltype(body()) {
  CS_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db, kind));
  auto result = body();
  if (!result.ok()) return result;
  CS_RETURN_IF_ERROR(transaction.Commit());
  return result;
}

}  // namespace contactsync::store::sqlite
