#pragma once

// The behaviour every MailStore (and so OutboxQueue) must have (mail_store.h,
// docs/mail.md): settings kept as given with the sealed password's bytes
// intact, autoresponders, what a subscription change queues, the order and
// rules of claiming, finishing, abandoning, requeueing and cancelling, the
// outbox view, and what confirm and unsubscribe links do.
// Instantiated per backend in store_conformance_test.cpp (see
// store_conformance_fixture.h). Include in exactly one .cpp file per test
// binary: it defines the tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/store_conformance_fixture.h"
#include "store/store_rules.h"

namespace contactsync::store::testing {

class MailStoreConformance : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(IsOk(store_->CreateList(ListNamed("News", "news@shop.example", "", "The News"))));
  }

  // The time `offset` after the start, as the store writes times.
  static std::string At(std::chrono::seconds offset) {
    return base::FormatIso8601Utc(base::TimePoint(kStart + offset));
  }
  std::string Now() const { return base::FormatIso8601Utc(clock_.Now()); }

  static MailSettingsRecord Settings(std::string owner_id, std::string host) {
    MailSettingsRecord record;
    record.owner_id = std::move(owner_id);
    record.smtp_host = std::move(host);
    record.smtp_port = 587;
    record.tls_mode = "starttls";
    record.smtp_user = "mailer";
    record.from_name = "Shop";
    record.from_email = "shop@shop.example";
    record.hourly_cap = 100;
    record.base_url = "https://lists.shop.example";
    return record;
  }

  static NewAutoresponder Responder(std::string list, std::string subject, int64_t delay_s = 0) {
    NewAutoresponder autoresponder;
    autoresponder.list = std::move(list);
    autoresponder.subject = std::move(subject);
    autoresponder.body = "Hello {{first_name}}";
    autoresponder.delay_s = delay_s;
    return autoresponder;
  }

  // `email` enters News as unconfirmed: one confirmation is queued.
  void Unconfirmed(const std::string& email) {
    ASSERT_TRUE(IsOk(Subscribe(email, "News", Status::kUnconfirmed)));
  }

  // The outbox, newest first (at most 1000), optionally in one state.
  std::vector<OutboxMessage> Outbox(std::optional<OutboxState> state = std::nullopt) {
    OutboxFilter filter;
    filter.state = state;
    filter.limit = 1000;
    auto page = store_->GetOutbox(filter);
    EXPECT_TRUE(IsOk(page));
    return page.ok() ? page->messages : std::vector<OutboxMessage>{};
  }

  // The one message to `email`; fails the test when there is not exactly one.
  OutboxMessage MessageTo(const std::string& email) {
    std::vector<OutboxMessage> found;
    for (OutboxMessage& m : Outbox()) {
      if (m.email == email) found.push_back(std::move(m));
    }
    EXPECT_EQ(found.size(), 1u) << email;
    return found.empty() ? OutboxMessage{} : found.front();
  }

  // Claims the next message; "" when none is due.
  std::string ClaimEmail() {
    auto claimed = store_->ClaimNextMessage();
    EXPECT_TRUE(IsOk(claimed));
    return claimed.ok() && claimed->has_value() ? (*claimed)->message.email : "";
  }

  base::Status Finish(int64_t id, OutboxState state, std::string error = "",
                      std::string next_attempt_at = "") {
    MessageOutcome outcome;
    outcome.id = id;
    outcome.state = state;
    outcome.error = std::move(error);
    outcome.next_attempt_at = std::move(next_attempt_at);
    outcome.recipient = "recipient@shop.example";
    outcome.subject = "Please confirm";
    return store_->FinishMessage(outcome);
  }

  // Claims the next message and records it as sent; its id, or 0.
  int64_t SendNext() {
    auto claimed = store_->ClaimNextMessage();
    EXPECT_TRUE(IsOk(claimed));
    if (!claimed.ok() || !claimed->has_value()) return 0;
    const int64_t id = (*claimed)->message.id;
    EXPECT_TRUE(IsOk(Finish(id, OutboxState::kSent)));
    return id;
  }

  int64_t ContactId(const std::string& email) {
    auto contact = store_->GetContact(email);
    EXPECT_TRUE(IsOk(contact));
    return contact.ok() ? contact->id : 0;
  }
  int64_t NewsId() {
    auto list = store_->GetList("News");
    EXPECT_TRUE(IsOk(list));
    return list.ok() ? list->id : 0;
  }
};

