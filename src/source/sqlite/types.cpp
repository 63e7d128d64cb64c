#include "source/sqlite/types.h"

#include <charconv>
#include <cstdint>

#include "base/text.h"

namespace contactsync::source::sqlite {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

ValueKind KindFromDeclaredType(std::string_view declared_type) {
  const std::string upper = [&] {
    std::string out(declared_type);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
  }();
  // The order of these tests is SQLite's own; changing it would disagree with how SQLite
  // stores the values.
  if (Contains(upper, "INT")) return ValueKind::kInteger;
  if (Contains(upper, "CHAR") || Contains(upper, "CLOB") || Contains(upper, "TEXT")) {
    return ValueKind::kText;
  }
  if (Contains(upper, "BLOB")) return ValueKind::kBinary;
  if (base::TrimAscii(upper).empty()) return ValueKind::kUnknown;
  if (Contains(upper, "REAL") || Contains(upper, "FLOA") || Contains(upper, "DOUB")) {
    return ValueKind::kReal;
  }
  // NUMERIC affinity. Applications declare dates and booleans with these names; SQLite
  // stores them as given, so the kind is a hint for the mapping step, not a guarantee.
  if (Contains(upper, "BOOL")) return ValueKind::kBoolean;
  if (Contains(upper, "DATETIME") || Contains(upper, "TIMESTAMP")) return ValueKind::kDateTime;
  if (Contains(upper, "DATE")) return ValueKind::kDate;
  if (Contains(upper, "TIME")) return ValueKind::kTime;
  return ValueKind::kDecimal;
}

std::string RenderReal(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return "NaN";  // cannot happen: 64 bytes fit any double
  return std::string(buffer, end);
}

Value ReadCell(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_NULL:
      return Value::Null();
    case SQLITE_INTEGER: {
      char buffer[24];
      const auto [end, error] =
          std::to_chars(buffer, buffer + sizeof(buffer),
                        static_cast<std::int64_t>(sqlite3_column_int64(stmt, column)));
      (void)error;  // 24 bytes fit any int64
      return Value::Text(std::string(buffer, end));
    }
    case SQLITE_FLOAT:
      return Value::Text(RenderReal(sqlite3_column_double(stmt, column)));
    case SQLITE_TEXT: {
      // sqlite3_column_text before sqlite3_column_bytes: the documented safe order.
      const auto* text = sqlite3_column_text(stmt, column);
      const int size = sqlite3_column_bytes(stmt, column);
      return Value::FromText(
          std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size)));
    }
    case SQLITE_BLOB:
    default: {
      const void* blob = sqlite3_column_blob(stmt, column);
      const int size = sqlite3_column_bytes(stmt, column);
      if (blob == nullptr || size == 0) return Value::Binary(std::string());
      return Value::Binary(std::string(static_cast<const char*>(blob), static_cast<size_t>(size)));
    }
  }
}

}  // namespace contactsync::source::sqlite
