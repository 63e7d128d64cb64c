#include "store/sqlite/sqlite_store.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"
#include "model/exclusion.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/sqlite/transaction.h"
#include "store/store_rules.h"

namespace contactsync::store::sqlite {
namespace {

constexpr TransactionKind kRead = TransactionKind::kRead;
constexpr TransactionKind kWrite = TransactionKind::kWrite;

constexpr std::string_view kListColumns =
    "SELECT l.id, l.name, l.sender_name, l.sender_email, l.description, l.created_at, "
    "(SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id) FROM lists l ";

ListInfo ReadList(const Statement& row) {
  ListInfo list;
  list.id = row.ColumnInt64(0);
  list.name = row.ColumnText(1);
  list.sender_name = row.ColumnText(2);
  list.sender_email = row.ColumnText(3);
  list.description = row.ColumnText(4);
  list.created_at = ShownTime(row, 5);
  list.subscriber_count = row.ColumnInt64(6);
  return list;
}

base::Status CreateParentDirectory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return base::Status::Ok();
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    return base::InvalidArgument(fmt::format("cannot create the directory {} for the store: {}",
                                             parent.string(), error.message()));
  }
  return base::Status::Ok();
}

// journal_mode is the first statement that reads the file, so a file that is
// not a database is reported here, with its path.
base::Status ConfigureConnection(Database& db) {
  {
    CS_ASSIGN_OR_RETURN(Statement wal, db.Prepare("PRAGMA journal_mode = WAL"));
    CS_ASSIGN_OR_RETURN(const bool row, wal.Step());
    const std::string mode = row ? base::AsciiLower(wal.ColumnText(0)) : "";
    if (mode != "wal") {
      return base::FailedPrecondition(
          fmt::format("cannot put the store {} in WAL mode (journal mode is '{}'); keep the "
                      "data directory on a local file system",
                      db.path(), mode));
    }
  }
  // foreign_keys makes the ON DELETE CASCADE rules work (deleting a list,
  // field or contact); it is per connection and off by default.
  return db.Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
}

// A SQLite file that holds tables but no schema_migrations belongs to some
// other program; migrating it would mix our tables into its data.
base::Status CheckIsContactsyncStore(Database& db) {
  CS_ASSIGN_OR_RETURN(const int version, CurrentSchemaVersion(db));
  if (version > 0) return base::Status::Ok();
  CS_ASSIGN_OR_RETURN(Statement objects,
                      db.Prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE "
                                 "'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'"));
  CS_ASSIGN_OR_RETURN(const bool row, objects.Step());
  if (row && objects.ColumnInt64(0) > 0) {
    return base::InvalidArgument(fmt::format(
        "{} is not a contactsync store: it is a SQLite database of another program", db.path()));
  }
  return base::Status::Ok();
}

base::Status ExclusionNotFound(int64_t id) {
  return base::NotFound(fmt::format("exclusion {} does not exist", id));
}

}  // namespace

base::Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                             int busy_timeout_ms,
                                                             const base::Clock& clock) {
  if (path.empty()) return base::InvalidArgument("the store path is empty");
  if (std::filesystem::is_directory(path)) {
    return base::InvalidArgument(fmt::format("the store {} is a directory, not a file", path));
  }
  CS_RETURN_IF_ERROR(CreateParentDirectory(path));
  CS_ASSIGN_OR_RETURN(Database db, Database::Open(path, busy_timeout_ms));
  CS_RETURN_IF_ERROR(ConfigureConnection(db));
  CS_RETURN_IF_ERROR(CheckIsContactsyncStore(db));
  CS_RETURN_IF_ERROR(ApplyMigrations(db, Migrations(), clock));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db), clock));
}

