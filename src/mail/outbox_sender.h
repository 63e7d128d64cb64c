#pragma once

// OutboxSender: delivers the store's outbox (mail_store.h: OutboxQueue)
// through a Mailer, one message at a time — `contactsync mail send` runs one
// pass, `serve` runs Loop() on a thread of its own.
//
// Exactly once, as far as SMTP allows (docs/mail.md has the reasoning):
//  1. a message is claimed (state sending, claimed_at) in its own committed
//     transaction before the server hears of it;
//  2. the Mailer says kSent only on the server's 250 after the data, kRetry
//     only when the server certainly did not take it, kUncertain otherwise;
//  3. kSent marks it sent; kRetry queues it again with exponential backoff
//     (initial_backoff * 2^(attempts-1), at most max_backoff; failed after
//     max_attempts); kFailed (5xx, bad address) and kUncertain mark it failed
//     with the reason — an uncertain message is never re-sent by itself;
//  4. a message still in sending claim_timeout after its claim belonged to a
//     sender that stopped mid-send (crash, kill, power cut): it becomes
//     failed ("delivery uncertain"), never queued again automatically;
//     `contactsync mail retry ID` is the operator's explicit way to re-send.
// The Message-ID carries the idempotency key, so a receiving system can also
// recognise a copy.
//
// The hourly cap counts messages marked sent in the last rolling hour; a
// pass stops when it is reached. A pass also stops at the first failure that
// says the server is unavailable (connect, TLS, login), leaving the rest
// queued untouched.
//
// Thread safety: one instance per thread, with its own store instance.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "mail/compose.h"
#include "mail/link_signer.h"
#include "mail/mailer.h"
#include "store/mail_store.h"

namespace contactsync::mail {

struct SenderOptions {
  std::chrono::seconds initial_backoff{60};
  std::chrono::seconds max_backoff{std::chrono::hours(6)};
  int64_t max_attempts = 12;  // about two days of retries with the defaults
  // Longer than any single SMTP transaction can take (SmtpSettings::timeout_s).
  std::chrono::seconds claim_timeout{std::chrono::minutes(15)};
  int64_t hourly_cap = 0;    // 0: no cap
  int64_t max_per_pass = 0;  // 0: no limit
};

struct PassReport {
  int64_t sent = 0;
  int64_t retry_later = 0;   // queued again with backoff
  int64_t failed = 0;        // refused, undeliverable as composed, or gave up
  int64_t uncertain = 0;     // failed because delivery is unknown (incl. abandoned claims)
  bool capped = false;       // stopped at the hourly cap
  std::string server_error;  // set when the pass stopped because the server is unavailable
};

class OutboxSender {
 public:
  // None is owned; all must outlive the sender.
  OutboxSender(store::OutboxQueue& store, Mailer& mailer, const LinkSigner& signer,
               ComposeSettings compose, SenderOptions options, const base::Clock& clock)
      : store_(store),
        mailer_(mailer),
        signer_(signer),
        compose_(std::move(compose)),
        options_(options),
        clock_(clock) {}

  // One pass over the messages due now. A Status only for store failures.
  base::Result<PassReport> RunOnce(const std::atomic<bool>* stop = nullptr);

  // Passes until `stop`: after each, waits until the next message is due
  // (at most `poll`, so that newly queued mail goes out within it), and
  // after a server failure or the cap, `poll`. `on_pass` sees every pass's
  // report or store error (e.g. for logging); it may be empty.
  void Loop(const std::atomic<bool>& stop, std::chrono::milliseconds poll,
            const std::function<void(const base::Result<PassReport>&)>& on_pass);

 private:
  base::Status Finish(const store::MessageOutcome& outcome);

  store::OutboxQueue& store_;
  Mailer& mailer_;
  const LinkSigner& signer_;
  const ComposeSettings compose_;
  const SenderOptions options_;
  const base::Clock& clock_;
};

}  // namespace contactsync::mail
