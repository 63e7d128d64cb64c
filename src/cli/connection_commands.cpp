// `contactsync connection add|edit|ls|show|test|tables|columns|preview|rm`.

#include <optional>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/connections.h"
#include "app/json_codec.h"
#include "app/source_queries.h"
#include "app/sync_runs.h"
#include "base/text.h"
#include "cli/command_context.h"
#include "cli/password_input.h"
#include "source/source.h"

namespace contactsync::cli {
namespace {

const std::vector<std::string> kTypes{"mysql", "mariadb", "postgresql", "postgres", "sqlite"};
const std::vector<std::string> kTlsModes{"disable", "prefer", "require", "verify_ca"};

nlohmann::json ViewToJson(const app::ConnectionView& view) { return app::ToJson(view); }

std::string Where(const app::ConnectionView& view) {
  const source::ConnectionSettings& s = view.settings;
  if (s.type == source::SourceType::kSqlite) return fmt::format("sqlite file {}", s.database);
  return fmt::format("{} {}@{}:{}/{}", source::SourceTypeName(s.type), s.user, s.host,
                     source::EffectivePort(s), s.database);
}

std::string Cell(const source::Value& value) { return app::CellForDisplay(value, "NULL"); }

nlohmann::json CellJson(const source::Value& value) {
  switch (value.state()) {
    case source::Value::State::kNull:
      return nullptr;
    case source::Value::State::kText:
      return value.bytes();
    case source::Value::State::kBinary:
    case source::Value::State::kBadText:
      return {{"state", value.state() == source::Value::State::kBinary ? "binary" : "bad_text"},
              {"bytes", value.bytes().size()}};
  }
  return nullptr;
}

constexpr const char* kAllowPrivilegedHelp =
    "Allow custom queries even when the account can write or is privileged (not advised: "
    "use a SELECT-only account; see docs/read-only.md)";

void AddPolicyOptions(CLI::App& cmd, std::vector<std::string>& allowed_functions) {
  cmd.add_option("--allow-function", allowed_functions,
                 "A user-defined function custom queries may call (NAME or SCHEMA.NAME; "
                 "repeatable). contactsync cannot see inside it")
      ->allow_extra_args(false);
}

// What the owner should know about the policy they chose, in plain text.
void PrintPolicyWarnings(Output& out, const app::ConnectionView& view) {
  const source::ConnectionSettings& s = view.settings;
  if (!s.allowed_functions.empty()) {
    out.Line(fmt::format(
        "Warning: custom queries may call {}; contactsync cannot see inside these functions, "
        "so what they do is up to whoever wrote them.",
        base::Printable(fmt::format("{}", fmt::join(s.allowed_functions, ", ")), 300)));
  }
  if (s.allow_custom_query_with_privileged_account) {
    out.Line(
        "Warning: custom queries are allowed even if the account can write or is privileged; "
        "a SELECT-only account is the safe choice (docs/read-only.md).");
  }
}

// What `connection test` says of custom queries on an account that can write
// or is privileged (sync::CheckCustomQueryAllowed decides).
std::string CustomQueryNote(const app::ConnectionView& view) {
  if (view.settings.allow_custom_query_with_privileged_account) {
    return "Custom queries are allowed on this account by the connection's settings.";
  }
  return fmt::format(
      "Custom queries are refused on this account (table syncs with rules still work): use a "
      "SELECT-only account, or allow them with: contactsync connection edit {} "
      "--allow-custom-query-with-privileged-account true",
      base::Printable(view.name, 255));
}

void AddAdd(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("add", "Save a connection to an external database");
  struct Args {
    std::string name, type, host = "127.0.0.1", user, database, tls = "prefer", ca_file;
    int port = 0, connect_timeout = 10, query_timeout = 300;
    bool password_stdin = false;
    std::vector<std::string> allowed_functions;
    bool allow_privileged = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("name", args->name, "Connection name (unique)")->required();
  cmd->add_option("--type", args->type, "Database type")->required()->check(CLI::IsMember(kTypes));
  cmd->add_option("--host", args->host, "Server host")->capture_default_str();
  cmd->add_option("--port", args->port, "Server port (default: the type's)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--user", args->user, "Account (give it SELECT only; see docs/read-only.md)");
  cmd->add_option("--database", args->database, "Database name, or the file for sqlite")
      ->required();
  cmd->add_option("--tls", args->tls, "TLS mode")
      ->check(CLI::IsMember(kTlsModes))
      ->capture_default_str();
  cmd->add_option("--ca-file", args->ca_file, "CA certificate (PEM) for --tls verify_ca");
  cmd->add_option("--connect-timeout", args->connect_timeout, "Seconds")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--query-timeout", args->query_timeout, "Seconds per query")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_flag("--password-stdin", args->password_stdin,
                "Read the password from the first line of standard input");
  AddPolicyOptions(*cmd, args->allowed_functions);
  cmd->add_flag("--allow-custom-query-with-privileged-account", args->allow_privileged,
                kAllowPrivilegedHelp);
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> base::Status {
      source::ConnectionSettings settings;
      settings.allowed_functions = args->allowed_functions;
      settings.allow_custom_query_with_privileged_account = args->allow_privileged;
      CS_ASSIGN_OR_RETURN(settings.type, source::ParseSourceType(args->type));
      CS_ASSIGN_OR_RETURN(settings.tls_mode, source::ParseTlsMode(args->tls));
      settings.host = args->host;
      settings.port = args->port;
      settings.user = args->user;
      settings.database = args->database;
      settings.tls_ca_file = args->ca_file;
      settings.connect_timeout_s = args->connect_timeout;
      settings.query_timeout_s = args->query_timeout;
      if (args->password_stdin) {
        CS_ASSIGN_OR_RETURN(settings.password, ReadPasswordLine());
      } else if (settings.type != source::SourceType::kSqlite) {
        CS_ASSIGN_OR_RETURN(auto typed, PromptPassword(fmt::format(
                                            "Password for {}@{}: ", settings.user, settings.host)));
        settings.password = typed.value_or("");
      }
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(app::ConnectionView view, connections->Add(args->name, settings));
      Output out = ctx.out();
      if (out.json()) {
        out.Json(ViewToJson(view));
      } else {
        out.Line(fmt::format("Saved connection '{}' ({}).", base::Printable(view.name, 255),
                             base::Printable(Where(view), 300)));
        PrintPolicyWarnings(out, view);
        out.Line(fmt::format("Check it with: contactsync connection test {}",
                             base::Printable(view.name, 255)));
      }
      return base::Status::Ok();
    };
  });
}

