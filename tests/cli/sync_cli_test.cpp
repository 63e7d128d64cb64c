// `contactsync sync ...`, `report` and `demo` as a user meets them: exit
// statuses, --json forms, the run report and its CSV, and Ctrl-C.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.h"

namespace contactsync {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;

class SyncCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = dir_.path() + "/shop.db";
    Sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, name TEXT, town TEXT, "
        "username TEXT);"
        "INSERT INTO customers (email, name, town, username) VALUES "
        "('ann@example.com', 'Ann', 'Rome', 'ann'), ('bob@example.com', 'Bob', 'Oslo', 'bob'),"
        "('not-an-email', 'X', 'Y', 'x'), ('test@example.com', 'T', 'Z', 'test'),"
        "('=HYPERLINK(1)', 'Evil', 'Z', 'evil');");
    ASSERT_EQ(Run({"list", "create", "Newsletter"}).exit_code, 0);
    ASSERT_EQ(Run({"field", "create", "CITY", "--label", "City"}).exit_code, 0);
    ProcessResult added =
        Run({"connection", "add", "shop", "--type", "sqlite", "--database", source_});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(source_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  std::vector<std::string> Argv(std::vector<std::string> args) {
    std::vector<std::string> argv{CONTACTSYNC_BINARY, "--data-dir", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  ProcessResult Run(std::vector<std::string> args) { return testing::RunProcess(Argv(args)); }

  nlohmann::json Json(std::vector<std::string> args, int exit_code = 0) {
    args.insert(args.begin(), "--json");
    ProcessResult result = Run(args);
    EXPECT_EQ(result.exit_code, exit_code) << result.err;
    return nlohmann::json::parse(result.out.empty() ? "null" : result.out);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string Definition(const std::string& extra = "") {
    return R"({"name": "Shop", "connection": "shop", "list": "Newsletter",
      "source": {"table": "customers"},
      "mapping": {"email": "email", "name": "first_name", "town": "%CITY%"},
      "rules": {"match": "all", "conditions": [
        {"column": "username", "op": "not_equals", "value": "test"}]})" +
           extra + "}";
  }

  testing::TempDir dir_;
  std::string source_;
};

TEST_F(SyncCliTest, CreateShowRoundTripsAndChecksAreEnforced) {
  ProcessResult created = Run({"sync", "create", "--file", WriteFile("s.json", Definition())});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("Created sync 'Shop'"));
  const nlohmann::json shown = Json({"sync", "show", "Shop"});
  EXPECT_EQ(shown["source"]["table"], "customers");
  EXPECT_EQ(shown["mapping"]["town"], "%CITY%");
  EXPECT_EQ(shown["max_delete_fraction"], 0.5);
  // What show --json prints is a definition create/edit accept unchanged.
  ProcessResult edited =
      Run({"sync", "edit", "Shop", "--file", WriteFile("shown.json", shown.dump())});
  ASSERT_EQ(edited.exit_code, 0) << edited.err;
  EXPECT_EQ(Json({"sync", "show", "Shop"}), shown);

  ProcessResult duplicate = Run({"sync", "create", "--file", WriteFile("s.json", Definition())});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_THAT(duplicate.err, HasSubstr("already exists"));
  ProcessResult bad_column =
      Run({"sync", "create", "--file",
           WriteFile("b.json", R"({"name": "B", "connection": "shop", "list": "Newsletter",
         "source": {"table": "customers"}, "mapping": {"mail": "email"}})")});
  EXPECT_EQ(bad_column.exit_code, 1);
  EXPECT_THAT(bad_column.err, HasSubstr("column 'mail' does not exist"));
  ProcessResult bad_json = Run({"sync", "create", "--file", WriteFile("c.json", "{\"name\": 1}")});
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_THAT(bad_json.err, HasSubstr("$.name"));
  ProcessResult write_query =
      Run({"sync", "create", "--file",
           WriteFile("d.json", R"({"name": "D", "connection": "shop", "list": "Newsletter",
         "source": {"query": "DELETE FROM customers"}, "mapping": {"email": "email"}})")});
  EXPECT_EQ(write_query.exit_code, 1);
  EXPECT_EQ(Json({"sync", "ls"}).size(), 1u);
  EXPECT_EQ(Run({"sync", "create"}).exit_code, 2);
  EXPECT_EQ(Run({"sync", "frob"}).exit_code, 2);
  EXPECT_EQ(Run({"report", "abc"}).exit_code, 2);
  EXPECT_EQ(Run({"sync", "show", "Nope"}).exit_code, 1);
}

TEST_F(SyncCliTest, TestRunRunsAndReport) {
  ASSERT_EQ(Run({"sync", "create", "--file", WriteFile("s.json", Definition())}).exit_code, 0);
  const nlohmann::json test = Json({"sync", "test", "Shop"});
  EXPECT_EQ(test["dry_run"], true);
  EXPECT_EQ(test["counts"]["added"], 2);
  EXPECT_EQ(test["counts"]["failed"], 2);
  EXPECT_THAT(test["sql"].get<std::string>(), HasSubstr("'test'"));
  EXPECT_EQ(test["sample"][0]["values"]["email"], "ann@example.com");
  EXPECT_EQ(Json({"contact", "ls"})["total"], 0);

  ProcessResult run = Run({"sync", "run", "Shop"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("succeeded"));
  EXPECT_THAT(run.err, HasSubstr("progress: reading"));  // plain lines: stderr is no terminal
  EXPECT_EQ(Json({"contact", "ls"})["total"], 2);
  const nlohmann::json again = Json({"sync", "run", "Shop"});
  EXPECT_EQ(again["counts"]["unchanged"], 2);
  EXPECT_EQ(again["counts"]["added"], 0);

  const nlohmann::json runs = Json({"sync", "runs", "Shop"});
  ASSERT_EQ(runs.size(), 2u);
  const int64_t first = runs[1]["id"];
  const std::string csv = dir_.path() + "/failures.csv";
  const nlohmann::json report = Json({"report", std::to_string(first), "--failures-csv", csv});
  EXPECT_EQ(report["counts"]["selected"], 4);
  ASSERT_EQ(report["failures"].size(), 2u);
  EXPECT_EQ(report["failures"][0]["reason"], "email_invalid");
  std::ifstream in(csv);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("row,email,reason,message\r\n"));
  EXPECT_THAT(text.str(), HasSubstr("4,'=HYPERLINK(1),email_invalid,"));
  ProcessResult shown = Run({"report", std::to_string(first)});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_THAT(shown.out, HasSubstr("not-an-email"));
  EXPECT_EQ(Run({"report", "999"}).exit_code, 1);
  EXPECT_EQ(Run({"sync", "rm", "Shop"}).exit_code, 0);
  EXPECT_EQ(Run({"report", std::to_string(first)}).exit_code, 1);
  EXPECT_EQ(Json({"contact", "ls"})["total"], 2);  // contacts stay
}

TEST_F(SyncCliTest, CtrlCCancelsCleanly) {
  // Enough rows that the run is still going when the signal arrives.
  Sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
      "INSERT INTO customers (email, name, town, username) "
      "SELECT 'p' || i || '@example.com', 'N' || i, 'T', 'u' FROM n;");
  ASSERT_EQ(Run({"sync", "create", "--file", WriteFile("s.json", Definition())}).exit_code, 0);
  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  const std::vector<std::string> args = Argv({"sync", "run", "Shop"});
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 2);
    close(out_pipe[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  // Wait for the first progress line of the reading phase, then interrupt.
  std::string err;
  char buffer[4096];
  while (err.find("rows 1") == std::string::npos) {
    const ssize_t n = read(out_pipe[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    err.append(buffer, static_cast<size_t>(n));
  }
  kill(pid, SIGINT);
  while (true) {
    const ssize_t n = read(out_pipe[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    err.append(buffer, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 1) << err;
  EXPECT_THAT(err, HasSubstr("cancelled"));
  const nlohmann::json runs = Json({"sync", "runs", "Shop"});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "cancelled");
  // What was committed is whole: every contact has its subscription.
  const int64_t contacts = Json({"contact", "ls"})["total"];
  EXPECT_EQ(contacts, runs[0]["counts"]["added"].get<int64_t>());
  EXPECT_LT(contacts, 300002);
}

TEST_F(SyncCliTest, DemoRunsAndIsRepeatable) {
  ProcessResult first = Run({"demo"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("Generated a sample shop database"));
  EXPECT_THAT(first.out, HasSubstr("previously_unsubscribed"));
  EXPECT_THAT(first.out, HasSubstr("duplicate_in_source"));
  EXPECT_THAT(first.out, HasSubstr("email_invalid"));
  const nlohmann::json second = Json({"demo"});
  EXPECT_EQ(second["counts"]["added"], 0);
  EXPECT_EQ(second["counts"]["updated"], 0);
  EXPECT_GT(second["counts"]["unchanged"].get<int64_t>(), 1000);
  EXPECT_EQ(Json({"sync", "runs", "Demo shop customers"}).size(), 2u);
}

}  // namespace
}  // namespace contactsync
