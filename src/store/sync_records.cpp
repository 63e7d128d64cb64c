// Names of the sync engine's stored enums (sync_store.h).

#include <fmt/format.h>

#include "base/text.h"
#include "store/sync_store.h"

namespace contactsync::store {

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "cancelled";
  }
  return "failed";
}

base::Result<RunState> ParseRunState(std::string_view name) {
  for (RunState state :
       {RunState::kRunning, RunState::kSucceeded, RunState::kFailed, RunState::kCancelled}) {
    if (RunStateName(state) == name) return state;
  }
  return base::InvalidArgument(fmt::format("unknown run state '{}'", base::Printable(name)));
}

}  // namespace contactsync::store
