#pragma once

// Reading `SHOW GRANTS` output to tell whether an account can change data (SPEC §2: the
// connection test warns when it can).
//
// Thread safety: pure function.

#include <string>
#include <string_view>
#include <vector>

namespace contactsync::source::mysql {

// True when any of `grants` (lines of SHOW GRANTS FOR CURRENT_USER(), e.g.
// "GRANT SELECT, INSERT ON `shop`.* TO `u`@`%`") gives ALL PRIVILEGES, INSERT, UPDATE, DELETE,
// CREATE..., DROP, ALTER, FILE or SUPER on *.*, on database `database` (its name exactly, or a
// wildcard pattern, which may match it) or on a table of it. Grants of roles and proxies are
// not followed: their privileges are not in these lines.
bool GrantsCanWrite(const std::vector<std::string>& grants, std::string_view database);

}  // namespace contactsync::source::mysql
