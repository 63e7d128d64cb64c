#include "source/sqlite/dialect.h"

#include <gtest/gtest.h>

namespace contactsync::source::sqlite {
namespace {

TEST(ReadOnlyFileUriTest, EncodesUriCharacters) {
  EXPECT_EQ(ReadOnlyFileUri("/data/shop.db"), "file:/data/shop.db?mode=ro");
  EXPECT_EQ(ReadOnlyFileUri("rel/shop.db"), "file:rel/shop.db?mode=ro");
  EXPECT_EQ(ReadOnlyFileUri("/d/a?b#c%d e.db"), "file:/d/a%3Fb%23c%25d%20e.db?mode=ro");
  EXPECT_EQ(ReadOnlyFileUri("//host/x.db"), "file:/host/x.db?mode=ro");
  EXPECT_EQ(ReadOnlyFileUri("/z\xc3\xab.db"), "file:/z%C3%AB.db?mode=ro");
}

TEST(IsEmptyTailTest, AcceptsOnlyNoise) {
  EXPECT_TRUE(IsEmptyTail(""));
  EXPECT_TRUE(IsEmptyTail(" ;\n\t; "));
  EXPECT_TRUE(IsEmptyTail("-- trailing comment"));
  EXPECT_TRUE(IsEmptyTail("-- one\n/* two */ ;"));
  EXPECT_TRUE(IsEmptyTail("/* unterminated"));
  EXPECT_FALSE(IsEmptyTail("DELETE FROM t"));
  EXPECT_FALSE(IsEmptyTail("; DELETE FROM t"));
  EXPECT_FALSE(IsEmptyTail("-- c\nSELECT 2"));
  EXPECT_FALSE(IsEmptyTail("/* c */x"));
  EXPECT_FALSE(IsEmptyTail(std::string_view("\0DROP", 5)));
  EXPECT_FALSE(IsEmptyTail("-"));
}

}  // namespace
}  // namespace contactsync::source::sqlite
