// `contactsync connection ...` as a user meets it, against an SQLite file and
// the real MariaDB and PostgreSQL servers of scripts/test-servers.sh.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_store.h"
#include "support/process.h"
#include "support/test_servers.h"

namespace contactsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

class ConnectionCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::NewCliStore(dir_.path() + "/data");
    ASSERT_FALSE(store_.url.empty());
  }

  ProcessResult Run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv{CONTACTSYNC_BINARY};
    argv.insert(argv.end(), store_.args.begin(), store_.args.end());
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult result = testing::RunProcess(argv, input, store_.env);
    outputs_ += result.out + result.err;
    return result;
  }

  nlohmann::json Json(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    ProcessResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.exit_code == 0 ? nlohmann::json::parse(result.out) : nlohmann::json();
  }

  // Adds `name` for `account` with the password through --password-stdin.
  ProcessResult AddServer(const std::string& name, const std::string& type,
                          const testing::TestAccount& account, const std::string& password) {
    return Run({"connection", "add", name, "--type", type, "--host", account.host, "--port",
                account.port, "--user", account.user, "--database", account.database,
                "--connect-timeout", "5", "--password-stdin"},
               password + "\n");
  }

  testing::TempDir dir_;
  testing::CliStore store_;
  std::string outputs_;  // everything printed, to prove no password leaks
};

TEST_F(ConnectionCliTest, SqliteConnectionLifecycle) {
  const std::string db = dir_.path() + "/shop.db";
  ASSERT_EQ(testing::RunProcess({"/usr/bin/sqlite3", db,
                                 "CREATE TABLE \"odd \"\"name\" (id INTEGER, \"e-mail\" TEXT, "
                                 "note BLOB); INSERT INTO \"odd \"\"name\" VALUES (1, 'a@x.com', "
                                 "x'00ff'), (2, NULL, NULL); CREATE VIEW v AS SELECT 1 AS one;"})
                .exit_code,
            0);
  ProcessResult added = Run({"connection", "add", "shop", "--type", "sqlite", "--database", db});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("Saved connection 'shop'"));
  EXPECT_EQ(Run({"connection", "add", "shop", "--type", "sqlite", "--database", db}).exit_code, 1);

  ProcessResult tested = Run({"connection", "test", "shop"});
  EXPECT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_THAT(tested.out, HasSubstr("OK: connected to SQLite"));

  nlohmann::json tables = Json({"connection", "tables", "shop"});
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0]["name"], "odd \"name");
  EXPECT_EQ(tables[1]["kind"], "view");

  nlohmann::json columns = Json({"connection", "columns", "shop", "odd \"name"});
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[1]["name"], "e-mail");

  nlohmann::json preview = Json({"connection", "preview", "shop", "odd \"name", "--limit", "5"});
  ASSERT_EQ(preview["rows"].size(), 2u);
  EXPECT_EQ(preview["rows"][0][1], "a@x.com");
  EXPECT_EQ(preview["rows"][0][2]["state"], "binary");
  EXPECT_TRUE(preview["rows"][1][1].is_null());
  ProcessResult text_preview = Run({"connection", "preview", "shop", "odd \"name"});
  EXPECT_THAT(text_preview.out, HasSubstr("NULL"));
  EXPECT_THAT(text_preview.out, HasSubstr("<binary, 2 bytes>"));

  ProcessResult missing_table = Run({"connection", "preview", "shop", "nope"});
  EXPECT_EQ(missing_table.exit_code, 1);
  EXPECT_THAT(missing_table.err, HasSubstr("'nope'"));
  EXPECT_EQ(Run({"connection", "preview", "shop", "v", "--limit", "0"}).exit_code, 2);

  EXPECT_EQ(Json({"connection", "ls"}).size(), 1u);
  EXPECT_EQ(Run({"connection", "rm", "shop"}).exit_code, 0);
  EXPECT_EQ(Json({"connection", "ls"}).size(), 0u);
  EXPECT_EQ(Run({"connection", "test", "shop"}).exit_code, 1);
}

TEST_F(ConnectionCliTest, BadSettingsAreRefusedClearly) {
  EXPECT_EQ(Run({"connection", "add", "x", "--type", "oracle", "--database", "d"}).exit_code, 2);
  EXPECT_EQ(
      Run({"connection", "add", "x", "--type", "mysql", "--database", "d", "--tls", "sometimes"})
          .exit_code,
      2);
  ProcessResult no_user = Run({"connection", "add", "x", "--type", "mysql", "--database", "d"});
  EXPECT_EQ(no_user.exit_code, 1);
  EXPECT_THAT(no_user.err, HasSubstr("user"));
  ProcessResult no_ca = Run({"connection", "add", "x", "--type", "postgresql", "--user", "u",
                             "--database", "d", "--tls", "verify_ca"});
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_THAT(no_ca.err, HasSubstr("CA"));
  ProcessResult missing_file =
      Run({"connection", "add", "f", "--type", "sqlite", "--database", dir_.path() + "/absent.db"});
  ASSERT_EQ(missing_file.exit_code, 0);
  ProcessResult test_missing = Run({"connection", "test", "f"});
  EXPECT_EQ(test_missing.exit_code, 1);
  EXPECT_THAT(test_missing.err, HasSubstr("absent.db"));
}

