// PgStore: contacts, their field values and subscriptions (the SQLite store's
// sqlite_store_contacts.cpp, in PostgreSQL terms).

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"
#include "store/contact_save_rules.h"
#include "store/postgres/pg_queries.h"
#include "store/postgres/pg_store.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

using model::SubscriptionStatusName;

int64_t Flag(bool value) { return value ? 1 : 0; }

// ContactRow, the flow of SaveContact and its rules: store/contact_save_rules.h.

constexpr std::string_view kContactColumns =
    "SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.bounced, c.ever_unsubscribed, "
    "cs_ms(c.created_at), cs_ms(c.updated_at) FROM contacts c ";

ContactRow ReadContactRow(const Rows& rows, int row) {
  ContactRow contact;
  contact.id = rows.Int64(row, 0);
  contact.email = rows.Text(row, 1);
  contact.first_name = rows.Text(row, 2);
  contact.last_name = rows.Text(row, 3);
  contact.phone = rows.Text(row, 4);
  contact.bounced = rows.Bool(row, 5);
  contact.ever_unsubscribed = rows.Bool(row, 6);
  contact.created_at = rows.Int64(row, 7);
  contact.updated_at = rows.Int64(row, 8);
  return contact;
}

// kForUpdate: the write locks the contact's row before it reads its subscriptions, so that a
// sync batch writer (READ COMMITTED, which locks the rows of its batch's contacts first:
// pg_store_sync_batch.cpp) and this write take turns on the contact instead of either
// writing over a change it did not see.
enum class RowLock { kNone, kForUpdate };

base::Result<std::optional<ContactRow>> FindContactByKey(Database& db, std::string_view key,
                                                         RowLock lock = RowLock::kNone) {
  CS_ASSIGN_OR_RETURN(const Rows rows,
                      db.Exec(fmt::format("{} WHERE c.email_key = $1{}", kContactColumns,
                                          lock == RowLock::kForUpdate ? " FOR UPDATE" : ""),
                              {key}));
  if (rows.size() == 0) return std::optional<ContactRow>();
  return std::optional<ContactRow>(ReadContactRow(rows, 0));
}

// Any spelling of the address finds the contact.
base::Result<ContactRow> RequireContact(Database& db, std::string_view email,
                                        RowLock lock = RowLock::kNone) {
  CS_ASSIGN_OR_RETURN(std::optional<ContactRow> row,
                      FindContactByKey(db, LookupEmailKey(email), lock));
  if (!row) return ContactNotFound(email);
  return *std::move(row);
}

base::Result<std::vector<Subscription>> LoadSubscriptions(Database& db, int64_t contact_id) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT l.name, s.status, cs_ms(s.changed_at), s.cause, s.cause_detail "
              "FROM subscriptions s JOIN lists l ON l.id = s.list_id "
              "WHERE s.contact_id = $1 ORDER BY l.name COLLATE \"C\"",
              {contact_id}));
  std::vector<Subscription> subscriptions;
  for (int i = 0; i < rows.size(); ++i) {
    Subscription& subscription = subscriptions.emplace_back();
    subscription.list_name = rows.Text(i, 0);
    CS_ASSIGN_OR_RETURN(subscription.status, StoredStatus(rows.Text(i, 1)));
    subscription.changed_at = base::FormatUnixMillis(rows.Int64(i, 2));
    CS_ASSIGN_OR_RETURN(subscription.cause.kind, StoredCauseKind(rows.Text(i, 3)));
    subscription.cause.detail = rows.Text(i, 4);
  }
  return subscriptions;
}

base::Result<Contact> LoadContact(Database& db, ContactRow row) {
  Contact contact = ContactOfRow(std::move(row));
  CS_ASSIGN_OR_RETURN(contact.fields, LoadFieldValues(db, contact.id));
  CS_ASSIGN_OR_RETURN(contact.subscriptions, LoadSubscriptions(db, contact.id));
  return contact;
}

base::Result<std::optional<SubscriptionStatus>> FindSubscriptionStatus(Database& db,
                                                                       int64_t contact_id,
                                                                       int64_t list_id) {
  CS_ASSIGN_OR_RETURN(
      const Rows rows,
      db.Exec("SELECT status FROM subscriptions WHERE contact_id = $1 AND list_id = $2",
              {contact_id, list_id}));
  if (rows.size() == 0) return std::optional<SubscriptionStatus>();
  CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(rows.Text(0, 0)));
  return std::optional<SubscriptionStatus>(status);
}

