#pragma once

// Field mapping (docs/spec.md §3 "mapping") and row validation (docs/spec.md §4 "rules that
// every run applies").
//
// A Mapping says which source column feeds which contact field: `email`
// (required), `first_name`, `last_name`, `phone`, or a custom field `%KEY%`.
// CheckMapping validates a mapping against the live columns and the store's
// custom fields when a sync is saved; RowMapper turns one source row into a
// MappedContact, or into a RowFailure with a stable reason code.
//
// Reason codes are part of the product's contract (reports, CSV, API): their
// names never change. Four come from here (email_missing, email_invalid,
// required_field_missing, field_invalid); the other four are decided later in
// the pipeline, by the store (excluded, previously_unsubscribed, bounced,
// duplicate_in_source), and are listed here so that one enum names them all.
// Their spelling lives once, in model/sync_reasons.h.
//
// Thread safety: pure functions; a RowMapper is immutable after Create and
// may be used from any thread (Map writes only to its arguments).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/custom_field.h"
#include "source/value.h"

namespace contactsync::mapping {

enum class TargetKind { kEmail, kFirstName, kLastName, kPhone, kField };

struct Target {
  TargetKind kind = TargetKind::kEmail;
  std::string field_key;  // kField only: canonical key (upper case, no '%')

  bool operator==(const Target&) const = default;
};

// "email", "first_name", "last_name", "phone" or "%KEY%" (key matched as
// model canonicalises it: "%city%" is %CITY%). InvalidArgument naming the
// text and listing the valid targets otherwise.
base::Result<Target> ParseTarget(std::string_view text);

// The JSON spelling of `target`: "email" ... or "%CITY%".
std::string TargetName(const Target& target);

struct ColumnMapping {
  std::string column;  // exactly as the source names it
  Target target;

  bool operator==(const ColumnMapping&) const = default;
};

// In the order the user wrote it (the order of the SELECT's columns).
using Mapping = std::vector<ColumnMapping>;

// OK when: some column maps onto email; no two columns map onto one target;
// every column is one of `columns` (compared exactly); every %KEY% is one of
// `fields`; every required field of `fields` is mapped. Otherwise
// InvalidArgument naming the first problem, e.g. "mapping: column 'town' does
// not exist; known columns: id, email". A column may appear once only.
base::Status CheckMapping(const Mapping& mapping, const std::vector<std::string>& columns,
                          const std::vector<model::FieldDefinition>& fields);

enum class Reason {
  kEmailMissing,            // the email cell is NULL or blank
  kEmailInvalid,            // not a valid address (also binary or non-UTF-8 bytes)
  kRequiredFieldMissing,    // a required custom field is NULL or blank
  kFieldInvalid,            // a value does not fit its field (type, size, binary, non-UTF-8)
  kExcluded,                // the address is on the list's (or the global) exclusion list
  kPreviouslyUnsubscribed,  // the contact unsubscribed from the list before
  kBounced,                 // the contact bounced
  kDuplicateInSource,       // the same address appeared earlier in this run
};

// "email_missing", "email_invalid", "required_field_missing", "field_invalid",
// "excluded", "previously_unsubscribed", "bounced", "duplicate_in_source".
std::string_view ReasonName(Reason reason);
base::Result<Reason> ParseReason(std::string_view name);

// A row that passed mapping. Buffers are reused across Map calls.
struct MappedContact {
  std::string email;                      // validated, trimmed, as given
  std::string email_key;                  // model::EmailKey(email)
  std::optional<std::string> first_name;  // present when mapped ("" for NULL)
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  // (canonical key, canonical value) per mapped custom field, in mapping
  // order; "" means no value (clears).
  std::vector<std::pair<std::string, std::string>> fields;
};

struct RowFailure {
  Reason reason = Reason::kFieldInvalid;
  std::string message;  // one line, values shown with base::Printable
};

class RowMapper {
 public:
  // Resolves `mapping` against the columns of a result (by exact name) and
  // the store's fields. InvalidArgument when a mapped column is not in
  // `result_columns` or a %KEY% is not in `fields` (CheckMapping first gives
  // the nicer message).
  static base::Result<RowMapper> Create(const Mapping& mapping,
                                        const std::vector<source::ColumnInfo>& result_columns,
                                        const std::vector<model::FieldDefinition>& fields);

  enum class Outcome {
    kOk,             // `out` holds the contact
    kFailedWithKey,  // failed, but the email was valid: `out.email`/`email_key` are set
    kFailedNoEmail,  // failed on the email itself
  };

  // Maps one row (precondition: it has as many cells as the result has
  // columns). On failure fills `failure`.
  Outcome Map(const source::Row& row, MappedContact& out, RowFailure& failure) const;

  // The email cell as read, for reports: its text, "" for NULL, escaped
  // bytes for binary or invalid text, and for text holding a NUL byte (which
  // no report reader expects, and the PostgreSQL store cannot keep).
  std::string EmailAsRead(const source::Row& row) const;

 private:
  struct Slot {
    size_t column = 0;
    Target target;
    std::string name;        // TargetName(target), computed once
    size_t definition = 0;   // kField: index into fields_
    size_t field_index = 0;  // kField: index into MappedContact::fields
    // The column's type as the driver reports it: a typed date or date-time adapts to a
    // date or datetime field (AdaptTypedTemporal), text keeps the strict check.
    source::ValueKind column_kind = source::ValueKind::kUnknown;
  };
  std::vector<Slot> slots_;
  size_t email_column_ = 0;
  size_t field_count_ = 0;
  // Which built-in fields the mapping sets (the others stay absent).
  bool maps_first_name_ = false;
  bool maps_last_name_ = false;
  bool maps_phone_ = false;
  std::vector<model::FieldDefinition> fields_;
};

}  // namespace contactsync::mapping
