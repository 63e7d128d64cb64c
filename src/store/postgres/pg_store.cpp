#include "store/postgres/pg_store.h"

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"
#include "model/exclusion.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_queries.h"
#include "store/store_rules.h"

namespace contactsync::store::postgres {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

constexpr std::string_view kListColumns =
    "SELECT l.id, l.name, l.sender_name, l.sender_email, l.description, cs_ms(l.created_at), "
    "(SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id) FROM lists l ";

ListInfo ReadList(const Rows& rows, int row) {
  ListInfo list;
  list.id = rows.Int64(row, 0);
  list.name = rows.Text(row, 1);
  list.sender_name = rows.Text(row, 2);
  list.sender_email = rows.Text(row, 3);
  list.description = rows.Text(row, 4);
  list.created_at = ShownTime(rows, row, 5);
  list.subscriber_count = rows.Int64(row, 6);
  return list;
}

base::Status ListNameTaken(std::string_view name) {
  return base::AlreadyExists(
      fmt::format("a list named '{}' already exists", base::Printable(name)));
}

base::Status ExclusionNotFound(int64_t id) {
  return base::NotFound(fmt::format("exclusion {} does not exist", id));
}

}  // namespace

base::Result<std::unique_ptr<PgStore>> PgStore::Open(std::string_view url,
                                                     const base::Clock& clock) {
  CS_ASSIGN_OR_RETURN(Database db, OpenMigrated(url));
  return std::unique_ptr<PgStore>(new PgStore(std::make_unique<Database>(std::move(db)), clock));
}

base::Result<int> PgStore::SchemaVersion() {
  return InTransaction(*db_, kRead, [&] { return CurrentSchemaVersion(*db_); });
}

// Lists.

base::Result<ListInfo> PgStore::CreateList(const NewList& input) {
  CS_ASSIGN_OR_RETURN(const NewList list, ValidateNewList(input));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<ListInfo> {
    CS_ASSIGN_OR_RETURN(const std::optional<ListRef> existing, FindList(*db_, list.name));
    if (existing) return ListNameTaken(list.name);
    ListInfo info;
    info.name = list.name;
    info.sender_name = list.sender_name;
    info.sender_email = list.sender_email;
    info.description = list.description;
    const int64_t now = NowMillis();
    info.created_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_->Exec("INSERT INTO lists (name, sender_name, sender_email, description, created_at) "
                  "VALUES ($1, $2, $3, $4, cs_ts($5)) RETURNING id",
                  {std::string_view(info.name), std::string_view(info.sender_name),
                   std::string_view(info.sender_email), std::string_view(info.description), now}));
    info.id = inserted.Int64(0, 0);
    return info;
  });
}

base::Result<std::vector<ListInfo>> PgStore::GetLists() {
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::vector<ListInfo>> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} ORDER BY l.name COLLATE \"C\"", kListColumns)));
    std::vector<ListInfo> lists;
    for (int i = 0; i < rows.size(); ++i) lists.push_back(ReadList(rows, i));
    return lists;
  });
}

base::Result<ListInfo> PgStore::GetList(std::string_view name) {
  return InTransaction(*db_, kRead, [&]() -> base::Result<ListInfo> {
    CS_ASSIGN_OR_RETURN(const Rows rows,
                        db_->Exec(fmt::format("{} WHERE l.name = $1", kListColumns),
                                  {std::string_view(ListNameForLookup(name))}));
    if (rows.size() == 0) return ListNotFound(name);
    return ReadList(rows, 0);
  });
}

base::Status PgStore::DeleteList(std::string_view name) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(*db_, name));
    // Subscriptions and list-scoped exclusions go by ON DELETE CASCADE; the history keeps the
    // list's name as text, and the joins the subscriptions held are written into it first.
    CS_RETURN_IF_ERROR(MaterialiseJoinsOfList(*db_, list));
    return db_->Exec("DELETE FROM lists WHERE id = $1", {list.id}).status();
  });
}

// Custom fields.

base::Result<CustomField> PgStore::CreateField(const model::FieldDefinition& input) {
  CS_ASSIGN_OR_RETURN(model::FieldDefinition definition, model::ValidateFieldDefinition(input));
  return InTransaction(*db_, kWrite, [&]() -> base::Result<CustomField> {
    {
      CS_ASSIGN_OR_RETURN(const Rows exists, db_->Exec("SELECT 1 FROM custom_fields WHERE key = $1",
                                                       {std::string_view(definition.key)}));
      if (exists.size() > 0) {
        return base::AlreadyExists(fmt::format("custom field {} already exists", definition.key));
      }
    }
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_->Exec("INSERT INTO custom_fields (key, label, type, required, created_at) VALUES "
                  "($1, $2, $3, $4::integer <> 0, cs_ts($5)) RETURNING id",
                  {std::string_view(definition.key), std::string_view(definition.label),
                   model::FieldTypeName(definition.type), int64_t{definition.required ? 1 : 0},
                   NowMillis()}));
    CustomField field{inserted.Int64(0, 0), definition};
    for (size_t i = 0; i < definition.options.size(); ++i) {
      CS_RETURN_IF_ERROR(
          db_->Exec("INSERT INTO custom_field_options (field_id, position, value) "
                    "VALUES ($1, $2, $3)",
                    {field.id, static_cast<int64_t>(i), std::string_view(definition.options[i])})
              .status());
    }
    return field;
  });
}

