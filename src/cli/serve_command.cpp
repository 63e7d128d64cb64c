// `contactsync serve [--listen ADDR:PORT] [--allowed-host NAME]...
// [--sqlite-dir DIR]...`: the HTTP server (REST API and web UI) until Ctrl-C
// or SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "app/data_dir.h"
#include "app/holder_lease.h"
#include "app/serve_mail.h"
#include "cli/command_context.h"
#include "http/server.h"
#include "store/account_store.h"
#include "sync/run_lock.h"

namespace contactsync::cli {
namespace {

// "ADDR:PORT", "[v6]:PORT" or ":PORT" (all interfaces are then explicit:
// 0.0.0.0 must be typed; the default is loopback only).
base::Status ParseListen(const std::string& text, std::string& host, int& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return base::InvalidArgument(fmt::format("--listen wants ADDR:PORT, not '{}'", text));
  }
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "127.0.0.1";
  try {
    size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("");
  } catch (const std::exception&) {
    return base::InvalidArgument(
        fmt::format("--listen: '{}' is not a port", text.substr(colon + 1)));
  }
  return base::Status::Ok();
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("serve", "Serve the web UI and the REST API");
  struct Args {
    std::string listen = "127.0.0.1:8080";
    std::string tls_cert, tls_key;
    bool secure_cookies = false;
    std::vector<std::string> allowed_hosts;
    std::vector<std::string> sqlite_dirs;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--listen", args->listen, "Address and port")->capture_default_str();
  cmd->add_option("--tls-cert", args->tls_cert, "Serve HTTPS with this certificate (PEM)");
  cmd->add_option("--tls-key", args->tls_key, "The certificate's private key (PEM)");
  cmd->add_flag("--secure-cookies", args->secure_cookies,
                "Mark cookies Secure without --tls-cert (behind a TLS proxy)");
  cmd->add_option("--allowed-host", args->allowed_hosts,
                  "A host name (or host:port) browsers use to reach this server; repeatable. "
                  "Requests naming another host are refused (DNS rebinding). Default on a "
                  "loopback --listen: localhost, 127.0.0.1 and [::1]; required otherwise");
  cmd->add_option("--sqlite-dir", args->sqlite_dirs,
                  "A directory whose SQLite files connections made in the web UI or API may "
                  "open; repeatable. None by default (SQLite connections then come from the CLI)");
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> base::Status {
      http::ServerOptions options;
      CS_RETURN_IF_ERROR(ParseListen(args->listen, options.host, options.port));
      CS_ASSIGN_OR_RETURN(const app::Location location,
                          app::ResolveLocation(ctx.options.data_dir, ctx.options.store_url));
      options.store.url = location.store_url;
      options.key_path = location.key_path;
      options.tls_cert_file = args->tls_cert;
      options.tls_key_file = args->tls_key;
      options.secure_cookies = args->secure_cookies;
      options.allowed_hosts = args->allowed_hosts;
      options.sqlite_dirs = args->sqlite_dirs;
      options.data_dir = location.data_dir;
      // The web UI, as main wired it (CommandContext).
      options.assets = ctx.serve_assets;
      // The mail links (public) and the outbox sender, each on a store
      // instance of its own; stopped after the server (declared first).
      CS_ASSIGN_OR_RETURN(const secrets::SecretBox* box, ctx.SecretBox());
      auto log_mutex = std::make_shared<std::mutex>();
      CS_ASSIGN_OR_RETURN(
          std::unique_ptr<app::ServeMail> mail,
          app::ServeMail::Start(options.store, *box, [log_mutex](const std::string& line) {
            std::lock_guard lock(*log_mutex);
            std::cerr << line << std::endl;
          }));
      options.mount_public_routes = [&mail](httplib::Server& server) { mail->Mount(server); };

      // Ctrl-C and SIGTERM stop the server cleanly (running syncs are
      // cancelled and finish their reports). Blocked in every thread before
      // any starts, and taken by one waiting thread.
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGINT);
      sigaddset(&signals, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);

      CS_ASSIGN_OR_RETURN(std::unique_ptr<http::Server> server,
                          http::Server::Create(std::move(options)));
      CS_RETURN_IF_ERROR(server->Bind());
      store::StoreOptions store_options;
      store_options.url = location.store_url;
      CS_ASSIGN_OR_RETURN(std::unique_ptr<store::AccountStore> accounts,
                          store::OpenAccountStore(store_options));
      // The runs this server starts hold its lease (app/holder_lease.h) while it serves.
      CS_ASSIGN_OR_RETURN(std::unique_ptr<app::HolderLease> lease,
                          app::HolderLease::Start(store_options, sync::CurrentHolder()));
      CS_ASSIGN_OR_RETURN(const int64_t users, accounts->CountUsers());
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"url", server->url()}, {"needs_setup", users == 0}});
      } else {
        out.Line(fmt::format("contactsync is serving on {}", server->url()));
        if (users == 0) {
          out.Line(fmt::format(
              "No user yet: open {} to create the first one, or run: contactsync user add NAME",
              server->url()));
        } else {
          out.Line(
              "Log in with your user name and password (add users with: contactsync user "
              "add NAME). Ctrl-C stops.");
        }
      }
      std::cout.flush();
      std::thread waiter([&server, signals] {
        int received = 0;
        sigwait(&signals, &received);
        server->Stop();
      });
      const base::Status served = server->Serve();
      // Serve ended without a signal (error): wake the waiter.
      pthread_kill(waiter.native_handle(), SIGTERM);
      waiter.join();
      return served;
    };
  });
}

}  // namespace contactsync::cli
