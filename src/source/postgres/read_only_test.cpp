// The hostile matrix: statements that try to change the database, run through OpenReader as
// the PRIVILEGED account (a superuser), so that only contactsync's own layers stand in the way.
// Each must fail, and afterwards nothing may have changed: table checksum, the server's write
// counters for the table, the sequence, the large objects, and the file system.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "source/postgres/postgres_source.h"
#include "source/postgres/test_server.h"

namespace contactsync::source::postgres {
namespace {

using base::ErrorCode;

// What "nothing changed" is measured by.
struct Fingerprint {
  std::string checksum;
  std::string counters;
  std::string sequence;
  std::string large_objects;
  std::string read_only_default;

  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

std::ostream& operator<<(std::ostream& out, const Fingerprint& f) {
  return out << "{checksum " << f.checksum << ", ins/upd/del/hot " << f.counters << ", sequence "
             << f.sequence << ", large objects " << f.large_objects << "}";
}

bool FileExists(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0;
}

// The first failure of reading every row of `sql`, or OK.
base::Status RunToEnd(SourceConnector& connector, const std::string& sql) {
  auto reader = connector.OpenReader(sql, {}, {});
  if (!reader.ok()) return reader.status();
  Batch batch;
  while (true) {
    auto state = (*reader)->ReadBatch(batch);
    if (!state.ok()) return state.status();
    if (*state == ReadState::kFinished) return base::Status::Ok();
  }
}

class PostgresReadOnlyTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    table_ = Qualified("t");
    sequence_ = Qualified("seq");
    copy_path_ = "/tmp/" + testing::UniqueName();
    session_->Exec(
        fmt::format("CREATE TABLE {0} (id int PRIMARY KEY, v text); "
                    "INSERT INTO {0} SELECT x, 'row ' || x FROM generate_series(1, 100) AS x; "
                    "CREATE SEQUENCE {1}; SELECT nextval('{1}'); "
                    "CREATE FUNCTION {2}() RETURNS int LANGUAGE plpgsql AS "
                    "$$ BEGIN DELETE FROM {0}; RETURN 1; END $$; "
                    "CREATE PROCEDURE {3}() LANGUAGE sql AS $$ DELETE FROM {0} $$",
                    table_, sequence_, Qualified("sneaky"), Qualified("proc")));
    // The fixture's own inserts must reach the statistics before the first fingerprint: a
    // server process flushes them when it exits.
    const int pid = session_->pid();
    session_.reset();
    session_.emplace(admin_);
    ASSERT_TRUE(testing::WaitForBackendsGone(*session_, {pid}));
  }

  Fingerprint Take() {
    session_->Exec("SELECT pg_stat_clear_snapshot()");
    Fingerprint f;
    f.checksum = session_->Scalar(
        fmt::format("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM {} AS t", table_));
    f.counters = session_->Scalar(
        "SELECT concat_ws('/', n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd) "
        "FROM pg_stat_user_tables WHERE relid = $1::regclass",
        {table_});
    f.sequence =
        session_->Scalar(fmt::format("SELECT last_value || '/' || is_called FROM {}", sequence_));
    f.large_objects = session_->Scalar("SELECT count(*) FROM pg_largeobject_metadata");
    return f;
  }

