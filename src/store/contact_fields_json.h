#pragma once

// contacts.fields, the custom values of a contact in one JSON object (the
// store format of schema 8, docs/architecture.md): field id as decimal text
// -> canonical value, only non-empty values, ascending id. One encoder and
// one decoder for every writer and backend, so that the format is written
// once.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace contactsync::store {

// (field id, value) pairs to encode; the values must outlive the call.
using FieldValueRefs = std::vector<std::pair<int64_t, std::string_view>>;
// Decoded (field id, value) pairs, ascending id.
using FieldValues = std::vector<std::pair<int64_t, std::string>>;

// `out` := the object of `entries`: empty values left out, a field given
// twice keeps its last value, ascending id; "" when no value remains (the
// store keeps NULL then). Sorts `entries` (stable); reuses `out`'s buffer, so
// a writer that keeps both allocates nothing per contact in the steady state.
void EncodeContactFields(FieldValueRefs& entries, std::string& out);

// `json` (contacts.fields; "" for NULL) into `out`, ascending id. kInternal
// when it is not such an object (the store wrote it, so that is a bug or a
// damaged file).
base::Status DecodeContactFields(std::string_view json, FieldValues& out);

// `out` := the object of `stored_json` (contacts.fields; "" for NULL) with `changes` over it:
// a change's value replaces the stored one, "" removes it. How every backend writes a
// contact's changed values (read, change, write back through the one encoder).
base::Status MergeContactFields(std::string_view stored_json, const FieldValueRefs& changes,
                                std::string& out);

// Appends `text` as a JSON string: '"' and '\' escaped, control characters
// as \u00XX, everything else (UTF-8 included) as it is.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace contactsync::store
