#include "source/value.h"

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::source {

std::string_view ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kUnknown:
      return "unknown";
    case ValueKind::kText:
      return "text";
    case ValueKind::kInteger:
      return "integer";
    case ValueKind::kDecimal:
      return "decimal";
    case ValueKind::kReal:
      return "real";
    case ValueKind::kBoolean:
      return "boolean";
    case ValueKind::kDate:
      return "date";
    case ValueKind::kTime:
      return "time";
    case ValueKind::kDateTime:
      return "date_time";
    case ValueKind::kBinary:
      return "binary";
  }
  return "unknown";
}

Value Value::FromText(std::string bytes) {
  const State state = base::IsValidUtf8(bytes) ? State::kText : State::kBadText;
  return Value(state, std::move(bytes));
}

std::string Value::DebugString() const {
  switch (state_) {
    case State::kNull:
      return "NULL";
    case State::kText:
      return bytes_;
    case State::kBinary:
      return fmt::format("<binary {} bytes>", bytes_.size());
    case State::kBadText:
      return fmt::format("<invalid UTF-8 {}>", base::Printable(bytes_));
  }
  return "?";
}

}  // namespace contactsync::source
