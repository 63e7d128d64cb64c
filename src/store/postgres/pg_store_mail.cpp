// PgStore: mail settings, autoresponders, the outbox and the confirm/unsubscribe links
// (mail_store.h; docs/mail.md), ported from sqlite_store_mail.cpp.

#include <fmt/format.h>

#include "base/text.h"
#include "store/mail_rules.h"
#include "store/postgres/pg_queries.h"
#include "store/postgres/pg_store.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;
constexpr TransactionKind kLockedWrite = TransactionKind::kLockedWrite;

constexpr std::string_view kOutboxColumns =
    "SELECT o.id, o.idempotency_key, o.kind, o.contact_id, o.list_id, c.email, l.name, "
    "o.autoresponder_id, o.state, o.attempts, cs_ms(o.next_attempt_at), cs_ms(o.claimed_at), "
    "cs_ms(o.sent_at), o.last_error, o.recipient, o.subject, cs_ms(o.created_at) "
    "FROM mail_outbox o JOIN contacts c ON c.id = o.contact_id JOIN lists l ON l.id = o.list_id ";

int64_t Flag(bool value) { return value ? 1 : 0; }

base::Result<OutboxMessage> ReadOutboxRow(const Rows& rows, int row) {
  OutboxMessage message;
  message.id = rows.Int64(row, 0);
  message.idempotency_key = rows.Text(row, 1);
  message.kind = StoredOutboxKind(rows.Text(row, 2));
  message.contact_id = rows.Int64(row, 3);
  message.list_id = rows.Int64(row, 4);
  message.email = rows.Text(row, 5);
  message.list_name = rows.Text(row, 6);
  if (!rows.IsNull(row, 7)) message.autoresponder_id = rows.Int64(row, 7);
  CS_ASSIGN_OR_RETURN(message.state, StoredOutboxState(rows.Text(row, 8)));
  message.attempts = rows.Int64(row, 9);
  message.next_attempt_at = ShownTime(rows, row, 10);
  message.claimed_at = ShownTime(rows, row, 11);
  message.sent_at = ShownTime(rows, row, 12);
  message.last_error = rows.Text(row, 13);
  message.recipient = rows.Text(row, 14);
  message.subject = rows.Text(row, 15);
  message.created_at = ShownTime(rows, row, 16);
  return message;
}

base::Result<std::optional<std::string>> ListNameById(Database& db, int64_t list_id) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db.Exec("SELECT name FROM lists WHERE id = $1", {list_id}));
  if (rows.size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows.Text(0, 0));
}

// LinkTarget, SubjectOf: mail_rules.h.

base::Result<std::optional<std::string>> MatchingExclusionPattern(Database& db,
                                                                  const LinkTarget& target) {
  CS_ASSIGN_OR_RETURN(const std::optional<Exclusion> exclusion,
                      FindMatchingExclusion(db, target.list, target.email_key));
  if (!exclusion) return std::optional<std::string>();
  return std::optional<std::string>(exclusion->pattern);
}

// `lock_contact`: a link's write locks the contact's row first, as every write of the
// contact's subscriptions does (pg_store_contacts.cpp says why); a claim only reads.
base::Result<LinkTarget> FindLinkTarget(Database& db, int64_t contact_id, int64_t list_id,
                                        bool lock_contact = false) {
  LinkTarget target;
  {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db.Exec(fmt::format("SELECT email, email_key, bounced, ever_unsubscribed FROM contacts "
                            "WHERE id = $1{}",
                            lock_contact ? " FOR UPDATE" : ""),
                {contact_id}));
    if (rows.size() == 0) return LinkContactGone();
    target.contact_id = contact_id;
    target.email = rows.Text(0, 0);
    target.email_key = rows.Text(0, 1);
    target.bounced = rows.Bool(0, 2);
    target.ever_unsubscribed = rows.Bool(0, 3);
  }
  CS_ASSIGN_OR_RETURN(const std::optional<std::string> name, ListNameById(db, list_id));
  if (!name) return LinkListGone();
  target.list = ListRef{list_id, *name};
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT status FROM subscriptions WHERE contact_id = $1 AND list_id = $2",
              {contact_id, list_id}));
  if (rows.size() > 0) {
    CS_ASSIGN_OR_RETURN(target.status, StoredStatus(rows.Text(0, 0)));
  }
  return target;
}

