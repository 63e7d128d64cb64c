#include "query/custom_query_check.h"

#include <pg_query.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "query/function_allow_list.h"
#include "query/sql_tokenizer.h"

namespace contactsync::query {
namespace {

using base::Status;

// Statements and clauses that write, lock, change session state or run other
// code. A custom query starts with SELECT/WITH and holds one statement, so most
// of these can only appear in a second statement (refused earlier) or a
// data-modifying CTE; listing them anyway is the point of a deny-list layer.
// PROCEDURE is MySQL's SELECT ... PROCEDURE ANALYSE().
constexpr std::array<std::string_view, 35> kDeniedKeywords = {
    "into",   "update",  "delete",   "insert",    "merge",   "replace", "create",
    "alter",  "drop",    "truncate", "grant",     "revoke",  "set",     "copy",
    "load",   "handler", "do",       "execute",   "prepare", "attach",  "detach",
    "pragma", "vacuum",  "reindex",  "analyze",   "analyse", "lock",    "unlock",
    "call",   "commit",  "rollback", "savepoint", "notify",  "listen",  "procedure",
};

Status BadQuery(std::string message) {
  return {base::ErrorCode::kBadQuery, "custom query: " + std::move(message)};
}

bool IsSymbol(const Token& token, char c) {
  return token.kind == TokenKind::kSymbol && token.text.size() == 1 && token.text[0] == c;
}

bool IsWord(const Token& token, std::string_view word) {
  return token.kind == TokenKind::kWord && token.value == word;
}

std::string Shown(const Token& token) { return base::Printable(token.text, 40); }

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Index of the ')' closing the '(' at `open`, or nullopt when unbalanced.
std::optional<size_t> MatchingParen(const std::vector<Token>& tokens, size_t open) {
  int depth = 0;
  for (size_t i = open; i < tokens.size(); ++i) {
    if (IsSymbol(tokens[i], '(')) ++depth;
    if (IsSymbol(tokens[i], ')') && --depth == 0) return i;
  }
  return std::nullopt;
}

size_t SkipOpenParens(const std::vector<Token>& tokens, size_t i) {
  while (i < tokens.size() && IsSymbol(tokens[i], '(')) ++i;
  return i;
}

// ---------------------------------------------------------------------------
// Function calls: the one decision every dialect shares.
// ---------------------------------------------------------------------------

// A call as written in the query.
struct Call {
  std::string schema;  // empty when unqualified
  std::string name;    // as the server will look it up (lower case unless quoted in PostgreSQL)
  // False when the server would not resolve the call to its built-in function
  // even if the name is one: MySQL/MariaDB with a space or comment before '('
  // or a quoted name (both look up a stored function), a schema other than
  // pg_catalog.
  bool builtin_form = true;
  std::string where;  // "line L, column C"
};

std::string WrittenName(const Call& call) {
  return call.schema.empty() ? call.name : call.schema + "." + call.name;
}

bool PolicyAllows(const CustomQueryPolicy& policy, const Call& call) {
  const std::string written = base::AsciiLower(WrittenName(call));
  for (const std::string& allowed : policy.allowed_functions) {
    if (base::AsciiLower(allowed) == written) return true;
  }
  return false;
}

Status CheckCall(Dialect dialect, const Call& call, const CustomQueryPolicy& policy) {
  if (IsNeverAllowedFunction(call.name)) {
    return BadQuery(fmt::format(
        "function '{}' is not allowed (found at {}): it acts outside the query (SQL run from "
        "text, files, locks, other sessions, WAL, replication, configuration, statistics, "
        "sequences, large objects or sleeps), and no connection setting can allow it",
        base::Printable(base::AsciiLower(call.name), 60), call.where));
  }
  const std::string shown = base::Printable(WrittenName(call), 60);
  const bool builtin_schema =
      call.schema.empty() || (dialect == Dialect::kPostgreSql && call.schema == "pg_catalog");
  // PostgreSQL keeps a quoted name's case: "LOWER"(x) is not lower(x).
  const bool builtin =
      IsAllowedBuiltinFunction(dialect, call.name) &&
      (dialect != Dialect::kPostgreSql || call.name == base::AsciiLower(call.name));
  if (builtin && builtin_schema && call.builtin_form) return Status::Ok();
  if (PolicyAllows(policy, call)) return Status::Ok();
  if (builtin && call.schema.empty() && dialect == Dialect::kMySql) {
    return BadQuery(fmt::format(
        "write '(' right after the function name '{}' (found at {}): MySQL and MariaDB read a "
        "quoted name, or a space or comment before '(', as a call to a stored function of the "
        "same name, not the built-in one",
        shown, call.where));
  }
  return BadQuery(fmt::format(
      "function '{0}' is not allowed (found at {1}): only built-in functions without side "
      "effects may be called; if '{0}' is your own function and you trust it, allow it on the "
      "connection with --allow-function {0}",
      shown, call.where));
}

// ---------------------------------------------------------------------------
// The lexical layer (every dialect): one statement, SELECT/WITH first, no
// writing keyword, no row lock, no parameter; for MySQL/MariaDB and SQLite
// also every call, found on the tokens.
// ---------------------------------------------------------------------------

bool IsOneOf(std::string_view word, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// MySQL/MariaDB reserved words that may stand before '(' (IN (...), USING
// (...), MATCH (...) AGAINST): reserved, so never the name of a stored
// function written without quotes.
bool IsMySqlParenKeyword(std::string_view word) {
  return IsOneOf(
      word,
      {"all",           "and",      "as",    "between", "binary",    "by",     "case",   "distinct",
       "distinctrow",   "div",      "else",  "exists",  "from",      "group",  "having", "in",
       "index",         "interval", "is",    "join",    "key",       "like",   "limit",  "match",
       "mod",           "not",      "on",    "or",      "partition", "regexp", "rlike",  "select",
       "straight_join", "then",     "union", "using",   "values",    "when",   "where",  "xor"});
}

// SQLite keywords that may stand before '('. SQLite has no stored functions:
// a keyword read as a call could only reach a built-in of the same name.
bool IsSqliteParenKeyword(std::string_view word) {
  return IsOneOf(
      word,
      {"all",    "and",       "as",     "between", "by",   "case",      "distinct", "else",
       "escape", "except",    "exists", "filter",  "from", "glob",      "group",    "having",
       "in",     "intersect", "is",     "join",    "like", "limit",     "match",    "materialized",
       "not",    "offset",    "on",     "or",      "over", "partition", "regexp",   "select",
       "then",   "union",     "using",  "values",  "when", "where"});
}

// MySQL/MariaDB type names that take a length or precision in CAST, CONVERT,
// JSON_VALUE ... RETURNING and JSON_TABLE columns: "DECIMAL(10,2)".
bool IsMySqlSizedType(std::string_view word) {
  return IsOneOf(
      word, {"char",    "varchar",   "nchar",    "nvarchar",  "binary", "varbinary", "decimal",
             "dec",     "numeric",   "fixed",    "float",     "double", "real",      "int",
             "integer", "tinyint",   "smallint", "mediumint", "bigint", "bit",       "datetime",
             "time",    "timestamp", "year",     "text",      "blob"});
}

class Checker {
 public:
  Checker(Dialect dialect, std::string_view sql, const std::vector<Token>& tokens,
          const CustomQueryPolicy& policy)
      : dialect_(dialect), sql_(sql), tokens_(tokens), policy_(policy) {}

  Status Run() {
    if (tokens_.empty()) return BadQuery("the query is empty (only white space or comments)");
    size_t end = tokens_.size();
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (!IsSymbol(tokens_[i], ';')) continue;
      if (i + 1 < tokens_.size()) {
        return BadQuery(fmt::format(
            "only one SELECT statement is allowed; found a second statement at {} after ';'",
            Where(tokens_[i + 1])));
      }
      end = i;
      break;
    }
    if (end == 0) return BadQuery("the query is empty (only ';')");
    code_ = std::vector<Token>(tokens_.begin(), tokens_.begin() + static_cast<long>(end));
    not_call_.assign(code_.size(), false);
    MarkNonCalls();

    CS_RETURN_IF_ERROR(CheckStart());
    for (size_t i = 0; i < code_.size(); ++i) {
      CS_RETURN_IF_ERROR(CheckToken(i));
    }
    return Status::Ok();
  }

 private:
  std::string Where(const Token& token) const { return DescribePosition(sql_, token.offset); }

  Status CheckStart() {
    const size_t first = SkipOpenParens(code_, 0);
    if (first >= code_.size()) return BadQuery("the query has no SELECT");
    if (IsWord(code_[first], "select")) return Status::Ok();
    if (IsWord(code_[first], "with")) return CheckWith(first + 1);
    return BadQuery(fmt::format("the query must start with SELECT or WITH; found '{}' at {}",
                                Shown(code_[first]), Where(code_[first])));
  }

  Status Expected(std::string_view what, size_t i) const {
    if (i >= code_.size()) {
      return BadQuery(
          fmt::format("could not read the WITH clause: expected {}, found the end", what));
    }
    return BadQuery(fmt::format("could not read the WITH clause: expected {}, found '{}' at {}",
                                what, Shown(code_[i]), Where(code_[i])));
  }

  // WITH [RECURSIVE] name [(columns)] AS [NOT] [MATERIALIZED] (query) [, ...]
  // followed by the main SELECT. Each CTE must itself be a query (SELECT, WITH,
  // VALUES, TABLE), never INSERT/UPDATE/DELETE/MERGE ... RETURNING.
  Status CheckWith(size_t i) {
    const size_t n = code_.size();
    if (i < n && IsWord(code_[i], "recursive")) ++i;
    while (true) {
      if (i >= n ||
          (code_[i].kind != TokenKind::kWord && code_[i].kind != TokenKind::kQuotedIdentifier)) {
        return Expected("a name", i);
      }
      const Token& name = code_[i++];
      if (i < n && IsSymbol(code_[i], '(')) {
        const auto close = MatchingParen(code_, i);
        if (!close) return Expected("')'", n);
        i = *close + 1;
      }
      if (i >= n || !IsWord(code_[i], "as")) return Expected("AS", i);
      ++i;
      if (i < n && IsWord(code_[i], "not")) ++i;
      if (i < n && IsWord(code_[i], "materialized")) ++i;
      if (i >= n || !IsSymbol(code_[i], '(')) return Expected("'('", i);
      const auto close = MatchingParen(code_, i);
      if (!close) return Expected("')'", n);
      const size_t body = SkipOpenParens(code_, i + 1);
      if (body >= *close || !(IsWord(code_[body], "select") || IsWord(code_[body], "with") ||
                              IsWord(code_[body], "values") || IsWord(code_[body], "table"))) {
        const Token& found = body < *close ? code_[body] : code_[*close];
        return BadQuery(fmt::format(
            "the WITH query '{}' must be a SELECT (data-modifying WITH is not allowed); found "
            "'{}' at {}",
            base::Printable(name.kind == TokenKind::kWord ? name.text : name.value, 40),
            Shown(found), Where(found)));
      }
      i = *close + 1;
      // PostgreSQL SEARCH / CYCLE clauses: skip to the next CTE or the SELECT.
      if (dialect_ == Dialect::kPostgreSql && i < n &&
          (IsWord(code_[i], "search") || IsWord(code_[i], "cycle"))) {
        while (i < n && !IsSymbol(code_[i], ',') && !IsWord(code_[i], "select")) ++i;
      }
      if (i < n && IsSymbol(code_[i], ',')) {
        ++i;
        continue;
      }
      break;
    }
    if (i < n && (IsWord(code_[i], "select") || IsSymbol(code_[i], '('))) return Status::Ok();
    if (i >= n) return BadQuery("WITH must be followed by a SELECT; the query ends after it");
    return BadQuery(fmt::format("WITH must be followed by a SELECT; found '{}' at {}",
                                Shown(code_[i]), Where(code_[i])));
  }

  bool FollowedByParen(size_t i) const {
    return i + 1 < code_.size() && IsSymbol(code_[i + 1], '(');
  }

  bool NextIsWord(size_t i, std::string_view word) const {
    return i + 1 < code_.size() && IsWord(code_[i + 1], word);
  }

  bool WordAt(size_t i, std::string_view word) const {
    return i < code_.size() && IsWord(code_[i], word);
  }

  // --- Which "name (" are not calls -------------------------------------

  // Marks the names followed by '(' that the server reads as something other
  // than a call: a CTE with a column list, a derived table's column list, a
  // type with a length inside CAST/CONVERT/RETURNING/JSON_TABLE COLUMNS.
  void MarkNonCalls() {
    for (size_t i = 0; i < code_.size(); ++i) {
      if (!FollowedByParen(i)) continue;
      const auto close = MatchingParen(code_, i + 1);
      if (!close) continue;
      if (IsCteHeader(*close)) not_call_[i] = true;
      if (i > 0 && IsWord(code_[i - 1], "as")) not_call_[i] = true;
      if (code_[i].kind != TokenKind::kWord) continue;
      const std::string& word = code_[i].value;
      if (word == "cast" || (dialect_ == Dialect::kMySql && word == "convert")) {
        MarkTypeContext(TypeStart(i + 1, *close, word == "cast"), *close);
      } else if (dialect_ == Dialect::kMySql && word == "columns") {
        MarkTypeContext(i + 2, *close);
      }
    }
    if (dialect_ != Dialect::kMySql) return;
    for (size_t i = 0; i < code_.size(); ++i) {
      if (IsWord(code_[i], "returning")) MarkTypeContext(i + 1, EnclosingClose(i));
    }
  }

  // "name (columns) AS [NOT] [MATERIALIZED] (" where `close` is the ')' of the
  // column list.
  bool IsCteHeader(size_t close) const {
    size_t j = close + 1;
    if (!WordAt(j, "as")) return false;
    ++j;
    if (WordAt(j, "not")) ++j;
    if (WordAt(j, "materialized")) ++j;
    return j < code_.size() && IsSymbol(code_[j], '(');
  }

  // The first token of the type in CAST(x AS type) / CONVERT(x, type) /
  // CONVERT(x USING charset): after the top-level AS (cast) or ',' / USING.
  size_t TypeStart(size_t open, size_t close, bool cast) const {
    int depth = 0;
    for (size_t k = open; k < close; ++k) {
      if (IsSymbol(code_[k], '(')) ++depth;
      if (IsSymbol(code_[k], ')')) --depth;
      if (depth != 1) continue;
      if (cast ? IsWord(code_[k], "as") : (IsSymbol(code_[k], ',') || IsWord(code_[k], "using"))) {
        return k + 1;
      }
    }
    return close;
  }

  // The ')' closing the parenthesis that token `i` is inside, or the end.
  size_t EnclosingClose(size_t i) const {
    int depth = 0;
    for (size_t k = i; k < code_.size(); ++k) {
      if (IsSymbol(code_[k], '(')) ++depth;
      if (IsSymbol(code_[k], ')') && --depth < 0) return k;
    }
    return code_.size();
  }

  // Inside a type, "word (" is a length or precision. SQLite accepts any
  // words as a type name; MySQL only its own type names.
  void MarkTypeContext(size_t from, size_t to) {
    for (size_t k = from; k < to && k < code_.size(); ++k) {
      if (code_[k].kind != TokenKind::kWord || !FollowedByParen(k)) continue;
      if (dialect_ == Dialect::kSqlite || IsMySqlSizedType(code_[k].value)) not_call_[k] = true;
    }
  }

  // A reserved word or a keyword in its place: IN (...), OVER (...),
  // MATCH (...) AGAINST (...), MEMBER OF (...), FILTER (WHERE ...), and any
  // "word (SELECT" (a function's argument cannot be a bare SELECT).
  bool IsKeywordBeforeParen(size_t i) const {
    const std::string& word = code_[i].value;
    if (WordAt(i + 2, "select") || WordAt(i + 2, "with") || WordAt(i + 2, "where")) return true;
    if (dialect_ == Dialect::kSqlite) return IsSqliteParenKeyword(word);
    if (IsMySqlParenKeyword(word)) return true;
    const bool after_paren = i > 0 && IsSymbol(code_[i - 1], ')');
    if (after_paren && (word == "over" || word == "against")) return true;
    if (word == "of" && i > 0 && IsWord(code_[i - 1], "member")) return true;
    return word == "columns" && i > 0 && code_[i - 1].kind == TokenKind::kString;
  }

  // The call at token `i` (MySQL/MariaDB and SQLite), if it is one: a name
  // followed by '('.
  std::optional<Call> CallAt(size_t i) const {
    if (dialect_ == Dialect::kPostgreSql || !FollowedByParen(i) || not_call_[i]) {
      return std::nullopt;
    }
    const Token& token = code_[i];
    Call call;
    call.where = Where(token);
    switch (token.kind) {
      case TokenKind::kWord:
        if (IsKeywordBeforeParen(i)) return std::nullopt;
        call.name = token.value;
        break;
      case TokenKind::kQuotedIdentifier:
        call.name = base::AsciiLower(token.value);
        // SQLite looks functions up by name however it is written; MySQL
        // resolves a quoted name to a stored function.
        call.builtin_form = dialect_ == Dialect::kSqlite;
        break;
      case TokenKind::kString:
        // MySQL "name" (under ANSI_QUOTES an identifier).
        if (dialect_ != Dialect::kMySql || token.text.size() < 2 || token.text[0] != '"') {
          return std::nullopt;
        }
        call.name = base::AsciiLower(token.text.substr(1, token.text.size() - 2));
        call.builtin_form = false;
        break;
      default:
        return std::nullopt;
    }
    if (i >= 2 && IsSymbol(code_[i - 1], '.')) {
      const Token& schema = code_[i - 2];
      call.schema = schema.kind == TokenKind::kWord ? schema.value : base::AsciiLower(schema.value);
      call.builtin_form = false;
    }
    const Token& paren = code_[i + 1];
    if (dialect_ == Dialect::kMySql && paren.offset != token.offset + token.text.size()) {
      call.builtin_form = false;
    }
    return call;
  }

  // --- Per-token checks ---------------------------------------------------

  bool KeywordExempt(size_t i) const {
    const std::string& word = code_[i].value;
    // After '.', a word is a qualified name's part ("t.update"), never a keyword.
    if (i > 0 && IsSymbol(code_[i - 1], '.')) return true;
    if (FollowedByParen(i)) {
      // Functions sharing a keyword's name: REPLACE() everywhere, MySQL INSERT()
      // and TRUNCATE(). The statements never have '(' right after the keyword.
      if (word == "replace") return true;
      if (dialect_ == Dialect::kMySql && (word == "insert" || word == "truncate")) return true;
    }
    // CAST(x AS CHAR CHARACTER SET utf8mb4), CONVERT(x USING ...) forms.
    if (word == "set" && i > 0 && IsWord(code_[i - 1], "character")) return true;
    return false;
  }

  Status CheckToken(size_t i) {
    const Token& token = code_[i];
    if (token.kind == TokenKind::kParameter) {
      return BadQuery(fmt::format(
          "bound parameters such as '{}' are not supported (found at {}); write the value into "
          "the query or use a rule",
          Shown(token), Where(token)));
    }
    if (auto call = CallAt(i)) CS_RETURN_IF_ERROR(CheckCall(dialect_, *call, policy_));
    if (dialect_ == Dialect::kMySql) CS_RETURN_IF_ERROR(CheckMySqlToken(i));
    if (token.kind != TokenKind::kWord || KeywordExempt(i)) return Status::Ok();
    CS_RETURN_IF_ERROR(CheckLockingRead(i));
    const std::string& word = token.value;
    for (const std::string_view denied : kDeniedKeywords) {
      if (word != denied) continue;
      return BadQuery(fmt::format(
          "{} is not allowed: a custom query may only read (found at {}); if it is a column or "
          "table name, quote it",
          Upper(token.text), Where(token)));
    }
    return Status::Ok();
  }

  // MySQL/MariaDB forms with effects that are not calls: `@v := expr`
  // assignments and the sequence syntax NEXT/PREVIOUS VALUE FOR s and s.NEXTVAL.
  Status CheckMySqlToken(size_t i) const {
    const Token& token = code_[i];
    if (IsSymbol(token, ':') && i + 1 < code_.size() && IsSymbol(code_[i + 1], '=') &&
        code_[i + 1].offset == token.offset + 1) {
      return BadQuery(fmt::format(
          "variable assignments (:=) are not allowed: a custom query may only read (found at {})",
          Where(token)));
    }
    if (token.kind != TokenKind::kWord) return Status::Ok();
    const bool sequence_syntax =
        ((token.value == "next" || token.value == "previous") && NextIsWord(i, "value")) ||
        (i > 0 && IsSymbol(code_[i - 1], '.') &&
         (token.value == "nextval" || token.value == "currval" || token.value == "lastval"));
    if (!sequence_syntax) return Status::Ok();
    return BadQuery(fmt::format(
        "sequence values ('{}') are not allowed: reading one advances the sequence (found at {})",
        Shown(token), Where(token)));
  }

  // FOR UPDATE / FOR SHARE / FOR NO KEY UPDATE / FOR KEY SHARE, LOCK IN SHARE
  // MODE, NOWAIT, SKIP LOCKED: each holds rows against writers (or asks to).
  Status CheckLockingRead(size_t i) const {
    const Token& token = code_[i];
    const std::string& word = token.value;
    std::string phrase;
    if (word == "for") {
      const bool lock = NextIsWord(i, "update") || NextIsWord(i, "share") ||
                        (NextIsWord(i, "no") && WordAt(i + 2, "key")) ||
                        (NextIsWord(i, "key") && WordAt(i + 2, "share"));
      if (!lock) return Status::Ok();
      phrase = "FOR";
      for (size_t j = i + 1; j < code_.size() && j <= i + 3; ++j) {
        const std::string& next = code_[j].value;
        if (code_[j].kind != TokenKind::kWord ||
            !(next == "update" || next == "share" || next == "no" || next == "key")) {
          break;
        }
        // Two appends, not `" " + Upper(...)`: GCC 12's -Wrestrict misfires on
        // the temporary at -O2 (a false positive that -Werror would make fatal).
        phrase += ' ';
        phrase += Upper(code_[j].text);
      }
    } else if (word == "lock" && NextIsWord(i, "in")) {
      phrase = "LOCK IN SHARE MODE";
    } else if (word == "nowait") {
      phrase = "NOWAIT";
    } else if (word == "skip" && NextIsWord(i, "locked")) {
      phrase = "SKIP LOCKED";
    } else {
      return Status::Ok();
    }
    return BadQuery(fmt::format(
        "row locks (FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE) are not allowed in a read-only "
        "query; found '{}' at {}",
        phrase, Where(token)));
  }

  Dialect dialect_;
  std::string_view sql_;
  const std::vector<Token>& tokens_;
  const CustomQueryPolicy& policy_;
  std::vector<Token> code_;
  std::vector<bool> not_call_;
};

struct Mode {
  TokenizerOptions options;
  std::string_view description;  // how the server must be set up to read it this way
};

std::vector<Mode> ModesFor(Dialect dialect) {
  switch (dialect) {
    case Dialect::kMySql:
      return {{{Dialect::kMySql, true, false}, ""},
              {{Dialect::kMySql, false, false}, "sql_mode NO_BACKSLASH_ESCAPES"},
              {{Dialect::kMySql, true, true}, "sql_mode ANSI_QUOTES"},
              {{Dialect::kMySql, false, true}, "sql_mode NO_BACKSLASH_ESCAPES,ANSI_QUOTES"}};
    case Dialect::kPostgreSql:
      return {{{Dialect::kPostgreSql, false, false}, ""},
              {{Dialect::kPostgreSql, true, false}, "standard_conforming_strings = off"}};
    case Dialect::kSqlite:
      return {{{Dialect::kSqlite, false, false}, ""}};
  }
  return {};
}

bool SameBoundaries(const std::vector<Token>& a, const std::vector<Token>& b, size_t* differ) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i].offset != b[i].offset || a[i].text.size() != b[i].text.size()) {
      *differ = std::min(a[i].offset, b[i].offset);
      return false;
    }
  }
  if (a.size() == b.size()) return true;
  *differ = a.size() > n ? a[n].offset : b[n].offset;
  return false;
}

