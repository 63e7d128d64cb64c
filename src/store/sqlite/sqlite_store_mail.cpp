// SqliteStore: mail settings, autoresponders, the outbox and the
// confirm/unsubscribe links (mail_store.h; docs/mail.md).

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"
#include "store/sqlite/mail_queue.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

constexpr size_t kMaxSubjectBytes = 998;  // one RFC 5322 line
constexpr size_t kMaxBodyBytes = size_t{1024} * 1024;
constexpr int64_t kMaxDelaySeconds = int64_t{10} * 366 * 24 * 3600;
constexpr size_t kMaxSettingBytes = 4096;

constexpr std::string_view kOutboxColumns =
    "SELECT o.id, o.idempotency_key, o.kind, o.contact_id, o.list_id, c.email, l.name, "
    "o.autoresponder_id, o.state, o.attempts, o.next_attempt_at, o.claimed_at, o.sent_at, "
    "o.last_error, o.recipient, o.subject, o.created_at FROM mail_outbox o "
    "JOIN contacts c ON c.id = o.contact_id JOIN lists l ON l.id = o.list_id ";

base::Result<OutboxMessage> ReadOutboxRow(const Statement& row) {
  OutboxMessage message;
  message.id = row.ColumnInt64(0);
  message.idempotency_key = row.ColumnText(1);
  message.kind =
      row.ColumnText(2) == "confirmation" ? OutboxKind::kConfirmation : OutboxKind::kAutoresponder;
  message.contact_id = row.ColumnInt64(3);
  message.list_id = row.ColumnInt64(4);
  message.email = row.ColumnText(5);
  message.list_name = row.ColumnText(6);
  if (!row.ColumnIsNull(7)) message.autoresponder_id = row.ColumnInt64(7);
  auto state = ParseOutboxState(row.ColumnText(8));
  if (!state.ok()) return base::Internal("stored outbox state: " + state.status().message());
  message.state = *state;
  message.attempts = row.ColumnInt64(9);
  message.next_attempt_at = row.ColumnText(10);
  message.claimed_at = row.ColumnText(11);
  message.sent_at = row.ColumnText(12);
  message.last_error = row.ColumnText(13);
  message.recipient = row.ColumnText(14);
  message.subject = row.ColumnText(15);
  message.created_at = row.ColumnText(16);
  return message;
}

base::Status CheckSetting(std::string_view what, std::string_view value) {
  CS_RETURN_IF_ERROR(base::CheckText(what, value, kMaxSettingBytes));
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return base::InvalidArgument(fmt::format("{} must not contain control characters", what));
    }
  }
  return base::Status::Ok();
}

base::Result<MailSettingsRecord> ValidateMailSettings(MailSettingsRecord record) {
  record.smtp_host = std::string(base::TrimAscii(record.smtp_host));
  record.base_url = std::string(base::TrimAscii(record.base_url));
  while (!record.base_url.empty() && record.base_url.back() == '/') record.base_url.pop_back();
  CS_RETURN_IF_ERROR(CheckSetting("SMTP host", record.smtp_host));
  CS_RETURN_IF_ERROR(CheckSetting("SMTP user", record.smtp_user));
  CS_RETURN_IF_ERROR(CheckSetting("CA file", record.tls_ca_file));
  CS_RETURN_IF_ERROR(CheckSetting("from name", record.from_name));
  CS_RETURN_IF_ERROR(CheckSetting("base URL", record.base_url));
  if (record.smtp_port < 0 || record.smtp_port > 65535) {
    return base::InvalidArgument(
        fmt::format("SMTP port must be between 1 and 65535, not {}", record.smtp_port));
  }
  if (record.tls_mode != "none" && record.tls_mode != "starttls" && record.tls_mode != "tls") {
    return base::InvalidArgument(fmt::format("TLS mode must be none, starttls or tls, not '{}'",
                                             base::Printable(record.tls_mode)));
  }
  if (!record.from_email.empty()) {
    CS_ASSIGN_OR_RETURN(record.from_email, model::ValidateEmail(record.from_email));
  }
  if (record.hourly_cap < 0) {
    return base::InvalidArgument(
        fmt::format("the hourly cap must not be negative, not {}", record.hourly_cap));
  }
  if (!record.base_url.empty() && record.base_url.rfind("http://", 0) != 0 &&
      record.base_url.rfind("https://", 0) != 0) {
    return base::InvalidArgument(
        fmt::format("base URL must start with http:// or https://, not '{}'",
                    base::Printable(record.base_url)));
  }
  return record;
}