base::Status SetOutboxState(Database& db, int64_t id, std::string_view state,
                            std::string_view error, int64_t now_ms) {
  return db
      .Exec(
          "UPDATE mail_outbox SET state = $2, last_error = $3, updated_at = cs_ts($4) "
          "WHERE id = $1",
          {id, state, error, now_ms})
      .status();
}

base::Status InsertQueuedMessage(Database& db, OutboxKind kind, int64_t contact_id,
                                 const ListRef& list, std::optional<int64_t> autoresponder_id,
                                 bool autoresponders_on_confirm, int64_t due_ms, int64_t now_ms) {
  const std::string key = NewIdempotencyKey();
  return db
      .Exec(
          "INSERT INTO mail_outbox (idempotency_key, kind, contact_id, list_id, "
          "autoresponder_id, autoresponders_on_confirm, state, next_attempt_at, created_at, "
          "updated_at) VALUES ($1, $2, $3, $4, $5, $6::integer <> 0, 'queued', cs_ts($7), "
          "cs_ts($8), cs_ts($8))",
          {std::string_view(key), OutboxKindName(kind), contact_id, list.id,
           autoresponder_id ? Param(*autoresponder_id) : Param(nullptr),
           Flag(autoresponders_on_confirm), due_ms, now_ms})
      .status();
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

// One indexed look-up whatever the number of autoresponders, so that a sync pays one per newly
// active contact (none of its rows when the list has no autoresponder).
base::Result<std::vector<AutoresponderDelay>> ListAutoresponderDelays(Database& db,
                                                                      int64_t list_id) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT id, delay_s FROM mail_autoresponders WHERE list_id = $1 ORDER BY id",
              {list_id}));
  std::vector<AutoresponderDelay> delays;
  for (int i = 0; i < rows.size(); ++i) delays.push_back({rows.Int64(i, 0), rows.Int64(i, 1)});
  return delays;
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

// The autoresponders_on_confirm of the latest confirmation queued for the subscription; nullopt
// when none was.
base::Result<std::optional<bool>> LatestConfirmationAutoresponders(Database& db, int64_t contact_id,
                                                                   int64_t list_id) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT autoresponders_on_confirm FROM mail_outbox WHERE contact_id = $1 "
              "AND list_id = $2 AND kind = 'confirmation' ORDER BY id DESC LIMIT 1",
              {contact_id, list_id}));
  if (rows.size() == 0) return std::optional<bool>();
  return std::optional<bool>(rows.Bool(0, 0));
}

// The earliest due queued message (by next_attempt_at, then id), locked for this transaction;
// nullopt when none is due. SKIP LOCKED passes over the rows other senders are claiming right
// now, so that senders on many hosts neither wait for one another nor take the same message
// (the lock is held until the claim commits). OF o: only the message is locked, never its
// contact or list, which other writers may be changing.
base::Result<std::optional<OutboxMessage>> LockNextDueMessage(Database& db, int64_t now_ms) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec(fmt::format("{} WHERE o.state = 'queued' AND o.next_attempt_at <= cs_ts($1) "
                          "ORDER BY o.next_attempt_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED",
                          kOutboxColumns),
              {now_ms}));
  if (rows.size() == 0) return std::optional<OutboxMessage>();
  CS_ASSIGN_OR_RETURN(OutboxMessage message, ReadOutboxRow(rows, 0));
  return std::optional<OutboxMessage>(std::move(message));
}

