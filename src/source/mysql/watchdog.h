#pragma once

// A one-shot timer on its own thread: after Arm(timeout), calls `on_expiry` once unless
// Disarm() comes first. The reader uses it to stop a batch that waits too long (KILL QUERY),
// because the fetch it guards blocks the reader's own thread.
//
// Thread safety: Arm and Disarm from one thread; `on_expiry` runs on the watchdog's thread and
// must be safe to run concurrently with the owner. The destructor stops and joins the thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace contactsync::source::mysql {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Watchdog(std::function<void()> on_expiry);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Arm(Clock::duration timeout);
  void Disarm();

 private:
  void Run();

  std::function<void()> on_expiry_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Clock::time_point> deadline_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace contactsync::source::mysql