base::Result<std::optional<std::string>> ListNameById(Database& db, int64_t list_id) {
  CS_ASSIGN_OR_RETURN(CachedStatement query, db.Cached("SELECT name FROM lists WHERE id = ?1"));
  query->Bind(1, list_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(query->ColumnText(0));
}

struct LinkTarget {
  int64_t contact_id = 0;
  std::string email;
  std::string email_key;
  bool bounced = false;
  bool ever_unsubscribed = false;
  ListRef list;
  std::optional<SubscriptionStatus> status;
};

base::Result<LinkTarget> FindLinkTarget(Database& db, int64_t contact_id, int64_t list_id) {
  LinkTarget target;
  {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db.Cached(
            "SELECT email, email_key, bounced, ever_unsubscribed FROM contacts WHERE id = ?1"));
    query->Bind(1, contact_id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::NotFound("this address is no longer in our contacts");
    target.contact_id = contact_id;
    target.email = query->ColumnText(0);
    target.email_key = query->ColumnText(1);
    target.bounced = query->ColumnInt64(2) != 0;
    target.ever_unsubscribed = query->ColumnInt64(3) != 0;
  }
  CS_ASSIGN_OR_RETURN(const std::optional<std::string> name, ListNameById(db, list_id));
  if (!name) return base::NotFound("this list no longer exists");
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

// Why a message was cancelled, when an operator did it (not the recipient's state).
constexpr std::string_view kCancelledByOperator = "cancelled by an operator; it will not be sent";

base::Status SetOutboxState(Database& db, int64_t id, std::string_view state,
                            std::string_view error, const std::string& now) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement update,
      db.Cached(
          "UPDATE mail_outbox SET state = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1"));
  update->Bind(1, id).Bind(2, state).Bind(3, error).Bind(4, now);
  return update->Run();
}

}  // namespace

base::Status QueueMailForChange(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                bool autoresponders, const std::string& now) {
  if (to == SubscriptionStatus::kUnconfirmed && from != SubscriptionStatus::kUnconfirmed) {
    // The key is random rather than derived from the ids: the same contact
    // may leave and re-enter a list, and each entry deserves its own message.
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db.Cached("INSERT INTO mail_outbox (idempotency_key, kind, contact_id, list_id, "
                  "autoresponders_on_confirm, state, next_attempt_at, created_at, updated_at) "
                  "VALUES (lower(hex(randomblob(16))), 'confirmation', ?1, ?2, ?3, 'queued', ?4, "
                  "?4, ?4)"));
    insert->Bind(1, contact_id)
        .Bind(2, list.id)
        .Bind(3, int64_t{autoresponders ? 1 : 0})
        .Bind(4, now);
    return insert->Run();
  }
  if (to == SubscriptionStatus::kActive && from != SubscriptionStatus::kActive && autoresponders) {
    // One indexed statement whatever the number of autoresponders, so that a
    // sync pays one look-up per newly active contact. strftime reads the
    // stored ISO 8601 form (with its 'Z') and writes it back the same way.
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db.Cached("INSERT INTO mail_outbox (idempotency_key, kind, contact_id, list_id, "
                  "autoresponder_id, state, next_attempt_at, created_at, updated_at) "
                  "SELECT lower(hex(randomblob(16))), 'autoresponder', ?1, ?2, a.id, 'queued', "
                  "strftime('%Y-%m-%dT%H:%M:%SZ', ?3, '+' || a.delay_s || ' seconds'), ?3, ?3 "
                  "FROM mail_autoresponders a WHERE a.list_id = ?2 ORDER BY a.id"));
    insert->Bind(1, contact_id).Bind(2, list.id).Bind(3, now);
    return insert->Run();
  }
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
    record.updated_at = query->ColumnText(10);
    record.tls_ca_file = query->ColumnText(11);
    return std::optional<MailSettingsRecord>(std::move(record));
  });
}

base::Result<MailSettingsRecord> SqliteStore::SaveMailSettings(const MailSettingsRecord& input) {
  CS_ASSIGN_OR_RETURN(MailSettingsRecord record, ValidateMailSettings(input));
  if (record.owner_id.empty()) return base::InvalidArgument("mail settings owner id is missing");
  return InTransaction(db_, kWrite, [&]() -> base::Result<MailSettingsRecord> {
    record.updated_at = Now();
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
        .Bind(11, record.updated_at)
        .Bind(12, record.tls_ca_file);
    CS_RETURN_IF_ERROR(upsert->Run());
    return record;
  });
}

