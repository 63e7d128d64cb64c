#include "app/hostile_query_generator.h"

#include <cctype>

#include <fmt/format.h>

namespace contactsync::app::testing {
namespace {

using query::Dialect;

// What ends a line comment somewhere: MariaDB and SQLite end it at LF only,
// PostgreSQL at CR or LF; the others end it nowhere.
const std::vector<std::string> kLineEnds = {"\n", "\r\n", "\r", "\v", "\f", "\n\r"};

std::vector<std::string> LineCommentOpeners(Dialect dialect) {
  switch (dialect) {
    case Dialect::kMySql:
      // "--" is a comment only before white space or a control character;
      // "--x" is minus minus x.
      return {"-- ", "--\t", "--\r", "--\n", "--\x01", "# ", "#", "--x", "---"};
    case Dialect::kPostgreSql:
      return {"--", "-- ", "---", "--\t"};
    case Dialect::kSqlite:
      return {"--", "-- ", "---"};
  }
  return {};
}

const std::vector<std::string> kBlockCommentOpeners = {"/*", "/* ", "/**", "/*/"};

// Executable comments: MariaDB runs their content as code (the version forms
// when the server is at least that version; 999999 never). "/*+" is an
// optimizer hint, a plain comment to MariaDB.
const std::vector<std::string> kMySqlSpecialComments = {"/*!",         "/*M!",       "/*!50000 ",
                                                        "/*M!100000 ", "/*!999999 ", "/*+ "};

// Pieces that end one construct or open another, in some dialect.
std::vector<std::string> ContentPieces(Dialect dialect) {
  std::vector<std::string> pieces = {"'",    "'",  "''",  "\"", "\"\"", "`",  "\\", "\\'", "\\\\",
                                     "\\\"", "--", "-- ", "#",  "/*",   "*/", "*/", "$$",  "$a$",
                                     "[",    "]",  "\r",  "\n", "\r\n", "\t", ";",  " ",   "x",
                                     "é",    "中", "(",   ")",  "?",    ":a", "@a", "$a",  "$1",
                                     "E'",   "\v", "\f",  "%",  "{",    "}",  "\\0"};
  if (dialect == Dialect::kMySql) {
    for (const char* piece : {"/*!", "/*M!", "\\%", "_utf8mb4'", "N'"}) pieces.emplace_back(piece);
  }
  if (dialect == Dialect::kPostgreSql) {
    for (const char* piece : {"$b$", "U&'", "e'", "$a$$", "::", "\\x"}) pieces.emplace_back(piece);
  }
  if (dialect == Dialect::kSqlite) {
    for (const char* piece : {"#a(", "$a(", "@a(", "::"}) pieces.emplace_back(piece);
  }
  return pieces;
}

// A gadget's breaker: what might end the construct it sits in.
std::vector<std::string> Breakers(Dialect dialect) {
  std::vector<std::string> breakers = {"\n", "\r", "\r\n", "*/", "'",  "\\'",
                                       "\"", "`",  "]",    "$$", "\v", "\f"};
  if (dialect == Dialect::kPostgreSql) breakers.emplace_back("$a$");
  if (dialect == Dialect::kSqlite) breakers.emplace_back(")");
  return breakers;
}

// A gadget's re-opener: what might make the rest of the construct harmless.
std::vector<std::string> Reopeners(Dialect dialect) {
  std::vector<std::string> reopeners = {"-- ", "--", "/*", "'", "\"", "`", "[", "$$", ""};
  if (dialect == Dialect::kMySql) reopeners.emplace_back("#");
  if (dialect == Dialect::kPostgreSql) {
    reopeners.emplace_back("$a$");
    reopeners.emplace_back("E'");
  }
  return reopeners;
}

// Pairs that open and close a construct in some dialect's reading: a smuggled
// payload sits between them.
std::vector<std::pair<std::string, std::string>> OpenClosePairs(Dialect dialect) {
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"'", "'"}, {"\"", "\""}, {"/*", "*/"}, {"`", "`"}};
  if (dialect == Dialect::kPostgreSql) {
    pairs.insert(pairs.end(), {{"$$", "$$"}, {"$a$", "$a$"}, {"E'", "'"}});
  }
  if (dialect == Dialect::kSqlite) pairs.insert(pairs.end(), {{"[", "]"}, {"'", "\\'"}});
  if (dialect == Dialect::kMySql) pairs.insert(pairs.end(), {{"'", "\\'"}, {"\"", "\\\""}});
  return pairs;
}

