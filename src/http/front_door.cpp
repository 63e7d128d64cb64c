#include "http/front_door.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace contactsync::http {
namespace {

thread_local bool t_refusing = false;
thread_local bool t_close_connection = false;
thread_local bool t_budget_exceeded = false;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Waits until `fd` is ready for `events`, `timeout` passes or the server
// stops (its listening socket closed: Stop() then waits for no idle or
// slow client).
bool WaitFor(int fd, short events, std::chrono::milliseconds timeout,
             const std::atomic<socket_t>& listening) {
  constexpr std::chrono::milliseconds kSlice(200);
  const auto end = std::chrono::steady_clock::now() + timeout;
  pollfd entry{fd, events, 0};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0 || listening == INVALID_SOCKET) return false;
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min(left, kSlice).count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// A connection's socket, read through a buffer, with a deadline and a byte
// budget per request (what httplib's own stream lacks: its reads wait
// `read_timeout` per byte with no end, and a request line has no size
// limit).
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int fd, const ConnectionLimits& limits, const std::atomic<socket_t>& listening)
      : fd_(fd), limits_(limits), listening_(listening) {}

  // Waits up to the idle timeout for the first byte of a request.
  bool WaitForRequest() const {
    return buffered() > 0 || WaitFor(fd_, POLLIN, limits_.idle_timeout, listening_);
  }

  // A new request: its own deadline and budget (bytes already buffered, a
  // pipelined request, count against it).
  void BeginRequest() {
    deadline_ = std::chrono::steady_clock::now() + limits_.request_read_timeout;
    budget_ = limits_.request_bytes > buffered() ? limits_.request_bytes - buffered() : 0;
    t_budget_exceeded = false;
  }

  bool is_readable() const override {
    if (buffered() > 0) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    return WaitFor(fd_, POLLIN, left, listening_);
  }

  bool is_writable() const override {
    return WaitFor(fd_, POLLOUT, limits_.write_timeout, listening_);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (buffered() == 0 && !Fill()) return -1;
    const size_t n = std::min(size, buffered());
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  size_t buffered() const { return end_ - begin_; }

  // Reads what the socket has (at most the budget) into the empty buffer.
  // False at end of stream, on error, past the deadline or the budget.
  bool Fill() {
    if (budget_ == 0) {
      t_budget_exceeded = true;
      return false;
    }
    if (!is_readable()) return false;
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer_.data(), std::min(buffer_.size(), budget_), 0);
      if (n > 0) {
        begin_ = 0;
        end_ = static_cast<size_t>(n);
        budget_ -= end_;
        return true;
      }
      if (n == 0 || errno != EINTR) return false;
    }
  }

  using NameFunction = int (*)(int, sockaddr*, socklen_t*);
  void Address(NameFunction name_of, std::string& ip, int& port) const {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (name_of(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
    std::array<char, NI_MAXHOST> host{};
    std::array<char, NI_MAXSERV> service{};
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host.data(), host.size(),
                      service.data(), service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host.data();
      port = std::atoi(service.data());
    }
  }

  const int fd_;
  const ConnectionLimits& limits_;
  const std::atomic<socket_t>& listening_;
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  size_t budget_ = 0;
};

// Answers 503 without reading the request and closes: a full server says so
// at once instead of letting the client wait for a thread.
void RefuseBusy(int fd) {
  constexpr std::string_view kBody =
      R"({"error":{"code":"unavailable","message":"the server has too many open connections; try again"}})";
  const std::string reply = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
      "Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{}",
      kBody.size(), kBody);
  (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

struct HostPort {
  std::string host;  // lowercase; IPv6 in brackets
  int port = 0;      // 0: none given
};

bool IsHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

// "name", "name:port", "[v6]", "[v6]:port" (what a Host header or
// --allowed-host holds); nullopt for anything else.
std::optional<HostPort> ParseHostPort(std::string_view text) {
  const std::string lower = Lower(Trim(text));
  std::string_view rest = lower;
  HostPort out;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close < 3) return std::nullopt;
    const std::string_view inside = rest.substr(1, close - 1);
    for (const char c : inside) {
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0 && c != ':' && c != '.') {
        return std::nullopt;
      }
    }
    out.host = std::string(rest.substr(0, close + 1));
    rest.remove_prefix(close + 1);
  } else {
    const size_t colon = rest.find(':');
    out.host = std::string(rest.substr(0, colon));
    if (out.host.empty() || !std::all_of(out.host.begin(), out.host.end(), IsHostNameChar)) {
      return std::nullopt;
    }
    rest.remove_prefix(colon == std::string_view::npos ? rest.size() : colon);
  }
  if (rest.empty()) return out;
  if (rest.front() != ':' || rest.size() < 2) return std::nullopt;
  rest.remove_prefix(1);
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), out.port);
  if (error != std::errc() || end != rest.data() + rest.size() || out.port < 1 ||
      out.port > 65535) {
    return std::nullopt;
  }
  return out;
}

ApiError Refusal(int status, std::string code, std::string message) {
  return {status, std::move(code), std::move(message), 0};
}

bool ExpectsBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

void ConnectionThreads::enqueue(std::function<void()> fn) {
  std::unique_lock lock(mutex_);
  if (refuse_when_full_ && busy_ + jobs_.size() >= max_busy_) {
    lock.unlock();
    t_refusing = true;
    fn();
    t_refusing = false;
    return;
  }
  jobs_.push_back(std::move(fn));
  // Threads woken but not yet running still count as idle: start one more
  // when the waiting jobs outnumber them.
  if (jobs_.size() > idle_ && threads_.size() < max_busy_) {
    threads_.emplace_back([this] { Work(); });
  }
  wake_.notify_one();
}

void ConnectionThreads::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