base::Result<Autoresponder> SqliteStore::CreateAutoresponder(const NewAutoresponder& input) {
  if (input.subject.empty()) return base::InvalidArgument("the subject must not be empty");
  if (input.body.empty()) return base::InvalidArgument("the body must not be empty");
  CS_RETURN_IF_ERROR(CheckSetting("subject", input.subject));
  CS_RETURN_IF_ERROR(base::CheckText("body", input.body, kMaxBodyBytes));
  if (input.subject.size() > kMaxSubjectBytes) {
    return base::InvalidArgument("the subject is longer than 998 bytes");
  }
  if (input.delay_s < 0 || input.delay_s > kMaxDelaySeconds) {
    return base::InvalidArgument(
        fmt::format("the delay must be between 0 seconds and 10 years, not {} s", input.delay_s));
  }
  return InTransaction(db_, kWrite, [&]() -> base::Result<Autoresponder> {
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(db_, input.list));
    Autoresponder created;
    created.list_name = list.name;
    created.subject = input.subject;
    created.body = input.body;
    created.delay_s = input.delay_s;
    created.created_at = Now();
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db_.Cached("INSERT INTO mail_autoresponders (list_id, subject, body, delay_s, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert->Bind(1, list.id)
        .Bind(2, created.subject)
        .Bind(3, created.body)
        .Bind(4, created.delay_s)
        .Bind(5, created.created_at);
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
      a.created_at = query->ColumnText(5);
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
      return base::NotFound(fmt::format("autoresponder {} does not exist", id));
    }
    return base::Status::Ok();
  });
}

base::Result<std::optional<ClaimedMessage>> SqliteStore::ClaimNextMessage() {
  return InTransaction(db_, kWrite, [&]() -> base::Result<std::optional<ClaimedMessage>> {
    const std::string now = Now();
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
      // Why the recipient may no longer receive it; empty: deliverable.
      std::string reason;
      const SubscriptionStatus wanted = next->kind == OutboxKind::kConfirmation
                                            ? SubscriptionStatus::kUnconfirmed
                                            : SubscriptionStatus::kActive;
      if (target.bounced) {
        reason = "not sent: the address bounced";
      } else if (!target.status) {
        reason = "not sent: the contact is no longer on the list";
      } else if (*target.status != wanted) {
        reason =
            next->kind == OutboxKind::kConfirmation && *target.status == SubscriptionStatus::kActive
                ? std::string("not sent: the subscription is already active")
                : fmt::format("not sent: the contact is {} on the list",
                              model::SubscriptionStatusName(*target.status));
      } else {
        CS_ASSIGN_OR_RETURN(const std::optional<Exclusion> exclusion,
                            FindMatchingExclusion(db_, target.list, target.email_key));
        if (exclusion) {
          reason = fmt::format("not sent: the address is excluded by pattern '{}'",
                               base::Printable(exclusion->pattern));
        }
      }
      if (!reason.empty()) {
        CS_RETURN_IF_ERROR(SetOutboxState(db_, next->id, "cancelled", reason, now));
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
        next->claimed_at = now;
        ++next->attempts;
      }
      {
        CS_ASSIGN_OR_RETURN(
            CachedStatement query,
            db_.Cached("SELECT first_name, last_name, phone FROM contacts WHERE id = ?1"));
        query->Bind(1, target.contact_id);
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) return base::Internal("claimed message's contact vanished");
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
        if (!row) return base::Internal("claimed message's list vanished");
        claimed.list.id = target.list.id;
        claimed.list.name = query->ColumnText(0);
        claimed.list.sender_name = query->ColumnText(1);
        claimed.list.sender_email = query->ColumnText(2);
        claimed.list.description = query->ColumnText(3);
        claimed.list.created_at = query->ColumnText(4);
      }
      if (next->autoresponder_id) {
        CS_ASSIGN_OR_RETURN(
            CachedStatement query,
            db_.Cached("SELECT subject, body, delay_s, created_at FROM mail_autoresponders "
                       "WHERE id = ?1"));
        query->Bind(1, *next->autoresponder_id);
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) return base::Internal("claimed message's autoresponder vanished");
        Autoresponder autoresponder;
        autoresponder.id = *next->autoresponder_id;
        autoresponder.list_name = claimed.list.name;
        autoresponder.subject = query->ColumnText(0);
        autoresponder.body = query->ColumnText(1);
        autoresponder.delay_s = query->ColumnInt64(2);
        autoresponder.created_at = query->ColumnText(3);
        claimed.autoresponder = std::move(autoresponder);
      }
      claimed.message = *std::move(next);
      return std::optional<ClaimedMessage>(std::move(claimed));
    }
  });
}

