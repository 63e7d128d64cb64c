// /api/v1/syncs and /api/v1/runs: sync definitions (every save-time check
// against the live source), Test, Run on a background worker, runs with
// their reports, failures (paged, filtered, CSV), cancel, and progress as
// server-sent events.

#include <algorithm>

#include <fmt/format.h>

#include "app/connections.h"
#include "app/sync_runs.h"
#include "http/api.h"
#include "http/run_manager.h"
#include "sync/report.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

// The API's run: the CLI's form plus the contract's names.
json RunJson(const store::RunRecord& run) {
  json out = app::RunToJson(run);
  out["sync_name"] = run.sync_name;
  return out;
}

json FailureJson(const store::RunFailure& failure) {
  json out = app::FailureToJson(failure);
  out["row_number"] = failure.row_number;
  return out;
}

json ProgressJson(const sync::Progress& p) {
  return {{"run_id", p.run_id},
          {"phase", sync::PhaseName(p.phase)},
          {"rows_read", p.rows_read},
          {"estimated_total", p.estimated_total ? json(*p.estimated_total) : json()},
          {"counts", app::CountsToJson(p.counts)},
          {"sql", p.sql}};
}

base::Result<store::SyncRecord> SyncById(store::SyncStore& store, int64_t id) {
  CS_ASSIGN_OR_RETURN(const std::vector<store::SyncRecord> syncs, store.GetSyncs());
  for (const auto& sync : syncs) {
    if (sync.id == id) return sync;
  }
  return base::NotFound(fmt::format("sync {} does not exist", id));
}

json SyncJson(const store::SyncRecord& record, const sync::SyncDefinition& definition) {
  return {{"id", record.id},
          {"name", record.name},
          {"definition", sync::DefinitionToJson(definition)},
          {"created_at", record.created_at},
          {"updated_at", record.updated_at}};
}

// A failed save-time check is 400 with the check's own code and message
// (docs/api.md); a busy store or a bug keeps its status.
base::Status SendCheckFailure(Call& call, const base::Status& status) {
  if (status.code() == base::ErrorCode::kUnavailable ||
      status.code() == base::ErrorCode::kInternal) {
    return status;
  }
  SendError(call.res,
            ApiError{400, std::string(base::ErrorCodeName(status.code())), status.message(), 0});
  return base::Status::Ok();
}

// Parses and checks the body as a definition; nullopt when an error was sent.
base::Result<std::optional<sync::SyncDefinition>> CheckedBody(Call& call) {
  CS_ASSIGN_OR_RETURN(const nlohmann::ordered_json body, call.OrderedBody());
  base::Result<sync::SyncDefinition> definition = sync::DefinitionFromJson(body);
  if (!definition.ok()) return definition.status();
  CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
  app::Connections connections(*store, call.state.box);
  const base::Status checked =
      app::CheckAgainstConnection(*definition, connections, *store, *store).status();
  if (!checked.ok()) {
    CS_RETURN_IF_ERROR(SendCheckFailure(call, checked));
    return std::optional<sync::SyncDefinition>();
  }
  return std::optional<sync::SyncDefinition>(std::move(definition).value());
}

std::string StartedBy(const Call& call) { return "api:" + call.who().username; }

// Test: every save-time check, then the whole read as a dry run; the
// engine's dry run writes nothing to the store, saved sync or not.
base::Status SendTestReport(Call& call, const sync::SyncDefinition& definition,
                            store::Store& store) {
  app::Connections connections(store, call.state.box);
  sync::EngineOptions options;
  options.dry_run = true;
  options.started_by = StartedBy(call);
  base::Result<sync::RunReport> report =
      app::ExecuteSync(definition, connections, store, store, options);
  if (!report.ok()) return SendCheckFailure(call, report.status());
  call.Json(app::ReportToJson(*report));
  return base::Status::Ok();
}

