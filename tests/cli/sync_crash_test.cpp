// Crash safety (issue 4): `contactsync sync run` killed with SIGKILL at
// random moments during a run over a 100k-row source, ten times; then the
// store passes PRAGMA integrity_check and foreign_key_check, every contact is
// whole (subscription and history row present), the killed runs are
// abandoned rather than blocking, and the next run converges to the same
// contacts as one uninterrupted run. The stores hold one contact before the
// runs, so that every run commits every 50,000 rows or second (a first
// import into a store without contacts commits every 3 s: docs/sync.md),
// and the kills land between commits. With an SQLite source file, a MariaDB
// and a PostgreSQL source (scripts/test-servers.sh; skipped without them
// unless CONTACTSYNC_REQUIRE_TEST_SERVERS=1), whose servers see their client
// vanish mid-stream.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_servers.h"

namespace contactsync {
namespace {

using testing::ProcessResult;

constexpr int kRows = 100000;
constexpr int kKills = 10;
constexpr int kSeeded = 1;  // contacts in the stores before the runs

std::string Query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  std::string out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      out += text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
      out += '|';
    }
    out += '\n';
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void Write(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// The `connection add src ...` arguments after the name, the password (fed
// through --password-stdin when not empty) and the table of one source.
struct SourceSpec {
  std::vector<std::string> connection;
  std::string password;
  std::string table;
};

class Store {
 public:
  explicit Store(const SourceSpec& source) {
    for (std::vector<std::string> args :
         {std::vector<std::string>{"list", "create", "News"},
          {"field", "create", "CITY", "--label", "City"},
          {"contact", "add", "seeded@elsewhere.example", "--list", "News"}}) {
      ProcessResult result = Run(args);
      EXPECT_EQ(result.exit_code, 0) << result.err;
    }
    std::vector<std::string> add{"connection", "add", "src"};
    add.insert(add.end(), source.connection.begin(), source.connection.end());
    if (!source.password.empty()) add.push_back("--password-stdin");
    ProcessResult added = testing::RunProcess(
        Argv(add), source.password.empty() ? std::string() : source.password + "\n");
    EXPECT_EQ(added.exit_code, 0) << added.err;
    const std::string definition = dir_.path() + "/sync.json";
    FILE* file = fopen(definition.c_str(), "w");
    const nlohmann::json json = {
        {"name", "S"},
        {"connection", "src"},
        {"list", "News"},
        {"source", {{"table", source.table}}},
        {"mapping", {{"mail", "email"}, {"fname", "first_name"}, {"city", "%CITY%"}}}};
    fputs(json.dump().c_str(), file);
    fclose(file);
    ProcessResult created = Run({"sync", "create", "--file", definition});
    EXPECT_EQ(created.exit_code, 0) << created.err;
  }

  std::vector<std::string> Argv(std::vector<std::string> args) const {
    std::vector<std::string> argv{CONTACTSYNC_BINARY, "--data-dir", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  ProcessResult Run(std::vector<std::string> args) const { return testing::RunProcess(Argv(args)); }
  std::string db() const { return dir_.path() + "/contactsync.db"; }

  // Contacts as the user sees them, without ids, times or run ids.
  std::string Contents() const {
    return Query(db(),
                 "SELECT c.email, c.first_name, "
                 "(SELECT group_concat(v.value) FROM json_each(c.fields) v), s.status "
                 "FROM contacts c LEFT JOIN subscriptions s ON s.contact_id = c.id "
                 "ORDER BY c.email_key");
  }

 private:
  testing::TempDir dir_;
};

// A table of this process's own in a server's test database (which the
// reader account may read), dropped when the test ends however it ends.
class ServerTable {
 public:
  ServerTable(testing::TestAccount admin, bool mariadb)
      : admin_(std::move(admin)), mariadb_(mariadb), name_("crash_" + std::to_string(getpid())) {}
  ~ServerTable() { Exec("DROP TABLE IF EXISTS " + name_); }
  ServerTable(const ServerTable&) = delete;
  ServerTable& operator=(const ServerTable&) = delete;

  const std::string& name() const { return name_; }
  void Exec(const std::string& sql) const {
    if (mariadb_) {
      testing::MariadbExec(admin_, sql);
    } else {
      testing::PsqlExec(admin_, sql);
    }
  }

 private:
  testing::TestAccount admin_;
  bool mariadb_;
  std::string name_;
};

class SyncCrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SyncCrashTest, KilledRunsLeaveAConsistentStoreThatConverges) {
  testing::TempDir source_dir;
  SourceSpec source;
  std::optional<ServerTable> table;
  if (GetParam() == "sqlite") {
    const std::string path = source_dir.path() + "/people.db";
    Write(path,
          "CREATE TABLE people (id INTEGER PRIMARY KEY, mail TEXT, fname TEXT, city TEXT);"
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
              std::to_string(kRows) +
              ") INSERT INTO people (mail, fname, city) "
              "SELECT 'person' || i || '@example.com', 'Name ' || i, 'City ' || (i % 97) FROM n;");
    source = {{"--type", "sqlite", "--database", path}, "", "people"};
  } else {
    const bool mariadb = GetParam() == "mariadb";
    CS_REQUIRE_TEST_ACCOUNT(admin, mariadb ? "MARIADB" : "PG");
    CS_REQUIRE_TEST_ACCOUNT(reader, mariadb ? "MARIADB_READER" : "PG_READER");
    // The same rows, made by the server itself.
    table.emplace(admin, mariadb);
    const std::string rows = std::to_string(kRows);
    if (mariadb) {
      table->Exec("CREATE TABLE " + table->name() +
                  " (id INT PRIMARY KEY, mail VARCHAR(255), fname VARCHAR(255), "
                  "city VARCHAR(255)) CHARACTER SET utf8mb4; INSERT INTO " +
                  table->name() +
                  " SELECT seq, CONCAT('person', seq, '@example.com'), CONCAT('Name ', seq), "
                  "CONCAT('City ', seq % 97) FROM seq_1_to_" +
                  rows);
    } else {
      table->Exec("CREATE TABLE public." + table->name() +
                  " (id INT PRIMARY KEY, mail TEXT, fname TEXT, city TEXT); INSERT INTO public." +
                  table->name() +
                  " SELECT i, 'person' || i || '@example.com', 'Name ' || i, 'City ' || (i % 97) "
                  "FROM generate_series(1, " +
                  rows + ") AS i; GRANT SELECT ON public." + table->name() + " TO " + reader.user);
    }
    source = {
        {"--type", mariadb ? "mariadb" : "postgresql", "--host", reader.host, "--port", reader.port,
         "--user", reader.user, "--database", reader.database, "--connect-timeout", "5"},
        reader.password,
        table->name()};
  }

  // A run in a child process whose stderr (the plain progress lines) the
  // test reads: SpawnRun returns once the run reports its reading phase.
  struct Child {
    pid_t pid = -1;
    int err_fd = -1;
    std::string err;
  };
  const auto spawn_run = [](const Store& store) {
    Child child;
    const std::vector<std::string> args = store.Argv({"sync", "run", "S"});
    int err_pipe[2];
    if (pipe(err_pipe) != 0) return child;
    child.pid = fork();
    if (child.pid == 0) {
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      freopen("/dev/null", "w", stdout);
      dup2(err_pipe[1], 2);
      close(err_pipe[0]);
      close(err_pipe[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(err_pipe[1]);
    child.err_fd = err_pipe[0];
    char buffer[4096];
    while (child.err.find("progress: reading") == std::string::npos) {
      const ssize_t n = read(child.err_fd, buffer, sizeof(buffer));
      if (n <= 0) break;
      child.err.append(buffer, static_cast<size_t>(n));
    }
    return child;
  };

  // The uninterrupted run, timed from its reading phase to its end: the
  // kills are placed within that span, so they land mid-read on a slow
  // machine and on a fast one alike.
  Store reference(source);
  Child whole = spawn_run(reference);
  ASSERT_GT(whole.pid, 0);
  const auto reading_started = std::chrono::steady_clock::now();
  int whole_status = 0;
  waitpid(whole.pid, &whole_status, 0);
  const auto reading_time = std::chrono::steady_clock::now() - reading_started;
  close(whole.err_fd);
  ASSERT_TRUE(WIFEXITED(whole_status) && WEXITSTATUS(whole_status) == 0) << whole.err;
  ASSERT_EQ(Query(reference.db(), "SELECT count(*) FROM contacts"),
            std::to_string(kSeeded + kRows) + "|\n");

  // Each run is killed at a random moment between 15% and 95% of the
  // reference's reading time after its own reading phase began. Later runs
  // find part of the work done and may finish first: such a run is a
  // complete run (counted below), not a failure of the test.
  //
  // Under load (ctest --parallel) the reference and the killed runs do not
  // run at the same speed, so the first kill may land after every row was
  // written, or before any. Such a kill interrupted nothing: the test starts
  // again on a fresh store with shorter (or longer) delays, so that the kills
  // below always interrupt real work, on a slow machine and a fast one alike.
  std::mt19937 random(4242);
  std::uniform_real_distribution<double> fraction(0.15, 0.95);
  double delay_scale = 1.0;
  int restarts = 0;
  std::optional<Store> killed_store;
  std::vector<int64_t> counts_after_kills;
  int completed_runs = 0;
  for (int kill_number = 0; kill_number < kKills; ++kill_number) {
    if (kill_number == 0) killed_store.emplace(source);
    Store& killed = *killed_store;
    Child child = spawn_run(killed);
    ASSERT_GT(child.pid, 0);
    // The pipe holds far more than the progress lines of a few seconds.
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::microseconds>(
        reading_time * fraction(random) * delay_scale));
    kill(child.pid, SIGKILL);
    int status = 0;
    waitpid(child.pid, &status, 0);
    close(child.err_fd);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "run " << kill_number << " failed:\n" << child.err;
      ++completed_runs;
    } else {
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << child.err;
    }
    counts_after_kills.push_back(std::stoll(Query(killed.db(), "SELECT count(*) FROM contacts")));

    EXPECT_EQ(Query(killed.db(), "PRAGMA integrity_check"), "ok|\n") << kill_number;
    EXPECT_EQ(Query(killed.db(), "PRAGMA foreign_key_check"), "") << kill_number;
    // No contact half written: each has its subscription (which holds its join entry: a join
    // writes no history row).
    EXPECT_EQ(Query(killed.db(),
                    "SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM "
                    "subscriptions s WHERE s.contact_id = c.id)"),
              "0|\n")
        << kill_number;
    const int64_t first_count = counts_after_kills.front();
    if (kill_number == 0 && (first_count == kSeeded || first_count == kSeeded + kRows)) {
      ASSERT_LT(++restarts, 8) << "no first kill interrupted the run; contacts after the last: "
                               << first_count;
      delay_scale *= first_count == kSeeded + kRows ? 0.5 : 1.5;
      counts_after_kills.clear();
      completed_runs = 0;
      kill_number = -1;
    }
  }
  Store& killed = *killed_store;

  // The kills interrupted real work: after some kill, some contacts were
  // committed, not all.
  EXPECT_TRUE(std::any_of(counts_after_kills.begin(), counts_after_kills.end(),
                          [](int64_t count) { return count > kSeeded && count < kSeeded + kRows; }))
      << "contacts after each kill: " << ::testing::PrintToString(counts_after_kills);
  const int64_t committed = counts_after_kills.back() - kSeeded;
  ProcessResult final_run = killed.Run({"--json", "sync", "run", "S"});
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
  const nlohmann::json report = nlohmann::json::parse(final_run.out);
  EXPECT_EQ(report["counts"]["selected"], kRows);
  EXPECT_EQ(report["counts"]["failed"], 0);
  EXPECT_EQ(report["counts"]["unchanged"], committed);
  EXPECT_EQ(killed.Contents(), reference.Contents());
  // Killed runs were abandoned (not left running) and none blocked the next.
  EXPECT_EQ(Query(killed.db(), "SELECT count(*) FROM sync_runs WHERE state = 'running'"), "0|\n");
  // Every run on record succeeded or is marked interrupted. A kill can land
  // after a run recorded its success and before the process exited: that
  // run counts as succeeded although the test saw a SIGKILL. (A kill before
  // a run began leaves no record.)
  const int64_t runs = std::stoll(Query(killed.db(), "SELECT count(*) FROM sync_runs"));
  EXPECT_LE(runs, kKills + 1);
  const int64_t succeeded =
      std::stoll(Query(killed.db(), "SELECT count(*) FROM sync_runs WHERE state = 'succeeded'"));
  EXPECT_GE(succeeded, completed_runs + 1);
  EXPECT_EQ(Query(killed.db(),
                  "SELECT count(*) FROM sync_runs WHERE state = 'failed' AND message LIKE "
                  "'interrupted%'"),
            std::to_string(runs - succeeded) + "|\n");
}

INSTANTIATE_TEST_SUITE_P(Sources, SyncCrashTest,
                         ::testing::Values("sqlite", "mariadb", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace contactsync
