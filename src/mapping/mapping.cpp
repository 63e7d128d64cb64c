#include "mapping/mapping.h"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "base/text.h"
#include "model/email.h"
#include "model/sync_reasons.h"

namespace contactsync::mapping {
namespace {

constexpr std::array<std::pair<Reason, std::string_view>, 8> kReasonNames{{
    {Reason::kEmailMissing, model::kReasonEmailMissing},
    {Reason::kEmailInvalid, model::kReasonEmailInvalid},
    {Reason::kRequiredFieldMissing, model::kReasonRequiredFieldMissing},
    {Reason::kFieldInvalid, model::kReasonFieldInvalid},
    {Reason::kExcluded, model::kReasonExcluded},
    {Reason::kPreviouslyUnsubscribed, model::kReasonPreviouslyUnsubscribed},
    {Reason::kBounced, model::kReasonBounced},
    {Reason::kDuplicateInSource, model::kReasonDuplicateInSource},
}};

// The same canonical form as the store's CanonicalFieldKey: trimmed, without
// the surrounding '%', ASCII upper case.
std::string CanonicalKey(std::string_view key) {
  std::string_view trimmed = base::TrimAscii(key);
  if (trimmed.size() >= 2 && trimmed.front() == '%' && trimmed.back() == '%') {
    trimmed = trimmed.substr(1, trimmed.size() - 2);
  }
  std::string out(trimmed);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += base::Printable(name, 40);
  }
  return out.empty() ? "(none)" : out;
}

std::string_view BuiltInName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kEmail:
      return "email";
    case TargetKind::kFirstName:
      return "first_name";
    case TargetKind::kLastName:
      return "last_name";
    case TargetKind::kPhone:
      return "phone";
    case TargetKind::kField:
      break;
  }
  return "";
}

// A typed value of the database meets a field of the other temporal type: a date-time
// (MariaDB DATETIME/TIMESTAMP, PostgreSQL timestamp, an SQLite column declared DATETIME)
// goes to a date field by its date part, as the driver rendered it in the session's time
// zone; a date goes to a datetime field at midnight. Text columns are left to the strict
// check: "2006-02-14 22:04:36" typed into a text column is not a date.
// `midnight` holds the datetime text for the second case; the result may point into it.
std::string_view AdaptTypedTemporal(model::FieldType field_type, source::ValueKind column_kind,
                                    std::string_view text, std::string& midnight) {
  constexpr size_t kDateLength = 10;  // "YYYY-MM-DD"
  if (field_type == model::FieldType::kDate && column_kind == source::ValueKind::kDateTime &&
      text.size() > kDateLength && (text[kDateLength] == ' ' || text[kDateLength] == 'T')) {
    return text.substr(0, kDateLength);
  }
  if (field_type == model::FieldType::kDatetime && column_kind == source::ValueKind::kDate &&
      text.size() == kDateLength) {
    midnight.assign(text);
    midnight += "T00:00:00";
    return midnight;
  }
  return text;
}

// Why a cell cannot be a text value, or empty when it can.
std::string_view UnusableCell(const source::Value& value) {
  switch (value.state()) {
    case source::Value::State::kBinary:
      return "is a binary value";
    case source::Value::State::kBadText:
      return "is not valid UTF-8";
    default:
      return {};
  }
}

}  // namespace

base::Result<Target> ParseTarget(std::string_view text) {
  for (TargetKind kind :
       {TargetKind::kEmail, TargetKind::kFirstName, TargetKind::kLastName, TargetKind::kPhone}) {
    if (text == BuiltInName(kind)) return Target{kind, ""};
  }
  if (text.size() > 2 && text.front() == '%' && text.back() == '%') {
    std::string key = CanonicalKey(text);
    if (!key.empty()) return Target{TargetKind::kField, std::move(key)};
  }
  return base::InvalidArgument(
      fmt::format("unknown target field '{}'; use email, first_name, last_name, phone or a "
                  "custom field as %KEY%",
                  base::Printable(text)));
}

std::string TargetName(const Target& target) {
  if (target.kind == TargetKind::kField) return "%" + target.field_key + "%";
  return std::string(BuiltInName(target.kind));
}

