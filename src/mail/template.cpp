#include "mail/template.h"

#include <cctype>

namespace contactsync::mail {

std::map<std::string, std::string> TagValues(const store::Contact& contact) {
  std::map<std::string, std::string> values = contact.fields;  // keys are upper case already
  values["FIRSTNAME"] = contact.first_name;
  values["LASTNAME"] = contact.last_name;
  values["EMAIL"] = contact.email;
  values["PHONE"] = contact.phone;
  return values;
}

std::string RenderTemplate(std::string_view text,
                           const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '%') {
      out += text[i++];
      continue;
    }
    size_t end = i + 1;
    std::string key;
    while (end < text.size() && end - i <= 65 &&
           (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
      key += static_cast<char>(std::toupper(static_cast<unsigned char>(text[end])));
      ++end;
    }
    if (!key.empty() && key.size() <= 64 && end < text.size() && text[end] == '%') {
      const auto it = values.find(key);
      if (it != values.end()) out += it->second;
      i = end + 1;
    } else {
      out += '%';
      ++i;
    }
  }
  return out;
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string TextToHtml(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') {
      out += "<br>\r\n";
    } else {
      out += EscapeHtml(text.substr(i, 1));
    }
  }
  return out;
}

}  // namespace contactsync::mail