bool ConnectionThreads::RefusingNow() { return t_refusing; }

void ConnectionThreads::Work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    ++busy_;
    lock.unlock();
    job();
    lock.lock();
    --busy_;
  }
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (ConnectionThreads::RefusingNow()) {
    RefuseBusy(sock);
    return false;
  }
  GuardedStream stream(sock, limits_, svr_sock_);
  bool ok = true;
  for (size_t served = 0; served < keep_alive_max_count_ && svr_sock_ != INVALID_SOCKET; ++served) {
    if (!stream.WaitForRequest()) break;
    stream.BeginRequest();
    t_close_connection = false;
    bool closed_by_client = false;
    ok = process_request(stream, served + 1 == keep_alive_max_count_, closed_by_client, nullptr);
    if (!ok || closed_by_client || t_close_connection || t_budget_exceeded) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

void CloseConnectionAfterResponse() { t_close_connection = true; }

bool RequestBudgetExceeded() { return t_budget_exceeded; }

bool IsLoopbackAddress(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

base::Result<HostAllowList> HostAllowList::Make(const std::vector<std::string>& entries,
                                                const std::string& bind_host, int port) {
  HostAllowList list;
  for (const std::string& entry : entries) {
    std::optional<HostPort> parsed = ParseHostPort(entry);
    if (!parsed) {
      return base::InvalidArgument(
          fmt::format("--allowed-host '{}' is not a host name, address or host:port", entry));
    }
    list.entries_.push_back({parsed->host, parsed->port});
  }
  if (!list.entries_.empty()) return list;
  if (!IsLoopbackAddress(bind_host)) {
    return base::InvalidArgument(fmt::format(
        "serving on {} needs --allowed-host NAME (repeatable): the host name browsers use to "
        "reach this server; requests naming any other host are refused",
        bind_host));
  }
  for (const char* host : {"localhost", "127.0.0.1", "[::1]"}) {
    list.entries_.push_back({host, port});
  }
  const std::string bound =
      bind_host.find(':') != std::string::npos ? "[" + bind_host + "]" : Lower(bind_host);
  list.entries_.push_back({bound, port});
  return list;
}

bool HostAllowList::AllowsHost(std::string_view host_header, bool https) const {
  const std::optional<HostPort> parsed = ParseHostPort(host_header);
  if (!parsed) return false;
  const int port = parsed->port != 0 ? parsed->port : (https ? 443 : 80);
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& entry) {
    return entry.host == parsed->host && (entry.port == 0 || entry.port == port);
  });
}

bool HostAllowList::AllowsOrigin(std::string_view origin, bool https) const {
  const std::string_view scheme = https ? "https://" : "http://";
  if (origin.substr(0, scheme.size()) != scheme) return false;
  origin.remove_prefix(scheme.size());
  if (origin.find('/') != std::string_view::npos) return false;
  return AllowsHost(origin, https);
}

std::optional<ApiError> CheckRequestFraming(const httplib::Request& req, size_t max_body_bytes) {
  const bool has_length = req.has_header("Content-Length");
  const bool has_encoding = req.has_header("Transfer-Encoding");
  if (has_length && has_encoding) {
    return Refusal(400, "invalid_argument",
                   "send either Content-Length or Transfer-Encoding, not both");
  }
  if (has_encoding && Lower(Trim(req.get_header_value("Transfer-Encoding"))) != "chunked") {
    return Refusal(501, "not_implemented",
                   "only Transfer-Encoding: chunked is supported for request bodies");
  }
  if (has_length) {
    const std::string text = req.get_header_value("Content-Length");
    uint64_t length = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (error == std::errc::result_out_of_range ||
        (error == std::errc() && end == text.data() + text.size() && length > max_body_bytes)) {
      return Refusal(
          413, "invalid_argument",
          fmt::format("the request body is too large (at most {} bytes)", max_body_bytes));
    }
    if (error != std::errc() || end != text.data() + text.size() ||
        req.get_header_value_count("Content-Length") != 1) {
      return Refusal(400, "invalid_argument", "Content-Length must be one whole number");
    }
  }
  const std::string coding = Lower(Trim(req.get_header_value("Content-Encoding")));
  if (!coding.empty() && coding != "identity") {
    return Refusal(415, "unsupported_media_type", "compressed request bodies are not accepted");
  }
  return std::nullopt;
}

std::optional<ApiError> CheckJsonContentType(const httplib::Request& req) {
  if (req.path.rfind("/api/", 0) != 0 || !ExpectsBody(req.method)) return std::nullopt;
  const bool has_body =
      req.has_header("Transfer-Encoding") ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
  if (!has_body) return std::nullopt;
  const std::string type = req.get_header_value("Content-Type");
  const std::string media = Lower(Trim(std::string_view(type).substr(0, type.find(';'))));
  if (media == "application/json") return std::nullopt;
  return Refusal(415, "unsupported_media_type",
                 "send the request body as JSON with Content-Type: application/json");
}

std::optional<ApiError> ReadRequestBody(const httplib::Request& req,
                                        const httplib::ContentReader& reader, size_t limit,
                                        std::string& body) {
  body.clear();
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
    return std::nullopt;
  }
  bool too_large = false;
  const bool read = reader([&](const char* data, size_t size) {
    if (size > limit - body.size()) {
      too_large = true;
      return false;
    }
    body.append(data, size);
    return true;
  });
  if (read) return std::nullopt;
  CloseConnectionAfterResponse();
  body.clear();
  if (too_large || RequestBudgetExceeded()) {
    return Refusal(413, "invalid_argument",
                   fmt::format("the request body is too large (at most {} bytes)", limit));
  }
  return Refusal(400, "invalid_argument", "the request body could not be read");
}

}  // namespace contactsync::http
