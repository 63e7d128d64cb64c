#pragma once

// What the route files share (internal to the http module): the server's
// state, the per-request Call, the Router that records every route it
// registers, and the one JSON codec with the one Status -> HTTP status
// mapping.
//
// Thread safety: ServerState is shared by all request threads; its members
// are thread-safe as documented on each. A Call belongs to one request.

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/server.h"
#include "secrets/secret_box.h"
#include "store/account_store.h"
#include "store/store.h"

namespace contactsync::http {

class Authenticator;
class RunManager;
class HostAllowList;
class SqlitePathPolicy;

// An error response: HTTP status, stable code, one-line message.
struct ApiError {
  int http_status = 500;
  std::string code;
  std::string message;
  int retry_after_s = 0;  // > 0: sent as Retry-After
};

// The contract's mapping (docs/api.md "Errors"): invalid_argument and
// bad_query 400, permission_denied 403, not_found 404, already_exists and
// failed_precondition 409, unavailable 503, anything else 500.
ApiError ErrorFor(const base::Status& status);
void SendError(httplib::Response& res, const ApiError& error);
void SendError(httplib::Response& res, const base::Status& status);
// JSON with `http_status`; invalid UTF-8 in strings is replaced, never sent.
void SendJson(httplib::Response& res, const nlohmann::json& body, int http_status = 200);

// A store instance borrowed for one request or one run. Store instances are
// not thread-safe, so each is used by one thread at a time; the pool keeps a
// few open between requests. Thread-safe.
class StorePool {
 public:
  // Keeps up to `max_idle` stores open between requests: one per request
  // thread, so that a busy server does not open a store per request.
  StorePool(store::StoreOptions options, size_t max_idle)
      : options_(std::move(options)), max_idle_(max_idle) {}

  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<store::Store> store,
          std::unique_ptr<store::AccountStore> accounts)
        : pool_(pool), store_(std::move(store)), accounts_(std::move(accounts)) {}
    ~Lease();
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    store::Store& store() { return *store_; }
    store::AccountStore& accounts() { return *accounts_; }

   private:
    StorePool* pool_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<store::AccountStore> accounts_;
  };

  base::Result<Lease> Acquire();

 private:
  store::StoreOptions options_;
  const size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::pair<std::unique_ptr<store::Store>, std::unique_ptr<store::AccountStore>>> idle_;
};

// Who is calling: set by the authenticator before routing.
struct Principal {
  int64_t user_id = 0;
  std::string username;
  bool via_session = false;  // cookie (CSRF applies) rather than bearer token
  std::string session_hash;  // with via_session
  std::string csrf_token;    // with via_session
};

class ServerState {
 public:
  ServerState(const ServerOptions& server_options, secrets::SecretBox secret_box,
              std::unique_ptr<SqlitePathPolicy> sqlite_policy);
  ~ServerState();

  const ServerOptions& options;
  StorePool stores;
  const secrets::SecretBox box;  // const methods only: thread-safe
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<RunManager> runs;
  std::vector<RouteInfo> routes;  // filled before serving, then read-only
  // The Host names answered (set by Server::Bind, once the port is known;
  // read-only while serving).
  std::unique_ptr<HostAllowList> hosts;
  // Which SQLite files connections may open (immutable).
  const std::unique_ptr<SqlitePathPolicy> sqlite_paths;
  // Scheme of the URLs browsers use: https with TLS here or behind a proxy
  // (secure cookies).
  bool https() const { return options.secure_cookies || !options.tls_cert_file.empty(); }
};

// One request being handled.
class Call {
 public:
  Call(const httplib::Request& request, httplib::Response& response, ServerState& server,
       const Principal* who, std::string body = "")
      : req(request), res(response), state(server), who_(who), body_(std::move(body)) {}

  const httplib::Request& req;
  httplib::Response& res;
  ServerState& state;

  // The caller; only null on public routes.
  const Principal& who() const { return *who_; }
  bool authenticated() const { return who_ != nullptr; }

  // The store instance of this request (borrowed on first use).
  base::Result<store::Store*> Store();
  base::Result<store::AccountStore*> Accounts();

  // Path parameter `index` (1-based regex group) as an id; InvalidArgument
  // when it does not fit.
  base::Result<int64_t> IdParam(size_t index = 1) const;
  std::string Param(size_t index = 1) const;

  // The body as a JSON object; InvalidArgument for malformed JSON, invalid
  // UTF-8, or a value that is not an object.
  base::Result<nlohmann::json> Body() const;
  base::Result<nlohmann::ordered_json> OrderedBody() const;

  // Query parameters.
  std::optional<std::string> Query(const std::string& name) const;
  // limit (1..1000, default 100) and offset (>= 0, default 0).
  base::Result<std::pair<int64_t, int64_t>> Paging() const;
  // ?force=true|false (default false): deleting what syncs use deletes them too.
  base::Result<bool> Force() const;

  void Json(const nlohmann::json& body, int http_status = 200) { SendJson(res, body, http_status); }

 private:
  const Principal* who_;
  const std::string body_;  // read by the Router within max_body_bytes
  std::optional<StorePool::Lease> lease_;
};

// Reading fields of a JSON object body, with 400-worthy messages naming the
// field.
base::Result<std::string> RequiredString(const nlohmann::json& body, const std::string& key);
base::Result<std::optional<std::string>> OptionalString(const nlohmann::json& body,
                                                        const std::string& key);
base::Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& body,
                                                 const std::string& key);
base::Result<std::optional<bool>> OptionalBool(const nlohmann::json& body, const std::string& key);

// The list with this id; NotFound naming the id otherwise.
base::Result<store::ListInfo> ListById(store::ListStore& store, int64_t id);

using Handler = std::function<base::Status(Call&)>;

// Registers routes on the httplib server and records them in state.routes.
// Paths use OpenAPI templates: {id} matches digits, {key} a field key. A
// handler's non-OK Status becomes the error response; exceptions reach the
// server's exception handler (500, logged without the request body).
// POST, PUT and DELETE read their body themselves (httplib content readers),
// so that max_body_bytes holds whatever the framing: a chunked body is cut
// off at the limit with 413 instead of being read whole.
class Router {
 public:
  Router(httplib::Server& server, ServerState& state) : server_(server), state_(state) {}

  void Get(const std::string& path, Handler handler, bool is_public = false);
  void Post(const std::string& path, Handler handler, bool is_public = false);
  void Put(const std::string& path, Handler handler);
  void Delete(const std::string& path, Handler handler);

 private:
  void Add(const std::string& method, const std::string& path, Handler handler, bool is_public);
  static void Dispatch(ServerState& state, const Handler& handler, bool is_public,
                       const httplib::Request& req, httplib::Response& res, std::string body);

  httplib::Server& server_;
  ServerState& state_;
};

// The principal the authenticator found for the request being handled on
// this thread (httplib runs pre-routing and routing of one request on one
// thread), or null.
const Principal* CurrentPrincipal();

// One function per resource file (routes_*.cpp).
void AddAccountRoutes(Router& router);     // setup, session, tokens
void AddListRoutes(Router& router);        // lists, fields
void AddContactRoutes(Router& router);     // contacts, exclusions
void AddConnectionRoutes(Router& router);  // connections
void AddSyncRoutes(Router& router);        // syncs, runs
void AddMailRoutes(Router& router);        // mail settings, outbox, autoresponders
void AddDocRoutes(Router& router);         // openapi.json

// The OpenAPI document (openapi.json, embedded at build time).
std::string_view OpenApiDocument();

}  // namespace contactsync::http
