#pragma once

// The time source, behind an interface so that tests control it.
//
// Thread safety: implementations must allow concurrent calls to Now().

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

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

// A proleptic Gregorian date, and its count of days since 1970-01-01 and back (H. Hinnant's
// algorithms, exact for every int64 day count the store can hold; no locale or time zone).
struct CivilDate {
  int64_t year;
  int64_t month;  // 1..12
  int64_t day;    // 1..31
};
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day);
CivilDate CivilFromDays(int64_t days);

// "2026-11-28T13:05:09Z": UTC, second precision. Stored timestamps use this
// form everywhere, so that they sort as text and read the same in every store.
std::string FormatIso8601Utc(TimePoint t);

// Milliseconds since the Unix epoch (UTC), floored: how the store keeps the times of contacts,
// subscriptions and their history (integers: a quarter of the text's bytes, compared and
// ordered as numbers).
int64_t UnixMillis(TimePoint t);

// The one pair of conversions between that integer form and the ISO 8601 text the store's
// interface speaks. FormatUnixMillis writes the form FormatIso8601Utc writes, to the second
// (the milliseconds are dropped, so the interface reads as it always has); ParseIso8601Utc
// reads it, and also a fraction of a second (".5", ".123", up to nine digits, kept to the
// millisecond), years 0000 to 9999. Anything else is kInvalidArgument.
std::string FormatUnixMillis(int64_t unix_ms);
Result<int64_t> ParseIso8601Utc(std::string_view text);

}  // namespace contactsync::base
