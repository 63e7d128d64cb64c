// Differential test of the custom-query check (issue 11): thousands of seeded,
// generated queries (hostile_query_generator.h) go through the check; every
// one it accepts is run through the product's preview path (app::PreviewQuery:
// describe, wrap, read) against the real MariaDB, PostgreSQL and SQLite of the
// test servers with a privileged account. The servers are the oracle: a probe
// function that fails with 'cs_probe_ran' when it runs, a secret file that
// only a file-reading function can show, a lock, a sequence, a table that
// only dblink can write, a replication slot, files in a scratch directory.
// Any of those moving after an accepted query means that the check read the
// text differently from the server.
//
// CONTACTSYNC_DIFF_SEED and CONTACTSYNC_DIFF_QUERIES (per dialect) change the
// run; scripts/differential.sh is the longer run. A failure prints the seed,
// the query (escaped) and what ran.

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "app/hostile_query_generator.h"
#include "app/source_queries.h"
#include "base/text.h"
#include "query/custom_query_check.h"
#include "source/mysql/test_server.h"
#include "source/postgres/test_server.h"
#include "source/source.h"
#include "sync/definition.h"

namespace contactsync::app {
namespace {

using testing::GeneratedQuery;
using testing::HostileQueryGenerator;
using testing::Payload;

constexpr uint32_t kDefaultSeed = 20261207;
constexpr size_t kDefaultQueries = 2500;
// Enough to show a pattern; the run stops there so that a broken check (every
// hidden sleep taking seconds) cannot make the test run for long.
constexpr size_t kMaxFindings = 40;
constexpr int kSleepSeconds = 3;
constexpr double kSleptSeconds = 2.5;

struct RunConfig {
  uint32_t seed = kDefaultSeed;
  size_t queries = kDefaultQueries;
};

RunConfig ConfigFromEnv() {
  RunConfig config;
  if (const char* seed = std::getenv("CONTACTSYNC_DIFF_SEED"); seed != nullptr && *seed != '\0') {
    config.seed = static_cast<uint32_t>(std::strtoul(seed, nullptr, 10));
  }
  if (const char* count = std::getenv("CONTACTSYNC_DIFF_QUERIES");
      count != nullptr && *count != '\0') {
    config.queries = std::strtoul(count, nullptr, 10);
  }
  return config;
}

std::string RandomHex() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

// A directory the servers may read (the secret file) and a payload may try to
// write into (INTO OUTFILE, writefile). Removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cs-diff-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
    // The PostgreSQL server may run as another OS user: let it read the secret.
    std::filesystem::permissions(
        path_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                   std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                   std::filesystem::perms::others_exec);
    marker_ = "cs-secret-" + RandomHex();
    std::ofstream(secret()) << marker_ << "\n";
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string secret() const { return path_ + "/secret.txt"; }
  // The secret file's content: never in a query's text, so seeing it in a
  // result means a function read the file.
  const std::string& marker() const { return marker_; }

  // The names in the directory, sorted: a payload that writes a file shows.
  std::string Listing() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& name : names) out += name + ",";
    return out;
  }

 private:
  std::string path_;
  std::string marker_;
};

// One scratch database on one server, as the run sees it.
class Target {
 public:
  virtual ~Target() = default;
  virtual query::Dialect dialect() const = 0;
  // The privileged account on the scratch database.
  virtual source::ConnectionSettings Settings() const = 0;
  virtual std::vector<Payload> Payloads() const = 0;
  virtual std::vector<std::string> Tails() const { return {}; }
  // What qualifies a function name in the scratch database ("" when nothing).
  virtual std::string Schema() const = 0;
  // Everything a hidden payload could change or leave behind, as one text.
  virtual std::string Observable() = 0;
  // Undoes what a payload left that outlives the session (a replication slot).
  virtual void CleanUp() {}
  // SQL that runs the probe, for checking that the probe fires.
  std::string ProbeSql() const { return "SELECT cs_probe() AS p"; }
  // SQL that reads the secret file, for checking that a read would show; ""
  // when the dialect has no such function.
  virtual std::string SecretSql() const = 0;
};

