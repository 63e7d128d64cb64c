#include "mail/link_signer.h"

#include <gtest/gtest.h>

namespace contactsync::mail {
namespace {

std::array<unsigned char, LinkSigner::kKeyBytes> Key(unsigned char fill) {
  std::array<unsigned char, LinkSigner::kKeyBytes> key;
  key.fill(fill);
  return key;
}

const base::TimePoint kNow{std::chrono::seconds(1'800'000'000)};

TEST(LinkSigner, RoundTripsItsClaims) {
  const LinkSigner signer(Key(1));
  const std::string token = signer.Sign({LinkAction::kConfirm, 42, 7, 1'800'000'100});
  auto claims = signer.Verify(token, LinkAction::kConfirm, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->contact_id, 42);
  EXPECT_EQ(claims->list_id, 7);
  // URL-safe as it stands.
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(LinkSigner, RefusesExpiredTamperedForeignAndMisusedTokens) {
  const LinkSigner signer(Key(1));
  const std::string token = signer.Sign({LinkAction::kConfirm, 42, 7, 1'800'000'100});
  auto expired = signer.Verify(token, LinkAction::kConfirm, kNow + std::chrono::seconds(101));
  EXPECT_EQ(expired.status().code(), base::ErrorCode::kFailedPrecondition);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);

  for (size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(signer.Verify(tampered, LinkAction::kConfirm, kNow).status().code(),
              base::ErrorCode::kInvalidArgument)
        << i;
  }
  EXPECT_FALSE(signer.Verify(token.substr(1), LinkAction::kConfirm, kNow).ok());
  EXPECT_FALSE(signer.Verify("", LinkAction::kConfirm, kNow).ok());
  EXPECT_FALSE(signer.Verify(token, LinkAction::kUnsubscribe, kNow).ok());
  EXPECT_FALSE(LinkSigner(Key(2)).Verify(token, LinkAction::kConfirm, kNow).ok());
}

}  // namespace
}  // namespace contactsync::mail
