#pragma once

// Test support for the differential test of the custom-query check
// (custom_query_differential_test.cpp): a seeded generator of SELECT statements
// that mix comments, quotes, CR/LF/tabs, dollar quotes, executable comments,
// variables and quoted names, with "payloads" (calls the check must never let
// run) placed either as plain code or hidden inside one of those constructs.
//
// The generator has no model of what is code: the database server is the
// oracle. Any text the check accepts is run, and a payload that runs proves
// that the check's lexer and the server's disagree. To make such disagreements
// likely, the content of comments, strings and quoted names is drawn from
// characters that end or open other constructs, and from "gadgets": a breaker
// (a newline, CR, `*/`, a quote ...), a payload as a new select item, and a
// re-opener, so that whichever construct the server sees end early, what
// follows is a valid item that runs the payload.
//
// The same seed gives the same queries on every platform (no std::
// distributions, whose output is implementation-defined).

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "query/dialect.h"

namespace contactsync::app::testing {

// A call the check must refuse when it is code: a function (`name` and its
// `args`, rendered with name variants), or a fixed SQL expression.
struct Payload {
  std::string name;        // "cs_probe", "LOAD_FILE"; for messages and variants
  std::string args;        // "", "'/tmp/x/secret'"
  std::string expression;  // when set, used as is (NEXT VALUE FOR s, a subquery)
};

struct GeneratedQuery {
  std::string sql;
  // A payload or tail appears in the text (as code or hidden).
  bool has_payload = false;
  // The query holds no comment, quoted name, variable or string other than
  // letters and spaces: every payload and tail in it is plainly code, which the
  // check must refuse, and without them the check must accept it.
  bool plain = false;
};

class HostileQueryGenerator {
 public:
  // `tails` are clauses the check must refuse after FROM (INTO OUTFILE, FOR
  // UPDATE ...). `table` is an unquoted table with an integer column `id` and
  // a text column `v`; `schema` qualifies payload names in some variants (""
  // for none).
  HostileQueryGenerator(query::Dialect dialect, std::vector<Payload> payloads,
                        std::vector<std::string> tails, std::string table, std::string schema,
                        uint32_t seed);

  GeneratedQuery Next();

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  template <typename T>
  const T& OneOf(const std::vector<T>& items) {
    return items[Pick(items.size())];
  }

  std::string Alias();
  std::string PayloadCall(bool plain);
  std::string Gadget();
  // A payload item between a pair of constructs that the server and a lexer
  // that gets one detail wrong would read differently: code for one, inside a
  // string or comment for the other.
  std::string Smuggled();
  std::string Content(size_t max_pieces, bool allow_spaces = true);
  std::string BlockCommentOpener();
  std::string LineComment(bool at_end);
  std::string BlockComment();
  std::string Gap(bool at_end);
  std::string StringItem();
  std::string QuotedAlias();
  std::string VariableItem();
  std::string Item(bool plain, bool* payload);

  query::Dialect dialect_;
  std::vector<Payload> payloads_;
  std::vector<std::string> tails_;
  std::string table_;
  std::string schema_;
  std::mt19937 rng_;
  int alias_counter_ = 0;
  bool saw_payload_ = false;
};

// `sql` with control characters and non-ASCII bytes written as \r, \n, \t,
// \xNN, so that a failing query can be read and pasted back.
std::string EscapedForMessage(std::string_view sql);

}  // namespace contactsync::app::testing