  std::string table_;
  std::string sequence_;
  std::string copy_path_;
};

struct Hostile {
  std::string sql;
  ErrorCode code;  // the layer that stops it, as a code
};

TEST_F(PostgresReadOnlyTest, PrivilegedAccountStillCannotWrite) {
  ASSERT_FALSE(FileExists(copy_path_));
  const Fingerprint before = Take();
  EXPECT_NE(before.counters, "");
  EXPECT_EQ(before.checksum.size(), 32u);

  const std::vector<Hostile> matrix = {
      {fmt::format("INSERT INTO {} VALUES (1000, 'x')", table_), ErrorCode::kBadQuery},
      {fmt::format("INSERT INTO {} VALUES (1000, 'x') RETURNING id", table_), ErrorCode::kBadQuery},
      {fmt::format("UPDATE {} SET v = 'x'", table_), ErrorCode::kBadQuery},
      {fmt::format("DELETE FROM {} RETURNING *", table_), ErrorCode::kBadQuery},
      {fmt::format("TRUNCATE {}", table_), ErrorCode::kBadQuery},
      {fmt::format("SELECT 1; DELETE FROM {}", table_), ErrorCode::kBadQuery},
      {fmt::format("COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM {}",
                   table_),
       ErrorCode::kBadQuery},
      {"COMMIT", ErrorCode::kBadQuery},
      {"SET default_transaction_read_only = off", ErrorCode::kBadQuery},
      {fmt::format("CREATE TABLE {} ()", Qualified("x")), ErrorCode::kBadQuery},
      {fmt::format("SELECT * INTO {} FROM {}", Qualified("x2"), table_), ErrorCode::kBadQuery},
      {fmt::format("WITH d AS (DELETE FROM {} RETURNING *) SELECT * FROM d", table_),
       ErrorCode::kBadQuery},
      {fmt::format("EXPLAIN ANALYZE DELETE FROM {}", table_), ErrorCode::kBadQuery},
      {fmt::format("DO $$ BEGIN DELETE FROM {}; END $$", table_), ErrorCode::kBadQuery},
      {fmt::format("CALL {}()", Qualified("proc")), ErrorCode::kBadQuery},
      {fmt::format("PREPARE p AS DELETE FROM {}", table_), ErrorCode::kBadQuery},
      {fmt::format("LOCK TABLE {}", table_), ErrorCode::kBadQuery},
      {fmt::format("VACUUM {}", table_), ErrorCode::kBadQuery},
      {fmt::format("COPY {} TO '{}'", table_, copy_path_), ErrorCode::kBadQuery},
      {fmt::format("COPY (SELECT 1) TO '{}'", copy_path_), ErrorCode::kBadQuery},
      {"SELECT lo_from_bytea(0, 'x')", ErrorCode::kPermissionDenied},
      {"SELECT lo_create(0)", ErrorCode::kPermissionDenied},
      {"SELECT lo_import('/etc/hostname')", ErrorCode::kPermissionDenied},
      {fmt::format("SELECT * FROM {} FOR UPDATE", table_), ErrorCode::kPermissionDenied},
      {fmt::format("SELECT * FROM {} FOR SHARE", table_), ErrorCode::kPermissionDenied},
      {fmt::format("SELECT {}()", Qualified("sneaky")), ErrorCode::kPermissionDenied},
      {fmt::format("SELECT nextval('{}')", sequence_), ErrorCode::kPermissionDenied},
      {fmt::format("SELECT setval('{}', 500)", sequence_), ErrorCode::kPermissionDenied},
  };

  auto connector = OpenPostgresSource(admin_);
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  std::vector<int> pids;
  const auto remember_pid = [&] {
    auto reader = (*connector)->OpenReader("SELECT pg_backend_pid()", {}, {});
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    Batch batch;
    ASSERT_TRUE((*reader)->ReadBatch(batch).ok());
    pids.push_back(std::stoi(batch.rows.at(0).at(0).bytes()));
  };
  for (const Hostile& hostile : matrix) {
    remember_pid();
    const base::Status status = RunToEnd(**connector, hostile.sql);
    EXPECT_EQ(status.code(), hostile.code) << hostile.sql << "\n  -> " << status.ToString();
  }

  // A setting changed by a function is rolled back with the read, and cannot make a later read
  // writable.
  remember_pid();
  EXPECT_TRUE(
      RunToEnd(**connector, "SELECT set_config('default_transaction_read_only', 'off', false)")
          .ok());
  auto reader = (*connector)
                    ->OpenReader(
                        "SELECT current_setting('default_transaction_read_only'), "
                        "current_setting('transaction_read_only')",
                        {}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Batch batch;
  ASSERT_TRUE((*reader)->ReadBatch(batch).ok());
  EXPECT_EQ(batch.rows.at(0), (Row{Value::Text("on"), Value::Text("on")}));
  reader->reset();
  EXPECT_EQ(RunToEnd(**connector, fmt::format("SELECT {}()", Qualified("sneaky"))).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(RunToEnd(**connector, fmt::format("SELECT * FROM {} FOR UPDATE", table_)).code(),
            ErrorCode::kPermissionDenied);
  remember_pid();

  // Every process the connector used has exited, so its statistics are in.
  connector->reset();
  ASSERT_TRUE(testing::WaitForBackendsGone(*session_, pids));

  const Fingerprint after = Take();
  EXPECT_EQ(after, before);
  EXPECT_FALSE(FileExists(copy_path_));
  EXPECT_EQ(session_->Scalar("SELECT count(*) FROM pg_class WHERE relnamespace = $1::regnamespace "
                             "AND relname IN ('x', 'x2')",
                             {qschema_}),
            "0");
}

// The write counters do see writes: the same measurement after a real one differs, so the
// comparison above can fail.
TEST_F(PostgresReadOnlyTest, FingerprintDetectsAWrite) {
  const Fingerprint before = Take();
  testing::AdminSession writer(admin_);
  writer.Exec(fmt::format("UPDATE {} SET v = v WHERE id = 1", table_));
  const int pid = writer.pid();
  writer.Close();
  ASSERT_TRUE(testing::WaitForBackendsGone(*session_, {pid}));
  const Fingerprint after = Take();
  EXPECT_EQ(after.checksum, before.checksum);
  EXPECT_NE(after.counters, before.counters);
}

}  // namespace
}  // namespace contactsync::source::postgres
