#pragma once

// Running a saved sync, shared by the faces (CLI, HTTP): loading a saved
// definition, the save-time checks against its live connection, Test and Run
// through the engine, and the JSON forms of runs and reports. What each face
// adds (a progress bar and Ctrl-C in the CLI; background workers and
// server-sent events in the server) stays in the face.
//
// Thread safety: as the store and Connections passed in (one thread).

#include <string>

#include <nlohmann/json.hpp>

#include "app/connections.h"
#include "base/status.h"
#include "store/contact_store.h"
#include "sync/checks.h"
#include "sync/definition.h"
#include "sync/engine.h"

namespace contactsync::app {

// The saved sync `name`, parsed. kNotFound for an unknown sync; kInternal
// when the stored text no longer parses.
base::Result<sync::SyncDefinition> LoadSync(store::ContactStore& store, const std::string& name);

// Every save-time check (sync::CheckDefinition) of `definition` against its
// saved connection, opened for the purpose.
base::Result<sync::Plan> CheckAgainstConnection(const sync::SyncDefinition& definition,
                                                Connections& connections,
                                                store::ContactStore& store);

// Opens the definition's connection and runs (or, with options.dry_run,
// tests) it: sync::Execute with its contract (a Status only when no run could
// start; otherwise the report, whatever the outcome).
base::Result<sync::RunReport> ExecuteSync(const sync::SyncDefinition& definition,
                                          Connections& connections, store::ContactStore& store,
                                          const sync::EngineOptions& options);

// JSON forms, as `contactsync --json` prints them.
nlohmann::json CountsToJson(const store::RunCounts& counts);
nlohmann::json RunToJson(const store::RunRecord& run);
nlohmann::json FailureToJson(const store::RunFailure& failure);
nlohmann::json ReportToJson(const sync::RunReport& report);

}  // namespace contactsync::app
