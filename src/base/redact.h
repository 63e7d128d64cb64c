#pragma once

// The one redaction helper (DESIGN.md convention 10): every message that may
// quote text from a driver, a server or a URL passes through here before it
// reaches a Status, a log line, an API response or a report.

#include <string>
#include <string_view>
#include <vector>

namespace contactsync::base {

// `text` with every occurrence of each non-empty secret replaced by "***", and
// with the password part of any URL userinfo ("scheme://user:pass@host")
// replaced too. Secrets shorter than 3 bytes are still replaced: a short
// password is no less secret.
std::string Redact(std::string_view text, const std::vector<std::string_view>& secrets = {});

}  // namespace contactsync::base
