#pragma once

// What every command handler gets: the global options, the store (opened on
// first use, so that `--help` and usage errors never touch the disk), and the
// output in the chosen form (text or --json).
//
// Handlers are registered in a parse-time callback that checks usage (throwing
// CLI::ValidationError, which exits 2) and stores the work as an Action that
// main runs after parsing; the Action's Status decides exit 0 or 1.

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/connections.h"
#include "base/status.h"
#include "http/server.h"
#include "secrets/secret_box.h"
#include "source/source.h"
#include "store/store.h"

namespace contactsync::cli {

struct GlobalOptions {
  std::string data_dir;
  std::string store_url;
  bool json = false;
};

// Text or JSON printing to one stream. In JSON mode each command prints one
// JSON document; in text mode it prints lines and tables for people.
class Output {
 public:
  Output(bool json, std::ostream& out) : json_(json), out_(out) {}

  bool json() const { return json_; }
  void Json(const nlohmann::json& document);
  void Line(std::string_view text);
  // Aligned columns under a header; cells are printed with control
  // characters escaped so that hostile values cannot move the cursor.
  void Table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows);

 private:
  bool json_;
  std::ostream& out_;
};

using Action = std::function<base::Status()>;

class CommandContext {
 public:
  CommandContext(std::ostream& out, std::ostream& err) : out_stream_(out), err_(err) {}

  GlobalOptions options;

  // Opens the store on first call (applying migrations) and keeps it.
  base::Result<store::Store*> Store();
  // How to open another instance of that store (one per thread).
  base::Result<store::StoreOptions> StoreOptions() const;

  // Where the store lives, for messages (a directory or a URL).
  base::Result<std::string> DataDirOrUrl() const;

  // Saved connections over the store, with the secret key loaded on first
  // use (created beside the store when absent).
  base::Result<app::Connections*> Connections();

  // The secret key (loaded on first use, created beside the store when
  // absent), for sealing the SMTP password and signing mail links.
  base::Result<const secrets::SecretBox*> SecretBox();

  // A saved connection's full settings (password opened) and a session on it.
  base::Result<source::ConnectionSettings> ConnectionSettings(const std::string& name);
  base::Result<std::unique_ptr<source::SourceConnector>> OpenConnection(const std::string& name);

  Output out() { return Output(options.json, out_stream_); }
  std::ostream& err() { return err_; }

  // Set by the selected subcommand's callback; run by main after parsing.
  Action action;
  // Set by an action whose failure is a usage error (exit 2, not 1): a
  // confirmation that a script did not give with --yes.
  bool usage_error = false;

  // The web UI's files that `serve` serves besides the API (wired by main,
  // so that only the executable links the embedded UI). Empty: none.
  http::AssetProvider serve_assets;

 private:
  std::ostream& out_stream_;
  std::ostream& err_;
  std::unique_ptr<store::Store> store_;
  std::optional<secrets::SecretBox> secret_box_;
  std::optional<app::Connections> connections_;
};

// Each group adds its subcommands to `app`; see the *_commands.cpp files.
void AddInitCommand(CLI::App& app, CommandContext& ctx);
void AddListCommands(CLI::App& app, CommandContext& ctx);
void AddFieldCommands(CLI::App& app, CommandContext& ctx);
void AddContactCommands(CLI::App& app, CommandContext& ctx);
void AddExclusionCommands(CLI::App& app, CommandContext& ctx);
void AddConnectionCommands(CLI::App& app, CommandContext& ctx);
void AddSyncCommands(CLI::App& app, CommandContext& ctx);   // sync_commands.cpp
void AddReportCommand(CLI::App& app, CommandContext& ctx);  // report_command.cpp
void AddDemoCommand(CLI::App& app, CommandContext& ctx);    // demo_command.cpp
void AddMailCommands(CLI::App& app,
                     CommandContext& ctx);  // mail_commands.cpp (mail, autoresponder)
void AddServeCommand(CLI::App& app, CommandContext& ctx);  // serve_command.cpp
void AddUserCommands(CLI::App& app, CommandContext& ctx);  // user_commands.cpp

}  // namespace contactsync::cli
