#pragma once

// A fake PostgreSQL server on loopback that asks every client for its
// password in clear text (AuthenticationCleartextPassword) and records every
// byte clients send: what a hostile server at a new host would learn from a
// connection test. It speaks only the start of the protocol (SSL and GSS
// encryption requests are declined, the startup message answered with the
// password request) and then closes. Test-only.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace contactsync::testing {

class FakePostgres {
 public:
  // Listens on `host` (e.g. "127.0.0.2": any 127/8 address is loopback on
  // Linux), a free port. ok() is false, with a test failure, when it cannot.
  explicit FakePostgres(const std::string& host = "127.0.0.1");
  ~FakePostgres();
  FakePostgres(const FakePostgres&) = delete;
  FakePostgres& operator=(const FakePostgres&) = delete;

  bool ok() const { return listener_ >= 0; }
  int port() const { return port_; }

  // Every byte received so far, all connections in order.
  std::string Received() const;
  // How many clients connected.
  int connections() const { return connections_; }

 private:
  void Serve();
  void Answer(int client);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::string received_;
  std::thread thread_;
};

}  // namespace contactsync::testing
