#include "store/store_rules.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace contactsync::store {
namespace {

using base::ErrorCode;
using testing::HasError;
using testing::IsOk;
using testing::ListNamed;
using S = SubscriptionStatus;

SubscriptionRequest Request(std::optional<S> current, S requested,
                            SubscribeMode mode = SubscribeMode::kNormal, bool bounced = false) {
  return SubscriptionRequest{.email = "a@x.example",
                             .list_name = "News",
                             .contact_bounced = bounced,
                             .current = current,
                             .requested = requested,
                             .mode = mode};
}

// One row per (current, requested, mode): what the store must do.
TEST(DecideSubscriptionTest, StateMachine) {
  struct Case {
    std::optional<S> current;
    S requested;
    SubscribeMode mode;
    S status;
    bool changed;
    bool check_exclusions;
  };
  constexpr auto kN = SubscribeMode::kNormal;
  constexpr auto kR = SubscribeMode::kResubscribe;
  const Case cases[] = {
      {std::nullopt, S::kActive, kN, S::kActive, true, true},
      {std::nullopt, S::kUnconfirmed, kN, S::kUnconfirmed, true, true},
      {std::nullopt, S::kUnsubscribed, kN, S::kUnsubscribed, true, false},
      {S::kActive, S::kActive, kN, S::kActive, false, false},
      {S::kActive, S::kUnconfirmed, kN, S::kActive, false, false},
      {S::kActive, S::kUnconfirmed, kR, S::kActive, false, false},
      {S::kUnconfirmed, S::kActive, kN, S::kActive, true, true},
      {S::kUnconfirmed, S::kUnconfirmed, kN, S::kUnconfirmed, false, false},
      {S::kActive, S::kUnsubscribed, kN, S::kUnsubscribed, true, false},
      {S::kUnsubscribed, S::kUnsubscribed, kN, S::kUnsubscribed, false, false},
      {S::kUnsubscribed, S::kActive, kR, S::kActive, true, true},
      {S::kUnsubscribed, S::kUnconfirmed, kR, S::kUnconfirmed, true, true},
      {S::kBounced, S::kActive, kR, S::kActive, true, true},
      {S::kBounced, S::kUnsubscribed, kN, S::kUnsubscribed, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "current " << (c.current ? model::SubscriptionStatusName(*c.current) : "none")
                 << " requested " << model::SubscriptionStatusName(c.requested) << " mode "
                 << static_cast<int>(c.mode));
    CS_ASSERT_OK_AND_ASSIGN(SubscriptionDecision d,
                            DecideSubscription(Request(c.current, c.requested, c.mode)));
    EXPECT_EQ(d.status, c.status);
    EXPECT_EQ(d.changed, c.changed);
    EXPECT_EQ(d.check_exclusions, c.check_exclusions);
    EXPECT_FALSE(d.clear_bounced);
    EXPECT_EQ(d.set_ever_unsubscribed, c.requested == S::kUnsubscribed);
  }
}

TEST(DecideSubscriptionTest, RefusesWithoutResubscribe) {
  for (S requested : {S::kActive, S::kUnconfirmed}) {
    EXPECT_TRUE(HasError(DecideSubscription(Request(S::kUnsubscribed, requested)),
                         ErrorCode::kFailedPrecondition,
                         "a@x.example unsubscribed from list 'News'; it can only be re-subscribed "
                         "at the contact's request (resubscribe)"));
    EXPECT_TRUE(HasError(DecideSubscription(Request(S::kBounced, requested)),
                         ErrorCode::kFailedPrecondition, "a@x.example bounced on list 'News'"));
    EXPECT_TRUE(
        HasError(DecideSubscription(Request(std::nullopt, requested, SubscribeMode::kNormal, true)),
                 ErrorCode::kFailedPrecondition,
                 "a@x.example bounced; it can only be re-subscribed at the contact's request "
                 "(resubscribe)"));
  }
}

TEST(DecideSubscriptionTest, ResubscribeLiftsTheBouncedFlag) {
  CS_ASSERT_OK_AND_ASSIGN(
      SubscriptionDecision d,
      DecideSubscription(Request(std::nullopt, S::kActive, SubscribeMode::kResubscribe, true)));
  EXPECT_TRUE(d.clear_bounced);
  EXPECT_EQ(d.status, S::kActive);
  // Unsubscribing a bounced contact is no request to mail it: the flag stays.
  CS_ASSERT_OK_AND_ASSIGN(SubscriptionDecision leave,
                          DecideSubscription(Request(S::kBounced, S::kUnsubscribed,
                                                     SubscribeMode::kResubscribe, true)));
  EXPECT_FALSE(leave.clear_bounced);
}

TEST(DecideSubscriptionTest, BouncedCannotBeRequested) {
  for (auto mode : {SubscribeMode::kNormal, SubscribeMode::kResubscribe}) {
    EXPECT_TRUE(HasError(DecideSubscription(Request(std::nullopt, S::kBounced, mode)),
                         ErrorCode::kInvalidArgument, "MarkBounced"));
  }
}

TEST(StoreRulesTest, CanonicalFieldKey) {
  EXPECT_EQ(CanonicalFieldKey("city"), "CITY");
  EXPECT_EQ(CanonicalFieldKey(" %City_2% "), "CITY_2");
  EXPECT_EQ(CanonicalFieldKey("%"), "%");
  EXPECT_EQ(CanonicalFieldKey("%%"), "");
}

TEST(StoreRulesTest, LookupEmailKey) {
  EXPECT_EQ(LookupEmailKey("  Ann@Example.COM\t"), "ann@example.com");
  EXPECT_EQ(LookupEmailKey("not an address"), "not an address");
}

TEST(StoreRulesTest, LikeSubstringPatternEscapesWildcards) {
  EXPECT_EQ(LikeSubstringPattern("abc"), "%abc%");
  EXPECT_EQ(LikeSubstringPattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
  EXPECT_EQ(LikeSubstringPattern(""), "%%");
}

TEST(StoreRulesTest, SearchWordsSplitOnWhiteSpace) {
  CS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> words, SearchWords("  vera \t McCoy\n"));
  EXPECT_EQ(words, (std::vector<std::string>{"vera", "McCoy"}));
  CS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> none, SearchWords(" \t "));
  EXPECT_TRUE(none.empty());
  CS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> eight, SearchWords("a b c d e f g h"));
  EXPECT_EQ(eight.size(), kMaxSearchWords);
  base::Result<std::vector<std::string>> nine = SearchWords("a b c d e f g h i");
  ASSERT_FALSE(nine.ok());
  EXPECT_EQ(nine.status().message(), "search text has 9 words; use at most 8");
}