// ---------------------------------------------------------------- settings

TEST_P(MailStoreConformance, SettingsAreAbsentUntilSavedAndKeepSealedBytesIntact) {
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<MailSettingsRecord> none, store_->GetMailSettings());
  EXPECT_FALSE(none.has_value());
  MailSettingsRecord record = Settings("owner-1", " smtp.shop.example ");
  record.sealed_password = std::string("\x00\xff\x01sealed\x00", 10);
  record.tls_ca_file = "/etc/ca.pem";
  record.base_url = "https://lists.shop.example/";
  ASSERT_TRUE(IsOk(store_->SaveMailSettings(record)));
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<MailSettingsRecord> read, store_->GetMailSettings());
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->owner_id, "owner-1");
  EXPECT_EQ(read->smtp_host, "smtp.shop.example");
  EXPECT_EQ(read->smtp_port, 587);
  EXPECT_EQ(read->tls_mode, "starttls");
  EXPECT_EQ(read->smtp_user, "mailer");
  EXPECT_EQ(read->tls_ca_file, "/etc/ca.pem");
  EXPECT_EQ(read->sealed_password, std::string("\x00\xff\x01sealed\x00", 10));
  EXPECT_EQ(read->from_name, "Shop");
  EXPECT_EQ(read->from_email, "shop@shop.example");
  EXPECT_EQ(read->hourly_cap, 100);
  EXPECT_EQ(read->base_url, "https://lists.shop.example");
  EXPECT_EQ(read->updated_at, kStartText);
}

TEST_P(MailStoreConformance, SavingAgainReplacesTheSettingsButKeepsTheirOwner) {
  ASSERT_TRUE(IsOk(store_->SaveMailSettings(Settings("owner-1", "a.example"))));
  clock_.Advance(std::chrono::minutes(5));
  MailSettingsRecord second = Settings("owner-2", "b.example");
  second.smtp_port = 0;
  second.tls_mode = "tls";
  second.hourly_cap = 0;
  ASSERT_TRUE(IsOk(store_->SaveMailSettings(second)));
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<MailSettingsRecord> read, store_->GetMailSettings());
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->owner_id, "owner-1");  // binds the sealed password: never replaced
  EXPECT_EQ(read->smtp_host, "b.example");
  EXPECT_EQ(read->smtp_port, 0);
  EXPECT_EQ(read->tls_mode, "tls");
  EXPECT_EQ(read->hourly_cap, 0);
  EXPECT_EQ(read->updated_at, At(std::chrono::minutes(5)));
}

TEST_P(MailStoreConformance, RefusesInvalidSettingsAndKeepsThePreviousOnes) {
  ASSERT_TRUE(IsOk(store_->SaveMailSettings(Settings("owner-1", "a.example"))));
  std::vector<MailSettingsRecord> bad(8, Settings("owner-1", "b.example"));
  bad[0].smtp_port = 65536;
  bad[1].tls_mode = "ssl";
  bad[2].from_email = "not an address";
  bad[3].hourly_cap = -1;
  bad[4].base_url = "ftp://lists.shop.example";
  bad[5].smtp_host = "b.example\r\nRCPT TO:<x@y>";
  bad[6].smtp_user = std::string("nul\0user", 8);
  bad[7].owner_id = "";
  for (const MailSettingsRecord& record : bad) {
    EXPECT_TRUE(HasError(store_->SaveMailSettings(record), ErrorCode::kInvalidArgument));
  }
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<MailSettingsRecord> read, store_->GetMailSettings());
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->smtp_host, "a.example");
}

// ---------------------------------------------------------------- autoresponders

