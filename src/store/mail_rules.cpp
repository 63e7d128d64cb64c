#include "store/mail_rules.h"

#include <fmt/format.h>

#include <mutex>
#include <random>

#include "base/clock.h"
#include "base/text.h"
#include "model/email.h"
#include "store/store_rules.h"

namespace contactsync::store {
namespace {

// The status a message of `kind` is meant for.
SubscriptionStatus StatusFor(OutboxKind kind) {
  return kind == OutboxKind::kConfirmation ? SubscriptionStatus::kUnconfirmed
                                           : SubscriptionStatus::kActive;
}

std::string WrongStatusReason(OutboxKind kind, SubscriptionStatus status) {
  if (kind == OutboxKind::kConfirmation && status == SubscriptionStatus::kActive) {
    return "not sent: the subscription is already active";
  }
  return fmt::format("not sent: the contact is {} on the list",
                     model::SubscriptionStatusName(status));
}

bool IsHttpUrl(std::string_view url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

MailForChange DecideMailForChange(std::optional<SubscriptionStatus> from, SubscriptionStatus to,
                                  bool send_autoresponders) {
  MailForChange mail;
  if (to == SubscriptionStatus::kUnconfirmed && from != SubscriptionStatus::kUnconfirmed) {
    mail.confirmation = true;
    mail.autoresponders_on_confirm = send_autoresponders;
  } else if (to == SubscriptionStatus::kActive && from != SubscriptionStatus::kActive) {
    mail.autoresponders = send_autoresponders;
  }
  return mail;
}

base::Result<int64_t> AutoresponderDueTime(int64_t now_unix_ms, int64_t delay_s) {
  if (delay_s < 0 || delay_s > kMaxDelaySeconds) {
    return base::InvalidArgument(fmt::format("autoresponder delay {} s is out of range", delay_s));
  }
  return now_unix_ms + delay_s * 1000;
}

std::string ShownNextDueTime(int64_t due_unix_ms) {
  const int64_t into_second = ((due_unix_ms % 1000) + 1000) % 1000;
  return base::FormatUnixMillis(into_second == 0 ? due_unix_ms : due_unix_ms + 1000 - into_second);
}

std::string NewIdempotencyKey() {
  // Seeded once from the system's entropy, as SQLite's randomblob() is:
  // the key must be unique, not secret (it is in every Message-ID), and a
  // first sync may queue a million of them.
  static std::mutex mutex;
  static std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  uint64_t high = 0;
  uint64_t low = 0;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    high = generator();
    low = generator();
  }
  return fmt::format("{:016x}{:016x}", high, low);
}

std::optional<std::string> WhyUndeliverable(
    OutboxKind kind, bool contact_bounced, std::optional<SubscriptionStatus> status,
    const std::optional<std::string>& matching_exclusion_pattern) {
  if (contact_bounced) return "not sent: the address bounced";
  if (!status) return "not sent: the contact is no longer on the list";
  if (*status != StatusFor(kind)) return WrongStatusReason(kind, *status);
  if (matching_exclusion_pattern) {
    return fmt::format("not sent: the address is excluded by pattern '{}'",
                       base::Printable(*matching_exclusion_pattern));
  }
  return std::nullopt;
}

base::Result<LinkChange> DecideConfirmByLink(
    const LinkSubject& subject, const std::optional<std::string>& matching_exclusion_pattern,
    std::optional<bool> latest_confirmation_autoresponders) {
  if (!subject.status) return NotOnList(subject.email, subject.list_name);
  LinkChange change;
  if (*subject.status == SubscriptionStatus::kActive) return change;
  if (*subject.status != SubscriptionStatus::kUnconfirmed) {
    return base::FailedPrecondition(fmt::format(
        "{} is {} on the list '{}'; the link cannot confirm it", subject.email,
        model::SubscriptionStatusName(*subject.status), base::Printable(subject.list_name)));
  }
  // The state machine of SaveContact decides the rest (a bounced contact is
  // not brought back by a link).
  const SubscriptionRequest request{.email = subject.email,
                                    .list_name = subject.list_name,
                                    .contact_bounced = subject.contact_bounced,
                                    .current = subject.status,
                                    .requested = SubscriptionStatus::kActive,
                                    .mode = SubscribeMode::kNormal};
  CS_ASSIGN_OR_RETURN(const SubscriptionDecision decision, DecideSubscription(request));
  if (decision.check_exclusions && matching_exclusion_pattern) {
    return Excluded(subject.email, subject.list_name, *matching_exclusion_pattern);
  }
  change.change = true;
  change.to = decision.status;
  change.queue_autoresponders = latest_confirmation_autoresponders.value_or(false);
  return change;
}

base::Result<LinkChange> DecideUnsubscribeByLink(const LinkSubject& subject) {
  if (!subject.status) return NotOnList(subject.email, subject.list_name);
  LinkChange change;
  // Bounced stays bounced: it says more, and it already receives nothing.
  if (*subject.status == SubscriptionStatus::kUnsubscribed ||
      *subject.status == SubscriptionStatus::kBounced) {
    return change;
  }
  change.change = true;
  change.to = SubscriptionStatus::kUnsubscribed;
  change.set_ever_unsubscribed = !subject.ever_unsubscribed;
  return change;
}

base::Status NotOnList(std::string_view email, std::string_view list_name) {
  return base::NotFound(
      fmt::format("{} is not on the list '{}'", email, base::Printable(list_name)));
}

LinkSubject SubjectOf(const LinkTarget& target) {
  return LinkSubject{.email = target.email,
                     .list_name = target.list.name,
                     .contact_bounced = target.bounced,
                     .ever_unsubscribed = target.ever_unsubscribed,
                     .status = target.status};
}

base::Result<OutboxState> StoredOutboxState(std::string_view name) {
  auto state = ParseOutboxState(name);
  if (!state.ok()) return base::Internal("stored outbox state: " + state.status().message());
  return *state;
}

OutboxKind StoredOutboxKind(std::string_view name) {
  return name == "confirmation" ? OutboxKind::kConfirmation : OutboxKind::kAutoresponder;
}

base::Status ClaimedMessagePartVanished(std::string_view part) {
  return base::Internal(fmt::format("claimed message's {} vanished", part));
}

base::Status LinkContactGone() {
  return base::NotFound("this address is no longer in our contacts");
}

base::Status LinkListGone() { return base::NotFound("this list no longer exists"); }

base::Status CheckMailSetting(std::string_view what, std::string_view value) {
  CS_RETURN_IF_ERROR(base::CheckText(what, value, kMaxMailSettingBytes));
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return base::InvalidArgument(fmt::format("{} must not contain control characters", what));
    }
  }
  return base::Status::Ok();
}

