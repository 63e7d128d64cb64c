#include "app/sync_runs.h"

#include <optional>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::app {

base::Result<sync::SyncDefinition> LoadSync(store::SyncStore& store, const std::string& name) {
  CS_ASSIGN_OR_RETURN(const store::SyncRecord record, store.GetSync(name));
  base::Result<sync::SyncDefinition> definition = sync::ParseDefinition(record.definition_json);
  if (!definition.ok()) {
    return base::Internal(fmt::format("the stored definition of sync '{}' is unreadable: {}",
                                      base::Printable(name), definition.status().message()));
  }
  return definition;
}

base::Result<sync::Plan> CheckAgainstConnection(const sync::SyncDefinition& definition,
                                                Connections& connections, store::ListStore& lists,
                                                store::SyncStore& syncs) {
  CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings,
                      connections.Settings(definition.connection));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> source,
                      source::OpenSource(settings));
  return sync::CheckDefinition(definition, settings, *source, lists, syncs);
}

base::Result<sync::RunReport> ExecuteSync(const sync::SyncDefinition& definition,
                                          Connections& connections, store::ListStore& lists,
                                          store::SyncStore& syncs,
                                          const sync::EngineOptions& options) {
  CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings,
                      connections.Settings(definition.connection));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> source,
                      source::OpenSource(settings));
  return sync::Execute(definition, settings, *source, lists, syncs, options);
}

namespace {

// The saved syncs for which `uses` is true of their definition.
template <typename Uses>
base::Result<std::vector<std::string>> SyncsWhere(store::SyncStore& store, Uses uses) {
  CS_ASSIGN_OR_RETURN(const std::vector<store::SyncRecord> records, store.GetSyncs());
  std::vector<std::string> names;
  for (const store::SyncRecord& record : records) {
    CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, LoadSync(store, record.name));
    if (uses(definition)) names.push_back(record.name);
  }
  return names;
}

}  // namespace

base::Result<std::vector<std::string>> SyncsUsingList(store::SyncStore& store,
                                                      const std::string& list) {
  return SyncsWhere(store, [&](const sync::SyncDefinition& d) { return d.list == list; });
}

base::Result<std::vector<std::string>> SyncsUsingConnection(store::SyncStore& store,
                                                            const std::string& connection) {
  return SyncsWhere(store,
                    [&](const sync::SyncDefinition& d) { return d.connection == connection; });
}

std::string QuotedNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += fmt::format("'{}'", base::Printable(name, 255));
  }
  return out;
}

base::Status DeleteSyncsUsing(store::SyncStore& store, std::string_view what,
                              const std::vector<std::string>& syncs, bool force,
                              std::string_view how_to_force) {
  if (syncs.empty()) return base::Status::Ok();
  if (!force) {
    return base::FailedPrecondition(fmt::format(
        "{} is used by {} {}; edit or delete {} first, or {} to delete {} with it", what,
        syncs.size() == 1 ? "the sync" : "the syncs", QuotedNames(syncs),
        syncs.size() == 1 ? "it" : "them", how_to_force, syncs.size() == 1 ? "it" : "them"));
  }
  // All or nothing, as far as it depends on us: no sync is deleted while one runs.
  for (const std::string& name : syncs) {
    CS_ASSIGN_OR_RETURN(const std::optional<store::RunRecord> running, store.GetRunningRun(name));
    if (running) {
      return base::FailedPrecondition(
          fmt::format("sync '{}' is running (run {}); let it finish or cancel it, then delete {}",
                      base::Printable(name, 255), running->id, what));
    }
  }
  for (const std::string& name : syncs) CS_RETURN_IF_ERROR(store.DeleteSync(name));
  return base::Status::Ok();
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