// Characters that one lexer may take as the end of a construct and another
// not: CR, vertical tab, form feed, a backslash, a lone '*/' ...
const std::vector<std::string> kMaybeEnds = {"",   "\r",   "\r", "\v",   "\f",  "\\",
                                             "*/", "\x01", "-",  "\n\r", "\r\r"};

}  // namespace

HostileQueryGenerator::HostileQueryGenerator(Dialect dialect, std::vector<Payload> payloads,
                                             std::vector<std::string> tails, std::string table,
                                             std::string schema, uint32_t seed)
    : dialect_(dialect),
      payloads_(std::move(payloads)),
      tails_(std::move(tails)),
      table_(std::move(table)),
      schema_(std::move(schema)),
      rng_(seed) {}

std::string HostileQueryGenerator::Alias() { return fmt::format("c{}", alias_counter_++); }

std::string HostileQueryGenerator::PayloadCall(bool plain) {
  saw_payload_ = true;
  const Payload& payload = OneOf(payloads_);
  if (!payload.expression.empty()) return payload.expression;
  std::string name = payload.name;
  if (!plain) {
    switch (Pick(6)) {
      case 0:
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        break;
      case 1:
        name = dialect_ == Dialect::kMySql ? "`" + name + "`" : "\"" + name + "\"";
        break;
      case 2:
        if (!schema_.empty()) name = schema_ + "." + name;
        break;
      case 3:
        // Between the name and its '(' (MariaDB allows it for stored functions).
        name += Gap(false);
        break;
      default:
        break;
    }
  }
  return fmt::format("{}({})", name, payload.args);
}

std::string HostileQueryGenerator::Gadget() {
  return fmt::format("{}, {} AS {} {}", OneOf(Breakers(dialect_)), PayloadCall(false), Alias(),
                     OneOf(Reopeners(dialect_)));
}

std::string HostileQueryGenerator::Smuggled() {
  // Copies: the lists are temporaries.
  const auto [open, close] = OneOf(OpenClosePairs(dialect_));
  const std::string& maybe_end = OneOf(kMaybeEnds);
  std::string before;
  std::string after;
  switch (Pick(dialect_ == Dialect::kSqlite ? 4 : 3)) {
    case 0: {
      // A line comment that the server ends at LF only, holding something
      // that opens a string or comment if the comment ended earlier.
      const std::string opener = OneOf(LineCommentOpeners(dialect_));
      before = opener + maybe_end + open + OneOf(kLineEnds);
      after = " " + OneOf(LineCommentOpeners(dialect_)) + close + OneOf(kLineEnds);
      break;
    }
    case 1:
      before = BlockCommentOpener() + maybe_end + open + "*/";
      after = " /*" + close + maybe_end + "*/ ";
      break;
    case 2:
      // Strings around the payload whose ends depend on backslashes.
      before = "'" + maybe_end + open + "' AS " + Alias() + ", ";
      after = ", '" + close + maybe_end + "' AS " + Alias() + " ";
      break;
    default:
      // SQLite reads #a(...) and $a(...) up to ')' as one variable.
      if (open.find(' ') == std::string::npos &&
          maybe_end.find_first_of(" \t\r\n\v\f") == std::string::npos) {
        before =
            std::string(Chance(50) ? "#a(" : "$a(") + maybe_end + open + ") AS " + Alias() + ", ";
        after = ", " + std::string(Chance(50) ? "#b(" : "$b(") + close + ") AS " + Alias() + " ";
      } else {
        before = "/*" + open + "*/";
        after = " /*" + close + "*/ ";
      }
      break;
  }
  return before + PayloadCall(false) + " AS " + Alias() + after;
}

