// SqliteStore: contacts, their field values and subscriptions.

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"
#include "store/contact_save_rules.h"
#include "store/sqlite/mail_queue.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;
// FindContacts binds ?1 list, ?2 status, ?4 limit, ?5 offset, and the
// search words from here on.
constexpr int kFirstSearchParam = 10;

using model::SubscriptionStatusName;

// ContactRow, the flow of SaveContact and its rules: store/contact_save_rules.h.

constexpr std::string_view kContactColumns =
    "SELECT id, email, first_name, last_name, phone, bounced, ever_unsubscribed, created_at, "
    "updated_at FROM contacts ";

ContactRow ReadContactRow(const Statement& row) {
  ContactRow contact;
  contact.id = row.ColumnInt64(0);
  contact.email = row.ColumnText(1);
  contact.first_name = row.ColumnText(2);
  contact.last_name = row.ColumnText(3);
  contact.phone = row.ColumnText(4);
  contact.bounced = row.ColumnInt64(5) != 0;
  contact.ever_unsubscribed = row.ColumnInt64(6) != 0;
  contact.created_at = row.ColumnInt64(7);
  contact.updated_at = row.ColumnInt64(8);
  return contact;
}

base::Result<std::optional<ContactRow>> FindContactByKey(Database& db, std::string_view key) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached(fmt::format("{} WHERE email_key = ?1", kContactColumns)));
  query->Bind(1, key);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<ContactRow>();
  return std::optional<ContactRow>(ReadContactRow(*query));
}

// Any spelling of the address finds the contact.
base::Result<ContactRow> RequireContact(Database& db, std::string_view email) {
  CS_ASSIGN_OR_RETURN(std::optional<ContactRow> row, FindContactByKey(db, LookupEmailKey(email)));
  if (!row) return ContactNotFound(email);
  return *std::move(row);
}

base::Result<std::vector<Subscription>> LoadSubscriptions(Database& db, int64_t contact_id) {
  CS_ASSIGN_OR_RETURN(CachedStatement query,
                      db.Cached("SELECT l.name, s.status, s.changed_at, s.cause, s.cause_detail "
                                "FROM subscriptions s JOIN lists l ON l.id = s.list_id "
                                "WHERE s.contact_id = ?1 ORDER BY l.name"));
  query->Bind(1, contact_id);
  std::vector<Subscription> subscriptions;
  while (true) {
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return subscriptions;
    Subscription& subscription = subscriptions.emplace_back();
    subscription.list_name = query->ColumnText(0);
    CS_ASSIGN_OR_RETURN(subscription.status, StoredStatus(query->ColumnText(1)));
    subscription.changed_at = base::FormatUnixMillis(query->ColumnInt64(2));
    CS_ASSIGN_OR_RETURN(subscription.cause.kind, StoredCauseKind(query->ColumnText(3)));
    subscription.cause.detail = query->ColumnText(4);
  }
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
      CachedStatement query,
      db.Cached("SELECT status FROM subscriptions WHERE contact_id = ?1 AND list_id = ?2"));
  query->Bind(1, contact_id).Bind(2, list_id);
  CS_ASSIGN_OR_RETURN(const bool row, query->Step());
  if (!row) return std::optional<SubscriptionStatus>();
  CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(query->ColumnText(0)));
  return std::optional<SubscriptionStatus>(status);
}

base::Status UpdateContactRow(Database& db, const ContactRow& row, const Cause& cause) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement update,
      db.Cached("UPDATE contacts SET first_name = ?2, last_name = ?3, phone = ?4, bounced = ?5, "
                "ever_unsubscribed = ?6, updated_at = ?7, last_change_cause = ?8, "
                "last_change_detail = ?9 WHERE id = ?1"));
  update->Bind(1, row.id)
      .Bind(2, row.first_name)
      .Bind(3, row.last_name)
      .Bind(4, row.phone)
      .Bind(5, int64_t{row.bounced ? 1 : 0})
      .Bind(6, int64_t{row.ever_unsubscribed ? 1 : 0})
      .Bind(7, row.updated_at)
      .Bind(8, model::CauseKindName(cause.kind))
      .Bind(9, cause.detail);
  return update->Run();
}

