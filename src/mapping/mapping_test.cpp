#include "mapping/mapping.h"

#include <gtest/gtest.h>

namespace contactsync::mapping {
namespace {

using source::ColumnInfo;
using source::Value;

model::FieldDefinition Field(std::string key, model::FieldType type, bool required = false) {
  model::FieldDefinition field;
  field.key = std::move(key);
  field.label = field.key;
  field.type = type;
  field.required = required;
  return field;
}

Mapping MakeMapping(std::vector<std::pair<std::string, std::string>> entries) {
  Mapping mapping;
  for (auto& [column, target] : entries) {
    base::Result<Target> parsed = ParseTarget(target);
    EXPECT_TRUE(parsed.ok()) << target;
    mapping.push_back({column, *parsed});
  }
  return mapping;
}

TEST(ParseTargetTest, KnowsBuiltInsAndCustomKeys) {
  EXPECT_EQ(ParseTarget("email")->kind, TargetKind::kEmail);
  EXPECT_EQ(ParseTarget("phone")->kind, TargetKind::kPhone);
  base::Result<Target> city = ParseTarget("%city%");
  ASSERT_TRUE(city.ok());
  EXPECT_EQ(city->field_key, "CITY");
  EXPECT_EQ(TargetName(*city), "%CITY%");
  EXPECT_FALSE(ParseTarget("Email").ok());
  EXPECT_FALSE(ParseTarget("%%").ok());
  EXPECT_NE(ParseTarget("town").status().message().find("'town'"), std::string::npos);
}

TEST(CheckMappingTest, NamesEachProblem) {
  const std::vector<std::string> columns{"id", "mail", "fname", "town"};
  const std::vector<model::FieldDefinition> fields{Field("CITY", model::FieldType::kText),
                                                   Field("ZIP", model::FieldType::kText, true)};
  auto check = [&](Mapping m) { return CheckMapping(m, columns, fields); };
  EXPECT_TRUE(check(MakeMapping({{"mail", "email"}, {"town", "%ZIP%"}})).ok());
  EXPECT_NE(
      check(MakeMapping({{"fname", "first_name"}, {"town", "%ZIP%"}})).message().find("email"),
      std::string::npos);
  EXPECT_NE(check(MakeMapping({{"mail", "email"}, {"fname", "%ZIP%"}, {"town", "%ZIP%"}}))
                .message()
                .find("two columns"),
            std::string::npos);
  EXPECT_NE(check(MakeMapping({{"mail", "email"}, {"nope", "%ZIP%"}})).message().find("'nope'"),
            std::string::npos);
  EXPECT_NE(check(MakeMapping({{"mail", "email"}, {"town", "%AGE%"}})).message().find("%AGE%"),
            std::string::npos);
  EXPECT_NE(check(MakeMapping({{"mail", "email"}, {"town", "%CITY%"}})).message().find("required"),
            std::string::npos);
}

class RowMapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fields_ = {Field("SIGNUP", model::FieldType::kDate),
               Field("ZIP", model::FieldType::kText, true)};
    columns_ = {{"mail", "", source::ValueKind::kText, true},
                {"fname", "", source::ValueKind::kText, true},
                {"signup", "", source::ValueKind::kText, true},
                {"zip", "", source::ValueKind::kText, true}};
    base::Result<RowMapper> mapper = RowMapper::Create(
        MakeMapping(
            {{"mail", "email"}, {"fname", "first_name"}, {"signup", "%SIGNUP%"}, {"zip", "%ZIP%"}}),
        columns_, fields_);
    ASSERT_TRUE(mapper.ok()) << mapper.status().ToString();
    mapper_.emplace(std::move(mapper).value());
  }

  RowMapper::Outcome Map(source::Row row) { return mapper_->Map(row, out_, failure_); }

  std::vector<model::FieldDefinition> fields_;
  std::vector<ColumnInfo> columns_;
  std::optional<RowMapper> mapper_;
  MappedContact out_;
  RowFailure failure_;
};

