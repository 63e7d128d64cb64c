#include "source/mysql/grants.h"

#include <algorithm>
#include <array>

#include "base/text.h"

namespace contactsync::source::mysql {
namespace {

// First words of privileges that change data or files. CREATE covers CREATE TEMPORARY TABLES,
// CREATE VIEW and CREATE ROUTINE; DELETE covers DELETE HISTORY; ALL covers ALL PRIVILEGES.
// EVENT and TRIGGER define code that the server runs later and that writes.
constexpr std::array<std::string_view, 11> kWritePrivileges = {
    "ALL",   "INSERT", "UPDATE", "DELETE", "CREATE", "DROP",
    "ALTER", "FILE",   "SUPER",  "EVENT",  "TRIGGER"};

// Global privileges that reach beyond the data of one database: files on the server (FILE),
// other sessions and their queries (PROCESS, CONNECTION ADMIN, SUPER), the server itself
// (SHUTDOWN, RELOAD, READ_ONLY ADMIN, SET USER, FEDERATED ADMIN, CREATE TABLESPACE), accounts
// (CREATE USER), and replication and the binary log. Whole names, compared ignoring case.
constexpr std::array<std::string_view, 14> kPrivilegedGlobal = {"ALL",
                                                                "ALL PRIVILEGES",
                                                                "FILE",
                                                                "SUPER",
                                                                "PROCESS",
                                                                "SHUTDOWN",
                                                                "RELOAD",
                                                                "CREATE USER",
                                                                "CREATE TABLESPACE",
                                                                "CONNECTION ADMIN",
                                                                "READ_ONLY ADMIN",
                                                                "FEDERATED ADMIN",
                                                                "SET USER",
                                                                "SLAVE MONITOR"};
// Families matched by their first word: REPLICATION CLIENT/SLAVE/REPLICA/MASTER ADMIN/SLAVE
// ADMIN, BINLOG ADMIN/MONITOR/REPLAY, REPLICA MONITOR.
constexpr std::array<std::string_view, 3> kPrivilegedFamilies = {"REPLICATION ", "BINLOG ",
                                                                 "REPLICA "};

// The database part of a grant target ("`shop`.*" -> "shop", "*.*" -> "*"), unquoted.
std::string TargetDatabase(std::string_view target) {
  target = base::TrimAscii(target);
  std::string name;
  if (!target.empty() && target.front() == '`') {
    for (size_t i = 1; i < target.size(); ++i) {
      if (target[i] == '`') {
        if (i + 1 < target.size() && target[i + 1] == '`') {
          name.push_back('`');
          ++i;
          continue;
        }
        break;
      }
      name.push_back(target[i]);
    }
    return name;
  }
  const size_t dot = target.find('.');
  return std::string(target.substr(0, dot));
}

// MySQL grant patterns: '_' and '%' are wildcards unless escaped with '\'.
bool PatternMayMatch(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern.front() == '%') {
    for (size_t skip = 0; skip <= name.size(); ++skip) {
      if (PatternMayMatch(pattern.substr(1), name.substr(skip))) return true;
    }
    return false;
  }
  if (name.empty()) return false;
  if (pattern.front() == '\\' && pattern.size() > 1) {
    return pattern[1] == name.front() && PatternMayMatch(pattern.substr(2), name.substr(1));
  }
  if (pattern.front() == '_' || pattern.front() == name.front()) {
    return PatternMayMatch(pattern.substr(1), name.substr(1));
  }
  return false;
}

// The items of a privilege list ("SELECT, INSERT (a, b), FILE"), trimmed, column lists and
// case kept as SHOW GRANTS wrote them.
std::vector<std::string_view> PrivilegeItems(std::string_view privileges) {
  std::vector<std::string_view> items;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= privileges.size(); ++i) {
    const char c = i < privileges.size() ? privileges[i] : ',';
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (c != ',' || depth > 0) continue;
    const std::string_view item = base::TrimAscii(privileges.substr(start, i - start));
    if (!item.empty()) items.push_back(item);
    start = i + 1;
  }
  return items;
}

