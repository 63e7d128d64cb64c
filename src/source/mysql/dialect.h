#pragma once

// The bits of MySQL's SQL syntax that the driver itself needs.
//
// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::source::mysql {

// "`name`" with every '`' doubled: safe for any identifier MySQL accepts, including ones with
// spaces, quotes, brackets, dots, semicolons or reserved words. kInvalidArgument when `name` is
// empty or holds a NUL byte, which no MySQL identifier can contain (the server would cut the
// name there). Does not depend on sql_mode: backticks quote in every mode, ANSI_QUOTES or not.
base::Result<std::string> QuoteIdentifier(std::string_view name);

// The placeholder for the `index`-th (0-based) bound parameter: always "?" in MySQL.
std::string_view Placeholder(size_t index);

}  // namespace contactsync::source::mysql
