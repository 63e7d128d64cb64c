#include "base/text.h"

#include <string>

#include <gtest/gtest.h>

namespace contactsync::base {
namespace {

TEST(TextTest, Utf8Validity) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Zoë 😀 \u202e"));
  EXPECT_FALSE(IsValidUtf8("\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

TEST(TextTest, CheckTextNamesTheProblem) {
  EXPECT_TRUE(CheckText("name", "Zoë", 10).ok());
  Status too_long = CheckText("name", std::string(11, 'a'), 10);
  EXPECT_EQ(too_long.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(too_long.message(), "name is too long: 11 bytes, at most 10 allowed");
  EXPECT_EQ(CheckText("name", "ab\xff", 10).message(),
            "name is not valid UTF-8 (bad byte at offset 2)");
  EXPECT_EQ(CheckText("name", std::string("a\0b", 3), 10).message(),
            "name contains a NUL byte at offset 1");
}

// Long values go through the 8-bytes-at-a-time ASCII path: a bad byte or a
// NUL anywhere, before or after an ASCII run, is still found at its offset.
TEST(TextTest, CheckTextFindsProblemsInLongValues) {
  const std::string ascii = "firstname.lastname1234@example.com";  // 34 bytes
  EXPECT_TRUE(CheckText("v", ascii, 100).ok());
  EXPECT_TRUE(CheckText("v", ascii + "Zoë" + ascii, 100).ok());
  EXPECT_EQ(CheckText("v", ascii + "\xff", 100).message(),
            "v is not valid UTF-8 (bad byte at offset 34)");
  EXPECT_EQ(CheckText("v", ascii + "Zoë\xc3" + ascii, 100).message(),
            "v is not valid UTF-8 (bad byte at offset 38)");
  EXPECT_EQ(CheckText("v", ascii.substr(0, 12) + std::string(1, '\0') + ascii, 100).message(),
            "v contains a NUL byte at offset 12");
  EXPECT_EQ(CheckText("v", "\x80" + ascii, 100).message(),
            "v is not valid UTF-8 (bad byte at offset 0)");
  EXPECT_TRUE(IsValidUtf8(ascii + "Zoë"));
  EXPECT_FALSE(IsValidUtf8(ascii + "\xed\xa0\x80"));
}

TEST(TextTest, TrimAndLower) {
  EXPECT_EQ(TrimAscii("  A@B.com \t\n"), "A@B.com");
  EXPECT_EQ(TrimAscii("   "), "");
  EXPECT_EQ(AsciiLower("A@B.COM"), "a@b.com");
}

TEST(TextTest, PrintableEscapesControlAndInvalidBytes) {
  EXPECT_EQ(Printable("ok é"), "ok é");
  EXPECT_EQ(Printable("a\nb\xff"), "a\\x0ab\\xff");
  EXPECT_EQ(Printable("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace contactsync::base
