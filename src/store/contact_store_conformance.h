#pragma once

// The behaviour every ContactStore must have (contact_store.h, docs/spec.md
// §1): contacts, their values, subscriptions and history, finding, and
// hostile input. Also the store's schema version (store.h).
// Instantiated per backend in store_conformance_test.cpp (see
// store_conformance_fixture.h). Include in exactly one .cpp file per test
// binary: it defines the tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store_conformance_fixture.h"

namespace contactsync::store::testing {

class ContactStoreConformance : public StoreConformance {};

// ---------------------------------------------------------------- schema

TEST_P(ContactStoreConformance, ReportsASchemaVersion) {
  CS_ASSERT_OK_AND_ASSIGN(const int version, store_->SchemaVersion());
  EXPECT_GE(version, 1);
}

// ---------------------------------------------------------------- contacts

TEST_P(ContactStoreConformance, CreatesAContact) {
  MakeField("CITY", model::FieldType::kText);
  auto change = Change("  Ann.Lee@Example.COM ");
  change.contact.first_name = "Ann";
  change.contact.last_name = "Lee";
  change.contact.phone = "+44 20 7946 0000";
  change.contact.fields = {{"city", "Paris"}};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(change));
  EXPECT_TRUE(outcome.created);
  EXPECT_THAT(outcome.changed_fields,
              ::testing::ElementsAre("first_name", "last_name", "phone", "CITY"));
  EXPECT_FALSE(outcome.previous_status.has_value());
  EXPECT_FALSE(outcome.subscription_changed);
  const Contact& c = outcome.contact;
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.email, "Ann.Lee@Example.COM");
  EXPECT_EQ(c.first_name, "Ann");
  EXPECT_EQ(c.last_name, "Lee");
  EXPECT_EQ(c.phone, "+44 20 7946 0000");
  EXPECT_THAT(c.fields, ::testing::ElementsAre(::testing::Pair("CITY", "Paris")));
  EXPECT_FALSE(c.bounced);
  EXPECT_FALSE(c.ever_unsubscribed);
  EXPECT_EQ(c.created_at, kStartText);
  EXPECT_EQ(c.updated_at, kStartText);
  EXPECT_TRUE(c.subscriptions.empty());
}

TEST_P(ContactStoreConformance, EmailIsUniqueCaseInsensitivelyAndKeepsFirstSpelling) {
  ASSERT_TRUE(IsOk(store_->SaveContact(Change("Ann@Example.com"))));
  auto change = Change(" ann@EXAMPLE.com ");
  change.contact.first_name = "Ann";
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(change));
  EXPECT_FALSE(outcome.created);
  EXPECT_EQ(outcome.contact.email, "Ann@Example.com");
  EXPECT_EQ(ContactCount(), 1);
  CS_ASSERT_OK_AND_ASSIGN(Contact by_other_spelling, store_->GetContact("  ANN@example.COM"));
  EXPECT_EQ(by_other_spelling.email, "Ann@Example.com");
  EXPECT_EQ(by_other_spelling.first_name, "Ann");
}

TEST_P(ContactStoreConformance, RefusesInvalidEmailAndWritesNothing) {
  EXPECT_TRUE(HasError(store_->SaveContact(Change("not-an-address")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->SaveContact(Change("  ")), ErrorCode::kInvalidArgument));
  EXPECT_EQ(ContactCount(), 0);
}

TEST_P(ContactStoreConformance, EnforcesNameAndPhoneLimits) {
  auto change = Change("a@x.example");
  change.contact.first_name = std::string(256, 'n');
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument, "first name"));
  change.contact.first_name = std::string(255, 'n');
  change.contact.last_name = std::string(256, 'n');
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument, "last name"));
  change.contact.last_name.reset();
  change.contact.phone = std::string(65, '1');
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument, "phone"));
  EXPECT_EQ(ContactCount(), 0);
  change.contact.phone = std::string(64, '1');
  EXPECT_TRUE(IsOk(store_->SaveContact(change)));
}

