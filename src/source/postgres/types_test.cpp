#include "source/postgres/types.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "source/postgres/handle.h"

namespace contactsync::source::postgres {
namespace {

struct KindCase {
  const char* name;
  Oid type;
  int typmod;
  ValueKind kind;
};

class PgKindFromTypeTest : public testing::TestWithParam<KindCase> {};

TEST_P(PgKindFromTypeTest, Maps) {
  const KindCase& c = GetParam();
  EXPECT_EQ(KindFromType(c.type, c.typmod), c.kind)
      << ValueKindName(KindFromType(c.type, c.typmod));
}

// typmods as PostgreSQL stores them: varchar(20) is 24 (length + 4), numeric(30,10) is
// ((30 << 16) | 10) + 4, bit(n) is n.
INSTANTIATE_TEST_SUITE_P(
    All, PgKindFromTypeTest,
    testing::Values(KindCase{"no_type", 0, -1, ValueKind::kUnknown},
                    KindCase{"bool", kBoolOid, -1, ValueKind::kBoolean},
                    KindCase{"bit_1", kBitOid, 1, ValueKind::kBoolean},
                    KindCase{"bit_8", kBitOid, 8, ValueKind::kText},
                    KindCase{"varbit", kVarbitOid, -1, ValueKind::kText},
                    KindCase{"int2", kInt2Oid, -1, ValueKind::kInteger},
                    KindCase{"int4", kInt4Oid, -1, ValueKind::kInteger},
                    KindCase{"int8", kInt8Oid, -1, ValueKind::kInteger},
                    KindCase{"oid", kOidOid, -1, ValueKind::kInteger},
                    KindCase{"numeric", kNumericOid, -1, ValueKind::kDecimal},
                    KindCase{"numeric_30_10", kNumericOid, (30 << 16 | 10) + 4,
                             ValueKind::kDecimal},
                    KindCase{"float4", kFloat4Oid, -1, ValueKind::kReal},
                    KindCase{"float8", kFloat8Oid, -1, ValueKind::kReal},
                    KindCase{"money", kMoneyOid, -1, ValueKind::kText},
                    KindCase{"date", kDateOid, -1, ValueKind::kDate},
                    KindCase{"timestamp", kTimestampOid, -1, ValueKind::kDateTime},
                    KindCase{"timestamp_3", kTimestampOid, 3, ValueKind::kDateTime},
                    KindCase{"timestamptz", kTimestamptzOid, -1, ValueKind::kDateTime},
                    KindCase{"time", kTimeOid, -1, ValueKind::kTime},
                    KindCase{"timetz", kTimetzOid, -1, ValueKind::kText},
                    KindCase{"interval", kIntervalOid, -1, ValueKind::kText},
                    KindCase{"text", kTextOid, -1, ValueKind::kText},
                    KindCase{"varchar_20", kVarcharOid, 24, ValueKind::kText},
                    KindCase{"bpchar", kBpcharOid, 14, ValueKind::kText},
                    KindCase{"char", kCharOid, -1, ValueKind::kText},
                    KindCase{"name", kNameOid, -1, ValueKind::kText},
                    KindCase{"json", kJsonOid, -1, ValueKind::kText},
                    KindCase{"jsonb", kJsonbOid, -1, ValueKind::kText},
                    KindCase{"uuid", kUuidOid, -1, ValueKind::kText},
                    KindCase{"int4_array", 1007, -1, ValueKind::kText},
                    KindCase{"user_enum", 16500, -1, ValueKind::kText},
                    KindCase{"bytea", kByteaOid, -1, ValueKind::kBinary}),
    [](const testing::TestParamInfo<KindCase>& param_info) {
      return std::string(param_info.param.name);
    });

// A client-side PGresult (libpq can build one without a server) with one column of `type`.
ResultHandle OneColumn(Oid type, const std::vector<const char*>& cells) {
  ResultHandle result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
  char name[] = "c";
  PGresAttDesc column{};
  column.name = name;
  column.typid = type;
  column.typlen = -1;
  column.atttypmod = -1;
  EXPECT_NE(PQsetResultAttrs(result.get(), 1, &column), 0);
  for (size_t row = 0; row < cells.size(); ++row) {
    const char* cell = cells[row];
    // A length of -1 stores NULL.
    const int length = cell == nullptr ? -1 : static_cast<int>(std::string(cell).size());
    EXPECT_NE(PQsetvalue(result.get(), static_cast<int>(row), 0, const_cast<char*>(cell), length),
              0);
  }
  return result;
}

TEST(PgReadCellTest, KeepsNullDistinctFromEmpty) {
  const ResultHandle result = OneColumn(kTextOid, {nullptr, ""});
  EXPECT_EQ(ReadCell(result.get(), 0, 0), Value::Null());
  EXPECT_EQ(ReadCell(result.get(), 1, 0), Value::Text(""));
}

TEST(PgReadCellTest, PassesServerTextThrough) {
  const ResultHandle result =
      OneColumn(kNumericOid, {"12345678901234567890.0123456789", "NaN", "-0.10"});
  EXPECT_EQ(ReadCell(result.get(), 0, 0), Value::Text("12345678901234567890.0123456789"));
  EXPECT_EQ(ReadCell(result.get(), 1, 0), Value::Text("NaN"));
  EXPECT_EQ(ReadCell(result.get(), 2, 0), Value::Text("-0.10"));
}

TEST(PgReadCellTest, MarksInvalidUtf8) {
  const ResultHandle result = OneColumn(kTextOid, {"caf\xe9"});
  EXPECT_EQ(ReadCell(result.get(), 0, 0).state(), Value::State::kBadText);
}

TEST(PgReadCellTest, DecodesByteaHexAndEscapeFormats) {
  const ResultHandle result = OneColumn(kByteaOid, {"\\x00ff41", "\\x", "a\\000b"});
  EXPECT_EQ(ReadCell(result.get(), 0, 0), Value::Binary(std::string("\x00\xff"
                                                                    "A",
                                                                    3)));
  EXPECT_EQ(ReadCell(result.get(), 1, 0), Value::Binary(""));
  EXPECT_EQ(ReadCell(result.get(), 2, 0), Value::Binary(std::string("a\0b", 3)));
}

TEST(PgReadCellTest, NullByteaIsNull) {
  const ResultHandle result = OneColumn(kByteaOid, {nullptr});
  EXPECT_TRUE(ReadCell(result.get(), 0, 0).is_null());
}

}  // namespace
}  // namespace contactsync::source::postgres