base::Result<int64_t> InsertContactRow(Database& db, const ContactRow& row, std::string_view key,
                                       const Cause& cause) {
  CS_ASSIGN_OR_RETURN(
      CachedStatement insert,
      db.Cached("INSERT INTO contacts (email, email_key, first_name, last_name, phone, bounced, "
                "ever_unsubscribed, created_at, updated_at, last_change_cause, "
                "last_change_detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)"));
  insert->Bind(1, row.email)
      .Bind(2, key)
      .Bind(3, row.first_name)
      .Bind(4, row.last_name)
      .Bind(5, row.phone)
      .Bind(6, int64_t{row.bounced ? 1 : 0})
      .Bind(7, int64_t{row.ever_unsubscribed ? 1 : 0})
      .Bind(8, row.created_at)
      .Bind(9, model::CauseKindName(cause.kind))
      .Bind(10, cause.detail);
  CS_RETURN_IF_ERROR(insert->Run());
  return db.LastInsertRowId();
}

// SaveContact's storage: the look-ups and writes of this file, in the caller's write
// transaction. SQLite has one writer at a time, so the contact is found without a lock.
class SqliteContactSaveStorage final : public ContactSaveStorage {
 public:
  explicit SqliteContactSaveStorage(Database& db) : db_(db) {}

  base::Result<std::vector<CustomField>> LoadFields() override { return sqlite::LoadFields(db_); }
  base::Result<ListRef> RequireList(std::string_view name) override {
    return sqlite::RequireList(db_, name);
  }
  base::Result<std::optional<ContactRow>> FindContactToWrite(std::string_view email_key) override {
    return FindContactByKey(db_, email_key);
  }
  base::Result<std::map<std::string, std::string>> LoadFieldValues(int64_t contact_id) override {
    return sqlite::LoadFieldValues(db_, contact_id);
  }
  base::Result<std::optional<SubscriptionStatus>> FindSubscriptionStatus(int64_t contact_id,
                                                                         int64_t list_id) override {
    return sqlite::FindSubscriptionStatus(db_, contact_id, list_id);
  }
  base::Result<std::optional<Exclusion>> FindMatchingExclusion(
      const ListRef& list, std::string_view email_key) override {
    return sqlite::FindMatchingExclusion(db_, list, email_key);
  }
  base::Result<int64_t> InsertContact(const ContactRow& row, std::string_view email_key,
                                      const Cause& cause) override {
    return InsertContactRow(db_, row, email_key, cause);
  }
  base::Status UpdateContact(const ContactRow& row, const Cause& cause) override {
    return UpdateContactRow(db_, row, cause);
  }
  base::Status WriteFieldValues(int64_t contact_id, const FieldValueRefs& changes) override {
    return sqlite::WriteFieldValues(db_, contact_id, changes);
  }
  base::Status ChangeSubscription(int64_t contact_id, const ListRef& list,
                                  std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                  const Cause& cause, int64_t now_ms) override {
    return sqlite::ChangeSubscription(db_, contact_id, list, from, to, cause, now_ms);
  }
  base::Status QueueMailForChange(int64_t contact_id, const ListRef& list,
                                  std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                  bool autoresponders, int64_t now_ms) override {
    return sqlite::QueueMailForChange(db_, contact_id, list, from, to, autoresponders, now_ms);
  }
  base::Result<Contact> LoadContact(ContactRow row) override {
    return sqlite::LoadContact(db_, std::move(row));
  }

 private:
  Database& db_;
};

}  // namespace

base::Result<ContactChangeOutcome> SqliteStore::SaveContact(const ContactChange& change) {
  // Everything that needs no data is checked before taking the write lock.
  CS_ASSIGN_OR_RETURN(const std::string email, model::ValidateEmail(change.contact.email));
  CS_RETURN_IF_ERROR(CheckContactText(change.contact));
  CS_RETURN_IF_ERROR(CheckCause(change.cause));
  return InTransaction(db_, kWrite, [&] {
    SqliteContactSaveStorage storage(db_);
    return SaveContactByRules(storage, change, email, NowMillis());
  });
}

base::Result<Contact> SqliteStore::GetContact(std::string_view email) {
  return InTransaction(db_, kRead, [&]() -> base::Result<Contact> {
    CS_ASSIGN_OR_RETURN(ContactRow row, RequireContact(db_, email));
    return LoadContact(db_, std::move(row));
  });
}

