#pragma once

// Exclusion patterns: an exact address or a pattern with '*' wildcards
// ("*@example.com", "test*@*"). '*' matches any run of characters, including
// none; matching is case-insensitive (patterns and keys are lower-case).
//
// A pattern is well formed when, after trimming and lower-casing, it is 3..254
// bytes of printable ASCII without white space, holds exactly one '@' with
// something (a character or '*') on each side, and has no characters outside
// those allowed in an address besides '*'. "**" is folded to "*".
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::model {

// The canonical pattern, or InvalidArgument saying why it is malformed.
base::Result<std::string> NormalizeExclusionPattern(std::string_view raw);

// True when canonical `pattern` matches `email_key` (see EmailKey). At worst
// proportional to the product of the two lengths, whatever the number of '*'
// (no exponential backtracking).
bool ExclusionMatches(std::string_view pattern, std::string_view email_key);

}  // namespace contactsync::model