TEST_P(MailStoreConformance, AutorespondersAreListedByListAndDeleted) {
  MakeList("Alpha");
  CS_ASSERT_OK_AND_ASSIGN(const store::Autoresponder welcome,
                          store_->CreateAutoresponder(Responder("News", "Welcome", 60)));
  CS_ASSERT_OK_AND_ASSIGN(const store::Autoresponder later,
                          store_->CreateAutoresponder(Responder("News", "A week on", 604800)));
  CS_ASSERT_OK_AND_ASSIGN(const store::Autoresponder alpha,
                          store_->CreateAutoresponder(Responder("Alpha", "Hi")));
  EXPECT_EQ(welcome.list_name, "News");
  EXPECT_EQ(welcome.subject, "Welcome");
  EXPECT_EQ(welcome.body, "Hello {{first_name}}");
  EXPECT_EQ(welcome.delay_s, 60);
  EXPECT_EQ(welcome.created_at, kStartText);

  CS_ASSERT_OK_AND_ASSIGN(const auto all, store_->GetAutoresponders(std::nullopt));
  ASSERT_EQ(all.size(), 3u);  // by list name, then id
  EXPECT_EQ(all[0].id, alpha.id);
  EXPECT_EQ(all[1].id, welcome.id);
  EXPECT_EQ(all[2].id, later.id);
  CS_ASSERT_OK_AND_ASSIGN(const auto news, store_->GetAutoresponders("News"));
  ASSERT_EQ(news.size(), 2u);
  EXPECT_EQ(news[0].subject, "Welcome");
  EXPECT_TRUE(HasError(store_->GetAutoresponders("Gone"), ErrorCode::kNotFound));

  ASSERT_TRUE(IsOk(store_->DeleteAutoresponder(welcome.id)));
  EXPECT_TRUE(HasError(store_->DeleteAutoresponder(welcome.id), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(const auto left, store_->GetAutoresponders("News"));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, later.id);
}

TEST_P(MailStoreConformance, RefusesBadAutorespondersAndCreatesNone) {
  std::vector<NewAutoresponder> bad(6, Responder("News", "Welcome"));
  bad[0].subject = "";
  bad[1].body = "";
  bad[2].subject = std::string(999, 's');
  bad[3].subject = "Welcome\r\nBcc: all@x.example";
  bad[4].delay_s = -1;
  bad[5].delay_s = int64_t{11} * 366 * 24 * 3600;
  for (const NewAutoresponder& autoresponder : bad) {
    EXPECT_TRUE(HasError(store_->CreateAutoresponder(autoresponder), ErrorCode::kInvalidArgument));
  }
  EXPECT_TRUE(
      HasError(store_->CreateAutoresponder(Responder("Gone", "Welcome")), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(const auto all, store_->GetAutoresponders(std::nullopt));
  EXPECT_TRUE(all.empty());
}

// ---------------------------------------------------------------- queueing

TEST_P(MailStoreConformance, EnteringUnconfirmedQueuesOneConfirmation) {
  Unconfirmed("ann@x.example");
  Unconfirmed("ann@x.example");                           // no change: no second message
  ASSERT_TRUE(IsOk(Subscribe("bob@x.example", "News")));  // active, no autoresponder: nothing
  const std::vector<OutboxMessage> all = Outbox();
  ASSERT_EQ(all.size(), 1u);
  const OutboxMessage& m = all[0];
  EXPECT_EQ(m.kind, OutboxKind::kConfirmation);
  EXPECT_EQ(m.state, OutboxState::kQueued);
  EXPECT_EQ(m.email, "ann@x.example");
  EXPECT_EQ(m.list_name, "News");
  EXPECT_EQ(m.contact_id, ContactId("ann@x.example"));
  EXPECT_EQ(m.list_id, NewsId());
  EXPECT_FALSE(m.autoresponder_id.has_value());
  EXPECT_EQ(m.attempts, 0);
  EXPECT_EQ(m.next_attempt_at, kStartText);
  EXPECT_FALSE(m.idempotency_key.empty());
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<std::string> due, store_->NextDueTime());
  EXPECT_EQ(due, std::optional<std::string>(std::string(kStartText)));
}

TEST_P(MailStoreConformance, BecomingActiveQueuesEachAutoresponderAfterItsDelay) {
  CS_ASSERT_OK_AND_ASSIGN(const store::Autoresponder now,
                          store_->CreateAutoresponder(Responder("News", "Welcome", 0)));
  CS_ASSERT_OK_AND_ASSIGN(const store::Autoresponder later,
                          store_->CreateAutoresponder(Responder("News", "Later", 3600)));
  ASSERT_TRUE(IsOk(Subscribe("ann@x.example", "News")));
  std::vector<OutboxMessage> all = Outbox();
  ASSERT_EQ(all.size(), 2u);
  std::sort(all.begin(), all.end(),
            [](const OutboxMessage& a, const OutboxMessage& b) { return a.id < b.id; });
  EXPECT_EQ(all[0].kind, OutboxKind::kAutoresponder);
  EXPECT_EQ(all[0].autoresponder_id, std::optional<int64_t>(now.id));
  EXPECT_EQ(all[0].next_attempt_at, kStartText);
  EXPECT_EQ(all[1].autoresponder_id, std::optional<int64_t>(later.id));
  EXPECT_EQ(all[1].next_attempt_at, At(std::chrono::hours(1)));
  EXPECT_NE(all[0].idempotency_key, all[1].idempotency_key);
}

// A store may keep times finer than the second its interface shows. A message queued at
// half past a second is not due at that whole second, so the next due time reads as the
// next second: a sender that sleeps until then finds it due (not nothing, again and again).
TEST_P(MailStoreConformance, TheNextDueTimeOfAMessageQueuedMidSecondIsTheNextSecond) {
  clock_.Advance(std::chrono::milliseconds(500));
  Unconfirmed("ann@x.example");
  EXPECT_EQ(Outbox().at(0).next_attempt_at, kStartText);  // shown to the second, as ever
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<std::string> due, store_->NextDueTime());
  EXPECT_EQ(due, std::optional<std::string>(At(std::chrono::seconds(1))));
  clock_.Advance(std::chrono::milliseconds(500));
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<ClaimedMessage> claimed, store_->ClaimNextMessage());
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->message.email, "ann@x.example");
}

