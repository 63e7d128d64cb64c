#include "sync/test_sources.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "query/dialect.h"
#include "source/mysql/test_server.h"
#include "source/postgres/test_server.h"
#include "source/sqlite/test_fixture.h"
#include "source/value.h"
#include "sync/definition.h"

namespace contactsync::sync::testing {
namespace {

// About 1 MB of SQL per INSERT: far below max_allowed_packet (16 MB), few
// round trips.
constexpr size_t kInsertBytes = 1 << 20;

std::unique_ptr<source::SourceConnector> OpenConnector(const source::ConnectionSettings& settings) {
  base::Result<std::unique_ptr<source::SourceConnector>> source = source::OpenSource(settings);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  return source.ok() ? std::move(source).value() : nullptr;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

class SqliteDatabase final : public SourceDatabase {
 public:
  explicit SqliteDatabase(std::filesystem::path path) : path_(std::move(path)) {}
  SourceKind kind() const override { return SourceKind::kSqlite; }
  source::SourceType type() const override { return source::SourceType::kSqlite; }
  std::string schema() const override { return ""; }
  std::string Table(std::string_view name) const override { return Quoted(name); }
  void Exec(const std::string& sql) override { source::sqlite::testing::WriteDatabase(path_, sql); }
  std::string Scalar(const std::string& sql) override {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string value;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }
  // Each Exec is a connection of its own, so the transaction is one script.
  void ExecInTransaction(const std::vector<std::string>& statements) override {
    std::string script = "BEGIN;";
    for (const std::string& statement : statements) script += statement + ";";
    Exec(script + "COMMIT;");
  }
  std::unique_ptr<source::SourceConnector> Connect() override {
    source::ConnectionSettings settings;
    settings.type = source::SourceType::kSqlite;
    settings.database = path_.string();
    return OpenConnector(settings);
  }

 private:
  std::filesystem::path path_;
};

class MariaDatabase final : public SourceDatabase {
 public:
  explicit MariaDatabase(const source::mysql::testing::TestServer& server) : database_(server) {}
  SourceKind kind() const override { return SourceKind::kMariaDb; }
  source::SourceType type() const override { return source::SourceType::kMySql; }
  std::string schema() const override { return ""; }
  std::string Table(std::string_view name) const override { return Quoted(name); }
  void Exec(const std::string& sql) override { database_.admin().Exec(sql); }
  std::string Scalar(const std::string& sql) override { return database_.admin().Scalar(sql); }
  std::unique_ptr<source::SourceConnector> Connect() override {
    return OpenConnector(database_.Reader());
  }

 private:
  source::mysql::testing::ScratchDatabase database_;
};

class PostgresDatabase final : public SourceDatabase {
 public:
  PostgresDatabase(source::ConnectionSettings admin, source::ConnectionSettings reader)
      : reader_(std::move(reader)),
        session_(admin),
        schema_(source::postgres::testing::UniqueName()) {
    // Tables the fixtures create later are readable by the reader; fixture
    // SQL names them without the schema.
    session_.Exec(
        fmt::format("CREATE SCHEMA {0}; GRANT USAGE ON SCHEMA {0} TO {1}; "
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT SELECT ON TABLES TO {1}; "
                    "SET search_path TO {0}",
                    Quoted(schema_), Quoted(reader_.user)));
  }
  ~PostgresDatabase() override {
    if (session_.ok()) session_.Exec(fmt::format("DROP SCHEMA {} CASCADE", Quoted(schema_)));
  }
  SourceKind kind() const override { return SourceKind::kPostgres; }
  source::SourceType type() const override { return source::SourceType::kPostgreSql; }
  std::string schema() const override { return schema_; }
  std::string Table(std::string_view name) const override {
    return Quoted(schema_) + "." + Quoted(name);
  }
  void Exec(const std::string& sql) override { session_.Exec(sql); }
  std::string Scalar(const std::string& sql) override { return session_.Scalar(sql); }
  std::unique_ptr<source::SourceConnector> Connect() override { return OpenConnector(reader_); }

 private:
  source::ConnectionSettings reader_;
  source::postgres::testing::AdminSession session_;
  std::string schema_;
};

}  // namespace

std::string KindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kSqlite:
      return "sqlite";
    case SourceKind::kMariaDb:
      return "mariadb";
    case SourceKind::kPostgres:
      return "postgres";
  }
  return "";
}