TEST_P(ContactStoreConformance, NormalisesCustomValues) {
  MakeField("AGE", model::FieldType::kNumber);
  MakeField("SIZE", model::FieldType::kDropdown, false, {"Small", "Large"});
  MakeField("TAGS", model::FieldType::kCheckbox, false, {"a", "b", "c"});
  auto change = Change("a@x.example");
  change.contact.fields = {{"%age%", " +42 "}, {"Size", "large"}, {"tags", "c,a,c"}};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(change));
  EXPECT_THAT(outcome.contact.fields,
              ::testing::ElementsAre(::testing::Pair("AGE", "42"), ::testing::Pair("SIZE", "Large"),
                                     ::testing::Pair("TAGS", "a,c")));
}

TEST_P(ContactStoreConformance, RefusesUnknownFieldsAndBadValuesAndWritesNothing) {
  MakeField("AGE", model::FieldType::kNumber);
  auto change = Change("a@x.example");
  change.contact.fields = {{"shoe", "42"}};
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kNotFound,
                       "custom field 'SHOE' does not exist"));
  change.contact.fields = {{"AGE", "forty"}};
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument, "AGE"));
  change.contact.fields = {{"AGE", "1"}, {"%age%", "2"}};
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument, "AGE"));
  EXPECT_EQ(ContactCount(), 0);
}

TEST_P(ContactStoreConformance, RequiredFieldsAreNeededOnCreateAndCannotBeCleared) {
  MakeField("CITY", model::FieldType::kText, /*required=*/true);
  MakeField("NOTE", model::FieldType::kText);
  auto change = Change("a@x.example");
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument,
                       "custom field CITY is required"));
  change.contact.fields = {{"CITY", "   "}};
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument,
                       "custom field CITY is required"));
  EXPECT_EQ(ContactCount(), 0);
  change.contact.fields = {{"CITY", "Paris"}};
  ASSERT_TRUE(IsOk(store_->SaveContact(change)));

  // An update need not repeat the required value...
  auto update = Change("a@x.example");
  update.contact.fields = {{"NOTE", "hi"}};
  ASSERT_TRUE(IsOk(store_->SaveContact(update)));
  // ...but cannot clear it.
  update.contact.fields = {{"CITY", ""}, {"NOTE", "changed"}};
  EXPECT_TRUE(HasError(store_->SaveContact(update), ErrorCode::kInvalidArgument,
                       "custom field CITY is required"));
  CS_ASSERT_OK_AND_ASSIGN(Contact contact, store_->GetContact("a@x.example"));
  EXPECT_THAT(contact.fields, ::testing::ElementsAre(::testing::Pair("CITY", "Paris"),
                                                     ::testing::Pair("NOTE", "hi")));
}

TEST_P(ContactStoreConformance, AbsentValuesAreKeptAndEmptyValuesClear) {
  MakeField("CITY", model::FieldType::kText);
  auto change = Change("a@x.example");
  change.contact.first_name = "Ann";
  change.contact.last_name = "Lee";
  change.contact.fields = {{"CITY", "Paris"}};
  ASSERT_TRUE(IsOk(store_->SaveContact(change)));

  auto update = Change("a@x.example");
  update.contact.last_name = "";
  update.contact.fields = {{"CITY", ""}};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(update));
  EXPECT_THAT(outcome.changed_fields, ::testing::ElementsAre("last_name", "CITY"));
  EXPECT_EQ(outcome.contact.first_name, "Ann");
  EXPECT_EQ(outcome.contact.last_name, "");
  EXPECT_TRUE(outcome.contact.fields.empty());
}

TEST_P(ContactStoreConformance, IdenticalUpdateChangesNothing) {
  MakeField("CITY", model::FieldType::kText);
  auto change = Change("a@x.example");
  change.contact.first_name = "Ann";
  change.contact.fields = {{"CITY", "Paris"}};
  ASSERT_TRUE(IsOk(store_->SaveContact(change)));

  clock_.Advance(std::chrono::hours(1));
  change.contact.email = "A@X.example";
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome same, store_->SaveContact(change));
  EXPECT_FALSE(same.created);
  EXPECT_TRUE(same.changed_fields.empty());
  EXPECT_EQ(same.contact.updated_at, kStartText);
  EXPECT_EQ(same.contact.email, "a@x.example");

  change.contact.first_name = "Anne";
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome changed, store_->SaveContact(change));
  EXPECT_THAT(changed.changed_fields, ::testing::ElementsAre("first_name"));
  EXPECT_EQ(changed.contact.updated_at, "2026-01-01T01:00:00Z");
  EXPECT_EQ(changed.contact.created_at, kStartText);
}

