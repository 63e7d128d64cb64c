#pragma once

// The behaviour every SyncStore must have (sync_store.h): sync definitions,
// runs and their failures, and the batch writer of a run.
// Instantiated per backend in store_conformance_test.cpp (see
// store_conformance_fixture.h). Include in exactly one .cpp file per test
// binary: it defines the tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store_conformance_fixture.h"
#include "store/store_rules.h"

namespace contactsync::store::testing {

class SyncStoreConformance : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(IsOk(store_->CreateList(ListNamed("News"))));
    ASSERT_TRUE(IsOk(store_->CreateSync("S", "{}")));
  }

  SyncRow Row(std::string email, std::string first = "") {
    SyncRow row;
    row.email = email;
    row.email_key = LookupEmailKey(email);
    row.first_name = std::move(first);
    return row;
  }

  std::unique_ptr<SyncBatchWriter> Writer(bool dry_run, bool group_commit = false) {
    SyncBatchOptions options;
    options.list = "News";
    options.dry_run = dry_run;
    options.group_commit = group_commit;
    options.sync_id = store_->GetSync("S")->id;
    options.cause = {model::CauseKind::kSyncRun, "1"};
    auto writer = store_->OpenSyncBatchWriter(options);
    EXPECT_TRUE(IsOk(writer));
    return writer.ok() ? std::move(writer).value() : nullptr;
  }
};

TEST_P(SyncStoreConformance, SyncDefinitionsAreNamedUniquelyAndKeptAsGiven) {
  EXPECT_TRUE(HasError(store_->CreateSync("S", "{}"), base::ErrorCode::kAlreadyExists));
  EXPECT_TRUE(HasError(store_->CreateSync(" ", "{}"), base::ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateSync("a\nb", "{}"), base::ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(SyncRecord t, store_->CreateSync("T", R"({"x": 1})"));
  EXPECT_EQ(store_->GetSync("T")->definition_json, R"({"x": 1})");
  CS_ASSERT_OK_AND_ASSIGN(SyncRecord renamed, store_->UpdateSync("T", "U", "{}"));
  EXPECT_EQ(renamed.id, t.id);
  EXPECT_TRUE(HasError(store_->GetSync("T"), base::ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->UpdateSync("U", "S", "{}"), base::ErrorCode::kAlreadyExists));
  ASSERT_EQ(store_->GetSyncs()->size(), 2u);
  EXPECT_EQ(store_->GetSyncs()->front().name, "S");
  EXPECT_TRUE(IsOk(store_->DeleteSync("U")));
  EXPECT_TRUE(HasError(store_->DeleteSync("U"), base::ErrorCode::kNotFound));
}

TEST_P(SyncStoreConformance, OneRunningRunPerSyncAndRunsAreKept) {
  CS_ASSERT_OK_AND_ASSIGN(RunRecord run, store_->BeginRun("S", "ann", "h:1:1"));
  EXPECT_TRUE(HasError(store_->BeginRun("S", "bob", "h:2:2"), base::ErrorCode::kFailedPrecondition,
                       "already running"));
  EXPECT_TRUE(HasError(store_->DeleteSync("S"), base::ErrorCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetRunningRun("S")->value().id, run.id);
  // Abandoning needs the right holder.
  EXPECT_TRUE(IsOk(store_->AbandonRun(run.id, "h:9:9", "x")));
  EXPECT_EQ(store_->GetRun(run.id)->state, RunState::kRunning);
  EXPECT_TRUE(IsOk(store_->AddRunFailures(
      run.id, {{2, "b", "email_invalid", "m2"}, {1, "=a", "email_missing", "m1"}})));
  run.state = RunState::kSucceeded;
  run.counts = RunCounts{3, 1, 0, 0, 0, 2, 0};
  run.sql = "SELECT 1";
  ASSERT_TRUE(IsOk(store_->FinishRun(run)));
  EXPECT_TRUE(HasError(store_->FinishRun(run), base::ErrorCode::kFailedPrecondition));
  CS_ASSERT_OK_AND_ASSIGN(RunRecord stored, store_->GetRun(run.id));
  EXPECT_EQ(stored.counts, run.counts);
  EXPECT_EQ(stored.sql, "SELECT 1");
  EXPECT_EQ(stored.started_by, "ann");
  EXPECT_EQ(stored.sync_name, "S");
  CS_ASSERT_OK_AND_ASSIGN(auto failures, store_->GetRunFailures(run.id));
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0], (RunFailure{1, "=a", "email_missing", "m1"}));
  CS_ASSERT_OK_AND_ASSIGN(RunRecord second, store_->BeginRun("S", "bob", "h:2:2"));
  EXPECT_TRUE(IsOk(store_->AbandonRun(second.id, "h:2:2", "process died")));
  EXPECT_EQ(store_->GetRun(second.id)->state, RunState::kFailed);
  EXPECT_EQ(store_->GetRuns("S")->front().id, second.id);
  EXPECT_TRUE(HasError(store_->GetRun(999), base::ErrorCode::kNotFound));
  EXPECT_TRUE(IsOk(store_->DeleteSync("S")));
  EXPECT_TRUE(HasError(store_->GetRun(run.id), base::ErrorCode::kNotFound));
}

TEST_P(SyncStoreConformance, ARunWhoseHoldersLeaseEndedIsFailedByTheNextBeginRunOnAnyHost) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  ASSERT_TRUE(IsOk(store_->RenewHolderLease("host-a:1:1", seconds(60))));
  CS_ASSERT_OK_AND_ASSIGN(RunRecord run, store_->BeginRun("S", "ann", "host-a:1:1"));
  // While its holder renews, the run keeps its lock however long it takes.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(seconds(59));
    EXPECT_TRUE(HasError(store_->BeginRun("S", "bob", "host-b:2:2"),
                         base::ErrorCode::kFailedPrecondition, "already running"));
    ASSERT_TRUE(IsOk(store_->RenewHolderLease("host-a:1:1", seconds(60))));
  }
  // Its process dies: the lease ends, and the next BeginRun, on another host, takes over.
  clock_.Advance(seconds(60));
  CS_ASSERT_OK_AND_ASSIGN(RunRecord next, store_->BeginRun("S", "bob", "host-b:2:2"));
  CS_ASSERT_OK_AND_ASSIGN(RunRecord failed, store_->GetRun(run.id));
  EXPECT_EQ(failed.state, RunState::kFailed);
  EXPECT_EQ(failed.message, kRunLeaseExpiredMessage);
  EXPECT_FALSE(failed.finished_at.empty());
  EXPECT_EQ(store_->GetRunningRun("S")->value().id, next.id);
  // The dead process's FinishRun, should it come back, changes nothing.
  run.state = RunState::kSucceeded;
  EXPECT_TRUE(HasError(store_->FinishRun(run), base::ErrorCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetRun(run.id)->message, kRunLeaseExpiredMessage);
  // A released lease is gone: its holder's runs are judged as a holder without one.
  ASSERT_TRUE(IsOk(store_->ReleaseHolderLease("host-b:2:2")));
  ASSERT_TRUE(IsOk(store_->ReleaseHolderLease("never-had-one")));
  EXPECT_TRUE(HasError(store_->RenewHolderLease("h", milliseconds(0)),
                       base::ErrorCode::kInvalidArgument, "1 ms to 1 day"));
  EXPECT_TRUE(
      HasError(store_->RenewHolderLease("", seconds(1)), base::ErrorCode::kInvalidArgument));
}

