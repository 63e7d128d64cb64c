#include "source/postgres/dialect.h"

#include <gtest/gtest.h>

#include <string>

namespace contactsync::source::postgres {
namespace {

struct QuoteCase {
  std::string name;
  std::string quoted;
};

class PgQuoteIdentifierTest : public testing::TestWithParam<QuoteCase> {};

TEST_P(PgQuoteIdentifierTest, Quotes) {
  const base::Result<std::string> quoted = QuoteIdentifier(GetParam().name);
  ASSERT_TRUE(quoted.ok()) << quoted.status().ToString();
  EXPECT_EQ(*quoted, GetParam().quoted);
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, PgQuoteIdentifierTest,
    testing::Values(QuoteCase{"email", "\"email\""}, QuoteCase{"select", "\"select\""},
                    QuoteCase{"First Name", "\"First Name\""}, QuoteCase{"a\"b", "\"a\"\"b\""},
                    QuoteCase{"\"", "\"\"\"\""},
                    QuoteCase{"\"; DROP TABLE t; --", "\"\"\"; DROP TABLE t; --\""},
                    QuoteCase{"`x`", "\"`x`\""}, QuoteCase{"[x]", "\"[x]\""},
                    QuoteCase{"a.b", "\"a.b\""}, QuoteCase{";--", "\";--\""},
                    QuoteCase{"$1", "\"$1\""}, QuoteCase{"Ünïcødé 📧", "\"Ünïcødé 📧\""},
                    QuoteCase{"'", "\"'\""}, QuoteCase{"a\\b", "\"a\\b\""}));

TEST(PgQuoteIdentifierTest, RejectsWhatPostgreSqlCannotName) {
  EXPECT_EQ(QuoteIdentifier("").status().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(QuoteIdentifier(std::string("a\0b", 3)).status().code(),
            base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(QuoteIdentifier("caf\xe9").status().code(), base::ErrorCode::kInvalidArgument);
}

TEST(PgQuoteIdentifierTest, RejectsNamesTheServerWouldTruncate) {
  EXPECT_TRUE(QuoteIdentifier(std::string(kMaxIdentifierBytes, 'a')).ok());
  EXPECT_EQ(QuoteIdentifier(std::string(kMaxIdentifierBytes + 1, 'a')).status().code(),
            base::ErrorCode::kInvalidArgument);
}

TEST(PgQuoteQualifiedNameTest, QuotesEachPart) {
  EXPECT_EQ(*QuoteQualifiedName("my schema", "a.b"), "\"my schema\".\"a.b\"");
  EXPECT_EQ(*QuoteQualifiedName("", "t"), "\"t\"");
  EXPECT_FALSE(QuoteQualifiedName("s", "").ok());
  EXPECT_FALSE(QuoteQualifiedName(std::string("s\0", 2), "t").ok());
}

TEST(PgPlaceholderTest, CountsFromOne) {
  EXPECT_EQ(Placeholder(1), "$1");
  EXPECT_EQ(Placeholder(12), "$12");
  EXPECT_EQ(Placeholder(65535), "$65535");
}

}  // namespace
}  // namespace contactsync::source::postgres
