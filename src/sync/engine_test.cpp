// The sync engine against SQLite source files written by the tests and a real
// SQLite store: SPEC §4's rules, accounting, idempotence, hostile data,
// delete_not_affected, Test, cancellation, the run lock and the report.

#include "sync/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <tuple>

#include "store/store_test_util.h"
#include "sync/report.h"
#include "sync/run_lock.h"
#include "sync/sync_test_support.h"

namespace contactsync::sync {
namespace {

using model::SubscriptionStatus;
using store::RunState;
using store::SyncEntryStatus;
using store::testing::IsOk;
using testing::DumpStore;
using ::testing::HasSubstr;
using testing::StoreCount;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_path_ = (dir_.path() / "store.db").string();
    source_path_ = (dir_.path() / "source.db").string();
    auto opened = store::sqlite::SqliteContactStore::Open(store_path_, 5000, base::SystemClock());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
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
    testing::WriteDatabase(source_path_,
                           "CREATE TABLE people (id INTEGER PRIMARY KEY, mail TEXT, fname TEXT, "
                           "city TEXT, born TEXT)");
  }

  void Sql(const std::string& sql) { testing::WriteDatabase(source_path_, sql); }

  // Rows (mail, fname, city, born) appended to the source; "NULL" is NULL.
  void AddRows(const std::vector<std::vector<std::string>>& rows) {
    std::string sql = "BEGIN;";
    for (const auto& row : rows) {
      sql += "INSERT INTO people (mail, fname, city, born) VALUES (";
      for (size_t i = 0; i < 4; ++i) {
        const std::string value = i < row.size() ? row[i] : "NULL";
        if (value == "NULL") {
          sql += "NULL";
        } else {
          sql += "'";
          for (char c : value) sql += c == '\'' ? std::string("''") : std::string(1, c);
          sql += "'";
        }
        sql += i < 3 ? "," : ");";
      }
    }
    Sql(sql + "COMMIT;");
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
      own = testing::OpenSqlite(source_path_);
      source = own.get();
    }
    options.read.max_rows = batch_rows_;
    options.started_by = "test";
    base::Result<RunReport> report =
        sync::Execute(d, source::SourceType::kSqlite, *source, *store_, options);
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

  int64_t Count(const std::string& sql) { return StoreCount(store_path_, sql); }
  int64_t OnList(const std::string& list) {
    return Count(
        "SELECT count(*) FROM subscriptions s JOIN lists l ON l.id = s.list_id "
        "WHERE l.name = '" +
        list + "'");
  }

  testing::TempDir dir_;
  std::string store_path_;
  std::string source_path_;
  std::unique_ptr<store::ContactStore> store_;
  size_t batch_rows_ = 1000;
};

// --- SPEC §4 statuses × update_existing × the contact's state before -------

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

class StatusMatrixTest : public EngineTest, public ::testing::WithParamInterface<MatrixCase> {};

