// The sync engine against a real SQLite store, each test run against an
// SQLite, a MariaDB and a PostgreSQL source loaded with the same rows
// (test_sources.h; the servers of scripts/test-servers.sh): docs/spec.md §4's rules,
// accounting, idempotence, hostile data, delete_not_affected, Test,
// cancellation, the run lock and the report.

#include "sync/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "source/postgres/test_server.h"
#include "store/store_test_util.h"
#include "sync/report.h"
#include "sync/run_lock.h"
#include "sync/sync_test_support.h"
#include "sync/test_sources.h"

namespace contactsync::sync {
namespace {

using model::SubscriptionStatus;
using store::RunState;
using store::SyncEntryStatus;
using store::testing::IsOk;
using testing::DumpStore;
using ::testing::HasSubstr;
using testing::SourceKind;
using testing::StoreCount;

// The store, its lists and fields, and the source under test; a subclass
// sets `source_` (a database its suite shares) before SetUpStore.
class EngineFixture {
 protected:
  void SetUpStore() {
    store_url_ = store::testing::NewTestStoreUrl(dir_.path());
    ASSERT_FALSE(store_url_.empty());
    store_ = OpenStoreAgain();
    ASSERT_TRUE(IsOk(store_->CreateList(store::testing::ListNamed("News"))));
    ASSERT_TRUE(IsOk(store_->CreateList(store::testing::ListNamed("Other"))));
    model::FieldDefinition city;
    city.key = "CITY";
    city.label = "City";
    ASSERT_TRUE(IsOk(store_->CreateField(city)));
    model::FieldDefinition born;
    born.key = "BORN";
    born.label = "Born";
    born.type = model::FieldType::kDate;
    ASSERT_TRUE(IsOk(store_->CreateField(born)));
  }