base::Status CheckMapping(const Mapping& mapping, const std::vector<std::string>& columns,
                          const std::vector<model::FieldDefinition>& fields) {
  std::vector<std::string> seen_targets;
  std::vector<std::string_view> seen_columns;
  bool email = false;
  for (const ColumnMapping& entry : mapping) {
    if (std::find(columns.begin(), columns.end(), entry.column) == columns.end()) {
      return base::InvalidArgument(
          fmt::format("mapping: column '{}' does not exist; known columns: {}",
                      base::Printable(entry.column), JoinNames(columns)));
    }
    if (std::find(seen_columns.begin(), seen_columns.end(), entry.column) != seen_columns.end()) {
      return base::InvalidArgument(fmt::format("mapping: column '{}' is mapped more than once",
                                               base::Printable(entry.column)));
    }
    seen_columns.push_back(entry.column);
    const std::string name = TargetName(entry.target);
    if (std::find(seen_targets.begin(), seen_targets.end(), name) != seen_targets.end()) {
      return base::InvalidArgument(
          fmt::format("mapping: two columns are mapped onto {}; map one column per field", name));
    }
    seen_targets.push_back(name);
    if (entry.target.kind == TargetKind::kEmail) email = true;
    if (entry.target.kind == TargetKind::kField &&
        std::none_of(fields.begin(), fields.end(), [&](const model::FieldDefinition& f) {
          return f.key == entry.target.field_key;
        })) {
      std::vector<std::string> keys;
      for (const auto& f : fields) keys.push_back("%" + f.key + "%");
      return base::InvalidArgument(fmt::format(
          "mapping: custom field {} does not exist; known fields: {}", name, JoinNames(keys)));
    }
  }
  if (!email) {
    return base::InvalidArgument("mapping: no column is mapped onto email; email is required");
  }
  for (const model::FieldDefinition& field : fields) {
    if (!field.required) continue;
    const std::string name = "%" + field.key + "%";
    if (std::find(seen_targets.begin(), seen_targets.end(), name) == seen_targets.end()) {
      return base::InvalidArgument(
          fmt::format("mapping: custom field {} is required and must be mapped", name));
    }
  }
  return base::Status::Ok();
}

std::string_view ReasonName(Reason reason) {
  for (const auto& [r, name] : kReasonNames) {
    if (r == reason) return name;
  }
  return "unknown";
}

base::Result<Reason> ParseReason(std::string_view name) {
  for (const auto& [r, n] : kReasonNames) {
    if (n == name) return r;
  }
  return base::InvalidArgument(fmt::format("unknown reason code '{}'", base::Printable(name)));
}

base::Result<RowMapper> RowMapper::Create(const Mapping& mapping,
                                          const std::vector<source::ColumnInfo>& result_columns,
                                          const std::vector<model::FieldDefinition>& fields) {
  RowMapper mapper;
  mapper.fields_ = fields;
  bool email = false;
  size_t field_count = 0;
  for (const ColumnMapping& entry : mapping) {
    const auto column =
        std::find_if(result_columns.begin(), result_columns.end(),
                     [&](const source::ColumnInfo& c) { return c.name == entry.column; });
    if (column == result_columns.end()) {
      return base::InvalidArgument(
          fmt::format("mapping: column '{}' is not in the result", base::Printable(entry.column)));
    }
    Slot slot;
    slot.column = static_cast<size_t>(column - result_columns.begin());
    slot.target = entry.target;
    slot.name = TargetName(entry.target);
    slot.column_kind = column->kind;
    if (entry.target.kind == TargetKind::kEmail) {
      email = true;
      mapper.email_column_ = slot.column;
      continue;  // the email is handled first, on its own
    }
    if (entry.target.kind == TargetKind::kFirstName) mapper.maps_first_name_ = true;
    if (entry.target.kind == TargetKind::kLastName) mapper.maps_last_name_ = true;
    if (entry.target.kind == TargetKind::kPhone) mapper.maps_phone_ = true;
    if (entry.target.kind == TargetKind::kField) {
      const auto field = std::find_if(
          mapper.fields_.begin(), mapper.fields_.end(),
          [&](const model::FieldDefinition& f) { return f.key == entry.target.field_key; });
      if (field == mapper.fields_.end()) {
        return base::InvalidArgument(
            fmt::format("mapping: custom field %{}% does not exist", entry.target.field_key));
      }
      slot.definition = static_cast<size_t>(field - mapper.fields_.begin());
      slot.field_index = field_count++;
    }
    mapper.slots_.push_back(std::move(slot));
  }
  if (!email) return base::InvalidArgument("mapping: no column is mapped onto email");
  mapper.field_count_ = field_count;
  return mapper;
}

