#include "model/custom_field.h"

#include <string>

#include <gtest/gtest.h>

namespace contactsync::model {
namespace {

FieldDefinition Field(std::string key, FieldType type, std::vector<std::string> options = {}) {
  return ValidateFieldDefinition({std::move(key), "Label", type, std::move(options), false})
      .value();
}

std::string ErrorOf(const FieldDefinition& field, std::string_view value) {
  auto result = NormalizeFieldValue(field, value);
  return result.ok() ? "" : result.status().message();
}

TEST(FieldDefinitionTest, CanonicalisesKeys) {
  EXPECT_EQ(Field("city", FieldType::kText).key, "CITY");
  EXPECT_EQ(Field("%Birth_Day2%", FieldType::kDate).key, "BIRTH_DAY2");
}

TEST(FieldDefinitionTest, RejectsBadDefinitions) {
  auto error = [](FieldDefinition definition) {
    auto result = ValidateFieldDefinition(std::move(definition));
    return result.ok() ? std::string() : result.status().message();
  };
  EXPECT_NE(error({"2city", "L", FieldType::kText, {}, false}).find("not a valid field key"),
            std::string::npos);
  EXPECT_NE(error({"ci ty", "L", FieldType::kText, {}, false}).find("not a valid field key"),
            std::string::npos);
  EXPECT_NE(error({"", "L", FieldType::kText, {}, false}).find("not a valid field key"),
            std::string::npos);
  EXPECT_EQ(error({"email", "L", FieldType::kText, {}, false}),
            "field key EMAIL is reserved for a built-in tag");
  EXPECT_EQ(error({"CITY", " ", FieldType::kText, {}, false}), "field CITY: the label is blank");
  EXPECT_NE(error({"CITY", "L", FieldType::kText, {"a"}, false}).find("options only apply"),
            std::string::npos);
  EXPECT_NE(error({"SIZE", "L", FieldType::kDropdown, {}, false}).find("at least one option"),
            std::string::npos);
  EXPECT_NE(error({"SIZE", "L", FieldType::kRadio, {"S", "s"}, false}).find("listed twice"),
            std::string::npos);
  EXPECT_NE(error({"TAGS", "L", FieldType::kCheckbox, {"a,b"}, false}).find("contains a comma"),
            std::string::npos);
  EXPECT_NE(error({"CITY", "bad\xff", FieldType::kText, {}, false}).find("not valid UTF-8"),
            std::string::npos);
}

TEST(FieldValueTest, Text) {
  const FieldDefinition city = Field("CITY", FieldType::kText);
  EXPECT_EQ(NormalizeFieldValue(city, "Zoë's \"place\" <b> 😀").value(), "Zoë's \"place\" <b> 😀");
  EXPECT_EQ(NormalizeFieldValue(city, "   ").value(), "");
  EXPECT_EQ(NormalizeFieldValue(city, std::string(255, 'x')).value().size(), 255u);
  EXPECT_NE(ErrorOf(city, std::string(256, 'x')).find("longer than 255 characters"),
            std::string::npos);
  EXPECT_NE(ErrorOf(city, "a\xc3").find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(ErrorOf(city, std::string("a\0b", 3)).find("NUL"), std::string::npos);
  EXPECT_NE(
      ErrorOf(Field("NOTES", FieldType::kTextarea), std::string(1'000'000, 'x')).find("too long"),
      std::string::npos);
}

TEST(FieldValueTest, Number) {
  const FieldDefinition n = Field("AGE", FieldType::kNumber);
  EXPECT_EQ(NormalizeFieldValue(n, " 42 ").value(), "42");
  EXPECT_EQ(NormalizeFieldValue(n, "+3.50").value(), "3.50");
  EXPECT_EQ(NormalizeFieldValue(n, "-0.5").value(), "-0.5");
  for (const char* bad : {"abc", "1e5", "1,000", "1.", ".5", "--1", "0x10", "12 34"}) {
    EXPECT_EQ(ErrorOf(n, bad),
              std::string("field AGE: '") + bad + "' is not a number (e.g. 42 or -12.50)");
  }
}

TEST(FieldValueTest, Dates) {
  const FieldDefinition d = Field("BIRTHDAY", FieldType::kDate);
  EXPECT_EQ(NormalizeFieldValue(d, "2024-02-29").value(), "2024-02-29");
  EXPECT_EQ(ErrorOf(d, "2023-02-29"),
            "field BIRTHDAY: '2023-02-29' is not a date (expected YYYY-MM-DD)");
  EXPECT_FALSE(ErrorOf(d, "31.02.2020").empty());
  EXPECT_FALSE(ErrorOf(d, "2020-13-01").empty());
  EXPECT_FALSE(ErrorOf(d, "2020-1-1").empty());

  const FieldDefinition dt = Field("SEEN", FieldType::kDatetime);
  EXPECT_EQ(NormalizeFieldValue(dt, "2024-05-01 13:45").value(), "2024-05-01T13:45:00");
  EXPECT_EQ(NormalizeFieldValue(dt, "2024-05-01T13:45:07Z").value(), "2024-05-01T13:45:07Z");
  EXPECT_EQ(NormalizeFieldValue(dt, "2024-05-01T13:45:07.123+02:00").value(),
            "2024-05-01T13:45:07.123+02:00");
  EXPECT_FALSE(ErrorOf(dt, "2024-05-01").empty());
  EXPECT_FALSE(ErrorOf(dt, "2024-05-01T24:00").empty());
  EXPECT_FALSE(ErrorOf(dt, "2024-05-01T10:00+2").empty());
}

TEST(FieldValueTest, Choices) {
  const FieldDefinition size = Field("SIZE", FieldType::kDropdown, {"Small", "Large"});
  EXPECT_EQ(NormalizeFieldValue(size, "small").value(), "Small");
  EXPECT_EQ(ErrorOf(size, "Medium"), "field SIZE: 'Medium' is not one of: Small, Large");

  const FieldDefinition tags = Field("TAGS", FieldType::kCheckbox, {"red", "green", "blue"});
  EXPECT_EQ(NormalizeFieldValue(tags, "blue, RED,red").value(), "red,blue");
  EXPECT_EQ(NormalizeFieldValue(tags, "").value(), "");
  EXPECT_EQ(ErrorOf(tags, "red,pink"), "field TAGS: 'pink' is not one of: red, green, blue");
}

TEST(FieldTypeTest, NamesRoundTrip) {
  for (auto name : {"text", "textarea", "number", "date", "datetime", "dropdown", "radio",
                    "checkbox", "hidden"}) {
    EXPECT_EQ(FieldTypeName(ParseFieldType(name).value()), name);
  }
  EXPECT_FALSE(ParseFieldType("integer").ok());
}

}  // namespace
}  // namespace contactsync::model
