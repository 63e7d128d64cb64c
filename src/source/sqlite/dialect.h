#pragma once

// The bits of SQLite's SQL syntax that only the driver needs. Identifiers are quoted by
// query/dialect.h, like every database's.

#include <string>
#include <string_view>

namespace contactsync::source::sqlite {

// A `file:` URI that opens `path` read-only: the path percent-encoded (so '?', '#' and '%' in
// file names stay part of the name) followed by "?mode=ro".
std::string ReadOnlyFileUri(std::string_view path);

// True when `tail` (what sqlite3_prepare left after the first statement) holds nothing but
// white space, `;` and SQL comments, i.e. no second statement.
bool IsEmptyTail(std::string_view tail);

}  // namespace contactsync::source::sqlite
