#include "source/mysql/types.h"

#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace contactsync::source::mysql {
namespace {

// MySQL marks temporal expressions of unknown precision with decimals = 39 (NOT_FIXED_DEC);
// their cells get six digits when they have a fraction and none otherwise.
constexpr unsigned int kAutoFraction = 255;
constexpr unsigned int kBinaryCharset = 63;

bool IsBinaryCharset(const FieldType& field) { return field.charsetnr == kBinaryCharset; }

ColumnPlan Plan(ValueKind kind, CellFormat format, enum_field_types buffer_type) {
  ColumnPlan plan;
  plan.kind = kind;
  plan.format = format;
  plan.buffer_type = buffer_type;
  return plan;
}

// Character data: text unless the column's character set is binary (BINARY, VARBINARY, BLOB),
// whose bytes need not be UTF-8 and are no text for a contact field.
ColumnPlan CharacterPlan(const FieldType& field) {
  if (IsBinaryCharset(field))
    return Plan(ValueKind::kBinary, CellFormat::kBinary, MYSQL_TYPE_STRING);
  return Plan(ValueKind::kText, CellFormat::kText, MYSQL_TYPE_STRING);
}

ColumnPlan TemporalPlan(ValueKind kind, CellFormat format, enum_field_types buffer_type,
                        const FieldType& field) {
  ColumnPlan plan = Plan(kind, format, buffer_type);
  plan.fraction_digits = field.decimals <= 6 ? field.decimals : kAutoFraction;
  return plan;
}

template <typename T>
std::string ToChars(T value) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string Fraction(const ColumnPlan& plan, unsigned long microseconds) {
  unsigned int digits = plan.fraction_digits;
  if (digits == kAutoFraction) digits = microseconds != 0 ? 6 : 0;
  if (digits == 0) return {};
  // MYSQL_TIME holds microseconds; a DATETIME(3) shows the first three of the six digits.
  return fmt::format(".{:06}", microseconds % 1000000).substr(0, digits + 1);
}

bool IsZeroDate(const MYSQL_TIME& time) { return time.month == 0 || time.day == 0; }

}  // namespace

FieldType FieldTypeOf(const MYSQL_FIELD& field) {
  FieldType type;
  type.type = field.type;
  type.flags = field.flags;
  type.length = field.length;
  type.charsetnr = field.charsetnr;
  type.decimals = field.decimals;
  return type;
}

ColumnPlan PlanColumn(const FieldType& field, const TypeOptions& options) {
  const bool is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
  switch (field.type) {
    case MYSQL_TYPE_NULL:
      // `SELECT NULL`: no type at all.
      return Plan(ValueKind::kUnknown, CellFormat::kNull, MYSQL_TYPE_NULL);
    case MYSQL_TYPE_TINY:
      // BOOLEAN columns are TINYINT(1) in the catalog; display width 1 is the only mark.
      if (options.tinyint1_as_boolean && field.length == 1) {
        ColumnPlan plan = Plan(ValueKind::kBoolean, CellFormat::kBoolean, MYSQL_TYPE_LONGLONG);
        plan.is_unsigned = is_unsigned;
        return plan;
      }
      [[fallthrough]];
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG: {
      // Every width is fetched as 64 bits; the unsigned flag keeps BIGINT UNSIGNED exact.
      ColumnPlan plan = Plan(ValueKind::kInteger, CellFormat::kInteger, MYSQL_TYPE_LONGLONG);
      plan.is_unsigned = is_unsigned;
      return plan;
    }
    case MYSQL_TYPE_YEAR: {
      // YEAR is a number on the wire but always shown with four digits ("0000", "2024").
      ColumnPlan plan = Plan(ValueKind::kInteger, CellFormat::kYear, MYSQL_TYPE_LONGLONG);
      plan.is_unsigned = true;
      return plan;
    }
    case MYSQL_TYPE_FLOAT:
      // Fetched as float, not double: widening 0.1f would print 0.10000000149011612.
      return Plan(ValueKind::kReal, CellFormat::kFloat, MYSQL_TYPE_FLOAT);
    case MYSQL_TYPE_DOUBLE:
      return Plan(ValueKind::kReal, CellFormat::kDouble, MYSQL_TYPE_DOUBLE);
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      // The server sends decimals as text; keeping that text is what keeps them exact.
      return Plan(ValueKind::kDecimal, CellFormat::kText, MYSQL_TYPE_STRING);
    case MYSQL_TYPE_DATE:
      return TemporalPlan(ValueKind::kDate, CellFormat::kDate, MYSQL_TYPE_DATE, field);
    case MYSQL_TYPE_NEWDATE:
      // Internal to the server; should it ever arrive, its text is already "YYYY-MM-DD".
      return Plan(ValueKind::kDate, CellFormat::kText, MYSQL_TYPE_STRING);
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_TIME2:
      return TemporalPlan(ValueKind::kTime, CellFormat::kTime, MYSQL_TYPE_TIME, field);
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2:
      return TemporalPlan(ValueKind::kDateTime, CellFormat::kDateTime, MYSQL_TYPE_DATETIME, field);
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2:
      // Rendered in the session time zone, as the user's own MySQL tools show it.
      return TemporalPlan(ValueKind::kDateTime, CellFormat::kDateTime, MYSQL_TYPE_TIMESTAMP, field);
    case MYSQL_TYPE_BIT:
      // BIT(n) arrives as n/8 raw bytes, big-endian; no text form is faithful for every n.
      return Plan(ValueKind::kBinary, CellFormat::kBinary, MYSQL_TYPE_STRING);
    case MYSQL_TYPE_JSON:
      // MySQL labels JSON results with the binary character set although they are UTF-8 text
      // (MariaDB's JSON is a LONGTEXT and never gets here).
      return Plan(ValueKind::kText, CellFormat::kText, MYSQL_TYPE_STRING);
    case MYSQL_TYPE_GEOMETRY:
      return Plan(ValueKind::kBinary, CellFormat::kBinary, MYSQL_TYPE_STRING);
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
      // ENUM and SET arrive as MYSQL_TYPE_STRING with ENUM_FLAG/SET_FLAG: their labels are text.
      return CharacterPlan(field);
    default: {
      // A type newer than this driver: keep its bytes, typed as the character set says.
      ColumnPlan plan = CharacterPlan(field);
      plan.kind = plan.format == CellFormat::kBinary ? ValueKind::kBinary : ValueKind::kUnknown;
      return plan;
    }
  }
}