TEST_P(ContactStoreConformance, UnknownContactIsNotFound) {
  EXPECT_TRUE(HasError(store_->GetContact("who@x.example"), ErrorCode::kNotFound,
                       "contact who@x.example does not exist"));
  EXPECT_TRUE(HasError(store_->DeleteContact("who@x.example"), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->GetHistory("who@x.example"), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->MarkBounced("who@x.example", Cause{}), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->GetContact("garbage"), ErrorCode::kNotFound));
}

TEST_P(ContactStoreConformance, DeleteContactRemovesEverythingOfIt) {
  MakeList("News");
  MakeField("CITY", model::FieldType::kText);
  auto change = Change("a@x.example", "News");
  change.contact.fields = {{"CITY", "Paris"}};
  ASSERT_TRUE(IsOk(store_->SaveContact(change)));
  ASSERT_TRUE(IsOk(store_->DeleteContact(" A@X.EXAMPLE ")));
  EXPECT_EQ(ContactCount(), 0);
  EXPECT_TRUE(HasError(store_->GetHistory("a@x.example"), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(ListInfo list, store_->GetList("News"));
  EXPECT_EQ(list.subscriber_count, 0);
  // Coming back is a new contact with nothing of the old one.
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome again, store_->SaveContact(Change("a@x.example")));
  EXPECT_TRUE(again.created);
  EXPECT_TRUE(again.contact.fields.empty());
  EXPECT_TRUE(again.contact.subscriptions.empty());
  EXPECT_EQ(HistorySize("a@x.example"), 0u);
}

// ---------------------------------------------------------------- subscriptions

TEST_P(ContactStoreConformance, FirstJoinWritesHistoryWithCause) {
  MakeList("News");
  auto change = Change("a@x.example", "News", Status::kUnconfirmed);
  change.cause = Cause{model::CauseKind::kSyncRun, "run-17"};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(change));
  EXPECT_TRUE(outcome.subscription_changed);
  EXPECT_FALSE(outcome.previous_status.has_value());
  ASSERT_EQ(outcome.contact.subscriptions.size(), 1u);
  const Subscription& s = outcome.contact.subscriptions[0];
  EXPECT_EQ(s.list_name, "News");
  EXPECT_EQ(s.status, Status::kUnconfirmed);
  EXPECT_EQ(s.changed_at, kStartText);
  EXPECT_EQ(s.cause.kind, model::CauseKind::kSyncRun);
  EXPECT_EQ(s.cause.detail, "run-17");

  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].list_name, "News");
  EXPECT_FALSE(history[0].from.has_value());
  EXPECT_EQ(history[0].to, Status::kUnconfirmed);
  EXPECT_EQ(history[0].cause.kind, model::CauseKind::kSyncRun);
  EXPECT_EQ(history[0].cause.detail, "run-17");
  EXPECT_EQ(history[0].at, kStartText);
}

TEST_P(ContactStoreConformance, SubscriptionsAreOrderedByListName) {
  MakeList("b");
  MakeList("a");
  ASSERT_TRUE(IsOk(Subscribe("x@x.example", "b")));
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, Subscribe("x@x.example", "a"));
  ASSERT_EQ(outcome.contact.subscriptions.size(), 2u);
  EXPECT_EQ(outcome.contact.subscriptions[0].list_name, "a");
  EXPECT_EQ(outcome.contact.subscriptions[1].list_name, "b");
}

TEST_P(ContactStoreConformance, UnknownListWritesNothing) {
  EXPECT_TRUE(HasError(Subscribe("a@x.example", "Nope"), ErrorCode::kNotFound,
                       "list 'Nope' does not exist"));
  EXPECT_EQ(ContactCount(), 0);
}

TEST_P(ContactStoreConformance, ActiveIsNeverDowngradedToUnconfirmed) {
  MakeList("News");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome,
                          Subscribe("a@x.example", "News", Status::kUnconfirmed));
  EXPECT_FALSE(outcome.subscription_changed);
  EXPECT_EQ(outcome.previous_status, Status::kActive);
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kActive);
  EXPECT_EQ(HistorySize("a@x.example"), 1u);
  // Not even by an explicit re-subscribe.
  CS_ASSERT_OK_AND_ASSIGN(
      ContactChangeOutcome again,
      Subscribe("a@x.example", "News", Status::kUnconfirmed, SubscribeMode::kResubscribe));
  EXPECT_FALSE(again.subscription_changed);
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kActive);
}