// ---------------------------------------------------------------- claiming

TEST_P(MailStoreConformance, ClaimTakesTheEarliestDueMessageWithWhatItNeeds) {
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(Responder("News", "Later", 600))));
  auto ann = Change("ann@x.example", "News");
  ann.contact.first_name = "Ann";
  ASSERT_TRUE(IsOk(store_->SaveContact(ann)));  // autoresponder due at +10 min
  clock_.Advance(std::chrono::minutes(1));
  Unconfirmed("bob@x.example");  // confirmation due at +1 min: queued later, due earlier
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<std::string> due, store_->NextDueTime());
  EXPECT_EQ(due, std::optional<std::string>(At(std::chrono::minutes(1))));

  clock_.Advance(std::chrono::minutes(20));
  CS_ASSERT_OK_AND_ASSIGN(std::optional<ClaimedMessage> first, store_->ClaimNextMessage());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->message.email, "bob@x.example");
  EXPECT_EQ(first->message.state, OutboxState::kSending);
  EXPECT_EQ(first->message.attempts, 1);
  EXPECT_EQ(first->message.claimed_at, Now());
  EXPECT_EQ(first->list.name, "News");
  EXPECT_EQ(first->list.sender_email, "news@shop.example");
  EXPECT_EQ(first->list.sender_name, "The News");
  EXPECT_FALSE(first->autoresponder.has_value());

  CS_ASSERT_OK_AND_ASSIGN(std::optional<ClaimedMessage> second, store_->ClaimNextMessage());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->message.email, "ann@x.example");
  EXPECT_EQ(second->contact.first_name, "Ann");
  ASSERT_TRUE(second->autoresponder.has_value());
  EXPECT_EQ(second->autoresponder->subject, "Later");
  EXPECT_EQ(ClaimEmail(), "");  // nothing else due; claimed ones are not handed out twice
  EXPECT_EQ(MessageTo("bob@x.example").state, OutboxState::kSending);
}

TEST_P(MailStoreConformance, NothingIsClaimedBeforeItIsDue) {
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(Responder("News", "Later", 3600))));
  ASSERT_TRUE(IsOk(Subscribe("ann@x.example", "News")));
  EXPECT_EQ(ClaimEmail(), "");
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(ClaimEmail(), "");
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(ClaimEmail(), "ann@x.example");
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<std::string> due, store_->NextDueTime());
  EXPECT_FALSE(due.has_value());  // only queued messages are due
}