TEST_P(SyncStoreConformance, ARunWhoseHolderNeverHadALeaseKeepsItsLock) {
  CS_ASSERT_OK_AND_ASSIGN(RunRecord run, store_->BeginRun("S", "ann", "old-release:1:1"));
  clock_.Advance(std::chrono::hours(48));
  EXPECT_TRUE(HasError(store_->BeginRun("S", "bob", "h:2:2"), base::ErrorCode::kFailedPrecondition,
                       "already running"));
  EXPECT_EQ(store_->GetRun(run.id)->state, RunState::kRunning);
}

TEST_P(SyncStoreConformance, RunFailuresComeInPagesFilteredByReason) {
  CS_ASSERT_OK_AND_ASSIGN(RunRecord run, store_->BeginRun("S", "ann", "h:1:1"));
  std::vector<RunFailure> failures;
  for (int64_t row = 1; row <= 25; ++row) {
    failures.push_back(
        {row, "r" + std::to_string(row) + "@x", row % 5 == 0 ? "email_invalid" : "bounced", "m"});
  }
  ASSERT_TRUE(IsOk(store_->AddRunFailures(run.id, failures)));
  CS_ASSERT_OK_AND_ASSIGN(RunFailurePage all, store_->GetRunFailurePage(run.id, "", 10, 20));
  EXPECT_EQ(all.total, 25);
  ASSERT_EQ(all.items.size(), 5u);
  EXPECT_EQ(all.items[0].row_number, 21);
  CS_ASSERT_OK_AND_ASSIGN(RunFailurePage invalid,
                          store_->GetRunFailurePage(run.id, "email_invalid", 2, 1));
  EXPECT_EQ(invalid.total, 5);
  ASSERT_EQ(invalid.items.size(), 2u);
  EXPECT_EQ(invalid.items[0], (RunFailure{10, "r10@x", "email_invalid", "m"}));
  EXPECT_EQ(invalid.items[1].row_number, 15);
  CS_ASSERT_OK_AND_ASSIGN(RunFailurePage none, store_->GetRunFailurePage(run.id, "nope", 10, 0));
  EXPECT_EQ(none.total, 0);
  EXPECT_TRUE(none.items.empty());
  EXPECT_TRUE(HasError(store_->GetRunFailurePage(999, "", 10, 0), base::ErrorCode::kNotFound));
}