RowMapper::Outcome RowMapper::Map(const source::Row& row, MappedContact& out,
                                  RowFailure& failure) const {
  const source::Value& email_cell = row[email_column_];
  if (email_cell.is_null() ||
      (email_cell.is_text() && base::TrimAscii(email_cell.bytes()).empty())) {
    failure.reason = Reason::kEmailMissing;
    failure.message = "the email is blank";
    return Outcome::kFailedNoEmail;
  }
  if (const std::string_view why = UnusableCell(email_cell); !why.empty()) {
    failure.reason = Reason::kEmailInvalid;
    failure.message = fmt::format("the email {}", why);
    return Outcome::kFailedNoEmail;
  }
  base::Result<std::string_view> email = model::ValidateEmailView(email_cell.bytes());
  if (!email.ok()) {
    failure.reason = Reason::kEmailInvalid;
    failure.message = email.status().message();
    return Outcome::kFailedNoEmail;
  }
  // assign() and the optionals kept engaged reuse the buffers of earlier rows.
  out.email.assign(*email);
  model::AssignEmailKey(out.email, out.email_key);
  if (!maps_first_name_) out.first_name.reset();
  if (!maps_last_name_) out.last_name.reset();
  if (!maps_phone_) out.phone.reset();
  // resize keeps the strings' buffers of earlier rows.
  out.fields.resize(field_count_);

  for (const Slot& slot : slots_) {
    const source::Value& cell = row[slot.column];
    const std::string& name = slot.name;
    if (const std::string_view why = UnusableCell(cell); !why.empty()) {
      failure.reason = Reason::kFieldInvalid;
      failure.message = fmt::format("{}: the value {}", name, why);
      return Outcome::kFailedWithKey;
    }
    const std::string& text = cell.bytes();  // "" for NULL
    if (slot.target.kind != TargetKind::kField) {
      // NUL bytes are legal in SQL text but not in a contact's fields.
      base::Status valid = base::CheckText(name, text, std::numeric_limits<size_t>::max());
      if (!valid.ok()) {
        failure.reason = Reason::kFieldInvalid;
        failure.message = valid.message();
        return Outcome::kFailedWithKey;
      }
      std::optional<std::string>& target =
          slot.target.kind == TargetKind::kFirstName  ? out.first_name
          : slot.target.kind == TargetKind::kLastName ? out.last_name
                                                      : out.phone;
      if (target) {
        target->assign(text);
      } else {
        target.emplace(text);
      }
      continue;
    }
    const model::FieldDefinition& field = fields_[slot.definition];
    std::string midnight;
    base::Result<std::string> value = model::NormalizeFieldValue(
        field, AdaptTypedTemporal(field.type, slot.column_kind, text, midnight));
    if (!value.ok()) {
      failure.reason = Reason::kFieldInvalid;
      failure.message = value.status().message();
      return Outcome::kFailedWithKey;
    }
    if (field.required && value->empty()) {
      failure.reason = Reason::kRequiredFieldMissing;
      failure.message = fmt::format("field {} is required but blank", field.key);
      return Outcome::kFailedWithKey;
    }
    auto& [key, stored] = out.fields[slot.field_index];
    key.assign(field.key);
    stored = std::move(value).value();
  }
  return Outcome::kOk;
}

std::string RowMapper::EmailAsRead(const source::Row& row) const {
  const source::Value& cell = row[email_column_];
  if (cell.is_null()) return "";
  if (cell.is_text() && cell.bytes().find('\0') == std::string::npos) return cell.bytes();
  return base::Printable(cell.bytes(), 254);
}

}  // namespace contactsync::mapping
