// SqliteStore: mail settings, autoresponders, the outbox and the
// confirm/unsubscribe links (mail_store.h; docs/mail.md).

#include <fmt/format.h>

#include "base/text.h"
#include "store/mail_rules.h"
#include "store/sqlite/mail_queue.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

constexpr std::string_view kOutboxColumns =
    "SELECT o.id, o.idempotency_key, o.kind, o.contact_id, o.list_id, c.email, l.name, "
    "o.autoresponder_id, o.state, o.attempts, o.next_attempt_at, o.claimed_at, o.sent_at, "
    "o.last_error, o.recipient, o.subject, o.created_at FROM mail_outbox o "
    "JOIN contacts c ON c.id = o.contact_id JOIN lists l ON l.id = o.list_id ";

base::Result<OutboxMessage> ReadOutboxRow(const Statement& row) {
  OutboxMessage message;
  message.id = row.ColumnInt64(0);
  message.idempotency_key = row.ColumnText(1);
  message.kind = StoredOutboxKind(row.ColumnText(2));
  message.contact_id = row.ColumnInt64(3);
  message.list_id = row.ColumnInt64(4);
  message.email = row.ColumnText(5);
  message.list_name = row.ColumnText(6);
  if (!row.ColumnIsNull(7)) message.autoresponder_id = row.ColumnInt64(7);
  CS_ASSIGN_OR_RETURN(message.state, StoredOutboxState(row.ColumnText(8)));
  message.attempts = row.ColumnInt64(9);
  message.next_attempt_at = ShownTime(row, 10);
  message.claimed_at = ShownTime(row, 11);
  message.sent_at = ShownTime(row, 12);
  message.last_error = row.ColumnText(13);
  message.recipient = row.ColumnText(14);
  message.subject = row.ColumnText(15);
  message.created_at = ShownTime(row, 16);
  return message;
}

base::Result<std::optional<std::string>> ListNameById(Database& db, int64_t list_id) {
  CS_ASSIGN_OR_RETURN(CachedStatement query, db.Cached("SELECT name FROM lists WHERE id = ?1"));
  query->Bind(1, list_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(query->ColumnText(0));
}

// LinkTarget, SubjectOf: mail_rules.h.

base::Result<std::optional<std::string>> MatchingExclusionPattern(Database& db,
                                                                  const LinkTarget& target) {
  CS_ASSIGN_OR_RETURN(const std::optional<Exclusion> exclusion,
                      FindMatchingExclusion(db, target.list, target.email_key));
  if (!exclusion) return std::optional<std::string>();
  return std::optional<std::string>(exclusion->pattern);
}

base::Result<LinkTarget> FindLinkTarget(Database& db, int64_t contact_id, int64_t list_id) {
  LinkTarget target;
  {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db.Cached(
            "SELECT email, email_key, bounced, ever_unsubscribed FROM contacts WHERE id = ?1"));
    query->Bind(1, contact_id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return LinkContactGone();
    target.contact_id = contact_id;
    target.email = query->ColumnText(0);
    target.email_key = query->ColumnText(1);
    target.bounced = query->ColumnInt64(2) != 0;
    target.ever_unsubscribed = query->ColumnInt64(3) != 0;
  }
  CS_ASSIGN_OR_RETURN(const std::optional<std::string> name, ListNameById(db, list_id));
  if (!name) return LinkListGone();
  target.list = ListRef{list_id, *name};
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db.Cached("SELECT status FROM subscriptions WHERE contact_id = ?1 AND list_id = ?2"));
  query->Bind(1, contact_id).Bind(2, list_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (row) {
    CS_ASSIGN_OR_RETURN(target.status, StoredStatus(query->ColumnText(0)));
  }
  return target;
}

base::Status SetOutboxState(Database& db, int64_t id, std::string_view state,
                            std::string_view error, int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement update,
      db.Cached(
          "UPDATE mail_outbox SET state = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1"));
  update->Bind(1, id).Bind(2, state).Bind(3, error).Bind(4, now_ms);
  return update->Run();
}

