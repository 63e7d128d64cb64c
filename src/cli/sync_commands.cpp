// `contactsync sync create|edit|ls|show|test|run|rm|runs`.

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "app/mail_setup.h"
#include "base/text.h"
#include "cli/command_context.h"
#include "cli/sync_output.h"
#include "sync/checks.h"
#include "sync/definition.h"

namespace contactsync::cli {
namespace {

base::Result<std::string> ReadDefinitionFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::NotFound(fmt::format("cannot read {}", base::Printable(path)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Parses the file and runs every save-time check against the live source.
base::Result<sync::SyncDefinition> CheckedDefinition(CommandContext& ctx, const std::string& path) {
  CS_ASSIGN_OR_RETURN(const std::string text, ReadDefinitionFile(path));
  base::Result<sync::SyncDefinition> definition = sync::ParseDefinition(text);
  if (!definition.ok()) return definition.status().WithContext(fmt::format("{}: ", path));
  CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
  CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
  CS_RETURN_IF_ERROR(
      app::CheckAgainstConnection(*definition, *connections, *store, *store).status());
  return definition;
}

// The one-line warning of a sync that would queue mail nobody can send yet.
void PrintWarning(Output& out, const std::optional<std::string>& warning) {
  if (warning) out.Line("Warning: " + *warning);
}

base::Status PrintSaved(CommandContext& ctx, const sync::SyncDefinition& definition,
                        std::string_view verb) {
  CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
  CS_ASSIGN_OR_RETURN(const std::optional<std::string> warning,
                      app::UnsendableMailWarning(*store, definition));
  Output out = ctx.out();
  if (out.json()) {
    nlohmann::json saved = nlohmann::json::parse(sync::SerializeDefinition(definition));
    saved["warnings"] = app::WarningsJson(warning);
    out.Json(saved);
  } else {
    out.Line(fmt::format("{} sync '{}' ({} -> list '{}'). Try: contactsync sync test '{}'", verb,
                         definition.name, definition.connection, definition.list, definition.name));
    PrintWarning(out, warning);
  }
  return base::Status::Ok();
}

void AddCreate(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("create", "Check and save a sync definition (JSON file)");
  auto file = std::make_shared<std::string>();
  cmd->add_option("--file", *file, "The sync definition (JSON, docs/spec.md §3)")->required();
  cmd->callback([&ctx, file] {
    ctx.action = [&ctx, file]() -> base::Status {
      CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, CheckedDefinition(ctx, *file));
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(
          store->CreateSync(definition.name, sync::SerializeDefinition(definition)).status());
      return PrintSaved(ctx, definition, "Created");
    };
  });
}

void AddEdit(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("edit", "Replace a sync's definition (JSON file)");
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("name", *name, "Sync name")->required();
  cmd->add_option("--file", *file, "The new definition; its name may rename the sync")->required();
  cmd->callback([&ctx, name, file] {
    ctx.action = [&ctx, name, file]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->GetSync(*name).status());
      CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, CheckedDefinition(ctx, *file));
      CS_RETURN_IF_ERROR(
          store->UpdateSync(*name, definition.name, sync::SerializeDefinition(definition))
              .status());
      return PrintSaved(ctx, definition, "Updated");
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show all syncs with their last run");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const std::vector<store::SyncRecord> records, store->GetSyncs());
      nlohmann::json array = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows;
      for (const store::SyncRecord& record : records) {
        CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, LoadSync(*store, record.name));
        CS_ASSIGN_OR_RETURN(const std::vector<store::RunRecord> runs, store->GetRuns(record.name));
        nlohmann::json last = runs.empty() ? nlohmann::json() : RunToJson(runs.front());
        array.push_back({{"name", record.name},
                         {"connection", definition.connection},
                         {"list", definition.list},
                         {"created_at", record.created_at},
                         {"updated_at", record.updated_at},
                         {"last_run", last}});
        rows.push_back(
            {record.name, definition.connection, definition.list,
             runs.empty() ? "-" : runs.front().started_at,
             runs.empty() ? "never run" : std::string(store::RunStateName(runs.front().state))});
      }
      Output out = ctx.out();
      if (out.json()) {
        out.Json(array);
      } else if (rows.empty()) {
        out.Line("No syncs yet. Create one with: contactsync sync create --file sync.json");
      } else {
        out.Table({"NAME", "CONNECTION", "LIST", "LAST RUN", "RESULT"}, rows);
      }
      return base::Status::Ok();
    };
  });
}

