#include "model/subscription.h"

#include <gtest/gtest.h>

namespace contactsync::model {
namespace {

TEST(SubscriptionTest, NamesRoundTrip) {
  for (auto status : {SubscriptionStatus::kActive, SubscriptionStatus::kUnconfirmed,
                      SubscriptionStatus::kUnsubscribed, SubscriptionStatus::kBounced}) {
    EXPECT_EQ(ParseSubscriptionStatus(SubscriptionStatusName(status)).value(), status);
  }
  for (auto kind :
       {CauseKind::kCli, CauseKind::kApi, CauseKind::kUi, CauseKind::kImport, CauseKind::kSyncRun,
        CauseKind::kConfirmationLink, CauseKind::kUnsubscribeLink, CauseKind::kBounce}) {
    EXPECT_EQ(ParseCauseKind(CauseKindName(kind)).value(), kind);
  }
}

TEST(SubscriptionTest, UnknownNameListsTheValidOnes) {
  auto result = ParseSubscriptionStatus("subscribed");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "unknown status 'subscribed' (expected one of: active, unconfirmed, unsubscribed, "
            "bounced)");
}

}  // namespace
}  // namespace contactsync::model