// What a finished run saw.
struct RunResult {
  size_t generated = 0;
  size_t accepted = 0;
  size_t ran = 0;            // accepted and read without error
  size_t hostile_ran = 0;    // of those, the ones that were not plain
  size_t server_errors = 0;  // accepted, then refused or failed by the server
  size_t plain_clean = 0;    // plain queries without a payload
  std::vector<std::string> findings;
  std::vector<std::string> plain_clean_failures;
};

class DifferentialRun {
 public:
  DifferentialRun(Target& target, const ScratchDir& scratch, RunConfig config)
      : target_(target), scratch_(scratch), config_(config) {}

  RunResult Run() {
    // Each dialect draws its own stream from the one seed.
    HostileQueryGenerator generator(target_.dialect(), target_.Payloads(), target_.Tails(), "cs_t",
                                    target_.Schema(),
                                    config_.seed + static_cast<uint32_t>(target_.dialect()));
    Reconnect();
    initial_ = baseline_ = Observable();
    for (size_t i = 0; i < config_.queries && result_.findings.size() < kMaxFindings; ++i) {
      RunOne(i, generator.Next());
    }
    connector_.reset();
    return std::move(result_);
  }

 private:
  void Reconnect() {
    connector_.reset();
    auto opened = source::OpenSource(target_.Settings());
    if (!opened.ok()) {
      ADD_FAILURE() << "cannot open the source: " << opened.status().ToString();
      return;
    }
    connector_ = std::move(*opened);
  }

  std::string Observable() { return target_.Observable() + "|files:" + scratch_.Listing(); }