TEST_F(RowMapperTest, MapsAValidRow) {
  ASSERT_EQ(Map({Value::Text(" Ann@X.com "), Value::Text("Ann"), Value::Text("2024-02-29"),
                 Value::Text("1234")}),
            RowMapper::Outcome::kOk)
      << failure_.message;
  EXPECT_EQ(out_.email, "Ann@X.com");
  EXPECT_EQ(out_.email_key, "ann@x.com");
  EXPECT_EQ(out_.first_name, "Ann");
  EXPECT_FALSE(out_.last_name.has_value());
  ASSERT_EQ(out_.fields.size(), 2u);
  EXPECT_EQ(out_.fields[0], std::make_pair(std::string("SIGNUP"), std::string("2024-02-29")));
  // NULL maps to "" (clears) for a non-required field.
  ASSERT_EQ(Map({Value::Text("b@x.com"), Value(), Value(), Value::Text("1")}),
            RowMapper::Outcome::kOk);
  EXPECT_EQ(out_.first_name, "");
  EXPECT_EQ(out_.fields[0].second, "");
}

TEST_F(RowMapperTest, GivesStableReasons) {
  struct Case {
    source::Row row;
    RowMapper::Outcome outcome;
    Reason reason;
  };
  const Value ok_zip = Value::Text("1");
  const std::vector<Case> cases{
      {{Value(), Value(), Value(), ok_zip},
       RowMapper::Outcome::kFailedNoEmail,
       Reason::kEmailMissing},
      {{Value::Text("  "), Value(), Value(), ok_zip},
       RowMapper::Outcome::kFailedNoEmail,
       Reason::kEmailMissing},
      {{Value::Text("a@@x.com"), Value(), Value(), ok_zip},
       RowMapper::Outcome::kFailedNoEmail,
       Reason::kEmailInvalid},
      {{Value::Binary("a@x.com"), Value(), Value(), ok_zip},
       RowMapper::Outcome::kFailedNoEmail,
       Reason::kEmailInvalid},
      {{Value::FromText("a\xff@x.com"), Value(), Value(), ok_zip},
       RowMapper::Outcome::kFailedNoEmail,
       Reason::kEmailInvalid},
      {{Value::Text("a@x.com"), Value(), Value(), Value()},
       RowMapper::Outcome::kFailedWithKey,
       Reason::kRequiredFieldMissing},
      {{Value::Text("a@x.com"), Value(), Value::Text("2023-02-30"), ok_zip},
       RowMapper::Outcome::kFailedWithKey,
       Reason::kFieldInvalid},
      {{Value::Text("a@x.com"), Value::Binary("\x01"), Value(), ok_zip},
       RowMapper::Outcome::kFailedWithKey,
       Reason::kFieldInvalid},
      {{Value::Text("a@x.com"), Value::FromText("\xc3"), Value(), ok_zip},
       RowMapper::Outcome::kFailedWithKey,
       Reason::kFieldInvalid},
      {{Value::Text("a@x.com"), Value::Text(std::string("a\0b", 3)), Value(), ok_zip},
       RowMapper::Outcome::kFailedWithKey,
       Reason::kFieldInvalid},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(Map(cases[i].row), cases[i].outcome) << i;
    EXPECT_EQ(failure_.reason, cases[i].reason) << i << " " << failure_.message;
    EXPECT_FALSE(failure_.message.empty());
  }
  EXPECT_EQ(mapper_->EmailAsRead({Value::Text(" A@x "), Value(), Value(), Value()}), " A@x ");
  const std::string with_nul("a\0b@x", 6);
  EXPECT_EQ(mapper_->EmailAsRead({Value::Text(with_nul), Value(), Value(), Value()}).find('\0'),
            std::string::npos);
}

TEST(ReasonTest, NamesRoundTrip) {
  for (Reason r : {Reason::kEmailMissing, Reason::kEmailInvalid, Reason::kRequiredFieldMissing,
                   Reason::kFieldInvalid, Reason::kExcluded, Reason::kPreviouslyUnsubscribed,
                   Reason::kBounced, Reason::kDuplicateInSource}) {
    EXPECT_EQ(*ParseReason(ReasonName(r)), r);
  }
  EXPECT_EQ(ReasonName(Reason::kDuplicateInSource), "duplicate_in_source");
}

}  // namespace
}  // namespace contactsync::mapping