base::Status MarkSending(Database& db, OutboxMessage& message, int64_t now_ms) {
  CS_RETURN_IF_ERROR(db.Exec("UPDATE mail_outbox SET state = 'sending', claimed_at = cs_ts($2), "
                             "attempts = attempts + 1, updated_at = cs_ts($2) WHERE id = $1",
                             {message.id, now_ms})
                         .status());
  message.state = OutboxState::kSending;
  message.claimed_at = base::FormatUnixMillis(now_ms);
  ++message.attempts;
  return base::Status::Ok();
}

base::Result<Contact> LoadClaimedContact(Database& db, const LinkTarget& target) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db.Exec("SELECT first_name, last_name, phone FROM contacts WHERE id = $1",
                              {target.contact_id}));
  if (rows.size() == 0) return ClaimedMessagePartVanished("contact");
  Contact contact;
  contact.id = target.contact_id;
  contact.email = target.email;
  contact.first_name = rows.Text(0, 0);
  contact.last_name = rows.Text(0, 1);
  contact.phone = rows.Text(0, 2);
  CS_ASSIGN_OR_RETURN(contact.fields, LoadFieldValues(db, target.contact_id));
  return contact;
}

base::Result<ListInfo> LoadClaimedList(Database& db, int64_t list_id) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db.Exec("SELECT name, sender_name, sender_email, description, "
                              "cs_ms(created_at) FROM lists WHERE id = $1",
                              {list_id}));
  if (rows.size() == 0) return ClaimedMessagePartVanished("list");
  ListInfo list;
  list.id = list_id;
  list.name = rows.Text(0, 0);
  list.sender_name = rows.Text(0, 1);
  list.sender_email = rows.Text(0, 2);
  list.description = rows.Text(0, 3);
  list.created_at = ShownTime(rows, 0, 4);
  return list;
}

base::Result<Autoresponder> LoadClaimedAutoresponder(Database& db, int64_t id,
                                                     std::string_view list_name) {
  CS_ASSIGN_OR_RETURN(const Rows rows, db.Exec("SELECT subject, body, delay_s, cs_ms(created_at) "
                                               "FROM mail_autoresponders WHERE id = $1",
                                               {id}));
  if (rows.size() == 0) return ClaimedMessagePartVanished("autoresponder");
  Autoresponder autoresponder;
  autoresponder.id = id;
  autoresponder.list_name = list_name;
  autoresponder.subject = rows.Text(0, 0);
  autoresponder.body = rows.Text(0, 1);
  autoresponder.delay_s = rows.Int64(0, 2);
  autoresponder.created_at = ShownTime(rows, 0, 3);
  return autoresponder;
}

// Claims `message` (locked by LockNextDueMessage, found deliverable to `target`) and gathers
// what its sender needs to render it.
base::Result<ClaimedMessage> Claim(Database& db, OutboxMessage message, const LinkTarget& target,
                                   int64_t now_ms) {
  CS_RETURN_IF_ERROR(MarkSending(db, message, now_ms));
  ClaimedMessage claimed;
  CS_ASSIGN_OR_RETURN(claimed.contact, LoadClaimedContact(db, target));
  CS_ASSIGN_OR_RETURN(claimed.list, LoadClaimedList(db, target.list.id));
  if (message.autoresponder_id) {
    CS_ASSIGN_OR_RETURN(claimed.autoresponder,
                        LoadClaimedAutoresponder(db, *message.autoresponder_id, claimed.list.name));
  }
  claimed.message = std::move(message);
  return claimed;
}

// The state of message `id` when a conditional update changed nothing; nullopt when there is
// no such message.
base::Result<std::optional<std::string>> OutboxStateOf(Database& db, int64_t id) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db.Exec("SELECT state FROM mail_outbox WHERE id = $1", {id}));
  if (rows.size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows.Text(0, 0));
}

