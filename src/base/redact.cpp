#include "base/redact.h"

#include "base/text.h"

namespace contactsync::base {
namespace {

constexpr std::string_view kMask = "***";

// Bytes that continue a name (host, user, identifier, word): a secret touching one of
// them is part of something longer, not the secret itself.
bool ContinuesName(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || byte >= 0x80;
}

bool StandsAlone(std::string_view text, size_t pos, size_t size) {
  const bool free_before = pos == 0 || !ContinuesName(text[pos - 1]);
  const bool free_after = pos + size == text.size() || !ContinuesName(text[pos + size]);
  return free_before && free_after;
}

void ReplaceWholeValues(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    if (StandsAlone(text, pos, secret.size())) {
      text.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    } else {
      pos += 1;
    }
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
        text.replace(colon + 1, at - colon - 1, kMask);
      }
    }
    pos = start;
  }
}

// libpq-style "password=value" or "password='quoted value'" -> "password=***".
void RedactPasswordSettings(std::string& text) {
  constexpr std::string_view kKey = "password=";
  size_t pos = 0;
  while ((pos = AsciiLower(text).find(kKey, pos)) != std::string::npos) {
    const size_t start = pos + kKey.size();
    size_t end = start;
    if (end < text.size() && text[end] == '\'') {
      end = text.find('\'', start + 1);
      end = end == std::string::npos ? text.size() : end + 1;
    } else {
      end = text.find_first_of(" \t\r\n;&", start);
      if (end == std::string::npos) end = text.size();
    }
    if (end > start) text.replace(start, end - start, kMask);
    pos = start + kMask.size();
  }
}

}  // namespace

std::string Redact(std::string_view text, const std::vector<std::string_view>& secrets) {
  std::string out(text);
  for (std::string_view secret : secrets) ReplaceWholeValues(out, secret);
  RedactUrlPasswords(out);
  RedactPasswordSettings(out);
  return out;
}

}  // namespace contactsync::base
