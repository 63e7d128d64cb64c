#include "http/server.h"

#include <httplib.h>

#include <exception>
#include <iostream>

#include <fmt/format.h>

#include "http/api.h"
#include "http/auth.h"
#include "http/run_manager.h"

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
  std::unique_ptr<Server> server(new Server(std::move(options)));
  const ServerOptions& opts = server->options_;
  server->state_ = std::make_unique<ServerState>(opts, std::move(box));
  if (!opts.tls_cert_file.empty()) {
    auto tls =
        std::make_unique<httplib::SSLServer>(opts.tls_cert_file.c_str(), opts.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return base::InvalidArgument(fmt::format("cannot use the TLS certificate {} with key {}",
                                               opts.tls_cert_file, opts.tls_key_file));
    }
    server->http_ = std::move(tls);
  } else {
    server->http_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *server->http_;
  ServerState& state = *server->state_;
  const int threads = opts.RequestThreads();
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(opts.max_body_bytes);
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"}});
  http.set_pre_routing_handler([&state](const httplib::Request& req, httplib::Response& res) {
    return state.auth->PreRoute(req, res);
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
