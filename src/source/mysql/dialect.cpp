#include "source/mysql/dialect.h"

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::source::mysql {

base::Result<std::string> QuoteIdentifier(std::string_view name) {
  if (name.empty()) return base::InvalidArgument("an identifier cannot be empty");
  if (name.find('\0') != std::string_view::npos) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' contains a NUL byte, which MySQL "
                    "does not allow",
                    base::Printable(name)));
  }
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.push_back('`');
  for (char c : name) {
    if (c == '`') quoted.push_back('`');
    quoted.push_back(c);
  }
  quoted.push_back('`');
  return quoted;
}

std::string_view Placeholder(size_t /*index*/) { return "?"; }

}  // namespace contactsync::source::mysql