MailSettingsRecord ReadMailSettings(const Rows& rows) {
  MailSettingsRecord record;
  record.owner_id = rows.Text(0, 0);
  record.smtp_host = rows.Text(0, 1);
  record.smtp_port = static_cast<int>(rows.Int64(0, 2));
  record.tls_mode = rows.Text(0, 3);
  record.smtp_user = rows.Text(0, 4);
  record.sealed_password = rows.Bytea(0, 5);
  record.from_name = rows.Text(0, 6);
  record.from_email = rows.Text(0, 7);
  record.hourly_cap = rows.Int64(0, 8);
  record.base_url = rows.Text(0, 9);
  record.updated_at = ShownTime(rows, 0, 10);
  record.tls_ca_file = rows.Text(0, 11);
  return record;
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

base::Result<std::optional<MailSettingsRecord>> PgStore::GetMailSettings() {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::optional<MailSettingsRecord>> {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec("SELECT owner_id, smtp_host, smtp_port, tls_mode, smtp_user, sealed_password, "
                  "from_name, from_email, hourly_cap, base_url, cs_ms(updated_at), tls_ca_file "
                  "FROM mail_settings WHERE id = 1"));
    if (rows.size() == 0) return std::optional<MailSettingsRecord>();
    return std::optional<MailSettingsRecord>(ReadMailSettings(rows));
  });
}

base::Result<MailSettingsRecord> PgStore::SaveMailSettings(const MailSettingsRecord& input) {
  CS_ASSIGN_OR_RETURN(MailSettingsRecord record, ValidateMailSettings(input));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<MailSettingsRecord> {
    const int64_t now = NowMillis();
    record.updated_at = base::FormatUnixMillis(now);
    // owner_id is kept on conflict: the password stays sealed for the first owner.
    CS_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO mail_settings (id, owner_id, smtp_host, smtp_port, tls_mode, "
                  "smtp_user, sealed_password, from_name, from_email, hourly_cap, base_url, "
                  "updated_at, tls_ca_file) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                  "cs_ts($11), $12) "
                  "ON CONFLICT (id) DO UPDATE SET smtp_host = excluded.smtp_host, "
                  "smtp_port = excluded.smtp_port, tls_mode = excluded.tls_mode, "
                  "smtp_user = excluded.smtp_user, sealed_password = excluded.sealed_password, "
                  "from_name = excluded.from_name, from_email = excluded.from_email, "
                  "hourly_cap = excluded.hourly_cap, base_url = excluded.base_url, "
                  "updated_at = excluded.updated_at, tls_ca_file = excluded.tls_ca_file",
                  {std::string_view(record.owner_id), std::string_view(record.smtp_host),
                   int64_t{record.smtp_port}, std::string_view(record.tls_mode),
                   std::string_view(record.smtp_user), Bytes{record.sealed_password},
                   std::string_view(record.from_name), std::string_view(record.from_email),
                   record.hourly_cap, std::string_view(record.base_url), now,
                   std::string_view(record.tls_ca_file)})
            .status());
    return record;
  });
}

base::Result<Autoresponder> PgStore::CreateAutoresponder(const NewAutoresponder& input) {
  CS_RETURN_IF_ERROR(CheckNewAutoresponder(input));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<Autoresponder> {
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(*db_, input.list));
    Autoresponder created;
    created.list_name = list.name;
    created.subject = input.subject;
    created.body = input.body;
    created.delay_s = input.delay_s;
    const int64_t now = NowMillis();
    created.created_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_->Exec("INSERT INTO mail_autoresponders (list_id, subject, body, delay_s, created_at) "
                  "VALUES ($1, $2, $3, $4, cs_ts($5)) RETURNING id",
                  {list.id, std::string_view(created.subject), std::string_view(created.body),
                   created.delay_s, now}));
    created.id = inserted.Int64(0, 0);
    return created;
  });
}

