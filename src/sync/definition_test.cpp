#include "sync/definition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sync/report.h"

namespace contactsync::sync {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kSpecExample = R"json({
  "name": "Shop customers",
  "connection": "shop",
  "list": "Newsletter",
  "status": "active",
  "send_autoresponders": true,
  "source": { "table": "customers" },
  "mapping": { "email": "email", "fname": "first_name", "town": "%CITY%" },
  "rules": { "match": "all", "conditions": [
      { "column": "username", "op": "not_equals", "value": "test" } ] },
  "update_existing": true,
  "delete_not_affected": false
})json";

TEST(DefinitionTest, ParsesTheSpecExampleAndRoundTrips) {
  base::Result<SyncDefinition> d = ParseDefinition(kSpecExample);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->name, "Shop customers");
  EXPECT_EQ(d->source.table, "customers");
  ASSERT_EQ(d->mapping.size(), 3u);
  EXPECT_EQ(d->mapping[0].column, "email");  // the user's order is kept
  EXPECT_EQ(d->mapping[2].target.field_key, "CITY");
  ASSERT_EQ(d->rules.rules.size(), 1u);
  EXPECT_EQ(d->rules.rules[0].op, query::RuleOp::kNotEquals);
  EXPECT_TRUE(d->send_autoresponders);
  EXPECT_EQ(d->max_delete_fraction, 0.5);
  const std::string text = SerializeDefinition(*d);
  base::Result<SyncDefinition> again = ParseDefinition(text);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *d);
  EXPECT_EQ(SerializeDefinition(*again), text);
}

TEST(DefinitionTest, RoundTripsQueriesListsAndEmptyRules) {
  base::Result<SyncDefinition> d = ParseDefinition(R"({"name": "Q", "connection": "c",
    "list": "L", "status": "excluded", "source": {"query": "SELECT a FROM t"},
    "mapping": {"a": "email"}, "rules": {"match": "any", "conditions": [
      {"column": "a", "op": "in", "values": ["x", 2]}, {"column": "a", "op": "is_empty"}]},
    "max_delete_fraction": 0.9})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->rules.rules[0].values, (std::vector<std::string>{"x", "2"}));
  EXPECT_EQ(*ParseDefinition(SerializeDefinition(*d)), *d);
}

TEST(DefinitionTest, ErrorsNameTheJsonPath) {
  const auto error = [](std::string_view json) {
    base::Result<SyncDefinition> d = ParseDefinition(json);
    EXPECT_FALSE(d.ok()) << json;
    return d.status().message();
  };
  const std::string base = R"("name": "S", "connection": "c", "list": "L", )";
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}})"),
              HasSubstr("$.mapping: is required"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t", "query": "SELECT 1"},
      "mapping": {"a": "email"}})"),
              HasSubstr("$.source: give exactly one"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}, "mapping": {"a": "mail"}})"),
              HasSubstr("$.mapping.a: unknown target field 'mail'"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}, "mapping": {"a": "email"},
      "rules": {"conditions": [{"column": "a", "op": "like", "value": "x"}]}})"),
              HasSubstr("$.rules.conditions[0].op"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}, "mapping": {"a": "email"},
      "rules": {"conditions": [{"column": "a", "op": "equals"}]}})"),
              HasSubstr("$.rules.conditions[0].value: is required"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}, "mapping": {"a": "email"},
      "update_exisiting": true})"),
              HasSubstr("$.update_exisiting: unknown key"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}, "mapping": {"a": "email"},
      "status": "bounced"})"),
              HasSubstr("$.status"));
  EXPECT_THAT(error("{" + base + R"("source": {"table": "t"}, "mapping": {"a": "email"},
      "max_delete_fraction": 2})"),
              HasSubstr("$.max_delete_fraction"));
  EXPECT_THAT(error("{ not json"), HasSubstr("not valid JSON"));
  EXPECT_THAT(error("[]"), HasSubstr("$: a sync definition must be a JSON object"));
}

TEST(ReportCsvTest, QuotesAndDefusesFormulas) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(CsvCell("=1+2"), "'=1+2");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@x"), "'@x");
  EXPECT_EQ(CsvCell("=a,b"), "\"'=a,b\"");
  EXPECT_EQ(FailuresCsv({{3, "=x", "email_invalid", "bad, very"}}),
            "row,email,reason,message\r\n3,'=x,email_invalid,\"bad, very\"\r\n");
}

}  // namespace
}  // namespace contactsync::sync