TEST_P(SyncStoreConformance, BatchWriterAddsUpdatesAndDetectsDuplicates) {
  auto writer = Writer(false);
  std::vector<SyncRow> rows{Row("a@x.com", "A"), Row("B@x.com", "B"), Row("b@X.com", "B2")};
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(rows, rows.size(), outcomes)));
  EXPECT_EQ(outcomes[0].result, SyncRowResult::kAdded);
  EXPECT_EQ(outcomes[1].result, SyncRowResult::kAdded);
  EXPECT_EQ(outcomes[2].result, SyncRowResult::kFailed);
  EXPECT_EQ(outcomes[2].reason, "duplicate_in_source");
  CS_ASSERT_OK_AND_ASSIGN(Contact b, store_->GetContact("b@x.com"));
  EXPECT_EQ(b.email, "B@x.com");
  EXPECT_EQ(b.first_name, "B");
  ASSERT_EQ(b.subscriptions.size(), 1u);
  EXPECT_EQ(b.subscriptions[0].cause.kind, model::CauseKind::kSyncRun);

  // A new writer (a new run): unchanged, then updated.
  writer = Writer(false);
  std::vector<SyncRow> again{Row("a@x.com", "A"), Row("b@x.com", "Bee")};
  ASSERT_TRUE(IsOk(writer->Write(again, again.size(), outcomes)));
  EXPECT_EQ(outcomes[0].result, SyncRowResult::kUnchanged);
  EXPECT_EQ(outcomes[1].result, SyncRowResult::kUpdated);
  EXPECT_EQ(store_->GetContact("b@x.com")->first_name, "Bee");
}

TEST_P(SyncStoreConformance, DryRunWritesNothing) {
  auto writer = Writer(true);
  std::vector<SyncRow> rows{Row("a@x.com", "A")};
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(rows, rows.size(), outcomes)));
  EXPECT_EQ(outcomes[0].result, SyncRowResult::kAdded);
  EXPECT_TRUE(HasError(store_->GetContact("a@x.com"), base::ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(DeletionOutcome deletion, writer->DeleteNotSelected(0.5));
  EXPECT_EQ(deletion.removed, 0);
}

TEST_P(SyncStoreConformance, DeletionIsScopedAndGuarded) {
  auto writer = Writer(false);
  std::vector<SyncRow> rows{Row("a@x.com"), Row("b@x.com"), Row("c@x.com"), Row("d@x.com")};
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(rows, rows.size(), outcomes)));
  writer = Writer(false);
  std::vector<SyncRow> fewer{Row("a@x.com"), Row("b@x.com"), Row("c@x.com")};
  ASSERT_TRUE(IsOk(writer->Write(fewer, fewer.size(), outcomes)));
  CS_ASSERT_OK_AND_ASSIGN(DeletionOutcome guarded, writer->DeleteNotSelected(0.2));
  EXPECT_TRUE(guarded.refused);
  EXPECT_THAT(guarded.note, ::testing::HasSubstr("max_delete_fraction"));
  EXPECT_TRUE(store_->GetContact("d@x.com").ok());
  CS_ASSERT_OK_AND_ASSIGN(DeletionOutcome done, writer->DeleteNotSelected(0.5));
  EXPECT_EQ(done.removed, 1);
  EXPECT_EQ(done.contacts_deleted, 1);
  EXPECT_TRUE(HasError(store_->GetContact("d@x.com"), base::ErrorCode::kNotFound));
}