std::string SseEvent(std::string_view event, const json& data) {
  return fmt::format("event: {}\ndata: {}\n\n", event,
                     data.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

void AddSyncRoutes(Router& router) {
  router.Get("/api/v1/syncs", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const std::vector<store::SyncRecord> records, store->GetSyncs());
    json array = json::array();
    for (const auto& record : records) {
      CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition,
                          app::LoadSync(*store, record.name));
      CS_ASSIGN_OR_RETURN(const std::vector<store::RunRecord> runs, store->GetRuns(record.name));
      json item = SyncJson(record, definition);
      item["last_run"] = runs.empty() ? json() : RunJson(runs.front());
      array.push_back(std::move(item));
    }
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/syncs", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const std::optional<sync::SyncDefinition> definition, CheckedBody(call));
    if (!definition) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(
        const store::SyncRecord record,
        store->CreateSync(definition->name, sync::SerializeDefinition(*definition)));
    call.Json(SyncJson(record, *definition), 201);
    return base::Status::Ok();
  });

  router.Get("/api/v1/syncs/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::SyncRecord record, SyncById(*store, id));
    CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, app::LoadSync(*store, record.name));
    CS_ASSIGN_OR_RETURN(const std::vector<store::RunRecord> runs, store->GetRuns(record.name));
    json out = SyncJson(record, definition);
    out["last_run"] = runs.empty() ? json() : RunJson(runs.front());
    call.Json(out);
    return base::Status::Ok();
  });

  router.Put("/api/v1/syncs/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::SyncRecord old, SyncById(*store, id));
    CS_ASSIGN_OR_RETURN(const std::optional<sync::SyncDefinition> definition, CheckedBody(call));
    if (!definition) return base::Status::Ok();
    CS_ASSIGN_OR_RETURN(
        const store::SyncRecord record,
        store->UpdateSync(old.name, definition->name, sync::SerializeDefinition(*definition)));
    call.Json(SyncJson(record, *definition));
    return base::Status::Ok();
  });

  router.Delete("/api/v1/syncs/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::SyncRecord record, SyncById(*store, id));
    CS_RETURN_IF_ERROR(store->DeleteSync(record.name));
    call.Json({{"deleted", id}});
    return base::Status::Ok();
  });

  // The wizard's Test: the definition in the form, never saved (issue 12).
  router.Post("/api/v1/syncs/test", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const nlohmann::ordered_json body, call.OrderedBody());
    base::Result<sync::SyncDefinition> definition = sync::DefinitionFromJson(body);
    if (!definition.ok()) return definition.status();
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    return SendTestReport(call, *definition, *store);
  });

  router.Post("/api/v1/syncs/{id}/test", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::SyncRecord record, SyncById(*store, id));
    CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, app::LoadSync(*store, record.name));
    return SendTestReport(call, definition, *store);
  });

  router.Post("/api/v1/syncs/{id}/run", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    std::string name;
    {
      CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
      CS_ASSIGN_OR_RETURN(const store::SyncRecord record, SyncById(*store, id));
      name = record.name;
    }
    base::Result<int64_t> run_id = call.state.runs->Start(name, StartedBy(call));
    if (!run_id.ok()) {
      const base::ErrorCode code = run_id.status().code();
      if (code == base::ErrorCode::kFailedPrecondition || code == base::ErrorCode::kNotFound) {
        return run_id.status();  // 409 while it runs; 404 when deleted meanwhile
      }
      return SendCheckFailure(call, run_id.status());
    }
    call.Json({{"run_id", *run_id}}, 202);
    return base::Status::Ok();
  });

  router.Get("/api/v1/syncs/{id}/runs", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::SyncRecord record, SyncById(*store, id));
    CS_ASSIGN_OR_RETURN(const std::vector<store::RunRecord> runs, store->GetRuns(record.name));
    json array = json::array();
    for (const auto& run : runs) array.push_back(RunJson(run));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Get("/api/v1/runs/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::RunRecord run, store->GetRun(id));
    call.Json(RunJson(run));
    return base::Status::Ok();
  });

  router.Post("/api/v1/runs/{id}/cancel", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::RunRecord run, store->GetRun(id));
    if (run.state != store::RunState::kRunning) {
      return base::FailedPrecondition(
          fmt::format("run {} is not running (it {})", id, store::RunStateName(run.state)));
    }
    const std::shared_ptr<ActiveRun> active = call.state.runs->Find(id);
    if (active == nullptr) {
      return base::FailedPrecondition(fmt::format(
          "run {} runs in another process (started by {}); cancel it there", id, run.started_by));
    }
    active->RequestCancel();
    json out = RunJson(run);
    out["cancelling"] = true;
    call.Json(out, 202);
    return base::Status::Ok();
  });

  router.Get("/api/v1/runs/{id}/failures", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(const auto paging, call.Paging());
    const std::string reason = call.Query("reason").value_or("");
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->GetRun(id).status());
    CS_ASSIGN_OR_RETURN(const store::RunFailurePage page,
                        store->GetRunFailurePage(id, reason, paging.first, paging.second));
    json items = json::array();
    for (const auto& failure : page.items) items.push_back(FailureJson(failure));
    call.Json({{"items", std::move(items)}, {"total", page.total}});
    return base::Status::Ok();
  });

  router.Get("/api/v1/runs/{id}/failures.csv", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->GetRun(id).status());
    CS_ASSIGN_OR_RETURN(const std::vector<store::RunFailure> failures, store->GetRunFailures(id));
    call.res.set_header("Content-Disposition",
                        fmt::format("attachment; filename=\"run-{}-failures.csv\"", id));
    call.res.set_header("Cache-Control", "no-store");
    call.res.set_content(sync::FailuresCsv(failures), "text/csv; charset=utf-8");
    return base::Status::Ok();
  });

  router.Get("/api/v1/runs/{id}/events", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::RunRecord run, store->GetRun(id));
    call.res.set_header("Cache-Control", "no-store");
    call.res.set_header("X-Accel-Buffering", "no");  // proxies must not hold events back
    std::shared_ptr<ActiveRun> active = call.state.runs->Find(id);
    if (run.state != store::RunState::kRunning && active == nullptr) {
      call.res.set_content(SseEvent("finished", RunJson(run)), "text/event-stream");
      return base::Status::Ok();
    }
    ServerState& state = call.state;
    // A run of another process: the store's state, polled, is all there is.
    // A run of this one: every progress report, as it happens.
    call.res.set_chunked_content_provider(
        "text/event-stream",
        [&state, id, active, seen = uint64_t{0}](size_t, httplib::DataSink& sink) mutable {
          bool done = false;
          std::string text;
          if (active != nullptr) {
            const ActiveRun::Snapshot snapshot = active->Wait(seen, std::chrono::seconds(3));
            if (snapshot.version > seen && !snapshot.done) {
              text = SseEvent("progress", ProgressJson(snapshot.progress));
            } else if (!snapshot.done) {
              text = ": keep-alive\n\n";
            }
            seen = snapshot.version;
            done = snapshot.done;
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
          }
          if (done || active == nullptr) {
            base::Result<StorePool::Lease> lease = state.stores.Acquire();
            if (!lease.ok()) return false;
            base::Result<store::RunRecord> now = lease->store().GetRun(id);
            if (!now.ok()) return false;
            if (now->state != store::RunState::kRunning) {
              text = SseEvent("finished", RunJson(*now));
              done = true;
            } else if (active == nullptr) {
              text = ": running elsewhere\n\n";
            } else {
              // The worker reported done but the store still says running:
              // the run could not be finished (store failure); stop here.
              text = SseEvent("finished", RunJson(*now));
              done = true;
            }
          }
          if (!text.empty() && !sink.write(text.data(), text.size())) return false;
          if (done) sink.done();
          return true;
        });
    return base::Status::Ok();
  });
}

}  // namespace contactsync::http
