// Names of the mail outbox's stored enums (mail_store.h).

#include <fmt/format.h>

#include "base/text.h"
#include "store/mail_store.h"

namespace contactsync::store {

std::string_view OutboxKindName(OutboxKind kind) {
  return kind == OutboxKind::kConfirmation ? "confirmation" : "autoresponder";
}

std::string_view OutboxStateName(OutboxState state) {
  switch (state) {
    case OutboxState::kQueued:
      return "queued";
    case OutboxState::kSending:
      return "sending";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kFailed:
      return "failed";
    case OutboxState::kCancelled:
      return "cancelled";
  }
  return "failed";
}

base::Result<OutboxState> ParseOutboxState(std::string_view name) {
  for (OutboxState state : {OutboxState::kQueued, OutboxState::kSending, OutboxState::kSent,
                            OutboxState::kFailed, OutboxState::kCancelled}) {
    if (OutboxStateName(state) == name) return state;
  }
  return base::InvalidArgument(
      fmt::format("unknown outbox state '{}' (queued, sending, sent, failed, cancelled)",
                  base::Printable(name)));
}

}  // namespace contactsync::store