base::Result<std::vector<Autoresponder>> PgStore::GetAutoresponders(
    std::optional<std::string> list_name) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::vector<Autoresponder>> {
    int64_t list_id = 0;
    if (list_name) {
      CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(*db_, *list_name));
      list_id = list.id;
    }
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec("SELECT a.id, l.name, a.subject, a.body, a.delay_s, cs_ms(a.created_at) "
                  "FROM mail_autoresponders a JOIN lists l ON l.id = a.list_id "
                  "WHERE $1::bigint = 0 OR a.list_id = $1 ORDER BY l.name COLLATE \"C\", a.id",
                  {list_id}));
    std::vector<Autoresponder> all;
    for (int i = 0; i < rows.size(); ++i) {
      Autoresponder& a = all.emplace_back();
      a.id = rows.Int64(i, 0);
      a.list_name = rows.Text(i, 1);
      a.subject = rows.Text(i, 2);
      a.body = rows.Text(i, 3);
      a.delay_s = rows.Int64(i, 4);
      a.created_at = ShownTime(rows, i, 5);
    }
    return all;
  });
}

base::Status PgStore::DeleteAutoresponder(int64_t id) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const Rows removed,
                        db_->Exec("DELETE FROM mail_autoresponders WHERE id = $1", {id}));
    if (removed.Affected() == 0) return AutoresponderNotFound(id);
    return base::Status::Ok();
  });
}

// kLockedWrite (READ COMMITTED), the isolation of a SKIP LOCKED queue, rather than the
// SERIALIZABLE of the other writes. Under SERIALIZABLE every claim reads the due range that the
// other senders' claims write, so concurrent senders abort one another; with 2 senders on 200
// messages about 9% of the calls still failed after InTransaction's 5 attempts, with 4 on 2,000
// about 20%. Under READ COMMITTED the row lock alone makes a claim exclusive (the lock re-checks
// state = 'queued' on the row's newest version), and no claim waits or aborts. The rest the
// claim reads (contact, subscription, exclusions) only decides whether to cancel, which
// SERIALIZABLE would not make safer: an unsubscribe committed just after a claim misses that
// message either way. The locked outbox row also keeps its contact, list and autoresponder from
// vanishing mid-claim: their deletion cascades to the row and waits for the lock.
base::Result<std::optional<ClaimedMessage>> PgStore::ClaimNextMessage() {
  return InTransaction(*db_, kLockedWrite, [&]() -> base::Result<std::optional<ClaimedMessage>> {
    const int64_t now = NowMillis();
    // Each pass of the loop either claims a message or cancels one, so it ends after at most
    // the number of due messages.
    while (true) {
      CS_ASSIGN_OR_RETURN(std::optional<OutboxMessage> next, LockNextDueMessage(*db_, now));
      if (!next) return std::optional<ClaimedMessage>();
      CS_ASSIGN_OR_RETURN(const LinkTarget target,
                          FindLinkTarget(*db_, next->contact_id, next->list_id));
      CS_ASSIGN_OR_RETURN(const std::optional<std::string> exclusion,
                          MatchingExclusionPattern(*db_, target));
      const std::optional<std::string> reason =
          WhyUndeliverable(next->kind, target.bounced, target.status, exclusion);
      if (reason) {
        CS_RETURN_IF_ERROR(SetOutboxState(*db_, next->id, "cancelled", *reason, now));
        continue;
      }
      CS_ASSIGN_OR_RETURN(ClaimedMessage claimed, Claim(*db_, *std::move(next), target, now));
      return std::optional<ClaimedMessage>(std::move(claimed));
    }
  });
}

