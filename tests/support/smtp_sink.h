#pragma once

// A real SMTP server for the mail tests: tests/support/smtp_sink.py (Debian
// python3-aiosmtpd) on a free loopback port, started and stopped by the test.
// Each accepted message is a JSON file in the sink's directory, parsed by
// Python's email package (headers raw and decoded, text and HTML parts,
// envelope). Test-only.

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace contactsync::testing {

class SmtpSink {
 public:
  // Messages go to `dir` (which must exist). `options` are smtp_sink.py's
  // flags, e.g. {"--exit-after", "500"}.
  explicit SmtpSink(std::string dir) : dir_(std::move(dir)) {}
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Starts the server (on `port`, or a free one when 0) and waits until it
  // listens. Returns false with a test failure when it does not start.
  bool Start(const std::vector<std::string>& options = {}, int port = 0);
  // SIGTERM and wait; a server that already exited is just reaped.
  void Stop();
  // Waits for the server to exit on its own (--exit-after, --die-after-store).
  void WaitForExit();
  int port() const { return port_; }

  // Every stored message, in the order received.
  std::vector<nlohmann::json> Messages() const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// The first header named `name` (case-insensitive) of a stored message, decoded; "" when absent.
std::string Header(const nlohmann::json& message, const std::string& name);

}  // namespace contactsync::testing