base::Status UpdateContactRow(Database& db, const ContactRow& row, const Cause& cause) {
  return db
      .Exec(
          "UPDATE contacts SET first_name = $2, last_name = $3, phone = $4, "
          "bounced = $5::integer <> 0, ever_unsubscribed = $6::integer <> 0, "
          "updated_at = cs_ts($7), last_change_cause = $8, last_change_detail = $9 "
          "WHERE id = $1",
          {row.id, std::string_view(row.first_name), std::string_view(row.last_name),
           std::string_view(row.phone), Flag(row.bounced), Flag(row.ever_unsubscribed),
           row.updated_at, model::CauseKindName(cause.kind), std::string_view(cause.detail)})
      .status();
}

base::Result<int64_t> InsertContactRow(Database& db, const ContactRow& row, std::string_view key,
                                       const Cause& cause) {
  CS_ASSIGN_OR_RETURN(
      const Rows inserted,
      db.Exec("INSERT INTO contacts (email, email_key, first_name, last_name, phone, bounced, "
              "ever_unsubscribed, created_at, updated_at, last_change_cause, "
              "last_change_detail) VALUES ($1, $2, $3, $4, $5, $6::integer <> 0, "
              "$7::integer <> 0, cs_ts($8), cs_ts($8), $9, $10) RETURNING id",
              {std::string_view(row.email), key, std::string_view(row.first_name),
               std::string_view(row.last_name), std::string_view(row.phone), Flag(row.bounced),
               Flag(row.ever_unsubscribed), row.created_at, model::CauseKindName(cause.kind),
               std::string_view(cause.detail)}));
  return inserted.Int64(0, 0);
}

// SaveContact's storage: the look-ups and writes of this file, in the caller's write
// transaction. SERIALIZABLE makes the look-up-then-insert safe: a concurrent insert of the
// same address fails this transaction with a serialization failure, and InTransaction runs it
// again, when it finds the contact. The contact found is locked (RowLock::kForUpdate says why).
class PgContactSaveStorage final : public ContactSaveStorage {
 public:
  explicit PgContactSaveStorage(Database& db) : db_(db) {}

  base::Result<std::vector<CustomField>> LoadFields() override { return postgres::LoadFields(db_); }
  base::Result<ListRef> RequireList(std::string_view name) override {
    return postgres::RequireList(db_, name);
  }
  base::Result<std::optional<ContactRow>> FindContactToWrite(std::string_view email_key) override {
    return FindContactByKey(db_, email_key, RowLock::kForUpdate);
  }
  base::Result<std::map<std::string, std::string>> LoadFieldValues(int64_t contact_id) override {
    return postgres::LoadFieldValues(db_, contact_id);
  }
  base::Result<std::optional<SubscriptionStatus>> FindSubscriptionStatus(int64_t contact_id,
                                                                         int64_t list_id) override {
    return postgres::FindSubscriptionStatus(db_, contact_id, list_id);
  }
  base::Result<std::optional<Exclusion>> FindMatchingExclusion(
      const ListRef& list, std::string_view email_key) override {
    return postgres::FindMatchingExclusion(db_, list, email_key);
  }
  base::Result<int64_t> InsertContact(const ContactRow& row, std::string_view email_key,
                                      const Cause& cause) override {
    return InsertContactRow(db_, row, email_key, cause);
  }
  base::Status UpdateContact(const ContactRow& row, const Cause& cause) override {
    return UpdateContactRow(db_, row, cause);
  }
  base::Status WriteFieldValues(int64_t contact_id, const FieldValueRefs& changes) override {
    return postgres::WriteFieldValues(db_, contact_id, changes);
  }
  base::Status ChangeSubscription(int64_t contact_id, const ListRef& list,
                                  std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                  const Cause& cause, int64_t now_ms) override {
    return postgres::ChangeSubscription(db_, contact_id, list, from, to, cause, now_ms);
  }
  base::Status QueueMailForChange(int64_t contact_id, const ListRef& list,
                                  std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                  bool autoresponders, int64_t now_ms) override {
    return postgres::QueueMailForChange(db_, contact_id, list, from, to, autoresponders, now_ms);
  }
  base::Result<Contact> LoadContact(ContactRow row) override {
    return postgres::LoadContact(db_, std::move(row));
  }

 private:
  Database& db_;
};

// The WHERE clause of a FindContacts and the parameters it binds, numbered as they are added:
// PostgreSQL refuses a parameter that no statement text uses (its type cannot be inferred),
// so the numbers must have no gaps, unlike the SQLite store's fixed ?1, ?2, ?10...
struct ContactQuery {
  std::string where = "WHERE 1 = 1";
  std::vector<Param> params;

