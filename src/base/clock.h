#pragma once

// The time source, behind an interface so that tests control it.
//
// Thread safety: implementations must allow concurrent calls to Now().

#include <chrono>
#include <cstdint>
#include <string>

namespace contactsync::base {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The wall clock. Shared, immutable, never null.
const Clock& SystemClock();

// A clock that stands still until told to move; for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  TimePoint now_;
};

// "2026-11-28T13:05:09Z": UTC, second precision. Stored timestamps use this
// form everywhere, so that they sort as text and read the same in every store.
std::string FormatIso8601Utc(TimePoint t);

}  // namespace contactsync::base
