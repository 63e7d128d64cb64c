#include "support/fake_postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>

namespace contactsync::testing {
namespace {

constexpr uint32_t kSslRequest = 80877103;
constexpr uint32_t kGssEncRequest = 80877104;
constexpr int kPollMs = 100;
constexpr int kClientTimeoutMs = 5000;

uint32_t ReadBigEndian(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

void AppendBigEndian(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

FakePostgres::FakePostgres(const std::string& host) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (listener_ < 0 || inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener_, 8) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "the fake PostgreSQL server cannot listen on " << host;
    if (listener_ >= 0) close(listener_);
    listener_ = -1;
    return;
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakePostgres::~FakePostgres() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) close(listener_);
}

std::string FakePostgres::Received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

void FakePostgres::Serve() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (poll(&ready, 1, kPollMs) <= 0) continue;
    const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++connections_;
    Answer(client);
    close(client);
  }
}

// Reads what the client sends until it closes or goes quiet; answers the
// encryption requests with 'N' and the startup message with a request for
// the password in clear text.
void FakePostgres::Answer(int client) {
  std::string pending;
  bool asked = false;
  while (!stop_) {
    pollfd ready{client, POLLIN, 0};
    if (poll(&ready, 1, kClientTimeoutMs) <= 0) return;
    char buffer[4096];
    const ssize_t n = recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.append(buffer, static_cast<size_t>(n));
    }
    if (asked) return;  // the answer (a password, or nothing) is recorded above
    pending.append(buffer, static_cast<size_t>(n));
    // Untyped messages (length, then body) until the startup message.
    while (pending.size() >= 8) {
      const uint32_t length = ReadBigEndian(pending.data());
      if (length < 8 || pending.size() < length) break;
      const uint32_t code = ReadBigEndian(pending.data() + 4);
      pending.erase(0, length);
      if (code == kSslRequest || code == kGssEncRequest) {
        if (!WriteAll(client, "N")) return;
        continue;
      }
      std::string request = "R";
      AppendBigEndian(request, 8);
      AppendBigEndian(request, 3);  // AuthenticationCleartextPassword
      if (!WriteAll(client, request)) return;
      asked = true;
      break;
    }
  }
}

}  // namespace contactsync::testing
