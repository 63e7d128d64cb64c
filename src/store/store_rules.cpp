#include "store/store_rules.h"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/text.h"
#include "model/email.h"

namespace contactsync::store {
namespace {

// C0 controls, DEL and the C1 controls (U+0080..U+009F, encoded C2 80..C2 9F):
// they would break mail headers and make names that look alike differ.
// Precondition: `text` is valid UTF-8.
bool HasControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return true;
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return true;
    }
  }
  return false;
}

base::Status CheckLabel(std::string_view what, std::string_view text, bool allow_empty) {
  if (text.empty() && !allow_empty) return base::InvalidArgument(fmt::format("{} is blank", what));
  CS_RETURN_IF_ERROR(base::CheckText(what, text, kMaxNameBytes));
  if (HasControlCharacter(text)) {
    return base::InvalidArgument(
        fmt::format("{} '{}' contains a control character", what, base::Printable(text)));
  }
  return base::Status::Ok();
}

bool IsMailable(SubscriptionStatus status) {
  return status == SubscriptionStatus::kActive || status == SubscriptionStatus::kUnconfirmed;
}

}  // namespace

base::Result<ConnectionRecord> ValidateConnectionRecord(const ConnectionRecord& record) {
  constexpr size_t kMaxSettingBytes = 4096;
  ConnectionRecord out = record;
  out.name = std::string(base::TrimAscii(record.name));
  CS_RETURN_IF_ERROR(CheckLabel("connection name", out.name, /*allow_empty=*/false));
  CS_RETURN_IF_ERROR(base::CheckText("host", out.host, kMaxSettingBytes));
  CS_RETURN_IF_ERROR(base::CheckText("user", out.user, kMaxSettingBytes));
  CS_RETURN_IF_ERROR(base::CheckText("database", out.database, kMaxSettingBytes));
  CS_RETURN_IF_ERROR(base::CheckText("CA file", out.tls_ca_file, kMaxSettingBytes));
  for (const std::string& function : out.allowed_functions) {
    if (function.empty()) return base::InvalidArgument("an allowed function name is empty");
    CS_RETURN_IF_ERROR(base::CheckText("allowed function", function, kMaxSettingBytes));
  }
  return out;
}

base::Status ConnectionNotFound(std::string_view name) {
  return base::NotFound(fmt::format("connection '{}' does not exist", base::Printable(name)));
}

base::Result<NewList> ValidateNewList(const NewList& list) {
  NewList out;
  out.name = std::string(base::TrimAscii(list.name));
  CS_RETURN_IF_ERROR(CheckLabel("list name", out.name, /*allow_empty=*/false));
  out.sender_name = std::string(base::TrimAscii(list.sender_name));
  CS_RETURN_IF_ERROR(CheckLabel("sender name", out.sender_name, /*allow_empty=*/true));
  if (!base::TrimAscii(list.sender_email).empty()) {
    CS_ASSIGN_OR_RETURN(out.sender_email, model::ValidateEmail(list.sender_email));
  }
  CS_RETURN_IF_ERROR(base::CheckText("list description", list.description, kMaxDescriptionBytes));
  out.description = list.description;
  return out;
}

base::Result<int64_t> StoredTime(std::string_view iso) {
  base::Result<int64_t> unix_ms = base::ParseIso8601Utc(iso);
  if (!unix_ms.ok()) return unix_ms.status().WithContext("time: ");
  return unix_ms;
}

base::Result<SubscriptionStatus> StoredStatus(std::string_view name) {
  auto status = model::ParseSubscriptionStatus(name);
  if (!status.ok())
    return base::Internal("stored subscription status: " + status.status().message());
  return *status;
}

base::Result<model::CauseKind> StoredCauseKind(std::string_view name) {
  auto kind = model::ParseCauseKind(name);
  if (!kind.ok()) return base::Internal("stored cause: " + kind.status().message());
  return *kind;
}

base::Status CheckHolderLease(std::string_view holder, std::chrono::milliseconds lease) {
  if (holder.empty()) return base::InvalidArgument("the run holder is empty");
  CS_RETURN_IF_ERROR(base::CheckText("run holder", holder, kMaxNameBytes));
  if (lease < std::chrono::milliseconds(1) || lease > std::chrono::hours(24)) {
    return base::InvalidArgument(
        fmt::format("a holder lease lasts 1 ms to 1 day, not {} ms", lease.count()));
  }
  return base::Status::Ok();
}

bool HolderLeaseExpired(int64_t ends_at_ms, int64_t now_ms) { return ends_at_ms <= now_ms; }

std::string ListNameForLookup(std::string_view name) { return std::string(base::TrimAscii(name)); }

base::Status ListNotFound(std::string_view name) {
  return base::NotFound(fmt::format("list '{}' does not exist", base::Printable(name)));
}

