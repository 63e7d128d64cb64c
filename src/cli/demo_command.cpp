// `contactsync demo`: the quick start's main job. Generates a sample shop
// database, sets up a connection, list, fields and a sync over it, runs the
// sync with the progress display and prints the report. Repeatable: what
// exists is kept, so a second demo shows an unchanged re-sync.

#include <filesystem>

#include <fmt/format.h>

#include "app/connections.h"
#include "app/data_dir.h"
#include "cli/command_context.h"
#include "cli/sync_output.h"
#include "sync/checks.h"
#include "sync/demo_source.h"

namespace contactsync::cli {
namespace {

constexpr std::string_view kConnection = "demo-shop";
constexpr std::string_view kList = "Newsletter";
constexpr std::string_view kSync = "Demo shop customers";

bool IsNotFound(const base::Status& status) { return status.code() == base::ErrorCode::kNotFound; }

sync::SyncDefinition DemoDefinition() {
  sync::SyncDefinition d;
  d.name = std::string(kSync);
  d.connection = std::string(kConnection);
  d.list = std::string(kList);
  d.status = store::SyncEntryStatus::kActive;
  d.source.table = "customers";
  const std::pair<const char*, const char*> mapping[] = {{"email", "email"},
                                                         {"first_name", "first_name"},
                                                         {"last_name", "last_name"},
                                                         {"city", "%CITY%"},
                                                         {"signup_date", "%SIGNUP%"}};
  for (const auto& [column, target] : mapping) {
    d.mapping.push_back({column, *mapping::ParseTarget(target)});
  }
  d.rules.match = query::Match::kAll;
  d.rules.rules = {{"newsletter", query::RuleOp::kEquals, {"1"}},
                   {"is_test", query::RuleOp::kEquals, {"0"}}};
  return d;
}

base::Status SetUp(CommandContext& ctx, const sync::DemoSource& demo, Output& out) {
  CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
  CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
  if (base::Status found = connections->Get(std::string(kConnection)).status(); !found.ok()) {
    if (!IsNotFound(found)) return found;
    source::ConnectionSettings settings;
    settings.type = source::SourceType::kSqlite;
    settings.database = demo.path;
    CS_RETURN_IF_ERROR(connections->Add(std::string(kConnection), settings).status());
    if (!out.json()) out.Line(fmt::format("Saved connection '{}' (sqlite).", kConnection));
  }
  if (base::Status found = store->GetList(kList).status(); !found.ok()) {
    if (!IsNotFound(found)) return found;
    CS_RETURN_IF_ERROR(store
                           ->CreateList({std::string(kList), "Demo Shop", "news@shop.example",
                                         "Customers of the demo shop"})
                           .status());
    if (!out.json()) out.Line(fmt::format("Created list '{}'.", kList));
  }
  CS_ASSIGN_OR_RETURN(const std::vector<store::CustomField> fields, store->GetFields());
  const std::pair<const char*, model::FieldType> wanted[] = {{"CITY", model::FieldType::kText},
                                                             {"SIGNUP", model::FieldType::kDate}};
  for (const auto& [key, type] : wanted) {
    const std::string_view wanted_key = key;
    const bool exists = std::any_of(fields.begin(), fields.end(),
                                    [&](const auto& f) { return f.definition.key == wanted_key; });
    if (exists) continue;
    model::FieldDefinition field;
    field.key = key;
    field.label = key == std::string_view("CITY") ? "City" : "Signed up";
    field.type = type;
    CS_RETURN_IF_ERROR(store->CreateField(field).status());
    if (!out.json()) out.Line(fmt::format("Created custom field %{}%.", key));
  }
  // Customers who left the newsletter before: the sync must not bring them back.
  int unsubscribed = 0;
  for (const std::string& email : demo.unsubscribed) {
    if (base::Status found = store->GetContact(email).status(); found.ok()) continue;
    store::ContactChange change;
    change.contact.email = email;
    change.list = std::string(kList);
    change.status = model::SubscriptionStatus::kUnsubscribed;
    change.cause = {model::CauseKind::kCli, "demo"};
    CS_RETURN_IF_ERROR(store->SaveContact(change).status());
    ++unsubscribed;
  }
  if (unsubscribed > 0 && !out.json()) {
    out.Line(
        fmt::format("Marked {} customers as unsubscribed from '{}' (they unsubscribed "
                    "before; the sync must not re-subscribe them).",
                    unsubscribed, kList));
  }
  if (base::Status found = store->GetSync(kSync).status(); !found.ok()) {
    if (!IsNotFound(found)) return found;
    const sync::SyncDefinition definition = DemoDefinition();
    CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings,
                        ctx.ConnectionSettings(definition.connection));
    CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> source,
                        source::OpenSource(settings));
    CS_RETURN_IF_ERROR(
        sync::CheckDefinition(definition, settings, *source, *store, *store).status());
    CS_RETURN_IF_ERROR(
        store->CreateSync(definition.name, sync::SerializeDefinition(definition)).status());
    if (!out.json()) {
      out.Line(fmt::format("Created sync '{}' (see: contactsync sync show '{}').", kSync, kSync));
    }
  }
  return base::Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "demo", "Generate a sample shop database, sync it into a list and show the report");
  auto rows = std::make_shared<int>(3000);
  cmd->add_option("--rows", *rows, "Customers in a newly generated sample database")
      ->check(CLI::Range(10, 10000000));
  cmd->callback([&ctx, rows] {
    ctx.action = [&ctx, rows]() -> base::Status {
      CS_ASSIGN_OR_RETURN(const app::Location location,
                          app::ResolveLocation(ctx.options.data_dir, ctx.options.store_url));
      std::string dir = location.data_dir;
      if (dir.empty()) {
        return base::InvalidArgument(
            "demo writes its sample database into the data directory; "
            "run it with --data-dir instead of --store");
      }
      CS_RETURN_IF_ERROR(ctx.Store().status());  // creates the data directory
      const std::string path = (std::filesystem::path(dir) / "demo-shop.db").string();
      const bool existed = std::filesystem::exists(path);
      CS_ASSIGN_OR_RETURN(const sync::DemoSource demo, sync::WriteDemoSource(path, *rows));
      Output out = ctx.out();
      if (!out.json()) {
        out.Line(existed ? fmt::format("Using the sample shop database {}", path)
                         : fmt::format("Generated a sample shop database: {} ({} customers, "
                                       "with blank, invalid and duplicate emails)",
                                       path, demo.rows));
      }
      CS_RETURN_IF_ERROR(SetUp(ctx, demo, out));
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const sync::SyncDefinition definition,
                          LoadSync(*store, std::string(kSync)));
      if (!out.json()) out.Line(fmt::format("Running sync '{}'...", kSync));
      CS_ASSIGN_OR_RETURN(const sync::RunReport report, RunWithProgress(ctx, definition, false));
      if (out.json()) {
        out.Json(ReportToJson(report));
      } else {
        PrintReport(out, report);
        out.Line(
            fmt::format("Next: contactsync sync runs '{}' | contactsync report {} | "
                        "contactsync contact ls --list {}",
                        kSync, report.run_id, kList));
      }
      return RunOutcome(report);
    };
  });
}

}  // namespace contactsync::cli