TEST_P(MailStoreConformance, ClaimCancelsWhatTheRecipientMayNoLongerReceive) {
  for (const char* email : {"unsub@x.example", "bounce@x.example", "excluded@x.example",
                            "active@x.example", "ok@x.example"}) {
    Unconfirmed(email);
  }
  ASSERT_TRUE(IsOk(store_->Unsubscribe("unsub@x.example", "News", {})));
  ASSERT_TRUE(IsOk(store_->MarkBounced("bounce@x.example", {})));
  ASSERT_TRUE(IsOk(store_->AddExclusion("excluded@*", std::nullopt)));
  ASSERT_TRUE(IsOk(Subscribe("active@x.example", "News")));
  EXPECT_EQ(ClaimEmail(), "ok@x.example");
  EXPECT_EQ(ClaimEmail(), "");
  EXPECT_EQ(Outbox(OutboxState::kCancelled).size(), 4u);
  EXPECT_THAT(MessageTo("unsub@x.example").last_error, ::testing::HasSubstr("unsubscribed"));
  EXPECT_THAT(MessageTo("bounce@x.example").last_error, ::testing::HasSubstr("bounced"));
  EXPECT_THAT(MessageTo("excluded@x.example").last_error, ::testing::HasSubstr("excluded@*"));
  EXPECT_THAT(MessageTo("active@x.example").last_error, ::testing::HasSubstr("already active"));
}

// ---------------------------------------------------------------- finishing