  // Binds `value` and returns its placeholder ("$3").
  std::string Bind(Param value) {
    params.push_back(value);
    return fmt::format("${}", params.size());
  }
};

ContactQuery BuildContactQuery(const std::optional<ListRef>& list,
                               const std::optional<SubscriptionStatus>& status,
                               const std::vector<std::string>& patterns) {
  ContactQuery query;
  if (list || status) {
    query.where += " AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id";
    if (list) query.where += " AND s.list_id = " + query.Bind(list->id);
    if (status) query.where += " AND s.status = " + query.Bind(SubscriptionStatusName(*status));
    query.where += ")";
  }
  // Every word of the search must match one of the three columns: "vera
  // mccoy" finds Vera McCoy. SQLite's LIKE ignores the case of ASCII letters
  // only; ILIKE under COLLATE "C" folds exactly those (the database's own
  // collation would fold 'É' too). The email is matched by its lower-case key.
  for (const std::string& pattern : patterns) {
    const std::string param = query.Bind(std::string_view(pattern));
    query.where += fmt::format(
        " AND (c.email_key COLLATE \"C\" ILIKE {0} ESCAPE '\\' OR c.first_name COLLATE \"C\" "
        "ILIKE {0} ESCAPE '\\' OR c.last_name COLLATE \"C\" ILIKE {0} ESCAPE '\\')",
        param);
  }
  return query;
}

}  // namespace

base::Result<ContactChangeOutcome> PgStore::SaveContact(const ContactChange& change) {
  // Everything that needs no data is checked before the transaction begins.
  CS_ASSIGN_OR_RETURN(const std::string email, model::ValidateEmail(change.contact.email));
  CS_RETURN_IF_ERROR(CheckContactText(change.contact));
  CS_RETURN_IF_ERROR(CheckCause(change.cause));
  return InTransaction(*db_, kWrite, [&] {
    PgContactSaveStorage storage(*db_);
    return SaveContactByRules(storage, change, email, NowMillis());
  });
}

base::Result<Contact> PgStore::GetContact(std::string_view email) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<Contact> {
    CS_ASSIGN_OR_RETURN(ContactRow row, RequireContact(*db_, email));
    return LoadContact(*db_, std::move(row));
  });
}

base::Result<Contact> PgStore::GetContactById(int64_t id) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<Contact> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} WHERE c.id = $1", kContactColumns), {id}));
    if (rows.size() == 0) return ContactIdNotFound(id);
    return LoadContact(*db_, ReadContactRow(rows, 0));
  });
}

base::Result<ContactPage> PgStore::FindContacts(const ContactFilter& filter) {
  CS_ASSIGN_OR_RETURN(const std::vector<std::string> words, CheckContactFilter(filter));
  std::vector<std::string> patterns;
  for (const std::string& word : words) patterns.push_back(LikeSubstringPattern(word));

  return InTransaction(*db_, kRead, [&]() -> base::Result<ContactPage> {
    std::optional<ListRef> list;
    if (filter.list) {
      CS_ASSIGN_OR_RETURN(list, RequireList(*db_, *filter.list));
    }
    // The SQL text is assembled from fixed fragments only; every value is a bound parameter.
    ContactQuery query = BuildContactQuery(list, filter.status, patterns);

    ContactPage page;
    {
      // The total counts every match, before the page is cut.
      CS_ASSIGN_OR_RETURN(
          const Rows count,
          db_->Exec(fmt::format("SELECT count(*) FROM contacts c {}", query.where), query.params));
      page.total = count.size() > 0 ? count.Int64(0, 0) : 0;
    }
    const std::string limit = query.Bind(filter.limit);
    const std::string offset = query.Bind(filter.offset);
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} {} ORDER BY c.email_key COLLATE \"C\" "
                                              "LIMIT {} OFFSET {}",
                                              kContactColumns, query.where, limit, offset),
                                  query.params));
    page.contacts.reserve(rows.size());
    for (int i = 0; i < rows.size(); ++i) {
      CS_ASSIGN_OR_RETURN(Contact contact, LoadContact(*db_, ReadContactRow(rows, i)));
      page.contacts.push_back(std::move(contact));
    }
    return page;
  });
}

base::Status PgStore::DeleteContact(std::string_view email) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const ContactRow row, RequireContact(*db_, email, RowLock::kForUpdate));
    // Values, subscriptions and history go by ON DELETE CASCADE.
    return db_->Exec("DELETE FROM contacts WHERE id = $1", {row.id}).status();
  });
}

