// The engine's core behaviour against real MariaDB and PostgreSQL sources
// (scripts/test-servers.sh): accounting, byte-identical hostile values,
// idempotence, Test writing nothing, delete_not_affected with its guard, and
// no deletion after a lost connection. Skipped without the servers unless
// CONTACTSYNC_REQUIRE_TEST_SERVERS=1.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include <fmt/format.h>

#include "source/mysql/test_server.h"
#include "source/postgres/test_server.h"
#include "store/store_test_util.h"
#include "sync/engine.h"
#include "sync/sync_test_support.h"

namespace contactsync::sync {
namespace {

using store::RunState;
using store::testing::IsOk;
using ::testing::HasSubstr;

const std::vector<std::string>& Hostile() {
  static const std::vector<std::string> values{
      "O'Brien \"the\" `quoted`", "Robert'); DROP TABLE contacts;--", "tab\there\x01 bell\x07",
      "\u202eRTL \u200f\u05e9\u05dc\u05d5\u05dd",
      "emoji \U0001F600\U0001F468\u200D\U0001F469\u200D\U0001F467"};
  return values;
}

std::string Literal(const std::string& value) {
  std::string out = "'";
  for (const char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Rows every scenario starts from: 30 people, hostile names, and dirt.
std::vector<std::string> Inserts(const std::string& table, const std::string& binary_literal) {
  std::vector<std::string> sql;
  for (int i = 0; i < 30; ++i) {
    sql.push_back(fmt::format(
        "INSERT INTO {} (id, mail, fname, city, born) VALUES ({}, 'p{}@example.com', 'N{}', "
        "'C{}', '1990-01-0{}')",
        table, i + 1, i, i, i % 3, 1 + i % 9));
  }
  for (size_t i = 0; i < Hostile().size(); ++i) {
    sql.push_back(
        fmt::format("INSERT INTO {} (id, mail, fname, city) VALUES ({}, 'h{}@example.com', "
                    "{}, {})",
                    table, 100 + i, i, Literal(Hostile()[i]), Literal(Hostile()[i])));
  }
  sql.push_back(fmt::format("INSERT INTO {} (id, mail) VALUES (200, NULL)", table));
  sql.push_back(fmt::format("INSERT INTO {} (id, mail) VALUES (201, 'not-an-address')", table));
  sql.push_back(fmt::format("INSERT INTO {} (id, mail) VALUES (202, 'P3@EXAMPLE.COM')", table));
  sql.push_back(fmt::format(
      "INSERT INTO {} (id, mail, born) VALUES (203, 'd@example.com', '2020-02-30')", table));
  sql.push_back(fmt::format("INSERT INTO {} (id, mail, note) VALUES (204, 'b@example.com', {})",
                            table, binary_literal));
  return sql;
}

class ServerEngine {
 public:
  ServerEngine(std::function<std::unique_ptr<source::SourceConnector>()> open,
               source::SourceType type, std::string schema,
               std::function<void(const std::string&)> exec, std::string table)
      : open_(std::move(open)),
        type_(type),
        schema_(std::move(schema)),
        exec_(std::move(exec)),
        table_(std::move(table)) {
    store_path_ = (dir_.path() / "store.db").string();
    store_ = std::move(
        store::sqlite::SqliteContactStore::Open(store_path_, 5000, base::SystemClock()).value());
    EXPECT_TRUE(IsOk(store_->CreateList(store::testing::ListNamed("News"))));
    model::FieldDefinition city;
    city.key = "CITY";
    city.label = "City";
    EXPECT_TRUE(IsOk(store_->CreateField(city)));
    model::FieldDefinition born;
    born.key = "BORN";
    born.label = "Born";
    born.type = model::FieldType::kDate;
    EXPECT_TRUE(IsOk(store_->CreateField(born)));
    definition_.name = "People";
    definition_.connection = "server";
    definition_.list = "News";
    definition_.source.schema = schema_;
    definition_.source.table = "people";
    for (auto [column, target] :
         std::vector<std::pair<std::string, std::string>>{{"mail", "email"},
                                                          {"fname", "first_name"},
                                                          {"city", "%CITY%"},
                                                          {"born", "%BORN%"},
                                                          {"note", "phone"}}) {
      definition_.mapping.push_back({column, *mapping::ParseTarget(target)});
    }
    EXPECT_TRUE(IsOk(store_->CreateSync("People", SerializeDefinition(definition_))));
  }

  RunReport Execute(bool dry_run = false, source::SourceConnector* source = nullptr) {
    std::unique_ptr<source::SourceConnector> own;
    if (source == nullptr) {
      own = open_();
      source = own.get();
    }
    EngineOptions options;
    options.dry_run = dry_run;
    options.read.max_rows = 8;
    base::Result<RunReport> report = sync::Execute(definition_, type_, *source, *store_, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? std::move(report).value() : RunReport{};
  }

  void Scenario() {
    const RunReport test = Execute(/*dry_run=*/true);
    ASSERT_EQ(test.state, RunState::kSucceeded) << test.message;
    EXPECT_EQ(testing::StoreCount(store_path_, "SELECT count(*) FROM contacts"), 0);

    const RunReport first = Execute();
    ASSERT_EQ(first.state, RunState::kSucceeded) << first.message;
    const store::RunCounts& n = first.counts;
    EXPECT_EQ(n.selected, 40);
    EXPECT_EQ(n.added, 35);
    EXPECT_EQ(n.failed, 5);
    EXPECT_EQ(n.added + n.updated + n.unchanged + n.skipped + n.failed, n.selected);
    EXPECT_EQ(test.counts, n);
    EXPECT_EQ(testing::StoreCount(store_path_, "SELECT count(*) FROM subscriptions"), 35);
    std::vector<std::string> reasons;
    for (const auto& f : first.failures) reasons.push_back(f.reason);
    EXPECT_EQ(reasons,
              (std::vector<std::string>{"email_missing", "email_invalid", "duplicate_in_source",
                                        "field_invalid", "field_invalid"}));
    for (size_t i = 0; i < Hostile().size(); ++i) {
      base::Result<store::Contact> contact =
          store_->GetContact("h" + std::to_string(i) + "@example.com");
      ASSERT_TRUE(contact.ok());
      EXPECT_EQ(contact->first_name, Hostile()[i]);
      EXPECT_EQ(contact->fields.at("CITY"), Hostile()[i]);
    }

    const std::string dump = testing::DumpStore(store_path_);
    const RunReport second = Execute();
    EXPECT_EQ(second.counts.added, 0);
    EXPECT_EQ(second.counts.updated, 0);
    EXPECT_EQ(second.counts.unchanged, 35);
    EXPECT_EQ(testing::DumpStore(store_path_), dump);

    definition_.delete_not_affected = true;
    ASSERT_TRUE(IsOk(store_->UpdateSync("People", "People", SerializeDefinition(definition_))));
    exec_(fmt::format("DELETE FROM {} WHERE id <= 5", table_));
    testing::FlakySource flaky(open_(), 1);
    const RunReport lost = Execute(false, &flaky);
    EXPECT_EQ(lost.state, RunState::kFailed);
    EXPECT_EQ(testing::StoreCount(store_path_, "SELECT count(*) FROM subscriptions"), 35);
    const RunReport deleted = Execute();
    // p3 stays: row 202 (P3@EXAMPLE.COM) is now its first row.
    EXPECT_EQ(deleted.counts.deleted, 4);
    EXPECT_EQ(testing::StoreCount(store_path_, "SELECT count(*) FROM contacts"), 31);
    EXPECT_TRUE(store_->GetContact("p3@example.com").ok());
    exec_(fmt::format("DELETE FROM {} WHERE id <= 25", table_));
    const RunReport guarded = Execute();
    EXPECT_EQ(guarded.counts.deleted, 0);
    EXPECT_THAT(guarded.deletion_note, HasSubstr("max_delete_fraction"));
  }

 private:
  std::function<std::unique_ptr<source::SourceConnector>()> open_;
  source::SourceType type_;
  std::string schema_;
  std::function<void(const std::string&)> exec_;
  std::string table_;
  testing::TempDir dir_;
  std::string store_path_;
  std::unique_ptr<store::ContactStore> store_;
  SyncDefinition definition_;
};

TEST(EngineServersTest, MariaDb) {
  CS_REQUIRE_MARIADB(server);
  source::mysql::testing::ScratchDatabase database(server);
  database.admin().Exec(
      "CREATE TABLE people (id INT PRIMARY KEY, mail VARCHAR(255), fname VARCHAR(255), "
      "city VARCHAR(255), born VARCHAR(20), note VARBINARY(16)) CHARACTER SET utf8mb4");
  for (const std::string& sql : Inserts("people", "x'00ff'")) database.admin().Exec(sql);
  ServerEngine engine(
      [&] {
        auto source = source::OpenSource(database.Reader());
        EXPECT_TRUE(source.ok()) << source.status().ToString();
        return std::move(source).value();
      },
      source::SourceType::kMySql, "", [&](const std::string& sql) { database.admin().Exec(sql); },
      "people");
  engine.Scenario();
}

class PostgresEngineTest : public source::postgres::testing::PostgresTest {};

TEST_F(PostgresEngineTest, Postgres) {
  session_->Exec(fmt::format(
      "CREATE TABLE {0} (id INT PRIMARY KEY, mail TEXT, fname TEXT, city TEXT, born TEXT, "
      "note BYTEA); GRANT SELECT ON {0} TO {1}",
      Qualified("people"), reader_.user));
  for (const std::string& sql : Inserts(Qualified("people"), "'\\x00ff'::bytea")) {
    session_->Exec(sql);
  }
  ServerEngine engine(
      [&] {
        auto source = source::OpenSource(reader_);
        EXPECT_TRUE(source.ok()) << source.status().ToString();
        return std::move(source).value();
      },
      source::SourceType::kPostgreSql, schema_,
      [&](const std::string& sql) { session_->Exec(sql); }, Qualified("people"));
  engine.Scenario();
}

}  // namespace
}  // namespace contactsync::sync
