// The PostgreSQL store with several sessions at once, which is its reason to exist: several
// servers and workers on one store (pg_store.h, its comment on transactions and locks). Each
// thread opens its own PgStore on the test's schema, as a separate process would, and each
// test checks what a user would see afterwards: every message sent once, one running run per
// sync, no subscription change lost, one contact per address.

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/clock.h"
#include "base/status.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_test_store.h"
#include "store/store_rules.h"
#include "store/store_test_util.h"

namespace contactsync::store::postgres::testing {
namespace {

using store::testing::Filter;
using store::testing::HasError;
using store::testing::IsOk;
using store::testing::ListNamed;
using store::testing::Paged;
using store::testing::Search;

// Long enough for any of these tests to finish; a session still waiting after it is stuck.
constexpr std::chrono::seconds kStuck{20};

class PgStoreConcurrencyTest : public PgStoreTest {
 protected:
  // A session of the store of this test, as another process would open it.
  base::Result<std::unique_ptr<PgStore>> Open() { return PgStore::Open(url(), clock_); }

  // `n` sessions; empty (after a failure) when one cannot be opened.
  std::vector<std::unique_ptr<PgStore>> OpenSessions(int n) {
    std::vector<std::unique_ptr<PgStore>> sessions;
    for (int i = 0; i < n; ++i) {
      auto store = Open();
      if (!store.ok()) {
        ADD_FAILURE() << store.status().ToString();
        return {};
      }
      sessions.push_back(std::move(store).value());
    }
    return sessions;
  }

  static Cause ApiCause() { return Cause{model::CauseKind::kApi, "test"}; }

  static ContactChange Subscribing(std::string email, std::string list, SubscriptionStatus status) {
    ContactChange change;
    change.contact.email = std::move(email);
    change.list = std::move(list);
    change.status = status;
    change.cause = ApiCause();
    return change;
  }

  static SyncRow Row(const std::string& email, std::optional<std::string> first_name) {
    SyncRow row;
    row.email = email;
    row.email_key = LookupEmailKey(email);
    row.first_name = std::move(first_name);
    return row;
  }

  static SyncBatchOptions BatchOptions(std::string list, int64_t sync_id) {
    SyncBatchOptions options;
    options.list = std::move(list);
    options.sync_id = sync_id;
    options.cause = Cause{model::CauseKind::kSyncRun, "1"};
    options.group_commit = true;
    return options;
  }

  // How many contacts match `filter` (-1, after a failure, when the store cannot say).
  static int64_t Count(Store& store, ContactFilter filter) {
    filter.limit = 1;
    auto page = store.FindContacts(filter);
    if (!page.ok()) {
      ADD_FAILURE() << page.status().ToString();
      return -1;
    }
    return page->total;
  }

  const base::Clock& clock_ = base::SystemClock();
};

// Waits for `future` at most kStuck: a session that waits longer is stuck (a lock never
// released, a deadlock nobody detected).
template <typename T>
bool Finishes(std::future<T>& future) {
  return future.wait_for(kStuck) == std::future_status::ready;
}

// 1. Four senders, each on its own session, claim and send until nothing is due: every queued
// confirmation is claimed exactly once, none fails and none is left behind (ClaimNextMessage:
// READ COMMITTED, FOR UPDATE SKIP LOCKED).
TEST_F(PgStoreConcurrencyTest, ManySendersClaimEachMessageOnce) {
  constexpr int kMessages = 300;
  constexpr int kSenders = 4;
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgStore> store, Open());
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News", "news@shop.example"))));
  // Entering a list as unconfirmed queues one confirmation (mail_store.h).
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(IsOk(store->SaveContact(
        Subscribing(fmt::format("c{}@x.example", i), "News", SubscriptionStatus::kUnconfirmed))));
  }
  OutboxFilter all;
  all.limit = 1000;
  CS_ASSERT_OK_AND_ASSIGN(const OutboxPage queued, store->GetOutbox(all));
  ASSERT_EQ(queued.counts.at("queued"), kMessages);

