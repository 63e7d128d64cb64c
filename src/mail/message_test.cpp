#include "mail/message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace contactsync::mail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The header section of a message as its lines (CRLF split), up to the blank line.
std::vector<std::string> HeaderLines(const std::string& message) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    const size_t end = message.find("\r\n", start);
    if (end == std::string::npos || end == start) return lines;
    lines.push_back(message.substr(start, end - start));
    start = end + 2;
  }
}

// Names of the header fields (lines that do not start with white space).
std::vector<std::string> HeaderNames(const std::string& message) {
  std::vector<std::string> names;
  for (const std::string& line : HeaderLines(message)) {
    if (line[0] == ' ' || line[0] == '\t') continue;
    names.push_back(line.substr(0, line.find(':')));
  }
  return names;
}

MessageParts Parts() {
  MessageParts parts;
  parts.from = {"News", "news@example.com"};
  parts.to = {"Ann Example", "ann@example.com"};
  parts.subject = "Hello";
  parts.message_id = "<abc123@example.com>";
  parts.date = base::TimePoint(std::chrono::seconds(1764572400));
  parts.unsubscribe_url = "https://lists.example.com/unsubscribe?t=xyz";
  parts.text = "text";
  parts.html = "<p>html</p>";
  return parts;
}

const std::vector<std::string> kExpectedHeaders{
    "From",        "To",           "Subject",          "Date",
    "Message-ID",  "MIME-Version", "List-Unsubscribe", "List-Unsubscribe-Post",
    "Content-Type"};

TEST(CleanHeaderText, ReplacesEveryLineBreakAndControlCharacter) {
  EXPECT_EQ(CleanHeaderText("a\r\nBcc: evil@example.com"), "a Bcc: evil@example.com");
  EXPECT_EQ(CleanHeaderText(std::string("a\0b", 3)), "a b");
  EXPECT_EQ(CleanHeaderText("a\xc2\x85"
                            "b\xe2\x80\xa8"
                            "c\xe2\x80\xa9"
                            "d\x0b"
                            "e\x0c"
                            "f"),
            "a b c d e f");
  EXPECT_EQ(CleanHeaderText("  x \t\t y  "), "x y");
  EXPECT_EQ(CleanHeaderText("bad \xff\xfe byte"), "bad byte");
  EXPECT_EQ(CleanHeaderText("Zoë Ünal"), "Zoë Ünal");
}

TEST(CheckAddress, RefusesWhatAHeaderCannotCarry) {
  EXPECT_TRUE(CheckAddress("ann@example.com").ok());
  EXPECT_TRUE(CheckAddress("zoë@example.com").ok());
  for (const std::string& bad : std::vector<std::string>{
           "", "ann", "ann@", "@example.com", "ann@example.com\r\nBcc: x@y.z", "a b@example.com",
           "ann@example.com>", "\"a\"@example.com", "a,b@example.com", std::string("a\0@b.c", 6)}) {
    EXPECT_FALSE(CheckAddress(bad).ok()) << bad;
  }
}

TEST(EncodeDisplayName, QuotesAsciiAndEncodesTheRest) {
  EXPECT_EQ(EncodeDisplayName("Ann \"the\" Example"), "\"Ann \\\"the\\\" Example\"");
  EXPECT_EQ(EncodeDisplayName("Zoë"), "=?UTF-8?B?Wm/Dqw==?=");
  EXPECT_EQ(EncodeDisplayName(""), "");
  // Something that looks like an encoded word is encoded rather than left
  // for a reader to decode.
  EXPECT_THAT(EncodeDisplayName("=?UTF-8?B?QmNjOg==?="), HasSubstr("=?UTF-8?B?PT9"));
}

TEST(EncodeWords, NeverSplitsACharacterAndKeepsWordsShort) {
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "日本";
  const std::string encoded = EncodeWords(long_name);
  std::istringstream lines(encoded);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line[0] == ' ') line.erase(0, 1);
    EXPECT_LE(line.size(), 75u);
    EXPECT_EQ(line.rfind("=?UTF-8?B?", 0), 0u);
    ++count;
  }
  EXPECT_GT(count, 10);
  // 39 bytes per word = 13 three-byte characters: none is cut.
  EXPECT_EQ(EncodeWords("日本日本日本日本日本日本日").find("\r\n"), std::string::npos);
  EXPECT_NE(EncodeWords("日本日本日本日本日本日本日本").find("\r\n"), std::string::npos);
}

TEST(BuildMessage, HasExactlyTheExpectedHeadersWithOneClickUnsubscribe) {
  auto message = BuildMessage(Parts());
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(HeaderNames(*message), kExpectedHeaders);
  EXPECT_THAT(*message, HasSubstr("\r\nList-Unsubscribe: "
                                  "<https://lists.example.com/unsubscribe?t=xyz>\r\n"));
  EXPECT_THAT(*message, HasSubstr("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
  EXPECT_THAT(*message, HasSubstr("\r\nTo: \"Ann Example\" <ann@example.com>\r\n"));
  EXPECT_THAT(*message, HasSubstr("\r\nDate: Mon, 01 Dec 2025 07:00:00 +0000\r\n"));
}

TEST(BuildMessage, HostileNamesAndSubjectsAddNoHeader) {
  std::string long_non_ascii;
  for (int i = 0; i < 300; ++i) long_non_ascii += "Ωμέγα ";
  for (const std::string& hostile : std::vector<std::string>{
           std::string("Ann\r\nBcc: victim@example.com"),
           std::string("Ann\nBcc: victim@example.com"), std::string("Ann\rBcc: victim@example.com"),
           std::string("Ann\0\r\nBcc: v@example.com", 24),
           std::string("Ann\xe2\x80\xa8"
                       "Bcc: victim@example.com"),
           long_non_ascii}) {
    MessageParts parts = Parts();
    parts.to.name = hostile;
    parts.from.name = hostile;
    parts.subject = hostile;
    auto message = BuildMessage(parts);
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    EXPECT_EQ(HeaderNames(*message), kExpectedHeaders) << hostile;
    for (const std::string& line : HeaderLines(*message)) {
      EXPECT_LE(line.size(), 78u) << line;
      EXPECT_EQ(line.find('\0'), std::string::npos);
      EXPECT_EQ(line.find('\r'), std::string::npos);
      EXPECT_EQ(line.find('\n'), std::string::npos);
    }
  }
}

TEST(BuildMessage, RefusesBadAddressesIdsAndUrls) {
  MessageParts parts = Parts();
  parts.to.address = "ann@example.com\r\nBcc: victim@example.com";
  EXPECT_FALSE(BuildMessage(parts).ok());
  parts = Parts();
  parts.message_id = "<a@b>\r\nBcc: x@y";
  EXPECT_FALSE(BuildMessage(parts).ok());
  parts = Parts();
  parts.unsubscribe_url = "https://x.example/u?t=1>\r\nBcc: x@y";
  EXPECT_FALSE(BuildMessage(parts).ok());
  parts.unsubscribe_url = "javascript:alert(1)";
  EXPECT_FALSE(BuildMessage(parts).ok());
}

}  // namespace
}  // namespace contactsync::mail
