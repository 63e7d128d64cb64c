#include "source/mysql/watchdog.h"

#include <utility>

namespace contactsync::source::mysql {

Watchdog::Watchdog(std::function<void()> on_expiry)
    : on_expiry_(std::move(on_expiry)), thread_([this] { Run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Watchdog::Arm(Clock::duration timeout) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_ = Clock::now() + timeout;
  }
  wake_.notify_one();
}

void Watchdog::Disarm() {
  std::lock_guard<std::mutex> lock(mutex_);
  deadline_.reset();
}

void Watchdog::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (!deadline_) {
      wake_.wait(lock);
      continue;
    }
    const Clock::time_point deadline = *deadline_;
    wake_.wait_until(lock, deadline);
    // Re-checked after waking: the deadline may have been disarmed or moved meanwhile.
    if (stop_ || !deadline_ || *deadline_ != deadline || Clock::now() < deadline) continue;
    deadline_.reset();
    lock.unlock();
    on_expiry_();
    lock.lock();
  }
}

}  // namespace contactsync::source::mysql