TEST_P(ContactStoreConformance, UnconfirmedBecomesActive) {
  MakeList("News");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News", Status::kUnconfirmed)));
  clock_.Advance(std::chrono::minutes(5));
  auto change = Change("a@x.example", "News");
  change.cause = Cause{model::CauseKind::kConfirmationLink, ""};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(change));
  EXPECT_TRUE(outcome.subscription_changed);
  EXPECT_EQ(outcome.previous_status, Status::kUnconfirmed);
  ASSERT_EQ(outcome.contact.subscriptions.size(), 1u);
  EXPECT_EQ(outcome.contact.subscriptions[0].status, Status::kActive);
  EXPECT_EQ(outcome.contact.subscriptions[0].changed_at, "2026-01-01T00:05:00Z");
  EXPECT_EQ(outcome.contact.subscriptions[0].cause.kind, model::CauseKind::kConfirmationLink);
  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].from, Status::kUnconfirmed);
  EXPECT_EQ(history[1].to, Status::kActive);
}

TEST_P(ContactStoreConformance, SameStatusChangesNothing) {
  MakeList("News");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  clock_.Advance(std::chrono::minutes(5));
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, Subscribe("a@x.example", "News"));
  EXPECT_FALSE(outcome.subscription_changed);
  EXPECT_EQ(outcome.previous_status, Status::kActive);
  EXPECT_EQ(outcome.contact.subscriptions[0].changed_at, kStartText);
  EXPECT_EQ(outcome.contact.updated_at, kStartText);
  EXPECT_EQ(HistorySize("a@x.example"), 1u);
}

TEST_P(ContactStoreConformance, UnsubscribedIsNotReactivatedWithoutResubscribe) {
  MakeList("News");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  ASSERT_TRUE(IsOk(
      store_->Unsubscribe("a@x.example", "News", Cause{model::CauseKind::kUnsubscribeLink, ""})));
  for (Status requested : {Status::kActive, Status::kUnconfirmed}) {
    EXPECT_TRUE(HasError(Subscribe("a@x.example", "News", requested),
                         ErrorCode::kFailedPrecondition,
                         "a@x.example unsubscribed from list 'News'; "));
  }
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kUnsubscribed);
  EXPECT_EQ(HistorySize("a@x.example"), 2u);

  auto change = Change("a@x.example", "News", Status::kActive, SubscribeMode::kResubscribe);
  change.cause = Cause{model::CauseKind::kUi, "contact asked by mail"};
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome, store_->SaveContact(change));
  EXPECT_TRUE(outcome.subscription_changed);
  EXPECT_EQ(outcome.previous_status, Status::kUnsubscribed);
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kActive);
  EXPECT_TRUE(outcome.contact.ever_unsubscribed);  // the flag is history, never cleared
  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].from, Status::kUnsubscribed);
  EXPECT_EQ(history[2].to, Status::kActive);
  EXPECT_EQ(history[2].cause.kind, model::CauseKind::kUi);
  EXPECT_EQ(history[2].cause.detail, "contact asked by mail");
}

TEST_P(ContactStoreConformance, BouncedIsNotReactivatedWithoutResubscribe) {
  MakeList("News");
  MakeList("Other");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  ASSERT_TRUE(IsOk(store_->MarkBounced("a@x.example", Cause{model::CauseKind::kBounce, "550"})));
  EXPECT_TRUE(HasError(Subscribe("a@x.example", "News"), ErrorCode::kFailedPrecondition,
                       "a@x.example bounced; it can only be re-subscribed at the contact's "
                       "request (resubscribe)"));
  // The flag is global: no other list takes the address either.
  EXPECT_TRUE(HasError(Subscribe("a@x.example", "Other", Status::kUnconfirmed),
                       ErrorCode::kFailedPrecondition, "bounced"));
  EXPECT_EQ(StatusOn("a@x.example", "Other"), std::nullopt);

  CS_ASSERT_OK_AND_ASSIGN(
      ContactChangeOutcome outcome,
      Subscribe("a@x.example", "News", Status::kActive, SubscribeMode::kResubscribe));
  EXPECT_TRUE(outcome.subscription_changed);
  EXPECT_EQ(outcome.previous_status, Status::kBounced);
  EXPECT_FALSE(outcome.contact.bounced);
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kActive);
  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].from, Status::kBounced);
  EXPECT_EQ(history[2].to, Status::kActive);
  EXPECT_EQ(history[2].cause.kind, model::CauseKind::kApi);
}