base::Status InsertQueuedMessage(Database& db, OutboxKind kind, int64_t contact_id,
                                 const ListRef& list, std::optional<int64_t> autoresponder_id,
                                 bool autoresponders_on_confirm, int64_t due_ms, int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db.Cached("INSERT INTO mail_outbox (idempotency_key, kind, contact_id, list_id, "
                "autoresponder_id, autoresponders_on_confirm, state, next_attempt_at, created_at, "
                "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?8)"));
  insert->Bind(1, NewIdempotencyKey())
      .Bind(2, OutboxKindName(kind))
      .Bind(3, contact_id)
      .Bind(4, list.id)
      .Bind(6, int64_t{autoresponders_on_confirm ? 1 : 0})
      .Bind(7, due_ms)
      .Bind(8, now_ms);
  if (autoresponder_id) {
    insert->Bind(5, *autoresponder_id);
  } else {
    insert->BindNull(5);
  }
  return insert->Run();
}

base::Status QueueConfirmation(Database& db, int64_t contact_id, const ListRef& list,
                               bool autoresponders_on_confirm, int64_t now_ms) {
  return InsertQueuedMessage(db, OutboxKind::kConfirmation, contact_id, list, std::nullopt,
                             autoresponders_on_confirm, now_ms, now_ms);
}

struct AutoresponderDelay {
  int64_t id = 0;
  int64_t delay_s = 0;
};

// One indexed look-up whatever the number of autoresponders, so that a sync
// pays one per newly active contact (none of its rows when the list has no
// autoresponder).
base::Result<std::vector<AutoresponderDelay>> ListAutoresponderDelays(Database& db,
                                                                      int64_t list_id) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db.Cached("SELECT id, delay_s FROM mail_autoresponders WHERE list_id = ?1 ORDER BY id"));
  query->Bind(1, list_id);
  std::vector<AutoresponderDelay> delays;
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return delays;
    delays.push_back({query->ColumnInt64(0), query->ColumnInt64(1)});
  }
}

base::Status QueueAutoresponders(Database& db, int64_t contact_id, const ListRef& list,
                                 int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(const std::vector<AutoresponderDelay> delays,
                      ListAutoresponderDelays(db, list.id));
  for (const AutoresponderDelay& autoresponder : delays) {
    CS_ASSIGN_OR_RETURN(const int64_t due_ms, AutoresponderDueTime(now_ms, autoresponder.delay_s));
    CS_RETURN_IF_ERROR(InsertQueuedMessage(db, OutboxKind::kAutoresponder, contact_id, list,
                                           autoresponder.id, false, due_ms, now_ms));
  }
  return base::Status::Ok();
}

// The autoresponders_on_confirm of the latest confirmation queued for the
// subscription; nullopt when none was.
base::Result<std::optional<bool>> LatestConfirmationAutoresponders(Database& db, int64_t contact_id,
                                                                   int64_t list_id) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement query,
      db.Cached("SELECT autoresponders_on_confirm FROM mail_outbox WHERE contact_id = ?1 "
                "AND list_id = ?2 AND kind = 'confirmation' ORDER BY id DESC LIMIT 1"));
  query->Bind(1, contact_id).Bind(2, list_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<bool>();
  return std::optional<bool>(query->ColumnInt64(0) != 0);
}

}  // namespace

base::Status QueueMailForChange(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                bool autoresponders, int64_t now_ms) {
  const MailForChange mail = DecideMailForChange(from, to, autoresponders);
  if (mail.confirmation) {
    return QueueConfirmation(db, contact_id, list, mail.autoresponders_on_confirm, now_ms);
  }
  if (mail.autoresponders) return QueueAutoresponders(db, contact_id, list, now_ms);
  return base::Status::Ok();
}

base::Result<std::optional<MailSettingsRecord>> SqliteStore::GetMailSettings() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::optional<MailSettingsRecord>> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT owner_id, smtp_host, smtp_port, tls_mode, smtp_user, sealed_password, "
                   "from_name, from_email, hourly_cap, base_url, updated_at, tls_ca_file "
                   "FROM mail_settings WHERE id = 1"));
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return std::optional<MailSettingsRecord>();
    MailSettingsRecord record;
    record.owner_id = query->ColumnText(0);
    record.smtp_host = query->ColumnText(1);
    record.smtp_port = static_cast<int>(query->ColumnInt64(2));
    record.tls_mode = query->ColumnText(3);
    record.smtp_user = query->ColumnText(4);
    record.sealed_password = query->ColumnBlob(5);
    record.from_name = query->ColumnText(6);
    record.from_email = query->ColumnText(7);
    record.hourly_cap = query->ColumnInt64(8);
    record.base_url = query->ColumnText(9);
    record.updated_at = ShownTime(*query, 10);
    record.tls_ca_file = query->ColumnText(11);
    return std::optional<MailSettingsRecord>(std::move(record));
  });
}

