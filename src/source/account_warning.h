#pragma once

// The one line SourceInfo::warning carries about the account a connection uses (docs/spec.md §2): a
// connection test says once what makes the account risky, whatever the driver.
//
// Thread safety: pure function.

#include <string>
#include <vector>

namespace contactsync::source {

// "" when the account can neither write nor holds any of `privileges` (the rights beyond data
// that the driver found, by their database names, e.g. "superuser" or "FILE"); otherwise one
// line naming them and what follows: custom queries are refused on a privileged account unless
// the connection allows them, and a SELECT-only account is safer.
std::string AccountWarning(bool can_write, const std::vector<std::string>& privileges);

}  // namespace contactsync::source
