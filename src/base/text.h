#pragma once

// Small text checks shared by every module that accepts strings from outside:
// the CLI, the API, source rows. Values are byte strings that must be UTF-8.

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::base {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

// OK when `text` is valid UTF-8, holds no NUL byte and is at most `max_bytes`
// long; otherwise InvalidArgument naming `what` (e.g. "first name") and the
// problem, with the offending byte offset where there is one.
Status CheckText(std::string_view what, std::string_view text, size_t max_bytes);

// `text` without leading and trailing ASCII white space.
std::string_view TrimAscii(std::string_view text);

// ASCII lower-casing; other bytes are left as they are.
std::string AsciiLower(std::string_view text);
// The same in place (no new string).
void AsciiLowerInPlace(std::string& text);

// A short, printable rendering of a value for error messages: non-printable
// and invalid bytes escaped as \xNN, cut to `max_chars` with an ellipsis.
std::string Printable(std::string_view text, size_t max_chars = 60);

}  // namespace contactsync::base
