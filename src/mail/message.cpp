#include "mail/message.h"

#include <sodium.h>

#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::mail {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// Bytes of UTF-8 per encoded word: 39 bytes -> 52 base64 characters -> 64
// with "=?UTF-8?B?" and "?=", which leaves room for the longest header name
// on the first line within 78 characters.
constexpr size_t kWordBytes = 39;

// Decodes one UTF-8 sequence at `i`; returns its length, or 0 when the
// bytes there are not a valid sequence. `cp` receives the code point.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t len = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    len = 2, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

bool IsLineBreakOrControl(uint32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

bool IsPrintableAscii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Characters that may stand in a URL inside <...> in a header.
bool IsHeaderUrl(std::string_view url) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return false;
  for (const char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\') return false;
  }
  return true;
}

void AddHeader(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += kCrlf;
}

}  // namespace

std::string CleanHeaderText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, cp);
    if (len == 0 || IsLineBreakOrControl(cp) || cp == ' ') {
      pending_space = true;
      i += len == 0 ? 1 : len;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

base::Status CheckAddress(std::string_view address) {
  if (address.empty()) return base::InvalidArgument("the address is empty");
  if (address.size() > 254) return base::InvalidArgument("the address is longer than 254 bytes");
  if (!base::IsValidUtf8(address)) return base::InvalidArgument("the address is not valid UTF-8");
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return base::InvalidArgument(
        fmt::format("'{}' is not an address (local@domain)", base::Printable(address)));
  }
  for (size_t i = 0; i < address.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(address, i, cp);
    if (len == 0 || IsLineBreakOrControl(cp) || cp == ' ' || cp == '<' || cp == '>' || cp == '"' ||
        cp == ',' || cp == ';' || cp == '\\' || cp == '(' || cp == ')' || cp == '[' || cp == ']' ||
        cp == ':') {
      return base::InvalidArgument(
          fmt::format("the address '{}' holds a character a mail header cannot carry",
                      base::Printable(address)));
    }
    i += len;
  }
  return base::Status::Ok();
}

bool NeedsSmtpUtf8(std::string_view address) {
  for (const char c : address) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

std::string EncodeWords(std::string_view clean_text) {
  std::string out;
  size_t i = 0;
  while (i < clean_text.size()) {
    size_t end = i;
    while (end < clean_text.size()) {
      uint32_t cp = 0;
      size_t len = DecodeUtf8(clean_text, end, cp);
      if (len == 0) len = 1;  // cannot happen for cleaned text; never loop forever
      if (end + len - i > kWordBytes) break;
      end += len;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += Base64(clean_text.substr(i, end - i));
    out += "?=";
    i = end;
  }
  return out;
}

std::string EncodeDisplayName(std::string_view name) {
  const std::string clean = CleanHeaderText(name);
  if (clean.empty()) return "";
  // "=?" in plain text would be read as the start of an encoded word.
  if (IsPrintableAscii(clean) && clean.size() <= 60 && clean.find("=?") == std::string::npos) {
    std::string quoted = "\"";
    for (const char c : clean) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    return quoted;
  }
  return EncodeWords(clean);
}

base::Result<std::string> FormatMailbox(const Mailbox& mailbox) {
  CS_RETURN_IF_ERROR(CheckAddress(mailbox.address));
  const std::string phrase = EncodeDisplayName(mailbox.name);
  if (phrase.empty()) return "<" + mailbox.address + ">";
  // A long encoded phrase ends with its own folded line; the address goes on
  // a line of its own so that no line grows past 78 characters.
  const bool folded = phrase.find('\n') != std::string::npos || phrase.size() > 40;
  return phrase + (folded ? "\r\n <" : " <") + mailbox.address + ">";
}

std::string FormatRfc5322Date(base::TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[utc.tm_wday], utc.tm_mday,
                     kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string Base64Lines(std::string_view bytes) {
  const std::string flat = Base64(bytes);
  std::string out;
  out.reserve(flat.size() + flat.size() / 76 * 2 + 2);
  for (size_t i = 0; i < flat.size(); i += 76) {
    out.append(flat, i, 76);
    out += kCrlf;
  }
  return out;
}

base::Result<std::string> BuildMessage(const MessageParts& parts) {
  CS_ASSIGN_OR_RETURN(const std::string from, FormatMailbox(parts.from));
  CS_ASSIGN_OR_RETURN(const std::string to, FormatMailbox(parts.to));
  const std::string_view id = parts.message_id;
  if (id.size() < 5 || id.size() > 250 || id.front() != '<' || id.back() != '>' ||
      id.find('@') == std::string_view::npos || !IsPrintableAscii(id) ||
      id.find(' ') != std::string_view::npos ||
      id.substr(1, id.size() - 2).find_first_of("<>") != std::string_view::npos) {
    return base::InvalidArgument(
        fmt::format("'{}' is not a valid Message-ID", base::Printable(parts.message_id)));
  }
  if (!IsHeaderUrl(parts.unsubscribe_url)) {
    return base::InvalidArgument(
        fmt::format("the unsubscribe link '{}' is not an http(s) URL a header can carry",
                    base::Printable(parts.unsubscribe_url)));
  }
  const std::string subject = CleanHeaderText(parts.subject);
  // The boundary is derived from the Message-ID (unique per message) and
  // cannot occur in base64 text, which never holds "=_".
  std::string boundary = "=_cs_";
  for (const char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c))) boundary += c;
  }

  std::string out;
  out.reserve(parts.text.size() * 3 + 2048);
  AddHeader(out, "From", from);
  AddHeader(out, "To", to);
  if (IsPrintableAscii(subject) && subject.size() <= 68 &&
      subject.find("=?") == std::string::npos) {
    AddHeader(out, "Subject", subject);
  } else {
    AddHeader(out, "Subject", EncodeWords(subject));
  }
  AddHeader(out, "Date", FormatRfc5322Date(parts.date));
  AddHeader(out, "Message-ID", parts.message_id);
  AddHeader(out, "MIME-Version", "1.0");
  AddHeader(out, "List-Unsubscribe", "<" + parts.unsubscribe_url + ">");
  AddHeader(out, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  AddHeader(out, "Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  out += kCrlf;
  out += "This is a MIME message.\r\n";
  const auto part = [&](std::string_view type, std::string_view body) {
    out += "--" + boundary + "\r\n";
    AddHeader(out, "Content-Type", std::string(type) + "; charset=utf-8");
    AddHeader(out, "Content-Transfer-Encoding", "base64");
    out += kCrlf;
    out += Base64Lines(body);
  };
  part("text/plain", parts.text);
  part("text/html", parts.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace contactsync::mail