TEST_P(MailStoreConformance, FinishRecordsSentRetryAndFailureOfASendingMessageOnly) {
  Unconfirmed("sent@x.example");
  Unconfirmed("retry@x.example");
  Unconfirmed("failed@x.example");
  for (int i = 0; i < 3; ++i) ASSERT_NE(ClaimEmail(), "");
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(IsOk(Finish(MessageTo("sent@x.example").id, OutboxState::kSent)));
  ASSERT_TRUE(IsOk(Finish(MessageTo("retry@x.example").id, OutboxState::kQueued, "421 busy",
                          At(std::chrono::minutes(5)))));
  ASSERT_TRUE(IsOk(Finish(MessageTo("failed@x.example").id, OutboxState::kFailed, "550 no")));

  const OutboxMessage sent = MessageTo("sent@x.example");
  EXPECT_EQ(sent.state, OutboxState::kSent);
  EXPECT_EQ(sent.sent_at, At(std::chrono::seconds(30)));
  EXPECT_EQ(sent.recipient, "recipient@shop.example");
  EXPECT_EQ(sent.subject, "Please confirm");
  const OutboxMessage retry = MessageTo("retry@x.example");
  EXPECT_EQ(retry.state, OutboxState::kQueued);
  EXPECT_EQ(retry.next_attempt_at, At(std::chrono::minutes(5)));
  EXPECT_EQ(retry.last_error, "421 busy");
  EXPECT_EQ(retry.attempts, 1);
  const OutboxMessage failed = MessageTo("failed@x.example");
  EXPECT_EQ(failed.state, OutboxState::kFailed);
  EXPECT_EQ(failed.last_error, "550 no");

  // Only a message in sending takes an outcome, and only a final one.
  EXPECT_TRUE(HasError(Finish(sent.id, OutboxState::kFailed), ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(HasError(Finish(retry.id, OutboxState::kSent), ErrorCode::kFailedPrecondition));
  EXPECT_EQ(MessageTo("retry@x.example").state, OutboxState::kQueued);
  EXPECT_TRUE(HasError(Finish(sent.id, OutboxState::kSending), ErrorCode::kInvalidArgument));
  // The retry comes back when due, as its second attempt.
  clock_.Advance(std::chrono::minutes(5));
  CS_ASSERT_OK_AND_ASSIGN(std::optional<ClaimedMessage> again, store_->ClaimNextMessage());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->message.email, "retry@x.example");
  EXPECT_EQ(again->message.attempts, 2);
}

TEST_P(MailStoreConformance, AbandonedClaimsFailAndAreNeverClaimedAgain) {
  Unconfirmed("old@x.example");
  ASSERT_EQ(ClaimEmail(), "old@x.example");
  clock_.Advance(std::chrono::minutes(20));
  Unconfirmed("fresh@x.example");
  ASSERT_EQ(ClaimEmail(), "fresh@x.example");
  CS_ASSERT_OK_AND_ASSIGN(
      const int64_t failed,
      store_->FailAbandonedClaims(At(std::chrono::minutes(15)), "delivery uncertain"));
  EXPECT_EQ(failed, 1);
  const OutboxMessage old = MessageTo("old@x.example");
  EXPECT_EQ(old.state, OutboxState::kFailed);
  EXPECT_EQ(old.last_error, "delivery uncertain");
  EXPECT_EQ(MessageTo("fresh@x.example").state, OutboxState::kSending);
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(ClaimEmail(), "");
  // The sender that abandoned it cannot overwrite the verdict late.
  EXPECT_TRUE(HasError(Finish(old.id, OutboxState::kSent), ErrorCode::kFailedPrecondition));
}

// ---------------------------------------------------------------- operator actions

TEST_P(MailStoreConformance, RequeueTakesOnlyAFailedMessageBackDueNow) {
  Unconfirmed("ann@x.example");
  ASSERT_EQ(ClaimEmail(), "ann@x.example");
  const int64_t id = MessageTo("ann@x.example").id;
  EXPECT_TRUE(HasError(store_->RequeueMessage(id), ErrorCode::kFailedPrecondition, "sending"));
  ASSERT_TRUE(IsOk(Finish(id, OutboxState::kFailed, "uncertain")));
  clock_.Advance(std::chrono::hours(2));
  ASSERT_TRUE(IsOk(store_->RequeueMessage(id)));
  const OutboxMessage requeued = MessageTo("ann@x.example");
  EXPECT_EQ(requeued.state, OutboxState::kQueued);
  EXPECT_EQ(requeued.next_attempt_at, At(std::chrono::hours(2)));
  EXPECT_TRUE(HasError(store_->RequeueMessage(id), ErrorCode::kFailedPrecondition, "queued"));
  EXPECT_TRUE(HasError(store_->RequeueMessage(id + 1000), ErrorCode::kNotFound));
  EXPECT_EQ(ClaimEmail(), "ann@x.example");
}

TEST_P(MailStoreConformance, CancelStopsOnlyAQueuedMessage) {
  Unconfirmed("ann@x.example");
  Unconfirmed("bob@x.example");
  ASSERT_EQ(ClaimEmail(), "ann@x.example");
  const int64_t sending = MessageTo("ann@x.example").id;
  const int64_t queued = MessageTo("bob@x.example").id;
  EXPECT_TRUE(HasError(store_->CancelMessage(sending), ErrorCode::kFailedPrecondition, "sending"));
  ASSERT_TRUE(IsOk(store_->CancelMessage(queued)));
  const OutboxMessage cancelled = MessageTo("bob@x.example");
  EXPECT_EQ(cancelled.state, OutboxState::kCancelled);
  EXPECT_THAT(cancelled.last_error, ::testing::HasSubstr("operator"));
  EXPECT_TRUE(HasError(store_->CancelMessage(queued), ErrorCode::kFailedPrecondition, "cancelled"));
  EXPECT_TRUE(HasError(store_->CancelMessage(queued + 1000), ErrorCode::kNotFound));
  EXPECT_EQ(ClaimEmail(), "");
}

TEST_P(MailStoreConformance, CancelQueuedMessagesCancelsEveryQueuedOneAndSaysHowMany) {
  for (const char* email : {"a@x.example", "b@x.example", "c@x.example", "d@x.example"}) {
    Unconfirmed(email);
  }
  ASSERT_EQ(ClaimEmail(), "a@x.example");
  CS_ASSERT_OK_AND_ASSIGN(const int64_t cancelled, store_->CancelQueuedMessages());
  EXPECT_EQ(cancelled, 3);
  EXPECT_EQ(MessageTo("a@x.example").state, OutboxState::kSending);
  EXPECT_EQ(Outbox(OutboxState::kCancelled).size(), 3u);
  CS_ASSERT_OK_AND_ASSIGN(const int64_t again, store_->CancelQueuedMessages());
  EXPECT_EQ(again, 0);
  CS_ASSERT_OK_AND_ASSIGN(const std::optional<std::string> due, store_->NextDueTime());
  EXPECT_FALSE(due.has_value());
}

// ---------------------------------------------------------------- counting and viewing

TEST_P(MailStoreConformance, CountsMessagesSentAtOrAfterATime) {
  for (const char* email : {"a@x.example", "b@x.example", "c@x.example"}) Unconfirmed(email);
  ASSERT_NE(SendNext(), 0);  // sent at the start
  clock_.Advance(std::chrono::minutes(30));
  ASSERT_NE(SendNext(), 0);  // sent at +30 min
  ASSERT_EQ(ClaimEmail(), "c@x.example");
  ASSERT_TRUE(IsOk(Finish(MessageTo("c@x.example").id, OutboxState::kFailed, "550")));
  EXPECT_EQ(store_->CountMessagesSentSince(At(std::chrono::seconds(0))).value(), 2);
  EXPECT_EQ(store_->CountMessagesSentSince(At(std::chrono::minutes(30))).value(), 1);
  EXPECT_EQ(store_->CountMessagesSentSince(At(std::chrono::minutes(31))).value(), 0);
}

TEST_P(MailStoreConformance, OutboxIsFilteredPagedNewestFirstAndCounted) {
  for (const char* email : {"a@x.example", "b@x.example", "c@x.example", "d@x.example"}) {
    Unconfirmed(email);
  }
  ASSERT_NE(SendNext(), 0);  // a: sent; b, c, d queued
  OutboxFilter filter;
  filter.limit = 2;
  CS_ASSERT_OK_AND_ASSIGN(const OutboxPage first, store_->GetOutbox(filter));
  EXPECT_EQ(first.total, 4);
  ASSERT_EQ(first.messages.size(), 2u);
  EXPECT_EQ(first.messages[0].email, "d@x.example");
  EXPECT_EQ(first.messages[1].email, "c@x.example");
  filter.offset = 2;
  CS_ASSERT_OK_AND_ASSIGN(const OutboxPage second, store_->GetOutbox(filter));
  ASSERT_EQ(second.messages.size(), 2u);
  EXPECT_EQ(second.messages[1].email, "a@x.example");
  filter.state = OutboxState::kQueued;
  filter.offset = 0;
  filter.limit = 100;
  CS_ASSERT_OK_AND_ASSIGN(const OutboxPage queued, store_->GetOutbox(filter));
  EXPECT_EQ(queued.total, 3);
  EXPECT_EQ(queued.messages.size(), 3u);
  EXPECT_EQ(queued.counts.at("queued"), 3);  // counts cover the whole outbox
  EXPECT_EQ(queued.counts.at("sent"), 1);

  for (const auto& [limit, offset] :
       std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1001, 0}, {10, -1}}) {
    OutboxFilter invalid;
    invalid.limit = limit;
    invalid.offset = offset;
    EXPECT_TRUE(HasError(store_->GetOutbox(invalid), ErrorCode::kInvalidArgument));
  }
}