base::Result<Contact> SqliteStore::GetContactById(int64_t id) {
  return InTransaction(db_, kRead, [&]() -> base::Result<Contact> {
    ContactRow row;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement query,
                          db_.Cached(fmt::format("{} WHERE id = ?1", kContactColumns)));
      query->Bind(1, id);
      CS_ASSIGN_OR_RETURN(const bool found, query->Step());
      if (!found) return ContactIdNotFound(id);
      row = ReadContactRow(*query);
    }
    return LoadContact(db_, std::move(row));
  });
}

base::Result<ContactPage> SqliteStore::FindContacts(const ContactFilter& filter) {
  CS_ASSIGN_OR_RETURN(const std::vector<std::string> words, CheckContactFilter(filter));

  return InTransaction(db_, kRead, [&]() -> base::Result<ContactPage> {
    std::optional<ListRef> list;
    if (filter.list) {
      CS_ASSIGN_OR_RETURN(list, RequireList(db_, *filter.list));
    }
    // The SQL text is assembled from fixed fragments only (four filter
    // shapes times 0..kMaxSearchWords words, each cached); every value is a
    // bound parameter.
    std::string where = "WHERE 1 = 1";
    if (list || filter.status) {
      where += " AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id";
      if (list) where += " AND s.list_id = ?1";
      if (filter.status) where += " AND s.status = ?2";
      where += ")";
    }
    // Every word of the search must match one of the three columns: "vera
    // mccoy" finds Vera McCoy. LIKE is case-insensitive for ASCII in SQLite;
    // the email is matched by its lower-case key.
    std::vector<std::string> patterns;
    for (const std::string& word : words) {
      const int param = kFirstSearchParam + static_cast<int>(patterns.size());
      where += fmt::format(
          " AND (c.email_key LIKE ?{0} ESCAPE '\\' OR c.first_name LIKE ?{0} ESCAPE '\\' "
          "OR c.last_name LIKE ?{0} ESCAPE '\\')",
          param);
      patterns.push_back(LikeSubstringPattern(word));
    }
    const auto bind = [&](Statement& statement) {
      if (list) statement.Bind(1, list->id);
      if (filter.status) statement.Bind(2, SubscriptionStatusName(*filter.status));
      for (size_t i = 0; i < patterns.size(); ++i) {
        statement.Bind(kFirstSearchParam + static_cast<int>(i), patterns[i]);
      }
    };

    ContactPage page;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement count,
                          db_.Cached(fmt::format("SELECT count(*) FROM contacts c {}", where)));
      bind(*count);
      CS_ASSIGN_OR_RETURN(const bool row, count->Step());
      page.total = row ? count->ColumnInt64(0) : 0;
    }
    std::vector<ContactRow> rows;
    {
      CS_ASSIGN_OR_RETURN(
          CachedStatement query,
          db_.Cached(fmt::format("SELECT c.id, c.email, c.first_name, c.last_name, c.phone, "
                                 "c.bounced, c.ever_unsubscribed, c.created_at, c.updated_at "
                                 "FROM contacts c {} ORDER BY c.email_key LIMIT ?4 OFFSET ?5",
                                 where)));
      bind(*query);
      query->Bind(4, filter.limit).Bind(5, filter.offset);
      while (true) {
        CS_ASSIGN_OR_RETURN(const bool row, query->Step());
        if (!row) break;
        rows.push_back(ReadContactRow(*query));
      }
    }
    page.contacts.reserve(rows.size());
    for (ContactRow& row : rows) {
      CS_ASSIGN_OR_RETURN(Contact contact, LoadContact(db_, std::move(row)));
      page.contacts.push_back(std::move(contact));
    }
    return page;
  });
}

base::Status SqliteStore::DeleteContact(std::string_view email) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const ContactRow row, RequireContact(db_, email));
    // Values, subscriptions and history go by ON DELETE CASCADE.
    CS_ASSIGN_OR_RETURN(CachedStatement remove, db_.Cached("DELETE FROM contacts WHERE id = ?1"));
    remove->Bind(1, row.id);
    return remove->Run();
  });
}

