#pragma once

// Queueing the mail that a subscription change causes (mail_store.h), inside
// the caller's write transaction, so that the change and its messages commit
// or roll back together. Called by SaveContact, the sync batch writer and the
// confirmation link, right after ChangeSubscription. What is queued is
// decided by store/mail_rules.h; this writes it.

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_queries.h"
#include "store/store.h"

namespace contactsync::store::sqlite {

// `from` -> `to` on `list` for `contact_id`, as DecideMailForChange says:
// a confirmation (remembering `autoresponders` for when it is confirmed) or
// the list's autoresponders, each due AutoresponderDueTime(`now_ms`, delay),
// or nothing. `now_ms`: milliseconds since the Unix epoch, UTC.
base::Status QueueMailForChange(Database& db, int64_t contact_id, const ListRef& list,
                                std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                bool autoresponders, int64_t now_ms);

}  // namespace contactsync::store::sqlite
