#include "base/clock.h"

#include <ctime>

#include <fmt/format.h>

namespace contactsync::base {
namespace {

class WallClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

constexpr int64_t kMillisPerDay = int64_t{86400} * 1000;

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysInMonth(int64_t y, int64_t m) {
  constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Floor division and its remainder, for times before 1970.
int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

const Clock& SystemClock() {
  static const WallClock clock;
  return clock;
}

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::string FormatIso8601Utc(TimePoint t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

int64_t UnixMillis(TimePoint t) {
  return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string FormatUnixMillis(int64_t unix_ms) {
  const int64_t days = FloorDiv(unix_ms, kMillisPerDay);
  const int64_t seconds = (unix_ms - days * kMillisPerDay) / 1000;
  const CivilDate date = CivilFromDays(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", date.year, date.month, date.day,
                     seconds / 3600, seconds / 60 % 60, seconds % 60);
}

Result<int64_t> ParseIso8601Utc(std::string_view text) {
  const auto invalid = [&] {
    return InvalidArgument(
        fmt::format("'{}' is not a UTC time of the form 2026-11-28T13:05:09Z", text));
  };
  // Digits at [pos, pos + width) as a number, or -1.
  const auto number = [&](size_t pos, size_t width) -> int64_t {
    if (pos + width > text.size()) return -1;
    int64_t value = 0;
    for (size_t i = pos; i < pos + width; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  constexpr std::string_view kShape = "0000-00-00T00:00:00";
  if (text.size() < kShape.size() + 1) return invalid();
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] != '0' && text[i] != kShape[i]) return invalid();
  }
  const int64_t year = number(0, 4);
  const int64_t month = number(5, 2);
  const int64_t day = number(8, 2);
  const int64_t hour = number(11, 2);
  const int64_t minute = number(14, 2);
  const int64_t second = number(17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59 || day > DaysInMonth(year, month)) {
    return invalid();
  }
  int64_t millis = 0;
  size_t pos = kShape.size();
  if (text[pos] == '.') {
    const size_t first = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    const size_t digits = pos - first;
    if (digits < 1 || digits > 9) return invalid();
    for (size_t i = 0; i < 3; ++i) millis = millis * 10 + (i < digits ? text[first + i] - '0' : 0);
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return invalid();
  return ((DaysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60000 + second * 1000 +
         millis;
}

}  // namespace contactsync::base