// `connection edit`: what is given replaces the saved value; the rest is kept.
struct EditArgs {
  std::string name;
  std::optional<std::string> host, user, database, tls, ca_file;
  std::optional<int> port, connect_timeout, query_timeout;
  bool password_stdin = false;
  std::vector<std::string> allowed_functions;
  bool clear_allowed_functions = false;
  std::optional<bool> allow_privileged;
};

base::Status ApplyEdit(const EditArgs& args, source::ConnectionSettings& s) {
  if (args.host) s.host = *args.host;
  if (args.port) s.port = *args.port;
  if (args.user) s.user = *args.user;
  if (args.database) s.database = *args.database;
  if (args.tls) {
    CS_ASSIGN_OR_RETURN(s.tls_mode, source::ParseTlsMode(*args.tls));
  }
  if (args.ca_file) s.tls_ca_file = *args.ca_file;
  if (args.connect_timeout) s.connect_timeout_s = *args.connect_timeout;
  if (args.query_timeout) s.query_timeout_s = *args.query_timeout;
  if (args.clear_allowed_functions) s.allowed_functions.clear();
  s.allowed_functions.insert(s.allowed_functions.end(), args.allowed_functions.begin(),
                             args.allowed_functions.end());
  if (args.allow_privileged) s.allow_custom_query_with_privileged_account = *args.allow_privileged;
  return base::Status::Ok();
}