TEST_P(StatusMatrixTest, AppliesSpecRules) {
  const MatrixCase& c = GetParam();
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
  AddRows({{"Ann@Example.com", "New", "Rome", "2000-01-01"}});
  SyncDefinition d = Definition();
  d.status = c.status;
  d.update_existing = c.update_existing;
  const std::string before = DumpStore(store_path_);
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
    EXPECT_EQ(DumpStore(store_path_), before) << "a " << c.result << " row must write nothing";
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

INSTANTIATE_TEST_SUITE_P(AllCases, StatusMatrixTest, ::testing::ValuesIn(Matrix()),
                         [](const ::testing::TestParamInfo<MatrixCase>& param) {
                           return std::string(EntryStatusName(param.param.status)) +
                                  (param.param.update_existing ? "_update_" : "_keep_") +
                                  Name(param.param.prior);
                         });

// --- accounting, idempotence, updates --------------------------------------

TEST_F(EngineTest, CountsAddUpAndMatchTheStore) {
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
  EXPECT_THAT(stored->sql, HasSubstr("FROM \"people\""));
}

TEST_F(EngineTest, SecondRunChangesNothingAndThenOnlyWhatChanged) {
  batch_rows_ = 10;
  AddPeople(0, 50);
  const SyncDefinition d = Definition();
  const RunReport first = Run(d);
  ASSERT_EQ(first.counts.added, 50);
  const std::string dump = DumpStore(store_path_);
  const RunReport second = Run(d);
  EXPECT_EQ(second.counts.added, 0);
  EXPECT_EQ(second.counts.updated, 0);
  EXPECT_EQ(second.counts.unchanged, 50);
  EXPECT_EQ(DumpStore(store_path_), dump);

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

TEST_F(EngineTest, UpdateExistingFalseLeavesContactsByteForByte) {
  AddPeople(0, 5);
  SyncDefinition d = Definition();
  ASSERT_EQ(Run(d).counts.added, 5);
  Sql("UPDATE people SET fname = 'Changed'");
  d.update_existing = false;
  Save(d);  // a new definition forgets the old one's hashes, before the dump
  const std::string dump = DumpStore(store_path_);
  const RunReport report = Execute(d);
  EXPECT_EQ(report.counts.skipped, 5);
  EXPECT_EQ(DumpStore(store_path_), dump);
}

// --- hostile data -----------------------------------------------------------

TEST_F(EngineTest, HostileValuesAreStoredByteForByteOrFailWithAReason) {
  const std::vector<std::string> kept{
      "O'Brien \"the\" `quoted`",
      "Robert'); DROP TABLE contacts;--",
      "tab\there\x01\x1f bell\x07",
      "\u202eRTL mark \u200f\u05e9\u05dc\u05d5\u05dd",
      "emoji \U0001F600\U0001F468\u200D\U0001F469\u200D\U0001F467",
      "%CITY% {{x}} ${y} \\N NULL",
  };
  for (size_t i = 0; i < kept.size(); ++i) {
    AddRows({{"kept" + std::to_string(i) + "@example.com", kept[i], kept[i]}});
  }
  // Rows that must fail, each with its reason.
  Sql("INSERT INTO people (mail, fname) VALUES ('nonutf8@example.com', CAST(x'41ff42' AS TEXT));"
      "INSERT INTO people (mail, fname) VALUES ('blob@example.com', x'00010203');"
      "INSERT INTO people (mail, fname) VALUES ('nul@example.com', CAST(x'410042' AS TEXT));"
      "INSERT INTO people (mail, fname) VALUES ('huge@example.com', "
      "  replace(hex(zeroblob(524288)), '0', 'a'));"
      "INSERT INTO people (mail, city) VALUES ('hugecity@example.com', "
      "  replace(hex(zeroblob(524288)), '0', 'b'));"
      "INSERT INTO people (mail) VALUES (x'616240782e636f6d');"
      "INSERT INTO people (mail) VALUES (CAST(x'61ff40782e636f6d' AS TEXT));"
      "INSERT INTO people (mail) VALUES ('a''b@x.com; DROP TABLE x');");
  const RunReport report = Run(Definition());
  ASSERT_EQ(report.state, RunState::kSucceeded) << report.message;
  EXPECT_EQ(report.counts.selected, static_cast<int64_t>(kept.size()) + 8);
  EXPECT_EQ(report.counts.added, static_cast<int64_t>(kept.size()));
  EXPECT_EQ(report.counts.failed, 8);
  for (size_t i = 0; i < kept.size(); ++i) {
    base::Result<store::Contact> contact =
        store_->GetContact("kept" + std::to_string(i) + "@example.com");
    ASSERT_TRUE(contact.ok()) << i;
    EXPECT_EQ(contact->first_name, kept[i]) << i;
    EXPECT_EQ(contact->fields.at("CITY"), kept[i]) << i;
  }
  std::vector<std::string> reasons;
  for (const auto& f : report.failures) reasons.push_back(f.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"field_invalid", "field_invalid", "field_invalid",
                                               "field_invalid", "field_invalid", "email_invalid",
                                               "email_invalid", "email_invalid"}));
  EXPECT_EQ(Count("SELECT count(*) FROM contacts"), static_cast<int64_t>(kept.size()));
}

// --- delete_not_affected ----------------------------------------------------

