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

void Value::AssignFromText(std::string_view bytes) {
  // A buffer grown by one large cell is not kept for small ones: recycled
  // rows must not hold a batch's worth of large buffers each.
  constexpr size_t kKeptCapacity = 256;
  if (bytes_.capacity() > kKeptCapacity && bytes.size() <= kKeptCapacity) {
    std::string(bytes).swap(bytes_);
  } else {
    bytes_.assign(bytes);
  }
  state_ = base::IsValidUtf8(bytes_) ? State::kText : State::kBadText;
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
