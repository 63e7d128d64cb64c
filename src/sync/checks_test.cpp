// The custom-query gate on the connection's account (issue 11), without a
// server: what SourceConnector::Check reported and what the connection allows.

#include "sync/checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace contactsync::sync {
namespace {

source::SourceInfo Account(bool can_write, bool privileged) {
  source::SourceInfo info;
  info.can_write = can_write;
  info.privileged = privileged;
  return info;
}

TEST(CheckCustomQueryAllowedTest, ASelectOnlyAccountNeedsNoConsent) {
  EXPECT_TRUE(CheckCustomQueryAllowed("shop", {}, Account(false, false)).ok());
}

TEST(CheckCustomQueryAllowedTest, AnAccountThatCanWriteOrIsPrivilegedIsRefusedByDefault) {
  const std::string tail =
      "; use a SELECT-only account (docs/read-only.md) or allow it with "
      "--allow-custom-query-with-privileged-account";
  const base::Status writer = CheckCustomQueryAllowed("shop", {}, Account(true, false));
  EXPECT_EQ(writer.code(), base::ErrorCode::kPermissionDenied);
  EXPECT_EQ(writer.message(),
            "custom queries are refused on connection 'shop': its account can write" + tail);
  EXPECT_EQ(CheckCustomQueryAllowed("shop", {}, Account(false, true)).message(),
            "custom queries are refused on connection 'shop': its account is privileged" + tail);
  EXPECT_EQ(CheckCustomQueryAllowed("shop", {}, Account(true, true)).message(),
            "custom queries are refused on connection 'shop': its account can write and is "
            "privileged" +
                tail);
  // A hostile connection name is shown printable, on one line.
  EXPECT_THAT(CheckCustomQueryAllowed("a\nb", {}, Account(true, false)).message(),
              ::testing::Not(::testing::HasSubstr("\n")));
}

TEST(CheckCustomQueryAllowedTest, TheConnectionsConsentLetsThemRun) {
  source::ConnectionSettings consenting;
  consenting.allow_custom_query_with_privileged_account = true;
  for (const auto& [can_write, privileged] :
       {std::pair{true, false}, std::pair{false, true}, std::pair{true, true}}) {
    EXPECT_TRUE(CheckCustomQueryAllowed("shop", consenting, Account(can_write, privileged)).ok());
  }
}

TEST(CheckCustomQueryAllowedTest, ThePolicyCarriesTheConnectionsAllowedFunctions) {
  source::ConnectionSettings settings;
  settings.allowed_functions = {"shop.discount", "score"};
  EXPECT_EQ(PolicyOf(settings).allowed_functions, settings.allowed_functions);
  EXPECT_TRUE(PolicyOf(source::ConnectionSettings{}).allowed_functions.empty());
}

}  // namespace
}  // namespace contactsync::sync
