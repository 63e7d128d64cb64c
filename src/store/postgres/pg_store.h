#pragma once

// PgStore: the Store (store/store.h) on a PostgreSQL server (issue 14), for users who run
// several servers and workers on one store. It passes the same conformance suites as the
// SQLite store (store_conformance_test.cpp); what it decides comes from the shared rules
// (store_rules.h, sync_batch_rules.h, mail_rules.h), and only the SQL is its own.
//
// One libpq session per instance (pg_database.h), like one SQLite connection per SqliteStore.
// Transactions: every write runs SERIALIZABLE and is retried on a serialization failure
// (InTransaction), so that a check-then-write (a contact looked up and then inserted, a run
// begun while none runs) behaves as under SQLite's one writer while other sessions write;
// reads run in one REPEATABLE READ snapshot. Two exceptions, each explained where it is:
//  - a sync batch writer holds its own READ COMMITTED transaction across batches, serialised
//    with other writers by an advisory lock, and locks its batch's contacts' rows
//    (pg_store_sync_batch.cpp); every other write of a contact's subscriptions locks the
//    contact's row first, so the two take turns on a contact;
//  - ClaimNextMessage and FinishMessage run READ COMMITTED (kLockedWrite: correct by row
//    locks alone; the claim takes its message FOR UPDATE SKIP LOCKED), so that senders on
//    many hosts never wait on or abort each other (pg_store_mail.cpp).
//
// Thread safety: one instance per thread; any number of instances and processes may share
// the database.

#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "store/postgres/pg_connection_store.h"
#include "store/postgres/pg_database.h"
#include "store/store.h"

namespace contactsync::store::postgres {

class PgStore final : public Store {
 public:
  // Opens the store at `url` (postgresql://...) and applies pending migrations (errors:
  // Database::Open's; FailedPrecondition when the schema is newer than this build). `clock`
  // must outlive the store.
  static base::Result<std::unique_ptr<PgStore>> Open(std::string_view url,
                                                     const base::Clock& clock);

  base::Result<int> SchemaVersion() override;

  // ListStore (pg_store.cpp).
  base::Result<ListInfo> CreateList(const NewList& list) override;
  base::Result<std::vector<ListInfo>> GetLists() override;
  base::Result<ListInfo> GetList(std::string_view name) override;
  base::Status DeleteList(std::string_view name) override;

  base::Result<CustomField> CreateField(const model::FieldDefinition& field) override;
  base::Result<std::vector<CustomField>> GetFields() override;
  base::Status DeleteField(std::string_view key) override;
  base::Result<Exclusion> AddExclusion(std::string_view pattern,
                                       std::optional<std::string> list) override;
  base::Result<std::vector<Exclusion>> GetExclusions(std::optional<std::string> list) override;
  base::Status RemoveExclusion(int64_t id) override;
  base::Result<std::optional<Exclusion>> FindExclusion(std::string_view email,
                                                       std::string_view list) override;

  // ContactStore (pg_store_contacts.cpp).
  base::Result<ContactChangeOutcome> SaveContact(const ContactChange& change) override;
  base::Result<Contact> GetContact(std::string_view email) override;
  base::Result<Contact> GetContactById(int64_t id) override;
  base::Result<ContactPage> FindContacts(const ContactFilter& filter) override;
  base::Status DeleteContact(std::string_view email) override;

  base::Status Unsubscribe(std::string_view email, std::string_view list,
                           const Cause& cause) override;
  base::Status MarkBounced(std::string_view email, const Cause& cause) override;
  base::Result<std::vector<HistoryEntry>> GetHistory(std::string_view email) override;

  // ConnectionStore: PgConnectionStore's, on this session.
  base::Result<ConnectionRecord> CreateConnection(const ConnectionRecord& record) override {
    return connections_.CreateConnection(record);
  }
  base::Result<ConnectionRecord> UpdateConnection(const ConnectionRecord& record) override {
    return connections_.UpdateConnection(record);
  }
  base::Result<std::vector<ConnectionRecord>> GetConnections() override {
    return connections_.GetConnections();
  }
  base::Result<ConnectionRecord> GetConnection(std::string_view name) override {
    return connections_.GetConnection(name);
  }
  base::Status DeleteConnection(std::string_view name) override {
    return connections_.DeleteConnection(name);
  }