void AddEdit(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "edit", "Change a saved connection (what is not given is kept; the type cannot change)");
  // Bound to the options; copied into `args` only when given.
  struct Given {
    std::string host, user, database, tls, ca_file;
    int port = 0, connect_timeout = 0, query_timeout = 0;
    bool allow_privileged = false;
  };
  auto args = std::make_shared<EditArgs>();
  auto given = std::make_shared<Given>();
  cmd->add_option("name", args->name, "Connection name")->required();
  auto* host = cmd->add_option("--host", given->host, "Server host");
  auto* port = cmd->add_option("--port", given->port, "Server port (0: the type's default)")
                   ->check(CLI::Range(0, 65535));
  auto* user = cmd->add_option("--user", given->user, "Account");
  auto* database =
      cmd->add_option("--database", given->database, "Database name, or the file for sqlite");
  auto* tls = cmd->add_option("--tls", given->tls, "TLS mode")->check(CLI::IsMember(kTlsModes));
  auto* ca_file =
      cmd->add_option("--ca-file", given->ca_file, "CA certificate (PEM) for --tls verify_ca");
  auto* connect_timeout = cmd->add_option("--connect-timeout", given->connect_timeout, "Seconds")
                              ->check(CLI::Range(1, 3600));
  auto* query_timeout =
      cmd->add_option("--query-timeout", given->query_timeout, "Seconds per query")
          ->check(CLI::Range(1, 86400));
  cmd->add_flag("--password-stdin", args->password_stdin,
                "Read a new password from the first line of standard input");
  AddPolicyOptions(*cmd, args->allowed_functions);
  cmd->add_flag("--clear-allowed-functions", args->clear_allowed_functions,
                "Forget the allowed functions (before adding any --allow-function given)");
  auto* allow_privileged =
      cmd->add_option("--allow-custom-query-with-privileged-account", given->allow_privileged,
                      std::string(kAllowPrivilegedHelp) + ": true or false");
  cmd->callback([&ctx, args, given, host, port, user, database, tls, ca_file, connect_timeout,
                 query_timeout, allow_privileged] {
    if (host->count() > 0) args->host = given->host;
    if (port->count() > 0) args->port = given->port;
    if (user->count() > 0) args->user = given->user;
    if (database->count() > 0) args->database = given->database;
    if (tls->count() > 0) args->tls = given->tls;
    if (ca_file->count() > 0) args->ca_file = given->ca_file;
    if (connect_timeout->count() > 0) args->connect_timeout = given->connect_timeout;
    if (query_timeout->count() > 0) args->query_timeout = given->query_timeout;
    if (allow_privileged->count() > 0) args->allow_privileged = given->allow_privileged;
    ctx.action = [&ctx, args]() -> base::Status {
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(const app::ConnectionView before, connections->Get(args->name));
      source::ConnectionSettings settings = before.settings;
      CS_RETURN_IF_ERROR(ApplyEdit(*args, settings));
      std::optional<std::string> password;
      if (args->password_stdin) {
        CS_ASSIGN_OR_RETURN(password, ReadPasswordLine());
      }
      CS_ASSIGN_OR_RETURN(const app::ConnectionView view,
                          connections->Update(before.name, settings, password));
      Output out = ctx.out();
      if (out.json()) {
        out.Json(ViewToJson(view));
        return base::Status::Ok();
      }
      out.Line(fmt::format("Saved connection '{}' ({}).", base::Printable(view.name, 255),
                           base::Printable(Where(view), 300)));
      if (!view.password_cleared_because.empty()) {
        out.Line(fmt::format(
            "The saved password was removed because {}; give it again with --password-stdin.",
            view.password_cleared_because));
      }
      PrintPolicyWarnings(out, view);
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show saved connections");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(std::vector<app::ConnectionView> views, connections->List());
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& view : views) array.push_back(ViewToJson(view));
        out.Json(array);
        return base::Status::Ok();
      }
      if (views.empty()) {
        out.Line("No connections yet. Add one with: contactsync connection add NAME --type ...");
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& view : views) {
        rows.push_back(
            {view.name, std::string(source::SourceTypeName(view.settings.type)), Where(view)});
      }
      out.Table({"NAME", "TYPE", "WHERE"}, rows);
      return base::Status::Ok();
    };
  });
}