  std::vector<std::unique_ptr<PgStore>> senders = OpenSessions(kSenders);
  ASSERT_EQ(senders.size(), size_t{kSenders});
  std::mutex mutex;
  std::map<int64_t, int> claims;  // message id -> times claimed
  std::vector<int> claimed_by(kSenders, 0);
  std::vector<std::string> errors;
  std::vector<std::future<void>> running;
  for (int s = 0; s < kSenders; ++s) {
    running.push_back(std::async(std::launch::async, [&, s] {
      PgStore& sender = *senders[s];
      while (true) {
        auto next = sender.ClaimNextMessage();
        if (!next.ok() || !next->has_value()) {
          const std::lock_guard<std::mutex> lock(mutex);
          if (!next.ok()) errors.push_back("claim: " + next.status().ToString());
          return;  // nothing due (or broken): this sender is done
        }
        const OutboxMessage& message = (*next)->message;
        MessageOutcome outcome;
        outcome.id = message.id;
        outcome.state = OutboxState::kSent;
        outcome.recipient = message.email;
        outcome.subject = "Please confirm";
        const base::Status finished = sender.FinishMessage(outcome);
        const std::lock_guard<std::mutex> lock(mutex);
        ++claims[message.id];
        ++claimed_by[s];
        if (message.attempts != 1) {
          errors.push_back(
              fmt::format("message {} claimed with attempts {}", message.id, message.attempts));
        }
        if (!finished.ok()) errors.push_back("finish: " + finished.ToString());
      }
    }));
  }
  for (auto& sender : running) ASSERT_TRUE(Finishes(sender)) << "a sender is stuck";

  EXPECT_TRUE(errors.empty()) << fmt::format("{} errors, first: {}", errors.size(),
                                             errors.empty() ? "" : errors.front());
  EXPECT_EQ(claims.size(), size_t{kMessages});
  for (const auto& [id, times] : claims) EXPECT_EQ(times, 1) << "message " << id;
  std::set<int64_t> queued_ids;
  for (const OutboxMessage& message : queued.messages) queued_ids.insert(message.id);
  std::set<int64_t> claimed_ids;
  for (const auto& [id, times] : claims) claimed_ids.insert(id);
  EXPECT_EQ(claimed_ids, queued_ids);
  CS_ASSERT_OK_AND_ASSIGN(const OutboxPage after, store->GetOutbox(all));
  EXPECT_EQ(after.counts, (std::map<std::string, int64_t>{{"sent", kMessages}}));
  for (const OutboxMessage& message : after.messages) EXPECT_EQ(message.attempts, 1);
  RecordProperty("claimed_by", fmt::format("{}", fmt::join(claimed_by, ",")));
}

// 2. Two sessions begin a run of one sync at the same moment: one run starts, the other is
// refused naming it (BeginRun: SERIALIZABLE, the partial unique index of running runs).
TEST_F(PgStoreConcurrencyTest, TwoBeginRunAtOnceStartOneRun) {
  constexpr int kRounds = 20;
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgStore> store, Open());
  ASSERT_TRUE(IsOk(store->CreateSync("S", "{}")));
  std::vector<std::unique_ptr<PgStore>> sessions = OpenSessions(2);
  ASSERT_EQ(sessions.size(), 2u);

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    std::barrier start(2);
    std::vector<std::future<base::Result<RunRecord>>> begun;
    for (int s = 0; s < 2; ++s) {
      begun.push_back(std::async(std::launch::async, [&, s] {
        start.arrive_and_wait();
        return sessions[s]->BeginRun("S", fmt::format("user{}", s), fmt::format("h:{}:1", s));
      }));
    }
    std::vector<base::Result<RunRecord>> results;
    for (auto& one : begun) {
      ASSERT_TRUE(Finishes(one)) << "a BeginRun is stuck";
      results.push_back(one.get());
    }
    const int winners = static_cast<int>(results[0].ok()) + static_cast<int>(results[1].ok());
    ASSERT_EQ(winners, 1) << results[0].status().ToString() << " / "
                          << results[1].status().ToString();
    RunRecord run = results[0].ok() ? *results[0] : *results[1];
    const base::Status& refused = results[0].ok() ? results[1].status() : results[0].status();
    EXPECT_TRUE(HasError(refused, base::ErrorCode::kFailedPrecondition,
                         fmt::format("sync 'S' is already running (run {},", run.id)));
    CS_ASSERT_OK_AND_ASSIGN(const std::optional<RunRecord> running, store->GetRunningRun("S"));
    ASSERT_TRUE(running.has_value());
    EXPECT_EQ(running->id, run.id);
    run.state = RunState::kSucceeded;
    ASSERT_TRUE(IsOk(store->FinishRun(run)));
  }
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<RunRecord> runs, store->GetRuns("S"));
  EXPECT_EQ(runs.size(), size_t{kRounds});
  for (const RunRecord& run : runs) EXPECT_EQ(run.state, RunState::kSucceeded);
}