TEST_P(ContactStoreConformance, RequestingUnsubscribedRecordsIt) {
  MakeList("News");
  CS_ASSERT_OK_AND_ASSIGN(ContactChangeOutcome outcome,
                          Subscribe("a@x.example", "News", Status::kUnsubscribed));
  EXPECT_TRUE(outcome.subscription_changed);
  EXPECT_TRUE(outcome.contact.ever_unsubscribed);
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kUnsubscribed);
  EXPECT_EQ(HistorySize("a@x.example"), 1u);
}

TEST_P(ContactStoreConformance, RequestingBouncedIsInvalid) {
  MakeList("News");
  EXPECT_TRUE(
      HasError(Subscribe("a@x.example", "News", Status::kBounced), ErrorCode::kInvalidArgument));
  EXPECT_EQ(ContactCount(), 0);
}

TEST_P(ContactStoreConformance, Unsubscribe) {
  MakeList("News");
  MakeList("Other");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  EXPECT_TRUE(HasError(store_->Unsubscribe("b@x.example", "News", Cause{}), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->Unsubscribe("a@x.example", "Nope", Cause{}), ErrorCode::kNotFound,
                       "list 'Nope' does not exist"));
  EXPECT_TRUE(HasError(store_->Unsubscribe("a@x.example", "Other", Cause{}), ErrorCode::kNotFound));

  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(IsOk(store_->Unsubscribe("A@X.example", "News",
                                       Cause{model::CauseKind::kUnsubscribeLink, "mail-9"})));
  CS_ASSERT_OK_AND_ASSIGN(Contact contact, store_->GetContact("a@x.example"));
  EXPECT_TRUE(contact.ever_unsubscribed);
  ASSERT_EQ(contact.subscriptions.size(), 1u);
  EXPECT_EQ(contact.subscriptions[0].status, Status::kUnsubscribed);
  EXPECT_EQ(contact.subscriptions[0].changed_at, "2026-01-01T00:00:30Z");
  EXPECT_EQ(contact.subscriptions[0].cause.kind, model::CauseKind::kUnsubscribeLink);
  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].from, Status::kActive);
  EXPECT_EQ(history[1].to, Status::kUnsubscribed);
  EXPECT_EQ(history[1].cause.detail, "mail-9");

  // Again: nothing new.
  ASSERT_TRUE(IsOk(store_->Unsubscribe("a@x.example", "News", Cause{})));
  EXPECT_EQ(HistorySize("a@x.example"), 2u);
}

TEST_P(ContactStoreConformance, MarkBouncedBouncesMailableSubscriptions) {
  MakeList("A");
  MakeList("B");
  MakeList("C");
  ASSERT_TRUE(IsOk(Subscribe("x@x.example", "A")));
  ASSERT_TRUE(IsOk(Subscribe("x@x.example", "B", Status::kUnconfirmed)));
  ASSERT_TRUE(IsOk(Subscribe("x@x.example", "C", Status::kUnsubscribed)));
  ASSERT_TRUE(IsOk(store_->MarkBounced("X@x.example", Cause{model::CauseKind::kBounce, "5.1.1"})));
  CS_ASSERT_OK_AND_ASSIGN(Contact contact, store_->GetContact("x@x.example"));
  EXPECT_TRUE(contact.bounced);
  ASSERT_EQ(contact.subscriptions.size(), 3u);
  EXPECT_EQ(contact.subscriptions[0].status, Status::kBounced);
  EXPECT_EQ(contact.subscriptions[1].status, Status::kBounced);
  EXPECT_EQ(contact.subscriptions[2].status, Status::kUnsubscribed);
  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("x@x.example"));
  ASSERT_EQ(history.size(), 5u);
  EXPECT_EQ(history[3].list_name, "A");
  EXPECT_EQ(history[3].from, Status::kActive);
  EXPECT_EQ(history[3].to, Status::kBounced);
  EXPECT_EQ(history[3].cause.kind, model::CauseKind::kBounce);
  EXPECT_EQ(history[4].list_name, "B");
  EXPECT_EQ(history[4].from, Status::kUnconfirmed);
  // Idempotent.
  ASSERT_TRUE(IsOk(store_->MarkBounced("x@x.example", Cause{model::CauseKind::kBounce, ""})));
  EXPECT_EQ(HistorySize("x@x.example"), 5u);
}

