// The outbox from queueing to delivery, with the real SQLite store, a fake
// clock and the in-memory FakeMailer (no server, no sleeping).

#include "mail/outbox_sender.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mail/fake_mailer.h"
#include "source/sqlite/test_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_test_util.h"

namespace contactsync::mail {
namespace {

using model::SubscriptionStatus;
using store::OutboxState;
using store::testing::IsOk;
using ::testing::HasSubstr;

class OutboxSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::sqlite::SqliteStore::Open((dir_.path() / "s.db").string(), 5000, clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(IsOk(
        store_->CreateList(store::testing::ListNamed("News", "news@example.com", "", "The News"))));
    model::FieldDefinition city;
    city.key = "CITY";
    city.label = "City";
    ASSERT_TRUE(IsOk(store_->CreateField(city)));
    compose_.base_url = "https://lists.example.com";
  }

  void Add(const std::string& email, SubscriptionStatus status, const std::string& first = "") {
    store::ContactChange change;
    change.contact.email = email;
    if (!first.empty()) change.contact.first_name = first;
    change.list = "News";
    change.status = status;
    ASSERT_TRUE(IsOk(store_->SaveContact(change)));
  }

  static store::NewAutoresponder Welcome() {
    store::NewAutoresponder welcome;
    welcome.list = "News";
    welcome.subject = "Welcome";
    welcome.body = "Hello";
    return welcome;
  }

  PassReport Pass(SenderOptions options = {}) {
    OutboxSender sender(*store_, mailer_, signer_, compose_, options, clock_);
    auto report = sender.RunOnce();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : PassReport{};
  }

  std::map<std::string, int64_t> Counts() {
    auto page = store_->GetOutbox({});
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->counts : std::map<std::string, int64_t>{};
  }

  store::OutboxMessage Only() {
    auto page = store_->GetOutbox({});
    EXPECT_TRUE(page.ok());
    EXPECT_EQ(page->messages.size(), 1u);
    return page->messages.empty() ? store::OutboxMessage{} : page->messages[0];
  }

  static SendResult Result(SendStatus status, bool unavailable = false) {
    return {status, "scripted", unavailable};
  }

  source::sqlite::testing::TempDir dir_;
  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1'800'000'000))};
  std::unique_ptr<store::Store> store_;
  FakeMailer mailer_;
  LinkSigner signer_{std::array<unsigned char, 32>{}};
  ComposeSettings compose_;
};

TEST_F(OutboxSenderTest, AnUnconfirmedContactGetsOneConfirmationOnce) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed, "Ann");
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed, "Ann");  // no change: no second one
  Add("bob@example.com", SubscriptionStatus::kActive);              // no autoresponder: nothing
  EXPECT_EQ(Pass().sent, 1);
  ASSERT_EQ(mailer_.attempts.size(), 1u);
  const OutgoingMessage& sent = mailer_.attempts[0];
  EXPECT_EQ(sent.recipient, "ann@example.com");
  EXPECT_EQ(sent.envelope_from, "news@example.com");
  EXPECT_THAT(sent.data, HasSubstr("Subject: Please confirm your subscription to News\r\n"));
  EXPECT_THAT(sent.data, HasSubstr("From: \"The News\" <news@example.com>\r\n"));
  const store::OutboxMessage record = Only();
  EXPECT_EQ(record.state, OutboxState::kSent);
  EXPECT_THAT(sent.data, HasSubstr("Message-ID: <" + record.idempotency_key + "@example.com>"));
  EXPECT_EQ(Pass().sent, 0);
  EXPECT_EQ(mailer_.attempts.size(), 1u);
}

TEST_F(OutboxSenderTest, ConnectionFailuresRetryWithExponentialBackoffAndStopThePass) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  Add("bob@example.com", SubscriptionStatus::kUnconfirmed);
  mailer_.script = {Result(SendStatus::kRetry, true)};
  PassReport first = Pass();
  EXPECT_EQ(first.retry_later, 1);
  EXPECT_EQ(first.server_error, "scripted");
  EXPECT_EQ(mailer_.attempts.size(), 1u);  // Bob's was not tried against a dead server
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Pass().sent, 1);  // Bob; Ann waits 60 s
  clock_.Advance(std::chrono::seconds(58));
  EXPECT_EQ(Pass().sent, 0);
  EXPECT_EQ(mailer_.attempts.size(), 2u);
  clock_.Advance(std::chrono::seconds(1));
  mailer_.script = {Result(SendStatus::kRetry)};  // a 4xx: the second failure doubles the wait
  EXPECT_EQ(Pass().retry_later, 1);
  clock_.Advance(std::chrono::seconds(119));
  EXPECT_EQ(Pass().sent, 0);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Pass().sent, 1);
  EXPECT_EQ(Counts()["sent"], 2);
  EXPECT_EQ(mailer_.attempts.size(), 4u);
}