TEST_F(ConnectionCliTest, MariadbPasswordIsSealedAndNeverShown) {
  CS_REQUIRE_TEST_ACCOUNT(reader, "MARIADB_READER");
  CS_REQUIRE_TEST_ACCOUNT(admin, "MARIADB");
  testing::MariadbExec(admin,
                       "CREATE TABLE IF NOT EXISTS cli_customers (id INT PRIMARY KEY, email "
                       "VARCHAR(100)); REPLACE INTO cli_customers VALUES (1, 'ann@x.com');");
  ASSERT_EQ(AddServer("shop", "mariadb", reader, reader.password).exit_code, 0);
  ProcessResult tested = Run({"connection", "test", "shop"});
  ASSERT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_THAT(tested.out, HasSubstr("MariaDB"));
  EXPECT_THAT(tested.out, HasSubstr("read-only"));
  nlohmann::json preview = Json({"connection", "preview", "shop", "cli_customers"});
  ASSERT_FALSE(preview["rows"].empty());
  EXPECT_EQ(preview["rows"][0][1], "ann@x.com");

  ASSERT_EQ(AddServer("admin", "mysql", admin, admin.password).exit_code, 0);
  ProcessResult admin_test = Run({"connection", "test", "admin"});
  EXPECT_EQ(admin_test.exit_code, 0);
  EXPECT_THAT(admin_test.out, HasSubstr("can change data"));

  const std::string wrong = "Wr0ng-" + reader.password.substr(0, 4) + "-pass";
  ASSERT_EQ(AddServer("wrong", "mariadb", reader, wrong).exit_code, 0);
  ProcessResult refused = Run({"connection", "test", "wrong"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("user name or password"));

  nlohmann::json shown = Json({"connection", "show", "shop"});
  EXPECT_EQ(shown["has_password"], true);
  EXPECT_FALSE(shown.contains("password"));
  EXPECT_THAT(outputs_, Not(HasSubstr(reader.password)));
  EXPECT_THAT(outputs_, Not(HasSubstr(admin.password)));
  EXPECT_THAT(outputs_, Not(HasSubstr(wrong)));
  EXPECT_FALSE(testing::StoreHolds(store_, reader.password));
  EXPECT_FALSE(testing::StoreHolds(store_, wrong));
  EXPECT_TRUE(testing::StoreHolds(store_, reader.user));  // the check sees what is stored
}

TEST_F(ConnectionCliTest, PostgresConnectionWorksAndUnknownDatabaseIsClear) {
  CS_REQUIRE_TEST_ACCOUNT(reader, "PG_READER");
  CS_REQUIRE_TEST_ACCOUNT(admin, "PG");
  testing::PsqlExec(admin,
                    "CREATE TABLE IF NOT EXISTS cli_people (id int PRIMARY KEY, email text); "
                    "INSERT INTO cli_people VALUES (1, 'bo@y.org') ON CONFLICT DO NOTHING; "
                    "GRANT SELECT ON cli_people TO " +
                        reader.user + ";");
  ASSERT_EQ(AddServer("pg", "postgresql", reader, reader.password).exit_code, 0);
  ProcessResult tested = Run({"connection", "test", "pg"});
  ASSERT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_THAT(tested.out, HasSubstr("PostgreSQL"));
  nlohmann::json tables = Json({"connection", "tables", "pg"});
  bool found = false;
  for (const auto& t : tables) found = found || t["name"] == "cli_people";
  EXPECT_TRUE(found);
  nlohmann::json preview =
      Json({"connection", "preview", "pg", "cli_people", "--schema", "public"});
  ASSERT_FALSE(preview["rows"].empty());
  EXPECT_EQ(preview["rows"][0][1], "bo@y.org");

  testing::TestAccount missing_db = reader;
  missing_db.database = "no_such_db";
  ASSERT_EQ(AddServer("nodb", "postgresql", missing_db, reader.password).exit_code, 0);
  ProcessResult refused = Run({"connection", "test", "nodb"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("no_such_db"));
  EXPECT_THAT(outputs_, Not(HasSubstr(reader.password)));
}

TEST_F(ConnectionCliTest, UnreachableServerFailsWithinTheTimeout) {
  // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
  ASSERT_EQ(
      Run({"connection", "add", "gone", "--type", "mysql", "--host", "127.0.0.1", "--port", "9",
           "--user", "u", "--database", "d", "--connect-timeout", "3", "--password-stdin"},
          "irrelevant-Secret-42\n")
          .exit_code,
      0);
  ProcessResult refused = Run({"connection", "test", "gone"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("127.0.0.1:9"));
  EXPECT_THAT(outputs_, Not(HasSubstr("irrelevant-Secret-42")));
}

// Issue 12: with the password "invalid", the host "db.nonexistent.invalid" was shown as
// "db.nonexistent.*****", garbling the message and telling the reader the password. The
// ".invalid" top-level domain never resolves, so the driver's own message names the host.
TEST_F(ConnectionCliTest, AHostThatContainsThePasswordIsShownAsItIs) {
  for (const std::string type : {"mysql", "postgresql"}) {
    const std::string name = "bad-" + type;
    ASSERT_EQ(Run({"connection", "add", name, "--type", type, "--host", "db.nonexistent.invalid",
                   "--user", "u", "--database", "d", "--connect-timeout", "3", "--password-stdin"},
                  "invalid\n")
                  .exit_code,
              0);
    ProcessResult refused = Run({"connection", "test", name});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.err, HasSubstr("at db.nonexistent.invalid:"));
    EXPECT_THAT(refused.err, Not(HasSubstr("*"))) << "no mask that confirms the password";
  }
}

TEST_F(ConnectionCliTest, EditKeepsWhatIsNotGivenAndDropsThePasswordWhenTheHostChanges) {
  ProcessResult added =
      Run({"connection", "add", "shop", "--type", "postgresql", "--host", "db.example", "--user",
           "reader", "--database", "shop", "--allow-function", "Shop.Discount", "--password-stdin"},
          "Pw-edit-secret\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("contactsync cannot see inside these functions"));

  ProcessResult same_server = Run({"connection", "edit", "shop", "--database", "other",
                                   "--query-timeout", "60", "--allow-function", "shop_score"});
  ASSERT_EQ(same_server.exit_code, 0) << same_server.err;
  EXPECT_THAT(same_server.out, Not(HasSubstr("password was removed")));
  nlohmann::json shown = Json({"connection", "show", "shop"});
  EXPECT_EQ(shown["database"], "other");
  EXPECT_EQ(shown["query_timeout_s"], 60);
  EXPECT_EQ(shown["host"], "db.example");
  EXPECT_EQ(shown["has_password"], true);
  EXPECT_EQ(shown["allowed_functions"], nlohmann::json::array({"shop.discount", "shop_score"}));
  EXPECT_EQ(shown["allow_custom_query_with_privileged_account"], false);

  ProcessResult moved = Run({"connection", "edit", "shop", "--host", "elsewhere.example"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_THAT(moved.out, HasSubstr("The saved password was removed because the host changed; "
                                   "give it again with --password-stdin."));
  EXPECT_EQ(Json({"connection", "show", "shop"})["has_password"], false);
  nlohmann::json typed = nlohmann::json::parse(
      Run({"--json", "connection", "edit", "shop", "--password-stdin"}, "Pw-typed-again\n").out);
  EXPECT_EQ(typed["has_password"], true);
  nlohmann::json user_changed = Json({"connection", "edit", "shop", "--user", "admin"});
  EXPECT_EQ(user_changed["has_password"], false);
  EXPECT_EQ(user_changed["password_cleared"], true);
  EXPECT_EQ(user_changed["password_cleared_because"], "the user changed");

  nlohmann::json policy = Json({"connection", "edit", "shop", "--clear-allowed-functions",
                                "--allow-custom-query-with-privileged-account", "true"});
  EXPECT_EQ(policy["allowed_functions"], nlohmann::json::array());
  EXPECT_EQ(policy["allow_custom_query_with_privileged_account"], true);
  ProcessResult bad_function = Run({"connection", "edit", "shop", "--allow-function", "x;drop"});
  EXPECT_EQ(bad_function.exit_code, 1);
  EXPECT_THAT(bad_function.err, HasSubstr("allowed function 'x;drop' is not a function name"));
  EXPECT_EQ(Run({"connection", "edit", "nope", "--port", "1"}).exit_code, 1);
  EXPECT_THAT(outputs_, Not(HasSubstr("Pw-edit-secret")));
  EXPECT_THAT(outputs_, Not(HasSubstr("Pw-typed-again")));
}

}  // namespace
}  // namespace contactsync
