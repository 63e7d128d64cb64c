#include "model/exclusion.h"

#include <string>

#include <gtest/gtest.h>

namespace contactsync::model {
namespace {

TEST(ExclusionTest, NormalisesPatterns) {
  EXPECT_EQ(NormalizeExclusionPattern("  *@Example.COM ").value(), "*@example.com");
  EXPECT_EQ(NormalizeExclusionPattern("Test**@*").value(), "test*@*");
  EXPECT_EQ(NormalizeExclusionPattern("ann@x.com").value(), "ann@x.com");
}

TEST(ExclusionTest, RejectsMalformedPatterns) {
  for (const char* bad : {"", "   ", "example.com", "*@", "@x.com", "a@b@c", "a b@x.com",
                          "a@x.com;--", "a@x\n.com", "ä@x.com"}) {
    auto result = NormalizeExclusionPattern(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_NE(result.status().message().find("is not a valid exclusion pattern"),
              std::string::npos);
  }
}

TEST(ExclusionTest, MatchesWildcards) {
  EXPECT_TRUE(ExclusionMatches("ann@x.com", "ann@x.com"));
  EXPECT_FALSE(ExclusionMatches("ann@x.com", "anna@x.com"));
  EXPECT_TRUE(ExclusionMatches("*@example.com", "bob@example.com"));
  EXPECT_FALSE(ExclusionMatches("*@example.com", "bob@example.com.evil"));
  EXPECT_FALSE(ExclusionMatches("*@example.com", "bob@sub.example.co"));
  EXPECT_TRUE(ExclusionMatches("test*@*", "test@x.com"));
  EXPECT_TRUE(ExclusionMatches("test*@*", "tester42@y.org"));
  EXPECT_FALSE(ExclusionMatches("test*@*", "atest@x.com"));
  EXPECT_TRUE(ExclusionMatches("*@*", "a@b.co"));
  EXPECT_TRUE(ExclusionMatches("a*b*c@*", "axxbyyc@z.com"));
  EXPECT_FALSE(ExclusionMatches("a*b*c@*", "axxbyy@z.com"));
}

TEST(ExclusionTest, ManyWildcardsStayFast) {
  // A pathological pattern against a long key: must finish at once.
  const std::string key = std::string(200, 'a') + "@x.com";
  EXPECT_FALSE(ExclusionMatches("*a*a*a*a*a*a*a*a*a*b@*", key));
}

}  // namespace
}  // namespace contactsync::model