base::Result<MailSettingsRecord> ValidateMailSettings(MailSettingsRecord record) {
  record.smtp_host = std::string(base::TrimAscii(record.smtp_host));
  record.base_url = std::string(base::TrimAscii(record.base_url));
  while (!record.base_url.empty() && record.base_url.back() == '/') record.base_url.pop_back();
  CS_RETURN_IF_ERROR(CheckMailSetting("SMTP host", record.smtp_host));
  CS_RETURN_IF_ERROR(CheckMailSetting("SMTP user", record.smtp_user));
  CS_RETURN_IF_ERROR(CheckMailSetting("CA file", record.tls_ca_file));
  CS_RETURN_IF_ERROR(CheckMailSetting("from name", record.from_name));
  CS_RETURN_IF_ERROR(CheckMailSetting("base URL", record.base_url));
  if (record.smtp_port < 0 || record.smtp_port > 65535) {
    return base::InvalidArgument(
        fmt::format("SMTP port must be between 1 and 65535, not {}", record.smtp_port));
  }
  if (record.tls_mode != "none" && record.tls_mode != "starttls" && record.tls_mode != "tls") {
    return base::InvalidArgument(fmt::format("TLS mode must be none, starttls or tls, not '{}'",
                                             base::Printable(record.tls_mode)));
  }
  if (!record.from_email.empty()) {
    CS_ASSIGN_OR_RETURN(record.from_email, model::ValidateEmail(record.from_email));
  }
  if (record.hourly_cap < 0) {
    return base::InvalidArgument(
        fmt::format("the hourly cap must not be negative, not {}", record.hourly_cap));
  }
  if (!record.base_url.empty() && !IsHttpUrl(record.base_url)) {
    return base::InvalidArgument(
        fmt::format("base URL must start with http:// or https://, not '{}'",
                    base::Printable(record.base_url)));
  }
  if (record.owner_id.empty()) return base::InvalidArgument("mail settings owner id is missing");
  return record;
}

base::Status CheckNewAutoresponder(const NewAutoresponder& autoresponder) {
  if (autoresponder.subject.empty()) return base::InvalidArgument("the subject must not be empty");
  if (autoresponder.body.empty()) return base::InvalidArgument("the body must not be empty");
  CS_RETURN_IF_ERROR(CheckMailSetting("subject", autoresponder.subject));
  CS_RETURN_IF_ERROR(base::CheckText("body", autoresponder.body, kMaxBodyBytes));
  if (autoresponder.subject.size() > kMaxSubjectBytes) {
    return base::InvalidArgument(
        fmt::format("the subject is longer than {} bytes", kMaxSubjectBytes));
  }
  if (autoresponder.delay_s < 0 || autoresponder.delay_s > kMaxDelaySeconds) {
    return base::InvalidArgument(fmt::format(
        "the delay must be between 0 seconds and 10 years, not {} s", autoresponder.delay_s));
  }
  return base::Status::Ok();
}

base::Status CheckMessageOutcome(const MessageOutcome& outcome) {
  if (outcome.state != OutboxState::kSent && outcome.state != OutboxState::kQueued &&
      outcome.state != OutboxState::kFailed) {
    return base::InvalidArgument("a message finishes as sent, queued or failed");
  }
  CS_RETURN_IF_ERROR(base::CheckText("error", outcome.error, kMaxMailSettingBytes));
  return base::CheckText("subject", outcome.subject, kMaxMailSettingBytes);
}

base::Status CheckOutboxFilter(const OutboxFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxOutboxPage) {
    return base::InvalidArgument(
        fmt::format("limit must be between 1 and {}, not {}", kMaxOutboxPage, filter.limit));
  }
  if (filter.offset < 0) {
    return base::InvalidArgument(fmt::format("offset must not be negative, not {}", filter.offset));
  }
  return base::Status::Ok();
}

base::Status MessageNotFound(int64_t id) {
  return base::NotFound(fmt::format("message {} does not exist", id));
}

base::Status AutoresponderNotFound(int64_t id) {
  return base::NotFound(fmt::format("autoresponder {} does not exist", id));
}

base::Status NotBeingSent(int64_t id) {
  return base::FailedPrecondition(
      fmt::format("message {} is not being sent (another sender finished or released it)", id));
}

base::Status OnlyFailedCanBeRequeued(int64_t id, std::string_view state) {
  return base::FailedPrecondition(
      fmt::format("message {} is {}; only a failed message can be queued again", id, state));
}

base::Status OnlyQueuedCanBeCancelled(int64_t id, std::string_view state) {
  return base::FailedPrecondition(
      fmt::format("message {} is {}; only a queued message can be cancelled", id, state));
}

}  // namespace contactsync::store