// ---------------------------------------------------------------- links

TEST_P(MailStoreConformance, ConfirmByLinkActivatesAnUnconfirmedSubscriptionOnce) {
  Unconfirmed("ann@x.example");
  const int64_t ann = ContactId("ann@x.example");
  CS_ASSERT_OK_AND_ASSIGN(const LinkOutcome confirmed, store_->ConfirmByLink(ann, NewsId()));
  EXPECT_TRUE(confirmed.changed);
  EXPECT_EQ(confirmed.email, "ann@x.example");
  EXPECT_EQ(confirmed.list_name, "News");
  EXPECT_EQ(confirmed.previous, std::optional<Status>(Status::kUnconfirmed));
  CS_ASSERT_OK_AND_ASSIGN(const Contact after, store_->GetContact("ann@x.example"));
  ASSERT_EQ(after.subscriptions.size(), 1u);
  EXPECT_EQ(after.subscriptions[0].status, Status::kActive);
  EXPECT_EQ(after.subscriptions[0].cause.kind, model::CauseKind::kConfirmationLink);
  // A second click changes nothing.
  CS_ASSERT_OK_AND_ASSIGN(const LinkOutcome again, store_->ConfirmByLink(ann, NewsId()));
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.previous, std::optional<Status>(Status::kActive));

  ASSERT_TRUE(IsOk(store_->Unsubscribe("ann@x.example", "News", {})));
  EXPECT_TRUE(HasError(store_->ConfirmByLink(ann, NewsId()), ErrorCode::kFailedPrecondition));
  EXPECT_EQ(StatusOn("ann@x.example", "News"), std::optional<Status>(Status::kUnsubscribed));
  MakeList("Other");
  CS_ASSERT_OK_AND_ASSIGN(const ListInfo other, store_->GetList("Other"));
  EXPECT_TRUE(HasError(store_->ConfirmByLink(ann, other.id), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->ConfirmByLink(ann + 1000, NewsId()), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->ConfirmByLink(ann, other.id + 1000), ErrorCode::kNotFound));
}