base::Status PgStore::FinishMessage(const MessageOutcome& outcome) {
  CS_RETURN_IF_ERROR(CheckMessageOutcome(outcome));
  Param next_attempt_at = nullptr;
  if (outcome.state == OutboxState::kQueued) {
    CS_ASSIGN_OR_RETURN(const int64_t due_ms, StoredTime(outcome.next_attempt_at));
    next_attempt_at = due_ms;
  }
  // kLockedWrite: one UPDATE of one message, whose state PostgreSQL checks again on the locked
  // row; senders finishing different messages at once never fail each other.
  return InTransaction(*db_, kLockedWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(
        const Rows updated,
        db_->Exec("UPDATE mail_outbox SET state = $2, next_attempt_at = CASE WHEN $2 = 'queued' "
                  "THEN cs_ts($3) ELSE next_attempt_at END, sent_at = CASE WHEN $2 = 'sent' "
                  "THEN cs_ts($4) ELSE sent_at END, last_error = $5, recipient = $6, "
                  "subject = $7, updated_at = cs_ts($4) WHERE id = $1 AND state = 'sending'",
                  {outcome.id, OutboxStateName(outcome.state), next_attempt_at, NowMillis(),
                   std::string_view(outcome.error), std::string_view(outcome.recipient),
                   std::string_view(outcome.subject)}));
    if (updated.Affected() == 0) return NotBeingSent(outcome.id);
    return base::Status::Ok();
  });
}

base::Result<int64_t> PgStore::FailAbandonedClaims(std::string_view claimed_before,
                                                   std::string_view error) {
  CS_ASSIGN_OR_RETURN(const int64_t before, StoredTime(claimed_before));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        const Rows updated,
        db_->Exec("UPDATE mail_outbox SET state = 'failed', last_error = $2, "
                  "updated_at = cs_ts($3) WHERE state = 'sending' AND claimed_at < cs_ts($1)",
                  {before, error, NowMillis()}));
    return updated.Affected();
  });
}

base::Status PgStore::RequeueMessage(int64_t id) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(
        const Rows updated,
        db_->Exec("UPDATE mail_outbox SET state = 'queued', next_attempt_at = cs_ts($2), "
                  "updated_at = cs_ts($2) WHERE id = $1 AND state = 'failed'",
                  {id, NowMillis()}));
    if (updated.Affected() == 1) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(const std::optional<std::string> state, OutboxStateOf(*db_, id));
    if (!state) return MessageNotFound(id);
    return OnlyFailedCanBeRequeued(id, *state);
  });
}

base::Status PgStore::CancelMessage(int64_t id) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const Rows updated,
                        db_->Exec("UPDATE mail_outbox SET state = 'cancelled', last_error = $2, "
                                  "updated_at = cs_ts($3) WHERE id = $1 AND state = 'queued'",
                                  {id, kCancelledByOperator, NowMillis()}));
    if (updated.Affected() == 1) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(const std::optional<std::string> state, OutboxStateOf(*db_, id));
    if (!state) return MessageNotFound(id);
    return OnlyQueuedCanBeCancelled(id, *state);
  });
}

base::Result<int64_t> PgStore::CancelQueuedMessages() {
  return InTransaction(*db_, kWrite, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(const Rows updated,
                        db_->Exec("UPDATE mail_outbox SET state = 'cancelled', last_error = $1, "
                                  "updated_at = cs_ts($2) WHERE state = 'queued'",
                                  {kCancelledByOperator, NowMillis()}));
    return updated.Affected();
  });
}

base::Result<int64_t> PgStore::CountMessagesSentSince(std::string_view since) {
  CS_ASSIGN_OR_RETURN(const int64_t since_ms, StoredTime(since));
  return InTransaction(*db_, kRead, [&]() -> base::Result<int64_t> {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec("SELECT count(*) FROM mail_outbox WHERE state = 'sent' AND sent_at >= cs_ts($1)",
                  {since_ms}));
    return rows.Int64(0, 0);
  });
}

base::Result<std::optional<std::string>> PgStore::NextDueTime() {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::optional<std::string>> {
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec("SELECT cs_ms(min(next_attempt_at)) FROM mail_outbox WHERE state = 'queued'"));
    if (rows.IsNull(0, 0)) return std::optional<std::string>();
    return std::optional<std::string>(ShownNextDueTime(rows.Int64(0, 0)));
  });
}

