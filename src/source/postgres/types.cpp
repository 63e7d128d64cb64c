#include "source/postgres/types.h"

#include <cstddef>
#include <string>
#include <utility>

namespace contactsync::source::postgres {

ValueKind KindFromType(Oid type, int typmod) {
  switch (type) {
    case 0:
      return ValueKind::kUnknown;
    case kBoolOid:
      // Kept as PostgreSQL prints it ("t"/"f"); the mapping step knows both spellings.
      return ValueKind::kBoolean;
    case kBitOid:
      // bit(1) is the other common way to store a flag (and how MySQL dumps arrive); longer
      // bit strings are bit masks, which read best as their text of 0s and 1s.
      return typmod == 1 ? ValueKind::kBoolean : ValueKind::kText;
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return ValueKind::kInteger;
    case kNumericOid:
      // Text format is exact whatever the precision; never read it as a double. Since
      // PostgreSQL 14 numeric also holds "Infinity", which the mapping step rejects like "NaN".
      return ValueKind::kDecimal;
    case kFloat4Oid:
    case kFloat8Oid:
      return ValueKind::kReal;
    case kDateOid:
      return ValueKind::kDate;
    case kTimestampOid:
    case kTimestamptzOid:
      // timestamptz is printed in the session TimeZone, which is UTC, so "+00" is its zone.
      return ValueKind::kDateTime;
    case kTimeOid:
      return ValueKind::kTime;
    case kTimetzOid:
      // "13:45:00+02" is a time of day with an offset but no date, which no contact field can
      // hold without guessing a day for the offset to apply to; the text stays as it is.
      return ValueKind::kText;
    case kMoneyOid:
      // Printed with the server's lc_monetary ("$1,234.50"), so it is not a plain decimal.
      return ValueKind::kText;
    case kByteaOid:
      return ValueKind::kBinary;
    default:
      // Character types, json, uuid, enums, arrays, ranges, geometric and network types all
      // have a stable text form that is what the user sees in psql.
      return ValueKind::kText;
  }
}

Value ReadCell(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return Value::Null();
  const char* text = PQgetvalue(result, row, column);
  const auto length = static_cast<size_t>(PQgetlength(result, row, column));
  if (PQftype(result, column) == kByteaOid) {
    // The session sets bytea_output=hex; PQunescapeBytea also reads the older escape format
    // should a pooler or server default change it.
    size_t decoded_length = 0;
    unsigned char* decoded =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &decoded_length);
    // NULL only when out of memory; the undecoded text is still binary for the sync.
    if (decoded == nullptr) return Value::Binary(std::string(text, length));
    std::string bytes(reinterpret_cast<const char*>(decoded), decoded_length);
    PQfreemem(decoded);
    return Value::Binary(std::move(bytes));
  }
  return Value::FromText(std::string(text, length));
}

}  // namespace contactsync::source::postgres
