#include "http/server.h"

#include <httplib.h>

#include <algorithm>
#include <exception>
#include <iostream>

#include <fmt/format.h>

#include "http/api.h"
#include "http/auth.h"
#include "http/front_door.h"
#include "http/run_manager.h"
#include "http/sqlite_policy.h"

namespace contactsync::http {
namespace {

// Served with every HTML page: scripts only from this server (no inline
// script, so an injected tag cannot run), no framing, no plugins.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

void ServeAsset(const ServerOptions& options, const httplib::Request& req, httplib::Response& res) {
  const std::string path = req.path == "/" ? "/index.html" : req.path;
  std::optional<StaticAsset> asset;
  if (options.assets) asset = options.assets(path);
  if (!asset) {
    SendError(res, base::NotFound("no such page"));
    return;
  }
  res.set_content(std::string(asset->body), std::string(asset->content_type));
  if (asset->content_type.rfind("text/html", 0) == 0) {
    res.set_header("Content-Security-Policy", std::string(kContentSecurityPolicy));
    res.set_header("Cache-Control", "no-cache");
  }
}

ConnectionLimits LimitsOf(const ServerOptions& options) {
  ConnectionLimits limits;
  limits.idle_timeout = options.idle_timeout;
  limits.request_read_timeout = options.request_read_timeout;
  // Request line and headers (httplib allows 8 KiB a line) plus the body
  // with room for chunk framing; the Router's own count gives the exact 413.
  limits.request_bytes = 256 * 1024 + options.max_body_bytes + options.max_body_bytes / 4;
  return limits;
}

// The checks made before authentication, in order: the Host names this
// server (DNS rebinding), the framing bounds the body, and API writes are
// JSON (an HTML form cannot send application/json to another origin).
std::optional<ApiError> FrontDoorRefusal(const ServerState& state, const httplib::Request& req) {
  if (req.get_header_value_count("Host") != 1 ||
      !state.hosts->AllowsHost(req.get_header_value("Host"), state.https())) {
    return ApiError{421, "host_not_allowed",
                    "this server does not answer to that host name (serve --allowed-host)", 0};
  }
  if (auto refused = CheckRequestFraming(req, state.options.max_body_bytes)) return refused;
  return CheckJsonContentType(req);
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  Stop();
  if (thread_.joinable()) thread_.join();
  if (state_) state_->runs->Shutdown();
}

base::Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  // Fail now, not at the first request, when the store or key is unusable.
  CS_RETURN_IF_ERROR(store::OpenStore(options.store).status());
  CS_RETURN_IF_ERROR(store::OpenAccountStore(options.store).status());
  CS_ASSIGN_OR_RETURN(secrets::SecretBox box, secrets::SecretBox::Load(options.key_path));
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return base::InvalidArgument("give both the TLS certificate and its key, or neither");
  }
  // Closed by default: a server on another address than loopback must be
  // told its name (the port does not matter for this check).
  CS_RETURN_IF_ERROR(HostAllowList::Make(options.allowed_hosts, options.host, 0).status());
  if (options.max_connections < 1) return base::InvalidArgument("max_connections must be >= 1");
  CS_ASSIGN_OR_RETURN(
      std::unique_ptr<SqlitePathPolicy> sqlite_policy,
      SqlitePathPolicy::Make(options.sqlite_dirs, options.data_dir,
                             {SqliteStoreFile(options.store.url), options.key_path}));
  std::unique_ptr<Server> server(new Server(std::move(options)));
  const ServerOptions& opts = server->options_;
  server->state_ = std::make_unique<ServerState>(opts, std::move(box), std::move(sqlite_policy));
  const bool tls = !opts.tls_cert_file.empty();
  if (tls) {
    auto tls_server =
        std::make_unique<TlsServer>(opts.tls_cert_file.c_str(), opts.tls_key_file.c_str());
    if (!tls_server->is_valid()) {
      return base::InvalidArgument(fmt::format("cannot use the TLS certificate {} with key {}",
                                               opts.tls_cert_file, opts.tls_key_file));
    }
    server->widen_backlog_ = [tls = tls_server.get()](int backlog) { tls->WidenBacklog(backlog); };
    server->http_ = std::move(tls_server);
  } else {
    auto plain = std::make_unique<GuardedServer>(LimitsOf(opts));
    server->widen_backlog_ = [plain = plain.get()](int backlog) { plain->WidenBacklog(backlog); };
    server->http_ = std::move(plain);
  }
  httplib::Server& http = *server->http_;
  ServerState& state = *server->state_;
  // A thread per open connection, up to max_connections. httplib's TLS
  // server reads its connections itself, so with TLS a connection beyond
  // the cap waits for a thread instead of being refused.
  const auto max_connections = static_cast<size_t>(opts.max_connections);
  http.new_task_queue = [max_connections, tls] {
    return new ConnectionThreads(max_connections, /*refuse_when_full=*/!tls);
  };
  http.set_payload_max_length(opts.max_body_bytes);
  http.set_keep_alive_timeout(opts.idle_timeout.count());
  http.set_keep_alive_max_count(100);
  http.set_read_timeout(opts.idle_timeout.count());
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"}});
  http.set_pre_routing_handler([&state](const httplib::Request& req, httplib::Response& res) {
    if (const std::optional<ApiError> refused = FrontDoorRefusal(state, req)) {
      SendError(res, *refused);
      res.set_header("Connection", "close");
      CloseConnectionAfterResponse();
      return httplib::Server::HandlerResponse::Handled;
    }
    const auto handled = state.auth->PreRoute(req, res);
    // A refused request's body is never read: its connection is closed.
    if (handled == httplib::Server::HandlerResponse::Handled) CloseConnectionAfterResponse();
    return handled;
  });
  // Handlers return Status for what can go wrong; an exception is a bug. It
  // is answered as a 500 without details (which could hold request data) and
  // logged once.
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        std::cerr << fmt::format("internal error on {} {}: {}\n", req.method, req.path, what);
        SendError(res, ApiError{500, "internal", "internal error; see the server log", 0});
      });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    // httplib's own errors (no route: 404, body too large: 413, ...) in the
    // API's error shape, unless a handler already answered.
    if (!res.body.empty()) return;
    if (res.status == 404) {
      SendError(res, ApiError{404, "not_found", "no such route", 0});
    } else if (res.status == 413) {
      SendError(res, ApiError{413, "invalid_argument", "the request body is too large", 0});
    } else if (res.status >= 400) {
      SendError(res, ApiError{res.status, "invalid_argument", "bad request", 0});
    }
  });

  Router router(http, state);
  AddAccountRoutes(router);
  AddListRoutes(router);
  AddContactRoutes(router);
  AddConnectionRoutes(router);
  AddSyncRoutes(router);
  AddMailRoutes(router);
  AddDocRoutes(router);
  if (opts.mount_public_routes) opts.mount_public_routes(http);
  // Static assets last: anything else GET that is not an API route.
  const ServerOptions* options_ptr = &opts;
  http.Get(R"(/(?!api/).*)", [options_ptr](const httplib::Request& req, httplib::Response& res) {
    ServeAsset(*options_ptr, req, res);
  });
  return server;
}

