#pragma once

// Cells, rows and column descriptions as every source driver hands them to the rest of
// contactsync (docs/spec.md §2: "values reach the sync as text with NULL kept distinct from
// empty").
//
// A Value is deliberately not a typed variant: the sync maps everything onto text fields, so a
// driver renders each cell once, in one place, as exact text (integers as digits, decimals as
// the database prints them, dates and times in ISO 8601). What the text cannot carry is kept as
// a state: NULL, binary bytes, or text that was not valid UTF-8. Those two last states are
// field errors for the sync (model rules), never a crash.
//
// Thread safety: plain values; distinct objects may be used from distinct threads.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace contactsync::source {

// The normalised type of a column, from the database's declared type. It tells the mapping
// step what the text of a cell will look like; it never changes the text itself.
enum class ValueKind {
  kUnknown,   // no declared type (SQLite expressions, untyped columns): any of the below
  kText,      // character data
  kInteger,   // whole numbers, rendered as decimal digits with an optional '-'
  kDecimal,   // exact numbers, rendered as the database prints them ("12.50")
  kReal,      // floating point, rendered as the shortest text that reads back the same value
  kBoolean,   // rendered as the database stores it ("0"/"1", "t"/"f")
  kDate,      // "YYYY-MM-DD"
  kTime,      // "HH:MM:SS[.fff]"
  kDateTime,  // "YYYY-MM-DD HH:MM:SS[.fff]" or with 'T' and a zone; ISO 8601
  kBinary,    // bytes; a binary cell is a field error when mapped onto a contact field
};

// Stable lower_snake name ("date_time") for JSON output and messages.
std::string_view ValueKindName(ValueKind kind);

// One cell.
class Value {
 public:
  enum class State {
    kNull,     // SQL NULL; distinct from the empty text
    kText,     // valid UTF-8 text (may be empty)
    kBinary,   // bytes from a binary column or a BLOB cell
    kBadText,  // a character cell whose bytes are not valid UTF-8; bytes kept for the message
  };

  // NULL.
  Value() = default;

  static Value Null() { return Value(); }
  // Precondition: `text` is valid UTF-8 (drivers check; use FromText when unsure).
  static Value Text(std::string text) { return Value(State::kText, std::move(text)); }
  static Value Binary(std::string bytes) { return Value(State::kBinary, std::move(bytes)); }
  // kText when `bytes` is valid UTF-8, otherwise kBadText.
  static Value FromText(std::string bytes);

  // The same in place, reusing this value's buffer (a driver filling a
  // recycled row allocates nothing for cells that fit the old ones).
  void AssignFromText(std::string_view bytes);

  State state() const { return state_; }
  bool is_null() const { return state_ == State::kNull; }
  bool is_text() const { return state_ == State::kText; }

  // The text (kText) or the raw bytes (kBinary, kBadText); empty for NULL.
  const std::string& bytes() const { return bytes_; }

  // What this cell costs in a Batch, for the byte bound of ReadOptions: its bytes plus a fixed
  // overhead, so that rows of many NULLs are bounded too.
  size_t ByteCost() const { return bytes_.size() + kCellOverhead; }

  // For tests and logs: "NULL", the text, or "<binary 3 bytes>" / "<invalid UTF-8 ...>".
  std::string DebugString() const;

  friend bool operator==(const Value&, const Value&) = default;

  static constexpr size_t kCellOverhead = 16;

 private:
  Value(State state, std::string bytes) : state_(state), bytes_(std::move(bytes)) {}

  State state_ = State::kNull;
  std::string bytes_;
};

using Row = std::vector<Value>;

// A result column as described by the database, before or after running a query.
struct ColumnInfo {
  std::string name;           // as the database reports it; may contain any character
  std::string declared_type;  // the database's own spelling ("VARCHAR(255)"); may be empty
  ValueKind kind = ValueKind::kUnknown;
  bool nullable = true;  // false only when the database says NOT NULL

  friend bool operator==(const ColumnInfo&, const ColumnInfo&) = default;
};

// A slice of a result, filled by RowReader::ReadBatch. Reused across calls so that streaming a
// table costs the memory of one batch, whatever the table size.
struct Batch {
  std::vector<Row> rows;
  size_t bytes = 0;  // sum of Value::ByteCost() over all cells in `rows`

  // Empties the batch but keeps its allocations: the rows move to a spare
  // list that TakeRow hands back to the driver filling the next batch.
  // At most as many spare rows as the batch held: a driver that does not
  // take them does not make the list grow.
  void Clear() {
    const size_t keep = rows.size();
    for (Row& row : rows) {
      if (spare_.size() >= keep) break;
      spare_.push_back(std::move(row));
    }
    rows.clear();
    bytes = 0;
  }

  // A row to fill and push onto `rows`: a spare one (its cells' buffers
  // kept) or a new one.
  Row TakeRow() {
    if (spare_.empty()) return Row();
    Row row = std::move(spare_.back());
    spare_.pop_back();
    return row;
  }

 private:
  std::vector<Row> spare_;
};

}  // namespace contactsync::source