base::Status PgStore::Unsubscribe(std::string_view email, std::string_view list_name,
                                  const Cause& cause) {
  CS_RETURN_IF_ERROR(CheckCause(cause));
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(ContactRow row, RequireContact(*db_, email, RowLock::kForUpdate));
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(*db_, list_name));
    CS_ASSIGN_OR_RETURN(const std::optional<SubscriptionStatus> current,
                        FindSubscriptionStatus(*db_, row.id, list.id));
    if (!current) {
      return ContactNotOnList(row.email, list.name);
    }
    if (*current == SubscriptionStatus::kUnsubscribed) return base::Status::Ok();
    const int64_t now_ms = NowMillis();
    CS_RETURN_IF_ERROR(ChangeSubscription(*db_, row.id, list, current,
                                          SubscriptionStatus::kUnsubscribed, cause, now_ms));
    if (!row.ever_unsubscribed) {
      row.ever_unsubscribed = true;
      row.updated_at = now_ms;
      CS_RETURN_IF_ERROR(UpdateContactRow(*db_, row, cause));
    }
    return base::Status::Ok();
  });
}

base::Status PgStore::MarkBounced(std::string_view email, const Cause& cause) {
  CS_RETURN_IF_ERROR(CheckCause(cause));
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(ContactRow row, RequireContact(*db_, email, RowLock::kForUpdate));
    std::vector<std::pair<ListRef, SubscriptionStatus>> mailable;
    {
      CS_ASSIGN_OR_RETURN(
          const Rows rows,
          db_->Exec("SELECT l.id, l.name, s.status FROM subscriptions s "
                    "JOIN lists l ON l.id = s.list_id WHERE s.contact_id = $1 "
                    "AND s.status IN ('active', 'unconfirmed') ORDER BY l.name COLLATE \"C\"",
                    {row.id}));
      for (int i = 0; i < rows.size(); ++i) {
        CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(rows.Text(i, 2)));
        mailable.emplace_back(ListRef{rows.Int64(i, 0), std::string(rows.Text(i, 1))}, status);
      }
    }
    const int64_t now_ms = NowMillis();
    for (const auto& [list, status] : mailable) {
      CS_RETURN_IF_ERROR(ChangeSubscription(*db_, row.id, list, status,
                                            SubscriptionStatus::kBounced, cause, now_ms));
    }
    if (!row.bounced) {
      row.bounced = true;
      row.updated_at = now_ms;
      CS_RETURN_IF_ERROR(UpdateContactRow(*db_, row, cause));
    }
    return base::Status::Ok();
  });
}

base::Result<std::vector<HistoryEntry>> PgStore::GetHistory(std::string_view email) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::vector<HistoryEntry>> {
    CS_ASSIGN_OR_RETURN(const ContactRow row, RequireContact(*db_, email));
    // The history rows, and the join entry of each current subscription from its row, in the
    // order they were written: the join's id was taken from the history's sequence when it
    // joined (ChangeSubscription).
    CS_ASSIGN_OR_RETURN(
        const Rows rows,
        db_->Exec("SELECT list_name, from_status, to_status, cause, cause_detail, cs_ms(at), id "
                  "FROM subscription_history WHERE contact_id = $1 UNION ALL "
                  "SELECT l.name, NULL, s.joined_status, s.joined_cause, s.joined_detail, "
                  "cs_ms(s.created_at), s.joined_entry_id FROM subscriptions s JOIN lists l ON "
                  "l.id = s.list_id WHERE s.contact_id = $1 ORDER BY 7",
                  {row.id}));
    std::vector<HistoryEntry> history;
    for (int i = 0; i < rows.size(); ++i) {
      HistoryEntry& entry = history.emplace_back();
      entry.list_name = rows.Text(i, 0);
      if (!rows.IsNull(i, 1)) {
        CS_ASSIGN_OR_RETURN(entry.from, StoredStatus(rows.Text(i, 1)));
      }
      if (!rows.IsNull(i, 2)) {
        CS_ASSIGN_OR_RETURN(entry.to, StoredStatus(rows.Text(i, 2)));
      }
      CS_ASSIGN_OR_RETURN(entry.cause.kind, StoredCauseKind(rows.Text(i, 3)));
      entry.cause.detail = rows.Text(i, 4);
      entry.at = base::FormatUnixMillis(rows.Int64(i, 5));
    }
    return history;
  });
}

}  // namespace contactsync::store::postgres
