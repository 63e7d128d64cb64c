#include "model/exclusion.h"

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"

namespace contactsync::model {
namespace {

bool IsPatternChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view kAllowed = "!#$%&'*+/=?^_`{|}~-.@";
  return kAllowed.find(c) != std::string_view::npos;
}

}  // namespace

base::Result<std::string> NormalizeExclusionPattern(std::string_view raw) {
  std::string pattern = base::AsciiLower(base::TrimAscii(raw));
  auto malformed = [&](std::string_view why) {
    return base::InvalidArgument(
        fmt::format("'{}' is not a valid exclusion pattern: {} (examples: ann@example.com, "
                    "*@example.com, test*@*)",
                    base::Printable(raw), why));
  };
  if (pattern.empty()) return malformed("it is blank");
  for (char c : pattern) {
    if (!IsPatternChar(c)) {
      return malformed(
          fmt::format("character '{}' is not allowed", base::Printable(std::string_view(&c, 1))));
    }
  }
  std::string folded;
  for (char c : pattern) {
    if (c == '*' && !folded.empty() && folded.back() == '*') continue;
    folded += c;
  }
  const size_t at = folded.find('@');
  if (at == std::string::npos) return malformed("it has no '@'");
  if (folded.find('@', at + 1) != std::string::npos) return malformed("it has more than one '@'");
  if (at == 0 || at + 1 == folded.size())
    return malformed("it needs something on both sides of '@'");
  if (folded.size() < 3 || folded.size() > kMaxEmailBytes) {
    return malformed(fmt::format("it must be 3 to {} characters long", kMaxEmailBytes));
  }
  return folded;
}

bool ExclusionMatches(std::string_view pattern, std::string_view email_key) {
  // Greedy wildcard matching with a single backtrack point: a later '*'
  // always supersedes an earlier one, so no exponential backtracking.
  size_t p = 0;
  size_t s = 0;
  size_t star = std::string_view::npos;
  size_t star_match = 0;
  while (s < email_key.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_match = s;
    } else if (p < pattern.size() && pattern[p] == email_key[s]) {
      ++p;
      ++s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++star_match;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace contactsync::model
