#pragma once

// PostgreSQL type mapping, in one place (docs/architecture.md, conventions).
//
// Results are read in text format: the server renders every value, and the session settings
// made at connect time (postgres_source.h: DateStyle 'ISO, YMD', TimeZone 'UTC', IntervalStyle
// 'iso_8601', extra_float_digits 3, bytea_output 'hex', client_encoding UTF8) make that text
// ISO 8601 and exact. So the kind of a column says what its text looks like, and only bytea
// needs decoding. Domains are mapped by their base type (PostgreSQL reports the base type in
// result descriptions; the catalog queries resolve it for DescribeTable).
//
// Thread safety: pure functions.

#include <libpq-fe.h>

#include "source/value.h"

namespace contactsync::source::postgres {

// Built-in type OIDs (src/include/catalog/pg_type.dat); fixed since PostgreSQL 7.x and the
// same on every server, so they need no catalog lookup.
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kCharOid = 18;
inline constexpr Oid kNameOid = 19;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kOidOid = 26;
inline constexpr Oid kJsonOid = 114;
inline constexpr Oid kFloat4Oid = 700;
inline constexpr Oid kFloat8Oid = 701;
inline constexpr Oid kMoneyOid = 790;
inline constexpr Oid kBpcharOid = 1042;
inline constexpr Oid kVarcharOid = 1043;
inline constexpr Oid kDateOid = 1082;
inline constexpr Oid kTimeOid = 1083;
inline constexpr Oid kTimestampOid = 1114;
inline constexpr Oid kTimestamptzOid = 1184;
inline constexpr Oid kIntervalOid = 1186;
inline constexpr Oid kTimetzOid = 1266;
inline constexpr Oid kBitOid = 1560;
inline constexpr Oid kVarbitOid = 1562;
inline constexpr Oid kNumericOid = 1700;
inline constexpr Oid kUuidOid = 2950;
inline constexpr Oid kJsonbOid = 3802;

// The kind of a column of (base) type `type` with type modifier `typmod` (-1 when none):
//   bool                          kBoolean  "t" / "f"
//   bit(1)                        kBoolean  "0" / "1"  (other bit(n) and varbit: kText)
//   int2, int4, int8, oid         kInteger
//   numeric                       kDecimal  exact, as stored ("12.50"; "NaN" passes through)
//   float4, float8                kReal     shortest exact text; "NaN", "Infinity" pass through
//   date                          kDate     "2024-02-29" ("infinity", "... BC" pass through)
//   timestamp, timestamptz        kDateTime "2024-02-29 13:45:00[.ffffff][+00]"
//   time                          kTime     "13:45:00[.ffffff]"
//   bytea                         kBinary
//   0 (no type)                   kUnknown
//   anything else                 kText     (text, varchar, char, name, json, jsonb, uuid,
//                                            enums, arrays, interval, timetz, money, ...)
ValueKind KindFromType(Oid type, int typmod);

// The cell at (`row`, `column`) of a text-format `result`: NULL stays NULL; bytea becomes
// Value::Binary with the decoded bytes; everything else is Value::FromText of the server's
// text (kBadText if it is not UTF-8, which client_encoding UTF8 should make impossible).
Value ReadCell(const PGresult* result, int row, int column);

}  // namespace contactsync::source::postgres
