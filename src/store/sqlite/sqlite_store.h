#pragma once

// SqliteStore: the Store (store/store.h) in one SQLite file, the embedded
// default.
//
// The file is opened in WAL mode (readers never wait for the writer), with
// foreign keys on and synchronous=NORMAL (durable across process crashes; a
// power cut may lose the last commits but never corrupts the file). Each
// mutating call is one BEGIN IMMEDIATE transaction; a writer waits up to the
// busy timeout for another process's write lock, then fails with
// kUnavailable. Prepared statements are cached per instance.
//
// Thread safety: one instance per thread; any number of instances and
// processes may share the file.

#include <memory>
#include <string>

#include "base/clock.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/store.h"

namespace contactsync::store::sqlite {

// The connection settings in force, as SQLite reports them; for diagnostics
// and tests.
struct ConnectionSettings {
  std::string journal_mode;  // "wal"
  bool foreign_keys = false;
  int64_t busy_timeout_ms = 0;
  int64_t synchronous = 0;  // 1 = NORMAL
};

class SqliteStore final : public Store {
 public:
  // Opens `path`, creating it and its parent directory when absent, and
  // applies pending migrations. InvalidArgument naming `path` when the file
  // is not a SQLite database; FailedPrecondition when its schema is newer
  // than this build. `clock` must outlive the store.
  static base::Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                         int busy_timeout_ms,
                                                         const base::Clock& clock);

  const std::string& path() const { return db_.path(); }
  base::Result<ConnectionSettings> Settings();

  base::Result<int> SchemaVersion() override;

  // ListStore (sqlite_store.cpp).
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

  // ContactStore (sqlite_store_contacts.cpp).
  base::Result<ContactChangeOutcome> SaveContact(const ContactChange& change) override;
  base::Result<Contact> GetContact(std::string_view email) override;
  base::Result<Contact> GetContactById(int64_t id) override;
  base::Result<ContactPage> FindContacts(const ContactFilter& filter) override;
  base::Status DeleteContact(std::string_view email) override;

  base::Status Unsubscribe(std::string_view email, std::string_view list,
                           const Cause& cause) override;
  base::Status MarkBounced(std::string_view email, const Cause& cause) override;
  base::Result<std::vector<HistoryEntry>> GetHistory(std::string_view email) override;

  // ConnectionStore (sqlite_store_connections.cpp).
  base::Result<ConnectionRecord> CreateConnection(const ConnectionRecord& record) override;
  base::Result<ConnectionRecord> UpdateConnection(const ConnectionRecord& record) override;
  base::Result<std::vector<ConnectionRecord>> GetConnections() override;
  base::Result<ConnectionRecord> GetConnection(std::string_view name) override;
  base::Status DeleteConnection(std::string_view name) override;

  // SyncStore: sync definitions, runs and batches (sqlite_store_syncs.cpp,
  // sqlite_store_sync_batch.cpp).
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

  // OutboxQueue and MailStore (sqlite_store_mail.cpp).
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
  SqliteStore(Database db, const base::Clock& clock) : db_(std::move(db)), clock_(clock) {}

  // Now as the store keeps times (schema 11: milliseconds since the Unix epoch, UTC).
  int64_t NowMillis() const { return base::UnixMillis(clock_.Now()); }

  Database db_;
  const base::Clock& clock_;
};

}  // namespace contactsync::store::sqlite
