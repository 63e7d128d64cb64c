#include "app/sync_runs.h"

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::app {

base::Result<sync::SyncDefinition> LoadSync(store::ContactStore& store, const std::string& name) {
  CS_ASSIGN_OR_RETURN(const store::SyncRecord record, store.GetSync(name));
  base::Result<sync::SyncDefinition> definition = sync::ParseDefinition(record.definition_json);
  if (!definition.ok()) {
    return base::Internal(fmt::format("the stored definition of sync '{}' is unreadable: {}",
                                      base::Printable(name), definition.status().message()));
  }
  return definition;
}

base::Result<sync::Plan> CheckAgainstConnection(const sync::SyncDefinition& definition,
                                                Connections& connections,
                                                store::ContactStore& store) {
  CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings,
                      connections.Settings(definition.connection));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> source,
                      source::OpenSource(settings));
  return sync::CheckDefinition(definition, settings, *source, store);
}

base::Result<sync::RunReport> ExecuteSync(const sync::SyncDefinition& definition,
                                          Connections& connections, store::ContactStore& store,
                                          const sync::EngineOptions& options) {
  CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings,
                      connections.Settings(definition.connection));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> source,
                      source::OpenSource(settings));
  return sync::Execute(definition, settings, *source, store, options);
}

nlohmann::json CountsToJson(const store::RunCounts& c) {
  return {{"selected", c.selected},   {"added", c.added},     {"updated", c.updated},
          {"unchanged", c.unchanged}, {"skipped", c.skipped}, {"failed", c.failed},
          {"deleted", c.deleted}};
}

nlohmann::json FailureToJson(const store::RunFailure& f) {
  return {{"row", f.row_number}, {"email", f.email}, {"reason", f.reason}, {"message", f.message}};
}

nlohmann::json RunToJson(const store::RunRecord& run) {
  return {
      {"id", run.id},
      {"sync", run.sync_name},
      {"state", std::string(store::RunStateName(run.state))},
      {"started_by", run.started_by},
      {"started_at", run.started_at},
      {"finished_at", run.finished_at.empty() ? nlohmann::json() : nlohmann::json(run.finished_at)},
      {"duration_ms", run.duration_ms},
      {"message", run.message},
      {"sql", run.sql},
      {"deletion_note", run.deletion_note},
      {"counts", CountsToJson(run.counts)}};
}

nlohmann::json ReportToJson(const sync::RunReport& report) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : report.failures) failures.push_back(FailureToJson(f));
  nlohmann::json sample = nlohmann::json::array();
  for (const auto& row : report.sample) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [target, value] : row.values) values[target] = value;
    sample.push_back({{"row", row.row_number}, {"values", values}});
  }
  nlohmann::json json = {
      {"run_id", report.run_id == 0 ? nlohmann::json() : nlohmann::json(report.run_id)},
      {"dry_run", report.dry_run},
      {"state", std::string(store::RunStateName(report.state))},
      {"message", report.message},
      {"started_by", report.started_by},
      {"started_at", report.started_at},
      {"duration_ms", report.duration_ms},
      {"sql", report.sql},
      {"counts", CountsToJson(report.counts)},
      {"deletion_note", report.deletion_note},
      {"failures", failures}};
  if (report.dry_run) json["sample"] = sample;
  return json;
}

}  // namespace contactsync::app