// Subcommands that take a connection name first share this shape.
CLI::App* AddNamed(CLI::App& group, const std::string& name, const std::string& help,
                   std::shared_ptr<std::string> connection) {
  auto* cmd = group.add_subcommand(name, help);
  cmd->add_option("connection", *connection, "Connection name")->required();
  return cmd;
}

void AddShow(CLI::App& group, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto* cmd = AddNamed(group, "show", "Show a connection (never its password)", name);
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(app::ConnectionView view, connections->Get(*name));
      Output out = ctx.out();
      nlohmann::json json = ViewToJson(view);
      if (out.json()) {
        out.Json(json);
        return base::Status::Ok();
      }
      for (const auto& [key, value] : json.items()) {
        out.Line(fmt::format(
            "{:<18} {}", key + ":",
            base::Printable(value.is_string() ? value.get<std::string>() : value.dump(), 300)));
      }
      return base::Status::Ok();
    };
  });
}

void AddTest(CLI::App& group, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto* cmd =
      AddNamed(group, "test", "Connect, and report the server and the account's rights", name);
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(const app::ConnectionView view, connections->Get(*name));
      CS_ASSIGN_OR_RETURN(auto connector, connections->Open(view.name));
      CS_ASSIGN_OR_RETURN(source::SourceInfo info, connector->Check());
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"ok", true},
                  {"server_version", info.server_version},
                  {"database", info.database},
                  {"can_write", info.can_write},
                  {"privileged", info.privileged},
                  {"warning", info.warning}});
        return base::Status::Ok();
      }
      out.Line(fmt::format("OK: connected to {} ({}).", info.server_version,
                           base::Printable(info.database, 300)));
      const bool risky = info.can_write || info.privileged;
      out.Line(risky ? "Warning: " + info.warning : std::string("The account is read-only. Good."));
      if (risky) out.Line(CustomQueryNote(view));
      return base::Status::Ok();
    };
  });
}

void AddTables(CLI::App& group, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto* cmd = AddNamed(group, "tables", "List the tables and views the account can see", name);
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(auto connector, ctx.OpenConnection(*name));
      CS_ASSIGN_OR_RETURN(std::vector<source::TableInfo> tables, connector->ListTables());
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& t : tables) array.push_back(app::ToJson(t));
        out.Json(array);
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : tables) {
        rows.push_back({t.schema.empty() ? "-" : t.schema, t.name,
                        t.kind == source::TableKind::kView ? "view" : "table"});
      }
      if (!rows.empty()) out.Table({"SCHEMA", "NAME", "KIND"}, rows);
      out.Line(fmt::format("{} table(s) and view(s)", tables.size()));
      return base::Status::Ok();
    };
  });
}

struct TableArgs {
  std::string connection, table, schema;
  size_t limit = 10;
};

