#include "model/subscription.h"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace contactsync::model {
namespace {

constexpr std::array<std::pair<SubscriptionStatus, std::string_view>, 4> kStatusNames{{
    {SubscriptionStatus::kActive, "active"},
    {SubscriptionStatus::kUnconfirmed, "unconfirmed"},
    {SubscriptionStatus::kUnsubscribed, "unsubscribed"},
    {SubscriptionStatus::kBounced, "bounced"},
}};

constexpr std::array<std::pair<CauseKind, std::string_view>, 8> kCauseNames{{
    {CauseKind::kCli, "cli"},
    {CauseKind::kApi, "api"},
    {CauseKind::kUi, "ui"},
    {CauseKind::kImport, "import"},
    {CauseKind::kSyncRun, "sync_run"},
    {CauseKind::kConfirmationLink, "confirmation_link"},
    {CauseKind::kUnsubscribeLink, "unsubscribe_link"},
    {CauseKind::kBounce, "bounce"},
}};

template <typename Enum, size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum e) {
  for (const auto& [value, name] : names) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename Enum, size_t N>
base::Result<Enum> Parse(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         std::string_view what, std::string_view text) {
  std::string valid;
  for (const auto& [value, name] : names) {
    if (name == text) return value;
    valid += valid.empty() ? "" : ", ";
    valid += name;
  }
  return base::InvalidArgument(
      fmt::format("unknown {} '{}' (expected one of: {})", what, text, valid));
}

}  // namespace

std::string_view SubscriptionStatusName(SubscriptionStatus status) {
  return NameOf(kStatusNames, status);
}

base::Result<SubscriptionStatus> ParseSubscriptionStatus(std::string_view name) {
  return Parse(kStatusNames, "status", name);
}

std::string_view CauseKindName(CauseKind kind) { return NameOf(kCauseNames, kind); }

base::Result<CauseKind> ParseCauseKind(std::string_view name) {
  return Parse(kCauseNames, "cause", name);
}

}  // namespace contactsync::model