// ---------------------------------------------------------------- finding

TEST_P(ContactStoreConformance, FindContactsFiltersAndPages) {
  MakeList("News");
  MakeList("Other");
  auto named = [&](std::string email, std::string first, std::string last) {
    auto change = Change(std::move(email));
    change.contact.first_name = std::move(first);
    change.contact.last_name = std::move(last);
    return store_->SaveContact(change);
  };
  ASSERT_TRUE(IsOk(named("Carol@x.example", "Carol", "Smith")));
  ASSERT_TRUE(IsOk(named("alice@x.example", "Alice", "Jones")));
  ASSERT_TRUE(IsOk(named("bob@y.example", "Bob", "SMITHERS")));
  ASSERT_TRUE(IsOk(named("dave@y.example", "Dave", "Brown")));
  ASSERT_TRUE(IsOk(Subscribe("alice@x.example", "News")));
  ASSERT_TRUE(IsOk(Subscribe("bob@y.example", "News", Status::kUnconfirmed)));
  ASSERT_TRUE(IsOk(Subscribe("carol@x.example", "Other", Status::kUnconfirmed)));

  const auto emails = [](const ContactPage& page) {
    std::vector<std::string> out;
    for (const Contact& c : page.contacts) out.push_back(c.email);
    return out;
  };
  CS_ASSERT_OK_AND_ASSIGN(ContactPage all, store_->FindContacts(ContactFilter{}));
  EXPECT_EQ(all.total, 4);
  EXPECT_THAT(emails(all), ::testing::ElementsAre("alice@x.example", "bob@y.example",
                                                  "Carol@x.example", "dave@y.example"));

  CS_ASSERT_OK_AND_ASSIGN(ContactPage smith, store_->FindContacts(Search("smith")));
  EXPECT_THAT(emails(smith), ::testing::ElementsAre("bob@y.example", "Carol@x.example"));
  CS_ASSERT_OK_AND_ASSIGN(ContactPage by_mail, store_->FindContacts(Search("Y.EXAMPLE")));
  EXPECT_EQ(by_mail.total, 2);

  CS_ASSERT_OK_AND_ASSIGN(ContactPage news, store_->FindContacts(Filter("News")));
  EXPECT_THAT(emails(news), ::testing::ElementsAre("alice@x.example", "bob@y.example"));
  CS_ASSERT_OK_AND_ASSIGN(ContactPage news_unconfirmed,
                          store_->FindContacts(Filter("News", Status::kUnconfirmed)));
  EXPECT_THAT(emails(news_unconfirmed), ::testing::ElementsAre("bob@y.example"));
  CS_ASSERT_OK_AND_ASSIGN(ContactPage any_unconfirmed,
                          store_->FindContacts(Filter(std::nullopt, Status::kUnconfirmed)));
  EXPECT_THAT(emails(any_unconfirmed), ::testing::ElementsAre("bob@y.example", "Carol@x.example"));
  CS_ASSERT_OK_AND_ASSIGN(ContactPage combined,
                          store_->FindContacts(Filter("News", std::nullopt, "jones")));
  EXPECT_THAT(emails(combined), ::testing::ElementsAre("alice@x.example"));

  CS_ASSERT_OK_AND_ASSIGN(ContactPage page2, store_->FindContacts(Paged(2, 2)));
  EXPECT_EQ(page2.total, 4);
  EXPECT_THAT(emails(page2), ::testing::ElementsAre("Carol@x.example", "dave@y.example"));
  CS_ASSERT_OK_AND_ASSIGN(ContactPage past_end, store_->FindContacts(Paged(2, 10)));
  EXPECT_EQ(past_end.total, 4);
  EXPECT_TRUE(past_end.contacts.empty());

  // Contacts come fully populated.
  ASSERT_FALSE(news.contacts.empty());
  ASSERT_EQ(news.contacts[0].subscriptions.size(), 1u);
  EXPECT_EQ(news.contacts[0].first_name, "Alice");
  EXPECT_EQ(news.contacts[0].subscriptions[0].list_name, "News");
}