// The first row of an address wins whatever became of it: added, unchanged,
// failed in mapping, failed in the store; in later batches and in a Test too.
TEST_P(SyncStoreConformance, DuplicatesAreFoundWhateverTheFirstRowDid) {
  auto writer = Writer(false);
  std::vector<SyncRow> first{Row("old@x.com", "Old")};
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(first, first.size(), outcomes)));

  writer = Writer(false);
  SyncRow failed_in_mapping = Row("gone@x.com");
  failed_in_mapping.failed = true;
  SyncRow failed_in_store = Row("bad@x.com");
  failed_in_store.fields = {{"NO_SUCH_FIELD", "1"}};
  std::vector<SyncRow> batch1{failed_in_mapping, Row("old@x.com", "Old"), Row("new@x.com"),
                              failed_in_store};
  ASSERT_TRUE(IsOk(writer->Write(batch1, batch1.size(), outcomes)));
  EXPECT_EQ(outcomes[0].result, SyncRowResult::kNone);
  EXPECT_EQ(outcomes[1].result, SyncRowResult::kUnchanged);
  EXPECT_EQ(outcomes[2].result, SyncRowResult::kAdded);
  EXPECT_EQ(outcomes[3].reason, "field_invalid");
  std::vector<SyncRow> batch2{Row("GONE@x.com", "G"), Row("Old@x.com", "Changed"),
                              Row("new@X.com", "N"), Row("bad@x.com", "B")};
  ASSERT_TRUE(IsOk(writer->Write(batch2, batch2.size(), outcomes)));
  for (const SyncRowOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.result, SyncRowResult::kFailed);
    EXPECT_EQ(outcome.reason, "duplicate_in_source");
  }
  EXPECT_EQ(store_->GetContact("old@x.com")->first_name, "Old");
  EXPECT_TRUE(HasError(store_->GetContact("gone@x.com"), base::ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->GetContact("bad@x.com"), base::ErrorCode::kNotFound));

  auto test = Writer(true);
  std::vector<SyncRow> once{Row("z@x.com"), Row("old@x.com", "Old")};
  std::vector<SyncRow> twice{Row("Z@x.com"), Row("OLD@x.com")};
  ASSERT_TRUE(IsOk(test->Write(once, once.size(), outcomes)));
  EXPECT_EQ(outcomes[0].result, SyncRowResult::kAdded);
  EXPECT_EQ(outcomes[1].result, SyncRowResult::kUnchanged);
  ASSERT_TRUE(IsOk(test->Write(twice, twice.size(), outcomes)));
  EXPECT_EQ(outcomes[0].reason, "duplicate_in_source");
  EXPECT_EQ(outcomes[1].reason, "duplicate_in_source");
}

// A contact whose row failed was still selected: delete_not_affected keeps it.
TEST_P(SyncStoreConformance, DeletionKeepsContactsWhoseRowFailed) {
  auto writer = Writer(false);
  std::vector<SyncRow> rows{Row("a@x.com"), Row("b@x.com"), Row("c@x.com")};
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(rows, rows.size(), outcomes)));
  writer = Writer(false);
  SyncRow failed = Row("a@x.com");
  failed.failed = true;
  std::vector<SyncRow> again{failed, Row("b@x.com")};
  ASSERT_TRUE(IsOk(writer->Write(again, again.size(), outcomes)));
  CS_ASSERT_OK_AND_ASSIGN(DeletionOutcome deletion, writer->DeleteNotSelected(0.9));
  EXPECT_EQ(deletion.removed, 1);
  EXPECT_TRUE(store_->GetContact("a@x.com").ok());
  EXPECT_TRUE(store_->GetContact("b@x.com").ok());
  EXPECT_TRUE(HasError(store_->GetContact("c@x.com"), base::ErrorCode::kNotFound));
}

// With group_commit, batches become visible at Commit(); a writer dropped
// before it leaves nothing behind.
TEST_P(SyncStoreConformance, GroupCommitWritesAtCommitOnly) {
  std::vector<SyncRowOutcome> outcomes;
  {
    auto writer = Writer(false, /*group_commit=*/true);
    std::vector<SyncRow> one{Row("a@x.com")};
    std::vector<SyncRow> two{Row("b@x.com")};
    ASSERT_TRUE(IsOk(writer->Write(one, one.size(), outcomes)));
    ASSERT_TRUE(IsOk(writer->Write(two, two.size(), outcomes)));
  }
  EXPECT_TRUE(HasError(store_->GetContact("a@x.com"), base::ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->GetContact("b@x.com"), base::ErrorCode::kNotFound));

  auto writer = Writer(false, /*group_commit=*/true);
  std::vector<SyncRow> one{Row("a@x.com")};
  std::vector<SyncRow> two{Row("b@x.com"), Row("A@x.com")};
  ASSERT_TRUE(IsOk(writer->Write(one, one.size(), outcomes)));
  ASSERT_TRUE(IsOk(writer->Write(two, two.size(), outcomes)));
  EXPECT_EQ(outcomes[1].reason, "duplicate_in_source");
  ASSERT_TRUE(IsOk(writer->Commit()));
  ASSERT_TRUE(IsOk(writer->Commit()));  // nothing pending
  EXPECT_TRUE(store_->GetContact("a@x.com").ok());
  EXPECT_TRUE(store_->GetContact("b@x.com").ok());
}

}  // namespace contactsync::store::testing
