#pragma once

// The behaviour every ListStore must have (list_store.h, docs/spec.md §1):
// lists, custom fields and exclusion entries, and how they bind contacts.
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

class ListStoreConformance : public StoreConformance {};

// ---------------------------------------------------------------- lists

TEST_P(ListStoreConformance, CreatesAndReadsAList) {
  CS_ASSERT_OK_AND_ASSIGN(ListInfo created,
                          store_->CreateList(NewList{.name = "News",
                                                     .sender_name = "Ann's Shop",
                                                     .sender_email = " Ann@Shop.example ",
                                                     .description = "weekly\nnews"}));
  EXPECT_GT(created.id, 0);
  CS_ASSERT_OK_AND_ASSIGN(ListInfo read, store_->GetList("News"));
  EXPECT_EQ(read.id, created.id);
  EXPECT_EQ(read.name, "News");
  EXPECT_EQ(read.sender_name, "Ann's Shop");
  EXPECT_EQ(read.sender_email, "Ann@Shop.example");
  EXPECT_EQ(read.description, "weekly\nnews");
  EXPECT_EQ(read.created_at, kStartText);
  EXPECT_EQ(read.subscriber_count, 0);
}

TEST_P(ListStoreConformance, ListNamesAreUniqueAndCaseSensitive) {
  MakeList("News");
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("News")), ErrorCode::kAlreadyExists,
                       "a list named 'News' already exists"));
  EXPECT_TRUE(IsOk(store_->CreateList(ListNamed("news"))));
  CS_ASSERT_OK_AND_ASSIGN(auto lists, store_->GetLists());
  EXPECT_EQ(lists.size(), 2u);
}

TEST_P(ListStoreConformance, RefusesBadListInput) {
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("  ")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(
      HasError(store_->CreateList(ListNamed(std::string(256, 'a'))), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("a\tb")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("a\xc2\x85"
                                                    "b")),
                       ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("bad\xff")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(
      HasError(store_->CreateList(ListNamed("L", "not an address")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateList(ListNamed("L", "", std::string(4097, 'd'))),
                       ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(auto lists, store_->GetLists());
  EXPECT_TRUE(lists.empty());
  EXPECT_TRUE(IsOk(store_->CreateList(ListNamed(std::string(255, 'a')))));
}

TEST_P(ListStoreConformance, GetListsIsOrderedByName) {
  MakeList("b");
  MakeList("C");
  MakeList("a");
  CS_ASSERT_OK_AND_ASSIGN(auto lists, store_->GetLists());
  ASSERT_EQ(lists.size(), 3u);
  EXPECT_EQ(lists[0].name, "C");  // byte order: upper case first
  EXPECT_EQ(lists[1].name, "a");
  EXPECT_EQ(lists[2].name, "b");
}

TEST_P(ListStoreConformance, UnknownListIsNotFound) {
  EXPECT_TRUE(
      HasError(store_->GetList("Nope"), ErrorCode::kNotFound, "list 'Nope' does not exist"));
  EXPECT_TRUE(
      HasError(store_->DeleteList("Nope"), ErrorCode::kNotFound, "list 'Nope' does not exist"));
}

TEST_P(ListStoreConformance, SubscriberCountCountsEveryStatus) {
  MakeList("News");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  ASSERT_TRUE(IsOk(Subscribe("b@x.example", "News", Status::kUnconfirmed)));
  ASSERT_TRUE(IsOk(Subscribe("c@x.example", "News", Status::kUnsubscribed)));
  ASSERT_TRUE(IsOk(store_->SaveContact(Change("d@x.example"))));
  CS_ASSERT_OK_AND_ASSIGN(ListInfo list, store_->GetList("News"));
  EXPECT_EQ(list.subscriber_count, 3);
  CS_ASSERT_OK_AND_ASSIGN(auto lists, store_->GetLists());
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].subscriber_count, 3);
}

TEST_P(ListStoreConformance, DeleteListRemovesSubscriptionsAndScopedExclusions) {
  MakeList("News");
  MakeList("Other");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News")));
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "Other")));
  ASSERT_TRUE(IsOk(store_->AddExclusion("*@spam.example", "News")));
  ASSERT_TRUE(IsOk(store_->AddExclusion("*@other.example", "Other")));
  ASSERT_TRUE(IsOk(store_->AddExclusion("*@all.example", std::nullopt)));

  ASSERT_TRUE(IsOk(store_->DeleteList("News")));
  EXPECT_TRUE(HasError(store_->GetList("News"), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(Contact contact, store_->GetContact("a@x.example"));
  ASSERT_EQ(contact.subscriptions.size(), 1u);
  EXPECT_EQ(contact.subscriptions[0].list_name, "Other");
  CS_ASSERT_OK_AND_ASSIGN(auto exclusions, store_->GetExclusions(std::nullopt));
  std::vector<std::string> patterns;
  for (const auto& e : exclusions) patterns.push_back(e.pattern);
  EXPECT_THAT(patterns, ::testing::UnorderedElementsAre("*@other.example", "*@all.example"));
  // The history keeps the deleted list's name.
  CS_ASSERT_OK_AND_ASSIGN(auto history, store_->GetHistory("a@x.example"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].list_name, "News");

  // A new list with the old name starts empty.
  MakeList("News");
  CS_ASSERT_OK_AND_ASSIGN(ListInfo fresh, store_->GetList("News"));
  EXPECT_EQ(fresh.subscriber_count, 0);
}

// ---------------------------------------------------------------- fields

TEST_P(ListStoreConformance, CreatesFieldsWithCanonicalKeysAndOrderedOptions) {
  CS_ASSERT_OK_AND_ASSIGN(CustomField field, store_->CreateField(model::FieldDefinition{
                                                 .key = "%colour%",
                                                 .label = "Colour",
                                                 .type = model::FieldType::kCheckbox,
                                                 .options = {"red", "green", "blue", "amber"},
                                                 .required = true}));
  EXPECT_GT(field.id, 0);
  EXPECT_EQ(field.definition.key, "COLOUR");
  MakeField("AGE", model::FieldType::kNumber);
  CS_ASSERT_OK_AND_ASSIGN(auto fields, store_->GetFields());
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].definition.key, "AGE");
  EXPECT_EQ(fields[1].definition.key, "COLOUR");
  EXPECT_EQ(fields[1].id, field.id);
  EXPECT_EQ(fields[1].definition.label, "Colour");
  EXPECT_EQ(fields[1].definition.type, model::FieldType::kCheckbox);
  EXPECT_THAT(fields[1].definition.options,
              ::testing::ElementsAre("red", "green", "blue", "amber"));
  EXPECT_TRUE(fields[1].definition.required);
  EXPECT_FALSE(fields[0].definition.required);
}

