#include "source/account_warning.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace contactsync::source {

std::string AccountWarning(bool can_write, const std::vector<std::string>& privileges) {
  if (privileges.empty()) {
    if (!can_write) return "";
    return "this account can change data; contactsync never writes, but a SELECT-only account "
           "is safer (see docs/read-only.md)";
  }
  return fmt::format(
      "this account {}is privileged ({}): custom queries are refused on it unless the "
      "connection allows them (--allow-custom-query-with-privileged-account); contactsync never "
      "writes, but a SELECT-only account is safer (see docs/read-only.md)",
      can_write ? "can change data and " : "", fmt::join(privileges, ", "));
}

}  // namespace contactsync::source