base::Result<MailSettingsRecord> SqliteStore::SaveMailSettings(const MailSettingsRecord& input) {
  CS_ASSIGN_OR_RETURN(MailSettingsRecord record, ValidateMailSettings(input));
  return InTransaction(db_, kWrite, [&]() -> base::Result<MailSettingsRecord> {
    const int64_t now = NowMillis();
    record.updated_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        CachedStatement upsert,
        db_.Cached("INSERT INTO mail_settings (id, owner_id, smtp_host, smtp_port, tls_mode, "
                   "smtp_user, sealed_password, from_name, from_email, hourly_cap, base_url, "
                   "updated_at, tls_ca_file) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                   "?11, ?12) "
                   "ON CONFLICT (id) DO UPDATE SET smtp_host = excluded.smtp_host, "
                   "smtp_port = excluded.smtp_port, tls_mode = excluded.tls_mode, "
                   "smtp_user = excluded.smtp_user, sealed_password = excluded.sealed_password, "
                   "from_name = excluded.from_name, from_email = excluded.from_email, "
                   "hourly_cap = excluded.hourly_cap, base_url = excluded.base_url, "
                   "updated_at = excluded.updated_at, tls_ca_file = excluded.tls_ca_file"));
    upsert->Bind(1, record.owner_id)
        .Bind(2, record.smtp_host)
        .Bind(3, int64_t{record.smtp_port})
        .Bind(4, record.tls_mode)
        .Bind(5, record.smtp_user)
        .BindBlob(6, record.sealed_password)
        .Bind(7, record.from_name)
        .Bind(8, record.from_email)
        .Bind(9, record.hourly_cap)
        .Bind(10, record.base_url)
        .Bind(11, now)
        .Bind(12, record.tls_ca_file);
    CS_RETURN_IF_ERROR(upsert->Run());
    return record;
  });
}

base::Result<Autoresponder> SqliteStore::CreateAutoresponder(const NewAutoresponder& input) {
  CS_RETURN_IF_ERROR(CheckNewAutoresponder(input));
  return InTransaction(db_, kWrite, [&]() -> base::Result<Autoresponder> {
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(db_, input.list));
    Autoresponder created;
    created.list_name = list.name;
    created.subject = input.subject;
    created.body = input.body;
    created.delay_s = input.delay_s;
    const int64_t now = NowMillis();
    created.created_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db_.Cached("INSERT INTO mail_autoresponders (list_id, subject, body, delay_s, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert->Bind(1, list.id)
        .Bind(2, created.subject)
        .Bind(3, created.body)
        .Bind(4, created.delay_s)
        .Bind(5, now);
    CS_RETURN_IF_ERROR(insert->Run());
    created.id = db_.LastInsertRowId();
    return created;
  });
}

base::Result<std::vector<Autoresponder>> SqliteStore::GetAutoresponders(
    std::optional<std::string> list_name) {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<Autoresponder>> {
    int64_t list_id = 0;
    if (list_name) {
      CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(db_, *list_name));
      list_id = list.id;
    }
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT a.id, l.name, a.subject, a.body, a.delay_s, a.created_at "
                   "FROM mail_autoresponders a JOIN lists l ON l.id = a.list_id "
                   "WHERE ?1 = 0 OR a.list_id = ?1 ORDER BY l.name, a.id"));
    query->Bind(1, list_id);
    std::vector<Autoresponder> all;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) return all;
      Autoresponder& a = all.emplace_back();
      a.id = query->ColumnInt64(0);
      a.list_name = query->ColumnText(1);
      a.subject = query->ColumnText(2);
      a.body = query->ColumnText(3);
      a.delay_s = query->ColumnInt64(4);
      a.created_at = ShownTime(*query, 5);
    }
  });
}