base::Result<ConnectionSettings> SqliteStore::Settings() {
  ConnectionSettings settings;
  const auto read = [&](std::string_view pragma, auto&& store) -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement query, db_.Cached(pragma));
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return base::Internal(fmt::format("{} returned nothing", pragma));
    store(*query);
    return base::Status::Ok();
  };
  CS_RETURN_IF_ERROR(
      read("PRAGMA journal_mode", [&](Statement& s) { settings.journal_mode = s.ColumnText(0); }));
  CS_RETURN_IF_ERROR(read("PRAGMA foreign_keys",
                          [&](Statement& s) { settings.foreign_keys = s.ColumnInt64(0) != 0; }));
  CS_RETURN_IF_ERROR(read("PRAGMA busy_timeout",
                          [&](Statement& s) { settings.busy_timeout_ms = s.ColumnInt64(0); }));
  CS_RETURN_IF_ERROR(
      read("PRAGMA synchronous", [&](Statement& s) { settings.synchronous = s.ColumnInt64(0); }));
  return settings;
}

base::Result<int> SqliteStore::SchemaVersion() {
  return InTransaction(db_, kRead, [&] { return CurrentSchemaVersion(db_); });
}

// Lists.

base::Result<ListInfo> SqliteStore::CreateList(const NewList& input) {
  CS_ASSIGN_OR_RETURN(const NewList list, ValidateNewList(input));
  return InTransaction(db_, kWrite, [&]() -> base::Result<ListInfo> {
    CS_ASSIGN_OR_RETURN(const std::optional<ListRef> existing, FindList(db_, list.name));
    if (existing) {
      return base::AlreadyExists(
          fmt::format("a list named '{}' already exists", base::Printable(list.name)));
    }
    ListInfo info;
    info.name = list.name;
    info.sender_name = list.sender_name;
    info.sender_email = list.sender_email;
    info.description = list.description;
    const int64_t now = NowMillis();
    info.created_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(CachedStatement insert,
                        db_.Cached("INSERT INTO lists (name, sender_name, sender_email, "
                                   "description, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert->Bind(1, info.name)
        .Bind(2, info.sender_name)
        .Bind(3, info.sender_email)
        .Bind(4, info.description)
        .Bind(5, now);
    CS_RETURN_IF_ERROR(insert->Run());
    info.id = db_.LastInsertRowId();
    return info;
  });
}

base::Result<std::vector<ListInfo>> SqliteStore::GetLists() {
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<ListInfo>> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} ORDER BY l.name", kListColumns)));
    std::vector<ListInfo> lists;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, query->Step());
      if (!row) return lists;
      lists.push_back(ReadList(*query));
    }
  });
}

base::Result<ListInfo> SqliteStore::GetList(std::string_view name) {
  return InTransaction(db_, kRead, [&]() -> base::Result<ListInfo> {
    CS_ASSIGN_OR_RETURN(CachedStatement query,
                        db_.Cached(fmt::format("{} WHERE l.name = ?1", kListColumns)));
    query->Bind(1, ListNameForLookup(name));
    CS_ASSIGN_OR_RETURN(const bool row, query->Step());
    if (!row) return ListNotFound(name);
    return ReadList(*query);
  });
}

base::Status SqliteStore::DeleteList(std::string_view name) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(db_, name));
    // Subscriptions and list-scoped exclusions go by ON DELETE CASCADE; the
    // history keeps the list's name as text, and the joins the subscriptions
    // held are written into it first.
    CS_RETURN_IF_ERROR(MaterialiseJoinsOfList(db_, list));
    CS_ASSIGN_OR_RETURN(CachedStatement remove, db_.Cached("DELETE FROM lists WHERE id = ?1"));
    remove->Bind(1, list.id);
    return remove->Run();
  });
}

// Custom fields.

