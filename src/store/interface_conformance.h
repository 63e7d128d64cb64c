#pragma once

// The base of the conformance suites of interfaces that stand alone (a suite whose tests use
// only its own interface): AccountStore, ConnectionStore. Each backend gives a factory of that
// interface alone, so that a backend can pass these suites before it implements the whole of
// Store (the PostgreSQL store, issue 14, passes them one by one). Test-only.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "store/store_test_util.h"

namespace contactsync::store::testing {

template <typename Interface>
struct InterfaceFactory {
  std::string name;  // a test-name suffix: letters, digits, '_'
  // A fresh, empty store reading time from `clock` (which outlives it).
  std::function<std::unique_ptr<Interface>(const base::Clock& clock)> make;
  // Why the backend cannot be tested here (its server is missing), or "": the tests are then
  // skipped. Unset for a backend that is always there.
  std::function<std::string()> unavailable;
};

template <typename Interface>
void PrintTo(const InterfaceFactory<Interface>& factory, std::ostream* out) {
  *out << factory.name;
}

template <typename Interface>
std::string InterfaceFactoryName(
    const ::testing::TestParamInfo<InterfaceFactory<Interface>>& info) {
  return info.param.name;
}

template <typename Interface>
class InterfaceConformance : public ::testing::TestWithParam<InterfaceFactory<Interface>> {
 protected:
  using ErrorCode = base::ErrorCode;

  // 2026-01-01T00:00:00Z, as StoreConformance's.
  static constexpr std::chrono::seconds kStart{1767225600};
  static constexpr std::string_view kStartText = "2026-01-01T00:00:00Z";

  void SetUp() override {
    const InterfaceFactory<Interface>& factory = this->GetParam();
    if (factory.unavailable) {
      const std::string reason = factory.unavailable();
      if (!reason.empty()) GTEST_SKIP() << reason;
    }
    store_ = factory.make(clock_);
    ASSERT_NE(store_, nullptr);
  }

  base::FakeClock clock_{base::TimePoint(kStart)};
  std::unique_ptr<Interface> store_;
};

}  // namespace contactsync::store::testing