TEST(StoreRulesTest, ValidateNewListTrimsAndChecks) {
  CS_ASSERT_OK_AND_ASSIGN(NewList list, ValidateNewList(NewList{.name = "  News ",
                                                                .sender_name = " Shop ",
                                                                .sender_email = " a@x.example ",
                                                                .description = " kept as is "}));
  EXPECT_EQ(list.name, "News");
  EXPECT_EQ(list.sender_name, "Shop");
  EXPECT_EQ(list.sender_email, "a@x.example");
  EXPECT_EQ(list.description, " kept as is ");
  EXPECT_TRUE(HasError(ValidateNewList(ListNamed("a\x7f")), ErrorCode::kInvalidArgument,
                       "control character"));
  EXPECT_TRUE(HasError(ValidateNewList(ListNamed("a", "", "", "x\ny")), ErrorCode::kInvalidArgument,
                       "sender name"));
  EXPECT_TRUE(IsOk(ValidateNewList(ListNamed("caf\xc3\xa9 \xe2\x80\x8f"))));
}

TEST(StoreRulesTest, CheckCause) {
  EXPECT_TRUE(IsOk(CheckCause(Cause{model::CauseKind::kSyncRun, "run-1"})));
  EXPECT_TRUE(HasError(CheckCause(Cause{model::CauseKind::kApi, "\xff"}),
                       ErrorCode::kInvalidArgument, "cause detail"));
  EXPECT_TRUE(HasError(CheckCause(Cause{model::CauseKind::kApi, std::string(2000, 'x')}),
                       ErrorCode::kInvalidArgument, "cause detail"));
}

TEST(StoreRulesTest, CheckSyncName) {
  EXPECT_EQ(CheckSyncName("  crm  ").value(), "crm");
  EXPECT_TRUE(HasError(CheckSyncName("   "), ErrorCode::kInvalidArgument, "sync name is blank"));
  EXPECT_TRUE(HasError(CheckSyncName("a\tb"), ErrorCode::kInvalidArgument, "control character"));
  EXPECT_TRUE(HasError(CheckSyncDefinition(std::string(kMaxSyncDefinitionBytes + 1, 'x')),
                       ErrorCode::kInvalidArgument, "sync definition"));
}

TEST(StoreRulesTest, CheckRunFinish) {
  RunRecord run;
  run.state = RunState::kRunning;
  EXPECT_TRUE(HasError(CheckRunFinish(run), ErrorCode::kInvalidArgument, "state running"));
  run.state = RunState::kSucceeded;
  EXPECT_TRUE(IsOk(CheckRunFinish(run)));
}

TEST(StoreRulesTest, CheckContactFilter) {
  ContactFilter filter;
  filter.limit = 10;
  filter.search = " vera  mccoy ";
  EXPECT_EQ(CheckContactFilter(filter).value(), (std::vector<std::string>{"vera", "mccoy"}));
  filter.limit = 0;
  EXPECT_TRUE(HasError(CheckContactFilter(filter), ErrorCode::kInvalidArgument, "limit"));
  filter.limit = 10;
  filter.offset = -1;
  EXPECT_TRUE(HasError(CheckContactFilter(filter), ErrorCode::kInvalidArgument, "offset"));
}

}  // namespace
}  // namespace contactsync::store