bool IsPrivilegedGlobal(std::string_view item) {
  const std::string lower = base::AsciiLower(item);
  for (std::string_view name : kPrivilegedGlobal) {
    if (lower == base::AsciiLower(name)) return true;
  }
  for (std::string_view family : kPrivilegedFamilies) {
    if (lower.rfind(base::AsciiLower(family), 0) == 0) return true;
  }
  return false;
}

// One "GRANT <privileges> ON <target> TO ..." line taken apart; `ok` is false for role and
// proxy grants and anything else that is not a privilege grant.
struct GrantLine {
  bool ok = false;
  std::string_view privileges;
  std::string target_database;  // unquoted; "*" for *.*
  bool routine = false;         // ON PROCEDURE / ON FUNCTION / ON PACKAGE
  bool with_grant_option = false;
};

GrantLine ParseGrantLine(std::string_view line) {
  GrantLine grant;
  const std::string lower = base::AsciiLower(line);
  if (lower.rfind("grant ", 0) != 0) return grant;
  const size_t on = lower.find(" on ");
  if (on == std::string::npos) return grant;  // a role grant: "GRANT `role` TO `u`@`%`"
  grant.ok = true;
  grant.privileges = line.substr(6, on - 6);
  const std::string_view rest = line.substr(on + 4);
  const std::string rest_lower = lower.substr(on + 4);
  grant.routine = rest_lower.rfind("procedure ", 0) == 0 || rest_lower.rfind("function ", 0) == 0 ||
                  rest_lower.rfind("package ", 0) == 0;
  const size_t to = rest_lower.find(" to ");
  grant.target_database = TargetDatabase(to == std::string::npos ? rest : rest.substr(0, to));
  grant.with_grant_option = lower.ends_with(" with grant option");
  return grant;
}

bool ListHasWritePrivilege(std::string_view privileges) {
  size_t start = 0;
  while (start <= privileges.size()) {
    size_t end = privileges.find(',', start);
    if (end == std::string_view::npos) end = privileges.size();
    const std::string_view item = base::TrimAscii(privileges.substr(start, end - start));
    const size_t word_end = item.find_first_of(" (");
    const std::string word = base::AsciiLower(item.substr(0, word_end));
    for (std::string_view privilege : kWritePrivileges) {
      if (word == base::AsciiLower(privilege)) return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

bool GrantsCanWrite(const std::vector<std::string>& grants, std::string_view database) {
  for (const std::string& line : grants) {
    const GrantLine grant = ParseGrantLine(line);
    // "ON PROCEDURE x.y" / "ON FUNCTION x.y": routine privileges, never data changes by themselves.
    if (!grant.ok || grant.routine) continue;
    const bool applies =
        grant.target_database == "*" || PatternMayMatch(grant.target_database, database);
    if (applies && ListHasWritePrivilege(grant.privileges)) return true;
  }
  return false;
}

std::vector<std::string> GrantsPrivileges(const std::vector<std::string>& grants) {
  std::vector<std::string> found;
  const auto add = [&found](std::string name) {
    if (std::find(found.begin(), found.end(), name) == found.end()) found.push_back(name);
  };
  for (const std::string& line : grants) {
    const GrantLine grant = ParseGrantLine(line);
    if (!grant.ok || grant.routine) continue;
    if (grant.target_database == "*") {
      for (std::string_view item : PrivilegeItems(grant.privileges)) {
        if (IsPrivilegedGlobal(item)) add(std::string(item));
      }
      if (grant.with_grant_option) add("GRANT OPTION");
    } else if (PatternMayMatch(grant.target_database, "mysql") &&
               ListHasWritePrivilege(grant.privileges)) {
      add("write access to the mysql database");
    }
  }
  return found;
}

}  // namespace contactsync::source::mysql
