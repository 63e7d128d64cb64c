#pragma once

// Subscription statuses and the causes of their changes.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "base/status.h"

namespace contactsync::model {

enum class SubscriptionStatus {
  kActive,        // receives campaigns and autoresponders
  kUnconfirmed,   // waits for the contact to click the confirmation link
  kUnsubscribed,  // left the list; never re-subscribed without their consent
  kBounced,       // the address hard-bounced
};

// "active", "unconfirmed", "unsubscribed", "bounced".
std::string_view SubscriptionStatusName(SubscriptionStatus status);
base::Result<SubscriptionStatus> ParseSubscriptionStatus(std::string_view name);

// What made a change: recorded with every subscription change and contact
// write so that the history can say why a contact is where it is.
enum class CauseKind {
  kCli,               // a command typed by an operator
  kApi,               // a REST API call
  kUi,                // the web UI
  kImport,            // a file import
  kSyncRun,           // a Database Sync run (detail: the run id)
  kConfirmationLink,  // the contact clicked a confirmation link
  kUnsubscribeLink,   // the contact clicked an unsubscribe link
  kBounce,            // a bounce report
};

// "cli", "api", "ui", "import", "sync_run", "confirmation_link",
// "unsubscribe_link", "bounce".
std::string_view CauseKindName(CauseKind kind);
base::Result<CauseKind> ParseCauseKind(std::string_view name);

struct Cause {
  CauseKind kind = CauseKind::kCli;
  std::string detail;  // free text: a run id, a user name, a note; may be empty
};

}  // namespace contactsync::model