base::Status SqliteStore::FinishMessage(const MessageOutcome& outcome) {
  if (outcome.state != OutboxState::kSent && outcome.state != OutboxState::kQueued &&
      outcome.state != OutboxState::kFailed) {
    return base::InvalidArgument("a message finishes as sent, queued or failed");
  }
  CS_RETURN_IF_ERROR(base::CheckText("error", outcome.error, kMaxSettingBytes));
  CS_RETURN_IF_ERROR(base::CheckText("subject", outcome.subject, kMaxSettingBytes));
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    const std::string now = Now();
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE mail_outbox SET state = ?2, next_attempt_at = CASE WHEN ?2 = 'queued' "
                   "THEN ?3 ELSE next_attempt_at END, sent_at = CASE WHEN ?2 = 'sent' THEN ?4 "
                   "ELSE sent_at END, last_error = ?5, recipient = ?6, subject = ?7, "
                   "updated_at = ?4 WHERE id = ?1 AND state = 'sending'"));
    update->Bind(1, outcome.id)
        .Bind(2, OutboxStateName(outcome.state))
        .Bind(3, outcome.next_attempt_at)
        .Bind(4, now)
        .Bind(5, outcome.error)
        .Bind(6, outcome.recipient)
        .Bind(7, outcome.subject);
    CS_RETURN_IF_ERROR(update->Run());
    if (db_.Changes() == 0) {
      return base::FailedPrecondition(fmt::format(
          "message {} is not being sent (another sender finished or released it)", outcome.id));
    }
    return base::Status::Ok();
  });
}

base::Result<int64_t> SqliteStore::FailAbandonedClaims(std::string_view claimed_before,
                                                       std::string_view error) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement update,
        db_.Cached("UPDATE mail_outbox SET state = 'failed', last_error = ?2, updated_at = ?3 "
                   "WHERE state = 'sending' AND claimed_at < ?1"));
    update->Bind(1, claimed_before).Bind(2, error).Bind(3, Now());
    CS_RETURN_IF_ERROR(update->Run());
    return db_.Changes();
  });
}

base::Status SqliteStore::RequeueMessage(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    const std::string now = Now();
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
    if (!row) return base::NotFound(fmt::format("message {} does not exist", id));
    return base::FailedPrecondition(fmt::format(
        "message {} is {}; only a failed message can be queued again", id, query->ColumnText(0)));
  });
}

base::Status SqliteStore::CancelMessage(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE mail_outbox SET state = 'cancelled', last_error = ?2, "
                                   "updated_at = ?3 WHERE id = ?1 AND state = 'queued'"));
    update->Bind(1, id).Bind(2, kCancelledByOperator).Bind(3, Now());
    CS_RETURN_IF_ERROR(update->Run());
    if (db_.Changes() == 1) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached("SELECT state FROM mail_outbox WHERE id = ?1"));
    query->Bind(1, id);
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::NotFound(fmt::format("message {} does not exist", id));
    return base::FailedPrecondition(fmt::format(
        "message {} is {}; only a queued message can be cancelled", id, query->ColumnText(0)));
  });
}

base::Result<int64_t> SqliteStore::CancelQueuedMessages() {
  return InTransaction(db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(CachedStatement update,
                        db_.Cached("UPDATE mail_outbox SET state = 'cancelled', last_error = ?1, "
                                   "updated_at = ?2 WHERE state = 'queued'"));
    update->Bind(1, kCancelledByOperator).Bind(2, Now());
    CS_RETURN_IF_ERROR(update->Run());
    return db_.Changes();
  });
}

base::Result<int64_t> SqliteStore::CountMessagesSentSince(std::string_view since) {
  return InTransaction(db_, kRead, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT count(*) FROM mail_outbox WHERE state = 'sent' AND sent_at >= ?1"));
    query->Bind(1, since);
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
    return std::optional<std::string>(query->ColumnText(0));
  });
}

