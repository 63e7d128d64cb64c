#pragma once

// An in-memory Mailer for unit tests: records what it was given and answers
// with scripted results (kSent once the script is used up).
//
// Thread safety: not thread-safe.

#include <deque>
#include <vector>

#include "mail/mailer.h"

namespace contactsync::mail {

class FakeMailer final : public Mailer {
 public:
  SendResult Send(const OutgoingMessage& message) override {
    attempts.push_back(message);
    SendResult result;
    if (!script.empty()) {
      result = script.front();
      script.pop_front();
    }
    if (result.status == SendStatus::kSent || result.status == SendStatus::kUncertain) {
      delivered.push_back(message);  // what a server may hold
    }
    return result;
  }

  std::deque<SendResult> script;           // answers for the next Send calls
  std::vector<OutgoingMessage> attempts;   // every Send call
  std::vector<OutgoingMessage> delivered;  // accepted (or maybe accepted) ones
};

}  // namespace contactsync::mail