std::string HostileQueryGenerator::Content(size_t max_pieces, bool allow_spaces) {
  const std::vector<std::string> pieces = ContentPieces(dialect_);
  std::string content;
  const size_t count = Pick(max_pieces + 1);
  for (size_t i = 0; i < count; ++i) {
    if (allow_spaces && Chance(10)) {
      content += Gadget();
      continue;
    }
    std::string piece = OneOf(pieces);
    if (!allow_spaces && piece.find_first_of(" \t\r\n\v\f") != std::string::npos) continue;
    content += piece;
  }
  return content;
}

std::string HostileQueryGenerator::BlockCommentOpener() {
  if (dialect_ == Dialect::kMySql && Chance(15)) return OneOf(kMySqlSpecialComments);
  return OneOf(kBlockCommentOpeners);
}

std::string HostileQueryGenerator::LineComment(bool at_end) {
  std::string comment = OneOf(LineCommentOpeners(dialect_)) + Content(3);
  // At the end of the text the comment may stop without a line end: the
  // wrapper contactsync adds after the query must not be swallowed by it.
  if (at_end && Chance(50)) return comment;
  return comment + OneOf(kLineEnds);
}

std::string HostileQueryGenerator::BlockComment() {
  std::string comment = BlockCommentOpener() + Content(3);
  // PostgreSQL nests block comments: sometimes close an inner one first.
  if (dialect_ == Dialect::kPostgreSql && Chance(30)) comment += "/* " + Content(2) + " */";
  return comment + "*/";
}

std::string HostileQueryGenerator::Gap(bool at_end) {
  static const std::vector<std::string> kSpaces = {" ", "\t", "\n", "\r", "\r\n", "\f", "\v"};
  if (Chance(65)) return " ";
  std::string gap;
  const size_t atoms = 1 + Pick(2);
  for (size_t i = 0; i < atoms; ++i) {
    switch (Pick(4)) {
      case 0:
        gap += OneOf(kSpaces);
        break;
      case 1:
        // A line comment in the middle must end (or it swallows the rest as
        // the generator means it); the server decides where.
        gap += LineComment(at_end && i + 1 == atoms);
        break;
      default:
        gap += BlockComment();
        break;
    }
  }
  return gap;
}

std::string HostileQueryGenerator::StringItem() {
  const std::string content = Content(4);
  switch (dialect_) {
    case Dialect::kMySql: {
      static const std::vector<std::string> kPrefixes = {"", "", "", "_utf8mb4", "N", "_binary"};
      if (Chance(30)) return "\"" + content + "\"";
      return OneOf(kPrefixes) + "'" + content + "'";
    }
    case Dialect::kPostgreSql:
      switch (Pick(7)) {
        case 0:
          return "E'" + content + "'";
        case 1:
          return "$$" + content + "$$";
        case 2:
          return "$a$" + content + "$a$";
        case 3:
          return "U&'" + content + "'";
        case 4:
          // Adjacent literals continue one string only across a newline.
          return "'" + content + "'" + OneOf(kLineEnds) + "'" + Content(2) + "'";
        default:
          return "'" + content + "'";
      }
    case Dialect::kSqlite:
      return "'" + content + "'";
  }
  return "''";
}