TEST_F(EngineTest, DeletesOnlyWhatTheRunDidNotSelectWithinTheFraction) {
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

TEST_F(EngineTest, NeverDeletesAfterAFailedOrEmptyRead) {
  batch_rows_ = 5;
  AddPeople(0, 20);
  SyncDefinition d = Definition();
  d.delete_not_affected = true;
  d.max_delete_fraction = 1.0;
  ASSERT_EQ(Run(d).counts.added, 20);
  Sql("DELETE FROM people WHERE id > 10");
  testing::FlakySource flaky(testing::OpenSqlite(source_path_), 1);
  const std::string dump = DumpStore(store_path_);
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

TEST_F(EngineTest, TestWritesNothingAndPredictsTheRun) {
  AddPeople(0, 30);
  AddRows({{"bad", "x"}, {"PERSON1@example.com", "dup"}});
  SyncDefinition d = Definition();
  Save(d);
  const std::string dump = DumpStore(store_path_);
  EngineOptions options;
  options.dry_run = true;
  options.sample_size = 3;
  const RunReport test = Execute(d, options);
  EXPECT_EQ(DumpStore(store_path_), dump);
  EXPECT_EQ(test.run_id, 0);
  EXPECT_TRUE(store_->GetRuns("People")->empty());
  ASSERT_EQ(test.sample.size(), 3u);
  EXPECT_EQ(test.sample[0].values[0],
            std::make_pair(std::string("email"), std::string("person0@example.com")));
  EXPECT_THAT(test.sql, HasSubstr("SELECT \"mail\", \"fname\", \"city\", \"born\""));
  const RunReport run = Execute(d);
  EXPECT_EQ(run.counts, test.counts);
}

TEST_F(EngineTest, CancelStopsCleanlyKeepingCommittedBatches) {
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

TEST_F(EngineTest, ExcludedStatusNeverTurnsAnAddressIntoAWildcard) {
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

TEST_F(EngineTest, CancelStopsALongCountOfTheEstimate) {
  // A custom query whose COUNT(*) would run for minutes: cancelling while the
  // estimate is being counted must end the run at once, with nothing written.
  SyncDefinition d = Definition();
  d.source.table.clear();
  d.source.query =
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000000) "
      "SELECT 'p' || x || '@example.com' AS mail, NULL AS fname, NULL AS city, NULL AS born "
      "FROM n";
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
}

TEST_F(EngineTest, ASecondRunIsRefusedButAStaleLockIsTakenOver) {
  AddPeople(0, 3);
  SyncDefinition d = Definition();
  Save(d);
  base::Result<store::RunRecord> held = store_->BeginRun("People", "someone", CurrentHolder());
  ASSERT_TRUE(held.ok());
  auto source = testing::OpenSqlite(source_path_);
  base::Result<RunReport> refused =
      sync::Execute(d, source::SourceType::kSqlite, *source, *store_, EngineOptions{});
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

TEST_F(EngineTest, ChecksNameTheProblem) {
  SyncDefinition d = Definition();
  auto source = testing::OpenSqlite(source_path_);
  EngineOptions dry;
  dry.dry_run = true;
  const auto check = [&](const SyncDefinition& def) {
    return sync::Execute(def, source::SourceType::kSqlite, *source, *store_, dry).status();
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
  bad.source.query = "SELECT mail, fname, city, born FROM people WHERE id > 0";
  EXPECT_TRUE(check(bad).ok()) << check(bad).ToString();
}

TEST_F(EngineTest, CustomQueryWithRulesIsWrapped) {
  AddPeople(0, 10);
  SyncDefinition d = Definition();
  d.source.table.clear();
  d.source.query = "SELECT mail, fname, city, born FROM people WHERE id <= 6";
  d.rules.rules.push_back({"city", query::RuleOp::kNotEquals, {"City1"}});
  const RunReport report = Run(d);
  EXPECT_EQ(report.counts.selected, 5);  // ids 1..6 less person1 (City1)
  EXPECT_THAT(report.sql, HasSubstr("AS cs_source"));
  EXPECT_THAT(report.sql, HasSubstr("'City1'"));
}

TEST_F(EngineTest, FailuresExportAsCsv) {
  AddRows({{"=cmd|' /C calc'!A0", "x"}, {"ok@example.com", "Ann"}, {"@SUM(1)", "y"}});
  const RunReport report = Run(Definition());
  base::Result<std::vector<store::RunFailure>> failures = store_->GetRunFailures(report.run_id);
  ASSERT_TRUE(failures.ok());
  const std::string csv = FailuresCsv(*failures);
  EXPECT_THAT(csv, HasSubstr("1,'=cmd|' /C calc'!A0,email_invalid,"));
  EXPECT_THAT(csv, HasSubstr("3,'@SUM(1),email_invalid,"));
}

}  // namespace
}  // namespace contactsync::sync
