#include "mail/template.h"

#include <gtest/gtest.h>

namespace contactsync::mail {
namespace {

TEST(RenderTemplate, FillsStandardAndCustomTags) {
  store::Contact contact;
  contact.email = "ann@example.com";
  contact.first_name = "Ann";
  contact.last_name = "Example";
  contact.fields = {{"CITY", "Oslo"}};
  const auto values = TagValues(contact);
  EXPECT_EQ(RenderTemplate("Hi %FIRSTNAME% %LASTNAME% <%EMAIL%> from %CITY%", values),
            "Hi Ann Example <ann@example.com> from Oslo");
  EXPECT_EQ(RenderTemplate("%firstname%/%City%", values), "Ann/Oslo");
}

TEST(RenderTemplate, MissingValuesAreEmptyAndOtherPercentsStay) {
  store::Contact contact;
  contact.first_name = "Ann";
  const auto values = TagValues(contact);
  EXPECT_EQ(RenderTemplate("[%TOWN%][%LASTNAME%]", values), "[][]");
  EXPECT_EQ(RenderTemplate("50% off, 100%", values), "50% off, 100%");
  EXPECT_EQ(RenderTemplate("%%FIRSTNAME%%", values), "%Ann%");
  EXPECT_EQ(RenderTemplate("%", values), "%");
}

TEST(TextToHtml, EscapesEverythingAndKeepsLineBreaks) {
  EXPECT_EQ(TextToHtml("<b>\"x\" & 'y'</b>\nnext"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;<br>\r\nnext");
}

}  // namespace
}  // namespace contactsync::mail