void AddShow(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("show", "Show a sync's definition (--json: the file form)");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "Sync name")->required();
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, LoadSync(*store, *name));
      Output out = ctx.out();
      if (out.json()) {
        // The same form `sync create --file` reads, keys in the same order.
        out.Line(sync::DefinitionToJson(definition)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
        return base::Status::Ok();
      }
      out.Line(fmt::format("Sync:                {}", definition.name));
      out.Line(fmt::format("Connection:          {}", definition.connection));
      out.Line(fmt::format("List:                {}", definition.list));
      out.Line(fmt::format("Status:              {}", sync::EntryStatusName(definition.status)));
      out.Line(
          definition.source.query.empty()
              ? fmt::format("Source table:        {}{}",
                            definition.source.schema.empty() ? "" : definition.source.schema + ".",
                            definition.source.table)
              : fmt::format("Source query:        {}", definition.source.query));
      for (const auto& entry : definition.mapping) {
        out.Line(fmt::format("Map:                 {} -> {}", base::Printable(entry.column),
                             mapping::TargetName(entry.target)));
      }
      out.Line(fmt::format("Rules:               {} ({} conditions)",
                           query::MatchName(definition.rules.match),
                           definition.rules.rules.size()));
      for (const auto& rule : definition.rules.rules) {
        std::string values;
        for (const auto& v : rule.values) values += " '" + base::Printable(v) + "'";
        out.Line(fmt::format("  {} {}{}", base::Printable(rule.column), query::RuleOpName(rule.op),
                             values));
      }
      out.Line(fmt::format("Update existing:     {}", definition.update_existing ? "yes" : "no"));
      out.Line(fmt::format("Delete not affected: {} (max fraction {})",
                           definition.delete_not_affected ? "yes" : "no",
                           definition.max_delete_fraction));
      return base::Status::Ok();
    };
  });
}

void AddRunOrTest(CLI::App& group, CommandContext& ctx, bool dry_run) {
  auto* cmd = group.add_subcommand(
      dry_run ? "test" : "run",
      dry_run ? "Dry run: read and check everything, report what a run would do, write nothing"
              : "Run a sync now, with progress (Ctrl-C cancels cleanly)");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "Sync name")->required();
  cmd->callback([&ctx, name, dry_run] {
    ctx.action = [&ctx, name, dry_run]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition, LoadSync(*store, *name));
      // A test queues nothing; a run is warned before it starts, so that it can be stopped.
      std::optional<std::string> warning;
      if (!dry_run) {
        CS_ASSIGN_OR_RETURN(warning, app::UnsendableMailWarning(*store, definition));
      }
      Output out = ctx.out();
      if (!out.json()) PrintWarning(out, warning);
      CS_ASSIGN_OR_RETURN(const sync::RunReport report, RunWithProgress(ctx, definition, dry_run));
      if (out.json()) {
        nlohmann::json json = ReportToJson(report);
        if (!dry_run) json["warnings"] = app::WarningsJson(warning);
        out.Json(json);
      } else {
        PrintReport(out, report);
      }
      return RunOutcome(report);
    };
  });
}

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("rm", "Delete a sync and its run reports (contacts stay)");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "Sync name")->required();
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->DeleteSync(*name));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *name}});
      } else {
        out.Line(fmt::format("Deleted sync '{}'.", *name));
      }
      return base::Status::Ok();
    };
  });
}

void AddRuns(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("runs", "Show a sync's runs, newest first");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "Sync name")->required();
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const std::vector<store::RunRecord> runs, store->GetRuns(*name));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& run : runs) array.push_back(RunToJson(run));
        out.Json(array);
        return base::Status::Ok();
      }
      if (runs.empty()) {
        out.Line(fmt::format("Sync '{}' has not run yet.", *name));
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& run : runs) {
        const auto& c = run.counts;
        rows.push_back({std::to_string(run.id), run.started_at,
                        std::string(store::RunStateName(run.state)), std::to_string(c.selected),
                        std::to_string(c.added), std::to_string(c.updated),
                        std::to_string(c.unchanged), std::to_string(c.skipped),
                        std::to_string(c.failed), std::to_string(c.deleted)});
      }
      out.Table({"RUN", "STARTED", "STATE", "SELECTED", "ADDED", "UPDATED", "UNCHANGED", "SKIPPED",
                 "FAILED", "DELETED"},
                rows);
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddSyncCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("sync", "Database Sync: import contacts from a database");
  group->require_subcommand(1);
  AddCreate(*group, ctx);
  AddEdit(*group, ctx);
  AddLs(*group, ctx);
  AddShow(*group, ctx);
  AddRunOrTest(*group, ctx, /*dry_run=*/true);
  AddRunOrTest(*group, ctx, /*dry_run=*/false);
  AddRm(*group, ctx);
  AddRuns(*group, ctx);
}

}  // namespace contactsync::cli
