#include "source/mysql/dialect.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::source::mysql {
namespace {

TEST(QuoteIdentifierTest, QuotesAndDoublesBackticks) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"email", "`email`"},   {"first name", "`first name`"},
      {"a`b", "`a``b`"},      {"``", "``````"},
      {"select", "`select`"}, {";--", "`;--`"},
      {"a.b", "`a.b`"},       {"it's \"x\" [y]", "`it's \"x\" [y]`"},
      {"名前 😀", "`名前 😀`"},
  };
  for (const auto& [name, quoted] : cases) {
    auto result = QuoteIdentifier(name);
    ASSERT_TRUE(result.ok()) << name;
    EXPECT_EQ(*result, quoted);
  }
}

TEST(QuoteIdentifierTest, RejectsNulAndEmpty) {
  auto with_nul = QuoteIdentifier(std::string("a\0b", 3));
  ASSERT_FALSE(with_nul.ok());
  EXPECT_EQ(with_nul.status().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_NE(with_nul.status().message().find("NUL"), std::string::npos);
  EXPECT_FALSE(QuoteIdentifier("").ok());
}

TEST(PlaceholderTest, AlwaysQuestionMark) {
  EXPECT_EQ(Placeholder(0), "?");
  EXPECT_EQ(Placeholder(7), "?");
}

}  // namespace
}  // namespace contactsync::source::mysql