base::Result<CustomField> SqliteStore::CreateField(const model::FieldDefinition& input) {
  CS_ASSIGN_OR_RETURN(model::FieldDefinition definition, model::ValidateFieldDefinition(input));
  return InTransaction(db_, kWrite, [&]() -> base::Result<CustomField> {
    {
      CS_ASSIGN_OR_RETURN(CachedStatement exists,
                          db_.Cached("SELECT 1 FROM custom_fields WHERE key = ?1"));
      exists->Bind(1, definition.key);
      CS_ASSIGN_OR_RETURN(const bool row, exists->Step());
      if (row) {
        return base::AlreadyExists(fmt::format("custom field {} already exists", definition.key));
      }
    }
    CS_ASSIGN_OR_RETURN(CachedStatement insert,
                        db_.Cached("INSERT INTO custom_fields (key, label, type, required, "
                                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert->Bind(1, definition.key)
        .Bind(2, definition.label)
        .Bind(3, model::FieldTypeName(definition.type))
        .Bind(4, int64_t{definition.required ? 1 : 0})
        .Bind(5, NowMillis());
    CS_RETURN_IF_ERROR(insert->Run());
    CustomField field{db_.LastInsertRowId(), definition};
    CS_ASSIGN_OR_RETURN(CachedStatement option,
                        db_.Cached("INSERT INTO custom_field_options (field_id, position, value) "
                                   "VALUES (?1, ?2, ?3)"));
    for (size_t i = 0; i < definition.options.size(); ++i) {
      option->Reset();
      option->Bind(1, field.id).Bind(2, static_cast<int64_t>(i)).Bind(3, definition.options[i]);
      CS_RETURN_IF_ERROR(option->Run());
    }
    return field;
  });
}

base::Result<std::vector<CustomField>> SqliteStore::GetFields() {
  return InTransaction(db_, kRead, [&] { return LoadFields(db_); });
}

base::Status SqliteStore::DeleteField(std::string_view key) {
  const std::string canonical = CanonicalFieldKey(key);
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    int64_t id = 0;
    {
      CS_ASSIGN_OR_RETURN(CachedStatement find,
                          db_.Cached("SELECT id FROM custom_fields WHERE key = ?1"));
      find->Bind(1, canonical);
      CS_ASSIGN_OR_RETURN(const bool row, find->Step());
      if (!row) return FieldNotFound(canonical);
      id = find->ColumnInt64(0);
    }
    {
      // Every contact's value goes from contacts.fields (keyed by field id); the contacts'
      // updated_at stays, as when the values were rows that went by ON DELETE CASCADE.
      CS_ASSIGN_OR_RETURN(
          CachedStatement values,
          db_.Cached("UPDATE contacts SET fields = nullif(json_remove(fields, ?1), '{}') "
                     "WHERE json_extract(fields, ?1) IS NOT NULL"));
      values->Bind(1, fmt::format("$.\"{}\"", id));
      CS_RETURN_IF_ERROR(values->Run());
    }
    // Options go by ON DELETE CASCADE.
    CS_ASSIGN_OR_RETURN(CachedStatement remove,
                        db_.Cached("DELETE FROM custom_fields WHERE id = ?1"));
    remove->Bind(1, id);
    return remove->Run();
  });
}

// Exclusions.

