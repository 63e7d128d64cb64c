#pragma once

// Test support: a source database of each kind the engine reads (an SQLite
// file, a MariaDB database, a PostgreSQL schema on the servers of
// scripts/test-servers.sh), which tests fill through a privileged connection
// of their own and read through the connector under test, logged in as the
// read-only account. One test body then runs against all three, loading the
// same rows. Test-only.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/source.h"
#include "source/sqlite/test_fixture.h"

namespace contactsync::sync::testing {

enum class SourceKind { kSqlite, kMariaDb, kPostgres };

// "sqlite", "mariadb", "postgres": the suffix of the tests' names.
std::string KindName(SourceKind kind);

inline const std::vector<SourceKind>& AllSourceKinds() {
  static const std::vector<SourceKind> kinds{SourceKind::kSqlite, SourceKind::kMariaDb,
                                             SourceKind::kPostgres};
  return kinds;
}

class SourceDatabase {
 public:
  // A fresh database of `kind`: an SQLite file in `dir`, a scratch MariaDB
  // database or PostgreSQL schema (dropped with everything in it on
  // destruction). nullptr when the servers' CONTACTSYNC_TEST_* variables are
  // not set; `*why` then says so.
  static std::unique_ptr<SourceDatabase> Create(SourceKind kind, const std::filesystem::path& dir,
                                                std::string* why);
  virtual ~SourceDatabase() = default;

  virtual SourceKind kind() const = 0;
  virtual source::SourceType type() const = 0;
  // For SyncDefinition::source.schema: the scratch schema on PostgreSQL, else "".
  virtual std::string schema() const = 0;
  // `name` as a custom query must write it (schema-qualified on PostgreSQL).
  // Fixture SQL (Exec) may use bare names on every kind.
  virtual std::string Table(std::string_view name) const = 0;
  // `identifier` quoted the way the engine's SQL shows it.
  std::string Quoted(std::string_view identifier) const;
  // An SQL expression whose value is exactly `text` (any bytes on SQLite; NUL
  // escaped on MariaDB; PostgreSQL text cannot hold NUL: ADD_FAILURE).
  std::string Literal(std::string_view text) const;

  // Runs `sql` as the privileged account: one statement (any number on SQLite
  // and PostgreSQL). ADD_FAILURE with the server's message when it fails.
  virtual void Exec(const std::string& sql) = 0;
  // The first column of the first row of `sql` run as the privileged
  // account ("" when there is none).
  virtual std::string Scalar(const std::string& sql) = 0;
  // Runs `statements` in one transaction.
  virtual void ExecInTransaction(const std::vector<std::string>& statements);
  // The connector under test, as the read-only account.
  virtual std::unique_ptr<source::SourceConnector> Connect() = 0;

  // Appends `rows` to `table` with multi-row INSERTs in one transaction; each
  // cell a text value (Literal) or NULL.
  void Insert(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<std::vector<std::optional<std::string>>>& rows);
  // (Re)creates the engine tests' table `name`: id (1, 2, ... in insert
  // order), then text columns mail, fname, city, born that hold 1 MB values.
  void CreatePeople(const std::string& name = "people");
};

// The databases the tests of one suite share, one per kind, each made on
// first use and dropped by Clear() (call it from TearDownTestSuite): a table
// loaded once serves every case of the suite run in one process.
class SharedDatabases {
 public:
  // nullptr, with `*why`, without the servers; `*created` tells whether this
  // call made the database (so that the caller loads its tables).
  SourceDatabase* Get(SourceKind kind, std::string* why, bool* created = nullptr);
  void Clear() { entries_.clear(); }

 private:
  struct Entry {
    std::unique_ptr<source::sqlite::testing::TempDir> dir;
    std::unique_ptr<SourceDatabase> database;
  };
  std::map<SourceKind, Entry> entries_;
};

// True when a missing server must fail the test (CONTACTSYNC_REQUIRE_TEST_SERVERS=1).
bool TestServersRequired();

}  // namespace contactsync::sync::testing

// In a fixture's SetUp: skips the test (or fails it when the servers are
// required) when `database` is null for the reason `why`.
#define CS_SKIP_WITHOUT_SOURCE(database, why)                                         \
  if ((database) == nullptr) {                                                        \
    if (::contactsync::sync::testing::TestServersRequired()) {                        \
      FAIL() << (why) << " but CONTACTSYNC_REQUIRE_TEST_SERVERS=1";                   \
    }                                                                                 \
    GTEST_SKIP() << (why) << ": run `source $(scripts/test-servers.sh start)` first"; \
  }