  // Another instance on the store under test, as another process would open it.
  std::unique_ptr<store::Store> OpenStoreAgain() {
    auto opened = store::OpenStore(store::StoreOptions{.url = store_url_});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // What the engine is told of the connection: its type and the default,
  // closed custom-query policy (the connector is the read-only account).
  source::ConnectionSettings Settings() const {
    source::ConnectionSettings settings;
    settings.type = source_->type();
    return settings;
  }

  // Fixture SQL on the source, as its privileged account.
  void Sql(const std::string& sql) { source_->Exec(sql); }

  // Rows (mail, fname, city, born) appended to the source; "NULL" is NULL.
  void AddRows(const std::vector<std::vector<std::string>>& rows,
               const std::string& table = "people") {
    std::vector<std::vector<std::optional<std::string>>> cells;
    for (const auto& row : rows) {
      auto& out = cells.emplace_back();
      for (size_t i = 0; i < 4; ++i) {
        if (i < row.size() && row[i] != "NULL") {
          out.emplace_back(row[i]);
        } else {
          out.emplace_back(std::nullopt);
        }
      }
    }
    source_->Insert(table, {"mail", "fname", "city", "born"}, cells);
  }

  void AddPeople(int from, int to) {
    std::vector<std::vector<std::string>> rows;
    for (int i = from; i < to; ++i) {
      rows.push_back({"person" + std::to_string(i) + "@example.com", "Name" + std::to_string(i),
                      "City" + std::to_string(i % 7), "1990-01-0" + std::to_string(1 + i % 9)});
    }
    AddRows(rows);
  }

  SyncDefinition Definition() {
    SyncDefinition d;
    d.name = "People";
    d.connection = "src";
    d.list = "News";
    d.source.schema = source_->schema();
    d.source.table = "people";
    for (auto [column, target] : std::vector<std::pair<std::string, std::string>>{
             {"mail", "email"}, {"fname", "first_name"}, {"city", "%CITY%"}, {"born", "%BORN%"}}) {
      d.mapping.push_back({column, *mapping::ParseTarget(target)});
    }
    return d;
  }

  void Save(const SyncDefinition& d) {
    if (store_->GetSync(d.name).ok()) {
      ASSERT_TRUE(IsOk(store_->UpdateSync(d.name, d.name, SerializeDefinition(d))));
    } else {
      ASSERT_TRUE(IsOk(store_->CreateSync(d.name, SerializeDefinition(d))));
    }
  }

  RunReport Execute(const SyncDefinition& d, EngineOptions options = {},
                    source::SourceConnector* source = nullptr) {
    std::unique_ptr<source::SourceConnector> own;
    if (source == nullptr) {
      own = source_->Connect();
      source = own.get();
    }
    options.read.max_rows = batch_rows_;
    options.started_by = "test";
    base::Result<RunReport> report =
        sync::Execute(d, Settings(), *source, *store_, *store_, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? std::move(report).value() : RunReport{};
  }

  RunReport Run(const SyncDefinition& d) {
    Save(d);
    return Execute(d);
  }

  RunReport Test(const SyncDefinition& d) {
    EngineOptions options;
    options.dry_run = true;
    return Execute(d, options);
  }

  int64_t Count(const std::string& sql) { return StoreCount(store_url_, sql); }
  int64_t OnList(const std::string& list) {
    return Count(
        "SELECT count(*) FROM subscriptions s JOIN lists l ON l.id = s.list_id "
        "WHERE l.name = '" +
        list + "'");
  }

  testing::TempDir dir_;
  // The store under test (store/test_store.h: SQLite, or PostgreSQL with
  // CONTACTSYNC_TEST_STORE=postgresql).
  std::string store_url_;
  testing::SourceDatabase* source_ = nullptr;  // owned by the suite's SharedDatabases
  std::unique_ptr<store::Store> store_;
  size_t batch_rows_ = 1000;
};

// One test body per source kind; each test gets an empty `people` table in
// a database the suite shares.
class EngineTest : public EngineFixture, public ::testing::TestWithParam<SourceKind> {
 protected:
  using EngineFixture::Run;
  using EngineFixture::Test;
  static void TearDownTestSuite() { databases_.Clear(); }
  void SetUp() override {
    std::string why;
    source_ = databases_.Get(GetParam(), &why);
    CS_SKIP_WITHOUT_SOURCE(source_, why);
    SetUpStore();
    source_->CreatePeople();
  }

  static inline testing::SharedDatabases databases_;
};

std::string KindTestName(const ::testing::TestParamInfo<SourceKind>& param) {
  return testing::KindName(param.param);
}

// --- docs/spec.md §4 statuses × update_existing × the contact's state before -------

enum class Prior { kAbsent, kActive, kUnconfirmed, kUnsubscribed, kBounced, kExcluded, kOtherList };

struct MatrixCase {
  SyncEntryStatus status;
  bool update_existing;
  Prior prior;
  // expected
  std::string result;            // added, updated, unchanged, skipped, or a reason code
  std::string status_after;      // on News: active/unconfirmed/unsubscribed/bounced/none
  std::string first_name_after;  // "" when no contact
};

std::string Name(Prior prior) {
  switch (prior) {
    case Prior::kAbsent:
      return "absent";
    case Prior::kActive:
      return "active";
    case Prior::kUnconfirmed:
      return "unconfirmed";
    case Prior::kUnsubscribed:
      return "unsubscribed";
    case Prior::kBounced:
      return "bounced";
    case Prior::kExcluded:
      return "excluded";
    case Prior::kOtherList:
      return "other_list";
  }
  return "";
}

std::vector<MatrixCase> Matrix() {
  std::vector<MatrixCase> cases;
  for (SyncEntryStatus status : {SyncEntryStatus::kActive, SyncEntryStatus::kUnconfirmed,
                                 SyncEntryStatus::kUnsubscribed, SyncEntryStatus::kExcluded}) {
    const std::string entered(EntryStatusName(status));
    for (bool update : {true, false}) {
      const std::string kept = update ? "New" : "Old";
      for (Prior prior : {Prior::kAbsent, Prior::kActive, Prior::kUnconfirmed, Prior::kUnsubscribed,
                          Prior::kBounced, Prior::kExcluded, Prior::kOtherList}) {
        MatrixCase c{status, update, prior, "", "", ""};
        if (status == SyncEntryStatus::kExcluded) {
          // The address goes onto the list's exclusion list; contacts are
          // left as they are.
          c.result = prior == Prior::kExcluded ? "unchanged" : "added";
          c.status_after =
              prior == Prior::kAbsent || prior == Prior::kExcluded || prior == Prior::kOtherList
                  ? "none"
                  : Name(prior);
          c.first_name_after = prior == Prior::kAbsent || prior == Prior::kExcluded ? "" : "Old";
          cases.push_back(c);
          continue;
        }
        switch (prior) {
          case Prior::kAbsent:
            c = {status, update, prior, "added", entered, "New"};
            break;
          case Prior::kActive:
          case Prior::kUnconfirmed:
            c = {status, update, prior, update ? "updated" : "skipped", Name(prior), kept};
            break;
          case Prior::kUnsubscribed:
            if (status == SyncEntryStatus::kUnsubscribed) {
              c = {status, update, prior, update ? "updated" : "skipped", "unsubscribed", kept};
            } else {
              c = {status, update, prior, "previously_unsubscribed", "unsubscribed", "Old"};
            }
            break;
          case Prior::kBounced:
            c = {status, update, prior, "bounced", "bounced", "Old"};
            break;
          case Prior::kExcluded:
            c = {status, update, prior, "excluded", "none", ""};
            break;
          case Prior::kOtherList:
            c = {status, update, prior, "added", entered, kept};
            break;
        }
        cases.push_back(c);
      }
    }
  }
  return cases;
}

// Every case reads the same one-row table, loaded once per source kind; the
// contact's state before is prepared in each case's own store.
class StatusMatrixTest : public EngineFixture,
                         public ::testing::TestWithParam<std::tuple<SourceKind, MatrixCase>> {
 protected:
  using EngineFixture::Run;
  using EngineFixture::Test;
  static void TearDownTestSuite() { databases_.Clear(); }
  void SetUp() override {
    std::string why;
    bool created = false;
    source_ = databases_.Get(std::get<0>(GetParam()), &why, &created);
    CS_SKIP_WITHOUT_SOURCE(source_, why);
    SetUpStore();
    if (created) {
      source_->CreatePeople("matrix");
      AddRows({{"Ann@Example.com", "New", "Rome", "2000-01-01"}}, "matrix");
    }
  }

  static inline testing::SharedDatabases databases_;
};

TEST_P(StatusMatrixTest, AppliesSpecRules) {
  const MatrixCase& c = std::get<1>(GetParam());
  const auto save = [&](std::string list, SubscriptionStatus status) {
    store::ContactChange change;
    change.contact.email = "ann@example.com";
    change.contact.first_name = "Old";
    change.list = list;
    change.status = status;
    ASSERT_TRUE(IsOk(store_->SaveContact(change)));
  };
  const model::Cause cli{model::CauseKind::kCli, ""};
  switch (c.prior) {
    case Prior::kAbsent:
      break;
    case Prior::kActive:
      save("News", SubscriptionStatus::kActive);
      break;
    case Prior::kUnconfirmed:
      save("News", SubscriptionStatus::kUnconfirmed);
      break;
    case Prior::kUnsubscribed:
      save("News", SubscriptionStatus::kActive);
      ASSERT_TRUE(IsOk(store_->Unsubscribe("ann@example.com", "News", cli)));
      break;
    case Prior::kBounced:
      save("News", SubscriptionStatus::kActive);
      ASSERT_TRUE(IsOk(store_->MarkBounced("ann@example.com", cli)));
      break;
    case Prior::kExcluded:
      ASSERT_TRUE(IsOk(store_->AddExclusion("ann@example.com", std::string("News"))));
      break;
    case Prior::kOtherList:
      save("Other", SubscriptionStatus::kActive);
      break;
  }
  SyncDefinition d = Definition();
  d.source.table = "matrix";
  d.status = c.status;
  d.update_existing = c.update_existing;
  const std::string before = DumpStore(store_url_);
  const RunReport report = Run(d);
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  const store::RunCounts& n = report.counts;
  EXPECT_EQ(n.selected, 1);
  std::string result = n.added       ? "added"
                       : n.updated   ? "updated"
                       : n.unchanged ? "unchanged"
                       : n.skipped   ? "skipped"
                                     : (report.failures.empty() ? "?" : report.failures[0].reason);
  EXPECT_EQ(result, c.result);
  EXPECT_EQ(n.added + n.updated + n.unchanged + n.skipped + n.failed, 1);

  base::Result<store::Contact> contact = store_->GetContact("ann@example.com");
  std::string status_after = "none";
  if (contact.ok()) {
    for (const auto& s : contact->subscriptions) {
      if (s.list_name == "News")
        status_after = std::string(model::SubscriptionStatusName(s.status));
    }
  }
  EXPECT_EQ(status_after, c.status_after);
  EXPECT_EQ(contact.ok() ? contact->first_name : "", c.first_name_after);
  if (c.status == SyncEntryStatus::kExcluded) {
    base::Result<std::optional<store::Exclusion>> excluded =
        store_->FindExclusion("ann@example.com", "News");
    ASSERT_TRUE(excluded.ok());
    EXPECT_TRUE(excluded->has_value());
  }
  if (c.result == "skipped" || c.result == "unchanged" || c.result == "bounced" ||
      c.result == "excluded" || c.result == "previously_unsubscribed") {
    EXPECT_EQ(DumpStore(store_url_), before) << "a " << c.result << " row must write nothing";
  }
  if (contact.ok() && (c.result == "added" || c.result == "updated") &&
      c.status != SyncEntryStatus::kExcluded) {
    // Provenance: the run is the cause of the subscription it wrote.
    for (const auto& s : contact->subscriptions) {
      if (s.list_name == "News" && c.result == "added") {
        EXPECT_EQ(s.cause.kind, model::CauseKind::kSyncRun);
        EXPECT_EQ(s.cause.detail, std::to_string(report.run_id));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, StatusMatrixTest,
    ::testing::Combine(::testing::ValuesIn(testing::AllSourceKinds()),
                       ::testing::ValuesIn(Matrix())),
    [](const ::testing::TestParamInfo<std::tuple<SourceKind, MatrixCase>>& param) {
      const MatrixCase& c = std::get<1>(param.param);
      return std::string(EntryStatusName(c.status)) + (c.update_existing ? "_update_" : "_keep_") +
             Name(c.prior) + "_" + testing::KindName(std::get<0>(param.param));
    });

// --- accounting, idempotence, updates --------------------------------------

TEST_P(EngineTest, CountsAddUpAndMatchTheStore) {
  batch_rows_ = 7;  // many batches, failures spread across them
  AddPeople(0, 40);
  AddRows({{"NULL", "no mail"},
           {"  ", "blank"},
           {"not-an-address", "x"},
           {"PERSON3@EXAMPLE.COM", "dup"},
           {"bad-date@example.com", "B", "X", "31.02.2020"},
           {"person41@example.com", "NULL", "NULL", "NULL"}});
  ASSERT_TRUE(IsOk(store_->AddExclusion("person5@example.com", std::nullopt)));
  const RunReport report = Run(Definition());
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  const store::RunCounts& n = report.counts;
  EXPECT_EQ(n.selected, 46);
  EXPECT_EQ(n.added + n.updated + n.unchanged + n.skipped + n.failed, n.selected);
  EXPECT_EQ(n.added, 40);  // 39 people without the excluded one, plus person41
  EXPECT_EQ(n.failed, 6);
  // Counted from the store, not from the engine.
  EXPECT_EQ(OnList("News"), n.added);
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), n.added);
  EXPECT_EQ(Count("SELECT count(*) FROM contacts WHERE last_change_cause = 'sync_run' AND "
                  "last_change_detail = '" +
                  std::to_string(report.run_id) + "'"),
            n.added);
  base::Result<std::vector<store::RunFailure>> failures = store_->GetRunFailures(report.run_id);
  ASSERT_TRUE(failures.ok());
  ASSERT_EQ(static_cast<int64_t>(failures->size()), n.failed);
  std::vector<std::string> reasons;
  for (const auto& f : *failures) reasons.push_back(f.reason);
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"excluded", "email_missing", "email_missing", "email_invalid",
                                      "duplicate_in_source", "field_invalid"}));
  EXPECT_EQ((*failures)[4].row_number, 44);
  EXPECT_EQ((*failures)[4].email, "PERSON3@EXAMPLE.COM");
  EXPECT_THAT((*failures)[5].message, HasSubstr("BORN"));
  base::Result<store::RunRecord> stored = store_->GetRun(report.run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->counts, n);
  EXPECT_EQ(stored->state, RunState::kSucceeded);
  EXPECT_THAT(stored->sql, HasSubstr("FROM " + source_->Table("people")));
}

TEST_P(EngineTest, SecondRunChangesNothingAndThenOnlyWhatChanged) {
  batch_rows_ = 10;
  AddPeople(0, 50);
  const SyncDefinition d = Definition();
  const RunReport first = Run(d);
  ASSERT_EQ(first.counts.added, 50);
  const std::string dump = DumpStore(store_url_);
  const RunReport second = Run(d);
  EXPECT_EQ(second.counts.added, 0);
  EXPECT_EQ(second.counts.updated, 0);
  EXPECT_EQ(second.counts.unchanged, 50);
  EXPECT_EQ(DumpStore(store_url_), dump);

  Sql("UPDATE people SET city = 'Lyon' WHERE mail = 'person7@example.com'");
  const RunReport third = Run(d);
  EXPECT_EQ(third.counts.updated, 1);
  EXPECT_EQ(third.counts.unchanged, 49);
  base::Result<store::Contact> changed = store_->GetContact("person7@example.com");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->fields.at("CITY"), "Lyon");
  EXPECT_EQ(changed->first_name, "Name7");