  // After a finding: the old session's locks go when the server has ended it,
  // which may take a moment. What never goes back (a written row, a file)
  // becomes the new baseline, so that it is reported once.
  void Settle() {
    for (int attempt = 0; attempt < 30; ++attempt) {
      baseline_ = Observable();
      if (baseline_ == initial_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  void RunOne(size_t index, const GeneratedQuery& query) {
    ++result_.generated;
    if (query.plain && !query.has_payload) ++result_.plain_clean;
    auto prepared = query::PrepareCustomQuery(target_.dialect(), query.sql);
    if (!prepared.ok()) {
      if (query.plain && !query.has_payload) {
        result_.plain_clean_failures.push_back(
            Describe(index, query, "refused: " + prepared.status().message()));
      }
      return;
    }
    ++result_.accepted;
    std::vector<std::string> evidence;
    if (query.plain && query.has_payload) {
      evidence.push_back("the check accepted a plain call or clause it must refuse");
    }
    if (!connector_) Reconnect();
    if (!connector_) return;
    const auto start = std::chrono::steady_clock::now();
    auto preview = PreviewQuery(*connector_, View(), query.sql, 5);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (preview.ok()) {
      ++result_.ran;
      if (!query.plain) ++result_.hostile_ran;
    } else {
      ++result_.server_errors;
      if (query.plain && !query.has_payload) {
        result_.plain_clean_failures.push_back(
            Describe(index, query, "failed on the server: " + preview.status().message()));
      }
    }
    AddEvidence(query, preview, seconds, evidence);
    const std::string now = Observable();
    if (now != baseline_) {
      evidence.push_back(
          fmt::format("the database or the scratch directory changed: before [{}] "
                      "after [{}]",
                      baseline_, now));
    }
    if (!evidence.empty()) {
      std::string what;
      for (const auto& item : evidence) what += (what.empty() ? "" : "; ") + item;
      result_.findings.push_back(Describe(index, query, what));
      // Locks and session state go with the session; slots need a drop.
      Reconnect();
      target_.CleanUp();
      Settle();
    } else if (!preview.ok() && preview.status().code() == base::ErrorCode::kConnectionLost) {
      Reconnect();
    }
  }

  // The connection as the product's preview sees it: the target's settings
  // (the gate allows custom queries on this privileged account), no password.
  ConnectionView View() const {
    ConnectionView view;
    view.name = "differential";
    view.settings = target_.Settings();
    view.settings.password.clear();
    return view;
  }

  void AddEvidence(const GeneratedQuery& query, const base::Result<Preview>& preview,
                   double seconds, std::vector<std::string>& evidence) const {
    const std::string message = preview.ok() ? "" : preview.status().message();
    const std::string lower = base::AsciiLower(message);
    if (message.find("cs_probe_ran") != std::string::npos) {
      evidence.push_back("the probe function cs_probe ran");
    }
    for (const Payload& payload : target_.Payloads()) {
      if (payload.name.empty()) continue;
      // SQLite names an unknown function only when it parsed a call to it.
      if (lower.find("no such function: " + base::AsciiLower(payload.name)) != std::string::npos) {
        evidence.push_back(fmt::format("the server parsed a call to {}", payload.name));
      }
    }
    if (message.find(scratch_.marker()) != std::string::npos || ShowsSecret(preview)) {
      evidence.push_back("a function read the secret file on the database host");
    }
    if (message.find("contactsync only reads") != std::string::npos) {
      evidence.push_back("a later layer stopped what the check let through: " +
                         base::Printable(message, 200));
    }
    const bool sleeps = base::AsciiLower(query.sql).find("sleep") != std::string::npos;
    if (sleeps && seconds >= kSleptSeconds) {
      evidence.push_back(fmt::format("a sleep ran (the query took {:.1f} s)", seconds));
    }
  }

  bool ShowsSecret(const base::Result<Preview>& preview) const {
    if (!preview.ok()) return false;
    for (const auto& row : preview->rows) {
      for (const auto& cell : row) {
        if (cell.bytes().find(scratch_.marker()) != std::string::npos) return true;
      }
    }
    return false;
  }

  std::string Describe(size_t index, const GeneratedQuery& query, const std::string& what) const {
    return fmt::format("{} query #{} (CONTACTSYNC_DIFF_SEED={}): {}\n    query: {}",
                       query::DialectName(target_.dialect()), index, config_.seed, what,
                       testing::EscapedForMessage(query.sql));
  }

  Target& target_;
  const ScratchDir& scratch_;
  RunConfig config_;
  std::unique_ptr<source::SourceConnector> connector_;
  std::string initial_;
  std::string baseline_;
  RunResult result_;
};

// Runs SQL straight through a connector, skipping the check: for proving that
// the probes fire and the secret shows when they do run.
base::Result<std::vector<source::Row>> RunUnchecked(const source::ConnectionSettings& settings,
                                                    const std::string& sql) {
  CS_ASSIGN_OR_RETURN(auto connector, source::OpenSource(settings));
  CS_ASSIGN_OR_RETURN(auto reader, connector->OpenReader(sql, {}, source::ReadOptions{}));
  source::Batch batch;
  CS_ASSIGN_OR_RETURN(source::ReadState state, reader->ReadBatch(batch));
  (void)state;
  return std::move(batch.rows);
}

// The detectors work: without the check, the probe fails with its message (or
// SQLite does not know it) and the secret file's content comes back.
void ExpectDetectorsWork(Target& target, const ScratchDir& scratch) {
  auto probe = RunUnchecked(target.Settings(), target.ProbeSql());
  ASSERT_FALSE(probe.ok()) << "the probe did not fail when run";
  const std::string expected =
      target.dialect() == query::Dialect::kSqlite ? "no such function: cs_probe" : "cs_probe_ran";
  ASSERT_NE(probe.status().message().find(expected), std::string::npos) << probe.status().message();
  if (target.SecretSql().empty()) return;
  auto secret = RunUnchecked(target.Settings(), target.SecretSql());
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  ASSERT_FALSE(secret->empty());
  ASSERT_NE((*secret)[0][0].bytes().find(scratch.marker()), std::string::npos)
      << "the server cannot read " << scratch.secret();
}

// The verdict of one run, readable when it fails.
void ExpectNothingRan(const RunResult& result, const RunConfig& config, query::Dialect dialect) {
  std::cout << fmt::format(
      "[ differential ] {}: seed {}, {} queries, {} accepted, {} ran ({} hostile), {} failed on "
      "the server, {} findings\n",
      query::DialectName(dialect), config.seed, result.generated, result.accepted, result.ran,
      result.hostile_ran, result.server_errors, result.findings.size());
  for (const auto& finding : result.findings) ADD_FAILURE() << finding;
  for (const auto& failure : result.plain_clean_failures) {
    ADD_FAILURE() << "a plain query without payload must be accepted and run: " << failure;
  }
  // Not vacuous: the run finished, plain queries were there, and the server
  // read a share of the hostile queries the check accepted (comments, strings
  // and quoted names that a correct check lets through).
  if (result.findings.size() < kMaxFindings) {
    EXPECT_EQ(result.generated, config.queries);
  }
  EXPECT_GT(result.plain_clean, 0u);
  EXPECT_GE(result.hostile_ran, result.generated / 100)
      << "too few hostile queries were both accepted and run";
}

// ---------------------------------------------------------------------------
// SQLite: a file in the scratch directory.

class SqliteTarget : public Target {
 public:
  explicit SqliteTarget(const ScratchDir& scratch) : scratch_(scratch) {
    path_ = scratch.path() + "/source.db";
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    char* error = nullptr;
    if (sqlite3_exec(db,
                     "CREATE TABLE cs_t (id INTEGER PRIMARY KEY, v TEXT);"
                     "INSERT INTO cs_t VALUES (1, 'a'), (2, 'b'), (3, 'c');",
                     nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << "SQLite fixture: " << error;
      sqlite3_free(error);
    }
    sqlite3_close(db);
  }

  query::Dialect dialect() const override { return query::Dialect::kSqlite; }
  source::ConnectionSettings Settings() const override {
    source::ConnectionSettings settings;
    settings.type = source::SourceType::kSqlite;
    settings.database = path_;
    settings.query_timeout_s = 10;
    settings.allow_custom_query_with_privileged_account = true;
    return settings;
  }
  std::vector<Payload> Payloads() const override {
    return {{"cs_probe", "", ""},
            {"load_extension", fmt::format("'{}/none.so'", scratch_.path()), ""},
            {"readfile", fmt::format("'{}'", scratch_.secret()), ""},
            {"writefile", fmt::format("'{}/written', 'x'", scratch_.path()), ""}};
  }
  std::string Schema() const override { return ""; }
  std::string Observable() override {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return fmt::format("sqlite file hash {}", std::hash<std::string>{}(bytes.str()));
  }
  std::string SecretSql() const override { return ""; }

 private:
  const ScratchDir& scratch_;
  std::string path_;
};

TEST(CustomQueryDifferentialTest, SqliteRunsNothingTheCheckDidNotSee) {
  ScratchDir scratch;
  SqliteTarget target(scratch);
  ExpectDetectorsWork(target, scratch);
  if (HasFatalFailure()) return;
  const RunConfig config = ConfigFromEnv();
  const RunResult result = DifferentialRun(target, scratch, config).Run();
  ExpectNothingRan(result, config, target.dialect());
}

// ---------------------------------------------------------------------------
// MariaDB: a scratch database with the probe, a sequence, a user lock name.

namespace mysql_testing = source::mysql::testing;

class MariadbTarget : public Target {
 public:
  MariadbTarget(const mysql_testing::TestServer& server, const ScratchDir& scratch)
      : database_(server), scratch_(scratch), lock_(fmt::format("cs_diff_{}", RandomHex())) {
    auto& admin = database_.admin();
    admin.Exec("CREATE TABLE cs_t (id INT PRIMARY KEY, v VARCHAR(20))");
    admin.Exec("INSERT INTO cs_t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    admin.Exec("CREATE SEQUENCE cs_seq");
    // Fails the statement that runs it, with a message no server text has.
    admin.Exec(
        "CREATE FUNCTION cs_probe() RETURNS INT DETERMINISTIC BEGIN SIGNAL SQLSTATE '45000' "
        "SET MESSAGE_TEXT = 'cs_probe_ran'; RETURN 1; END");
  }

  query::Dialect dialect() const override { return query::Dialect::kMySql; }
  source::ConnectionSettings Settings() const override {
    source::ConnectionSettings settings = database_.Admin();
    settings.query_timeout_s = 10;
    settings.allow_custom_query_with_privileged_account = true;
    return settings;
  }
  std::vector<Payload> Payloads() const override {
    return {{"cs_probe", "", ""},
            {"LOAD_FILE", fmt::format("'{}'", scratch_.secret()), ""},
            {"SLEEP", std::to_string(kSleepSeconds), ""},
            {"GET_LOCK", fmt::format("'{}', 0", lock_), ""},
            {"BENCHMARK", "1, cs_probe()", ""},
            {"NEXTVAL", "cs_seq", ""},
            {"", "", "NEXT VALUE FOR cs_seq"},
            {"", "", "(SELECT cs_probe())"}};
  }
  std::vector<std::string> Tails() const override {
    return {fmt::format("INTO OUTFILE '{}/outfile'", scratch_.path()),
            "FOR UPDATE",
            "LOCK IN SHARE MODE",
            "FOR UPDATE NOWAIT",
            "FOR UPDATE SKIP LOCKED",
            "INTO @cs_var",
            "PROCEDURE ANALYSE()"};
  }
  std::string Schema() const override { return database_.QuotedName(); }
  std::string Observable() override {
    const auto rows = database_.admin().Query(fmt::format(
        "SELECT (SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT(id, ':', v))), 0)) FROM "
        "cs_t), (SELECT next_not_cached_value FROM cs_seq), IS_USED_LOCK('{}'), (SELECT "
        "COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()), (SELECT "
        "COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE())",
        lock_));
    std::string out;
    if (rows.empty()) return "no state";
    for (const auto& cell : rows[0]) out += (cell ? *cell : "NULL") + ",";
    return out;
  }
  std::string SecretSql() const override {
    return fmt::format("SELECT LOAD_FILE('{}') AS s", scratch_.secret());
  }

 private:
  mysql_testing::ScratchDatabase database_;
  const ScratchDir& scratch_;
  std::string lock_;
};

TEST(CustomQueryDifferentialTest, MariadbRunsNothingTheCheckDidNotSee) {
  CS_REQUIRE_MARIADB(server);
  ScratchDir scratch;
  MariadbTarget target(server, scratch);
  ExpectDetectorsWork(target, scratch);
  if (HasFatalFailure()) return;
  const RunConfig config = ConfigFromEnv();
  const RunResult result = DifferentialRun(target, scratch, config).Run();
  ExpectNothingRan(result, config, target.dialect());
}

// ---------------------------------------------------------------------------
// PostgreSQL: a scratch database (so that large objects, statistics and the
// probe are ours alone) with dblink when the server has it.

namespace pg_testing = source::postgres::testing;

class PostgresTarget : public Target {
 public:
  PostgresTarget(const source::ConnectionSettings& admin, const ScratchDir& scratch)
      : server_admin_(admin),
        scratch_(scratch),
        name_(pg_testing::UniqueName()),
        slot_(pg_testing::UniqueName()),
        lock_key_(std::to_string(1000000 + (getpid() % 1000000))) {
    {
      pg_testing::AdminSession server(admin);
      server.Exec(fmt::format("CREATE DATABASE {}", name_));
      has_dblink_ = server.Scalar(
                        "SELECT count(*) FROM pg_available_extensions WHERE name = "
                        "'dblink'") == "1";
    }
    session_.emplace(Settings());
    session_->Exec(
        "CREATE TABLE cs_t (id int PRIMARY KEY, v text);"
        "INSERT INTO cs_t VALUES (1, 'a'), (2, 'b'), (3, 'c');"
        "CREATE TABLE cs_written (x int);"
        "CREATE SEQUENCE cs_seq;"
        "CREATE FUNCTION cs_probe() RETURNS text LANGUAGE plpgsql AS "
        "$f$BEGIN RAISE EXCEPTION 'cs_probe_ran'; END$f$;");
    if (has_dblink_) session_->Exec("CREATE EXTENSION dblink");
    socket_dir_ = session_->Scalar("SELECT current_setting('unix_socket_directories')");
    port_ = session_->Scalar("SELECT current_setting('port')");
  }

  ~PostgresTarget() override {
    CleanUp();
    session_.reset();
    pg_testing::AdminSession server(server_admin_);
    server.Exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", name_));
  }

  query::Dialect dialect() const override { return query::Dialect::kPostgreSql; }
  source::ConnectionSettings Settings() const override {
    source::ConnectionSettings settings = server_admin_;
    settings.database = name_;
    settings.query_timeout_s = 10;
    settings.allow_custom_query_with_privileged_account = true;
    return settings;
  }
  std::vector<Payload> Payloads() const override {
    std::vector<Payload> payloads = {
        {"cs_probe", "", ""},
        {"pg_read_file", fmt::format("'{}'", scratch_.secret()), ""},
        {"pg_sleep", std::to_string(kSleepSeconds), ""},
        {"pg_advisory_lock", lock_key_, ""},
        {"nextval", "'cs_seq'", ""},
        {"lo_from_bytea", "0, 'x'", ""},
        {"query_to_xml", "'SELECT cs_probe()', true, true, ''", ""},
        {"pg_create_physical_replication_slot", fmt::format("'{}'", slot_), ""},
        {"", "", "(SELECT count(*) FROM ts_stat($q$SELECT to_tsvector('simple', cs_probe())$q$))"},
        {"", "", "(SELECT cs_probe())"}};
    if (has_dblink_) {
      // The server's own socket with the bootstrap superuser: no password in
      // the query, which a failure prints.
      payloads.push_back({"dblink_exec",
                          fmt::format("'host={} port={} dbname={} user=postgres', 'INSERT INTO "
                                      "cs_written VALUES (1)'",
                                      socket_dir_, port_, name_),
                          ""});
    }
    return payloads;
  }
  std::vector<std::string> Tails() const override {
    return {"FOR UPDATE",        "FOR SHARE",         "FOR NO KEY UPDATE",
            "FOR KEY SHARE",     "FOR UPDATE NOWAIT", "FOR SHARE SKIP LOCKED",
            "FOR UPDATE OF cs_t"};
  }
  std::string Schema() const override { return "public"; }
  std::string Observable() override {
    return session_->Scalar(fmt::format(
        "SELECT concat_ws(',', (SELECT md5(coalesce(string_agg(t::text, ';' ORDER BY id), '')) "
        "FROM cs_t t), (SELECT last_value || ':' || is_called FROM cs_seq), (SELECT count(*) "
        "FROM cs_written), (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid "
        "= {}), (SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}'), (SELECT "
        "count(*) FROM pg_largeobject_metadata), (SELECT count(*) FROM pg_class c JOIN "
        "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'))",
        lock_key_, slot_));
  }
  void CleanUp() override {
    session_->Exec(fmt::format(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = "
        "'{}'",
        slot_));
  }
  std::string SecretSql() const override {
    return fmt::format("SELECT pg_read_file('{}') AS s", scratch_.secret());
  }

  // Rows written to the scratch tables, by the cumulative statistics. This
  // session's own pending counts (the fixture's inserts) are flushed first;
  // other sessions flush theirs when they end.
  std::string WriteCounters() {
    session_->Exec("SELECT pg_stat_force_next_flush()");
    return session_->Scalar(
        "SELECT string_agg(relname || ':' || n_tup_ins || '/' || n_tup_upd || '/' || n_tup_del, "
        "',' ORDER BY relname) FROM pg_stat_user_tables");
  }

 private:
  source::ConnectionSettings server_admin_;
  const ScratchDir& scratch_;
  std::string name_;
  std::string slot_;
  std::string lock_key_;
  bool has_dblink_ = false;
  std::optional<pg_testing::AdminSession> session_;
  std::string socket_dir_;
  std::string port_;
};

TEST(CustomQueryDifferentialTest, PostgresRunsNothingTheCheckDidNotSee) {
  const auto admin = pg_testing::AccountFromEnv("CONTACTSYNC_TEST_PG");
  if (!admin) {
    if (mysql_testing::TestServersRequired()) {
      FAIL() << "CONTACTSYNC_REQUIRE_TEST_SERVERS=1 but CONTACTSYNC_TEST_PG_* is not set";
    }
    GTEST_SKIP() << "no PostgreSQL test server: run `source $(scripts/test-servers.sh start)`";
  }
  ScratchDir scratch;
  PostgresTarget target(*admin, scratch);
  ExpectDetectorsWork(target, scratch);
  if (HasFatalFailure()) return;
  const std::string counters_before = target.WriteCounters();
  const RunConfig config = ConfigFromEnv();
  const RunResult result = DifferentialRun(target, scratch, config).Run();
  ExpectNothingRan(result, config, target.dialect());
  EXPECT_EQ(target.WriteCounters(), counters_before) << "rows were written to the scratch tables";
}

// ---------------------------------------------------------------------------
// The generator itself.

std::vector<std::string> Generate(query::Dialect dialect, uint32_t seed, size_t count) {
  HostileQueryGenerator generator(dialect, {{"cs_probe", "", ""}}, {"FOR UPDATE"}, "cs_t", "s",
                                  seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) out.push_back(generator.Next().sql);
  return out;
}

TEST(HostileQueryGeneratorTest, TheSameSeedGivesTheSameQueries) {
  EXPECT_EQ(Generate(query::Dialect::kMySql, 7, 200), Generate(query::Dialect::kMySql, 7, 200));
  EXPECT_NE(Generate(query::Dialect::kMySql, 7, 200), Generate(query::Dialect::kMySql, 8, 200));
}

TEST(HostileQueryGeneratorTest, MixesEveryConstructTheIssueNames) {
  const auto contains = [](const std::vector<std::string>& queries, std::string_view piece) {
    for (const auto& sql : queries) {
      if (sql.find(piece) != std::string::npos) return true;
    }
    return false;
  };
  const auto mysql = Generate(query::Dialect::kMySql, 1, 1000);
  for (std::string_view piece : {"-- ", "#", "/*!", "/*M!", "\r", "\r\n", "\t", "\\'", "''", "`",
                                 "\"", "cs_probe", "FOR UPDATE", "@'"}) {
    EXPECT_TRUE(contains(mysql, piece)) << "mysql: " << testing::EscapedForMessage(piece);
  }
  const auto postgres = Generate(query::Dialect::kPostgreSql, 1, 1000);
  for (std::string_view piece : {"$$", "$a$", "E'", "U&'", "U&\"", "/* /*", "--", "\r"}) {
    EXPECT_TRUE(contains(postgres, piece)) << "postgresql: " << testing::EscapedForMessage(piece);
  }
  const auto sqlite = Generate(query::Dialect::kSqlite, 1, 1000);
  for (std::string_view piece : {"#a(", "$a(", "@a", ":a", "[", "`", "--"}) {
    EXPECT_TRUE(contains(sqlite, piece)) << "sqlite: " << testing::EscapedForMessage(piece);
  }
}

}  // namespace
}  // namespace contactsync::app