std::string CanonicalFieldKey(std::string_view key) {
  std::string_view trimmed = base::TrimAscii(key);
  if (trimmed.size() >= 2 && trimmed.front() == '%' && trimmed.back() == '%') {
    trimmed = trimmed.substr(1, trimmed.size() - 2);
  }
  std::string out(trimmed);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

base::Status FieldNotFound(std::string_view key) {
  return base::NotFound(fmt::format("custom field '{}' does not exist", base::Printable(key)));
}

std::string LookupEmailKey(std::string_view email) {
  return base::AsciiLower(base::TrimAscii(email));
}

base::Status ContactNotFound(std::string_view email) {
  return base::NotFound(
      fmt::format("contact {} does not exist", base::Printable(base::TrimAscii(email))));
}

base::Status ContactIdNotFound(int64_t id) {
  return base::NotFound(fmt::format("contact {} does not exist", id));
}

base::Status ContactNotOnList(std::string_view email, std::string_view list_name) {
  return base::NotFound(
      fmt::format("contact {} is not on list '{}'", email, base::Printable(list_name)));
}

base::Status CheckContactText(const ContactInput& input) {
  return CheckContactText(input.first_name, input.last_name, input.phone);
}

base::Status CheckContactText(const std::optional<std::string>& first_name,
                              const std::optional<std::string>& last_name,
                              const std::optional<std::string>& phone) {
  if (first_name) CS_RETURN_IF_ERROR(base::CheckText("first name", *first_name, kMaxNameBytes));
  if (last_name) CS_RETURN_IF_ERROR(base::CheckText("last name", *last_name, kMaxNameBytes));
  if (phone) CS_RETURN_IF_ERROR(base::CheckText("phone", *phone, kMaxPhoneBytes));
  return base::Status::Ok();
}

base::Status CheckCause(const Cause& cause) {
  return base::CheckText("cause detail", cause.detail, kMaxCauseDetailBytes);
}

std::string LikeSubstringPattern(std::string_view text) {
  std::string out = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

base::Result<std::vector<std::string>> SearchWords(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";  // as base::TrimAscii
  std::vector<std::string> words;
  size_t start = text.find_first_not_of(kSpace);
  while (start != std::string_view::npos) {
    const size_t end = text.find_first_of(kSpace, start);
    words.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    start = end == std::string_view::npos ? end : text.find_first_not_of(kSpace, end);
  }
  if (words.size() > kMaxSearchWords) {
    return base::InvalidArgument(
        fmt::format("search text has {} words; use at most {}", words.size(), kMaxSearchWords));
  }
  return words;
}

base::Result<std::vector<std::string>> CheckContactFilter(const ContactFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) {
    return base::InvalidArgument(
        fmt::format("limit must be between 1 and 1000, not {}", filter.limit));
  }
  if (filter.offset < 0) {
    return base::InvalidArgument(fmt::format("offset must not be negative, not {}", filter.offset));
  }
  CS_RETURN_IF_ERROR(base::CheckText("search text", filter.search, kMaxNameBytes));
  return SearchWords(filter.search);
}

base::Result<SubscriptionDecision> DecideSubscription(const SubscriptionRequest& request) {
  SubscriptionDecision decision;
  switch (request.requested) {
    case SubscriptionStatus::kBounced:
      return base::InvalidArgument(
          "a subscription cannot be set to bounced when saving a contact; bounces are recorded "
          "from bounce reports (MarkBounced)");
    case SubscriptionStatus::kUnsubscribed:
      decision.status = SubscriptionStatus::kUnsubscribed;
      decision.set_ever_unsubscribed = true;
      break;
    case SubscriptionStatus::kActive:
    case SubscriptionStatus::kUnconfirmed:
      if (request.mode == SubscribeMode::kNormal) {
        if (request.contact_bounced) {
          return base::FailedPrecondition(fmt::format(
              "{} bounced; it can only be re-subscribed at the contact's request (resubscribe)",
              request.email));
        }
        if (request.current == SubscriptionStatus::kUnsubscribed) {
          return base::FailedPrecondition(
              fmt::format("{} unsubscribed from list '{}'; it can only be re-subscribed at the "
                          "contact's request (resubscribe)",
                          request.email, request.list_name));
        }
        if (request.current == SubscriptionStatus::kBounced) {
          return base::FailedPrecondition(
              fmt::format("{} bounced on list '{}'; it can only be re-subscribed at the "
                          "contact's request (resubscribe)",
                          request.email, request.list_name));
        }
      } else {
        decision.clear_bounced = request.contact_bounced;
      }
      // Confirmation is never taken back: active stays active.
      decision.status = request.current == SubscriptionStatus::kActive ? SubscriptionStatus::kActive
                                                                       : request.requested;
      break;
  }
  decision.changed = request.current != decision.status;
  decision.check_exclusions = decision.changed && IsMailable(decision.status);
  return decision;
}

base::Status Excluded(std::string_view email, std::string_view list_name,
                      std::string_view pattern) {
  return base::FailedPrecondition(
      fmt::format("{} is excluded from list '{}' by pattern '{}'", email, list_name, pattern));
}

base::Status ConnectionNameTaken(std::string_view name) {
  return base::AlreadyExists(
      fmt::format("a connection named '{}' already exists", base::Printable(name)));
}

base::Result<ConnectionRecord> ValidateNewConnectionRecord(const ConnectionRecord& input) {
  CS_ASSIGN_OR_RETURN(ConnectionRecord record, ValidateConnectionRecord(input));
  if (record.owner_id.empty()) return base::InvalidArgument("connection owner id is missing");
  return record;
}

std::string AllowedFunctionsToJson(const std::vector<std::string>& names) {
  return nlohmann::json(names).dump();
}

std::vector<std::string> AllowedFunctionsFromJson(std::string_view text) {
  std::vector<std::string> names;
  const nlohmann::json array = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!array.is_array()) return names;
  for (const nlohmann::json& name : array) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return names;
}

