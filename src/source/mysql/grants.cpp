#include "source/mysql/grants.h"

#include <array>

#include "base/text.h"

namespace contactsync::source::mysql {
namespace {

// First words of privileges that change data or files. CREATE covers CREATE TEMPORARY TABLES,
// CREATE VIEW and CREATE ROUTINE; DELETE covers DELETE HISTORY; ALL covers ALL PRIVILEGES.
constexpr std::array<std::string_view, 9> kWritePrivileges = {
    "ALL", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "FILE", "SUPER"};

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
    const std::string upper_probe = base::AsciiLower(line);
    if (upper_probe.rfind("grant ", 0) != 0) continue;
    const size_t on = upper_probe.find(" on ");
    if (on == std::string::npos) continue;  // a role grant: "GRANT `role` TO `u`@`%`"
    const std::string_view privileges = std::string_view(line).substr(6, on - 6);
    std::string_view rest = std::string_view(line).substr(on + 4);
    // "ON PROCEDURE x.y" / "ON FUNCTION x.y": routine privileges, never data changes by themselves.
    const std::string rest_lower = base::AsciiLower(rest.substr(0, 10));
    if (rest_lower.rfind("procedure ", 0) == 0 || rest_lower.rfind("function ", 0) == 0) continue;
    const size_t to = base::AsciiLower(rest).find(" to ");
    const std::string target_database =
        TargetDatabase(to == std::string::npos ? rest : rest.substr(0, to));
    const bool applies = target_database == "*" || PatternMayMatch(target_database, database);
    if (applies && ListHasWritePrivilege(privileges)) return true;
  }
  return false;
}

}  // namespace contactsync::source::mysql