base::Result<OutboxPage> SqliteStore::GetOutbox(const OutboxFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) {
    return base::InvalidArgument(
        fmt::format("limit must be between 1 and 1000, not {}", filter.limit));
  }
  if (filter.offset < 0) {
    return base::InvalidArgument(fmt::format("offset must not be negative, not {}", filter.offset));
  }
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
    LinkOutcome outcome{target.email, target.list.name, target.status, false};
    if (!target.status) {
      return base::NotFound(fmt::format("{} is not on the list '{}'", target.email,
                                        base::Printable(target.list.name)));
    }
    if (*target.status == SubscriptionStatus::kActive) return outcome;
    if (*target.status != SubscriptionStatus::kUnconfirmed) {
      return base::FailedPrecondition(fmt::format(
          "{} is {} on the list '{}'; the link cannot confirm it", target.email,
          model::SubscriptionStatusName(*target.status), base::Printable(target.list.name)));
    }
    const SubscriptionRequest request{.email = target.email,
                                      .list_name = target.list.name,
                                      .contact_bounced = target.bounced,
                                      .current = target.status,
                                      .requested = SubscriptionStatus::kActive,
                                      .mode = SubscribeMode::kNormal};
    CS_ASSIGN_OR_RETURN(const SubscriptionDecision decision, DecideSubscription(request));
    if (decision.check_exclusions) {
      CS_ASSIGN_OR_RETURN(const std::optional<Exclusion> exclusion,
                          FindMatchingExclusion(db_, target.list, target.email_key));
      if (exclusion) return Excluded(target.email, target.list.name, exclusion->pattern);
    }
    bool autoresponders = false;
    {
      CS_ASSIGN_OR_RETURN(
          CachedStatement query,
          db_.Cached("SELECT autoresponders_on_confirm FROM mail_outbox WHERE contact_id = ?1 "
                     "AND list_id = ?2 AND kind = 'confirmation' ORDER BY id DESC LIMIT 1"));
      query->Bind(1, contact_id).Bind(2, list_id);
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      autoresponders = row && query->ColumnInt64(0) != 0;
    }
    const base::TimePoint time = clock_.Now();
    const std::string now = base::FormatIso8601Utc(time);
    const Cause cause{model::CauseKind::kConfirmationLink, ""};
    CS_RETURN_IF_ERROR(ChangeSubscription(db_, contact_id, target.list, target.status,
                                          SubscriptionStatus::kActive, cause,
                                          base::UnixMillis(time)));
    CS_RETURN_IF_ERROR(QueueMailForChange(db_, contact_id, target.list, target.status,
                                          SubscriptionStatus::kActive, autoresponders, now));
    outcome.changed = true;
    return outcome;
  });
}

base::Result<LinkOutcome> SqliteStore::UnsubscribeByLink(int64_t contact_id, int64_t list_id) {
  return InTransaction(db_, kWrite, [&]() -> base::Result<LinkOutcome> {
    CS_ASSIGN_OR_RETURN(const LinkTarget target, FindLinkTarget(db_, contact_id, list_id));
    LinkOutcome outcome{target.email, target.list.name, target.status, false};
    if (!target.status) {
      return base::NotFound(fmt::format("{} is not on the list '{}'", target.email,
                                        base::Printable(target.list.name)));
    }
    // Bounced stays bounced: it says more, and it already receives nothing.
    if (*target.status == SubscriptionStatus::kUnsubscribed ||
        *target.status == SubscriptionStatus::kBounced) {
      return outcome;
    }
    const int64_t now_ms = base::UnixMillis(clock_.Now());
    const Cause cause{model::CauseKind::kUnsubscribeLink, ""};
    CS_RETURN_IF_ERROR(ChangeSubscription(db_, contact_id, target.list, target.status,
                                          SubscriptionStatus::kUnsubscribed, cause, now_ms));
    if (!target.ever_unsubscribed) {
      CS_ASSIGN_OR_RETURN(
          CachedStatement update,
          db_.Cached("UPDATE contacts SET ever_unsubscribed = 1, updated_at = ?2, "
                     "last_change_cause = ?3, last_change_detail = '' WHERE id = ?1"));
      update->Bind(1, contact_id).Bind(2, now_ms).Bind(3, model::CauseKindName(cause.kind));
      CS_RETURN_IF_ERROR(update->Run());
    }
    outcome.changed = true;
    return outcome;
  });
}

}  // namespace contactsync::store::sqlite