// ---- Syncs ----

base::Result<std::string> CheckSyncName(std::string_view raw) {
  std::string name(base::TrimAscii(raw));
  if (name.empty()) return base::InvalidArgument("sync name is blank");
  CS_RETURN_IF_ERROR(base::CheckText("sync name", name, kMaxNameBytes));
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return base::InvalidArgument(
          fmt::format("sync name '{}' contains a control character", base::Printable(name)));
    }
  }
  return name;
}

base::Status CheckSyncDefinition(std::string_view definition_json) {
  return base::CheckText("sync definition", definition_json, kMaxSyncDefinitionBytes);
}

base::Status CheckRunStart(std::string_view started_by, std::string_view holder) {
  CS_RETURN_IF_ERROR(base::CheckText("started by", started_by, kMaxNameBytes));
  return base::CheckText("run holder", holder, kMaxNameBytes);
}

base::Status CheckRunFinish(const RunRecord& run) {
  if (run.state == RunState::kRunning) {
    return base::InvalidArgument("a run cannot finish in state running");
  }
  return base::Status::Ok();
}

base::Status SyncNotFound(std::string_view name) {
  return base::NotFound(fmt::format("sync '{}' does not exist", base::Printable(name)));
}

base::Status SyncNameTaken(std::string_view name) {
  return base::AlreadyExists(
      fmt::format("a sync named '{}' already exists", base::Printable(name)));
}

base::Status RunNotFound(int64_t id) {
  return base::NotFound(fmt::format("run {} does not exist", id));
}

base::Status AlreadyRunning(const RunRecord& run) {
  return base::FailedPrecondition(fmt::format(
      "sync '{}' is already running (run {}, started {} by {}); wait for it to "
      "finish or cancel it",
      base::Printable(run.sync_name), run.id, run.started_at, base::Printable(run.started_by)));
}

base::Status RunNotRunning(int64_t id) {
  return base::FailedPrecondition(
      fmt::format("run {} is not running (it finished or was abandoned)", id));
}

// ---- Accounts ----

base::Status CheckNewUser(std::string_view username, std::string_view password_hash) {
  CS_RETURN_IF_ERROR(base::CheckText("user name", username, kMaxUsernameBytes));
  if (username.empty()) return base::InvalidArgument("user name is empty");
  if (base::TrimAscii(username) != username) {
    return base::InvalidArgument("user name must not start or end with white space");
  }
  for (const char c : username) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return base::InvalidArgument("user name must not contain control characters");
    }
  }
  if (password_hash.empty()) return base::InvalidArgument("password hash is empty");
  return base::Status::Ok();
}

base::Status UserNotFound(std::string_view username) {
  return base::NotFound(fmt::format("user '{}' does not exist", base::Printable(username)));
}

base::Status UserIdNotFound(int64_t id) {
  return base::NotFound(fmt::format("user {} does not exist", id));
}

base::Status UserNameTaken(std::string_view username) {
  return base::AlreadyExists(
      fmt::format("a user named '{}' already exists", base::Printable(username)));
}

base::Status SessionNotFound() { return base::NotFound("no such session"); }

base::Status ApiTokenNotFound() { return base::NotFound("no such API token"); }

base::Status ApiTokenIdNotFound(int64_t id) {
  return base::NotFound(fmt::format("API token {} does not exist", id));
}

base::Status FirstUserAlreadyMade() {
  return base::FailedPrecondition("setup is done: a user exists already; log in instead");
}

base::Result<std::string> CheckTokenName(std::string_view name) {
  CS_RETURN_IF_ERROR(base::CheckText("token name", name, kMaxNameBytes));
  const std::string_view trimmed = base::TrimAscii(name);
  if (trimmed.empty()) return base::InvalidArgument("token name is empty");
  return std::string(trimmed);
}

LoginAttemptDecision DecideLoginAttempt(const std::optional<LoginCounter>& stored, int64_t limit,
                                        int64_t now_ms, int64_t window_ms) {
  LoginCounter counter{now_ms, 0};
  if (stored && stored->count > 0 && now_ms < stored->window_start_ms + window_ms) {
    counter = *stored;
  }
  if (counter.count >= limit) {
    const int64_t left_ms = counter.window_start_ms + window_ms - now_ms;
    return LoginAttemptDecision{std::max<int64_t>(1, (left_ms + 999) / 1000), counter};
  }
  ++counter.count;
  return LoginAttemptDecision{0, counter};
}

}  // namespace contactsync::store