  // A change made outside the sync is seen (the hash is dropped) and the
  // source's value is written back.
  store::ContactChange edit;
  edit.contact.email = "person8@example.com";
  edit.contact.first_name = "Edited";
  ASSERT_TRUE(IsOk(store_->SaveContact(edit)));
  const RunReport fourth = Run(d);
  EXPECT_EQ(fourth.counts.updated, 1);
  EXPECT_EQ(store_->GetContact("person8@example.com")->first_name, "Name8");
}

TEST_P(EngineTest, UpdateExistingFalseLeavesContactsByteForByte) {
  AddPeople(0, 5);
  SyncDefinition d = Definition();
  ASSERT_EQ(Run(d).counts.added, 5);
  Sql("UPDATE people SET fname = 'Changed'");
  d.update_existing = false;
  Save(d);  // a new definition forgets the old one's hashes, before the dump
  const std::string dump = DumpStore(store_url_);
  const RunReport report = Execute(d);
  EXPECT_EQ(report.counts.skipped, 5);
  EXPECT_EQ(DumpStore(store_url_), dump);
}

// --- hostile data -----------------------------------------------------------

// One source row of the hostile-data test and what a run must make of it.
struct HostileRow {
  // SQL expressions for the columns mail, fname, city, legacy, raw.
  std::vector<std::string> cells;
  std::string reason;  // the failure's reason code; "" when the row is added
  // When added: the values stored, byte for byte.
  std::string first_name, city, last_name;
};

HostileRow Fails(std::vector<std::string> cells, std::string reason) {
  return {std::move(cells), std::move(reason), "", "", ""};
}

HostileRow Kept(std::vector<std::string> cells, std::string first_name, std::string city,
                std::string last_name) {
  return {std::move(cells), "", std::move(first_name), std::move(city), std::move(last_name)};
}

// Values each kind of database can really hold. Text a contact can hold is
// stored byte-identical (a latin1 column arrives transcoded, as the text it
// is); binary cells, bytes that are not UTF-8, NUL bytes and 1 MB values fail
// the row with a reason. A MariaDB utf8mb4 column or a PostgreSQL text column
// in a UTF8 database cannot hold bytes that are not UTF-8 (the server refuses
// them), so there those bytes come from binary columns, a latin1 column, or
// (PostgresSqlAsciiDatabase below) a SQL_ASCII database; PostgreSQL text
// cannot hold NUL at all.
std::vector<HostileRow> HostileRows(const testing::SourceDatabase& db) {
  const auto text = [&](std::string_view value) { return db.Literal(value); };
  const auto repeat = [&](char c, int n) {
    return db.kind() == SourceKind::kSqlite
               ? fmt::format("replace(hex(zeroblob({})), '0', '{}')", n / 2, c)
               : fmt::format("repeat('{}', {})", c, n);
  };
  const auto bytes = [&](std::string_view hex) {
    return db.kind() == SourceKind::kPostgres ? fmt::format("'\\x{}'::bytea", hex)
                                              : fmt::format("x'{}'", hex);
  };
  const std::string null = "NULL";
  std::vector<HostileRow> rows;
  const std::vector<std::string> kept{
      "O'Brien \"the\" `quoted`",
      "Robert'); DROP TABLE contacts;--",
      "tab\there\x01\x1f bell\x07 back\\slash \\0 \\N",
      "\u202eRTL mark \u200f\u05e9\u05dc\u05d5\u05dd",
      "emoji \U0001F600\U0001F468\u200D\U0001F469\u200D\U0001F467",
      "%CITY% {{x}} ${y} NULL ? $1 :name",
  };
  for (size_t i = 0; i < kept.size(); ++i) {
    rows.push_back(
        Kept({text(fmt::format("kept{}@example.com", i)), text(kept[i]), text(kept[i]), null, null},
             kept[i], kept[i], ""));
  }
  // At the limits: a name of 255 bytes, a text field of 255 two-byte characters.
  std::string umlauts;
  for (int i = 0; i < 255; ++i) umlauts += "\u00fc";
  rows.push_back(
      Kept({text("limits@example.com"), text(std::string(255, 'n')), text(umlauts), null, null},
           std::string(255, 'n'), umlauts, ""));
  rows.push_back(
      Fails({text("huge@example.com"), repeat('a', 1 << 20), null, null, null}, "field_invalid"));
  rows.push_back(Fails({text("hugecity@example.com"), null, repeat('b', 1 << 20), null, null},
                       "field_invalid"));
  rows.push_back(Fails({text("a'b@x.com; DROP TABLE x"), null, null, null, null}, "email_invalid"));
  rows.push_back(
      Fails({text("raw@example.com"), null, null, null, bytes("00ff")}, "field_invalid"));
  // "René€" as a Windows-1252 application wrote it.
  const std::string rene = "Ren\xc3\xa9\xe2\x82\xac";
  switch (db.kind()) {
    case SourceKind::kSqlite:
      // SQLite stores whatever bytes the application gave it, as TEXT.
      rows.push_back(
          Fails({text("legacy@example.com"), null, null, "CAST(x'52656ee980' AS TEXT)", null},
                "field_invalid"));
      rows.push_back(
          Fails({text("nonutf8@example.com"), "CAST(x'41ff42' AS TEXT)", null, null, null},
                "field_invalid"));
      rows.push_back(
          Fails({text("blob@example.com"), "x'00010203'", null, null, null}, "field_invalid"));
      rows.push_back(
          Fails({text("nul@example.com"), text(std::string("A\0B", 3)), null, null, null},
                "field_invalid"));
      rows.push_back(Fails({"x'616240782e636f6d'", null, null, null, null}, "email_invalid"));
      rows.push_back(
          Fails({"CAST(x'61ff40782e636f6d' AS TEXT)", null, null, null, null}, "email_invalid"));
      rows.push_back(Fails({text(std::string("nul\0@example.com", 16)), null, null, null, null},
                           "email_invalid"));
      break;
    case SourceKind::kMariaDb:
      rows.push_back(Kept({text("legacy@example.com"), null, null, "_latin1 x'52656ee980'", null},
                          "", "", rene));
      rows.push_back(
          Fails({text("nul@example.com"), text(std::string("A\0B", 3)), null, null, null},
                "field_invalid"));
      rows.push_back(Fails({text(std::string("nul\0@example.com", 16)), null, null, null, null},
                           "email_invalid"));
      break;
    case SourceKind::kPostgres:
      rows.push_back(Kept({text("legacy@example.com"), null, null,
                           "convert_from('\\x52656ee980'::bytea, 'WIN1252')", null},
                          "", "", rene));
      rows.push_back(
          Fails({text("nul@example.com"), null, null, null, bytes("410042")}, "field_invalid"));
      break;
  }
  return rows;
}

// A failure message a person can read: short, UTF-8, no NUL or other
// control bytes, and never the 1 MB value itself.
bool Readable(const std::string& message) {
  if (message.empty() || message.size() > 300) return false;
  if (!source::Value::FromText(message).is_text()) return false;
  return std::none_of(message.begin(), message.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

TEST_P(EngineTest, HostileValuesAreStoredByteForByteOrFailWithAReason) {
  Sql("DROP TABLE IF EXISTS hostile");
  switch (GetParam()) {
    case SourceKind::kSqlite:
      Sql("CREATE TABLE hostile (id INTEGER PRIMARY KEY, mail TEXT, fname TEXT, city TEXT, "
          "legacy TEXT, raw BLOB)");
      break;
    case SourceKind::kMariaDb:
      Sql("CREATE TABLE hostile (id INT AUTO_INCREMENT PRIMARY KEY, mail VARCHAR(255), "
          "fname MEDIUMTEXT, city MEDIUMTEXT, legacy VARCHAR(255) CHARACTER SET latin1, "
          "raw VARBINARY(255)) CHARACTER SET utf8mb4");
      break;
    case SourceKind::kPostgres:
      Sql("CREATE TABLE hostile (id INT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, mail TEXT, "
          "fname TEXT, city TEXT, legacy TEXT, raw BYTEA)");
      break;
  }
  const std::vector<HostileRow> rows = HostileRows(*source_);
  std::string insert = "INSERT INTO hostile (mail, fname, city, legacy, raw) VALUES ";
  for (size_t i = 0; i < rows.size(); ++i) {
    insert += fmt::format("{}({})", i ? ", " : "", fmt::join(rows[i].cells, ", "));
  }
  Sql(insert);

  SyncDefinition d = Definition();
  d.source.table = "hostile";
  d.mapping.clear();
  for (auto [column, target] :
       std::vector<std::pair<std::string, std::string>>{{"mail", "email"},
                                                        {"fname", "first_name"},
                                                        {"city", "%CITY%"},
                                                        {"legacy", "last_name"},
                                                        {"raw", "phone"}}) {
    d.mapping.push_back({column, *mapping::ParseTarget(target)});
  }
  const RunReport report = Run(d);
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;

  std::vector<std::pair<int64_t, std::string>> expected_failures;
  int64_t expected_added = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].reason.empty()) {
      ++expected_added;
    } else {
      expected_failures.emplace_back(static_cast<int64_t>(i) + 1, rows[i].reason);
    }
  }
  EXPECT_EQ(report.counts.selected, static_cast<int64_t>(rows.size()));
  EXPECT_EQ(report.counts.added, expected_added);
  EXPECT_EQ(report.counts.failed, static_cast<int64_t>(expected_failures.size()));
  base::Result<std::vector<store::RunFailure>> failures = store_->GetRunFailures(report.run_id);
  ASSERT_TRUE(failures.ok());
  std::vector<std::pair<int64_t, std::string>> actual_failures;
  for (const store::RunFailure& f : *failures) {
    actual_failures.emplace_back(f.row_number, f.reason);
    EXPECT_TRUE(Readable(f.message)) << "row " << f.row_number << ": " << f.message;
    EXPECT_LE(f.email.size(), 254u) << "row " << f.row_number;
  }
  EXPECT_EQ(actual_failures, expected_failures);

  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].reason.empty()) continue;
    const std::string email = rows[i].cells[0].substr(1, rows[i].cells[0].size() - 2);
    base::Result<store::Contact> contact = store_->GetContact(email);
    ASSERT_TRUE(contact.ok()) << "row " << i + 1 << " " << email;
    EXPECT_EQ(contact->first_name, rows[i].first_name) << "row " << i + 1;
    EXPECT_EQ(contact->last_name, rows[i].last_name) << "row " << i + 1;
    const auto city = contact->fields.find("CITY");
    EXPECT_EQ(city == contact->fields.end() ? "" : city->second, rows[i].city) << "row " << i + 1;
  }
  // Counted from the store.
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), expected_added);
  EXPECT_EQ(OnList("News"), expected_added);

  // A binary column mapped onto email fails every row that has a value, and
  // a second run over the same rows changes nothing.
  const std::string dump = DumpStore(store_url_);
  SyncDefinition binary_email = d;
  binary_email.name = "Binary";
  binary_email.mapping = {{"raw", *mapping::ParseTarget("email")}};
  const RunReport binary = Run(binary_email);
  EXPECT_EQ(binary.counts.selected, static_cast<int64_t>(rows.size()));
  EXPECT_EQ(binary.counts.failed, static_cast<int64_t>(rows.size()));
  for (const store::RunFailure& f : binary.failures) {
    const bool has_bytes = rows[static_cast<size_t>(f.row_number) - 1].cells[4] != "NULL";
    EXPECT_EQ(f.reason, has_bytes ? "email_invalid" : "email_missing") << f.row_number;
    EXPECT_TRUE(Readable(f.message)) << f.message;
  }
  EXPECT_EQ(Execute(d).counts.unchanged, expected_added);
  EXPECT_EQ(DumpStore(store_url_), dump);
}