TEST_F(OutboxSenderTest, GivesUpAfterMaxAttempts) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  SenderOptions options;
  options.max_attempts = 2;
  mailer_.script = {Result(SendStatus::kRetry), Result(SendStatus::kRetry)};
  EXPECT_EQ(Pass(options).retry_later, 1);
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ(Pass(options).failed, 1);
  EXPECT_THAT(Only().last_error, HasSubstr("gave up after 2 attempts"));
}

TEST_F(OutboxSenderTest, PermanentRefusalFailsWithoutRetry) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  mailer_.script = {Result(SendStatus::kFailed)};
  EXPECT_EQ(Pass().failed, 1);
  clock_.Advance(std::chrono::hours(24));
  Pass();
  EXPECT_EQ(mailer_.attempts.size(), 1u);
  EXPECT_EQ(Only().state, OutboxState::kFailed);
}

TEST_F(OutboxSenderTest, UncertainDeliveryIsNeverResentUntilRequeued) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  mailer_.script = {Result(SendStatus::kUncertain, true)};
  EXPECT_EQ(Pass().uncertain, 1);
  clock_.Advance(std::chrono::hours(24));
  Pass();
  EXPECT_EQ(mailer_.attempts.size(), 1u);
  ASSERT_TRUE(IsOk(store_->RequeueMessage(Only().id)));
  EXPECT_EQ(Pass().sent, 1);
  EXPECT_EQ(mailer_.attempts.size(), 2u);
}

TEST_F(OutboxSenderTest, AClaimLeftBySenderThatDiedIsFailedNotResent) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  // A sender claims the message and dies before marking it.
  CS_ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimNextMessage());
  ASSERT_TRUE(claimed.has_value());
  // While the claim is fresh another sender leaves it alone...
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ(Pass().uncertain, 0);
  EXPECT_EQ(Only().state, OutboxState::kSending);
  // ...and once it is stale marks it failed, uncertain, without sending.
  clock_.Advance(std::chrono::minutes(11));
  EXPECT_EQ(Pass().uncertain, 1);
  EXPECT_TRUE(mailer_.attempts.empty());
  EXPECT_EQ(Only().state, OutboxState::kFailed);
  EXPECT_THAT(Only().last_error, HasSubstr("delivery uncertain"));
  // The dead sender's late outcome cannot overwrite that.
  store::MessageOutcome late;
  late.id = claimed->message.id;
  late.state = OutboxState::kSent;
  EXPECT_FALSE(store_->FinishMessage(late).ok());
}

TEST_F(OutboxSenderTest, UnsubscribedBouncedAndExcludedContactsReceiveNothing) {
  Add("unsub@example.com", SubscriptionStatus::kUnconfirmed);
  Add("bounce@example.com", SubscriptionStatus::kUnconfirmed);
  Add("excluded@example.com", SubscriptionStatus::kUnconfirmed);
  Add("ok@example.com", SubscriptionStatus::kUnconfirmed);
  ASSERT_TRUE(IsOk(store_->Unsubscribe("unsub@example.com", "News", {})));
  ASSERT_TRUE(IsOk(store_->MarkBounced("bounce@example.com", {})));
  ASSERT_TRUE(IsOk(store_->AddExclusion("excluded@*", std::nullopt)));
  EXPECT_EQ(Pass().sent, 1);
  ASSERT_EQ(mailer_.attempts.size(), 1u);
  EXPECT_EQ(mailer_.attempts[0].recipient, "ok@example.com");
  EXPECT_EQ(Counts()["cancelled"], 3);
}

TEST_F(OutboxSenderTest, TheHourlyCapSpreadsTheQueue) {
  for (int i = 0; i < 5; ++i) {
    Add("p" + std::to_string(i) + "@example.com", SubscriptionStatus::kUnconfirmed);
  }
  SenderOptions options;
  options.hourly_cap = 3;
  PassReport first = Pass(options);
  EXPECT_EQ(first.sent, 3);
  EXPECT_TRUE(first.capped);
  clock_.Advance(std::chrono::minutes(30));
  EXPECT_EQ(Pass(options).sent, 0);
  clock_.Advance(std::chrono::minutes(31));
  EXPECT_EQ(Pass(options).sent, 2);
}

TEST_F(OutboxSenderTest, AutorespondersFollowActivationAfterTheirDelayWithTagsFilled) {
  store::NewAutoresponder welcome;
  welcome.list = "News";
  welcome.subject = "Welcome %FIRSTNAME%";
  welcome.body = "Dear %FIRSTNAME% %LASTNAME% from %CITY% <b>";
  welcome.delay_s = 3600;
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(welcome)));
  Add("ann@example.com", SubscriptionStatus::kActive, "Ann <i>");
  EXPECT_EQ(Pass().sent, 0);
  clock_.Advance(std::chrono::seconds(3600));
  EXPECT_EQ(Pass().sent, 1);
  ASSERT_EQ(mailer_.attempts.size(), 1u);
  EXPECT_EQ(Only().subject, "Welcome Ann <i>");
}