base::Result<OutboxPage> PgStore::GetOutbox(const OutboxFilter& filter) {
  CS_RETURN_IF_ERROR(CheckOutboxFilter(filter));
  return InTransaction(*db_, kRead, [&]() -> base::Result<OutboxPage> {
    OutboxPage page;
    const std::string state = filter.state ? std::string(OutboxStateName(*filter.state)) : "";
    {
      CS_ASSIGN_OR_RETURN(const Rows counts,
                          db_->Exec("SELECT state, count(*) FROM mail_outbox GROUP BY state"));
      for (int i = 0; i < counts.size(); ++i) {
        const int64_t n = counts.Int64(i, 1);
        page.counts[std::string(counts.Text(i, 0))] = n;
        if (state.empty() || state == counts.Text(i, 0)) page.total += n;
      }
    }
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} WHERE $1 = '' OR o.state = $1 ORDER BY o.id DESC "
                                              "LIMIT $2 OFFSET $3",
                                              kOutboxColumns),
                                  {std::string_view(state), filter.limit, filter.offset}));
    for (int i = 0; i < rows.size(); ++i) {
      CS_ASSIGN_OR_RETURN(OutboxMessage message, ReadOutboxRow(rows, i));
      page.messages.push_back(std::move(message));
    }
    return page;
  });
}

base::Result<LinkOutcome> PgStore::ConfirmByLink(int64_t contact_id, int64_t list_id) {
  return InTransaction(*db_, kWrite, [&]() -> base::Result<LinkOutcome> {
    CS_ASSIGN_OR_RETURN(const LinkTarget target,
                        FindLinkTarget(*db_, contact_id, list_id, /*lock_contact=*/true));
    CS_ASSIGN_OR_RETURN(const std::optional<std::string> exclusion,
                        MatchingExclusionPattern(*db_, target));
    CS_ASSIGN_OR_RETURN(const std::optional<bool> autoresponders,
                        LatestConfirmationAutoresponders(*db_, contact_id, list_id));
    CS_ASSIGN_OR_RETURN(const LinkChange change,
                        DecideConfirmByLink(SubjectOf(target), exclusion, autoresponders));
    LinkOutcome outcome{target.email, target.list.name, target.status, change.change};
    if (!change.change) return outcome;
    const int64_t now_ms = NowMillis();
    const Cause cause{model::CauseKind::kConfirmationLink, ""};
    CS_RETURN_IF_ERROR(
        ChangeSubscription(*db_, contact_id, target.list, target.status, change.to, cause, now_ms));
    CS_RETURN_IF_ERROR(QueueMailForChange(*db_, contact_id, target.list, target.status, change.to,
                                          change.queue_autoresponders, now_ms));
    return outcome;
  });
}

base::Result<LinkOutcome> PgStore::UnsubscribeByLink(int64_t contact_id, int64_t list_id) {
  return InTransaction(*db_, kWrite, [&]() -> base::Result<LinkOutcome> {
    CS_ASSIGN_OR_RETURN(const LinkTarget target,
                        FindLinkTarget(*db_, contact_id, list_id, /*lock_contact=*/true));
    CS_ASSIGN_OR_RETURN(const LinkChange change, DecideUnsubscribeByLink(SubjectOf(target)));
    LinkOutcome outcome{target.email, target.list.name, target.status, change.change};
    if (!change.change) return outcome;
    const int64_t now_ms = NowMillis();
    const Cause cause{model::CauseKind::kUnsubscribeLink, ""};
    CS_RETURN_IF_ERROR(
        ChangeSubscription(*db_, contact_id, target.list, target.status, change.to, cause, now_ms));
    if (change.set_ever_unsubscribed) {
      CS_RETURN_IF_ERROR(
          db_->Exec("UPDATE contacts SET ever_unsubscribed = true, updated_at = cs_ts($2), "
                    "last_change_cause = $3, last_change_detail = '' WHERE id = $1",
                    {contact_id, now_ms, model::CauseKindName(cause.kind)})
              .status());
    }
    return outcome;
  });
}

}  // namespace contactsync::store::postgres
