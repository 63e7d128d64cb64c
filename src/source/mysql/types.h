#pragma once

// MySQL/MariaDB type mapping, in one place (docs/architecture.md, conventions).
//
// PlanColumn is the one decision per column: from the result metadata (type, flags, length,
// character set) it picks the ValueKind the mapping step sees, the buffer type the driver asks
// libmariadb to convert each cell into, and how RenderCell turns that buffer into a Value.
// Both are pure functions of their arguments, so the rules are tested without a server.
//
// The connection character set is utf8mb4 (set by the driver), so the server converts every
// latin1, utf8mb3 and utf8mb4 column to UTF-8 before sending it; character set 63 ("binary")
// marks the columns whose bytes are not text at all.
//
// Thread safety: pure functions.

#include <mysql.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "source/value.h"

namespace contactsync::source::mysql {

// Named choices where MySQL's types do not say what the user means.
struct TypeOptions {
  // '0000-00-00' and '0000-00-00 00:00:00' (and dates with a zero month or day) are MySQL's
  // stand-ins for "no date" in schemas without NULL; they are no calendar date, so ISO 8601 has
  // no spelling for them. When false they are rendered as stored.
  bool zero_dates_as_null = true;
  // TINYINT(1) is how MySQL spells BOOLEAN (it has no boolean type). When false it is an
  // integer like any TINYINT.
  bool tinyint1_as_boolean = true;
};

// The parts of a MYSQL_FIELD that decide the mapping.
struct FieldType {
  enum_field_types type = MYSQL_TYPE_NULL;
  unsigned int flags = 0;      // NOT_NULL_FLAG, UNSIGNED_FLAG, ...
  unsigned long length = 0;    // display width (TINYINT(1) -> 1) or byte length
  unsigned int charsetnr = 0;  // 63 = binary
  unsigned int decimals = 0;   // digits after the point (temporal types: fractional seconds)
};

FieldType FieldTypeOf(const MYSQL_FIELD& field);

// How a cell's buffer becomes a Value.
enum class CellFormat {
  kNull,      // MYSQL_TYPE_NULL: every cell is NULL
  kInteger,   // 64-bit integer buffer, signed or unsigned per `is_unsigned`
  kYear,      // integer buffer, rendered with four digits
  kBoolean,   // integer buffer, rendered "0" or "1"
  kFloat,     // float buffer, shortest text that reads back the same float
  kDouble,    // double buffer, shortest text that reads back the same double
  kText,      // byte buffer holding UTF-8 text (FromText: invalid bytes are kBadText)
  kBinary,    // byte buffer holding bytes (Value::Binary)
  kDate,      // MYSQL_TIME buffer, "YYYY-MM-DD"
  kTime,      // MYSQL_TIME buffer, "[-]HH:MM:SS[.ffffff]" (hours may exceed 23)
  kDateTime,  // MYSQL_TIME buffer, "YYYY-MM-DD HH:MM:SS[.ffffff]"
};

struct ColumnPlan {
  ValueKind kind = ValueKind::kUnknown;
  CellFormat format = CellFormat::kNull;
  enum_field_types buffer_type = MYSQL_TYPE_NULL;  // MYSQL_BIND::buffer_type for the result
  bool is_unsigned = false;                        // MYSQL_BIND::is_unsigned
  unsigned int fraction_digits = 0;                // temporal: digits of fractional seconds

  friend bool operator==(const ColumnPlan&, const ColumnPlan&) = default;
};

// THE type mapping: the plan for one result column.
ColumnPlan PlanColumn(const FieldType& field, const TypeOptions& options);

// One fetched cell, in the buffer its plan asked for. Only the member of the plan's format is
// read.
struct RawCell {
  bool is_null = false;
  std::string_view bytes;     // kText, kBinary
  uint64_t integer_bits = 0;  // kInteger, kYear, kBoolean: the 64-bit buffer as stored
  float float_value = 0;      // kFloat
  double double_value = 0;    // kDouble
  MYSQL_TIME time{};          // kDate, kTime, kDateTime
};

// The Value of a cell (NULL when is_null, or a zero date under zero_dates_as_null).
Value RenderCell(const ColumnPlan& plan, const RawCell& cell, const TypeOptions& options);

// A readable type name for result columns that have no declared type ("VARCHAR",
// "BIGINT UNSIGNED", "DATETIME(6)", "VARBINARY"), used by DescribeQuery.
std::string TypeName(const FieldType& field);

}  // namespace contactsync::source::mysql
