#include "query/dialect.h"

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::query {

std::string_view DialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kMySql:
      return "mysql";
    case Dialect::kPostgreSql:
      return "postgresql";
    case Dialect::kSqlite:
      return "sqlite";
  }
  return "unknown";
}

base::Result<std::string> QuoteIdentifier(Dialect dialect, std::string_view identifier) {
  if (identifier.empty()) return base::InvalidArgument("an identifier may not be empty");
  // No server accepts NUL in a name, and a NUL would cut the statement short in
  // C client APIs; invalid UTF-8 would be re-interpreted by the server charset.
  if (identifier.find('\0') != std::string_view::npos) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' contains a NUL byte", base::Printable(identifier)));
  }
  if (!base::IsValidUtf8(identifier)) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' is not valid UTF-8", base::Printable(identifier)));
  }
  const char quote = dialect == Dialect::kMySql ? '`' : '"';
  std::string out;
  out.reserve(identifier.size() + 2);
  out += quote;
  for (const char c : identifier) {
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
  return out;
}

base::Result<std::string> QualifiedName(Dialect dialect, std::string_view schema,
                                        std::string_view name) {
  CS_ASSIGN_OR_RETURN(std::string quoted_name, QuoteIdentifier(dialect, name));
  if (schema.empty()) return quoted_name;
  CS_ASSIGN_OR_RETURN(std::string quoted_schema, QuoteIdentifier(dialect, schema));
  return quoted_schema + "." + quoted_name;
}

std::string Placeholder(Dialect dialect, int index) {
  if (dialect == Dialect::kPostgreSql) return fmt::format("${}", index);
  return "?";
}

std::string EscapeLike(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == kLikeEscapeChar || c == '%' || c == '_') out += kLikeEscapeChar;
    out += c;
  }
  return out;
}

std::string_view LikeEscapeClause(Dialect /*dialect*/) { return "ESCAPE '!'"; }

}  // namespace contactsync::query
