#include "query/custom_query_check.h"

#include <pg_query.h>

#include <array>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "query/sql_tokenizer.h"

namespace contactsync::query {
namespace {

using base::Status;

// Statements and clauses that write, lock, change session state or run other
// code. A custom query starts with SELECT/WITH and holds one statement, so most
// of these can only appear in a second statement (refused earlier) or a
// data-modifying CTE; listing them anyway is the point of a deny-list layer.
constexpr std::array<std::string_view, 34> kDeniedKeywords = {
    "into",   "update",  "delete",   "insert",    "merge",   "replace", "create",
    "alter",  "drop",    "truncate", "grant",     "revoke",  "set",     "copy",
    "load",   "handler", "do",       "execute",   "prepare", "attach",  "detach",
    "pragma", "vacuum",  "reindex",  "analyze",   "analyse", "lock",    "unlock",
    "call",   "commit",  "rollback", "savepoint", "notify",  "listen",
};

constexpr std::array<std::string_view, 33> kDeniedFunctions = {
    // PostgreSQL: files, signals, configuration, sequences, transaction ids.
    "pg_stat_file",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_switch_xlog",
    "set_config",
    "nextval",
    "setval",
    "txid_current",
    "pg_current_xact_id",
    "pg_notify",
    "pg_promote",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_import_system_collations",
    // MySQL / MariaDB: files, sleeps, locks, replication waits, UDF shells.
    "load_file",
    "sleep",
    "benchmark",
    "get_lock",
    "release_lock",
    "release_all_locks",
    "is_free_lock",
    "master_pos_wait",
    "source_pos_wait",
    "master_gtid_wait",
    "wait_for_executed_gtid_set",
    "wait_until_sql_thread_after_gtids",
    "sys_exec",
    "sys_eval",
};

// SQLite: extension loading, and the CLI shell's file functions in case the
// library was built with them.
constexpr std::array<std::string_view, 5> kDeniedSqliteFunctions = {
    "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
};

// Whole families: large objects (lo_import, lo_export, lo_from_bytea, ...),
// dblink (dblink_exec), sleeps, advisory locks, server file access, adminpack,
// replication slots, statistics resets, query_to_xml (runs a query string).
constexpr std::array<std::string_view, 15> kDeniedFunctionPrefixes = {
    "lo_",          "dblink",          "pg_sleep",    "pg_advisory",   "pg_try_advisory",
    "query_to_xml", "pg_read_",        "pg_ls_",      "pg_file_",      "pg_create_",
    "pg_drop_",     "pg_replication_", "pg_logical_", "pg_stat_reset", "pg_wal_replay_",
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

class Checker {
 public:
  Checker(Dialect dialect, std::string_view sql, const std::vector<Token>& tokens)
      : dialect_(dialect), sql_(sql), tokens_(tokens) {}

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

  // A function name: an unquoted or quoted identifier (PostgreSQL and SQLite
  // call "pg_sleep"(1) too; MySQL reads "x" as an identifier under ANSI_QUOTES).
  std::optional<std::string> CalledName(size_t i) const {
    if (!FollowedByParen(i)) return std::nullopt;
    const Token& token = code_[i];
    switch (token.kind) {
      case TokenKind::kWord:
        return token.value;
      case TokenKind::kQuotedIdentifier:
        return base::AsciiLower(token.value);
      case TokenKind::kString:
        if (dialect_ == Dialect::kMySql && token.text.size() >= 2 && token.text[0] == '"') {
          return base::AsciiLower(token.text.substr(1, token.text.size() - 2));
        }
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

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
    if (auto name = CalledName(i); name && IsDeniedFunction(dialect_, *name)) {
      return BadQuery(fmt::format(
          "function '{}' is not allowed: it has effects outside the query (found at {})",
          base::Printable(*name, 60), Where(token)));
    }
    if (token.kind != TokenKind::kWord || KeywordExempt(i)) return Status::Ok();
    const std::string& word = token.value;
    if (word == "for") {
      const bool lock =
          NextIsWord(i, "update") || NextIsWord(i, "share") ||
          (NextIsWord(i, "no") && i + 2 < code_.size() && IsWord(code_[i + 2], "key")) ||
          (NextIsWord(i, "key") && i + 2 < code_.size() && IsWord(code_[i + 2], "share"));
      if (lock) {
        std::string phrase = "FOR";
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
        return BadQuery(fmt::format(
            "row locks (FOR UPDATE / FOR SHARE) are not allowed in a read-only query; found "
            "'{}' at {}",
            phrase, Where(token)));
      }
      return Status::Ok();
    }
    for (const std::string_view denied : kDeniedKeywords) {
      if (word != denied) continue;
      return BadQuery(fmt::format(
          "{} is not allowed: a custom query may only read (found at {}); if it is a column or "
          "table name, quote it",
          Upper(token.text), Where(token)));
    }
    return Status::Ok();
  }

  Dialect dialect_;
  std::string_view sql_;
  const std::vector<Token>& tokens_;
  std::vector<Token> code_;
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
// the same tokens as the default one (`tokens`), so that the checked reading is
// the one the server will use whatever its settings.
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

// PostgreSQL: the same verdict from PostgreSQL's own grammar.
class PgParseCheck {
 public:
  explicit PgParseCheck(std::string_view sql) : sql_(sql) {}

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
    return Walk(stmt);
  }

  size_t CharToByte(int chars) const {
    size_t i = 0;
    for (int seen = 0; i < sql_.size(); ++i) {
      if ((static_cast<unsigned char>(sql_[i]) & 0xc0) == 0x80) continue;
      if (seen++ == chars) break;
    }
    return i;
  }

  std::string At(const nlohmann::json& node) const {
    if (node.is_object() && node.contains("location") && node["location"].is_number_integer()) {
      const auto location = node["location"].get<long long>();
      if (location >= 0) return " at " + DescribePosition(sql_, static_cast<size_t>(location));
    }
    return "";
  }

  Status Walk(const nlohmann::json& node) {
    if (node.is_array()) {
      for (const auto& child : node) CS_RETURN_IF_ERROR(Walk(child));
      return Status::Ok();
    }
    if (!node.is_object()) return Status::Ok();
    for (const auto& [key, value] : node.items()) {
      if (key == "intoClause") return BadQuery("SELECT ... INTO is not allowed");
      if (key == "lockingClause") {
        return BadQuery("row locks (FOR UPDATE / FOR SHARE) are not allowed");
      }
      if (key == "InsertStmt" || key == "UpdateStmt" || key == "DeleteStmt" || key == "MergeStmt") {
        return BadQuery(fmt::format("a data-modifying statement ({}) is not allowed", key));
      }
      if (key == "CommonTableExpr" && value.is_object()) {
        const auto query = value.find("ctequery");
        if (query != value.end() && !(query->is_object() && query->contains("SelectStmt"))) {
          return BadQuery(fmt::format("data-modifying WITH queries are not allowed{}", At(value)));
        }
      }
      if (key == "FuncCall" && value.is_object()) CS_RETURN_IF_ERROR(CheckCall(value));
      CS_RETURN_IF_ERROR(Walk(value));
    }
    return Status::Ok();
  }

  Status CheckCall(const nlohmann::json& call) const {
    const auto names = call.find("funcname");
    if (names == call.end() || !names->is_array() || names->empty()) return Status::Ok();
    const nlohmann::json& last = names->back();
    if (!last.contains("String")) return Status::Ok();
    const std::string name = last["String"].value("sval", "");
    if (!IsDeniedFunction(Dialect::kPostgreSql, name)) return Status::Ok();
    return BadQuery(fmt::format("function '{}' is not allowed: it has effects outside the query{}",
                                base::Printable(name, 60), At(call)));
  }

  std::string_view sql_;
};

}  // namespace

bool IsDeniedFunction(Dialect dialect, std::string_view name) {
  const std::string lower = base::AsciiLower(name);
  for (const std::string_view denied : kDeniedFunctions) {
    if (lower == denied) return true;
  }
  // Only SQLite's list is dialect-specific: "edit" is a plausible name for a
  // harmless user function elsewhere. The other lists apply everywhere; a
  // MySQL name refused on PostgreSQL costs nothing.
  if (dialect == Dialect::kSqlite) {
    for (const std::string_view denied : kDeniedSqliteFunctions) {
      if (lower == denied) return true;
    }
  }
  for (const std::string_view prefix : kDeniedFunctionPrefixes) {
    if (lower.starts_with(prefix)) return true;
  }
  return false;
}

Status CheckWithPostgresParser(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos) return BadQuery("the query contains a NUL byte");
  return PgParseCheck(sql).Run();
}

base::Result<std::string> PrepareCustomQuery(Dialect dialect, std::string_view sql,
                                             const CustomQueryPolicy& policy) {
  (void)policy;  // TODO(issue 11): the allow-list takes it
  if (sql.size() > kMaxCustomQueryBytes) {
    return BadQuery(fmt::format("the query is too long: {} bytes, at most {} allowed", sql.size(),
                                kMaxCustomQueryBytes));
  }
  if (auto status = base::CheckText("the query", sql, kMaxCustomQueryBytes); !status.ok()) {
    return BadQuery(status.message());
  }
  CS_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql, ModesFor(dialect).front().options));
  CS_RETURN_IF_ERROR(Checker(dialect, sql, tokens).Run());
  CS_RETURN_IF_ERROR(CheckUnambiguous(dialect, sql, tokens));
  if (dialect == Dialect::kPostgreSql) CS_RETURN_IF_ERROR(CheckWithPostgresParser(sql));
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
