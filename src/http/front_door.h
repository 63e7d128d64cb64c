#pragma once

// The server's front door (internal to the http module): how connections
// get threads, how long they may stay idle or slow, how many bytes a request
// may bring, which Host names and request framings are accepted — all
// decided before authentication, so they hold for anonymous clients too.
//
// httplib (0.11, Debian 12) serves one connection per thread, waits for
// each request with no limit on the size of a request line and no limit on
// a chunked body. So:
// - ConnectionThreads starts a thread per connection on demand, up to
//   max_connections; idle connections then cost a parked thread each, not
//   the place of a request in a queue (200 idle connections no longer delay
//   a GET). Beyond the cap a plain-HTTP connection is answered 503 at once.
// - GuardedServer (plain HTTP) reads through GuardedStream: a connection
//   that sends nothing for idle_timeout is closed; a request must arrive in
//   full within request_read_timeout and within a byte budget (headers plus
//   the body limit), whatever its framing; a refused request closes its
//   connection instead of leaving its unread body to be parsed as the next
//   request.
// - CheckRequestFraming/CheckRequestHost/CheckJsonContentType are the
//   pre-routing checks.
//
// Thread safety: HostAllowList is immutable after Make; the rest is used by
// httplib as documented on each.

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "http/api.h"

namespace contactsync::http {

// A thread per connection, started on demand and kept for the next one.
// With `refuse_when_full`, a connection that arrives while `max_busy` are
// being served runs at once on the accepting thread in "refuse" mode
// (GuardedServer answers 503 and closes); otherwise it waits for a thread.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  ConnectionThreads(size_t max_busy, bool refuse_when_full)
      : max_busy_(max_busy), refuse_when_full_(refuse_when_full) {}
  ~ConnectionThreads() override { shutdown(); }

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True on the accepting thread while it runs a job in refuse mode.
  static bool RefusingNow();

 private:
  void Work();

  const size_t max_busy_;
  const bool refuse_when_full_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  size_t busy_ = 0;
  bool stopping_ = false;
};

// Limits of one connection (from ServerOptions).
struct ConnectionLimits {
  std::chrono::milliseconds idle_timeout{5000};
  std::chrono::milliseconds request_read_timeout{30000};
  std::chrono::milliseconds write_timeout{5000};
  size_t request_bytes = 0;  // request line + headers + body, framing included
};

// An httplib server whose listen backlog can be widened after bind:
// httplib listens with a backlog of 5, so in a burst of connections the
// sixth and later ones wait for the client's SYN-ACK retransmission (one
// second, then three, seven...) before they can even be accepted.
template <class Base>
class ListeningServer : public Base {
 public:
  using Base::Base;
  void WidenBacklog(int backlog) {
    if (this->svr_sock_ != INVALID_SOCKET) ::listen(this->svr_sock_, backlog);
  }
};

using TlsServer = ListeningServer<httplib::SSLServer>;

// Plain-HTTP server whose connections are read through GuardedStream.
class GuardedServer final : public ListeningServer<httplib::Server> {
 public:
  explicit GuardedServer(ConnectionLimits limits) : limits_(limits) {}

 private:
  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
};

// Called by a handler or pre-routing check that answers without reading the
// request body: the connection is closed after the response (GuardedServer).
void CloseConnectionAfterResponse();
// True when the request being read on this thread went over its byte budget.
bool RequestBudgetExceeded();

// The Host names a server answers to; see ServerOptions::allowed_hosts.
class HostAllowList {
 public:
  // `entries` empty: the loopback names with `port` when `bind_host` is a
  // loopback address; InvalidArgument naming --allowed-host otherwise.
  static base::Result<HostAllowList> Make(const std::vector<std::string>& entries,
                                          const std::string& bind_host, int port);
  HostAllowList() = default;

  // True when the Host header value names an allowed host (a missing port
  // is the scheme's default).
  bool AllowsHost(std::string_view host_header, bool https) const;
  // True for "scheme://host[:port]" with the server's scheme and an allowed
  // host.
  bool AllowsOrigin(std::string_view origin, bool https) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string host;  // lowercase; IPv6 in brackets
    int port = 0;      // 0: any port
  };
  std::vector<Entry> entries_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackAddress(const std::string& host);

// Refusals before routing; nullopt when the request may go on.
// Framing: Content-Length over the limit (413), Transfer-Encoding other than
// chunked (501), both at once (400), a compressed body (415).
std::optional<ApiError> CheckRequestFraming(const httplib::Request& req, size_t max_body_bytes);
// A write to the API that carries a body must say Content-Type:
// application/json (415): an HTML form cannot send that without CORS.
std::optional<ApiError> CheckJsonContentType(const httplib::Request& req);

// The body of a request routed to a content-reader handler, read through
// `reader` up to `limit` bytes. A request without Content-Length or
// Transfer-Encoding has no body (RFC 9112 §6.3). 413 beyond the limit, 400
// when the body cannot be read; either closes the connection.
std::optional<ApiError> ReadRequestBody(const httplib::Request& req,
                                        const httplib::ContentReader& reader, size_t limit,
                                        std::string& body);

}  // namespace contactsync::http
