#include "model/email.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::model {
namespace {

constexpr size_t kMaxLocalPartBytes = 64;
constexpr size_t kMaxDomainBytes = 253;
constexpr size_t kMaxLabelBytes = 63;

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view kSpecials = "!#$%&'*+/=?^_`{|}~-";
  return kSpecials.find(c) != std::string_view::npos;
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsLetterOrDigit(char c) { return IsLetter(c) || (c >= '0' && c <= '9'); }

base::Status Invalid(std::string_view address, std::string_view why) {
  return base::InvalidArgument(
      fmt::format("'{}' is not a valid email address: {}", base::Printable(address), why));
}

// Internationalised addresses are refused, with advice that fits where the non-ASCII character
// stands: a domain has an ASCII (xn--) form the owner can write instead; a local part has none,
// since delivering to it needs SMTPUTF8 end to end.
base::Status NonAscii(std::string_view address) {
  const std::string_view local = address.substr(0, address.find('@'));
  const bool ascii_local = std::none_of(
      local.begin(), local.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (ascii_local && local.size() < address.size()) {
    return Invalid(address,
                   "internationalised (non-ASCII) domains are not supported; write the domain "
                   "in its xn-- form");
  }
  return Invalid(address,
                 "internationalised (non-ASCII) addresses are not supported: the part before "
                 "the '@' must be ASCII, because most mail servers and contactsync's mail sender "
                 "cannot deliver to it (that needs SMTPUTF8)");
}

base::Status CheckLocalPart(std::string_view address, std::string_view local) {
  if (local.empty()) return Invalid(address, "nothing before the '@'");
  if (local.size() > kMaxLocalPartBytes) {
    return Invalid(address, fmt::format("the part before '@' is longer than {} characters",
                                        kMaxLocalPartBytes));
  }
  if (local.front() == '.' || local.back() == '.') {
    return Invalid(address, "the part before '@' starts or ends with a dot");
  }
  if (local.find("..") != std::string_view::npos) {
    return Invalid(address, "two dots in a row before the '@'");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) {
      return Invalid(address, fmt::format("character '{}' is not allowed before the '@'",
                                          base::Printable(std::string_view(&c, 1))));
    }
  }
  return base::Status::Ok();
}

base::Status CheckDomain(std::string_view address, std::string_view domain) {
  if (domain.empty()) return Invalid(address, "nothing after the '@'");
  if (domain.front() == '[') return Invalid(address, "IP address domains are not accepted");
  if (domain.size() > kMaxDomainBytes) {
    return Invalid(address,
                   fmt::format("the domain is longer than {} characters", kMaxDomainBytes));
  }
  if (domain.find('.') == std::string_view::npos) {
    return Invalid(address, "the domain has no dot (e.g. example.com)");
  }
  std::string_view last_label;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty())
      return Invalid(address, "the domain has an empty part (two dots or a dot at an end)");
    if (label.size() > kMaxLabelBytes) {
      return Invalid(address,
                     fmt::format("a domain part is longer than {} characters", kMaxLabelBytes));
    }
    if (label.front() == '-' || label.back() == '-') {
      return Invalid(address, "a domain part starts or ends with a hyphen");
    }
    for (char c : label) {
      if (!IsLetterOrDigit(c) && c != '-') {
        return Invalid(address, fmt::format("character '{}' is not allowed in the domain",
                                            base::Printable(std::string_view(&c, 1))));
      }
    }
    last_label = label;
    start = end + 1;
  }
  bool has_letter = false;
  for (char c : last_label) has_letter = has_letter || IsLetter(c);
  if (!has_letter) return Invalid(address, "the domain does not end in a name (e.g. .com)");
  return base::Status::Ok();
}

}  // namespace

base::Result<std::string> ValidateEmail(std::string_view raw) {
  CS_ASSIGN_OR_RETURN(const std::string_view address, ValidateEmailView(raw));
  return std::string(address);
}

base::Result<std::string_view> ValidateEmailView(std::string_view raw) {
  const std::string_view address = base::TrimAscii(raw);
  if (address.empty()) return base::InvalidArgument("email address is blank");
  if (address.size() > kMaxEmailBytes) {
    return Invalid(address, fmt::format("it is longer than {} characters", kMaxEmailBytes));
  }
  for (char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) return NonAscii(address);
    if (byte < 0x20 || byte == 0x7f) return Invalid(address, "it contains a control character");
    if (c == ' ') return Invalid(address, "it contains a space");
    if (c == '<' || c == '>') {
      return Invalid(address, "write the bare address without a display name or <>");
    }
  }
  const size_t at = address.find('@');
  if (at == std::string_view::npos) return Invalid(address, "it has no '@'");
  if (address.find('@', at + 1) != std::string_view::npos) {
    return Invalid(address, "it has more than one '@'");
  }
  CS_RETURN_IF_ERROR(CheckLocalPart(address, address.substr(0, at)));
  CS_RETURN_IF_ERROR(CheckDomain(address, address.substr(at + 1)));
  return address;
}

std::string EmailKey(std::string_view email) { return base::AsciiLower(base::TrimAscii(email)); }

void AssignEmailKey(std::string_view email, std::string& key) {
  key.assign(base::TrimAscii(email));
  base::AsciiLowerInPlace(key);
}

}  // namespace contactsync::model