std::string HostileQueryGenerator::QuotedAlias() {
  // Short: identifiers are at most 63 (PostgreSQL) or 64 (MariaDB) bytes.
  const std::string content = Content(2);
  switch (dialect_) {
    case Dialect::kMySql:
      return Chance(50) ? "`" + Alias() + content + "`" : "\"" + Alias() + content + "\"";
    case Dialect::kPostgreSql:
      return Chance(80) ? "\"" + Alias() + content + "\"" : "U&\"" + Alias() + content + "\"";
    case Dialect::kSqlite:
      switch (Pick(3)) {
        case 0:
          return "[" + Alias() + content + "]";
        case 1:
          return "`" + Alias() + content + "`";
        default:
          return "\"" + Alias() + content + "\"";
      }
  }
  return Alias();
}

std::string HostileQueryGenerator::VariableItem() {
  switch (dialect_) {
    case Dialect::kMySql:
      return Chance(50) ? "@a" : "@'" + Content(2) + "'";
    case Dialect::kPostgreSql:
      return "'x'::text";
    case Dialect::kSqlite: {
      // SQLite reads $name(...) and #name(...) up to ')' or white space as one
      // variable, whatever is inside.
      static const std::vector<std::string> kVariables = {"$a", "@a", ":a", "#a", "?", "?1"};
      if (Chance(50)) return OneOf(kVariables);
      return std::string(Chance(50) ? "$a(" : "#a(") + Content(3, false) + ")";
    }
  }
  return "1";
}

std::string HostileQueryGenerator::Item(bool plain, bool* payload) {
  static const std::vector<std::string> kPlainLiterals = {"1", "'abc'", "v", "id", "2.5", "'x y'"};
  if (*payload == false && Chance(plain ? 50 : 30)) {
    *payload = true;
    return PayloadCall(plain);
  }
  if (plain) return OneOf(kPlainLiterals);
  switch (Pick(6)) {
    case 0:
    case 1:
      return StringItem();
    case 2:
      return VariableItem();
    case 3:
      return dialect_ == Dialect::kMySql ? "`v`" : (Chance(50) ? "\"v\"" : "v");
    case 4:
      return PayloadCall(false);
    default:
      return OneOf(kPlainLiterals);
  }
}

GeneratedQuery HostileQueryGenerator::Next() {
  alias_counter_ = 0;
  saw_payload_ = false;
  GeneratedQuery query;
  query.plain = Chance(15);
  const bool plain = query.plain;
  auto gap = [&](bool at_end = false) { return plain ? std::string(" ") : Gap(at_end); };

  std::string sql = "SELECT" + gap();
  const size_t items = 1 + Pick(3);
  bool payload_item = false;
  for (size_t i = 0; i < items; ++i) {
    if (i > 0) sql += gap() + "," + gap();
    if (!plain && !payload_item && Chance(20)) {
      payload_item = true;
      sql += Smuggled();
      continue;
    }
    const bool before = payload_item;
    const std::string before_gap = gap();
    std::string item = Item(plain, &payload_item);
    // Around a payload item, often the same gap on both sides: a construct
    // one lexer ends early then reopens exactly where the other closes it.
    const std::string after_gap = (!before && payload_item && Chance(50)) ? before_gap : gap();
    const std::string alias = (!plain && Chance(30)) ? QuotedAlias() : Alias();
    sql += before_gap + item + after_gap + "AS" + gap() + alias;
  }
  sql += gap() + "FROM" + gap() + table_;
  if (Chance(30)) sql += gap() + "WHERE" + gap() + "id" + gap() + ">" + gap() + "0";
  if (!tails_.empty() && Chance(plain ? 20 : 8)) {
    saw_payload_ = true;
    sql += gap() + OneOf(tails_);
  }
  if (Chance(30)) sql += gap() + ";";
  if (!plain && Chance(50)) sql += Gap(true);
  query.sql = std::move(sql);
  query.has_payload = saw_payload_;
  return query;
}

std::string EscapedForMessage(std::string_view sql) {
  std::string out;
  for (const char c : sql) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;  // UTF-8 stays readable
    }
  }
  return out;
}

}  // namespace contactsync::app::testing