// Issue 12: a MariaDB `create_date DATETIME` mapped onto a date field failed every row
// ("'2006-02-14 22:04:36' is not a date"). A typed date-time goes to a date field by its
// date part and a typed date to a datetime field at midnight; the same text in a text
// column still fails the strict check.
TEST_P(EngineTest, TypedDateTimesMapOntoDateFieldsByTheirDatePart) {
  model::FieldDefinition seen;
  seen.key = "SEEN";
  seen.label = "Seen";
  seen.type = model::FieldType::kDatetime;
  ASSERT_TRUE(IsOk(store_->CreateField(seen)));
  Sql("DROP TABLE IF EXISTS stamps");
  const bool postgres = GetParam() == SourceKind::kPostgres;
  Sql(
      fmt::format("CREATE TABLE stamps (mail VARCHAR(100), created {}, since DATE, "
                  "typed VARCHAR(40))",
                  postgres ? "TIMESTAMP" : "DATETIME"));
  Sql("INSERT INTO stamps VALUES ('ann@example.com', '2006-02-14 22:04:36', '2006-02-15', "
      "'2006-02-14 22:04:36'), ('bob@example.com', NULL, NULL, NULL)");

  SyncDefinition d = Definition();
  d.source.table = "stamps";
  d.mapping = {{"mail", *mapping::ParseTarget("email")},
               {"created", *mapping::ParseTarget("%BORN%")},
               {"since", *mapping::ParseTarget("%SEEN%")}};
  const RunReport report = Run(d);
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  EXPECT_EQ(report.counts.added, 2);
  EXPECT_EQ(report.counts.failed, 0);
  for (const store::RunFailure& f : report.failures) ADD_FAILURE() << f.message;
  base::Result<store::Contact> ann = store_->GetContact("ann@example.com");
  ASSERT_TRUE(ann.ok()) << ann.status().ToString();
  EXPECT_EQ(ann->fields["BORN"], "2006-02-14");
  EXPECT_EQ(ann->fields["SEEN"], "2006-02-15T00:00:00");

  SyncDefinition text = d;
  text.name = "Typed by hand";
  text.mapping = {{"mail", *mapping::ParseTarget("email")},
                  {"typed", *mapping::ParseTarget("%BORN%")}};
  const RunReport strict = Run(text);
  EXPECT_EQ(strict.counts.failed, 1);
  ASSERT_EQ(strict.failures.size(), 1u);
  EXPECT_EQ(strict.failures[0].reason, "field_invalid");
  EXPECT_THAT(strict.failures[0].message, HasSubstr("is not a date"));
}