TEST_F(OutboxSenderTest, ConfirmingStartsAutorespondersAndCancelsAPendingConfirmation) {
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(Welcome())));
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  CS_ASSERT_OK_AND_ASSIGN(const store::Contact ann, store_->GetContact("ann@example.com"));
  CS_ASSERT_OK_AND_ASSIGN(const store::ListInfo news, store_->GetList("News"));
  CS_ASSERT_OK_AND_ASSIGN(const store::LinkOutcome confirmed,
                          store_->ConfirmByLink(ann.id, news.id));
  EXPECT_TRUE(confirmed.changed);
  CS_ASSERT_OK_AND_ASSIGN(const store::Contact after, store_->GetContact("ann@example.com"));
  EXPECT_EQ(after.subscriptions[0].status, SubscriptionStatus::kActive);
  EXPECT_EQ(after.subscriptions[0].cause.kind, model::CauseKind::kConfirmationLink);
  EXPECT_EQ(Pass().sent, 1);  // the welcome; the confirmation is moot now
  EXPECT_EQ(Counts()["cancelled"], 1);
  ASSERT_EQ(mailer_.attempts.size(), 1u);
  EXPECT_THAT(mailer_.attempts[0].data, HasSubstr("Subject: Welcome\r\n"));
}

// A sync queues in its batch transaction: confirmations for unconfirmed
// entries, autoresponders only with send_autoresponders, nothing in a Test.
TEST_F(OutboxSenderTest, SyncBatchesQueueMailPerTheirOptions) {
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(Welcome())));
  const auto write = [&](store::SyncEntryStatus status, bool autoresponders, bool dry_run,
                         const std::string& email) {
    store::SyncBatchOptions options;
    options.list = "News";
    options.status = status;
    options.dry_run = dry_run;
    options.send_autoresponders = autoresponders;
    options.cause = {model::CauseKind::kSyncRun, "1"};
    auto writer = store_->OpenSyncBatchWriter(options);
    ASSERT_TRUE(IsOk(writer));
    std::vector<store::SyncRow> rows(1);
    rows[0].email = email;
    rows[0].email_key = email;
    std::vector<store::SyncRowOutcome> outcomes;
    ASSERT_TRUE(IsOk((*writer)->Write(rows, 1, outcomes)));
    ASSERT_EQ(outcomes[0].result, store::SyncRowResult::kAdded);
  };
  write(store::SyncEntryStatus::kUnconfirmed, true, /*dry_run=*/true, "test@example.com");
  write(store::SyncEntryStatus::kActive, true, /*dry_run=*/true, "test2@example.com");
  CS_ASSERT_OK_AND_ASSIGN(auto empty, store_->GetOutbox({}));
  EXPECT_EQ(empty.total, 0);
  write(store::SyncEntryStatus::kActive, false, false, "quiet@example.com");
  CS_ASSERT_OK_AND_ASSIGN(auto none, store_->GetOutbox({}));
  EXPECT_EQ(none.total, 0);
  write(store::SyncEntryStatus::kActive, true, false, "welcome@example.com");
  write(store::SyncEntryStatus::kUnconfirmed, true, false, "confirm@example.com");
  CS_ASSERT_OK_AND_ASSIGN(auto two, store_->GetOutbox({}));
  ASSERT_EQ(two.total, 2);
  EXPECT_EQ(two.messages[0].kind, store::OutboxKind::kConfirmation);
  EXPECT_EQ(two.messages[0].email, "confirm@example.com");
  EXPECT_EQ(two.messages[1].kind, store::OutboxKind::kAutoresponder);
  EXPECT_EQ(two.messages[1].email, "welcome@example.com");
}

TEST_F(OutboxSenderTest, LoopRunsPassesUntilStopped) {
  Add("ann@example.com", SubscriptionStatus::kUnconfirmed);
  std::atomic<bool> stop{false};
  int passes = 0;
  int64_t sent = 0;
  OutboxSender sender(*store_, mailer_, signer_, compose_, {}, clock_);
  sender.Loop(stop, std::chrono::milliseconds(10), [&](const base::Result<PassReport>& pass) {
    EXPECT_TRUE(pass.ok());
    if (pass.ok()) sent += pass->sent;
    if (++passes == 3) stop = true;
  });
  EXPECT_EQ(passes, 3);
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(mailer_.attempts.size(), 1u);
}

}  // namespace
}  // namespace contactsync::mail
