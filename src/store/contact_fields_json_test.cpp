#include "store/contact_fields_json.h"

#include <gtest/gtest.h>

#include <string>

#include "store/store_test_util.h"

namespace contactsync::store {
namespace {

using testing::IsOk;

std::string Encode(FieldValueRefs entries) {
  std::string out = "left over from the last contact";
  EncodeContactFields(entries, out);
  return out;
}

TEST(ContactFieldsJsonTest, EncodesNonEmptyValuesByAscendingIdAndLastDuplicateWins) {
  EXPECT_EQ(Encode({{12, "b"}, {3, "a"}, {7, ""}, {12, "c"}, {100, "d"}}),
            R"({"3":"a","12":"c","100":"d"})");
  EXPECT_EQ(Encode({{5, "x"}, {5, ""}}), "");  // the later, empty value clears it
}

TEST(ContactFieldsJsonTest, NoValueIsTheEmptyText) {
  EXPECT_EQ(Encode({}), "");
  EXPECT_EQ(Encode({{1, ""}, {2, ""}}), "");
}

TEST(ContactFieldsJsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Encode({{1, "say \"hi\" \\ bye"}}), R"({"1":"say \"hi\" \\ bye"})");
  EXPECT_EQ(Encode({{1, std::string("a\nb\tc\x01\x1f", 7)}}),
            R"({"1":"a\u000ab\u0009c\u0001\u001f"})");
  EXPECT_EQ(Encode({{1, "Zürich ✓ 日本"}}), "{\"1\":\"Zürich ✓ 日本\"}");
}

TEST(ContactFieldsJsonTest, DecodesWhatItEncodes) {
  const std::string hostile = std::string("q\"b\\s/\x01\x7f\n", 9) + "Zürich ✓";
  const std::string json = Encode({{9, hostile}, {10, "ten"}, {2, "two"}});
  FieldValues decoded;
  ASSERT_TRUE(IsOk(DecodeContactFields(json, decoded)));
  // Ascending by id, though "10" sorts before "9" as text.
  EXPECT_EQ(decoded, (FieldValues{{2, "two"}, {9, hostile}, {10, "ten"}}));
}

TEST(ContactFieldsJsonTest, DecodesNullAsNoValuesAndReusesTheOutput) {
  FieldValues decoded{{1, "stale"}};
  ASSERT_TRUE(IsOk(DecodeContactFields("", decoded)));
  EXPECT_TRUE(decoded.empty());
  ASSERT_TRUE(IsOk(DecodeContactFields(R"({"4":"x"})", decoded)));
  EXPECT_EQ(decoded, (FieldValues{{4, "x"}}));
}

TEST(ContactFieldsJsonTest, RefusesWhatTheStoreNeverWrites) {
  FieldValues decoded;
  for (const char* bad :
       {"[1]", "not json", R"({"x":"a"})", R"({"1":2})", R"({"1a":"a"})", R"({"1":"a")"}) {
    EXPECT_EQ(DecodeContactFields(bad, decoded).code(), base::ErrorCode::kInternal) << bad;
  }
}

TEST(ContactFieldsJsonTest, MergesChangesOverWhatIsStored) {
  std::string out;
  ASSERT_TRUE(
      IsOk(MergeContactFields(R"({"3":"a","12":"b"})", {{12, "c"}, {3, ""}, {5, "e"}}, out)));
  EXPECT_EQ(out, R"({"5":"e","12":"c"})");
  // jsonb's spelling of what the store wrote (PostgreSQL store) reads the same.
  ASSERT_TRUE(IsOk(MergeContactFields(R"({"3": "a", "12": "b"})", {{3, ""}, {12, ""}}, out)));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(IsOk(MergeContactFields("", {{1, "x"}}, out)));
  EXPECT_EQ(out, R"({"1":"x"})");
  EXPECT_FALSE(IsOk(MergeContactFields("[1]", {{1, "x"}}, out)));
}

TEST(ContactFieldsJsonTest, AppendJsonStringAppends) {
  std::string out = "[";
  AppendJsonString(out, "a\"b");
  AppendJsonString(out, "");
  EXPECT_EQ(out, R"(["a\"b""")");
}

}  // namespace
}  // namespace contactsync::store