  // SyncStore: sync definitions and runs (pg_store_syncs.cpp), batches
  // (pg_store_sync_batch.cpp).
  base::Result<SyncRecord> CreateSync(std::string_view name,
                                      std::string_view definition_json) override;
  base::Result<SyncRecord> UpdateSync(std::string_view name, std::string_view new_name,
                                      std::string_view definition_json) override;
  base::Result<SyncRecord> GetSync(std::string_view name) override;
  base::Result<std::vector<SyncRecord>> GetSyncs() override;
  base::Status DeleteSync(std::string_view name) override;
  base::Result<RunRecord> BeginRun(std::string_view sync_name, std::string_view started_by,
                                   std::string_view holder) override;
  base::Result<std::optional<RunRecord>> GetRunningRun(std::string_view sync_name) override;
  base::Status AbandonRun(int64_t run_id, std::string_view holder,
                          std::string_view message) override;
  base::Status AddRunFailures(int64_t run_id, const std::vector<RunFailure>& failures) override;
  base::Status RenewHolderLease(std::string_view holder, std::chrono::milliseconds lease) override;
  base::Status ReleaseHolderLease(std::string_view holder) override;
  base::Status FinishRun(const RunRecord& run) override;
  base::Result<RunRecord> GetRun(int64_t run_id) override;
  base::Result<std::vector<RunRecord>> GetRuns(std::string_view sync_name) override;
  base::Result<std::vector<RunFailure>> GetRunFailures(int64_t run_id) override;
  base::Result<RunFailurePage> GetRunFailurePage(int64_t run_id, std::string_view reason,
                                                 int64_t limit, int64_t offset) override;
  base::Result<std::unique_ptr<SyncBatchWriter>> OpenSyncBatchWriter(
      const SyncBatchOptions& options) override;

  // OutboxQueue and MailStore (pg_store_mail.cpp).
  base::Result<std::optional<ClaimedMessage>> ClaimNextMessage() override;
  base::Status FinishMessage(const MessageOutcome& outcome) override;
  base::Result<int64_t> FailAbandonedClaims(std::string_view claimed_before,
                                            std::string_view error) override;
  base::Result<int64_t> CountMessagesSentSince(std::string_view since) override;
  base::Result<std::optional<std::string>> NextDueTime() override;
  base::Result<std::optional<MailSettingsRecord>> GetMailSettings() override;
  base::Result<MailSettingsRecord> SaveMailSettings(const MailSettingsRecord& record) override;
  base::Result<Autoresponder> CreateAutoresponder(const NewAutoresponder& autoresponder) override;
  base::Result<std::vector<Autoresponder>> GetAutoresponders(
      std::optional<std::string> list) override;
  base::Status DeleteAutoresponder(int64_t id) override;
  base::Status RequeueMessage(int64_t id) override;
  base::Status CancelMessage(int64_t id) override;
  base::Result<int64_t> CancelQueuedMessages() override;
  base::Result<OutboxPage> GetOutbox(const OutboxFilter& filter) override;
  base::Result<LinkOutcome> ConfirmByLink(int64_t contact_id, int64_t list_id) override;
  base::Result<LinkOutcome> UnsubscribeByLink(int64_t contact_id, int64_t list_id) override;

 private:
  PgStore(std::unique_ptr<Database> db, const base::Clock& clock)
      : db_(std::move(db)), clock_(clock), connections_(*db_, clock) {}

  // Now as the store's code speaks times: milliseconds since the Unix epoch, UTC (the schema's
  // cs_ts makes a timestamptz of them).
  int64_t NowMillis() const { return base::UnixMillis(clock_.Now()); }

  std::unique_ptr<Database> db_;  // stays at one address: connections_ and writers hold it
  const base::Clock& clock_;
  PgConnectionStore connections_;
};

}  // namespace contactsync::store::postgres
