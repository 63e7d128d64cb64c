#pragma once

// Running a saved sync, shared by the faces (CLI, HTTP): loading a saved
// definition, the save-time checks against its live connection, Test and Run
// through the engine, and the JSON forms of runs and reports. What each face
// adds (a progress bar and Ctrl-C in the CLI; background workers and
// server-sent events in the server) stays in the face.
//
// Thread safety: as the store and Connections passed in (one thread).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/connections.h"
#include "base/status.h"
#include "store/list_store.h"
#include "store/sync_store.h"
#include "sync/checks.h"
#include "sync/definition.h"
#include "sync/engine.h"

namespace contactsync::app {

// The saved sync `name`, parsed. kNotFound for an unknown sync; kInternal
// when the stored text no longer parses.
base::Result<sync::SyncDefinition> LoadSync(store::SyncStore& store, const std::string& name);

// Every save-time check (sync::CheckDefinition) of `definition` against its
// saved connection, opened for the purpose.
base::Result<sync::Plan> CheckAgainstConnection(const sync::SyncDefinition& definition,
                                                Connections& connections, store::ListStore& lists,
                                                store::SyncStore& syncs);

// Opens the definition's connection and runs (or, with options.dry_run,
// tests) it: sync::Execute with its contract (a Status only when no run could
// start; otherwise the report, whatever the outcome).
base::Result<sync::RunReport> ExecuteSync(const sync::SyncDefinition& definition,
                                          Connections& connections, store::ListStore& lists,
                                          store::SyncStore& syncs,
                                          const sync::EngineOptions& options);

// The saved syncs whose definition imports into `list` / reads through
// `connection`, by name (ordered by name).
base::Result<std::vector<std::string>> SyncsUsingList(store::SyncStore& store,
                                                      const std::string& list);
base::Result<std::vector<std::string>> SyncsUsingConnection(store::SyncStore& store,
                                                            const std::string& connection);

// Before deleting `what` (e.g. "list 'News'"), which `syncs` use: without
// `force`, kFailedPrecondition naming them and saying `how_to_force`; with it,
// deletes those syncs (and their runs), since a sync whose list or
// connection is gone can never run again. A running sync stops it (409).
base::Status DeleteSyncsUsing(store::SyncStore& store, std::string_view what,
                              const std::vector<std::string>& syncs, bool force,
                              std::string_view how_to_force);

// "'A', 'B'": sync names for messages.
std::string QuotedNames(const std::vector<std::string>& names);

// JSON forms, as `contactsync --json` prints them.
nlohmann::json CountsToJson(const store::RunCounts& counts);
nlohmann::json RunToJson(const store::RunRecord& run);
nlohmann::json FailureToJson(const store::RunFailure& failure);
nlohmann::json ReportToJson(const sync::RunReport& report);

}  // namespace contactsync::app
