#pragma once

// SQLite type mapping, in one place (docs/architecture.md, conventions).
//
// SQLite types belong to values, not columns: a column's declared type only gives it an
// affinity, and any cell may hold any storage class. So the column kind comes from the
// declared type (for the mapping step's expectations) and each cell's text from its own
// storage class.

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "source/value.h"

namespace contactsync::source::sqlite {

// The kind of a column declared as `declared_type`, following SQLite's affinity rules
// (https://sqlite.org/datatype3.html §3.1) and refining NUMERIC affinity by name:
//   contains "INT"                       -> kInteger  (so "POINT" is an integer, as in SQLite)
//   contains "CHAR", "CLOB" or "TEXT"    -> kText
//   contains "BLOB"                      -> kBinary
//   empty                                -> kUnknown  (BLOB affinity: anything goes)
//   contains "REAL", "FLOA" or "DOUB"    -> kReal
//   otherwise (NUMERIC affinity): "BOOL" -> kBoolean, "DATETIME"/"TIMESTAMP" -> kDateTime,
//   "DATE" -> kDate, "TIME" -> kTime, anything else ("NUMERIC", "DECIMAL(10,2)") -> kDecimal
ValueKind KindFromDeclaredType(std::string_view declared_type);

// The shortest decimal text that reads back as `value` ("0.1", "1e+300", "-0").
std::string RenderReal(double value);

// The cell in column `column` of the current row of `stmt`, by its storage class:
//   NULL    -> Value::Null()
//   INTEGER -> decimal digits
//   REAL    -> RenderReal (SQLite has no exact decimals: a DECIMAL column's fractions are stored
//              as REAL already, so this is as exact as the file is)
//   TEXT    -> the bytes, kText when valid UTF-8, otherwise kBadText
//   BLOB    -> kBinary with the bytes
// Dates and times are TEXT (ISO 8601 as written by the application) or numbers (Unix time,
// Julian day) in SQLite; they pass through unchanged, and the mapping step interprets them.
Value ReadCell(sqlite3_stmt* stmt, int column);

}  // namespace contactsync::source::sqlite