base::Status SqliteStore::DeleteAutoresponder(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement remove,
                        db_.Cached("DELETE FROM mail_autoresponders WHERE id = ?1"));
    remove->Bind(1, id);
    CS_RETURN_IF_ERROR(remove->Run());
    if (db_.Changes() == 0) {
      return AutoresponderNotFound(id);
    }
    return base::Status::Ok();
  });
}

base::Result<std::optional<ClaimedMessage>> SqliteStore::ClaimNextMessage() {
  return InTransaction(db_, kWrite, [&]() -> base::Result<std::optional<ClaimedMessage>> {
    const int64_t now = NowMillis();
    // Each pass of the loop either claims a message or cancels one, so it
    // ends after at most the number of due messages.
    while (true) {
      std::optional<OutboxMessage> next;
      {
        CS_ASSIGN_OR_RETURN(
            CachedStatement query,
            db_.Cached(fmt::format("{} WHERE o.state = 'queued' AND o.next_attempt_at <= ?1 "
                                   "ORDER BY o.next_attempt_at, o.id LIMIT 1",
                                   kOutboxColumns)));
        query->Bind(1, now);
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) return std::optional<ClaimedMessage>();
        CS_ASSIGN_OR_RETURN(next, ReadOutboxRow(*query));
      }
      CS_ASSIGN_OR_RETURN(const LinkTarget target,
                          FindLinkTarget(db_, next->contact_id, next->list_id));
      CS_ASSIGN_OR_RETURN(const std::optional<std::string> exclusion,
                          MatchingExclusionPattern(db_, target));
      const std::optional<std::string> reason =
          WhyUndeliverable(next->kind, target.bounced, target.status, exclusion);
      if (reason) {
        CS_RETURN_IF_ERROR(SetOutboxState(db_, next->id, "cancelled", *reason, now));
        continue;
      }

      ClaimedMessage claimed;
      {
        CS_ASSIGN_OR_RETURN(CachedStatement update,
                            db_.Cached("UPDATE mail_outbox SET state = 'sending', claimed_at = ?2, "
                                       "attempts = attempts + 1, updated_at = ?2 WHERE id = ?1"));
        update->Bind(1, next->id).Bind(2, now);
        CS_RETURN_IF_ERROR(update->Run());
        next->state = OutboxState::kSending;
        next->claimed_at = base::FormatUnixMillis(now);
        ++next->attempts;
      }
      {
        CS_ASSIGN_OR_RETURN(
            CachedStatement query,
            db_.Cached("SELECT first_name, last_name, phone FROM contacts WHERE id = ?1"));
        query->Bind(1, target.contact_id);
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) return ClaimedMessagePartVanished("contact");
        claimed.contact.id = target.contact_id;
        claimed.contact.email = target.email;
        claimed.contact.first_name = query->ColumnText(0);
        claimed.contact.last_name = query->ColumnText(1);
        claimed.contact.phone = query->ColumnText(2);
      }
      CS_ASSIGN_OR_RETURN(claimed.contact.fields, LoadFieldValues(db_, target.contact_id));
      {
        CS_ASSIGN_OR_RETURN(
            CachedStatement query,
            db_.Cached("SELECT name, sender_name, sender_email, description, created_at "
                       "FROM lists WHERE id = ?1"));
        query->Bind(1, target.list.id);
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) return ClaimedMessagePartVanished("list");
        claimed.list.id = target.list.id;
        claimed.list.name = query->ColumnText(0);
        claimed.list.sender_name = query->ColumnText(1);
        claimed.list.sender_email = query->ColumnText(2);
        claimed.list.description = query->ColumnText(3);
        claimed.list.created_at = ShownTime(*query, 4);
      }
      if (next->autoresponder_id) {
        CS_ASSIGN_OR_RETURN(
            CachedStatement query,
            db_.Cached("SELECT subject, body, delay_s, created_at FROM mail_autoresponders "
                       "WHERE id = ?1"));
        query->Bind(1, *next->autoresponder_id);
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) return ClaimedMessagePartVanished("autoresponder");
        Autoresponder autoresponder;
        autoresponder.id = *next->autoresponder_id;
        autoresponder.list_name = claimed.list.name;
        autoresponder.subject = query->ColumnText(0);
        autoresponder.body = query->ColumnText(1);
        autoresponder.delay_s = query->ColumnInt64(2);
        autoresponder.created_at = ShownTime(*query, 3);
        claimed.autoresponder = std::move(autoresponder);
      }
      claimed.message = *std::move(next);
      return std::optional<ClaimedMessage>(std::move(claimed));
    }
  });
}

