#pragma once

// The bits of PostgreSQL's SQL syntax that code building statements for this driver needs:
// quoted identifiers and `$n` placeholders (docs/architecture.md, conventions). Values never go
// into SQL text; they are bound to the placeholders.
//
// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::source::postgres {

// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are silently
// truncated by the server.
inline constexpr size_t kMaxIdentifierBytes = 63;

// `"name"` with every '"' doubled: safe for any identifier, including ones with spaces, quotes,
// backticks, brackets, dots, semicolons or reserved words. kInvalidArgument when `name` is
// empty, holds a NUL byte or is not UTF-8 (PostgreSQL cannot store such a name), or is longer
// than kMaxIdentifierBytes (the server would truncate it and might then name another object).
base::Result<std::string> QuoteIdentifier(std::string_view name);

// `schema.name`, each part quoted as above; just the quoted name when `schema` is empty.
base::Result<std::string> QuoteQualifiedName(std::string_view schema, std::string_view name);

// The placeholder of the `index`-th bound value, counting from 1: "$1", "$2", ...
// Precondition: 1 <= index <= 65535 (the protocol's limit on parameters).
std::string Placeholder(size_t index);

}  // namespace contactsync::source::postgres