std::unique_ptr<SourceDatabase> SourceDatabase::Create(SourceKind kind,
                                                       const std::filesystem::path& dir,
                                                       std::string* why) {
  switch (kind) {
    case SourceKind::kSqlite:
      return std::make_unique<SqliteDatabase>(dir / "source.db");
    case SourceKind::kMariaDb: {
      const std::optional<source::mysql::testing::TestServer> server =
          source::mysql::testing::FindTestServer();
      if (!server) {
        *why = "CONTACTSYNC_TEST_MARIADB_* is not set";
        return nullptr;
      }
      return std::make_unique<MariaDatabase>(*server);
    }
    case SourceKind::kPostgres: {
      const auto admin = source::postgres::testing::AccountFromEnv("CONTACTSYNC_TEST_PG");
      const auto reader = source::postgres::testing::AccountFromEnv("CONTACTSYNC_TEST_PG_READER");
      if (!admin || !reader) {
        *why = "CONTACTSYNC_TEST_PG_* is not set";
        return nullptr;
      }
      return std::make_unique<PostgresDatabase>(*admin, *reader);
    }
  }
  return nullptr;
}

SourceDatabase* SharedDatabases::Get(SourceKind kind, std::string* why, bool* created) {
  if (created != nullptr) *created = false;
  Entry& entry = entries_[kind];
  if (entry.database == nullptr) {
    entry.dir = std::make_unique<source::sqlite::testing::TempDir>();
    entry.database = SourceDatabase::Create(kind, entry.dir->path(), why);
    if (created != nullptr) *created = entry.database != nullptr;
  }
  return entry.database.get();
}

bool TestServersRequired() { return source::mysql::testing::TestServersRequired(); }

std::string SourceDatabase::Quoted(std::string_view identifier) const {
  base::Result<std::string> quoted = query::QuoteIdentifier(DialectFor(type()), identifier);
  EXPECT_TRUE(quoted.ok()) << quoted.status().ToString();
  return quoted.ok() ? *quoted : std::string();
}

std::string SourceDatabase::Literal(std::string_view text) const {
  switch (kind()) {
    case SourceKind::kSqlite: {
      // sqlite3_exec reads the script up to the first NUL, and a quoted
      // literal must be valid UTF-8: anything else is written as hex.
      const bool plain = text.find('\0') == std::string_view::npos &&
                         source::Value::FromText(std::string(text)).is_text();
      if (!plain) return fmt::format("CAST(x'{}' AS TEXT)", Hex(text));
      break;
    }
    case SourceKind::kMariaDb: {
      // Backslash is an escape character in MariaDB's default sql_mode.
      std::string out = "'";
      for (const char c : text) {
        if (c == '\'') {
          out += "''";
        } else if (c == '\\') {
          out += "\\\\";
        } else if (c == '\0') {
          out += "\\0";
        } else {
          out += c;
        }
      }
      return out + "'";
    }
    case SourceKind::kPostgres:
      EXPECT_EQ(text.find('\0'), std::string_view::npos) << "PostgreSQL text cannot hold NUL";
      break;
  }
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void SourceDatabase::ExecInTransaction(const std::vector<std::string>& statements) {
  Exec(kind() == SourceKind::kMariaDb ? "START TRANSACTION" : "BEGIN");
  for (const std::string& statement : statements) Exec(statement);
  Exec("COMMIT");
}

void SourceDatabase::Insert(const std::string& table, const std::vector<std::string>& columns,
                            const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::string head = "INSERT INTO " + Quoted(table) + " (";
  for (size_t i = 0; i < columns.size(); ++i) head += (i ? ", " : "") + Quoted(columns[i]);
  head += ") VALUES ";
  std::vector<std::string> statements;
  std::string sql;
  for (const auto& row : rows) {
    EXPECT_EQ(row.size(), columns.size());
    if (sql.size() > kInsertBytes) statements.push_back(std::exchange(sql, ""));
    sql += sql.empty() ? head + "(" : ", (";
    for (size_t i = 0; i < row.size(); ++i) {
      sql += (i ? ", " : "") + (row[i] ? Literal(*row[i]) : std::string("NULL"));
    }
    sql += ")";
  }
  if (!sql.empty()) statements.push_back(std::move(sql));
  ExecInTransaction(statements);
}

void SourceDatabase::CreatePeople(const std::string& name) {
  const std::string table = Quoted(name);
  Exec("DROP TABLE IF EXISTS " + table);
  switch (kind()) {
    case SourceKind::kSqlite:
      Exec("CREATE TABLE " + table +
           " (id INTEGER PRIMARY KEY, mail TEXT, fname TEXT, city TEXT, born TEXT)");
      break;
    case SourceKind::kMariaDb:
      // MEDIUMTEXT: TEXT stops at 64 KiB, and the hostile rows hold 1 MB.
      Exec("CREATE TABLE " + table +
           " (id INT AUTO_INCREMENT PRIMARY KEY, mail VARCHAR(255), fname MEDIUMTEXT, "
           "city MEDIUMTEXT, born VARCHAR(20)) CHARACTER SET utf8mb4");
      break;
    case SourceKind::kPostgres:
      Exec("CREATE TABLE " + table +
           " (id INT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, mail TEXT, fname TEXT, "
           "city TEXT, born TEXT)");
      break;
  }
}

}  // namespace contactsync::sync::testing
