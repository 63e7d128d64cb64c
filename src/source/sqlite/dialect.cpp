#include "source/sqlite/dialect.h"

namespace contactsync::source::sqlite {

std::string ReadOnlyFileUri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "file:";
  // An absolute path becomes "file:/a/b" (empty authority implied). "file://x" would name an
  // authority, so repeated leading slashes, which mean "/" on POSIX, are collapsed.
  while (path.size() >= 2 && path[0] == '/' && path[1] == '/') path.remove_prefix(1);
  for (unsigned char c : path) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  out += "?mode=ro";
  return out;
}

bool IsEmptyTail(std::string_view tail) {
  size_t i = 0;
  while (i < tail.size()) {
    const char c = tail[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ';') {
      ++i;
    } else if (tail.substr(i, 2) == "--") {
      const size_t end = tail.find('\n', i);
      if (end == std::string_view::npos) return true;
      i = end + 1;
    } else if (tail.substr(i, 2) == "/*") {
      // SQLite accepts an unterminated block comment at the end of the text.
      const size_t end = tail.find("*/", i + 2);
      if (end == std::string_view::npos) return true;
      i = end + 2;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace contactsync::source::sqlite