// A legacy PostgreSQL database in SQL_ASCII holds whatever bytes its
// applications wrote, and the server passes them on unconverted: UTF-8 text
// is stored as it is, other bytes fail the row.
TEST(PostgresSqlAsciiDatabase, BytesThatAreNotUtf8FailTheRow) {
  const auto admin = source::postgres::testing::AccountFromEnv("CONTACTSYNC_TEST_PG");
  const auto reader = source::postgres::testing::AccountFromEnv("CONTACTSYNC_TEST_PG_READER");
  if (!admin || !reader) {
    if (testing::TestServersRequired()) FAIL() << "CONTACTSYNC_TEST_PG_* is not set";
    GTEST_SKIP() << "no PostgreSQL test server";
  }
  const std::string name = source::postgres::testing::UniqueName();
  source::postgres::testing::AdminSession server(*admin);
  ASSERT_TRUE(server.ok());
  server.Exec(fmt::format(
      "CREATE DATABASE {} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
      name));
  // Dropped however the test ends.
  struct Dropper {
    source::postgres::testing::AdminSession& server;
    const std::string& name;
    ~Dropper() { server.Exec(fmt::format("DROP DATABASE {} WITH (FORCE)", name)); }
  } dropper{server, name};
  source::ConnectionSettings legacy_admin = *admin;
  legacy_admin.database = name;
  source::ConnectionSettings legacy_reader = *reader;
  legacy_reader.database = name;
  {
    source::postgres::testing::AdminSession legacy(legacy_admin);
    ASSERT_TRUE(legacy.ok());
    legacy.Exec(
        fmt::format("CREATE TABLE people (id INT PRIMARY KEY, mail TEXT, fname TEXT);"
                    "GRANT SELECT ON people TO {};"
                    "INSERT INTO people VALUES (1, 'utf8@example.com', E'Ren\\xc3\\xa9'),"
                    " (2, 'latin1@example.com', E'Ren\\xe9'), (3, E'jos\\xe9@example.com', 'Jose'),"
                    " (4, 'plain@example.com', 'Plain')",
                    reader->user));
  }

  testing::TempDir dir;
  const std::string store_url = store::testing::NewTestStoreUrl(dir.path());
  auto opened = store::OpenStore(store::StoreOptions{.url = store_url});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<store::Store> store = std::move(opened).value();
  ASSERT_TRUE(IsOk(store->CreateList(store::testing::ListNamed("News"))));
  SyncDefinition d;
  d.name = "Legacy";
  d.connection = "legacy";
  d.list = "News";
  d.source.schema = "public";
  d.source.table = "people";
  d.mapping = {{"mail", *mapping::ParseTarget("email")},
               {"fname", *mapping::ParseTarget("first_name")}};
  ASSERT_TRUE(IsOk(store->CreateSync(d.name, SerializeDefinition(d))));
  {
    auto source = source::OpenSource(legacy_reader);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    base::Result<RunReport> report =
        Execute(d, legacy_reader, **source, *store, *store, EngineOptions{});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->state, RunState::kSucceeded) << report->message;
    EXPECT_EQ(report->counts.selected, 4);
    EXPECT_EQ(report->counts.added, 2);
    ASSERT_EQ(report->failures.size(), 2u);
    EXPECT_EQ(report->failures[0].row_number, 2);
    EXPECT_EQ(report->failures[0].reason, "field_invalid");
    EXPECT_TRUE(Readable(report->failures[0].message)) << report->failures[0].message;
    EXPECT_EQ(report->failures[1].row_number, 3);
    EXPECT_EQ(report->failures[1].reason, "email_invalid");
    EXPECT_TRUE(Readable(report->failures[1].message)) << report->failures[1].message;
  }
  EXPECT_EQ(store->GetContact("utf8@example.com")->first_name, "Ren\xc3\xa9");
  EXPECT_EQ(store->GetContact("plain@example.com")->first_name, "Plain");
  EXPECT_EQ(StoreCount(store_url, "SELECT count(*) FROM contacts"), 2);
}

