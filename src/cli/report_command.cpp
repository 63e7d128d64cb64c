// `contactsync report RUN_ID [--failures-csv FILE]`.

#include <fstream>

#include <fmt/format.h>

#include "cli/command_context.h"
#include "cli/sync_output.h"
#include "sync/report.h"

namespace contactsync::cli {

void AddReportCommand(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("report", "Show a sync run's report");
  auto run_id = std::make_shared<int64_t>(0);
  auto csv = std::make_shared<std::string>();
  cmd->add_option("run_id", *run_id, "Run id (see: contactsync sync runs NAME)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--failures-csv", *csv, "Write every failed row to FILE as CSV");
  cmd->callback([&ctx, run_id, csv] {
    ctx.action = [&ctx, run_id, csv]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const store::RunRecord run, store->GetRun(*run_id));
      CS_ASSIGN_OR_RETURN(const std::vector<store::RunFailure> failures,
                          store->GetRunFailures(*run_id));
      if (!csv->empty()) {
        std::ofstream file(*csv, std::ios::binary | std::ios::trunc);
        file << sync::FailuresCsv(failures);
        file.close();
        if (!file) return base::Unavailable(fmt::format("cannot write {}", *csv));
      }
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json json = RunToJson(run);
        nlohmann::json list = nlohmann::json::array();
        for (const auto& f : failures) list.push_back(FailureToJson(f));
        json["failures"] = list;
        out.Json(json);
        return base::Status::Ok();
      }
      sync::RunReport report;
      report.run_id = run.id;
      report.state = run.state;
      report.message = run.message;
      report.sql = run.sql;
      report.duration_ms = run.duration_ms;
      report.counts = run.counts;
      report.deletion_note = run.deletion_note;
      report.failures = failures;
      out.Line(fmt::format("Sync '{}', started {} by {}", run.sync_name, run.started_at,
                           run.started_by));
      PrintReport(out, report, 20);
      if (!csv->empty()) {
        out.Line(fmt::format("Wrote {} failed rows to {}", failures.size(), *csv));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace contactsync::cli
