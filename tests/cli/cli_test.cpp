// The command line as a user meets it: exit statuses, messages, --json, and
// the rules of docs/spec.md §1 seen through `contactsync` itself.

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_store.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_test_store.h"
#include "support/process.h"

namespace contactsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::NewCliStore(dir_.path());
    ASSERT_FALSE(store_.url.empty());
  }

  ProcessResult Run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv{CONTACTSYNC_BINARY};
    argv.insert(argv.end(), store_.args.begin(), store_.args.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, input, store_.env);
  }

  // Runs a command that must succeed and returns its --json output.
  nlohmann::json Json(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    ProcessResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }

  int64_t ContactCount() { return Json({"contact", "ls"})["total"].get<int64_t>(); }

  std::string StatusOn(const std::string& email, const std::string& list) {
    const nlohmann::json contact = Json({"contact", "show", email});
    for (const auto& s : contact["subscriptions"]) {
      if (s["list"] == list) return s["status"];
    }
    return "none";
  }

  testing::TempDir dir_;
  testing::CliStore store_;
};

TEST_F(CliTest, InitCreatesTheStoreAndIsRepeatable) {
  if (store_.postgresql()) {
    GTEST_SKIP() << "the store file and its mode are SQLite's (InitOnPostgresql... covers "
                    "PostgreSQL)";
  }
  ProcessResult first = Run({"init"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("Store ready at " + dir_.path()));
  EXPECT_TRUE(std::ifstream(dir_.path() + "/contactsync.db").good());
  // Contacts are personal data: the store is readable by its owner only.
  struct stat info {};
  ASSERT_EQ(stat((dir_.path() + "/contactsync.db").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 077, 0u);
  nlohmann::json again = Json({"init"});
  EXPECT_EQ(again["location"], dir_.path());
  EXPECT_GE(again["schema_version"].get<int>(), 1);
}

// What a user runs first on a PostgreSQL store: init names the database, server and account,
// never the password the URL holds, and says the same on a store it already migrated.
TEST_F(CliTest, InitOnPostgresqlNamesTheServerButNeverThePassword) {
  if (!store_.postgresql()) GTEST_SKIP() << "runs with CONTACTSYNC_TEST_STORE=postgresql";
  const auto server = store::postgres::testing::TestServerFromEnv();
  ASSERT_TRUE(server.has_value());
  ASSERT_FALSE(server->password.empty());
  // The URL holds the password (not printed: it is the test server's).
  ASSERT_NE(store_.url.find(":" + server->password + "@"), std::string::npos);
  // The newest schema this build knows: migrations come with new features.
  const std::string ready = "Store ready at PostgreSQL database '" + server->database + "' on " +
                            server->host + ":" + server->port + " as " + server->user +
                            " (schema version " +
                            std::to_string(store::postgres::LatestSchemaVersion()) + ").\n";
  ProcessResult first = Run({"init"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, ::testing::StartsWith(ready));
  ProcessResult again = Run({"init"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
  for (const ProcessResult* result : {&first, &again}) {
    EXPECT_EQ((result->out + result->err).find(server->password), std::string::npos);
  }
}

TEST_F(CliTest, HelpOnEveryLevelAndUsageErrorsExitTwo) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"list", "--help"},
                                        {"contact", "add", "--help"},
                                        {"field", "create", "--help"},
                                        {"exclusion", "--help"}}) {
    ProcessResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << args.back();
    EXPECT_THAT(result.out, HasSubstr("Usage:"));
  }
  EXPECT_EQ(Run({}).exit_code, 2);
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"list"}).exit_code, 2);
  EXPECT_EQ(Run({"list", "create"}).exit_code, 2);
  EXPECT_EQ(Run({"field", "create", "AGE", "--type", "integer"}).exit_code, 2);
  EXPECT_EQ(Run({"contact", "add", "a@x.com", "--status", "bounced"}).exit_code, 2);
  ProcessResult bad_field = Run({"contact", "add", "a@x.com", "--field", "novalue"});
  EXPECT_EQ(bad_field.exit_code, 2);
  EXPECT_THAT(bad_field.err, HasSubstr("expected KEY=VALUE"));
}