// --- delete_not_affected ----------------------------------------------------

TEST_P(EngineTest, DeletesOnlyWhatTheRunDidNotSelectWithinTheFraction) {
  AddPeople(0, 10);
  SyncDefinition d = Definition();
  d.delete_not_affected = true;
  ASSERT_EQ(Run(d).counts.added, 10);
  // person1 is also on Other: it leaves News but its record stays. person2
  // unsubscribed: its subscription is the record that keeps it out.
  store::ContactChange other;
  other.contact.email = "person1@example.com";
  other.list = "Other";
  ASSERT_TRUE(IsOk(store_->SaveContact(other)));
  ASSERT_TRUE(IsOk(store_->Unsubscribe("person2@example.com", "News", {})));
  Sql("DELETE FROM people WHERE id IN (2, 3, 4)");  // person1, person2, person3

  const RunReport test = Test(d);
  EXPECT_EQ(test.counts.deleted, 2);
  const RunReport report = Run(d);
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  EXPECT_EQ(report.counts.deleted, 2);
  EXPECT_EQ(OnList("News"), 8);  // 7 selected + unsubscribed person2
  EXPECT_TRUE(store_->GetContact("person1@example.com").ok());
  EXPECT_FALSE(store_->GetContact("person3@example.com").ok());
  EXPECT_TRUE(store_->GetContact("person2@example.com").ok());

  // Past the fraction: nothing is deleted and the report says why.
  Sql("DELETE FROM people WHERE id > 5");
  const RunReport guarded = Run(d);
  EXPECT_EQ(guarded.counts.deleted, 0);
  EXPECT_THAT(guarded.deletion_note, HasSubstr("max_delete_fraction"));
  EXPECT_EQ(OnList("News"), 8);
  d.max_delete_fraction = 1.0;
  EXPECT_EQ(Run(d).counts.deleted, 5);
}

TEST_P(EngineTest, NeverDeletesAfterAFailedOrEmptyRead) {
  batch_rows_ = 5;
  AddPeople(0, 20);
  SyncDefinition d = Definition();
  d.delete_not_affected = true;
  d.max_delete_fraction = 1.0;
  ASSERT_EQ(Run(d).counts.added, 20);
  Sql("DELETE FROM people WHERE id > 10");
  testing::FlakySource flaky(source_->Connect(), 1);
  const std::string dump = DumpStore(store_url_);
  const RunReport failed = Execute(d, {}, &flaky);
  EXPECT_EQ(failed.state, RunState::kFailed);
  EXPECT_THAT(failed.message, HasSubstr("connection to the test server was lost"));
  EXPECT_EQ(failed.counts.deleted, 0);
  EXPECT_EQ(OnList("News"), 20);
  EXPECT_EQ(store_->GetRun(failed.run_id)->state, RunState::kFailed);

  Sql("DELETE FROM people");
  const RunReport empty = Run(d);
  EXPECT_EQ(empty.state, RunState::kSucceeded);
  EXPECT_EQ(empty.counts.deleted, 0);
  EXPECT_EQ(OnList("News"), 20);
}

// --- Test, cancel, lock -----------------------------------------------------

TEST_P(EngineTest, TestWritesNothingAndPredictsTheRun) {
  AddPeople(0, 30);
  AddRows({{"bad", "x"}, {"PERSON1@example.com", "dup"}});
  SyncDefinition d = Definition();
  Save(d);
  const std::string dump = DumpStore(store_url_);
  EngineOptions options;
  options.dry_run = true;
  options.sample_size = 3;
  const RunReport test = Execute(d, options);
  EXPECT_EQ(DumpStore(store_url_), dump);
  EXPECT_EQ(test.run_id, 0);
  EXPECT_TRUE(store_->GetRuns("People")->empty());
  ASSERT_EQ(test.sample.size(), 3u);
  EXPECT_EQ(test.sample[0].values[0],
            std::make_pair(std::string("email"), std::string("person0@example.com")));
  EXPECT_THAT(test.sql,
              HasSubstr("SELECT " + source_->Quoted("mail") + ", " + source_->Quoted("fname") +
                        ", " + source_->Quoted("city") + ", " + source_->Quoted("born")));
  const RunReport run = Execute(d);
  EXPECT_EQ(run.counts, test.counts);
}