base::Result<std::vector<CustomField>> PgStore::GetFields() {
  return InTransaction(*db_, kRead, [&] { return LoadFields(*db_); });
}

base::Status PgStore::DeleteField(std::string_view key) {
  const std::string canonical = CanonicalFieldKey(key);
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const Rows found, db_->Exec("SELECT id FROM custom_fields WHERE key = $1",
                                                    {std::string_view(canonical)}));
    if (found.size() == 0) return FieldNotFound(canonical);
    const int64_t id = found.Int64(0, 0);
    // Every contact's value goes from contacts.fields (keyed by field id); the contacts'
    // updated_at stays, as when the values were rows that went by ON DELETE CASCADE.
    const std::string field_key = std::to_string(id);
    CS_RETURN_IF_ERROR(db_->Exec("UPDATE contacts SET fields = nullif(fields - $1, '{}'::jsonb) "
                                 "WHERE fields ? $1",
                                 {std::string_view(field_key)})
                           .status());
    // Options go by ON DELETE CASCADE.
    return db_->Exec("DELETE FROM custom_fields WHERE id = $1", {id}).status();
  });
}

// Exclusions.

base::Result<Exclusion> PgStore::AddExclusion(std::string_view raw_pattern,
                                              std::optional<std::string> list_name) {
  CS_ASSIGN_OR_RETURN(std::string pattern, model::NormalizeExclusionPattern(raw_pattern));
  const bool global = !list_name || base::TrimAscii(*list_name).empty();
  return InTransaction(*db_, kWrite, [&]() -> base::Result<Exclusion> {
    Exclusion exclusion;
    exclusion.pattern = pattern;
    int64_t list_id = 0;
    if (!global) {
      CS_ASSIGN_OR_RETURN(ListRef list, RequireList(*db_, *list_name));
      list_id = list.id;
      exclusion.list_name = std::move(list.name);
    }
    {
      CS_ASSIGN_OR_RETURN(
          const Rows exists,
          db_->Exec("SELECT 1 FROM exclusions WHERE pattern = $1 AND coalesce(list_id, 0) = $2",
                    {std::string_view(pattern), list_id}));
      if (exists.size() > 0) {
        return base::AlreadyExists(fmt::format(
            "exclusion '{}' already exists {}", pattern,
            global ? std::string("for all lists")
                   : fmt::format("for list '{}'", base::Printable(*exclusion.list_name))));
      }
    }
    const int64_t now = NowMillis();
    exclusion.created_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        const Rows inserted,
        db_->Exec("INSERT INTO exclusions (pattern, list_id, created_at) VALUES ($1, $2, "
                  "cs_ts($3)) RETURNING id",
                  {std::string_view(pattern), global ? Param(nullptr) : Param(list_id), now}));
    exclusion.id = inserted.Int64(0, 0);
    return exclusion;
  });
}

base::Result<std::vector<Exclusion>> PgStore::GetExclusions(std::optional<std::string> list_name) {
  const bool all = !list_name || base::TrimAscii(*list_name).empty();
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::vector<Exclusion>> {
    constexpr std::string_view kSelect =
        "SELECT e.id, e.pattern, l.name, cs_ms(e.created_at) FROM exclusions e "
        "LEFT JOIN lists l ON l.id = e.list_id ";
    std::optional<Rows> rows;
    if (all) {
      CS_ASSIGN_OR_RETURN(Rows found, db_->Exec(fmt::format("{} ORDER BY e.id", kSelect)));
      rows.emplace(std::move(found));
    } else {
      CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(*db_, *list_name));
      CS_ASSIGN_OR_RETURN(
          Rows found,
          db_->Exec(
              fmt::format("{} WHERE e.list_id IS NULL OR e.list_id = $1 ORDER BY e.id", kSelect),
              {list.id}));
      rows.emplace(std::move(found));
    }
    std::vector<Exclusion> exclusions;
    for (int i = 0; i < rows->size(); ++i) {
      Exclusion& exclusion = exclusions.emplace_back();
      exclusion.id = rows->Int64(i, 0);
      exclusion.pattern = rows->Text(i, 1);
      if (!rows->IsNull(i, 2)) exclusion.list_name = rows->Text(i, 2);
      exclusion.created_at = ShownTime(*rows, i, 3);
    }
    return exclusions;
  });
}

base::Status PgStore::RemoveExclusion(int64_t id) {
  return InTransaction(*db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const Rows removed,
                        db_->Exec("DELETE FROM exclusions WHERE id = $1", {id}));
    if (removed.Affected() == 0) return ExclusionNotFound(id);
    return base::Status::Ok();
  });
}

base::Result<std::optional<Exclusion>> PgStore::FindExclusion(std::string_view email,
                                                              std::string_view list) {
  CS_ASSIGN_OR_RETURN(const std::string valid, model::ValidateEmail(email));
  const std::string key = model::EmailKey(valid);
  return InTransaction(*db_, kRead, [&]() -> base::Result<std::optional<Exclusion>> {
    CS_ASSIGN_OR_RETURN(const ListRef list_ref, RequireList(*db_, list));
    return FindMatchingExclusion(*db_, list_ref, key);
  });
}

}  // namespace contactsync::store::postgres