// 3. An Unsubscribe of a contact that a sync batch has written but not committed waits for the
// batch (both lock the contact's row), then applies on top of it: neither change is lost.
TEST_F(PgStoreConcurrencyTest, UnsubscribeWaitsForAnUncommittedSyncBatch) {
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgStore> store, Open());
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News"))));
  CS_ASSERT_OK_AND_ASSIGN(const SyncRecord sync, store->CreateSync("S", "{}"));
  ASSERT_TRUE(
      IsOk(store->SaveContact(Subscribing("ann@x.example", "News", SubscriptionStatus::kActive))));
  std::vector<std::unique_ptr<PgStore>> sessions = OpenSessions(2);
  ASSERT_EQ(sessions.size(), 2u);

  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SyncBatchWriter> writer,
                          sessions[0]->OpenSyncBatchWriter(BatchOptions("News", sync.id)));
  std::vector<SyncRow> rows{Row("ann@x.example", "Ann")};
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(rows, rows.size(), outcomes)));
  ASSERT_EQ(outcomes[0].result, SyncRowResult::kUpdated) << outcomes[0].message;

  std::future<base::Status> unsubscribed = std::async(std::launch::async, [&] {
    return sessions[1]->Unsubscribe("ann@x.example", "News", ApiCause());
  });
  const bool waited =
      unsubscribed.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout;
  EXPECT_TRUE(waited) << "Unsubscribe returned while the batch still held the contact";
  ASSERT_TRUE(IsOk(writer->Commit()));
  ASSERT_TRUE(Finishes(unsubscribed)) << "Unsubscribe is stuck after the batch committed";
  EXPECT_TRUE(IsOk(unsubscribed.get()));

  CS_ASSERT_OK_AND_ASSIGN(const Contact ann, store->GetContact("ann@x.example"));
  EXPECT_EQ(ann.first_name, "Ann");  // the batch's write
  ASSERT_EQ(ann.subscriptions.size(), 1u);
  EXPECT_EQ(ann.subscriptions[0].status, SubscriptionStatus::kUnsubscribed);
  EXPECT_EQ(ann.subscriptions[0].cause.kind, model::CauseKind::kApi);
  EXPECT_TRUE(ann.ever_unsubscribed);
}

// 4. Two sync runs into two lists, over partly the same addresses, write at the same time in
// batches with group_commit: both finish, every address is one contact, and each list holds
// every row of its run (the writers take turns: pg_store_sync_batch.cpp).
TEST_F(PgStoreConcurrencyTest, TwoSyncWritersOnOverlappingAddressesBothFinish) {
  constexpr int kShared = 1000;
  constexpr int kOwn = 1000;
  constexpr size_t kBatch = 250;
  constexpr int kBatchesPerCommit = 2;
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgStore> store, Open());
  const std::vector<std::string> lists{"A", "B"};
  std::vector<int64_t> sync_ids;
  for (const std::string& list : lists) {
    ASSERT_TRUE(IsOk(store->CreateList(ListNamed(list))));
    CS_ASSERT_OK_AND_ASSIGN(const SyncRecord sync, store->CreateSync("to " + list, "{}"));
    sync_ids.push_back(sync.id);
  }
  std::vector<std::unique_ptr<PgStore>> sessions = OpenSessions(2);
  ASSERT_EQ(sessions.size(), 2u);

  // The shared addresses in opposite orders, so that the runs meet them from both ends.
  std::vector<std::vector<SyncRow>> sources(2);
  for (int i = 0; i < kShared; ++i) {
    sources[0].push_back(Row(fmt::format("shared{}@x.example", i), "Shared"));
    sources[1].push_back(Row(fmt::format("shared{}@x.example", kShared - 1 - i), std::nullopt));
  }
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < kOwn; ++i) {
      sources[w].push_back(Row(fmt::format("only{}{}@x.example", lists[w], i), lists[w]));
    }
  }

  std::barrier start(2);
  std::vector<std::future<std::string>> runs;  // "" or what went wrong
  for (int w = 0; w < 2; ++w) {
    runs.push_back(std::async(std::launch::async, [&, w]() -> std::string {
      auto writer = sessions[w]->OpenSyncBatchWriter(BatchOptions(lists[w], sync_ids[w]));
      start.arrive_and_wait();
      if (!writer.ok()) return writer.status().ToString();
      std::vector<SyncRow>& source = sources[w];
      std::vector<SyncRowOutcome> outcomes;
      for (size_t from = 0, batch = 1; from < source.size(); from += kBatch, ++batch) {
        std::vector<SyncRow> rows(source.begin() + from,
                                  source.begin() + std::min(source.size(), from + kBatch));
        const base::Status written = (*writer)->Write(rows, rows.size(), outcomes);
        if (!written.ok()) return fmt::format("batch {}: {}", batch, written.ToString());
        for (size_t r = 0; r < rows.size(); ++r) {
          if (outcomes[r].result != SyncRowResult::kAdded) {
            return fmt::format("{}: result {} {}", rows[r].email,
                               static_cast<int>(outcomes[r].result), outcomes[r].message);
          }
        }
        if (batch % kBatchesPerCommit == 0) {
          if (base::Status committed = (*writer)->Commit(); !committed.ok()) {
            return "commit: " + committed.ToString();
          }
        }
      }
      const base::Status committed = (*writer)->Commit();
      return committed.ok() ? "" : "commit: " + committed.ToString();
    }));
  }
  for (int w = 0; w < 2; ++w) {
    ASSERT_TRUE(Finishes(runs[w])) << "the run into " << lists[w] << " is stuck";
    EXPECT_EQ(runs[w].get(), "") << "the run into " << lists[w];
  }

  // Every address is one contact, and each list holds exactly its run's rows: the counts by
  // address prefix (each prefix names a disjoint set of addresses) add up to nothing else.
  EXPECT_EQ(Count(*store, Paged(1)), kShared + 2 * kOwn);
  EXPECT_EQ(Count(*store, Search("shared")), kShared);
  for (const std::string& list : lists) {
    SCOPED_TRACE("list " + list);
    EXPECT_EQ(Count(*store, Filter(list)), kShared + kOwn);
    EXPECT_EQ(Count(*store, Filter(list, SubscriptionStatus::kActive)), kShared + kOwn);
    EXPECT_EQ(Count(*store, Filter(list, std::nullopt, "shared")), kShared);
    EXPECT_EQ(Count(*store, Search("only" + list)), kOwn);
    EXPECT_EQ(Count(*store, Filter(list, std::nullopt, "only" + list)), kOwn);
  }
  // Run B maps no first name: run A's stays, whichever of the two wrote the contact first.
  for (const int i : {0, kShared / 2, kShared - 1}) {
    CS_ASSERT_OK_AND_ASSIGN(const Contact shared,
                            store->GetContact(fmt::format("shared{}@x.example", i)));
    EXPECT_EQ(shared.first_name, "Shared") << shared.email;
    ASSERT_EQ(shared.subscriptions.size(), 2u) << shared.email;
    EXPECT_EQ(shared.subscriptions[0].list_name, "A");
    EXPECT_EQ(shared.subscriptions[1].list_name, "B");
  }
  CS_ASSERT_OK_AND_ASSIGN(const Contact only_b, store->GetContact("onlyB7@x.example"));
  EXPECT_EQ(only_b.first_name, "B");
}

