#pragma once

// The HTTP server of `contactsync serve` (docs/spec.md §7): the REST API under
// /api/v1 (docs/api.md, OpenAPI at /api/v1/openapi.json), accounts and
// their sessions, sync runs on background workers with progress as
// server-sent events, and the web UI's static files from an injected
// provider (so this module does not depend on the UI module).
//
// Authentication is enforced in one place, before routing: every request
// needs a session cookie or a bearer API token except the explicit public
// allow-list (PublicRoutes()). State-changing requests authenticated by a
// cookie need the session's CSRF token in X-CSRF-Token and, when the browser
// sends Origin, the server's own origin.
//
// Threads: httplib serves requests on a pool of `worker_threads`; each
// request borrows a store instance from a small pool (a Store is not
// thread-safe); each sync run executes on its own thread with its own store
// instance, so the server stays responsive while runs go on.
//
// Thread safety: Stop() may be called from any thread; the rest from the
// thread that owns the Server.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace httplib {
class Server;
}

namespace contactsync::http {

// One file of the web UI.
struct StaticAsset {
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view body;          // must outlive the server (embedded data)
};

// The asset for a request path ("/index.html", "/assets/app.js"), or nullopt.
// GET / is served as "/index.html". Assets are public.
using AssetProvider = std::function<std::optional<StaticAsset>(std::string_view path)>;

// One route of the API, as registered (for the OpenAPI check and the tests
// that walk every route).
struct RouteInfo {
  std::string method;  // "GET", "POST", "PUT", "DELETE"
  std::string path;    // OpenAPI form: "/api/v1/lists/{id}"
  bool is_public = false;
};

// The routes that answer without authentication (besides static assets):
// setup, login, the OpenAPI document, and the mail links /confirm and
// /unsubscribe (mounted with ServerOptions::mount_public_routes).
const std::vector<RouteInfo>& PublicRoutes();

struct ServerOptions {
  // Where to listen. Port 0 picks a free port (see Server::port()).
  std::string host = "127.0.0.1";
  int port = 8080;

  // The store (as for OpenStore) and the secret key file that opens saved
  // connection passwords (app::Location::key_path; empty: only
  // $CONTACTSYNC_SECRET_KEY).
  store::StoreOptions store;
  std::string key_path;

  // The web UI; null serves no UI (GET / is 404).
  AssetProvider assets;

  // Mounts extra public routes (the mail links: GET /confirm, GET and POST
  // /unsubscribe) on the underlying server. Only paths in PublicRoutes() are
  // reachable without authentication; anything else mounted here needs it.
  std::function<void(httplib::Server&)> mount_public_routes;

  // HTTPS when both are set (PEM files); cookies are then Secure.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Secure cookies without TLS here, for a server behind a TLS proxy.
  bool secure_cookies = false;
  // Origins accepted besides those of the allowed hosts (e.g.
  // "https://contacts.example.com" behind a proxy).
  std::vector<std::string> allowed_origins;

  // The Host header values this server answers to ("name" or "name:port";
  // "[v6]:port"; a name without a port matches any port). Requests naming
  // another host get 421: this is what stops a DNS-rebinding page, whose
  // requests carry its own name. Empty: on a loopback address, localhost,
  // 127.0.0.1 and [::1] with the bound port; on any other address Create()
  // fails (closed by default: the operator names the host).
  std::vector<std::string> allowed_hosts;

  // Directories whose SQLite files connections made through the API may
  // open (realpath, symlinks followed). Empty: SQLite connections cannot be
  // created, changed or tested through the API. Never the data directory.
  std::vector<std::string> sqlite_dirs;
  // The data directory (app::Location::data_dir; may be empty when --store
  // was given): never a SQLite source through the API.
  std::string data_dir;

  // Sessions: idle and absolute lifetimes. 30 minutes idle logs out an
  // abandoned browser; 12 hours bounds a stolen cookie even when used.
  std::chrono::seconds session_idle_timeout = std::chrono::minutes(30);
  std::chrono::seconds session_absolute_timeout = std::chrono::hours(12);

  // Login rate limits: failures within `login_window` before 429. Per user
  // name (protects one account), and per client address (stops one client
  // trying many names); the address limit is higher because several users
  // may share an address (NAT).
  int max_failures_per_user = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds login_window = std::chrono::minutes(15);

  // Password checks (argon2, about 64 MiB each) running at once; more
  // logins meanwhile get 429 with Retry-After, which bounds the memory an
  // unauthenticated flood can take.
  int max_concurrent_password_checks = 2;

  // Request threads kept for reuse between connections. A connection holds
  // a thread while it is open (httplib serves one connection per thread);
  // threads are started on demand up to max_connections.
  int worker_threads = 32;
  // The request threads kept idle (at least 4).
  int RequestThreads() const { return worker_threads < 4 ? 4 : worker_threads; }
  // Open connections served at once; one more is answered 503 and closed at
  // once. Each server-sent event stream holds one while open.
  int max_connections = 512;
  // A connection that sends nothing is closed after `idle_timeout` (before
  // its first request and between requests); a request whose line, headers
  // and body take longer than `request_read_timeout` to arrive is dropped.
  std::chrono::seconds idle_timeout = std::chrono::seconds(5);
  std::chrono::seconds request_read_timeout = std::chrono::seconds(30);

  // Largest request body accepted (a sync definition or contact is small),
  // whatever the framing (Content-Length or chunked).
  size_t max_body_bytes = 4 * 1024 * 1024;
};

class ServerState;

class Server {
 public:
  // Opens the store (migrations applied) and the secret key; fails with
  // their Status.
  static base::Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();  // stops, cancels running syncs and waits for their workers
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket. kUnavailable when the address is taken.
  base::Status Bind();
  // After Bind: the port in use and "http://host:port".
  int port() const { return port_; }
  std::string url() const;

  // Serves until Stop(). Bind() first.
  base::Status Serve();
  // Bind() and Serve() on a background thread (tests).
  base::Status Start();
  void Stop();

  // Every registered API route (public or not), in registration order.
  const std::vector<RouteInfo>& routes() const;

 private:
  explicit Server(ServerOptions options);

  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::function<void(int)> widen_backlog_;  // of http_'s listening socket
  std::unique_ptr<ServerState> state_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace contactsync::http
