#pragma once

// What every store conformance suite shares: a fresh, empty store per test,
// opened through a backend factory, and the helpers the suites use to set up
// lists, fields and contacts. One suite per interface (store.h):
//
//   list_store_conformance.h        ListStoreConformance
//   contact_store_conformance.h     ContactStoreConformance
//   sync_store_conformance.h        SyncStoreConformance
//   mail_store_conformance.h        MailStoreConformance
// and, on interface_conformance.h (a factory of the interface alone, because
// their tests use nothing else):
//   connection_store_conformance.h  ConnectionStoreConformance
//   account_store_conformance.h     AccountStoreConformance
//
// A backend instantiates every suite with its factory (the factory returns a
// fresh, empty store that reads time from the given clock, the fixture's
// FakeClock, which outlives the store); store_conformance_test.cpp lists the
// backends, one factory line each. A backend implements Store by passing
// every suite. Test-only.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace contactsync::store::testing {

struct StoreFactory {
  std::string name;  // a test-name suffix: letters, digits, '_'
  std::function<std::unique_ptr<Store>(const base::Clock& clock)> make;
  // Why the backend cannot be tested here (its server is missing), or "": the tests are then
  // skipped. Unset for a backend that is always there.
  std::function<std::string()> unavailable;
};

// Test names show the backend, not the factory's bytes.
inline void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

inline std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

// The base of every suite: `store_` is a fresh store, `clock_` its time.
class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  using ErrorCode = base::ErrorCode;
  using Status = SubscriptionStatus;

  // 2026-01-01T00:00:00Z
  static constexpr std::chrono::seconds kStart{1767225600};
  static constexpr std::string_view kStartText = "2026-01-01T00:00:00Z";

  void SetUp() override {
    if (GetParam().unavailable) {
      const std::string reason = GetParam().unavailable();
      if (!reason.empty()) GTEST_SKIP() << reason;
    }
    store_ = GetParam().make(clock_);
    ASSERT_NE(store_, nullptr);
  }

  void MakeList(const std::string& name) { ASSERT_TRUE(IsOk(store_->CreateList(ListNamed(name)))); }

  void MakeField(const std::string& key, model::FieldType type, bool required = false,
                 std::vector<std::string> options = {}) {
    ASSERT_TRUE(IsOk(store_->CreateField(model::FieldDefinition{.key = key,
                                                                .label = key + " label",
                                                                .type = type,
                                                                .options = std::move(options),
                                                                .required = required})));
  }

  static ContactChange Change(std::string email, std::optional<std::string> list = std::nullopt,
                              Status status = Status::kActive,
                              SubscribeMode mode = SubscribeMode::kNormal) {
    ContactChange change;
    change.contact.email = std::move(email);
    change.list = std::move(list);
    change.status = status;
    change.mode = mode;
    change.cause = Cause{model::CauseKind::kApi, "test"};
    return change;
  }

  base::Result<ContactChangeOutcome> Subscribe(std::string email, std::string list,
                                               Status status = Status::kActive,
                                               SubscribeMode mode = SubscribeMode::kNormal) {
    return store_->SaveContact(Change(std::move(email), std::move(list), status, mode));
  }

  // How many contacts the store holds; -1 when it cannot say.
  int64_t ContactCount() {
    auto page = store_->FindContacts(Paged(1));
    return page.ok() ? page->total : -1;
  }

  // The status of `email` on `list`, or nullopt when it is not on it.
  std::optional<Status> StatusOn(std::string_view email, std::string_view list) {
    auto contact = store_->GetContact(email);
    if (!contact.ok()) return std::nullopt;
    for (const Subscription& s : contact->subscriptions) {
      if (s.list_name == list) return s.status;
    }
    return std::nullopt;
  }

  size_t HistorySize(std::string_view email) {
    auto history = store_->GetHistory(email);
    return history.ok() ? history->size() : 0;
  }

  base::FakeClock clock_{base::TimePoint(kStart)};
  std::unique_ptr<Store> store_;
};

}  // namespace contactsync::store::testing
