#include "store/contact_fields_json.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace contactsync::store {

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

// By hand rather than with nlohmann: the sync writer encodes one object per
// new or changed contact, and this one appends into a kept buffer.
void EncodeContactFields(FieldValueRefs& entries, std::string& out) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.clear();
  char digits[24];
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [id, value] = entries[i];
    if (value.empty() || (i + 1 < entries.size() && entries[i + 1].first == id)) continue;
    out += out.empty() ? "{\"" : ",\"";
    const auto end = std::to_chars(std::begin(digits), std::end(digits), id).ptr;
    out.append(digits, end);
    out += "\":";
    AppendJsonString(out, value);
  }
  if (!out.empty()) out += '}';
}

base::Status DecodeContactFields(std::string_view json, FieldValues& out) {
  out.clear();
  if (json.empty()) return base::Status::Ok();
  const nlohmann::json object = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return base::Internal("stored contact fields: not a JSON object");
  for (const auto& [key, value] : object.items()) {
    int64_t id = 0;
    const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (error != std::errc() || end != key.data() + key.size() || !value.is_string()) {
      return base::Internal("stored contact fields: not a field id and a text value");
    }
    out.emplace_back(id, value.get<std::string>());
  }
  // nlohmann orders keys as text ("10" before "9").
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return base::Status::Ok();
}

base::Status MergeContactFields(std::string_view stored_json, const FieldValueRefs& changes,
                                std::string& out) {
  FieldValues stored;
  CS_RETURN_IF_ERROR(DecodeContactFields(stored_json, stored));
  FieldValueRefs entries;
  entries.reserve(stored.size() + changes.size());
  for (const auto& [id, value] : stored) entries.emplace_back(id, value);
  entries.insert(entries.end(), changes.begin(), changes.end());  // the later entry wins
  EncodeContactFields(entries, out);
  return base::Status::Ok();
}

}  // namespace contactsync::store