TEST_P(MailStoreConformance, ConfirmByLinkQueuesAutorespondersOnlyWhenTheEntryAskedForThem) {
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(Responder("News", "Welcome"))));
  Unconfirmed("ann@x.example");  // an operator's entry: autoresponders follow
  SyncBatchOptions options;
  options.list = "News";
  options.status = SyncEntryStatus::kUnconfirmed;
  options.send_autoresponders = false;
  options.cause = {model::CauseKind::kSyncRun, "1"};
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SyncBatchWriter> writer,
                          store_->OpenSyncBatchWriter(options));
  std::vector<SyncRow> rows(1);
  rows[0].email = "bob@x.example";
  rows[0].email_key = LookupEmailKey(rows[0].email);
  std::vector<SyncRowOutcome> outcomes;
  ASSERT_TRUE(IsOk(writer->Write(rows, 1, outcomes)));
  ASSERT_EQ(outcomes[0].result, SyncRowResult::kAdded);
  writer.reset();

  for (const char* email : {"ann@x.example", "bob@x.example"}) {
    CS_ASSERT_OK_AND_ASSIGN(const LinkOutcome confirmed,
                            store_->ConfirmByLink(ContactId(email), NewsId()));
    EXPECT_TRUE(confirmed.changed);
  }
  int ann = 0;
  int bob = 0;
  for (const OutboxMessage& m : Outbox()) {
    if (m.kind != OutboxKind::kAutoresponder) continue;
    ann += m.email == "ann@x.example" ? 1 : 0;
    bob += m.email == "bob@x.example" ? 1 : 0;
  }
  EXPECT_EQ(ann, 1);
  EXPECT_EQ(bob, 0);
}

TEST_P(MailStoreConformance, UnsubscribeByLinkUnsubscribesOnceAndLeavesBouncedAlone) {
  ASSERT_TRUE(IsOk(Subscribe("ann@x.example", "News")));
  ASSERT_TRUE(IsOk(Subscribe("bob@x.example", "News")));
  ASSERT_TRUE(IsOk(store_->MarkBounced("bob@x.example", {})));
  const int64_t ann = ContactId("ann@x.example");
  CS_ASSERT_OK_AND_ASSIGN(const LinkOutcome first, store_->UnsubscribeByLink(ann, NewsId()));
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.previous, std::optional<Status>(Status::kActive));
  CS_ASSERT_OK_AND_ASSIGN(const Contact after, store_->GetContact("ann@x.example"));
  EXPECT_TRUE(after.ever_unsubscribed);
  ASSERT_EQ(after.subscriptions.size(), 1u);
  EXPECT_EQ(after.subscriptions[0].status, Status::kUnsubscribed);
  EXPECT_EQ(after.subscriptions[0].cause.kind, model::CauseKind::kUnsubscribeLink);
  CS_ASSERT_OK_AND_ASSIGN(const LinkOutcome again, store_->UnsubscribeByLink(ann, NewsId()));
  EXPECT_FALSE(again.changed);

  CS_ASSERT_OK_AND_ASSIGN(const LinkOutcome bounced,
                          store_->UnsubscribeByLink(ContactId("bob@x.example"), NewsId()));
  EXPECT_FALSE(bounced.changed);
  EXPECT_EQ(StatusOn("bob@x.example", "News"), std::optional<Status>(Status::kBounced));
  MakeList("Other");
  CS_ASSERT_OK_AND_ASSIGN(const ListInfo other, store_->GetList("Other"));
  EXPECT_TRUE(HasError(store_->UnsubscribeByLink(ann, other.id), ErrorCode::kNotFound));
  ASSERT_TRUE(IsOk(store_->DeleteContact("ann@x.example")));
  EXPECT_TRUE(HasError(store_->UnsubscribeByLink(ann, NewsId()), ErrorCode::kNotFound));
}

}  // namespace contactsync::store::testing
