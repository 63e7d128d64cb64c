#include "model/email.h"

#include <string>

#include <gtest/gtest.h>

namespace contactsync::model {
namespace {

std::string ErrorOf(std::string_view raw) {
  auto result = ValidateEmail(raw);
  return result.ok() ? "" : result.status().message();
}

TEST(EmailTest, AcceptsOrdinaryAddressesTrimmedAsGiven) {
  EXPECT_EQ(ValidateEmail("  Ann.Lee+news@Example.COM \t").value(), "Ann.Lee+news@Example.COM");
  EXPECT_EQ(ValidateEmail("o'brien@mail.example.co.uk").value(), "o'brien@mail.example.co.uk");
  EXPECT_EQ(ValidateEmail("x@xn--bcher-kva.example").value(), "x@xn--bcher-kva.example");
  EXPECT_TRUE(ValidateEmail("a_b-c{d}@sub-domain.example.org").ok());
}

TEST(EmailTest, KeyIsCaseInsensitiveAndTrimmed) {
  EXPECT_EQ(EmailKey(" A@X.COM "), "a@x.com");
  EXPECT_EQ(EmailKey("A@X.COM"), EmailKey("a@x.com"));
  // The in-place form reuses the buffer and gives the same key.
  std::string key = "a much longer address that was here before@example.org";
  AssignEmailKey(" Zoë.A@X.COM ", key);
  EXPECT_EQ(key, "zoë.a@x.com");
}

TEST(EmailTest, TheViewFormValidatesLikeTheCopy) {
  const std::string raw = "  Ann@Example.ORG ";
  const base::Result<std::string_view> view = ValidateEmailView(raw);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*view, "Ann@Example.ORG");
  EXPECT_EQ(view->data(), raw.data() + 2);  // a view into the input, not a copy
  EXPECT_EQ(ValidateEmailView("a@@x.com").status().message(),
            ValidateEmail("a@@x.com").status().message());
}

TEST(EmailTest, RejectsWithAReason) {
  EXPECT_EQ(ErrorOf("   "), "email address is blank");
  EXPECT_EQ(ErrorOf("ann.example.com"),
            "'ann.example.com' is not a valid email address: it has no '@'");
  EXPECT_EQ(ErrorOf("ann@@x.com"),
            "'ann@@x.com' is not a valid email address: it has more than one '@'");
  EXPECT_EQ(ErrorOf("@x.com"), "'@x.com' is not a valid email address: nothing before the '@'");
  EXPECT_EQ(ErrorOf("ann@"), "'ann@' is not a valid email address: nothing after the '@'");
  EXPECT_EQ(
      ErrorOf("ann@localhost"),
      "'ann@localhost' is not a valid email address: the domain has no dot (e.g. example.com)");
  EXPECT_EQ(ErrorOf("ann lee@x.com"),
            "'ann lee@x.com' is not a valid email address: it contains a space");
  EXPECT_NE(ErrorOf(".ann@x.com").find("starts or ends with a dot"), std::string::npos);
  EXPECT_NE(ErrorOf("an..n@x.com").find("two dots in a row"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@x..com").find("empty part"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@-x.com").find("hyphen"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@x.123").find("does not end in a name"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@[192.0.2.1]").find("IP address"), std::string::npos);
  EXPECT_NE(ErrorOf("\"ann lee\"@x.com").find("contains a space"), std::string::npos);
  EXPECT_NE(ErrorOf("\"ann\"@x.com").find("not allowed before the '@'"), std::string::npos);
  EXPECT_NE(ErrorOf("Ann <ann@x.com>").find("contains a space"), std::string::npos);
  EXPECT_NE(ErrorOf("<ann@x.com>").find("display name"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@x.com\r\nBcc: y@z.com").find("control character"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@x_y.com").find("not allowed in the domain"), std::string::npos);
}

TEST(EmailTest, RefusesInternationalisedAddressesDeliberately) {
  EXPECT_NE(ErrorOf("ann@bücher.example").find("xn--"), std::string::npos);
  EXPECT_NE(ErrorOf("ann@x.com\xff").find("internationalised"), std::string::npos);
}

// Issue 12: a non-ASCII local part was told to use the xn-- form, which exists for domains only.
TEST(EmailTest, ANonAsciiLocalPartIsRefusedWithTheReasonNotTheXnAdvice) {
  const std::string local_part_message =
      "is not a valid email address: internationalised (non-ASCII) addresses are not supported: "
      "the part before the '@' must be ASCII, because most mail servers and contactsync's mail "
      "sender cannot deliver to it (that needs SMTPUTF8)";
  EXPECT_EQ(ErrorOf("zoë@example.com"), "'zoë@example.com' " + local_part_message);
  EXPECT_EQ(ErrorOf("zoë@bücher.example"), "'zoë@bücher.example' " + local_part_message);
  EXPECT_EQ(ErrorOf("zoë"), "'zoë' " + local_part_message);
  EXPECT_EQ(ErrorOf("ann@bücher.example"),
            "'ann@bücher.example' is not a valid email address: internationalised (non-ASCII) "
            "domains are not supported; write the domain in its xn-- form");
}

TEST(EmailTest, EnforcesLengthLimits) {
  const std::string local64(64, 'a');
  EXPECT_TRUE(ValidateEmail(local64 + "@x.com").ok());
  EXPECT_NE(ErrorOf(local64 + "a@x.com").find("longer than 64"), std::string::npos);
  const std::string label(63, 'b');
  EXPECT_NE(ErrorOf("a@" + label + "b.com").find("longer than 63"), std::string::npos);
  const std::string long_domain = label + "." + label + "." + label + "." + label + ".com";
  EXPECT_NE(ErrorOf("a@" + long_domain).find("longer than"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(1'000'000, 'a') + "@x.com").find("longer than 254"),
            std::string::npos);
}

}  // namespace
}  // namespace contactsync::model