base::Status SqliteStore::Unsubscribe(std::string_view email, std::string_view list_name,
                                      const Cause& cause) {
  CS_RETURN_IF_ERROR(CheckCause(cause));
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(ContactRow row, RequireContact(db_, email));
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(db_, list_name));
    CS_ASSIGN_OR_RETURN(const std::optional<SubscriptionStatus> current,
                        FindSubscriptionStatus(db_, row.id, list.id));
    if (!current) {
      return ContactNotOnList(row.email, list.name);
    }
    if (*current == SubscriptionStatus::kUnsubscribed) return base::Status::Ok();
    const int64_t now_ms = base::UnixMillis(clock_.Now());
    CS_RETURN_IF_ERROR(ChangeSubscription(db_, row.id, list, current,
                                          SubscriptionStatus::kUnsubscribed, cause, now_ms));
    if (!row.ever_unsubscribed) {
      row.ever_unsubscribed = true;
      row.updated_at = now_ms;
      CS_RETURN_IF_ERROR(UpdateContactRow(db_, row, cause));
    }
    return base::Status::Ok();
  });
}

base::Status SqliteStore::MarkBounced(std::string_view email, const Cause& cause) {
  CS_RETURN_IF_ERROR(CheckCause(cause));
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(ContactRow row, RequireContact(db_, email));
    std::vector<std::pair<ListRef, SubscriptionStatus>> mailable;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement query,
                          db_.Cached("SELECT l.id, l.name, s.status FROM subscriptions s "
                                     "JOIN lists l ON l.id = s.list_id WHERE s.contact_id = ?1 "
                                     "AND s.status IN ('active', 'unconfirmed') ORDER BY l.name"));
      query->Bind(1, row.id);
      while (true) {
        CS_ASSIGN_OR_RETURN(const bool more, query->Step());
        if (!more) break;
        CS_ASSIGN_OR_RETURN(const SubscriptionStatus status, StoredStatus(query->ColumnText(2)));
        mailable.emplace_back(ListRef{query->ColumnInt64(0), query->ColumnText(1)}, status);
      }
    }
    const int64_t now_ms = base::UnixMillis(clock_.Now());
    for (const auto& [list, status] : mailable) {
      CS_RETURN_IF_ERROR(ChangeSubscription(db_, row.id, list, status, SubscriptionStatus::kBounced,
                                            cause, now_ms));
    }
    if (!row.bounced) {
      row.bounced = true;
      row.updated_at = now_ms;
      CS_RETURN_IF_ERROR(UpdateContactRow(db_, row, cause));
    }
    return base::Status::Ok();
  });
}

base::Result<std::vector<HistoryEntry>> SqliteStore::GetHistory(std::string_view email) {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<HistoryEntry>> {
    CS_ASSIGN_OR_RETURN(const ContactRow row, RequireContact(db_, email));
    // The history rows, and the join entry of each current subscription from its row, in the
    // order they were written: the join's id was reserved when it joined (ReserveHistoryIds).
    CS_ASSIGN_OR_RETURN(
        CachedStatement query,
        db_.Cached("SELECT list_name, from_status, to_status, cause, cause_detail, at, id "
                   "FROM subscription_history WHERE contact_id = ?1 UNION ALL "
                   "SELECT l.name, NULL, s.joined_status, s.joined_cause, s.joined_detail, "
                   "s.created_at, s.joined_entry_id FROM subscriptions s JOIN lists l ON l.id = "
                   "s.list_id WHERE s.contact_id = ?1 ORDER BY 7"));
    query->Bind(1, row.id);
    std::vector<HistoryEntry> history;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool more, query->Step());
      if (!more) return history;
      HistoryEntry& entry = history.emplace_back();
      entry.list_name = query->ColumnText(0);
      if (!query->ColumnIsNull(1)) {
        CS_ASSIGN_OR_RETURN(entry.from, StoredStatus(query->ColumnText(1)));
      }
      if (!query->ColumnIsNull(2)) {
        CS_ASSIGN_OR_RETURN(entry.to, StoredStatus(query->ColumnText(2)));
      }
      CS_ASSIGN_OR_RETURN(entry.cause.kind, StoredCauseKind(query->ColumnText(3)));
      entry.cause.detail = query->ColumnText(4);
      entry.at = base::FormatUnixMillis(query->ColumnInt64(5));
    }
  });
}

}  // namespace contactsync::store::sqlite
