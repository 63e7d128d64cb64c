#include "query/sql_tokenizer.h"

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::query {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// All three servers treat every byte >= 0x80 as an identifier character.
bool IsHighBit(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool IsIdentStart(char c) { return IsAsciiLetter(c) || c == '_' || IsHighBit(c); }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '$'; }

class Lexer {
 public:
  Lexer(std::string_view sql, const TokenizerOptions& options) : sql_(sql), options_(options) {}

  base::Result<std::vector<Token>> Run() {
    while (pos_ < sql_.size()) {
      const char c = sql_[pos_];
      if (IsSpace(c)) {
        ++pos_;
      } else if (StartsLineComment()) {
        SkipLineComment();
      } else if (c == '/' && Peek(1) == '*') {
        CS_RETURN_IF_ERROR(SkipBlockComment());
      } else if (c == '\'') {
        CS_RETURN_IF_ERROR(LexQuoted(pos_, pos_, '\'', TokenKind::kString, SingleQuoteEscapes()));
      } else if (c == '"') {
        CS_RETURN_IF_ERROR(LexDoubleQuoted());
      } else if (c == '`' && dialect() != Dialect::kPostgreSql) {
        CS_RETURN_IF_ERROR(LexQuoted(pos_, pos_, '`', TokenKind::kQuotedIdentifier, false));
      } else if (c == '[' && dialect() == Dialect::kSqlite) {
        CS_RETURN_IF_ERROR(LexBracketIdentifier());
      } else if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) {
        LexNumber();
      } else if (dialect() == Dialect::kSqlite && (c == '$' || c == '@' || c == ':' || c == '#')) {
        LexSqliteVariable();
      } else if (c == '$') {
        CS_RETURN_IF_ERROR(LexDollar());
      } else if (IsIdentStart(c)) {
        CS_RETURN_IF_ERROR(LexWord());
      } else if (c == '?' && dialect() != Dialect::kPostgreSql) {
        // In PostgreSQL '?' is a jsonb operator; PQexecParams uses $n.
        size_t end = pos_ + 1;
        if (dialect() == Dialect::kSqlite) end = SkipWhile(end, IsDigit);
        Emit(TokenKind::kParameter, pos_, end);
      } else if (c == '@' && dialect() == Dialect::kMySql) {
        const size_t name = Peek(1) == '@' ? pos_ + 2 : pos_ + 1;
        if (name < sql_.size() && IsIdentChar(sql_[name])) {
          Emit(TokenKind::kVariable, pos_, SkipWhile(name, IsIdentChar));
        } else {
          Emit(TokenKind::kSymbol, pos_, pos_ + 1);
        }
      } else if (c == '\0') {
        return BadQuery("a NUL byte", pos_);
      } else {
        Emit(TokenKind::kSymbol, pos_, pos_ + 1);
      }
    }
    return std::move(tokens_);
  }

 private:
  Dialect dialect() const { return options_.dialect; }

  char Peek(size_t ahead) const { return pos_ + ahead < sql_.size() ? sql_[pos_ + ahead] : '\0'; }

  size_t SkipWhile(size_t from, bool (*predicate)(char)) const {
    while (from < sql_.size() && predicate(sql_[from])) ++from;
    return from;
  }

  void Emit(TokenKind kind, size_t begin, size_t end) {
    Token token;
    token.kind = kind;
    token.text = sql_.substr(begin, end - begin);
    token.value = kind == TokenKind::kWord ? base::AsciiLower(token.text) : std::string(token.text);
    token.offset = begin;
    tokens_.push_back(std::move(token));
    pos_ = end;
  }

  base::Status BadQuery(std::string_view what, size_t offset) const {
    return {base::ErrorCode::kBadQuery,
            fmt::format("custom query: {} at {}", what, DescribePosition(sql_, offset))};
  }

  bool SingleQuoteEscapes() const {
    return dialect() != Dialect::kSqlite && options_.backslash_escapes;
  }

  bool StartsLineComment() const {
    const char c = sql_[pos_];
    if (c == '#') return dialect() == Dialect::kMySql;
    if (c != '-' || Peek(1) != '-') return false;
    if (dialect() != Dialect::kMySql) return true;
    // MySQL: "--" starts a comment only when followed by white space, a control
    // character or the end of the text; "1--1" is 1 - (-1).
    const auto next = static_cast<unsigned char>(Peek(2));
    return pos_ + 2 >= sql_.size() || next <= 0x20 || next == 0x7f;
  }

  // Where each server ends a line comment: PostgreSQL's scan.l at '\n' or '\r'
  // (non_newline is [^\n\r]); MySQL/MariaDB (sql_lex.cc) and SQLite
  // (tokenize.c) only at '\n'. Ending at '\r' for them would let
  // "-- <CR>'<LF>" hide code inside what the checker takes for a string.
  void SkipLineComment() {
    const bool cr_ends = dialect() == Dialect::kPostgreSql;
    while (pos_ < sql_.size() && sql_[pos_] != '\n' && !(cr_ends && sql_[pos_] == '\r')) ++pos_;
  }

  // SQLite's variables as tokenize.c reads them: '$', '@', ':' or '#', then
  // identifier characters, where "::" continues the name and a '(' after at
  // least one name character swallows everything up to the next ')' or white
  // space (TCL array syntax): "$a(')" is ONE token. Without a name character
  // SQLite reads an illegal token; either way the checker refuses it.
  void LexSqliteVariable() {
    size_t i = pos_ + 1;
    size_t name_chars = 0;
    while (i < sql_.size()) {
      const char c = sql_[i];
      if (IsIdentChar(c)) {
        ++name_chars;
        ++i;
      } else if (c == '(' && name_chars > 0) {
        ++i;
        while (i < sql_.size() && !IsSpace(sql_[i]) && sql_[i] != ')') ++i;
        if (i < sql_.size() && sql_[i] == ')') ++i;
        break;
      } else if (c == ':' && i + 1 < sql_.size() && sql_[i + 1] == ':') {
        i += 2;
      } else {
        break;
      }
    }
    Emit(TokenKind::kParameter, pos_, i);
  }

  base::Status SkipBlockComment() {
    const size_t start = pos_;
    if (dialect() == Dialect::kMySql &&
        (Peek(2) == '!' || ((Peek(2) == 'M' || Peek(2) == 'm') && Peek(3) == '!'))) {
      // MySQL and MariaDB execute the content of /*! ... */ and /*M! ... */ as
      // SQL. Checking it as code would be possible, but nobody needs it in a
      // sync query, so it is refused outright.
      return BadQuery(
          "MySQL executable comments (/*! ... */ or /*M! ... */) are not allowed; remove the "
          "comment or write its content as plain SQL; found one",
          start);
    }
    pos_ += 2;
    // PostgreSQL nests block comments; MySQL and SQLite end at the first */.
    int depth = 1;
    while (pos_ < sql_.size()) {
      if (sql_[pos_] == '*' && Peek(1) == '/') {
        pos_ += 2;
        if (--depth == 0) return base::Status::Ok();
      } else if (dialect() == Dialect::kPostgreSql && sql_[pos_] == '/' && Peek(1) == '*') {
        pos_ += 2;
        ++depth;
      } else {
        ++pos_;
      }
    }
    return BadQuery("unterminated comment starting", start);
  }

  // A token from `token_begin` whose quoted part starts at `quote_pos` (they
  // differ for E'...'). The quote character is escaped by doubling it, and by a
  // backslash when `backslash` is set.
  base::Status LexQuoted(size_t token_begin, size_t quote_pos, char quote, TokenKind kind,
                         bool backslash) {
    size_t i = quote_pos + 1;
    std::string content;
    while (i < sql_.size()) {
      const char c = sql_[i];
      if (backslash && c == '\\') {
        if (i + 1 < sql_.size()) content += sql_[i + 1];
        i += 2;
        continue;
      }
      if (c == quote) {
        if (i + 1 < sql_.size() && sql_[i + 1] == quote) {
          content += quote;
          i += 2;
          continue;
        }
        pos_ = token_begin;
        Emit(kind, token_begin, i + 1);
        if (kind == TokenKind::kQuotedIdentifier) tokens_.back().value = std::move(content);
        return base::Status::Ok();
      }
      content += c;
      ++i;
    }
    return BadQuery(kind == TokenKind::kString ? "unterminated string starting"
                                               : "unterminated quoted identifier starting",
                    token_begin);
  }

  base::Status LexDoubleQuoted() {
    if (dialect() == Dialect::kMySql && !options_.ansi_quotes) {
      return LexQuoted(pos_, pos_, '"', TokenKind::kString, options_.backslash_escapes);
    }
    return LexQuoted(pos_, pos_, '"', TokenKind::kQuotedIdentifier, false);
  }

  base::Status LexBracketIdentifier() {
    // SQLite [name]: no escapes, ends at the first ']'.
    const size_t close = sql_.find(']', pos_ + 1);
    if (close == std::string_view::npos) {
      return BadQuery("unterminated quoted identifier starting", pos_);
    }
    const size_t begin = pos_;
    Emit(TokenKind::kQuotedIdentifier, begin, close + 1);
    tokens_.back().value = std::string(sql_.substr(begin + 1, close - begin - 1));
    return base::Status::Ok();
  }

  void LexNumber() {
    size_t i = SkipWhile(pos_, IsDigit);
    // MySQL/MariaDB read digits followed by identifier characters ("1abs",
    // "0x1f") as one identifier unless they form an exponent ("1e5"): a call
    // "1abs(" is to a function named "1abs", not abs.
    if (dialect() == Dialect::kMySql && i > pos_ && i < sql_.size() && IsIdentChar(sql_[i]) &&
        !StartsExponent(i)) {
      Emit(TokenKind::kWord, pos_, SkipWhile(i, IsIdentChar));
      return;
    }
    // "1." is a number in all three dialects (so "1.into" is 1. INTO); "1..2"
    // is not.
    if (i < sql_.size() && sql_[i] == '.' && !(i + 1 < sql_.size() && sql_[i + 1] == '.')) {
      i = SkipWhile(i + 1, IsDigit);
    }
    if (i < sql_.size() && (sql_[i] == 'e' || sql_[i] == 'E')) {
      size_t j = i + 1;
      if (j < sql_.size() && (sql_[j] == '+' || sql_[j] == '-')) ++j;
      if (j < sql_.size() && IsDigit(sql_[j])) i = SkipWhile(j, IsDigit);
    }
    // Letters right after the digits ("1into", "0x1f") become a separate word
    // token, which is how PostgreSQL 15 and SQLite read them. MySQL reads
    // "1into" as one identifier; checking "into" as a keyword there errs on the
    // safe side.
    Emit(TokenKind::kNumber, pos_, i);
  }

  bool StartsExponent(size_t i) const {
    if (i >= sql_.size() || (sql_[i] != 'e' && sql_[i] != 'E')) return false;
    size_t j = i + 1;
    if (j < sql_.size() && (sql_[j] == '+' || sql_[j] == '-')) ++j;
    return j < sql_.size() && IsDigit(sql_[j]);
  }

  base::Status LexDollar() {
    if (dialect() == Dialect::kMySql) return LexWord();  // '$' may start a MySQL name
    if (IsDigit(Peek(1))) {
      Emit(TokenKind::kParameter, pos_, SkipWhile(pos_ + 1, IsDigit));
      return base::Status::Ok();
    }
    // PostgreSQL dollar quoting: $$...$$ or $tag$...$tag$, the tag being an
    // identifier without '$'.
    size_t i = pos_ + 1;
    if (i < sql_.size() && IsIdentStart(sql_[i])) {
      ++i;
      while (i < sql_.size() && IsIdentChar(sql_[i]) && sql_[i] != '$') ++i;
    }
    if (i >= sql_.size() || sql_[i] != '$') {
      Emit(TokenKind::kSymbol, pos_, pos_ + 1);
      return base::Status::Ok();
    }
    const std::string_view delimiter = sql_.substr(pos_, i + 1 - pos_);
    const size_t close = sql_.find(delimiter, i + 1);
    if (close == std::string_view::npos) {
      return BadQuery("unterminated dollar-quoted string starting", pos_);
    }
    Emit(TokenKind::kString, pos_, close + delimiter.size());
    return base::Status::Ok();
  }

  base::Status LexWord() {
    const size_t end = SkipWhile(pos_ + 1, IsIdentChar);
    // PostgreSQL E'...' (escape string): the letter must touch the quote.
    if (dialect() == Dialect::kPostgreSql && end == pos_ + 1 &&
        (sql_[pos_] == 'e' || sql_[pos_] == 'E') && end < sql_.size() && sql_[end] == '\'') {
      return LexQuoted(pos_, end, '\'', TokenKind::kString, true);
    }
    Emit(TokenKind::kWord, pos_, end);
    return base::Status::Ok();
  }

  std::string_view sql_;
  TokenizerOptions options_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

base::Result<std::vector<Token>> Tokenize(std::string_view sql, const TokenizerOptions& options) {
  return Lexer(sql, options).Run();
}

std::string DescribePosition(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xc0) != 0x80) {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

}  // namespace contactsync::query