base::Status SqliteStore::FinishMessage(const MessageOutcome& outcome) {
  CS_RETURN_IF_ERROR(CheckMessageOutcome(outcome));
  std::optional<int64_t> next_attempt_at;
  if (outcome.state == OutboxState::kQueued) {
    CS_ASSIGN_OR_RETURN(next_attempt_at, StoredTime(outcome.next_attempt_at));
  }
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    const int64_t now = NowMillis();
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE mail_outbox SET state = ?2, next_attempt_at = CASE WHEN ?2 = 'queued' "
                   "THEN ?3 ELSE next_attempt_at END, sent_at = CASE WHEN ?2 = 'sent' THEN ?4 "
                   "ELSE sent_at END, last_error = ?5, recipient = ?6, subject = ?7, "
                   "updated_at = ?4 WHERE id = ?1 AND state = 'sending'"));
    update->Bind(1, outcome.id)
        .Bind(2, OutboxStateName(outcome.state))
        .Bind(4, now)
        .Bind(5, outcome.error)
        .Bind(6, outcome.recipient)
        .Bind(7, outcome.subject);
    if (next_attempt_at) {
      update->Bind(3, *next_attempt_at);
    } else {
      update->BindNull(3);
    }
    CS_RETURN_IF_ERROR(update->Run());
    if (db_.Changes() == 0) return NotBeingSent(outcome.id);
    return base::Status::Ok();
  });
}

base::Result<int64_t> SqliteStore::FailAbandonedClaims(std::string_view claimed_before,
                                                       std::string_view error) {
  CS_ASSIGN_OR_RETURN(const int64_t before, StoredTime(claimed_before));
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE mail_outbox SET state = 'failed', last_error = ?2, updated_at = ?3 "
                   "WHERE state = 'sending' AND claimed_at < ?1"));
    update->Bind(1, before).Bind(2, error).Bind(3, NowMillis());
    CS_RETURN_IF_ERROR(update->Run());
    return db_.Changes();
  });
}

base::Status SqliteStore::RequeueMessage(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    const int64_t now = NowMillis();
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE mail_outbox SET state = 'queued', next_attempt_at = ?2, "
                                   "updated_at = ?2 WHERE id = ?1 AND state = 'failed'"));
    update->Bind(1, id).Bind(2, now);
    CS_RETURN_IF_ERROR(update->Run());
    if (db_.Changes() == 1) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached("SELECT state FROM mail_outbox WHERE id = ?1"));
    query->Bind(1, id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return MessageNotFound(id);
    return OnlyFailedCanBeRequeued(id, query->ColumnText(0));
  });
}

base::Status SqliteStore::CancelMessage(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE mail_outbox SET state = 'cancelled', last_error = ?2, "
                                   "updated_at = ?3 WHERE id = ?1 AND state = 'queued'"));
    update->Bind(1, id).Bind(2, kCancelledByOperator).Bind(3, NowMillis());
    CS_RETURN_IF_ERROR(update->Run());
    if (db_.Changes() == 1) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached("SELECT state FROM mail_outbox WHERE id = ?1"));
    query->Bind(1, id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return MessageNotFound(id);
    return OnlyQueuedCanBeCancelled(id, query->ColumnText(0));
  });
}

base::Result<int64_t> SqliteStore::CancelQueuedMessages() {
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE mail_outbox SET state = 'cancelled', last_error = ?1, "
                                   "updated_at = ?2 WHERE state = 'queued'"));
    update->Bind(1, kCancelledByOperator).Bind(2, NowMillis());
    CS_RETURN_IF_ERROR(update->Run());
    return db_.Changes();
  });
}

base::Result<int64_t> SqliteStore::CountMessagesSentSince(std::string_view since) {
  CS_ASSIGN_OR_RETURN(const int64_t since_ms, StoredTime(since));
  return InTransaction(db_, kRead, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT count(*) FROM mail_outbox WHERE state = 'sent' AND sent_at >= ?1"));
    query->Bind(1, since_ms);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    return row ? query->ColumnInt64(0) : 0;
  });
}

