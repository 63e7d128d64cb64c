#include "model/custom_field.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::model {
namespace {

constexpr size_t kMaxKeyChars = 64;
constexpr size_t kMaxLabelBytes = 255;
constexpr size_t kMaxTextChars = 255;
constexpr size_t kMaxTextBytes = kMaxTextChars * 4;
constexpr size_t kMaxTextareaBytes = 65535;
constexpr size_t kMaxOptionBytes = 255;
constexpr size_t kMaxOptions = 500;
constexpr size_t kMaxNumberDigits = 40;

constexpr std::array<std::pair<FieldType, std::string_view>, 9> kTypeNames{{
    {FieldType::kText, "text"},
    {FieldType::kTextarea, "textarea"},
    {FieldType::kNumber, "number"},
    {FieldType::kDate, "date"},
    {FieldType::kDatetime, "datetime"},
    {FieldType::kDropdown, "dropdown"},
    {FieldType::kRadio, "radio"},
    {FieldType::kCheckbox, "checkbox"},
    {FieldType::kHidden, "hidden"},
}};

// Built-in personalisation tags that a custom field may not shadow.
constexpr std::array<std::string_view, 6> kReservedKeys{"EMAIL", "FIRSTNAME",   "LASTNAME",
                                                        "PHONE", "UNSUBSCRIBE", "CONFIRM"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t Utf8Chars(std::string_view text) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return chars;
}

base::Status FieldError(const FieldDefinition& field, std::string_view value,
                        std::string_view why) {
  return base::InvalidArgument(
      fmt::format("field {}: '{}' {}", field.key, base::Printable(value), why));
}

// Parses exactly `width` digits at `text[pos]`.
bool ReadDigits(std::string_view text, size_t pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (!IsDigit(text[i])) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool IsCalendarDate(int year, int month, int day) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const int days = kDays[static_cast<size_t>(month - 1)] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= days;
}

bool ParseDate(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  return text.size() == 10 && ReadDigits(text, 0, 4, year) && text[4] == '-' &&
         ReadDigits(text, 5, 2, month) && text[7] == '-' && ReadDigits(text, 8, 2, day) &&
         IsCalendarDate(year, month, day);
}

// "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]" -> "YYYY-MM-DDTHH:MM:SS[.fff][zone]".
std::optional<std::string> NormalizeDatetime(std::string_view text) {
  if (text.size() < 16 || !ParseDate(text.substr(0, 10))) return std::nullopt;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  int hour = 0;
  int minute = 0;
  if (!ReadDigits(text, 11, 2, hour) || text[13] != ':' || !ReadDigits(text, 14, 2, minute) ||
      hour > 23 || minute > 59) {
    return std::nullopt;
  }
  std::string out = fmt::format("{}T{:02}:{:02}", text.substr(0, 10), hour, minute);
  size_t pos = 16;
  int second = 0;
  if (pos < text.size() && text[pos] == ':') {
    if (!ReadDigits(text, pos + 1, 2, second) || second > 60) return std::nullopt;
    pos += 3;
  }
  out += fmt::format(":{:02}", second);
  if (pos < text.size() && text[pos] == '.') {
    size_t end = pos + 1;
    while (end < text.size() && IsDigit(text[end])) ++end;
    if (end == pos + 1 || end - pos > 10) return std::nullopt;
    out += text.substr(pos, end - pos);
    pos = end;
  }
  if (pos == text.size()) return out;
  const std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") return out + "Z";
  int zone_hour = 0;
  int zone_minute = 0;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && ReadDigits(zone, 1, 2, zone_hour) &&
      zone[3] == ':' && ReadDigits(zone, 4, 2, zone_minute) && zone_hour <= 14 &&
      zone_minute <= 59) {
    return out + std::string(zone);
  }
  return std::nullopt;
}

