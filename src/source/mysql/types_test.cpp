#include "source/mysql/types.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contactsync::source::mysql {
namespace {

constexpr unsigned int kUtf8mb4 = 45;
constexpr unsigned int kBinary = 63;

FieldType Field(enum_field_types type, unsigned int flags = 0, unsigned long length = 11,
                unsigned int charsetnr = kUtf8mb4, unsigned int decimals = 0) {
  FieldType field;
  field.type = type;
  field.flags = flags;
  field.length = length;
  field.charsetnr = charsetnr;
  field.decimals = decimals;
  return field;
}

struct KindCase {
  std::string what;
  FieldType field;
  TypeOptions options;
  ValueKind kind;
  enum_field_types buffer_type;
};

TEST(PlanColumnTest, KindsAndBuffers) {
  const TypeOptions defaults;
  TypeOptions no_bool;
  no_bool.tinyint1_as_boolean = false;
  const std::vector<KindCase> cases = {
      {"tinyint(1)", Field(MYSQL_TYPE_TINY, 0, 1, kBinary), defaults, ValueKind::kBoolean,
       MYSQL_TYPE_LONGLONG},
      {"tinyint(1) option off", Field(MYSQL_TYPE_TINY, 0, 1, kBinary), no_bool, ValueKind::kInteger,
       MYSQL_TYPE_LONGLONG},
      {"tinyint(4)", Field(MYSQL_TYPE_TINY, 0, 4, kBinary), defaults, ValueKind::kInteger,
       MYSQL_TYPE_LONGLONG},
      {"int", Field(MYSQL_TYPE_LONG, 0, 11, kBinary), defaults, ValueKind::kInteger,
       MYSQL_TYPE_LONGLONG},
      {"bigint unsigned", Field(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 20, kBinary), defaults,
       ValueKind::kInteger, MYSQL_TYPE_LONGLONG},
      {"year", Field(MYSQL_TYPE_YEAR, UNSIGNED_FLAG | ZEROFILL_FLAG, 4, kBinary), defaults,
       ValueKind::kInteger, MYSQL_TYPE_LONGLONG},
      {"float", Field(MYSQL_TYPE_FLOAT, 0, 12, kBinary, 31), defaults, ValueKind::kReal,
       MYSQL_TYPE_FLOAT},
      {"double", Field(MYSQL_TYPE_DOUBLE, 0, 22, kBinary, 31), defaults, ValueKind::kReal,
       MYSQL_TYPE_DOUBLE},
      {"decimal", Field(MYSQL_TYPE_NEWDECIMAL, 0, 22, kBinary, 6), defaults, ValueKind::kDecimal,
       MYSQL_TYPE_STRING},
      {"date", Field(MYSQL_TYPE_DATE, 0, 10, kBinary), defaults, ValueKind::kDate, MYSQL_TYPE_DATE},
      {"datetime(6)", Field(MYSQL_TYPE_DATETIME, 0, 26, kBinary, 6), defaults, ValueKind::kDateTime,
       MYSQL_TYPE_DATETIME},
      {"timestamp", Field(MYSQL_TYPE_TIMESTAMP, 0, 19, kBinary), defaults, ValueKind::kDateTime,
       MYSQL_TYPE_TIMESTAMP},
      {"time", Field(MYSQL_TYPE_TIME, 0, 10, kBinary), defaults, ValueKind::kTime, MYSQL_TYPE_TIME},
      {"varchar", Field(MYSQL_TYPE_VAR_STRING, 0, 1020), defaults, ValueKind::kText,
       MYSQL_TYPE_STRING},
      {"varchar utf8mb4_bin (BINARY_FLAG but text)",
       Field(MYSQL_TYPE_VAR_STRING, BINARY_FLAG, 1020, 46), defaults, ValueKind::kText,
       MYSQL_TYPE_STRING},
      {"varbinary", Field(MYSQL_TYPE_VAR_STRING, BINARY_FLAG, 16, kBinary), defaults,
       ValueKind::kBinary, MYSQL_TYPE_STRING},
      {"binary", Field(MYSQL_TYPE_STRING, BINARY_FLAG, 4, kBinary), defaults, ValueKind::kBinary,
       MYSQL_TYPE_STRING},
      {"text", Field(MYSQL_TYPE_BLOB, BLOB_FLAG, 262140), defaults, ValueKind::kText,
       MYSQL_TYPE_STRING},
      {"blob", Field(MYSQL_TYPE_BLOB, BLOB_FLAG | BINARY_FLAG, 65535, kBinary), defaults,
       ValueKind::kBinary, MYSQL_TYPE_STRING},
      {"enum", Field(MYSQL_TYPE_STRING, ENUM_FLAG, 20), defaults, ValueKind::kText,
       MYSQL_TYPE_STRING},
      {"set", Field(MYSQL_TYPE_STRING, SET_FLAG, 20), defaults, ValueKind::kText,
       MYSQL_TYPE_STRING},
      {"MySQL json (binary charset)", Field(MYSQL_TYPE_JSON, BLOB_FLAG, 4294967295, kBinary),
       defaults, ValueKind::kText, MYSQL_TYPE_STRING},
      {"bit", Field(MYSQL_TYPE_BIT, UNSIGNED_FLAG, 8, kBinary), defaults, ValueKind::kBinary,
       MYSQL_TYPE_STRING},
      {"geometry", Field(MYSQL_TYPE_GEOMETRY, BLOB_FLAG | BINARY_FLAG, 0, kBinary), defaults,
       ValueKind::kBinary, MYSQL_TYPE_STRING},
      {"SELECT NULL", Field(MYSQL_TYPE_NULL, 0, 0, kBinary), defaults, ValueKind::kUnknown,
       MYSQL_TYPE_NULL},
  };
  for (const KindCase& c : cases) {
    SCOPED_TRACE(c.what);
    const ColumnPlan plan = PlanColumn(c.field, c.options);
    EXPECT_EQ(plan.kind, c.kind) << ValueKindName(plan.kind);
    EXPECT_EQ(plan.buffer_type, c.buffer_type);
  }
  EXPECT_TRUE(
      PlanColumn(Field(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 20, kBinary), defaults).is_unsigned);
  EXPECT_FALSE(PlanColumn(Field(MYSQL_TYPE_LONGLONG, 0, 20, kBinary), defaults).is_unsigned);
}

MYSQL_TIME Time(unsigned int year, unsigned int month, unsigned int day, unsigned int hour = 0,
                unsigned int minute = 0, unsigned int second = 0, unsigned long micro = 0,
                bool neg = false) {
  MYSQL_TIME t{};
  t.year = year;
  t.month = month;
  t.day = day;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  t.second_part = micro;
  t.neg = neg ? 1 : 0;
  return t;
}

struct RenderCase {
  std::string what;
  FieldType field;
  RawCell cell;
  TypeOptions options;
  Value expected;
};

RawCell Integer(uint64_t bits) {
  RawCell cell;
  cell.integer_bits = bits;
  return cell;
}
RawCell Bytes(std::string_view bytes) {
  RawCell cell;
  cell.bytes = bytes;
  return cell;
}
RawCell TimeCell(MYSQL_TIME time) {
  RawCell cell;
  cell.time = time;
  return cell;
}
RawCell Float(float value) {
  RawCell cell;
  cell.float_value = value;
  return cell;
}
RawCell Double(double value) {
  RawCell cell;
  cell.double_value = value;
  return cell;
}
RawCell Null() {
  RawCell cell;
  cell.is_null = true;
  return cell;
}

TEST(RenderCellTest, Values) {
  const TypeOptions defaults;
  TypeOptions keep_zero;
  keep_zero.zero_dates_as_null = false;
  TypeOptions no_bool;
  no_bool.tinyint1_as_boolean = false;
  const FieldType bigint = Field(MYSQL_TYPE_LONGLONG, 0, 20, kBinary);
  const FieldType ubigint = Field(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 20, kBinary);
  const FieldType tiny1 = Field(MYSQL_TYPE_TINY, 0, 1, kBinary);
  const FieldType date = Field(MYSQL_TYPE_DATE, 0, 10, kBinary);
  const FieldType datetime0 = Field(MYSQL_TYPE_DATETIME, 0, 19, kBinary, 0);
  const FieldType datetime3 = Field(MYSQL_TYPE_DATETIME, 0, 23, kBinary, 3);
  const FieldType datetime6 = Field(MYSQL_TYPE_DATETIME, 0, 26, kBinary, 6);
  const FieldType datetime_expr = Field(MYSQL_TYPE_DATETIME, 0, 26, kBinary, 39);
  const FieldType time0 = Field(MYSQL_TYPE_TIME, 0, 10, kBinary, 0);
  const FieldType time2 = Field(MYSQL_TYPE_TIME, 0, 13, kBinary, 2);
  const FieldType year = Field(MYSQL_TYPE_YEAR, UNSIGNED_FLAG | ZEROFILL_FLAG, 4, kBinary);
  const FieldType text = Field(MYSQL_TYPE_VAR_STRING, 0, 400);
  const FieldType blob = Field(MYSQL_TYPE_BLOB, BINARY_FLAG, 65535, kBinary);
  const FieldType decimal = Field(MYSQL_TYPE_NEWDECIMAL, 0, 22, kBinary, 6);
  const FieldType floating = Field(MYSQL_TYPE_FLOAT, 0, 12, kBinary, 31);
  const FieldType dbl = Field(MYSQL_TYPE_DOUBLE, 0, 22, kBinary, 31);

  const std::vector<RenderCase> cases = {
      {"null", bigint, Null(), defaults, Value::Null()},
      {"bigint max", bigint, Integer(9223372036854775807ULL), defaults,
       Value::Text("9223372036854775807")},
      {"bigint min", bigint, Integer(static_cast<uint64_t>(INT64_MIN)), defaults,
       Value::Text("-9223372036854775808")},
      {"bigint unsigned max", ubigint, Integer(18446744073709551615ULL), defaults,
       Value::Text("18446744073709551615")},
      {"tinyint(1) 0", tiny1, Integer(0), defaults, Value::Text("0")},
      {"tinyint(1) 1", tiny1, Integer(1), defaults, Value::Text("1")},
      {"tinyint(1) 5 is true", tiny1, Integer(5), defaults, Value::Text("1")},
      {"tinyint(1) -1 as integer", tiny1, Integer(static_cast<uint64_t>(-1)), no_bool,
       Value::Text("-1")},
      {"year", year, Integer(2024), defaults, Value::Text("2024")},
      {"year zero", year, Integer(0), defaults, Value::Text("0000")},
      {"decimal exact", decimal, Bytes("12345678901234.123456"), defaults,
       Value::Text("12345678901234.123456")},
      {"float shortest", floating, Float(0.1f), defaults, Value::Text("0.1")},
      {"float large", floating, Float(-3.4e38f), defaults, Value::Text("-3.4e+38")},
      {"double shortest", dbl, Double(0.1), defaults, Value::Text("0.1")},
      {"double exact", dbl, Double(1.7976931348623157e308), defaults,
       Value::Text("1.7976931348623157e+308")},
      {"date", date, TimeCell(Time(2024, 2, 29)), defaults, Value::Text("2024-02-29")},
      {"zero date", date, TimeCell(Time(0, 0, 0)), defaults, Value::Null()},
      {"zero-in-date", date, TimeCell(Time(2024, 0, 0)), defaults, Value::Null()},
      {"zero date kept", date, TimeCell(Time(0, 0, 0)), keep_zero, Value::Text("0000-00-00")},
      {"datetime", datetime0, TimeCell(Time(1999, 12, 31, 23, 59, 58)), defaults,
       Value::Text("1999-12-31 23:59:58")},
      {"datetime(3)", datetime3, TimeCell(Time(2024, 1, 2, 3, 4, 5, 123000)), defaults,
       Value::Text("2024-01-02 03:04:05.123")},
      {"datetime(6)", datetime6, TimeCell(Time(2024, 1, 2, 3, 4, 5, 7)), defaults,
       Value::Text("2024-01-02 03:04:05.000007")},
      {"datetime(6) whole second", datetime6, TimeCell(Time(2024, 1, 2, 3, 4, 5, 0)), defaults,
       Value::Text("2024-01-02 03:04:05.000000")},
      {"datetime expression", datetime_expr, TimeCell(Time(2024, 1, 2, 3, 4, 5, 0)), defaults,
       Value::Text("2024-01-02 03:04:05")},
      {"datetime expression fraction", datetime_expr, TimeCell(Time(2024, 1, 2, 3, 4, 5, 500)),
       defaults, Value::Text("2024-01-02 03:04:05.000500")},
      {"zero datetime", datetime0, TimeCell(Time(0, 0, 0)), defaults, Value::Null()},
      {"zero datetime kept", datetime0, TimeCell(Time(0, 0, 0)), keep_zero,
       Value::Text("0000-00-00 00:00:00")},
      {"time", time0, TimeCell(Time(0, 0, 0, 13, 5, 9)), defaults, Value::Text("13:05:09")},
      {"time past a day, negative", time0, TimeCell(Time(0, 0, 0, 838, 59, 59, 0, true)), defaults,
       Value::Text("-838:59:59")},
      {"time(2)", time2, TimeCell(Time(0, 0, 0, 1, 2, 3, 450000)), defaults,
       Value::Text("01:02:03.45")},
      {"zero time is a time", time0, TimeCell(Time(0, 0, 0)), defaults, Value::Text("00:00:00")},
      {"text utf8", text, Bytes("Zoë 😀"), defaults, Value::Text("Zoë 😀")},
      {"empty text is not null", text, Bytes(""), defaults, Value::Text("")},
      {"invalid utf8", text, Bytes("\xff\xfe"), defaults, Value::FromText("\xff\xfe")},
      {"blob", blob, Bytes(std::string_view("\x00\x01\xff", 3)), defaults,
       Value::Binary(std::string("\x00\x01\xff", 3))},
  };
  for (const RenderCase& c : cases) {
    SCOPED_TRACE(c.what);
    const Value value = RenderCell(PlanColumn(c.field, c.options), c.cell, c.options);
    EXPECT_EQ(value, c.expected) << value.DebugString() << " vs " << c.expected.DebugString();
  }
  EXPECT_EQ(Value::FromText("\xff\xfe").state(), Value::State::kBadText);
}

TEST(TypeNameTest, Names) {
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 20, kBinary)), "BIGINT UNSIGNED");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_TINY, 0, 1, kBinary)), "TINYINT(1)");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_NEWDECIMAL, 0, 22, kBinary, 6)), "DECIMAL(20,6)");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_DATETIME, 0, 26, kBinary, 6)), "DATETIME(6)");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_VAR_STRING, 0, 400)), "VARCHAR");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_VAR_STRING, BINARY_FLAG, 16, kBinary)), "VARBINARY");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_BLOB, 0, 65535)), "TEXT");
  EXPECT_EQ(TypeName(Field(MYSQL_TYPE_STRING, ENUM_FLAG, 20)), "ENUM");
}

}  // namespace
}  // namespace contactsync::source::mysql