TEST_F(CliTest, ListsAreUniqueAndErrorsWriteNothing) {
  ASSERT_EQ(Run({"list", "create", "Newsletter", "--sender-email", "news@shop.example"}).exit_code,
            0);
  ProcessResult duplicate = Run({"list", "create", "Newsletter"});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_THAT(duplicate.err, HasSubstr("already exists"));
  ProcessResult bad_sender = Run({"list", "create", "Other", "--sender-email", "not-an-address"});
  EXPECT_EQ(bad_sender.exit_code, 1);
  EXPECT_EQ(Json({"list", "ls"}).size(), 1u);
  EXPECT_EQ(Json({"list", "show", "Newsletter"})["sender_email"], "news@shop.example");
  ProcessResult unknown = Run({"list", "show", "Nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("'Nope'"));
  EXPECT_EQ(Run({"list", "rm", "Newsletter"}).exit_code, 0);
  EXPECT_EQ(Json({"list", "ls"}).size(), 0u);
}

TEST_F(CliTest, EmailsAreTrimmedAndMatchedCaseInsensitively) {
  ASSERT_EQ(Run({"list", "create", "News"}).exit_code, 0);
  ProcessResult added =
      Run({"contact", "add", "  Ann.Lee@Example.COM ", "--list", "News", "--first-name", "Ann"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("Added Ann.Lee@Example.COM (Ann)"));
  ProcessResult again = Run({"contact", "add", "ann.lee@example.com", "--last-name", "Lee"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("Updated"));
  EXPECT_EQ(ContactCount(), 1);
  nlohmann::json shown = Json({"contact", "show", "ANN.LEE@EXAMPLE.COM"});
  EXPECT_EQ(shown["email"], "Ann.Lee@Example.COM");
  EXPECT_EQ(shown["first_name"], "Ann");
  EXPECT_EQ(shown["last_name"], "Lee");
}

TEST_F(CliTest, InvalidEmailsAreRefusedWithAReason) {
  for (const char* bad : {"ann.example.com", "ann@@x.com", "ann@localhost", "zoë@x.com", " "}) {
    ProcessResult result = Run({"contact", "add", bad});
    EXPECT_EQ(result.exit_code, 1) << bad;
    EXPECT_THAT(result.err, HasSubstr("error: "));
    EXPECT_THAT(result.err, Not(HasSubstr("internal")));
  }
  EXPECT_THAT(Run({"contact", "add", "ann@@x.com"}).err, HasSubstr("more than one '@'"));
  EXPECT_EQ(ContactCount(), 0);
}

TEST_F(CliTest, UnsubscribedOrBouncedIsNotReactivatedByAdd) {
  ASSERT_EQ(Run({"list", "create", "News"}).exit_code, 0);
  ASSERT_EQ(Run({"contact", "add", "ann@x.com", "--list", "News"}).exit_code, 0);
  ASSERT_EQ(Run({"contact", "unsubscribe", "ann@x.com", "--list", "News"}).exit_code, 0);
  ProcessResult readd = Run({"contact", "add", "ANN@x.com", "--list", "News"});
  EXPECT_EQ(readd.exit_code, 1);
  EXPECT_THAT(readd.err, HasSubstr("unsubscribed"));
  EXPECT_EQ(StatusOn("ann@x.com", "News"), "unsubscribed");

  ProcessResult unconfirmed_flag = Run({"contact", "resubscribe", "ann@x.com", "--list", "News"});
  EXPECT_EQ(unconfirmed_flag.exit_code, 2);
  EXPECT_THAT(unconfirmed_flag.err, HasSubstr("--confirmed"));
  EXPECT_EQ(StatusOn("ann@x.com", "News"), "unsubscribed");

  ASSERT_EQ(Run({"contact", "resubscribe", "ann@x.com", "--list", "News", "--confirmed"}).exit_code,
            0);
  EXPECT_EQ(StatusOn("ann@x.com", "News"), "active");
  nlohmann::json history = Json({"contact", "show", "ann@x.com"})["history"];
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1]["to"], "unsubscribed");
  EXPECT_EQ(history[2]["from"], "unsubscribed");
  EXPECT_EQ(history[2]["to"], "active");
  EXPECT_THAT(history[2]["cause"]["detail"].get<std::string>(), HasSubstr("resubscribe"));

  ASSERT_EQ(Run({"contact", "bounce", "ann@x.com"}).exit_code, 0);
  EXPECT_EQ(StatusOn("ann@x.com", "News"), "bounced");
  ASSERT_EQ(Run({"list", "create", "Other"}).exit_code, 0);
  ProcessResult bounced_add = Run({"contact", "add", "ann@x.com", "--list", "Other"});
  EXPECT_EQ(bounced_add.exit_code, 1);
  EXPECT_THAT(bounced_add.err, HasSubstr("bounced"));
  EXPECT_EQ(StatusOn("ann@x.com", "Other"), "none");
}

TEST_F(CliTest, ExcludedAddressesNeverJoinUntilTheEntryIsRemoved) {
  ASSERT_EQ(Run({"list", "create", "News"}).exit_code, 0);
  ASSERT_EQ(Run({"list", "create", "Offers"}).exit_code, 0);
  nlohmann::json global = Json({"exclusion", "add", "*@Blocked.example"});
  nlohmann::json scoped = Json({"exclusion", "add", "test*@*", "--list", "News"});

  ProcessResult blocked = Run({"contact", "add", "bob@blocked.example", "--list", "Offers"});
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, HasSubstr("excluded"));
  EXPECT_EQ(ContactCount(), 0);

  EXPECT_EQ(Run({"contact", "add", "tester@x.com", "--list", "News"}).exit_code, 1);
  EXPECT_EQ(Run({"contact", "add", "tester@x.com", "--list", "Offers"}).exit_code, 0);
  EXPECT_EQ(StatusOn("tester@x.com", "News"), "none");

  EXPECT_EQ(Json({"exclusion", "ls", "--list", "News"}).size(), 2u);
  EXPECT_EQ(Json({"exclusion", "ls", "--list", "Offers"}).size(), 1u);
  ASSERT_EQ(Run({"exclusion", "rm", std::to_string(scoped["id"].get<int64_t>())}).exit_code, 0);
  EXPECT_EQ(Run({"contact", "add", "tester@x.com", "--list", "News"}).exit_code, 0);
  EXPECT_EQ(StatusOn("tester@x.com", "News"), "active");
  ASSERT_EQ(Run({"exclusion", "rm", std::to_string(global["id"].get<int64_t>())}).exit_code, 0);
  EXPECT_EQ(Run({"contact", "add", "bob@blocked.example", "--list", "Offers"}).exit_code, 0);

  ProcessResult malformed = Run({"exclusion", "add", "example.com"});
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_THAT(malformed.err, HasSubstr("not a valid exclusion pattern"));
  EXPECT_EQ(Run({"exclusion", "add", "a@x.com", "--list", "Nope"}).exit_code, 1);
  EXPECT_EQ(Run({"exclusion", "rm", "999"}).exit_code, 1);
  EXPECT_EQ(Json({"exclusion", "ls"}).size(), 0u);
}

TEST_F(CliTest, CustomFieldValuesAreCheckedAgainstTheirTypes) {
  ASSERT_EQ(Run({"field", "create", "city", "--label", "Town"}).exit_code, 0);
  ASSERT_EQ(Run({"field", "create", "AGE", "--type", "number"}).exit_code, 0);
  ASSERT_EQ(Run({"field", "create", "BIRTHDAY", "--type", "date"}).exit_code, 0);
  ASSERT_EQ(Run({"field", "create", "SIZE", "--type", "dropdown", "--option", "S", "--option", "M"})
                .exit_code,
            0);
  ASSERT_EQ(
      Run({"field", "create", "TAGS", "--type", "checkbox", "--option", "red", "--option", "blue"})
          .exit_code,
      0);
  EXPECT_EQ(Json({"field", "ls"}).size(), 5u);
  EXPECT_EQ(Run({"field", "create", "CITY"}).exit_code, 1);  // duplicate key

  ProcessResult ok =
      Run({"contact", "add", "ann@x.com", "--field", "%CITY%=Oslo", "--field", "age=42", "--field",
           "BIRTHDAY=2000-02-29", "--field", "size=m", "--field", "TAGS=blue,red"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  nlohmann::json fields = Json({"contact", "show", "ann@x.com"})["fields"];
  EXPECT_EQ(fields["CITY"], "Oslo");
  EXPECT_EQ(fields["SIZE"], "M");
  EXPECT_EQ(fields["TAGS"], "red,blue");

  struct Case {
    std::string assignment, message;
  };
  for (const Case& c : std::vector<Case>{{"AGE=forty", "field AGE"},
                                         {"BIRTHDAY=2001-02-29", "field BIRTHDAY"},
                                         {"SIZE=XL", "is not one of: S, M"},
                                         {"TAGS=red,green", "field TAGS"},
                                         {"NOPE=1", "NOPE"}}) {
    ProcessResult bad = Run({"contact", "add", "bob@x.com", "--field", c.assignment});
    EXPECT_EQ(bad.exit_code, 1) << c.assignment;
    EXPECT_THAT(bad.err, HasSubstr(c.message)) << c.assignment;
  }
  EXPECT_EQ(ContactCount(), 1);
}

TEST_F(CliTest, RequiredFieldsMustBeGiven) {
  ASSERT_EQ(Run({"field", "create", "COMPANY", "--required"}).exit_code, 0);
  ProcessResult missing = Run({"contact", "add", "ann@x.com"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("COMPANY"));
  EXPECT_THAT(missing.err, HasSubstr("required"));
  EXPECT_EQ(ContactCount(), 0);
  EXPECT_EQ(Run({"contact", "add", "ann@x.com", "--field", "COMPANY=Acme"}).exit_code, 0);
}

TEST_F(CliTest, HostileAndOversizedInputIsStoredExactlyOrRefused) {
  const std::string hostile = "Robert'); DROP TABLE contacts;-- \u202e <script>😀";
  ASSERT_EQ(Run({"list", "create", hostile}).exit_code, 0);
  ASSERT_EQ(
      Run({"contact", "add", "bobby@x.com", "--first-name", hostile, "--list", hostile}).exit_code,
      0);
  nlohmann::json bobby = Json({"contact", "show", "bobby@x.com"});
  EXPECT_EQ(bobby["first_name"], hostile);
  EXPECT_EQ(bobby["subscriptions"][0]["list"], hostile);

  ProcessResult not_utf8 = Run({"contact", "add", "eve@x.com", "--first-name", "Eve\xff\xfe"});
  EXPECT_EQ(not_utf8.exit_code, 1);
  EXPECT_THAT(not_utf8.err, HasSubstr("UTF-8"));

  ASSERT_EQ(Run({"field", "create", "NOTES", "--type", "textarea"}).exit_code, 0);
  const std::string big_file = dir_.path() + "/big.txt";
  std::ofstream(big_file) << std::string(1'000'000, 'x');
  ProcessResult big = Run({"contact", "add", "eve@x.com", "--field-file", "NOTES=" + big_file});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_THAT(big.err, HasSubstr("too long"));
  ProcessResult big_name =
      Run({"contact", "add", "eve@x.com", "--first-name", std::string(100'000, 'n')});
  EXPECT_EQ(big_name.exit_code, 1);
  EXPECT_THAT(big_name.err, HasSubstr("too long"));
  EXPECT_EQ(ContactCount(), 1);
}

TEST_F(CliTest, ContactListingFiltersByListStatusAndSearch) {
  ASSERT_EQ(Run({"list", "create", "News"}).exit_code, 0);
  ASSERT_EQ(Run({"contact", "add", "ann@x.com", "--list", "News", "--first-name", "Ann"}).exit_code,
            0);
  ASSERT_EQ(
      Run({"contact", "add", "bob@x.com", "--list", "News", "--status", "unconfirmed"}).exit_code,
      0);
  ASSERT_EQ(Run({"contact", "add", "cy@y.com"}).exit_code, 0);
  EXPECT_EQ(Json({"contact", "ls"})["total"], 3);
  EXPECT_EQ(Json({"contact", "ls", "--list", "News"})["total"], 2);
  nlohmann::json unconfirmed = Json({"contact", "ls", "--list", "News", "--status", "unconfirmed"});
  ASSERT_EQ(unconfirmed["total"], 1);
  EXPECT_EQ(unconfirmed["contacts"][0]["email"], "bob@x.com");
  EXPECT_EQ(Json({"contact", "ls", "--search", "ANN"})["total"], 1);
  EXPECT_EQ(Json({"contact", "ls", "--search", "%"})["total"], 0);
  nlohmann::json page = Json({"contact", "ls", "--limit", "1", "--offset", "1"});
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["contacts"].size(), 1u);
  EXPECT_EQ(page["contacts"][0]["email"], "bob@x.com");
  ProcessResult text = Run({"contact", "ls", "--list", "News"});
  EXPECT_THAT(text.out, HasSubstr("ann@x.com"));
  EXPECT_THAT(text.out, HasSubstr("News (unconfirmed)"));
  EXPECT_THAT(text.out, HasSubstr("2 of 2 contact(s)"));
}

TEST_F(CliTest, JsonErrorsGoToStderr) {
  ProcessResult result = Run({"--json", "contact", "show", "nobody@x.com"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  nlohmann::json error = nlohmann::json::parse(result.err);
  EXPECT_EQ(error["error"]["code"], "not_found");
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("nobody@x.com"));
}

TEST_F(CliTest, DeletingAContactRemovesIt) {
  ASSERT_EQ(Run({"contact", "add", "ann@x.com"}).exit_code, 0);
  EXPECT_EQ(Run({"contact", "rm", "ANN@X.COM"}).exit_code, 0);
  EXPECT_EQ(ContactCount(), 0);
  EXPECT_EQ(Run({"contact", "rm", "ann@x.com"}).exit_code, 1);
}

}  // namespace
}  // namespace contactsync

namespace contactsync::testing {
namespace {

class UserCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewCliStore(dir_.path());
    ASSERT_FALSE(store_.url.empty());
  }

  ProcessResult Run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv{CONTACTSYNC_BINARY};
    argv.insert(argv.end(), store_.args.begin(), store_.args.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, input, store_.env);
  }
  TempDir dir_;
  CliStore store_;
};

TEST_F(UserCliTest, UsersAreAddedListedAndRemovedWithoutAPasswordEverShown) {
  const ProcessResult added =
      Run({"--json", "user", "add", "alice", "--password-stdin"}, "s3cret-password\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(nlohmann::json::parse(added.out)["username"], "alice");
  const ProcessResult again = Run({"user", "add", "alice", "--password-stdin"}, "another-pass\n");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, ::testing::HasSubstr("already exists"));
  const ProcessResult weak = Run({"user", "add", "bob", "--password-stdin"}, "short\n");
  EXPECT_EQ(weak.exit_code, 1);
  EXPECT_THAT(weak.err, ::testing::HasSubstr("too short"));
  EXPECT_EQ(Run({"user", "add", "carol"}).exit_code, 1);  // no terminal, no --password-stdin
  const ProcessResult listed = Run({"--json", "user", "ls"});
  ASSERT_EQ(listed.exit_code, 0);
  const nlohmann::json users = nlohmann::json::parse(listed.out);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["username"], "alice");
  EXPECT_THAT(listed.out, ::testing::Not(::testing::HasSubstr("argon2")));
  EXPECT_EQ(Run({"user", "rm", "alice"}).exit_code, 0);
  EXPECT_EQ(Run({"user", "rm", "alice"}).exit_code, 1);
  EXPECT_THAT(Run({"user", "ls"}).out, ::testing::HasSubstr("No users yet"));
}

TEST_F(UserCliTest, ServeRefusesABadListenAddress) {
  const ProcessResult bad = Run({"serve", "--listen", "localhost"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, ::testing::HasSubstr("ADDR:PORT"));
  const ProcessResult port = Run({"serve", "--listen", "127.0.0.1:99999"});
  EXPECT_EQ(port.exit_code, 1);
  EXPECT_THAT(port.err, ::testing::HasSubstr("not a port"));
}

}  // namespace
}  // namespace contactsync::testing
