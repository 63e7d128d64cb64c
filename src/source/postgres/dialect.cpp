#include "source/postgres/dialect.h"

#include <cassert>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::source::postgres {

base::Result<std::string> QuoteIdentifier(std::string_view name) {
  if (name.empty()) return base::InvalidArgument("an identifier may not be empty");
  if (name.find('\0') != std::string_view::npos) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' contains a NUL byte", base::Printable(name)));
  }
  if (!base::IsValidUtf8(name)) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' is not valid UTF-8", base::Printable(name)));
  }
  if (name.size() > kMaxIdentifierBytes) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' is longer than PostgreSQL's limit of {} bytes",
                    base::Printable(name), kMaxIdentifierBytes));
  }
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted += '"';
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

base::Result<std::string> QuoteQualifiedName(std::string_view schema, std::string_view name) {
  CS_ASSIGN_OR_RETURN(std::string quoted_name, QuoteIdentifier(name));
  if (schema.empty()) return quoted_name;
  CS_ASSIGN_OR_RETURN(std::string quoted_schema, QuoteIdentifier(schema));
  return quoted_schema + "." + quoted_name;
}

std::string Placeholder(size_t index) {
  assert(index >= 1 && index <= 65535);
  return fmt::format("${}", index);
}

}  // namespace contactsync::source::postgres
