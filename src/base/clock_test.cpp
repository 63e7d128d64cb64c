// The store's times (issue 13, migration 8): integers of milliseconds in the store, ISO 8601
// text at its interface, converted by one pair of functions.

#include "base/clock.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace contactsync::base {
namespace {

TEST(ClockTest, CivilDatesAndDayCountsAgree) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  const CivilDate leap = CivilFromDays(DaysFromCivil(2024, 2, 29));
  EXPECT_EQ(leap.year, 2024);
  EXPECT_EQ(leap.month, 2);
  EXPECT_EQ(leap.day, 29);
  const CivilDate before = CivilFromDays(-1);
  EXPECT_EQ(before.year, 1969);
  EXPECT_EQ(before.month, 12);
  EXPECT_EQ(before.day, 31);
  for (int64_t days = -800000; days <= 800000; days += 997) {
    const CivilDate date = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(date.year, date.month, date.day), days);
  }
}

TEST(ClockTest, UnixMillisIsTheTimeSinceTheEpochFloored) {
  EXPECT_EQ(UnixMillis(TimePoint()), 0);
  EXPECT_EQ(UnixMillis(TimePoint(std::chrono::seconds(1767225600))), 1767225600000);
  EXPECT_EQ(UnixMillis(TimePoint(std::chrono::microseconds(1767225600123999))), 1767225600123);
  EXPECT_EQ(UnixMillis(TimePoint(std::chrono::microseconds(-1))), -1);
}

// The text the store wrote before migration 8 (FormatIso8601Utc) reads as its milliseconds and
// is written back byte for byte.
TEST(ClockTest, TheTextTheStoreWroteBeforeRoundTrips) {
  for (const char* text : {"1970-01-01T00:00:00Z", "2026-11-28T13:05:09Z", "2026-12-31T23:59:59Z",
                           "2000-02-29T12:00:00Z", "1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
                           "9999-12-31T23:59:59Z"}) {
    const Result<int64_t> ms = ParseIso8601Utc(text);
    ASSERT_TRUE(ms.ok()) << text << ": " << ms.status().message();
    EXPECT_EQ(*ms % 1000, 0) << text;
    EXPECT_EQ(FormatUnixMillis(*ms), text);
  }
  EXPECT_EQ(*ParseIso8601Utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601Utc("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(*ParseIso8601Utc("1969-12-31T23:59:59Z"), -1000);
}

// Every instant the clock gives: what FormatIso8601Utc writes of it is what FormatUnixMillis
// writes of its milliseconds, and that text reads back as the milliseconds to the second.
TEST(ClockTest, AgreesWithFormatIso8601Utc) {
  const TimePoint start(std::chrono::seconds(1767225600));
  for (const std::chrono::milliseconds step :
       {std::chrono::milliseconds(0), std::chrono::milliseconds(1), std::chrono::milliseconds(999),
        std::chrono::milliseconds(1000), std::chrono::milliseconds(86399999),
        std::chrono::milliseconds(std::chrono::hours(24 * 59)),
        std::chrono::milliseconds(std::chrono::hours(24 * 366 * 4 + 7))}) {
    const TimePoint t = start + step;
    const int64_t ms = UnixMillis(t);
    EXPECT_EQ(FormatUnixMillis(ms), FormatIso8601Utc(t));
    EXPECT_EQ(*ParseIso8601Utc(FormatUnixMillis(ms)), ms - ms % 1000);
  }
}

TEST(ClockTest, AFractionIsReadToTheMillisecond) {
  EXPECT_EQ(*ParseIso8601Utc("2026-01-01T00:00:00.5Z"), 1767225600500);
  EXPECT_EQ(*ParseIso8601Utc("2026-01-01T00:00:00.123Z"), 1767225600123);
  EXPECT_EQ(*ParseIso8601Utc("2026-01-01T00:00:00.123999999Z"), 1767225600123);
  // The millisecond form written back: the interface's text, to the second.
  EXPECT_EQ(FormatUnixMillis(1767225600123), "2026-01-01T00:00:00Z");
  EXPECT_EQ(FormatUnixMillis(-1), "1969-12-31T23:59:59Z");
}

TEST(ClockTest, AnythingElseIsRefused) {
  for (const char* text :
       {"", "x", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00+00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z",
        "2026-01-01T00:00:00Zx", "+026-01-01T00:00:00Z", "2026-1-01T00:00:00Z"}) {
    const Result<int64_t> ms = ParseIso8601Utc(text);
    EXPECT_EQ(ms.status().code(), ErrorCode::kInvalidArgument) << text;
  }
  EXPECT_EQ(ParseIso8601Utc("2026-01-01").status().message(),
            "'2026-01-01' is not a UTC time of the form 2026-11-28T13:05:09Z");
}

}  // namespace
}  // namespace contactsync::base
