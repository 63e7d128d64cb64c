#include "base/text.h"

#include <utf8.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace contactsync::base {

namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;
constexpr uint64_t kLowBits = 0x0101010101010101ULL;

// The length of the all-ASCII start of `text`, 8 bytes at a time. Most
// contact data is ASCII, and the byte-wise UTF-8 validator was a tenth of a
// sync's reading (issue 7); an ASCII byte is always a whole character, so
// validation may start where the ASCII run ends.
size_t AsciiPrefix(std::string_view text) {
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if ((word & kHighBits) != 0) break;
  }
  while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0x80) == 0) ++i;
  return i;
}

// True when `text` is all ASCII without a NUL byte: valid for CheckText
// without the byte-wise checks.
bool PlainAscii(std::string_view text) {
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    // A high bit, or a zero byte (the classic "has zero byte" test).
    if ((word & kHighBits) != 0 || ((word - kLowBits) & ~word & kHighBits) != 0) return false;
  }
  for (; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0 || (byte & 0x80) != 0) return false;
  }
  return true;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  return utf8::is_valid(text.begin() + static_cast<std::ptrdiff_t>(AsciiPrefix(text)), text.end());
}

Status CheckText(std::string_view what, std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return InvalidArgument(
        fmt::format("{} is too long: {} bytes, at most {} allowed", what, text.size(), max_bytes));
  }
  if (PlainAscii(text)) return Status::Ok();
  const auto from = text.begin() + static_cast<std::ptrdiff_t>(AsciiPrefix(text));
  if (auto invalid = utf8::find_invalid(from, text.end()); invalid != text.end()) {
    return InvalidArgument(
        fmt::format("{} is not valid UTF-8 (bad byte at offset {})", what, invalid - text.begin()));
  }
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    return InvalidArgument(fmt::format("{} contains a NUL byte at offset {}", what, nul));
  }
  return Status::Ok();
}

std::string_view TrimAscii(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  AsciiLowerInPlace(out);
  return out;
}

void AsciiLowerInPlace(std::string& text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

std::string Printable(std::string_view text, size_t max_chars) {
  std::string out;
  size_t shown = 0;
  size_t i = 0;
  while (i < text.size() && shown < max_chars) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    const std::string_view sequence = text.substr(i, length);
    const bool printable_ascii = length == 1 && lead >= 0x20 && lead != 0x7f;
    if (printable_ascii ||
        (length > 1 && lead >= 0xc2 && IsValidUtf8(sequence) && sequence.size() == length)) {
      out.append(sequence);
      i += length;
    } else {
      out += fmt::format("\\x{:02x}", lead);
      ++i;
    }
    ++shown;
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace contactsync::base
