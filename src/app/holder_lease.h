#pragma once

// This process's holder lease (store::SyncStore::RenewHolderLease), kept for as long as the
// HolderLease lives: a thread with its own store instance (an instance is one thread's)
// renews it every third of its length, so that a run this process leaves "running" when it
// is killed or loses its host is failed by the next BeginRun of that sync, on any host, once
// the lease ends. The destructor stops renewing and releases the lease. Every process that
// runs syncs holds one (`contactsync sync run`, `serve`).
//
// Thread safety: construct and destroy on one thread; the renewer is internal.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "store/store.h"

namespace contactsync::app {

class HolderLease {
 public:
  // Long enough that a store busy for a while (a failover, a slow disk) does not cost a live
  // process its runs; short enough that a dead one's run blocks its sync for about a minute.
  static constexpr std::chrono::milliseconds kDefaultLength{60'000};

  // Opens a store at `options` for the renewer and takes the lease on `holder`
  // (sync::CurrentHolder()) before returning, so that every run begun afterwards is covered.
  static base::Result<std::unique_ptr<HolderLease>> Start(
      const store::StoreOptions& options, std::string holder,
      std::chrono::milliseconds length = kDefaultLength);

  ~HolderLease();
  HolderLease(const HolderLease&) = delete;
  HolderLease& operator=(const HolderLease&) = delete;

  const std::string& holder() const { return holder_; }

 private:
  HolderLease(std::unique_ptr<store::Store> store, std::string holder,
              std::chrono::milliseconds length);
  void RenewUntilStopped();

  std::unique_ptr<store::Store> store_;  // the renewer's, used by one thread at a time
  const std::string holder_;
  const std::chrono::milliseconds length_;
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace contactsync::app