base::Result<Exclusion> SqliteStore::AddExclusion(std::string_view raw_pattern,
                                                  std::optional<std::string> list_name) {
  CS_ASSIGN_OR_RETURN(std::string pattern, model::NormalizeExclusionPattern(raw_pattern));
  const bool global = !list_name || base::TrimAscii(*list_name).empty();
  return InTransaction(db_, kWrite, [&]() -> base::Result<Exclusion> {
    Exclusion exclusion;
    exclusion.pattern = pattern;
    int64_t list_id = 0;
    if (!global) {
      CS_ASSIGN_OR_RETURN(ListRef list, RequireList(db_, *list_name));
      list_id = list.id;
      exclusion.list_name = std::move(list.name);
    }
    {
      CS_ASSIGN_OR_RETURN(
          CachedStatement exists,
          db_.Cached("SELECT 1 FROM exclusions WHERE pattern = ?1 AND coalesce(list_id, 0) = ?2"));
      exists->Bind(1, pattern).Bind(2, list_id);
      CS_ASSIGN_OR_RETURN(const bool row, exists->Step());
      if (row) {
        return base::AlreadyExists(fmt::format(
            "exclusion '{}' already exists {}", pattern,
            global ? std::string("for all lists")
                   : fmt::format("for list '{}'", base::Printable(*exclusion.list_name))));
      }
    }
    const int64_t now = NowMillis();
    exclusion.created_at = base::FormatUnixMillis(now);
    CS_ASSIGN_OR_RETURN(
        CachedStatement insert,
        db_.Cached("INSERT INTO exclusions (pattern, list_id, created_at) VALUES (?1, ?2, ?3)"));
    insert->Bind(1, pattern).Bind(3, now);
    if (global) {
      insert->BindNull(2);
    } else {
      insert->Bind(2, list_id);
    }
    CS_RETURN_IF_ERROR(insert->Run());
    exclusion.id = db_.LastInsertRowId();
    return exclusion;
  });
}

base::Result<std::vector<Exclusion>> SqliteStore::GetExclusions(
    std::optional<std::string> list_name) {
  const bool all = !list_name || base::TrimAscii(*list_name).empty();
  return InTransaction(db_, kRead, [&]() -> base::Result<std::vector<Exclusion>> {
    constexpr std::string_view kSelect =
        "SELECT e.id, e.pattern, l.name, e.created_at FROM exclusions e "
        "LEFT JOIN lists l ON l.id = e.list_id ";
    std::optional<CachedStatement> query;
    if (all) {
      CS_ASSIGN_OR_RETURN(CachedStatement q, db_.Cached(fmt::format("{} ORDER BY e.id", kSelect)));
      query.emplace(std::move(q));
    } else {
      CS_ASSIGN_OR_RETURN(const ListRef list, RequireList(db_, *list_name));
      CS_ASSIGN_OR_RETURN(
          CachedStatement q,
          db_.Cached(
              fmt::format("{} WHERE e.list_id IS NULL OR e.list_id = ?1 ORDER BY e.id", kSelect)));
      q->Bind(1, list.id);
      query.emplace(std::move(q));
    }
    std::vector<Exclusion> exclusions;
    while (true) {
      CS_ASSIGN_OR_RETURN(const bool row, (*query)->Step());
      if (!row) return exclusions;
      Exclusion& exclusion = exclusions.emplace_back();
      exclusion.id = (*query)->ColumnInt64(0);
      exclusion.pattern = (*query)->ColumnText(1);
      if (!(*query)->ColumnIsNull(2)) exclusion.list_name = (*query)->ColumnText(2);
      exclusion.created_at = ShownTime(**query, 3);
    }
  });
}

base::Status SqliteStore::RemoveExclusion(int64_t id) {
  return InTransaction(db_, kWrite, [&]() -> base::Status {
    CS_ASSIGN_OR_RETURN(CachedStatement remove, db_.Cached("DELETE FROM exclusions WHERE id = ?1"));
    remove->Bind(1, id);
    CS_RETURN_IF_ERROR(remove->Run());
    if (db_.Changes() == 0) return ExclusionNotFound(id);
    return base::Status::Ok();
  });
}

base::Result<std::optional<Exclusion>> SqliteStore::FindExclusion(std::string_view email,
                                                                  std::string_view list) {
  CS_ASSIGN_OR_RETURN(const std::string valid, model::ValidateEmail(email));
  const std::string key = model::EmailKey(valid);
  return InTransaction(db_, kRead, [&]() -> base::Result<std::optional<Exclusion>> {
    CS_ASSIGN_OR_RETURN(const ListRef list_ref, RequireList(db_, list));
    return FindMatchingExclusion(db_, list_ref, key);
  });
}

}  // namespace contactsync::store::sqlite