TEST_P(ListStoreConformance, FieldKeysAreUniqueCaseInsensitively) {
  MakeField("CITY", model::FieldType::kText);
  EXPECT_TRUE(
      HasError(store_->CreateField(FieldNamed("city", "x")), ErrorCode::kAlreadyExists, "CITY"));
}

TEST_P(ListStoreConformance, RefusesInvalidFieldDefinitions) {
  EXPECT_TRUE(HasError(store_->CreateField(FieldNamed("EMAIL", "x")), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateField(FieldNamed("PICK", "x", model::FieldType::kDropdown)),
                       ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(auto fields, store_->GetFields());
  EXPECT_TRUE(fields.empty());
}

TEST_P(ListStoreConformance, DeleteFieldRemovesItsValues) {
  MakeField("CITY", model::FieldType::kText);
  MakeField("TOWN", model::FieldType::kText);
  auto change = Change("a@x.example");
  change.contact.fields = {{"CITY", "Paris"}, {"TOWN", "Lyon"}};
  ASSERT_TRUE(IsOk(store_->SaveContact(change)));
  ASSERT_TRUE(IsOk(store_->DeleteField("%city%")));
  CS_ASSERT_OK_AND_ASSIGN(Contact contact, store_->GetContact("a@x.example"));
  EXPECT_THAT(contact.fields, ::testing::ElementsAre(::testing::Pair("TOWN", "Lyon")));
  EXPECT_TRUE(HasError(store_->DeleteField("CITY"), ErrorCode::kNotFound,
                       "custom field 'CITY' does not exist"));
  // A field of the same key created again has no stale values.
  MakeField("CITY", model::FieldType::kText);
  CS_ASSERT_OK_AND_ASSIGN(Contact again, store_->GetContact("a@x.example"));
  EXPECT_EQ(again.fields.count("CITY"), 0u);
}

// ---------------------------------------------------------------- exclusions

TEST_P(ListStoreConformance, ExcludedAddressIsRefusedAndNothingIsWritten) {
  MakeList("News");
  MakeList("Other");
  MakeField("CITY", model::FieldType::kText);
  ASSERT_TRUE(IsOk(store_->AddExclusion("*@Spam.example", "News")));
  auto change = Change("Bob@spam.example", "News");
  change.contact.fields = {{"CITY", "Paris"}};
  EXPECT_TRUE(
      HasError(store_->SaveContact(change), ErrorCode::kFailedPrecondition,
               "Bob@spam.example is excluded from list 'News' by pattern '*@spam.example'"));
  change.mode = SubscribeMode::kResubscribe;
  EXPECT_TRUE(HasError(store_->SaveContact(change), ErrorCode::kFailedPrecondition, "excluded"));
  EXPECT_EQ(ContactCount(), 0);
  // Another list is not covered by a list-scoped entry.
  change.list = "Other";
  EXPECT_TRUE(IsOk(store_->SaveContact(change)));
}

TEST_P(ListStoreConformance, GlobalExclusionCoversEveryList) {
  MakeList("News");
  ASSERT_TRUE(IsOk(store_->SaveContact(Change("test1@x.example"))));
  CS_ASSERT_OK_AND_ASSIGN(Exclusion entry, store_->AddExclusion("test*@*", std::nullopt));
  EXPECT_TRUE(HasError(Subscribe("TEST1@x.example", "News", Status::kUnconfirmed),
                       ErrorCode::kFailedPrecondition, "by pattern 'test*@*'"));
  EXPECT_EQ(StatusOn("test1@x.example", "News"), std::nullopt);
  EXPECT_EQ(HistorySize("test1@x.example"), 0u);
  // Removing the entry lets the address in.
  ASSERT_TRUE(IsOk(store_->RemoveExclusion(entry.id)));
  EXPECT_TRUE(IsOk(Subscribe("test1@x.example", "News")));
  EXPECT_EQ(StatusOn("test1@x.example", "News"), Status::kActive);
}

TEST_P(ListStoreConformance, ExclusionKeepsExistingSubscriptionsButStopsNewOnes) {
  MakeList("News");
  ASSERT_TRUE(IsOk(Subscribe("a@x.example", "News", Status::kUnconfirmed)));
  ASSERT_TRUE(IsOk(store_->AddExclusion("a@x.example", "News")));
  // Re-sending the same status changes nothing, so it is not refused...
  EXPECT_TRUE(IsOk(Subscribe("a@x.example", "News", Status::kUnconfirmed)));
  // ...but confirming would make it mailable anew...
  EXPECT_TRUE(
      HasError(Subscribe("a@x.example", "News"), ErrorCode::kFailedPrecondition, "excluded"));
  // ...and leaving is always allowed.
  EXPECT_TRUE(IsOk(store_->Unsubscribe("a@x.example", "News", Cause{})));
  EXPECT_TRUE(
      HasError(Subscribe("a@x.example", "News", Status::kActive, SubscribeMode::kResubscribe),
               ErrorCode::kFailedPrecondition, "excluded"));
  EXPECT_EQ(StatusOn("a@x.example", "News"), Status::kUnsubscribed);
}

TEST_P(ListStoreConformance, AddsAndListsExclusions) {
  MakeList("News");
  MakeList("Other");
  CS_ASSERT_OK_AND_ASSIGN(Exclusion global,
                          store_->AddExclusion("  **@Example.COM ", std::nullopt));
  EXPECT_EQ(global.pattern, "*@example.com");
  EXPECT_FALSE(global.list_name.has_value());
  EXPECT_EQ(global.created_at, kStartText);
  CS_ASSERT_OK_AND_ASSIGN(Exclusion scoped, store_->AddExclusion("*@example.com", "News"));
  EXPECT_EQ(scoped.list_name, "News");
  ASSERT_TRUE(IsOk(store_->AddExclusion("x@y.example", "Other")));

  EXPECT_TRUE(
      HasError(store_->AddExclusion("*@EXAMPLE.com", std::nullopt), ErrorCode::kAlreadyExists));
  EXPECT_TRUE(HasError(store_->AddExclusion("*@example.com", "News"), ErrorCode::kAlreadyExists));
  EXPECT_TRUE(
      HasError(store_->AddExclusion("no-at-sign", std::nullopt), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->AddExclusion("a@b.example", "Nope"), ErrorCode::kNotFound,
                       "list 'Nope' does not exist"));

  CS_ASSERT_OK_AND_ASSIGN(auto all, store_->GetExclusions(std::nullopt));
  EXPECT_EQ(all.size(), 3u);
  CS_ASSERT_OK_AND_ASSIGN(auto for_news, store_->GetExclusions("News"));
  ASSERT_EQ(for_news.size(), 2u);
  EXPECT_EQ(for_news[0].id, global.id);
  EXPECT_EQ(for_news[1].id, scoped.id);
  EXPECT_TRUE(HasError(store_->GetExclusions("Nope"), ErrorCode::kNotFound));

  EXPECT_TRUE(HasError(store_->RemoveExclusion(global.id + 1000), ErrorCode::kNotFound));
  ASSERT_TRUE(IsOk(store_->RemoveExclusion(global.id)));
  EXPECT_TRUE(HasError(store_->RemoveExclusion(global.id), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(auto after, store_->GetExclusions(std::nullopt));
  EXPECT_EQ(after.size(), 2u);
}

TEST_P(ListStoreConformance, FindExclusion) {
  MakeList("News");
  MakeList("Other");
  ASSERT_TRUE(IsOk(store_->AddExclusion("*@other.example", "Other")));
  CS_ASSERT_OK_AND_ASSIGN(Exclusion global, store_->AddExclusion("bad*@*", std::nullopt));
  CS_ASSERT_OK_AND_ASSIGN(auto none, store_->FindExclusion("a@other.example", "News"));
  EXPECT_FALSE(none.has_value());
  CS_ASSERT_OK_AND_ASSIGN(auto scoped, store_->FindExclusion("A@Other.example", "Other"));
  ASSERT_TRUE(scoped.has_value());
  EXPECT_EQ(scoped->pattern, "*@other.example");
  EXPECT_EQ(scoped->list_name, "Other");
  CS_ASSERT_OK_AND_ASSIGN(auto by_global, store_->FindExclusion(" BadGuy@x.example", "News"));
  ASSERT_TRUE(by_global.has_value());
  EXPECT_EQ(by_global->id, global.id);
  EXPECT_FALSE(by_global->list_name.has_value());
  EXPECT_TRUE(HasError(store_->FindExclusion("a@x.example", "Nope"), ErrorCode::kNotFound));
}

}  // namespace contactsync::store::testing