Value RenderCell(const ColumnPlan& plan, const RawCell& cell, const TypeOptions& options) {
  if (cell.is_null) return Value::Null();
  switch (plan.format) {
    case CellFormat::kNull:
      return Value::Null();
    case CellFormat::kInteger:
      if (plan.is_unsigned) return Value::Text(ToChars(cell.integer_bits));
      return Value::Text(ToChars(static_cast<int64_t>(cell.integer_bits)));
    case CellFormat::kYear:
      return Value::Text(fmt::format("{:04}", cell.integer_bits));
    case CellFormat::kBoolean:
      // MySQL's TRUE is any non-zero value; kBoolean promises "0" or "1".
      return Value::Text(cell.integer_bits != 0 ? "1" : "0");
    case CellFormat::kFloat:
      return Value::Text(ToChars(cell.float_value));
    case CellFormat::kDouble:
      return Value::Text(ToChars(cell.double_value));
    case CellFormat::kText:
      return Value::FromText(std::string(cell.bytes));
    case CellFormat::kBinary:
      return Value::Binary(std::string(cell.bytes));
    case CellFormat::kDate: {
      const MYSQL_TIME& t = cell.time;
      if (options.zero_dates_as_null && IsZeroDate(t)) return Value::Null();
      return Value::Text(fmt::format("{:04}-{:02}-{:02}", t.year, t.month, t.day));
    }
    case CellFormat::kTime: {
      // TIME is a duration as much as a time of day: -838:59:59 to 838:59:59; libmariadb has
      // already folded days into the hours.
      const MYSQL_TIME& t = cell.time;
      return Value::Text(fmt::format("{}{:02}:{:02}:{:02}{}", t.neg ? "-" : "", t.hour, t.minute,
                                     t.second, Fraction(plan, t.second_part)));
    }
    case CellFormat::kDateTime: {
      const MYSQL_TIME& t = cell.time;
      if (options.zero_dates_as_null && IsZeroDate(t)) return Value::Null();
      return Value::Text(fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}", t.year, t.month,
                                     t.day, t.hour, t.minute, t.second,
                                     Fraction(plan, t.second_part)));
    }
  }
  return Value::Null();
}

std::string TypeName(const FieldType& field) {
  const bool is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
  const bool binary = IsBinaryCharset(field);
  const std::string sign = is_unsigned ? " UNSIGNED" : "";
  auto with_fraction = [&](std::string_view name) {
    if (field.decimals == 0 || field.decimals > 6) return std::string(name);
    return fmt::format("{}({})", name, field.decimals);
  };
  switch (field.type) {
    case MYSQL_TYPE_NULL:
      return "NULL";
    case MYSQL_TYPE_TINY:
      return (field.length == 1 ? "TINYINT(1)" : "TINYINT") + sign;
    case MYSQL_TYPE_SHORT:
      return "SMALLINT" + sign;
    case MYSQL_TYPE_INT24:
      return "MEDIUMINT" + sign;
    case MYSQL_TYPE_LONG:
      return "INT" + sign;
    case MYSQL_TYPE_LONGLONG:
      return "BIGINT" + sign;
    case MYSQL_TYPE_YEAR:
      return "YEAR";
    case MYSQL_TYPE_FLOAT:
      return "FLOAT" + sign;
    case MYSQL_TYPE_DOUBLE:
      return "DOUBLE" + sign;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: {
      // The display length counts the sign and the point as characters.
      const unsigned long overhead = (field.decimals > 0 ? 1 : 0) + (is_unsigned ? 0 : 1);
      const unsigned long precision = field.length > overhead ? field.length - overhead : 0;
      return fmt::format("DECIMAL({},{}){}", precision, field.decimals, sign);
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
      return "DATE";
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_TIME2:
      return with_fraction("TIME");
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2:
      return with_fraction("DATETIME");
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2:
      return with_fraction("TIMESTAMP");
    case MYSQL_TYPE_BIT:
      return fmt::format("BIT({})", field.length);
    case MYSQL_TYPE_JSON:
      return "JSON";
    case MYSQL_TYPE_GEOMETRY:
      return "GEOMETRY";
    case MYSQL_TYPE_ENUM:
      return "ENUM";
    case MYSQL_TYPE_SET:
      return "SET";
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
      return binary ? "VARBINARY" : "VARCHAR";
    case MYSQL_TYPE_STRING:
      if ((field.flags & ENUM_FLAG) != 0) return "ENUM";
      if ((field.flags & SET_FLAG) != 0) return "SET";
      return binary ? "BINARY" : "CHAR";
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
      return binary ? "BLOB" : "TEXT";
    default:
      return fmt::format("TYPE {}", static_cast<int>(field.type));
  }
}

}  // namespace contactsync::source::mysql