TEST_P(EngineTest, CancelStopsCleanlyKeepingCommittedBatches) {
  batch_rows_ = 10;
  AddPeople(0, 200);
  SyncDefinition d = Definition();
  Save(d);
  std::atomic<bool> cancel{false};
  EngineOptions options;
  options.cancel = &cancel;
  options.on_progress = [&](const Progress& p) {
    if (p.counts.added >= 30) cancel = true;
  };
  const RunReport report = Execute(d, options);
  EXPECT_EQ(report.state, RunState::kCancelled);
  EXPECT_EQ(report.message, "cancelled");
  EXPECT_GE(report.counts.added, 30);
  EXPECT_LT(report.counts.added, 200);
  EXPECT_EQ(report.counts.added % 10, 0) << "whole batches only";
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), report.counts.added);
  EXPECT_EQ(OnList("News"), report.counts.added);
  EXPECT_EQ(store_->GetRun(report.run_id)->state, RunState::kCancelled);
  // The next run completes the job.
  const RunReport next = Execute(d);
  EXPECT_EQ(next.counts.added, 200 - report.counts.added);
  EXPECT_EQ(next.counts.unchanged, report.counts.added);
}

// Issue 13: a first import (a store without contacts) is written in bulk: it looks up only the
// addresses it inserted itself, which still finds a duplicate across its batches; once another
// writer has committed between two of its commits (here: a contact the source also has), it
// looks every address up, and that contact joins the list instead of failing the run.
TEST_P(EngineTest, AFirstImportFindsAContactAnotherWriterAddedMidRun) {
  batch_rows_ = 10;
  AddPeople(0, 100);
  AddRows({{"PERSON3@example.com", "dup"}});
  SyncDefinition d = Definition();
  Save(d);
  EngineOptions options;
  options.bulk_commit_interval = std::chrono::milliseconds(0);  // a commit after every batch
  bool added = false;
  options.on_progress = [&](const Progress& p) {
    if (p.rows_read < 20 || added) return;
    std::unique_ptr<store::Store> other = OpenStoreAgain();
    ASSERT_NE(other, nullptr);
    store::ContactChange change;
    change.contact.email = "person50@example.com";
    change.list = "Other";
    change.cause = {model::CauseKind::kUi, ""};
    ASSERT_TRUE(IsOk(other->SaveContact(change)));
    added = true;
  };
  const RunReport report = Execute(d, options);
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  ASSERT_TRUE(added);
  EXPECT_EQ(report.counts.added, 100);
  EXPECT_EQ(report.counts.failed, 1);
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(report.failures[0].reason, "duplicate_in_source");
  EXPECT_EQ(report.failures[0].row_number, 101);
  EXPECT_EQ(store_->GetRunFailures(report.run_id)->size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), 100);
  EXPECT_EQ(OnList("News"), 100);
  EXPECT_EQ(OnList("Other"), 1);
}

// A join's history entry keeps the place of the moment it joined among the contact's entries,
// also when its id comes from a block the run reserved (sqlite_queries.h, JoinEntryIds): a
// block lives only as long as its transaction, so a change another writer makes between two
// of the run's commits comes before a later join in the run.
TEST_P(EngineTest, AJoinAfterAnotherWritersChangeShowsAfterIt) {
  batch_rows_ = 10;
  store::ContactChange late;
  late.contact.email = "late@example.com";
  late.list = "Other";
  late.cause = {model::CauseKind::kCli, ""};
  ASSERT_TRUE(IsOk(store_->SaveContact(late)));
  AddPeople(0, 50);
  AddRows({{"late@example.com", "Late"}});
  SyncDefinition d = Definition();
  Save(d);
  EngineOptions options;
  options.commit_rows = 10;
  bool changed = false;
  options.on_progress = [&](const Progress& p) {
    if (p.rows_read < 20 || changed) return;
    // Another writer, between two commits of the run.
    std::unique_ptr<store::Store> other = OpenStoreAgain();
    ASSERT_NE(other, nullptr);
    ASSERT_TRUE(IsOk(other->Unsubscribe("late@example.com", "Other", {model::CauseKind::kUi, ""})));
    changed = true;
  };
  const RunReport report = Execute(d, options);
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  ASSERT_TRUE(changed);
  base::Result<std::vector<store::HistoryEntry>> history = store_->GetHistory("late@example.com");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  std::vector<std::string> entries;
  for (const store::HistoryEntry& entry : *history) {
    entries.push_back(
        fmt::format("{} {}", entry.list_name, model::CauseKindName(entry.cause.kind)));
  }
  EXPECT_EQ(entries, (std::vector<std::string>{"Other cli", "Other ui", "News sync_run"}));
}

// Issue 12: the run report told a non-ASCII local part to use the xn-- form, which exists for
// domains only; it now says such an address cannot be used and why.
TEST_P(EngineTest, RunReportExplainsWhyANonAsciiLocalPartIsRefused) {
  AddRows({{"zoë@example.com"}, {"ann@bücher.example"}, {"plain@example.com"}});
  const RunReport report = Run(Definition());
  EXPECT_EQ(report.counts.added, 1);
  ASSERT_EQ(report.counts.failed, 2);
  EXPECT_EQ(report.failures[0].reason, "email_invalid");
  EXPECT_THAT(report.failures[0].message,
              HasSubstr("the part before the '@' must be ASCII, because most mail servers and "
                        "contactsync's mail sender cannot deliver to it (that needs SMTPUTF8)"));
  EXPECT_THAT(report.failures[0].message, ::testing::Not(HasSubstr("xn--")));
  EXPECT_THAT(report.failures[1].message, HasSubstr("write the domain in its xn-- form"));
}

TEST_P(EngineTest, ExcludedStatusNeverTurnsAnAddressIntoAWildcard) {
  AddRows({{"a*b@example.com"}, {"plain@example.com"}});
  SyncDefinition d = Definition();
  d.status = SyncEntryStatus::kExcluded;
  const RunReport report = Run(d);
  EXPECT_EQ(report.counts.added, 1);
  ASSERT_EQ(report.counts.failed, 1);
  EXPECT_EQ(report.failures[0].reason, "email_invalid");
  EXPECT_THAT(report.failures[0].message, HasSubstr("wildcard"));
  // "ab@example.com" would have matched a "a*b@example.com" entry.
  EXPECT_FALSE(store_->FindExclusion("ab@example.com", "News")->has_value());
  EXPECT_TRUE(store_->FindExclusion("plain@example.com", "News")->has_value());
}