// 5. Two sessions save the same new address (spelt differently) at the same moment: both calls
// succeed, one creating the contact and the other updating it, and the store holds one
// contact (SaveContact: SERIALIZABLE, retried after the other's insert).
TEST_F(PgStoreConcurrencyTest, TwoSaveContactOfOneNewAddressMakeOneContact) {
  constexpr int kRounds = 20;
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgStore> store, Open());
  ASSERT_TRUE(IsOk(store->CreateList(ListNamed("News"))));
  std::vector<std::unique_ptr<PgStore>> sessions = OpenSessions(2);
  ASSERT_EQ(sessions.size(), 2u);

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const std::vector<std::string> spellings{fmt::format("new{}@x.example", round),
                                             fmt::format("NEW{}@X.example", round)};
    std::barrier start(2);
    std::vector<std::future<base::Result<ContactChangeOutcome>>> saves;
    for (int s = 0; s < 2; ++s) {
      saves.push_back(std::async(std::launch::async, [&, s] {
        ContactChange change = Subscribing(spellings[s], "News", SubscriptionStatus::kActive);
        change.contact.phone = fmt::format("+1555000{}", s);
        start.arrive_and_wait();
        return sessions[s]->SaveContact(change);
      }));
    }
    std::vector<base::Result<ContactChangeOutcome>> outcomes;
    for (auto& save : saves) {
      ASSERT_TRUE(Finishes(save)) << "a SaveContact is stuck";
      outcomes.push_back(save.get());
    }
    ASSERT_TRUE(IsOk(outcomes[0]));
    ASSERT_TRUE(IsOk(outcomes[1]));
    EXPECT_NE(outcomes[0]->created, outcomes[1]->created);
    EXPECT_EQ(outcomes[0]->contact.id, outcomes[1]->contact.id);
    // The one that came second found the contact on the list already.
    const ContactChangeOutcome& second = outcomes[0]->created ? *outcomes[1] : *outcomes[0];
    EXPECT_EQ(second.previous_status, std::optional(SubscriptionStatus::kActive));
    EXPECT_FALSE(second.subscription_changed);
    CS_ASSERT_OK_AND_ASSIGN(const ContactPage page, store->FindContacts(Paged(1000)));
    EXPECT_EQ(page.total, round + 1);
    CS_ASSERT_OK_AND_ASSIGN(const Contact contact, store->GetContact(spellings[0]));
    EXPECT_EQ(contact.phone, second.contact.phone);  // the later write is the one kept
    ASSERT_EQ(contact.subscriptions.size(), 1u);
  }
}

}  // namespace
}  // namespace contactsync::store::postgres::testing
