#pragma once

// Reading `SHOW GRANTS` output to tell whether an account can change data (docs/spec.md §2: the
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

// The rights beyond data that `grants` give, by their SHOW GRANTS names in the order met, each
// once ("ALL PRIVILEGES", "FILE", "BINLOG MONITOR", ...); empty for an account with none.
// Counted: on *.*, ALL PRIVILEGES, FILE, SUPER, PROCESS, SHUTDOWN, RELOAD, CREATE USER,
// CREATE TABLESPACE, REPLICATION ..., BINLOG ..., SLAVE/REPLICA MONITOR, CONNECTION ADMIN,
// READ_ONLY ADMIN, FEDERATED ADMIN, SET USER, and WITH GRANT OPTION (as "GRANT OPTION");
// and any write privilege on the `mysql` system database ("write access to the mysql
// database"), which holds the accounts and their rights. Lines of roles count as the account's
// own: pass SHOW GRANTS (without FOR), which lists the default role's grants too.
std::vector<std::string> GrantsPrivileges(const std::vector<std::string>& grants);

}  // namespace contactsync::source::mysql