base::Result<std::optional<std::string>> SqliteStore::NextDueTime() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::optional<std::string>> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT min(next_attempt_at) FROM mail_outbox WHERE state = 'queued'"));
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row || query->ColumnIsNull(0)) return std::optional<std::string>();
    return std::optional<std::string>(ShownNextDueTime(query->ColumnInt64(0)));
  });
}

base::Result<OutboxPage> SqliteStore::GetOutbox(const OutboxFilter& filter) {
  CS_RETURN_IF_ERROR(CheckOutboxFilter(filter));
  return InTransaction(db_, kRead, [&]() -> base::Result<OutboxPage> {
    OutboxPage page;
    const std::string state = filter.state ? std::string(OutboxStateName(*filter.state)) : "";
    {
      CS_ASSIGN_OR_RETURN(CachedStatement query,
                          db_.Cached("SELECT state, count(*) FROM mail_outbox GROUP BY state"));
      while (true) {
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) break;
        const int64_t n = query->ColumnInt64(1);
        page.counts[query->ColumnText(0)] = n;
        if (state.empty() || state == query->ColumnText(0)) page.total += n;
      }
    }
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached(fmt::format("{} WHERE ?1 = '' OR o.state = ?1 ORDER BY o.id DESC "
                               "LIMIT ?2 OFFSET ?3",
                               kOutboxColumns)));
    query->Bind(1, state).Bind(2, filter.limit).Bind(3, filter.offset);
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) return page;
      CS_ASSIGN_OR_RETURN(OutboxMessage message, ReadOutboxRow(*query));
      page.messages.push_back(std::move(message));
    }
  });
}

base::Result<LinkOutcome> SqliteStore::ConfirmByLink(int64_t contact_id, int64_t list_id) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<LinkOutcome> {
    CS_ASSIGN_OR_RETURN(const LinkTarget target, FindLinkTarget(db_, contact_id, list_id));
    CS_ASSIGN_OR_RETURN(const std::optional<std::string> exclusion,
                        MatchingExclusionPattern(db_, target));
    CS_ASSIGN_OR_RETURN(const std::optional<bool> autoresponders,
                        LatestConfirmationAutoresponders(db_, contact_id, list_id));
    CS_ASSIGN_OR_RETURN(const LinkChange change,
                        DecideConfirmByLink(SubjectOf(target), exclusion, autoresponders));
    LinkOutcome outcome{target.email, target.list.name, target.status, change.change};
    if (!change.change) return outcome;
    const base::TimePoint time = clock_.Now();
    const Cause cause{model::CauseKind::kConfirmationLink, ""};
    CS_RETURN_IF_ERROR(ChangeSubscription(db_, contact_id, target.list, target.status, change.to,
                                          cause, base::UnixMillis(time)));
    CS_RETURN_IF_ERROR(QueueMailForChange(db_, contact_id, target.list, target.status, change.to,
                                          change.queue_autoresponders, base::UnixMillis(time)));
    return outcome;
  });
}

base::Result<LinkOutcome> SqliteStore::UnsubscribeByLink(int64_t contact_id, int64_t list_id) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<LinkOutcome> {
    CS_ASSIGN_OR_RETURN(const LinkTarget target, FindLinkTarget(db_, contact_id, list_id));
    CS_ASSIGN_OR_RETURN(const LinkChange change, DecideUnsubscribeByLink(SubjectOf(target)));
    LinkOutcome outcome{target.email, target.list.name, target.status, change.change};
    if (!change.change) return outcome;
    const int64_t now_ms = base::UnixMillis(clock_.Now());
    const Cause cause{model::CauseKind::kUnsubscribeLink, ""};
    CS_RETURN_IF_ERROR(
        ChangeSubscription(db_, contact_id, target.list, target.status, change.to, cause, now_ms));
    if (change.set_ever_unsubscribed) {
      CS_ASSIGN_OR_RETURN(
          CachedStatement update,
          db_.Cached("UPDATE contacts SET ever_unsubscribed = 1, updated_at = ?2, "
                     "last_change_cause = ?3, last_change_detail = '' WHERE id = ?1"));
      update->Bind(1, contact_id).Bind(2, now_ms).Bind(3, model::CauseKindName(cause.kind));
      CS_RETURN_IF_ERROR(update->Run());
    }
    return outcome;
  });
}

}  // namespace contactsync::store::sqlite