TEST_P(ContactStoreConformance, FindContactsTakesWildcardsLiterally) {
  auto named = [&](std::string email, std::string first) {
    auto change = Change(std::move(email));
    change.contact.first_name = std::move(first);
    return store_->SaveContact(change);
  };
  ASSERT_TRUE(IsOk(named("a@x.example", "100% pure")));
  ASSERT_TRUE(IsOk(named("b@x.example", "1000 pure")));
  ASSERT_TRUE(IsOk(named("under_score@x.example", "")));
  ASSERT_TRUE(IsOk(named("underXscore@x.example", "back\\slash")));
  CS_ASSERT_OK_AND_ASSIGN(ContactPage percent, store_->FindContacts(Search("0%")));
  ASSERT_EQ(percent.total, 1);
  EXPECT_EQ(percent.contacts[0].email, "a@x.example");
  CS_ASSERT_OK_AND_ASSIGN(ContactPage underscore, store_->FindContacts(Search("r_s")));
  ASSERT_EQ(underscore.total, 1);
  EXPECT_EQ(underscore.contacts[0].email, "under_score@x.example");
  CS_ASSERT_OK_AND_ASSIGN(ContactPage backslash, store_->FindContacts(Search("k\\s")));
  EXPECT_EQ(backslash.total, 1);
  CS_ASSERT_OK_AND_ASSIGN(ContactPage quote, store_->FindContacts(Search("' OR 1=1 --")));
  EXPECT_EQ(quote.total, 0);
}

// Issue 12: searching a full name ("vera mccoy") found nothing, since the
// whole text had to stand in one column.
TEST_P(ContactStoreConformance, FindContactsMatchesEveryWordOfAFullName) {
  auto named = [&](std::string email, std::string first, std::string last) {
    auto change = Change(std::move(email));
    change.contact.first_name = std::move(first);
    change.contact.last_name = std::move(last);
    return store_->SaveContact(change);
  };
  ASSERT_TRUE(IsOk(named("vera@x.example", "Vera", "McCoy")));
  ASSERT_TRUE(IsOk(named("vmc@y.example", "Vera", "Lynn")));
  ASSERT_TRUE(IsOk(named("ann@x.example", "Ann", "McCoy")));
  ASSERT_TRUE(IsOk(named("100%_off@x.example", "Sale", "Bot")));
  ASSERT_TRUE(IsOk(named("1000xoff@x.example", "Sale", "Bot")));
  const auto emails = [&](std::string search) {
    std::vector<std::string> out;
    auto page = store_->FindContacts(Search(std::move(search)));
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const Contact& c : page->contacts) out.push_back(c.email);
    }
    return out;
  };
  EXPECT_THAT(emails("vera mccoy"), ::testing::ElementsAre("vera@x.example"));
  EXPECT_THAT(emails("  MCCOY\tVera "), ::testing::ElementsAre("vera@x.example"));
  EXPECT_THAT(emails("vera x.example"), ::testing::ElementsAre("vera@x.example"));
  EXPECT_THAT(emails("mccoy"), ::testing::ElementsAre("ann@x.example", "vera@x.example"));
  EXPECT_THAT(emails("vera nobody"), ::testing::IsEmpty());
  // The user's % and _ stay literal in every word.
  EXPECT_THAT(emails("sale 0%_"), ::testing::ElementsAre("100%_off@x.example"));
  EXPECT_THAT(emails("bot %"), ::testing::ElementsAre("100%_off@x.example"));
  EXPECT_THAT(emails("bot _off"), ::testing::ElementsAre("100%_off@x.example"));
  EXPECT_TRUE(HasError(store_->FindContacts(Search("a b c d e f g h i")),
                       ErrorCode::kInvalidArgument, "search text has 9 words; use at most 8"));
}

