#include "http/run_manager.h"

#include <fmt/format.h>

#include "app/connections.h"
#include "app/sync_runs.h"
#include "base/text.h"
#include "http/api.h"

namespace contactsync::http {

ActiveRun::Snapshot ActiveRun::Wait(uint64_t seen_version, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return done_ || version_ > seen_version; });
  return Snapshot{progress_, version_, done_};
}

RunManager::~RunManager() { Shutdown(); }

base::Result<int64_t> RunManager::Start(const std::string& sync_name,
                                        const std::string& started_by) {
  auto run = std::make_shared<ActiveRun>();
  run->sync_name_ = sync_name;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return base::Unavailable("the server is shutting down");
    for (const auto& [id, other] : active_) {
      if (other->sync_name_ == sync_name) {
        return base::FailedPrecondition(
            fmt::format("sync '{}' is running already (run {})", base::Printable(sync_name), id));
      }
    }
    ReapFinished();
    workers_.emplace_back(run, std::thread([this, run, started_by] { Work(run, started_by); }));
  }
  std::unique_lock<std::mutex> lock(run->mutex_);
  run->changed_.wait(lock, [&] { return run->started_ || run->done_; });
  if (!run->started_) return run->start_error_;
  return run->run_id_;
}

std::shared_ptr<ActiveRun> RunManager::Find(int64_t run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = active_.find(run_id);
  return it == active_.end() ? nullptr : it->second;
}

void RunManager::Shutdown() {
  std::vector<std::pair<std::shared_ptr<ActiveRun>, std::thread>> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    for (auto& [run, thread] : workers_) run->RequestCancel();
    workers.swap(workers_);
  }
  for (auto& [run, thread] : workers) {
    if (thread.joinable()) thread.join();
  }
}

void RunManager::ReapFinished() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    bool done = false;
    {
      std::lock_guard<std::mutex> lock(it->first->mutex_);
      done = it->first->done_;
    }
    if (done) {
      it->second.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void RunManager::Work(std::shared_ptr<ActiveRun> run, std::string started_by) {
  const auto finish = [&](base::Status error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_.erase(run->run_id_);
    }
    std::lock_guard<std::mutex> lock(run->mutex_);
    if (!run->started_) run->start_error_ = std::move(error);
    run->done_ = true;
    ++run->version_;
    run->changed_.notify_all();
  };
  // The worker is an entry point: a bug must end this run, not the server.
  try {
    base::Result<StorePool::Lease> lease = state_.stores.Acquire();
    if (!lease.ok()) return finish(lease.status());
    app::Connections connections(lease->store(), state_.box);
    base::Result<sync::SyncDefinition> definition = app::LoadSync(lease->store(), run->sync_name_);
    if (!definition.ok()) return finish(definition.status());
    sync::EngineOptions options;
    options.started_by = started_by;
    options.cancel = &run->cancel_;
    options.on_progress = [&](const sync::Progress& progress) {
      if (progress.run_id != 0 && run->run_id_ == 0) {
        // Findable (for cancel and events) before Start() returns the id.
        std::lock_guard<std::mutex> lock(mutex_);
        active_[progress.run_id] = run;
      }
      std::lock_guard<std::mutex> lock(run->mutex_);
      run->progress_ = progress;
      ++run->version_;
      if (progress.run_id != 0 && !run->started_) {
        run->run_id_ = progress.run_id;
        run->started_ = true;
      }
      run->changed_.notify_all();
    };
    base::Result<sync::RunReport> report =
        app::ExecuteSync(*definition, connections, lease->store(), lease->store(), options);
    finish(report.ok() ? base::Status::Ok() : report.status());
  } catch (const std::exception& e) {
    finish(base::Internal(fmt::format("the run stopped on an internal error: {}", e.what())));
  }
}

}  // namespace contactsync::http
