#pragma once

// The reason codes of a sync row that failed (docs/sync.md): part of the
// product's contract (reports, CSV, API), so their spelling lives once, here,
// where both the mapping (which decides the first four) and the store's sync
// batch rules (store/sync_batch_rules.h, the rest) can see it.

#include <string_view>

namespace contactsync::model {

inline constexpr std::string_view kReasonEmailMissing = "email_missing";
inline constexpr std::string_view kReasonEmailInvalid = "email_invalid";
inline constexpr std::string_view kReasonRequiredFieldMissing = "required_field_missing";
inline constexpr std::string_view kReasonFieldInvalid = "field_invalid";
inline constexpr std::string_view kReasonExcluded = "excluded";
inline constexpr std::string_view kReasonPreviouslyUnsubscribed = "previously_unsubscribed";
inline constexpr std::string_view kReasonBounced = "bounced";
inline constexpr std::string_view kReasonDuplicateInSource = "duplicate_in_source";

}  // namespace contactsync::model