TEST_P(ContactStoreConformance, FindContactsValidatesItsFilter) {
  EXPECT_TRUE(HasError(store_->FindContacts(Paged(0)), ErrorCode::kInvalidArgument, "limit"));
  EXPECT_TRUE(HasError(store_->FindContacts(Paged(1001)), ErrorCode::kInvalidArgument, "limit"));
  EXPECT_TRUE(
      HasError(store_->FindContacts(Paged(100, -1)), ErrorCode::kInvalidArgument, "offset"));
  EXPECT_TRUE(HasError(store_->FindContacts(Filter("Nope")), ErrorCode::kNotFound,
                       "list 'Nope' does not exist"));
  EXPECT_TRUE(IsOk(store_->FindContacts(Paged(1000))));
}

// ---------------------------------------------------------------- hostile input

TEST_P(ContactStoreConformance, HostileTextIsStoredByteForByte) {
  const std::vector<std::string> names = {
      "O'Brien \"Bob\"",
      "Robert'); DROP TABLE contacts;--",
      "\xF0\x9F\x98\x80 smile",                        // emoji
      "\xE2\x80\x8F\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",  // right-to-left mark + Hebrew
      "%_\\ wild",
  };
  MakeField("NOTE", model::FieldType::kTextarea);
  int n = 0;
  for (const std::string& name : names) {
    const std::string email = "hostile" + std::to_string(n++) + "@x.example";
    MakeList(name);
    auto change = Change(email, name);
    change.contact.first_name = name;
    change.contact.last_name = name;
    change.contact.fields = {{"NOTE", name + "\nline two"}};
    ASSERT_TRUE(IsOk(store_->SaveContact(change)));
    CS_ASSERT_OK_AND_ASSIGN(Contact contact, store_->GetContact(email));
    EXPECT_EQ(contact.first_name, name);
    EXPECT_EQ(contact.last_name, name);
    EXPECT_EQ(contact.fields["NOTE"], name + "\nline two");
    ASSERT_EQ(contact.subscriptions.size(), 1u);
    EXPECT_EQ(contact.subscriptions[0].list_name, name);
    CS_ASSERT_OK_AND_ASSIGN(ListInfo list, store_->GetList(name));
    EXPECT_EQ(list.name, name);
    EXPECT_EQ(list.subscriber_count, 1);
    CS_ASSERT_OK_AND_ASSIGN(ContactPage found, store_->FindContacts(Search(name)));
    EXPECT_EQ(found.total, 1) << name;
  }
  EXPECT_EQ(ContactCount(), static_cast<int64_t>(names.size()));
  CS_ASSERT_OK_AND_ASSIGN(auto lists, store_->GetLists());
  EXPECT_EQ(lists.size(), names.size());
}

TEST_P(ContactStoreConformance, InvalidBytesAndHugeValuesAreRefusedAndNothingIsWritten) {
  MakeList("News");
  MakeField("NOTE", model::FieldType::kTextarea);
  MakeField("CITY", model::FieldType::kText);
  const std::string huge(1 << 20, 'a');
  std::vector<ContactChange> bad;
  for (const std::string& value : {std::string("bad\xff\xfe"), std::string("nul\0in", 6), huge}) {
    auto first = Change("a@x.example", "News");
    first.contact.first_name = value;
    bad.push_back(first);
    auto phone = Change("a@x.example", "News");
    phone.contact.phone = value;
    bad.push_back(phone);
    auto note = Change("a@x.example", "News");
    note.contact.fields = {{"NOTE", value}};
    bad.push_back(note);
    auto city = Change("a@x.example", "News");
    city.contact.fields = {{"CITY", value}};
    bad.push_back(city);
  }
  auto bad_email = Change("a\xff@x.example", "News");
  bad.push_back(bad_email);
  for (const ContactChange& change : bad) {
    EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kInvalidArgument));
  }
  EXPECT_EQ(ContactCount(), 0);
  CS_ASSERT_OK_AND_ASSIGN(ListInfo list, store_->GetList("News"));
  EXPECT_EQ(list.subscriber_count, 0);
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed(huge)), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("x", "", huge)), ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(auto lists, store_->GetLists());
  EXPECT_EQ(lists.size(), 1u);
}

}  // namespace contactsync::store::testing
