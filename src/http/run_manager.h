#pragma once

// Sync runs started through the API (internal to the http module): each run
// executes on its own worker thread with its own store instance and its own
// source session, so that requests are never blocked by a run. Progress is
// kept per run for the server-sent event streams; the report itself is the
// store's (one truth for the API, the CLI and other processes).
//
// Thread safety: thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "sync/engine.h"

namespace contactsync::http {

class ServerState;

// One run in progress in this process.
class ActiveRun {
 public:
  struct Snapshot {
    sync::Progress progress;
    uint64_t version = 0;  // increases with each progress report
    bool done = false;
  };

  // Waits until the progress is newer than `seen_version`, the run is done,
  // or `timeout` passed; returns the state then.
  Snapshot Wait(uint64_t seen_version, std::chrono::milliseconds timeout);
  void RequestCancel() { cancel_.store(true); }

 private:
  friend class RunManager;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string sync_name_;
  int64_t run_id_ = 0;
  bool started_ = false;  // holds the run lock (run_id_ known)
  bool done_ = false;
  base::Status start_error_;  // why it never started
  sync::Progress progress_;
  uint64_t version_ = 0;
  std::atomic<bool> cancel_{false};
};

class RunManager {
 public:
  explicit RunManager(ServerState& state) : state_(state) {}
  ~RunManager();  // Shutdown()
  RunManager(const RunManager&) = delete;
  RunManager& operator=(const RunManager&) = delete;

  // Starts saved sync `sync_name` on a worker thread and returns its run id
  // once the run holds the sync's lock. A Status when it could not start:
  // kFailedPrecondition while the sync runs already (here or in another
  // process), a failed check (sync/checks.h), kUnavailable while shutting
  // down.
  base::Result<int64_t> Start(const std::string& sync_name, const std::string& started_by);

  // The run if it is in progress in this process, else null.
  std::shared_ptr<ActiveRun> Find(int64_t run_id);

  // Cancels every run and waits for the workers.
  void Shutdown();

 private:
  void Work(std::shared_ptr<ActiveRun> run, std::string started_by);
  void ReapFinished();

  ServerState& state_;
  std::mutex mutex_;
  bool shutting_down_ = false;
  std::map<int64_t, std::shared_ptr<ActiveRun>> active_;  // by run id
  std::vector<std::pair<std::shared_ptr<ActiveRun>, std::thread>> workers_;
};

}  // namespace contactsync::http