// Requires every other server setting that changes lexing to read `sql` into
// the same tokens as the default one (`tokens`). The drivers fix the session
// at connect and verify it (MySQL/MariaDB: a known sql_mode without
// ANSI_QUOTES or NO_BACKSLASH_ESCAPES, utf8mb4 on both sides; PostgreSQL:
// standard_conforming_strings on), so the default reading is the server's.
// This second layer keeps a query safe should a session ever differ, and it
// refuses the multi-byte trap of issue 11: in GBK/Big5/SJIS a backslash can be
// the second byte of a character ('\xbf\' closes), which is exactly the
// NO_BACKSLASH_ESCAPES reading, so such a query reads two ways and is refused.
Status CheckUnambiguous(Dialect dialect, std::string_view sql, const std::vector<Token>& tokens) {
  const std::vector<Mode> modes = ModesFor(dialect);
  for (size_t m = 1; m < modes.size(); ++m) {
    auto other = Tokenize(sql, modes[m].options);
    size_t differ = 0;
    if (other.ok() && SameBoundaries(tokens, *other, &differ)) continue;
    // Only backslashes read differently between the modes.
    if (!other.ok()) differ = sql.find('\\');
    if (differ == std::string_view::npos) differ = 0;
    return BadQuery(fmt::format(
        "the query reads differently when the server has {} (a backslash near {}); write a "
        "quote inside a string as two quotes ('') rather than with a backslash",
        modes[m].description, DescribePosition(sql, differ)));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// PostgreSQL: PostgreSQL's own grammar (libpg_query), and a walk over every
// node of the tree against an allow-list of node kinds, functions, types,
// operators and sampling methods.
// ---------------------------------------------------------------------------

// The raw-parse node kinds a plain SELECT is made of. Anything else (XML
// expressions, XMLTABLE, parameters, DML, utility statements, nodes a later
// PostgreSQL adds) is refused by name.
bool IsAllowedPostgresNode(std::string_view kind) {
  return IsOneOf(kind, {"SelectStmt",
                        "ResTarget",
                        "ColumnRef",
                        "A_Const",
                        "A_Expr",
                        "BoolExpr",
                        "FuncCall",
                        "TypeCast",
                        "TypeName",
                        "RangeVar",
                        "JoinExpr",
                        "RangeSubselect",
                        "RangeFunction",
                        "RangeTableSample",
                        "SubLink",
                        "CaseExpr",
                        "CaseWhen",
                        "CoalesceExpr",
                        "MinMaxExpr",
                        "NullTest",
                        "BooleanTest",
                        "SortBy",
                        "WindowDef",
                        "WithClause",
                        "CommonTableExpr",
                        "CTESearchClause",
                        "A_Star",
                        "A_Indices",
                        "A_Indirection",
                        "A_ArrayExpr",
                        "RowExpr",
                        "String",
                        "Integer",
                        "Float",
                        "Boolean",
                        "BitString",
                        "List",
                        "Alias",
                        "CollateClause",
                        "SQLValueFunction",
                        "GroupingSet",
                        "GroupingFunc",
                        "NamedArgExpr",
                        "ColumnDef"});
}

// The strings of a name list: [{"String": {"sval": "pg_catalog"}}, ...].
std::vector<std::string> NameParts(const nlohmann::json& list) {
  std::vector<std::string> parts;
  if (!list.is_array()) return parts;
  for (const auto& item : list) {
    if (item.is_object() && item.contains("String") && item["String"].is_object()) {
      parts.push_back(item["String"].value("sval", ""));
    } else {
      parts.emplace_back("*");  // never a valid name: refused where names are checked
    }
  }
  return parts;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += '.';
    out += part;
  }
  return out;
}

// One built-in name, bare or in pg_catalog ("pg_catalog.int4").
std::optional<std::string> BuiltinPart(const std::vector<std::string>& parts) {
  if (parts.size() == 1) return parts[0];
  if (parts.size() == 2 && parts[0] == "pg_catalog") return parts[1];
  return std::nullopt;
}

class PgParseCheck {
 public:
  PgParseCheck(std::string_view sql, const CustomQueryPolicy& policy)
      : sql_(sql), policy_(policy) {}

  Status Run() {
    const std::string text(sql_);
    PgQueryParseResult result = pg_query_parse(text.c_str());
    Status status = Inspect(result);
    pg_query_free_parse_result(result);
    return status;
  }

 private:
  Status Inspect(const PgQueryParseResult& result) {
    if (result.error != nullptr) {
      std::string where;
      if (result.error->cursorpos > 0) {
        where = " at " + DescribePosition(sql_, CharToByte(result.error->cursorpos - 1));
      }
      return BadQuery(fmt::format("PostgreSQL cannot parse it: {}{}",
                                  base::Printable(result.error->message, 200), where));
    }
    const nlohmann::json tree = nlohmann::json::parse(result.parse_tree, nullptr, false);
    if (tree.is_discarded() || !tree.contains("stmts") || !tree["stmts"].is_array()) {
      return base::Internal("custom query: unexpected output from the PostgreSQL parser");
    }
    const nlohmann::json& stmts = tree["stmts"];
    if (stmts.empty()) return BadQuery("the query is empty (only white space or comments)");
    if (stmts.size() > 1) {
      return BadQuery(fmt::format(
          "only one SELECT statement is allowed; PostgreSQL reads {} statements", stmts.size()));
    }
    const nlohmann::json& stmt = stmts[0].value("stmt", nlohmann::json::object());
    if (!stmt.is_object() || !stmt.contains("SelectStmt")) {
      const std::string kind =
          stmt.is_object() && !stmt.empty() ? stmt.begin().key() : std::string("unknown");
      return BadQuery(fmt::format("PostgreSQL reads it as {}, not a SELECT", kind));
    }
    return Walk(stmt, stmt);
  }

  size_t CharToByte(int chars) const {
    size_t i = 0;
    for (int seen = 0; i < sql_.size(); ++i) {
      if ((static_cast<unsigned char>(sql_[i]) & 0xc0) == 0x80) continue;
      if (seen++ == chars) break;
    }
    return i;
  }

  // "line L, column C" of a node's location (a byte offset), or of the
  // nearest enclosing node that has one.
  std::string Where(const nlohmann::json& node, const nlohmann::json& parent) const {
    for (const nlohmann::json* n : {&node, &parent}) {
      if (n->is_object() && n->contains("location") && (*n)["location"].is_number_integer()) {
        const auto location = (*n)["location"].get<long long>();
        if (location >= 0) return DescribePosition(sql_, static_cast<size_t>(location));
      }
    }
    return "an unknown position";
  }

  // Every node kind (a key starting with an upper-case letter) must be on the
  // allow-list; the fields that name functions, types and operators are
  // checked where they appear. `owner` is the innermost node with a location.
  Status Walk(const nlohmann::json& node, const nlohmann::json& owner) {
    if (node.is_array()) {
      for (const auto& child : node) CS_RETURN_IF_ERROR(Walk(child, owner));
      return Status::Ok();
    }
    if (!node.is_object()) return Status::Ok();
    const nlohmann::json& here = node.contains("location") ? node : owner;
    for (const auto& [key, value] : node.items()) {
      CS_RETURN_IF_ERROR(CheckField(key, value, here));
      CS_RETURN_IF_ERROR(
          Walk(value, value.is_object() && value.contains("location") ? value : here));
    }
    return Status::Ok();
  }

  Status CheckField(const std::string& key, const nlohmann::json& value,
                    const nlohmann::json& owner) const {
    if (key == "intoClause") return BadQuery("SELECT ... INTO is not allowed");
    if (key == "lockingClause") {
      return BadQuery(
          "row locks (FOR UPDATE / FOR SHARE / NOWAIT / SKIP LOCKED) are not allowed in a "
          "read-only query");
    }
    if (key == "ParamRef") {
      return BadQuery(fmt::format("bound parameters such as '$n' are not supported (found at {})",
                                  Where(value, owner)));
    }
    if (key == "InsertStmt" || key == "UpdateStmt" || key == "DeleteStmt" || key == "MergeStmt") {
      return BadQuery(fmt::format("a data-modifying statement ({}) is not allowed", key));
    }
    if (!key.empty() && key[0] >= 'A' && key[0] <= 'Z' && !IsAllowedPostgresNode(key)) {
      return BadQuery(fmt::format(
          "PostgreSQL reads a {} at {}, which a custom query may not use: only plain SELECT "
          "syntax with built-in functions, types and operators is allowed",
          key, Where(value, owner)));
    }
    if (!value.is_object()) return Status::Ok();
    if (key == "CommonTableExpr") return CheckCte(value);
    if (key == "FuncCall") return CheckFunction(value);
    if (key == "typeName" || key == "TypeName") return CheckType(value, owner);
    if (key == "A_Expr") return CheckOperator(value.value("name", nlohmann::json()), value);
    if (key == "SubLink" && value.contains("operName")) {
      return CheckOperator(value["operName"], value);
    }
    if (key == "SortBy" && value.contains("useOp")) return CheckOperator(value["useOp"], value);
    if (key == "RangeTableSample") return CheckSampling(value);
    return Status::Ok();
  }

  Status CheckCte(const nlohmann::json& cte) const {
    const auto query = cte.find("ctequery");
    if (query != cte.end() && !(query->is_object() && query->contains("SelectStmt"))) {
      return BadQuery(
          fmt::format("data-modifying WITH queries are not allowed (at {})", Where(cte, cte)));
    }
    return Status::Ok();
  }

  Status CheckFunction(const nlohmann::json& call_node) const {
    const std::vector<std::string> parts =
        NameParts(call_node.value("funcname", nlohmann::json::array()));
    if (parts.empty()) return BadQuery("a function call without a name is not allowed");
    Call call;
    call.name = parts.back();
    call.schema = Joined(std::vector<std::string>(parts.begin(), parts.end() - 1));
    call.where = Where(call_node, call_node);
    return CheckCall(Dialect::kPostgreSql, call, policy_);
  }

  // A cast runs the target type's input function; a user-defined or extension
  // type's is someone else's code.
  Status CheckType(const nlohmann::json& type_name, const nlohmann::json& owner) const {
    const std::vector<std::string> parts =
        NameParts(type_name.value("names", nlohmann::json::array()));
    const auto builtin = BuiltinPart(parts);
    if (builtin && IsAllowedPostgresType(*builtin) && !type_name.contains("pct_type")) {
      return Status::Ok();
    }
    return BadQuery(fmt::format(
        "type '{}' is not allowed (found at {}): only built-in types such as text, numeric, "
        "date or timestamptz may be cast to",
        base::Printable(Joined(parts), 60), Where(type_name, owner)));
  }

  // A user-defined operator runs a user function.
  Status CheckOperator(const nlohmann::json& names, const nlohmann::json& node) const {
    const std::vector<std::string> parts = NameParts(names);
    const auto builtin = BuiltinPart(parts);
    if (builtin && IsAllowedPostgresOperator(*builtin)) return Status::Ok();
    return BadQuery(fmt::format(
        "operator '{}' is not allowed (found at {}): only built-in operators may be used",
        base::Printable(Joined(parts), 60), Where(node, node)));
  }

  // TABLESAMPLE methods other than the two built-in ones come from extensions.
  Status CheckSampling(const nlohmann::json& sample) const {
    const std::vector<std::string> parts =
        NameParts(sample.value("method", nlohmann::json::array()));
    const auto builtin = BuiltinPart(parts);
    if (builtin && (*builtin == "bernoulli" || *builtin == "system")) return Status::Ok();
    return BadQuery(fmt::format(
        "TABLESAMPLE method '{}' is not allowed (found at {}): only BERNOULLI and SYSTEM",
        base::Printable(Joined(parts), 60), Where(sample, sample)));
  }

  std::string_view sql_;
  const CustomQueryPolicy& policy_;
};

}  // namespace

