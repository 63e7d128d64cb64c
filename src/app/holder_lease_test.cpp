#include "app/holder_lease.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "store/store_rules.h"
#include "store/store_test_util.h"
#include "store/test_store.h"

namespace contactsync::app {
namespace {

using namespace std::chrono_literals;
using store::testing::HasError;
using store::testing::IsOk;
using store::testing::StoreCount;

class HolderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cs-holder-lease-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    options_.url = "sqlite://" + (dir_ / "store.db").string();
    auto store = store::OpenStore(options_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(IsOk(store_->CreateSync("S", "{}")));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t LeasesOf(const std::string& holder) {
    return StoreCount(options_.url,
                      "SELECT count(*) FROM holder_leases WHERE holder = '" + holder + "'");
  }

  std::filesystem::path dir_;
  store::StoreOptions options_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(HolderLeaseTest, RenewsWhileItLivesSoItsRunsKeepTheirLockAndReleasesAtTheEnd) {
  {
    auto lease = HolderLease::Start(options_, "host-a:1:1", 300ms);
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    EXPECT_EQ(LeasesOf("host-a:1:1"), 1);
    ASSERT_TRUE(IsOk(store_->BeginRun("S", "ann", "host-a:1:1")));
    // Three lease lengths later the lease was renewed all along: the run keeps its lock.
    std::this_thread::sleep_for(900ms);
    EXPECT_TRUE(HasError(store_->BeginRun("S", "bob", "host-b:2:2"),
                         base::ErrorCode::kFailedPrecondition, "already running"));
    EXPECT_EQ(
        StoreCount(options_.url, "SELECT count(*) FROM holder_leases WHERE ends_at > " +
                                     std::to_string(base::UnixMillis(base::SystemClock().Now()))),
        1);
  }
  EXPECT_EQ(LeasesOf("host-a:1:1"), 0);
}

TEST_F(HolderLeaseTest, ARunLeftByAProcessWhoseLeaseEndedIsTakenOver) {
  // The lease of a process that died: taken, then never renewed.
  ASSERT_TRUE(IsOk(store_->RenewHolderLease("host-a:1:1", 200ms)));
  ASSERT_TRUE(IsOk(store_->BeginRun("S", "ann", "host-a:1:1")));
  std::this_thread::sleep_for(300ms);
  auto lease = HolderLease::Start(options_, "host-b:2:2", 300ms);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  auto run = store_->BeginRun("S", "bob", "host-b:2:2");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  auto runs = store_->GetRuns("S");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs->back().state, store::RunState::kFailed);
  EXPECT_EQ(runs->back().message, store::kRunLeaseExpiredMessage);
}

TEST_F(HolderLeaseTest, AStoreThatCannotBeOpenedIsAClearError) {
  store::StoreOptions bad;
  bad.url = (dir_ / "store.db").string() + "/not-a-dir/x.db";
  EXPECT_FALSE(HolderLease::Start(bad, "h:1:1").ok());
}

}  // namespace
}  // namespace contactsync::app