TEST_P(EngineTest, CancelStopsALongCountOfTheEstimate) {
  // A custom query whose COUNT(*) would run for minutes: cancelling while the
  // estimate is being counted must end the run at once, with nothing written.
  SyncDefinition d = Definition();
  d.source.table.clear();
  // MariaDB stops a recursive CTE after max_recursive_iterations (1000), so
  // there ten billion rows come from a join of its sequence tables.
  d.source.query =
      GetParam() == SourceKind::kMariaDb
          ? "SELECT CONCAT('p', a.seq, '.', b.seq, '@example.com') AS mail, NULL AS fname, "
            "NULL AS city, NULL AS born FROM seq_1_to_100000 a, seq_1_to_100000 b"
          : "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < "
            "2000000000) SELECT 'p' || x || '@example.com' AS mail, NULL AS fname, NULL AS city, "
            "NULL AS born FROM n";
  Save(d);
  std::atomic<bool> cancel{false};
  EngineOptions options;
  options.cancel = &cancel;
  options.estimate_total = true;
  std::thread canceller;
  options.on_progress = [&](const Progress& p) {
    if (p.phase == Phase::kCounting && !canceller.joinable()) {
      canceller = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        cancel = true;
      });
    }
  };
  const auto start = std::chrono::steady_clock::now();
  const RunReport report = Execute(d, options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (canceller.joinable()) canceller.join();
  EXPECT_EQ(report.state, RunState::kCancelled) << report.message;
  // Counting two billion rows takes minutes; a cancelled count ends within a
  // few polls of the flag.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), 0);
  // And the server stopped counting (else it would burn a core for hours).
  const std::string running =
      GetParam() == SourceKind::kMariaDb
          ? "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
            "'%seq_1_to_100000 b%' AND ID <> CONNECTION_ID() AND DB = DATABASE()"
          : "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%< 2000000000%' AND "
            "state = 'active' AND pid <> pg_backend_pid()";
  if (GetParam() != SourceKind::kSqlite) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (source_->Scalar(running) != "0" && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(source_->Scalar(running), "0") << "the count still runs on the server";
  }
}

TEST_P(EngineTest, ASecondRunIsRefusedButAStaleLockIsTakenOver) {
  AddPeople(0, 3);
  SyncDefinition d = Definition();
  Save(d);
  base::Result<store::RunRecord> held = store_->BeginRun("People", "someone", CurrentHolder());
  ASSERT_TRUE(held.ok());
  auto source = source_->Connect();
  base::Result<RunReport> refused =
      sync::Execute(d, Settings(), *source, *store_, *store_, EngineOptions{});
  EXPECT_TRUE(store::testing::HasError(refused.status(), base::ErrorCode::kFailedPrecondition,
                                       "already running"));
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), 0);
  held->state = RunState::kSucceeded;
  ASSERT_TRUE(IsOk(store_->FinishRun(*held)));

  // A run whose process is gone (pid 2^22+ is beyond Linux's pid_max default
  // and does not exist) does not block forever.
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const std::string dead = std::string(host) + ":4194303:1";
  EXPECT_TRUE(HolderIsGone(dead));
  EXPECT_FALSE(HolderIsGone(CurrentHolder()));
  base::Result<store::RunRecord> stale = store_->BeginRun("People", "killed", dead);
  ASSERT_TRUE(stale.ok());
  const RunReport report = Execute(d);
  EXPECT_EQ(report.state, RunState::kSucceeded);
  EXPECT_EQ(report.counts.added, 3);
  base::Result<store::RunRecord> abandoned = store_->GetRun(stale->id);
  EXPECT_EQ(abandoned->state, RunState::kFailed);
  EXPECT_THAT(abandoned->message, HasSubstr("interrupted"));
}

TEST_P(EngineTest, ChecksNameTheProblem) {
  SyncDefinition d = Definition();
  auto source = source_->Connect();
  EngineOptions dry;
  dry.dry_run = true;
  const auto check = [&](const SyncDefinition& def) {
    return sync::Execute(def, Settings(), *source, *store_, *store_, dry).status();
  };
  SyncDefinition bad = d;
  bad.list = "Nope";
  EXPECT_THAT(check(bad).message(), HasSubstr("list: list 'Nope' does not exist"));
  bad = d;
  bad.source.table = "nobody";
  EXPECT_EQ(check(bad).code(), base::ErrorCode::kNotFound);
  bad = d;
  bad.mapping[1].column = "surname";
  EXPECT_THAT(check(bad).message(), HasSubstr("column 'surname' does not exist"));
  bad = d;
  bad.rules.rules.push_back({"age", query::RuleOp::kEquals, {"1"}});
  EXPECT_THAT(check(bad).message(), HasSubstr("rules: "));
  bad = d;
  bad.source.table.clear();
  bad.source.query = "SELECT * FROM people; DELETE FROM people";
  EXPECT_EQ(check(bad).code(), base::ErrorCode::kBadQuery);
  bad.source.query =
      "SELECT mail, fname, city, born FROM " + source_->Table("people") + " WHERE id > 0";
  EXPECT_TRUE(check(bad).ok()) << check(bad).ToString();
}

TEST_P(EngineTest, CustomQueryWithRulesIsWrapped) {
  AddPeople(0, 10);
  SyncDefinition d = Definition();
  d.source.table.clear();
  d.source.query =
      "SELECT mail, fname, city, born FROM " + source_->Table("people") + " WHERE id <= 6";
  d.rules.rules.push_back({"city", query::RuleOp::kNotEquals, {"City1"}});
  const RunReport report = Run(d);
  EXPECT_EQ(report.counts.selected, 5);  // ids 1..6 less person1 (City1)
  EXPECT_THAT(report.sql, HasSubstr("AS cs_source"));
  EXPECT_THAT(report.sql, HasSubstr("'City1'"));
}

TEST_P(EngineTest, FailuresExportAsCsv) {
  AddRows({{"=cmd|' /C calc'!A0", "x"}, {"ok@example.com", "Ann"}, {"@SUM(1)", "y"}});
  const RunReport report = Run(Definition());
  base::Result<std::vector<store::RunFailure>> failures = store_->GetRunFailures(report.run_id);
  ASSERT_TRUE(failures.ok());
  const std::string csv = FailuresCsv(*failures);
  EXPECT_THAT(csv, HasSubstr("1,'=cmd|' /C calc'!A0,email_invalid,"));
  EXPECT_THAT(csv, HasSubstr("3,'@SUM(1),email_invalid,"));
}

INSTANTIATE_TEST_SUITE_P(Sources, EngineTest, ::testing::ValuesIn(testing::AllSourceKinds()),
                         KindTestName);

}  // namespace
}  // namespace contactsync::sync
