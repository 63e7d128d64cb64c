// contactsync's command line: parses, runs the chosen command, and turns the
// outcome into an exit status (0 success, 2 usage error, 1 anything else).

#include <sys/stat.h>

#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/json_codec.h"
#include "cli/command_context.h"
#include "web/assets.h"

namespace contactsync::cli {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void ReportError(CommandContext& ctx, const base::Status& status) {
  if (ctx.options.json) {
    ctx.err() << app::ErrorToJson(status).dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    ctx.err() << "error: " << status.message() << '\n';
  }
}

int Run(int argc, char** argv) {
  CommandContext ctx(std::cout, std::cerr);
  // `serve` serves the web UI embedded in the binary (src/web).
  ctx.serve_assets = [](std::string_view path) -> std::optional<http::StaticAsset> {
    const web::Asset* asset = web::FindAsset(path);
    if (asset == nullptr) return std::nullopt;
    return http::StaticAsset{asset->content_type, asset->body};
  };
  CLI::App app{
      "contactsync: a self-hosted contact manager whose core is Database Sync.\n"
      "Data lives in --data-dir (default $CONTACTSYNC_DATA_DIR, else "
      "~/.local/share/contactsync).",
      "contactsync"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  app.fallthrough();
  auto* data_dir = app.add_option("--data-dir", ctx.options.data_dir,
                                  "Directory holding the SQLite store (created when missing)");
  app.add_option("--store", ctx.options.store_url,
                 "Store URL instead of --data-dir: sqlite:///path/file.db or "
                 "postgresql://user@host:port/db (default $CONTACTSYNC_STORE)")
      ->excludes(data_dir);
  app.add_flag("--json", ctx.options.json, "Print machine-readable JSON");

  AddInitCommand(app, ctx);
  AddListCommands(app, ctx);
  AddFieldCommands(app, ctx);
  AddContactCommands(app, ctx);
  AddExclusionCommands(app, ctx);
  AddConnectionCommands(app, ctx);
  AddSyncCommands(app, ctx);
  AddReportCommand(app, ctx);
  AddDemoCommand(app, ctx);
  AddMailCommands(app, ctx);
  AddServeCommand(app, ctx);
  AddUserCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!ctx.action) {
    std::cerr << app.help();
    return kExitUsage;
  }
  base::Status status = ctx.action();
  if (!status.ok()) {
    ReportError(ctx, status);
    return ctx.usage_error ? kExitUsage : kExitFailure;
  }
  return 0;
}

}  // namespace
}  // namespace contactsync::cli

int main(int argc, char** argv) {
  // Everything contactsync creates (store, secret key, reports, exports)
  // holds personal data or secrets: private to the user who runs it.
  umask(077);
  // Expected failures are Status values; an exception here is a bug, reported
  // once instead of aborting with a core dump.
  try {
    return contactsync::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << '\n';
    return 1;
  }
}
