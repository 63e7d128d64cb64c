#pragma once

// Custom fields: their definition and the rules their values obey.
//
// A field's key is its personalisation tag (%CITY%): 1..64 characters of
// A-Z, 0-9 and '_', starting with a letter, stored upper-case (keys are
// case-insensitive: "city" and "CITY" are one key). The built-in tags EMAIL,
// FIRSTNAME, LASTNAME and PHONE are reserved.
//
// Values are text in a canonical form per type:
//   text, hidden   any UTF-8 without NUL, at most 255 characters (bytes: 1020)
//   textarea       any UTF-8 without NUL, at most 65,535 bytes
//   number         optional '-', digits, optional '.' and digits ("-12.50");
//                  a leading '+' and surrounding spaces are dropped; at most
//                  40 digits; no exponent, no thousands separators
//   date           YYYY-MM-DD, a real calendar date
//   datetime       YYYY-MM-DDTHH:MM:SS with optional fraction and zone
//                  (Z or +HH:MM); a space instead of 'T' and a missing
//                  seconds part are accepted and normalised ("T", ":00")
//   dropdown/radio exactly one of the options; matched case-insensitively and
//                  stored as the option is spelled
//   checkbox       zero or more of the options, comma-separated; stored in the
//                  options' order, without duplicates, joined by ","
// An empty value means "no value". Whether a field is required is checked
// where a contact is created or synced, not here.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace contactsync::model {

enum class FieldType {
  kText,
  kTextarea,
  kNumber,
  kDate,
  kDatetime,
  kDropdown,
  kRadio,
  kCheckbox,
  kHidden,
};

// "text", "textarea", "number", "date", "datetime", "dropdown", "radio",
// "checkbox", "hidden".
std::string_view FieldTypeName(FieldType type);

// The type named `name` (as FieldTypeName spells it), or InvalidArgument
// listing the valid names.
base::Result<FieldType> ParseFieldType(std::string_view name);

// True for dropdown, radio and checkbox: the types whose values come from a
// fixed set of options.
bool IsChoiceType(FieldType type);

struct FieldDefinition {
  std::string key;    // canonical: upper-case, without the % signs
  std::string label;  // shown in the UI; 1..255 bytes of UTF-8
  FieldType type = FieldType::kText;
  std::vector<std::string> options;  // choice types only; unique, non-empty
  bool required = false;

  bool operator==(const FieldDefinition&) const = default;
};

// The definition with its key canonicalised (upper-cased, surrounding '%'
// removed) when it is acceptable; otherwise InvalidArgument naming the
// problem: a bad or reserved key, a blank or overlong label, options on a
// non-choice type, a choice type without options, a blank or duplicate option
// (case-insensitively), or a comma inside a checkbox option.
base::Result<FieldDefinition> ValidateFieldDefinition(FieldDefinition definition);

// The canonical stored form of `value` for `field` (see the table above), or
// InvalidArgument whose message names the field by key and says what is
// wrong, e.g. "field BIRTHDAY: '31.02.2020' is not a date (expected
// YYYY-MM-DD)". An empty or all-blank value yields "".
base::Result<std::string> NormalizeFieldValue(const FieldDefinition& field, std::string_view value);

}  // namespace contactsync::model