void AddColumns(CLI::App& group, CommandContext& ctx) {
  auto args = std::make_shared<TableArgs>();
  auto* cmd = group.add_subcommand("columns", "Describe a table's columns and their types");
  cmd->add_option("connection", args->connection, "Connection name")->required();
  cmd->add_option("table", args->table, "Table or view name, as `tables` shows it")->required();
  cmd->add_option("--schema", args->schema, "Schema (PostgreSQL)");
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> base::Status {
      CS_ASSIGN_OR_RETURN(auto connector, ctx.OpenConnection(args->connection));
      CS_ASSIGN_OR_RETURN(std::vector<source::ColumnInfo> columns,
                          connector->DescribeTable(args->schema, args->table));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& c : columns) array.push_back(app::ToJson(c));
        out.Json(array);
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : columns) {
        rows.push_back({c.name, c.declared_type.empty() ? "-" : c.declared_type,
                        std::string(source::ValueKindName(c.kind)), c.nullable ? "yes" : "no"});
      }
      out.Table({"COLUMN", "TYPE", "KIND", "NULLABLE"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddPreview(CLI::App& group, CommandContext& ctx) {
  auto args = std::make_shared<TableArgs>();
  auto sql = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand(
      "preview", "Show the first rows of a table, or of a custom SELECT query (--query)");
  cmd->add_option("connection", args->connection, "Connection name")->required();
  auto* table = cmd->add_option("table", args->table, "Table or view name, as `tables` shows it");
  auto* query = cmd->add_option("--query", *sql,
                                "A custom SELECT (checked: one statement, nothing that writes)");
  table->excludes(query);
  cmd->add_option("--schema", args->schema, "Schema (PostgreSQL)");
  cmd->add_option("--limit", args->limit, "Rows to show (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->callback([&ctx, args, sql, table, query] {
    if (table->count() == 0 && query->count() == 0) {
      throw CLI::ValidationError("preview", "give a table name or --query \"SELECT ...\"");
    }
    const bool is_query = query->count() > 0;
    ctx.action = [&ctx, args, sql, is_query]() -> base::Status {
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(const app::ConnectionView view, connections->Get(args->connection));
      CS_ASSIGN_OR_RETURN(auto connector, connections->Open(view.name));
      CS_ASSIGN_OR_RETURN(app::Preview preview,
                          is_query ? app::PreviewQuery(*connector, view, *sql, args->limit)
                                   : app::PreviewTable(*connector, view.settings.type, args->schema,
                                                       args->table, args->limit));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json columns = nlohmann::json::array();
        for (const auto& c : preview.columns) columns.push_back(c.name);
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : preview.rows) {
          nlohmann::json cells = nlohmann::json::array();
          for (const auto& value : row) cells.push_back(CellJson(value));
          rows.push_back(std::move(cells));
        }
        out.Json({{"sql", preview.sql}, {"columns", columns}, {"rows", rows}});
        return base::Status::Ok();
      }
      std::vector<std::string> header;
      for (const auto& c : preview.columns) header.push_back(c.name);
      std::vector<std::vector<std::string>> rows;
      for (const auto& row : preview.rows) {
        std::vector<std::string> cells;
        for (const auto& value : row) cells.push_back(Cell(value));
        rows.push_back(std::move(cells));
      }
      out.Table(header, rows);
      out.Line(fmt::format("{} row(s) shown", preview.rows.size()));
      return base::Status::Ok();
    };
  });
}

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto* cmd = AddNamed(group, "rm",
                       "Delete a saved connection. Refused while syncs read through it, "
                       "unless --force (which deletes those syncs too)",
                       name);
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("--force", *force, "Also delete the syncs that read through the connection");
  cmd->callback([&ctx, name, force] {
    ctx.action = [&ctx, name, force]() -> base::Status {
      CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(connections->Get(*name).status());
      CS_ASSIGN_OR_RETURN(const std::vector<std::string> syncs,
                          app::SyncsUsingConnection(*store, *name));
      CS_RETURN_IF_ERROR(
          app::DeleteSyncsUsing(*store, fmt::format("connection '{}'", base::Printable(*name, 255)),
                                syncs, *force, "use --force"));
      CS_RETURN_IF_ERROR(connections->Remove(*name));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *name}, {"syncs_deleted", syncs}});
        return base::Status::Ok();
      }
      out.Line(fmt::format("Deleted connection '{}'.", base::Printable(*name, 255)));
      if (!syncs.empty()) out.Line(fmt::format("Deleted sync(s) {}.", app::QuotedNames(syncs)));
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddConnectionCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("connection", "Manage connections to external databases");
  group->require_subcommand(1);
  AddAdd(*group, ctx);
  AddEdit(*group, ctx);
  AddLs(*group, ctx);
  AddShow(*group, ctx);
  AddTest(*group, ctx);
  AddTables(*group, ctx);
  AddColumns(*group, ctx);
  AddPreview(*group, ctx);
  AddRm(*group, ctx);
}

}  // namespace contactsync::cli
