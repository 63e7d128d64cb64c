#pragma once

// What the sync, report and demo commands share: running a saved sync with a
// progress display and Ctrl-C cancellation, and printing runs and reports as
// text. Loading, checking, executing and the JSON forms are app/sync_runs.h,
// shared with the HTTP server.

#include <string>

#include <nlohmann/json.hpp>

#include "app/sync_runs.h"
#include "base/status.h"
#include "cli/command_context.h"
#include "store/sync_store.h"
#include "sync/definition.h"
#include "sync/engine.h"

namespace contactsync::cli {

using app::FailureToJson;
using app::LoadSync;
using app::ReportToJson;
using app::RunToJson;

// Opens the sync's connection and runs (or tests) it. Progress goes to
// stderr: a redrawn bar when stderr is a terminal, one plain line per second
// otherwise (none with --json). While it runs, Ctrl-C (SIGINT) cancels it
// cleanly. Returns the report whatever the run's outcome; a Status when no
// run could start.
base::Result<sync::RunReport> RunWithProgress(CommandContext& ctx,
                                              const sync::SyncDefinition& definition, bool dry_run);

// The report in text (counts, SQL, first failures, sample).
void PrintReport(Output& out, const sync::RunReport& report, size_t max_failures = 10);

// OK for a succeeded run; kCancelled "cancelled" or the run's failure
// otherwise, so that the command exits 1.
base::Status RunOutcome(const sync::RunReport& report);

}  // namespace contactsync::cli
