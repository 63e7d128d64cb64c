#include "base/redact.h"

namespace contactsync::base {
namespace {

void ReplaceAll(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    text.replace(pos, secret.size(), "***");
    pos += 3;
  }
}

// "scheme://user:password@host" -> "scheme://user:***@host".
void RedactUrlPasswords(std::string& text) {
  size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string::npos) {
    const size_t start = pos + 3;
    const size_t end = text.find_first_of("/ \t\r\n", start);
    const size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
    if (at != std::string::npos && at > start) {
      const size_t colon = text.find(':', start);
      if (colon != std::string::npos && colon < at) {
        text.replace(colon + 1, at - colon - 1, "***");
      }
    }
    pos = start;
  }
}

}  // namespace

std::string Redact(std::string_view text, const std::vector<std::string_view>& secrets) {
  std::string out(text);
  for (std::string_view secret : secrets) ReplaceAll(out, secret);
  RedactUrlPasswords(out);
  return out;
}

}  // namespace contactsync::base
