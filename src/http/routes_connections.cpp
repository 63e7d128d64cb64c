// /api/v1/connections: saved connections to external databases, their test,
// tables, columns, custom-query description and previews. No response ever
// holds a password ("has_password" instead).

#include <fmt/format.h>

#include "app/connections.h"
#include "app/json_codec.h"
#include "app/source_queries.h"
#include "app/sync_runs.h"
#include "base/text.h"
#include "http/api.h"
#include "http/sqlite_policy.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

json ViewJson(const app::ConnectionView& view) {
  json out = app::ToJson(view);
  out["id"] = view.id;
  if (!out.contains("has_password")) out["has_password"] = view.has_password;
  return out;
}

// The settings in a POST/PUT body (the CLI's defaults for what is absent).
// `password` stays empty when absent; `has_password` says whether it was given.
base::Result<source::ConnectionSettings> SettingsFromBody(const json& body, bool& has_password) {
  source::ConnectionSettings s;
  CS_ASSIGN_OR_RETURN(const std::string type, RequiredString(body, "type"));
  CS_ASSIGN_OR_RETURN(s.type, source::ParseSourceType(type));
  CS_ASSIGN_OR_RETURN(const auto host, OptionalString(body, "host"));
  CS_ASSIGN_OR_RETURN(const auto port, OptionalInt(body, "port"));
  CS_ASSIGN_OR_RETURN(const auto user, OptionalString(body, "user"));
  CS_ASSIGN_OR_RETURN(const auto password, OptionalString(body, "password"));
  CS_ASSIGN_OR_RETURN(s.database, RequiredString(body, "database"));
  CS_ASSIGN_OR_RETURN(const auto tls_mode, OptionalString(body, "tls_mode"));
  CS_ASSIGN_OR_RETURN(const auto ca_file, OptionalString(body, "tls_ca_file"));
  CS_ASSIGN_OR_RETURN(const auto connect_timeout, OptionalInt(body, "connect_timeout_s"));
  CS_ASSIGN_OR_RETURN(const auto query_timeout, OptionalInt(body, "query_timeout_s"));
  if (host) s.host = *host;
  if (port) {
    if (*port < 0 || *port > 65535) return base::InvalidArgument("port must be 0..65535");
    s.port = static_cast<int>(*port);
  }
  s.user = user.value_or("");
  has_password = password.has_value();
  s.password = password.value_or("");
  if (tls_mode) {
    CS_ASSIGN_OR_RETURN(s.tls_mode, source::ParseTlsMode(*tls_mode));
  }
  s.tls_ca_file = ca_file.value_or("");
  const auto seconds = [](const std::optional<int64_t>& value, int fallback, int64_t max,
                          const char* name) -> base::Result<int> {
    if (!value) return fallback;
    if (*value < 1 || *value > max) {
      return base::InvalidArgument(fmt::format("{} must be 1..{}", name, max));
    }
    return static_cast<int>(*value);
  };
  CS_ASSIGN_OR_RETURN(s.connect_timeout_s, seconds(connect_timeout, 10, 3600, "connect_timeout_s"));
  CS_ASSIGN_OR_RETURN(s.query_timeout_s, seconds(query_timeout, 300, 86400, "query_timeout_s"));
  return s;
}

