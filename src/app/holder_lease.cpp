#include "app/holder_lease.h"

#include <utility>

namespace contactsync::app {

base::Result<std::unique_ptr<HolderLease>> HolderLease::Start(const store::StoreOptions& options,
                                                              std::string holder,
                                                              std::chrono::milliseconds length) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::OpenStore(options));
  CS_RETURN_IF_ERROR(store->RenewHolderLease(holder, length));
  return std::unique_ptr<HolderLease>(new HolderLease(std::move(store), std::move(holder), length));
}

HolderLease::HolderLease(std::unique_ptr<store::Store> store, std::string holder,
                         std::chrono::milliseconds length)
    : store_(std::move(store)), holder_(std::move(holder)), length_(length) {
  renewer_ = std::thread([this] { RenewUntilStopped(); });
}

HolderLease::~HolderLease() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  renewer_.join();
  // A clean exit: nothing of this process runs any more. Best effort: a lease that stays
  // simply ends.
  (void)store_->ReleaseHolderLease(holder_);
}

// Every third of the lease: two renewals may fail (a store restarting, a failover) before the
// lease ends. A failed renewal is tried again at the next tick; there is nobody to tell.
void HolderLease::RenewUntilStopped() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_signal_.wait_for(lock, length_ / 3, [this] { return stopping_; })) {
    lock.unlock();
    (void)store_->RenewHolderLease(holder_, length_);
    lock.lock();
  }
}

}  // namespace contactsync::app