Status CheckWithPostgresParser(std::string_view sql, const CustomQueryPolicy& policy) {
  if (sql.find('\0') != std::string_view::npos) return BadQuery("the query contains a NUL byte");
  return PgParseCheck(sql, policy).Run();
}

base::Result<std::string> PrepareCustomQuery(Dialect dialect, std::string_view sql,
                                             const CustomQueryPolicy& policy) {
  if (sql.size() > kMaxCustomQueryBytes) {
    return BadQuery(fmt::format("the query is too long: {} bytes, at most {} allowed", sql.size(),
                                kMaxCustomQueryBytes));
  }
  if (auto status = base::CheckText("the query", sql, kMaxCustomQueryBytes); !status.ok()) {
    return BadQuery(status.message());
  }
  CS_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql, ModesFor(dialect).front().options));
  CS_RETURN_IF_ERROR(Checker(dialect, sql, tokens, policy).Run());
  CS_RETURN_IF_ERROR(CheckUnambiguous(dialect, sql, tokens));
  if (dialect == Dialect::kPostgreSql) CS_RETURN_IF_ERROR(CheckWithPostgresParser(sql, policy));
  // Run() guarantees at least one token before an optional final ';'.
  if (IsSymbol(tokens.back(), ';')) tokens.pop_back();
  const size_t begin = tokens.front().offset;
  const size_t end = tokens.back().offset + tokens.back().text.size();
  return std::string(sql.substr(begin, end - begin));
}

Status CheckCustomQuery(Dialect dialect, std::string_view sql, const CustomQueryPolicy& policy) {
  return PrepareCustomQuery(dialect, sql, policy).status();
}

}  // namespace contactsync::query