std::optional<std::string> NormalizeNumber(std::string_view text) {
  std::string_view rest = text;
  std::string out;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    if (rest.front() == '-') out += '-';
    rest.remove_prefix(1);
  }
  const size_t dot = rest.find('.');
  const std::string_view whole = rest.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) return std::nullopt;
  if (!std::all_of(whole.begin(), whole.end(), IsDigit) ||
      !std::all_of(fraction.begin(), fraction.end(), IsDigit)) {
    return std::nullopt;
  }
  if (whole.size() + fraction.size() > kMaxNumberDigits) return std::nullopt;
  out += whole;
  if (dot != std::string_view::npos) {
    out += '.';
    out += fraction;
  }
  return out;
}

// The option spelled like `value` ignoring ASCII case, or nullptr.
const std::string* FindOption(const FieldDefinition& field, std::string_view value) {
  const std::string wanted = base::AsciiLower(value);
  for (const std::string& option : field.options) {
    if (base::AsciiLower(option) == wanted) return &option;
  }
  return nullptr;
}

std::string OptionList(const FieldDefinition& field) {
  std::string list;
  for (const std::string& option : field.options) {
    list += list.empty() ? "" : ", ";
    list += option;
  }
  return list;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) return name;
  }
  return "text";
}

base::Result<FieldType> ParseFieldType(std::string_view name) {
  std::string valid;
  for (const auto& [value, type_name] : kTypeNames) {
    if (type_name == name) return value;
    valid += valid.empty() ? "" : ", ";
    valid += type_name;
  }
  return base::InvalidArgument(
      fmt::format("unknown field type '{}' (expected one of: {})", base::Printable(name), valid));
}

bool IsChoiceType(FieldType type) {
  return type == FieldType::kDropdown || type == FieldType::kRadio || type == FieldType::kCheckbox;
}

