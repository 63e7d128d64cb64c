#include "mail/outbox_sender.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace contactsync::mail {
namespace {

constexpr std::string_view kAbandoned =
    "delivery uncertain: the sender stopped while sending this message, so it is unknown "
    "whether the server took it; not re-sent automatically, so that it cannot arrive twice "
    "(`contactsync mail retry ID` sends it again)";

std::chrono::seconds Backoff(const SenderOptions& options, int64_t attempts) {
  auto delay = options.initial_backoff;
  for (int64_t i = 1; i < attempts && delay < options.max_backoff; ++i) delay *= 2;
  return std::min(delay, options.max_backoff);
}

}  // namespace

base::Status OutboxSender::Finish(const store::MessageOutcome& outcome) {
  // A busy store must not turn a sent message into an "uncertain" one: try
  // a few times before giving up (the claim timeout would then apply).
  base::Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    status = store_.FinishMessage(outcome);
    if (status.ok() || status.code() != base::ErrorCode::kUnavailable) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
  }
  return status;
}

base::Result<PassReport> OutboxSender::RunOnce(const std::atomic<bool>* stop) {
  PassReport report;
  const base::TimePoint start = clock_.Now();
  CS_ASSIGN_OR_RETURN(report.uncertain,
                      store_.FailAbandonedClaims(
                          base::FormatIso8601Utc(start - options_.claim_timeout), kAbandoned));
  int64_t handled = 0;
  while (stop == nullptr || !stop->load()) {
    if (options_.max_per_pass > 0 && handled >= options_.max_per_pass) break;
    const base::TimePoint now = clock_.Now();
    if (options_.hourly_cap > 0) {
      CS_ASSIGN_OR_RETURN(
          const int64_t last_hour,
          store_.CountMessagesSentSince(base::FormatIso8601Utc(now - std::chrono::hours(1))));
      if (last_hour >= options_.hourly_cap) {
        report.capped = true;
        break;
      }
    }
    CS_ASSIGN_OR_RETURN(std::optional<store::ClaimedMessage> claimed, store_.ClaimNextMessage());
    if (!claimed) break;
    ++handled;
    store::MessageOutcome outcome;
    outcome.id = claimed->message.id;
    outcome.recipient = claimed->contact.email;

    base::Result<ComposedMessage> composed = Compose(*claimed, compose_, signer_, now);
    if (!composed.ok()) {
      outcome.state = store::OutboxState::kFailed;
      outcome.error = "not sent: " + composed.status().message();
      CS_RETURN_IF_ERROR(Finish(outcome));
      ++report.failed;
      continue;
    }
    outcome.subject = composed->subject;
    const SendResult result = mailer_.Send(composed->outgoing);
    switch (result.status) {
      case SendStatus::kSent:
        outcome.state = store::OutboxState::kSent;
        ++report.sent;
        break;
      case SendStatus::kRetry:
        if (claimed->message.attempts >= options_.max_attempts) {
          outcome.state = store::OutboxState::kFailed;
          outcome.error = fmt::format("gave up after {} attempts: {}", claimed->message.attempts,
                                      result.message);
          ++report.failed;
        } else {
          outcome.state = store::OutboxState::kQueued;
          outcome.next_attempt_at =
              base::FormatIso8601Utc(clock_.Now() + Backoff(options_, claimed->message.attempts));
          outcome.error = result.message;
          ++report.retry_later;
        }
        break;
      case SendStatus::kFailed:
        outcome.state = store::OutboxState::kFailed;
        outcome.error = result.message;
        ++report.failed;
        break;
      case SendStatus::kUncertain:
        outcome.state = store::OutboxState::kFailed;
        outcome.error = result.message;
        ++report.uncertain;
        break;
    }
    CS_RETURN_IF_ERROR(Finish(outcome));
    if (result.server_unavailable) {
      report.server_error = result.message;
      break;
    }
  }
  return report;
}

void OutboxSender::Loop(const std::atomic<bool>& stop, std::chrono::milliseconds poll,
                        const std::function<void(const base::Result<PassReport>&)>& on_pass) {
  while (!stop.load()) {
    base::Result<PassReport> pass = RunOnce(&stop);
    if (on_pass) on_pass(pass);
    auto wait = poll;
    if (pass.ok() && !pass->capped && pass->server_error.empty()) {
      base::Result<std::optional<std::string>> next = store_.NextDueTime();
      if (next.ok() && *next && **next <= base::FormatIso8601Utc(clock_.Now())) {
        wait = std::chrono::milliseconds(0);  // more is due (max_per_pass)
      }
    }
    // Sleep in slices so that `stop` is honoured promptly.
    const auto until = std::chrono::steady_clock::now() + wait;
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(100), std::chrono::duration_cast<std::chrono::milliseconds>(
                                              until - std::chrono::steady_clock::now()) +
                                              std::chrono::milliseconds(1)));
    }
  }
}

}  // namespace contactsync::mail
