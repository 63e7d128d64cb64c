#pragma once

// The one redaction helper (docs/architecture.md, conventions): every message that may
// quote text from a driver, a server or a URL passes through here before it
// reaches a Status, a log line, an API response or a report.

#include <string>
#include <string_view>
#include <vector>

namespace contactsync::base {

// `text` with each non-empty secret replaced by "***" where it stands as a whole
// value: quoted ('secret'), after "password=", or between spaces and punctuation,
// as a driver echoes a password. An occurrence inside a longer name is left alone:
// with the password "invalid" the host "db.nonexistent.invalid" stays as it is,
// because masking it there would garble the message and tell every reader the
// password. The password part of any URL userinfo ("scheme://user:pass@host") and
// the value of a connection string's "password=" are replaced whatever they are.
// The mask never depends on the secret's length.
std::string Redact(std::string_view text, const std::vector<std::string_view>& secrets = {});

}  // namespace contactsync::base