base::Result<FieldDefinition> ValidateFieldDefinition(FieldDefinition definition) {
  std::string_view key = base::TrimAscii(definition.key);
  if (key.size() >= 2 && key.front() == '%' && key.back() == '%') {
    key = key.substr(1, key.size() - 2);
  }
  std::string canonical_key;
  for (char c : key) canonical_key += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  const bool key_ok = !canonical_key.empty() && canonical_key.size() <= kMaxKeyChars &&
                      canonical_key.front() >= 'A' && canonical_key.front() <= 'Z' &&
                      std::all_of(canonical_key.begin(), canonical_key.end(), [](char c) {
                        return (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
                      });
  if (!key_ok) {
    return base::InvalidArgument(fmt::format(
        "'{}' is not a valid field key: use 1 to {} letters, digits or '_', starting with a "
        "letter (e.g. CITY)",
        base::Printable(definition.key), kMaxKeyChars));
  }
  if (std::find(kReservedKeys.begin(), kReservedKeys.end(), canonical_key) != kReservedKeys.end()) {
    return base::InvalidArgument(
        fmt::format("field key {} is reserved for a built-in tag", canonical_key));
  }
  definition.key = canonical_key;

  if (base::TrimAscii(definition.label).empty()) {
    return base::InvalidArgument(fmt::format("field {}: the label is blank", definition.key));
  }
  CS_RETURN_IF_ERROR(base::CheckText(fmt::format("field {} label", definition.key),
                                     definition.label, kMaxLabelBytes));

  if (!IsChoiceType(definition.type)) {
    if (!definition.options.empty()) {
      return base::InvalidArgument(fmt::format(
          "field {}: options only apply to dropdown, radio and checkbox fields", definition.key));
    }
    return definition;
  }
  if (definition.options.empty()) {
    return base::InvalidArgument(fmt::format("field {}: a {} field needs at least one option",
                                             definition.key, FieldTypeName(definition.type)));
  }
  if (definition.options.size() > kMaxOptions) {
    return base::InvalidArgument(
        fmt::format("field {}: at most {} options are allowed", definition.key, kMaxOptions));
  }
  std::vector<std::string> seen;
  for (std::string& option : definition.options) {
    option = std::string(base::TrimAscii(option));
    if (option.empty()) {
      return base::InvalidArgument(fmt::format("field {}: an option is blank", definition.key));
    }
    CS_RETURN_IF_ERROR(
        base::CheckText(fmt::format("field {} option", definition.key), option, kMaxOptionBytes));
    if (definition.type == FieldType::kCheckbox && option.find(',') != std::string::npos) {
      return base::InvalidArgument(
          fmt::format("field {}: checkbox option '{}' contains a comma, which separates values",
                      definition.key, base::Printable(option)));
    }
    std::string lowered = base::AsciiLower(option);
    if (std::find(seen.begin(), seen.end(), lowered) != seen.end()) {
      return base::InvalidArgument(fmt::format("field {}: option '{}' is listed twice",
                                               definition.key, base::Printable(option)));
    }
    seen.push_back(std::move(lowered));
  }
  return definition;
}

namespace {

// base::CheckText naming the field. The name is formatted only for a value
// that fails: a sync normalises every mapped cell (issue 7).
base::Status CheckFieldText(const FieldDefinition& field, std::string_view value,
                            size_t max_bytes) {
  if (base::CheckText("", value, max_bytes).ok()) return base::Status::Ok();
  return base::CheckText(fmt::format("field {}", field.key), value, max_bytes);
}

}  // namespace

base::Result<std::string> NormalizeFieldValue(const FieldDefinition& field,
                                              std::string_view value) {
  switch (field.type) {
    case FieldType::kText:
    case FieldType::kHidden: {
      CS_RETURN_IF_ERROR(CheckFieldText(field, value, kMaxTextBytes));
      if (Utf8Chars(value) > kMaxTextChars) {
        return FieldError(field, value, fmt::format("is longer than {} characters", kMaxTextChars));
      }
      return base::TrimAscii(value).empty() ? std::string() : std::string(value);
    }
    case FieldType::kTextarea:
      CS_RETURN_IF_ERROR(CheckFieldText(field, value, kMaxTextareaBytes));
      return base::TrimAscii(value).empty() ? std::string() : std::string(value);
    default:
      break;
  }
  // The structured types: their values are short, so a generous bound keeps
  // error messages and checks cheap whatever was sent.
  CS_RETURN_IF_ERROR(CheckFieldText(field, value, kMaxTextareaBytes));
  const std::string_view trimmed = base::TrimAscii(value);
  if (trimmed.empty()) return std::string();
  switch (field.type) {
    case FieldType::kNumber: {
      auto number = NormalizeNumber(trimmed);
      if (!number) return FieldError(field, value, "is not a number (e.g. 42 or -12.50)");
      return *number;
    }
    case FieldType::kDate:
      if (!ParseDate(trimmed)) {
        return FieldError(field, value, "is not a date (expected YYYY-MM-DD)");
      }
      return std::string(trimmed);
    case FieldType::kDatetime: {
      auto datetime = NormalizeDatetime(trimmed);
      if (!datetime) {
        return FieldError(field, value,
                          "is not a date and time (expected YYYY-MM-DDTHH:MM:SS, optionally "
                          "with Z or +HH:MM)");
      }
      return *datetime;
    }
    case FieldType::kDropdown:
    case FieldType::kRadio: {
      const std::string* option = FindOption(field, trimmed);
      if (option == nullptr) {
        return FieldError(field, value, fmt::format("is not one of: {}", OptionList(field)));
      }
      return *option;
    }
    case FieldType::kCheckbox: {
      std::vector<bool> chosen(field.options.size(), false);
      size_t start = 0;
      while (start <= trimmed.size()) {
        size_t end = trimmed.find(',', start);
        if (end == std::string_view::npos) end = trimmed.size();
        const std::string_view item = base::TrimAscii(trimmed.substr(start, end - start));
        if (!item.empty()) {
          const std::string* option = FindOption(field, item);
          if (option == nullptr) {
            return FieldError(field, item, fmt::format("is not one of: {}", OptionList(field)));
          }
          chosen[static_cast<size_t>(option - field.options.data())] = true;
        }
        start = end + 1;
      }
      std::string out;
      for (size_t i = 0; i < field.options.size(); ++i) {
        if (!chosen[i]) continue;
        out += out.empty() ? "" : ",";
        out += field.options[i];
      }
      return out;
    }
    default:
      return base::Internal("unhandled field type");
  }
}

}  // namespace contactsync::model