// "allowed_functions": an array of function names (app::NormalizeAllowedFunctions
// checks each); nullopt when absent or null.
base::Result<std::optional<std::vector<std::string>>> OptionalNames(const json& body,
                                                                    const std::string& key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return base::InvalidArgument(key + " must be an array of function names");
  std::vector<std::string> names;
  for (const json& name : *it) {
    if (!name.is_string()) {
      return base::InvalidArgument(key + " must be an array of function names");
    }
    names.push_back(name.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

// The custom-query policy in a POST/PUT body onto `s`; what is absent keeps
// the value `s` has (closed for a new connection, the saved one on a PUT).
base::Status ApplyPolicyFromBody(const json& body, source::ConnectionSettings& s) {
  CS_ASSIGN_OR_RETURN(const auto functions, OptionalNames(body, "allowed_functions"));
  CS_ASSIGN_OR_RETURN(const auto allow_privileged,
                      OptionalBool(body, "allow_custom_query_with_privileged_account"));
  if (functions) s.allowed_functions = *functions;
  if (allow_privileged) s.allow_custom_query_with_privileged_account = *allow_privileged;
  return base::Status::Ok();
}

// A SQLite path given through the API must be in a directory the operator
// allowed (serve --sqlite-dir); see sqlite_policy.h.
base::Status CheckGivenSqlitePath(const Call& call, const source::ConnectionSettings& settings) {
  if (settings.type != source::SourceType::kSqlite) return base::Status::Ok();
  return call.state.sqlite_paths->CheckNewPath(settings.database);
}

base::Result<app::ConnectionView> ViewById(app::Connections& connections, int64_t id) {
  CS_ASSIGN_OR_RETURN(const std::vector<app::ConnectionView> views, connections.List());
  for (const auto& view : views) {
    if (view.id == id) return view;
  }
  return base::NotFound(fmt::format("connection {} does not exist", id));
}

json TestJson(const source::SourceInfo& info) {
  json warnings = json::array();
  if (!info.warning.empty()) warnings.push_back(info.warning);
  return {{"ok", true},
          {"server_version", info.server_version},
          {"database", info.database},
          {"can_write", info.can_write},
          {"privileged", info.privileged},
          {"warning", info.warning},
          {"warnings", warnings}};
}

// Cells as strings, NULL as null; what is not text is described, not sent.
json CellJson(const source::Value& value) {
  if (value.is_null()) return nullptr;
  return app::CellForDisplay(value, "");
}

json PreviewJson(const app::Preview& preview) {
  json columns = json::array();
  json column_info = json::array();
  for (const auto& c : preview.columns) {
    columns.push_back(c.name);
    column_info.push_back(app::ToJson(c));
  }
  json rows = json::array();
  for (const auto& row : preview.rows) {
    json cells = json::array();
    for (const auto& value : row) cells.push_back(CellJson(value));
    rows.push_back(std::move(cells));
  }
  return {{"sql", preview.sql}, {"columns", columns}, {"column_info", column_info}, {"rows", rows}};
}

json ColumnsJson(const std::vector<source::ColumnInfo>& columns) {
  json array = json::array();
  for (const auto& c : columns) {
    json column = app::ToJson(c);
    column["type"] =
        c.declared_type.empty() ? std::string(source::ValueKindName(c.kind)) : c.declared_type;
    array.push_back(std::move(column));
  }
  return array;
}

// The saved connection {id}: its view, settings (password opened) and a
// session on it.
struct Opened {
  app::ConnectionView view;
  source::SourceType type;
  std::unique_ptr<source::SourceConnector> connector;
};

base::Result<Opened> OpenById(Call& call) {
  CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
  CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
  app::Connections connections(*store, call.state.box);
  CS_ASSIGN_OR_RETURN(app::ConnectionView view, ViewById(connections, id));
  if (view.settings.type == source::SourceType::kSqlite) {
    CS_RETURN_IF_ERROR(call.state.sqlite_paths->CheckSavedPath(view.settings.database));
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> connector,
                      connections.Open(view.name));
  const source::SourceType type = view.settings.type;
  return Opened{std::move(view), type, std::move(connector)};
}

base::Result<size_t> PreviewLimit(const std::optional<int64_t>& limit) {
  const int64_t value = limit.value_or(10);
  if (value < 1 || value > 1000) return base::InvalidArgument("limit must be between 1 and 1000");
  return static_cast<size_t>(value);
}

}  // namespace

void AddConnectionRoutes(Router& router) {
  router.Get("/api/v1/connections", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    app::Connections connections(*store, call.state.box);
    CS_ASSIGN_OR_RETURN(const std::vector<app::ConnectionView> views, connections.List());
    json array = json::array();
    for (const auto& view : views) array.push_back(ViewJson(view));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/connections", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const std::string name, RequiredString(body, "name"));
    bool has_password = false;
    CS_ASSIGN_OR_RETURN(source::ConnectionSettings settings, SettingsFromBody(body, has_password));
    CS_RETURN_IF_ERROR(ApplyPolicyFromBody(body, settings));
    CS_RETURN_IF_ERROR(CheckGivenSqlitePath(call, settings));
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    app::Connections connections(*store, call.state.box);
    CS_ASSIGN_OR_RETURN(const app::ConnectionView view, connections.Add(name, settings));
    call.Json(ViewJson(view), 201);
    return base::Status::Ok();
  });

  // Registered before /{id} routes of the same shape; {id} only matches digits anyway.
  router.Post("/api/v1/connections/test", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    bool has_password = false;
    CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings,
                        SettingsFromBody(body, has_password));
    CS_RETURN_IF_ERROR(CheckGivenSqlitePath(call, settings));
    CS_ASSIGN_OR_RETURN(std::unique_ptr<source::SourceConnector> connector,
                        app::OpenConnector(settings));
    CS_ASSIGN_OR_RETURN(const source::SourceInfo info, connector->Check());
    call.Json(TestJson(info));
    return base::Status::Ok();
  });

  router.Get("/api/v1/connections/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    app::Connections connections(*store, call.state.box);
    CS_ASSIGN_OR_RETURN(const app::ConnectionView view, ViewById(connections, id));
    call.Json(ViewJson(view));
    return base::Status::Ok();
  });

  router.Put("/api/v1/connections/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    bool has_password = false;
    CS_ASSIGN_OR_RETURN(source::ConnectionSettings settings, SettingsFromBody(body, has_password));
    CS_RETURN_IF_ERROR(CheckGivenSqlitePath(call, settings));
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    app::Connections connections(*store, call.state.box);
    CS_ASSIGN_OR_RETURN(const app::ConnectionView old, ViewById(connections, id));
    CS_ASSIGN_OR_RETURN(const auto name, OptionalString(body, "name"));
    if (name && *name != old.name) {
      return base::InvalidArgument("a connection cannot be renamed; create a new one");
    }
    settings.allowed_functions = old.settings.allowed_functions;
    settings.allow_custom_query_with_privileged_account =
        old.settings.allow_custom_query_with_privileged_account;
    CS_RETURN_IF_ERROR(ApplyPolicyFromBody(body, settings));
    std::optional<std::string> password;
    if (has_password) password = settings.password;
    settings.password.clear();
    CS_ASSIGN_OR_RETURN(const app::ConnectionView view,
                        connections.Update(old.name, settings, password));
    json out = ViewJson(view);
    // Always present on a PUT, so that a client knows whether to ask for the
    // password again.
    out["password_cleared"] = !view.password_cleared_because.empty();
    call.Json(out);
    return base::Status::Ok();
  });

  // Refused (409, naming them) while syncs read through the connection,
  // unless ?force=true, which deletes those syncs too (docs/api.md).
  router.Delete("/api/v1/connections/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(const bool force, call.Force());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    app::Connections connections(*store, call.state.box);
    CS_ASSIGN_OR_RETURN(const app::ConnectionView view, ViewById(connections, id));
    CS_ASSIGN_OR_RETURN(const std::vector<std::string> syncs,
                        app::SyncsUsingConnection(*store, view.name));
    CS_RETURN_IF_ERROR(app::DeleteSyncsUsing(
        *store, fmt::format("connection '{}'", base::Printable(view.name, 255)), syncs, force,
        "add ?force=true"));
    CS_RETURN_IF_ERROR(connections.Remove(view.name));
    call.Json({{"deleted", id}, {"syncs_deleted", syncs}});
    return base::Status::Ok();
  });

  router.Post("/api/v1/connections/{id}/test", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(Opened opened, OpenById(call));
    CS_ASSIGN_OR_RETURN(const source::SourceInfo info, opened.connector->Check());
    call.Json(TestJson(info));
    return base::Status::Ok();
  });

  router.Get("/api/v1/connections/{id}/tables", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(Opened opened, OpenById(call));
    CS_ASSIGN_OR_RETURN(const std::vector<source::TableInfo> tables,
                        opened.connector->ListTables());
    json array = json::array();
    for (const auto& table : tables) {
      json t = app::ToJson(table);
      t["type"] = t["kind"];
      array.push_back(std::move(t));
    }
    call.Json(array);
    return base::Status::Ok();
  });

  router.Get("/api/v1/connections/{id}/columns", [](Call& call) -> base::Status {
    const std::optional<std::string> table = call.Query("table");
    if (!table || table->empty()) return base::InvalidArgument("give ?table=NAME");
    CS_ASSIGN_OR_RETURN(Opened opened, OpenById(call));
    CS_ASSIGN_OR_RETURN(const std::vector<source::ColumnInfo> columns,
                        opened.connector->DescribeTable(call.Query("schema").value_or(""), *table));
    call.Json(ColumnsJson(columns));
    return base::Status::Ok();
  });

  router.Post("/api/v1/connections/{id}/describe", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const std::string sql, RequiredString(body, "query"));
    CS_ASSIGN_OR_RETURN(Opened opened, OpenById(call));
    CS_ASSIGN_OR_RETURN(const std::vector<source::ColumnInfo> columns,
                        app::DescribeCustomQuery(*opened.connector, opened.view, sql));
    call.Json(ColumnsJson(columns));
    return base::Status::Ok();
  });

  router.Get("/api/v1/connections/{id}/preview", [](Call& call) -> base::Status {
    const std::optional<std::string> table = call.Query("table");
    if (!table || table->empty()) return base::InvalidArgument("give ?table=NAME");
    std::optional<int64_t> limit;
    if (const auto text = call.Query("limit")) {
      try {
        limit = std::stoll(*text);
      } catch (const std::exception&) {
        return base::InvalidArgument("limit must be a whole number");
      }
    }
    CS_ASSIGN_OR_RETURN(const size_t rows, PreviewLimit(limit));
    CS_ASSIGN_OR_RETURN(Opened opened, OpenById(call));
    CS_ASSIGN_OR_RETURN(const app::Preview preview,
                        app::PreviewTable(*opened.connector, opened.type,
                                          call.Query("schema").value_or(""), *table, rows));
    call.Json(PreviewJson(preview));
    return base::Status::Ok();
  });

  router.Post("/api/v1/connections/{id}/preview", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const std::string sql, RequiredString(body, "query"));
    CS_ASSIGN_OR_RETURN(const auto limit, OptionalInt(body, "limit"));
    CS_ASSIGN_OR_RETURN(const size_t rows, PreviewLimit(limit));
    CS_ASSIGN_OR_RETURN(Opened opened, OpenById(call));
    CS_ASSIGN_OR_RETURN(const app::Preview preview,
                        app::PreviewQuery(*opened.connector, opened.view, sql, rows));
    call.Json(PreviewJson(preview));
    return base::Status::Ok();
  });
}

}  // namespace contactsync::http
