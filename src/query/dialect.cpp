#include "query/dialect.h"

#include <cassert>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::query {
namespace {

// MySQL/MariaDB: "Identifier Length Limits" (64 characters for databases,
// tables, columns, indexes...; the server refuses longer ones with error 1059).
// PostgreSQL: NAMEDATALEN - 1 bytes, longer names are truncated with a NOTICE.
// SQLite has no limit of its own on names.
constexpr DialectSyntax kMySqlSyntax{"mysql", "MySQL/MariaDB",         '`',
                                     64,      LengthUnit::kCharacters, false};
constexpr DialectSyntax kPostgreSqlSyntax{"postgresql", "PostgreSQL",       '"',
                                          63,           LengthUnit::kBytes, true};
constexpr DialectSyntax kSqliteSyntax{"sqlite", "SQLite", '"', 0, LengthUnit::kBytes, false};

// Code points of valid UTF-8 `text`: every byte that does not continue a sequence.
size_t CountCharacters(std::string_view text) {
  size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace

const DialectSyntax& SyntaxOf(Dialect dialect) {
  switch (dialect) {
    case Dialect::kMySql:
      return kMySqlSyntax;
    case Dialect::kPostgreSql:
      return kPostgreSqlSyntax;
    case Dialect::kSqlite:
      return kSqliteSyntax;
  }
  return kSqliteSyntax;
}

std::string_view DialectName(Dialect dialect) { return SyntaxOf(dialect).name; }

base::Status CheckIdentifier(Dialect dialect, std::string_view identifier) {
  if (identifier.empty()) return base::InvalidArgument("an identifier may not be empty");
  if (identifier.find('\0') != std::string_view::npos) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' contains a NUL byte", base::Printable(identifier)));
  }
  if (!base::IsValidUtf8(identifier)) {
    return base::InvalidArgument(
        fmt::format("identifier '{}' is not valid UTF-8", base::Printable(identifier)));
  }
  const DialectSyntax& syntax = SyntaxOf(dialect);
  if (syntax.max_identifier_length == 0) return base::Status::Ok();
  const bool in_bytes = syntax.identifier_length_unit == LengthUnit::kBytes;
  const size_t length = in_bytes ? identifier.size() : CountCharacters(identifier);
  if (length <= syntax.max_identifier_length) return base::Status::Ok();
  const std::string_view unit = in_bytes ? "bytes" : "characters";
  return base::InvalidArgument(fmt::format(
      "identifier '{}' is {} {} long, over {}'s limit of {} {}", base::Printable(identifier),
      length, unit, syntax.display_name, syntax.max_identifier_length, unit));
}

base::Result<std::string> QuoteIdentifier(Dialect dialect, std::string_view identifier) {
  CS_RETURN_IF_ERROR(CheckIdentifier(dialect, identifier));
  const char quote = SyntaxOf(dialect).identifier_quote;
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
  assert(index >= 1);
  if (SyntaxOf(dialect).numbered_placeholders) return fmt::format("${}", index);
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