base::Status Server::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) {
      return base::Unavailable(fmt::format("cannot listen on {}: no free port", options_.host));
    }
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      return base::Unavailable(
          fmt::format("cannot listen on {}:{}: the address is in use or not available",
                      options_.host, options_.port));
    }
    port_ = options_.port;
  }
  // Room for a burst of connections up to the cap (beyond it they are
  // accepted and refused at once rather than left in SYN retransmission).
  widen_backlog_(std::max(options_.max_connections, 128));
  CS_ASSIGN_OR_RETURN(HostAllowList hosts,
                      HostAllowList::Make(options_.allowed_hosts, options_.host, port_));
  *state_->hosts = std::move(hosts);
  return base::Status::Ok();
}

std::string Server::url() const {
  const bool tls = !options_.tls_cert_file.empty();
  const std::string host =
      options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  return fmt::format("{}://{}:{}", tls ? "https" : "http", host, port_);
}

base::Status Server::Serve() {
  if (!http_->listen_after_bind()) {
    return base::Unavailable("the server stopped listening unexpectedly");
  }
  return base::Status::Ok();
}

base::Status Server::Start() {
  CS_RETURN_IF_ERROR(Bind());
  thread_ = std::thread([this] { (void)http_->listen_after_bind(); });
  return base::Status::Ok();
}

void Server::Stop() {
  // Runs first: an open event stream holds its request thread until its run
  // ends, and httplib waits for its threads before it stops listening.
  if (state_) state_->runs->Shutdown();
  if (http_) http_->stop();
}

const std::vector<RouteInfo>& Server::routes() const { return state_->routes; }

}  // namespace contactsync::http
