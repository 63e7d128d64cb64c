#pragma once

// SmtpMailer: the Mailer over libcurl's SMTP client.
//
// TLS modes: "none" (plain SMTP, for a relay on localhost), "starttls"
// (plain connect, then STARTTLS is required — the session fails rather than
// continue without TLS), "tls" (implicit TLS, "smtps", usually port 465).
// The server certificate is verified (system CAs, or `ca_file`). With a user
// the session logs in (AUTH, whatever mechanism libcurl and the server agree
// on). The connection is kept open between messages of a pass.
//
// Failures are classified for the outbox (mailer.h): connect/TLS/login
// failures and 4xx replies are kRetry; 5xx replies are kFailed; a
// connection lost after the whole message was handed to libcurl is
// kUncertain. A message whose address is not ASCII is sent only when the
// server offers SMTPUTF8, otherwise it fails with that reason before any of
// its data is sent.
//
// Thread safety: one instance per thread.

#include <memory>
#include <string>

#include "mail/mailer.h"

namespace contactsync::mail {

struct SmtpSettings {
  std::string host;
  int port = 0;  // 0: 25 for none, 587 for starttls, 465 for tls
  std::string tls_mode = "starttls";
  std::string user;      // empty: no login
  std::string password;  // never logged or shown
  std::string ca_file;   // empty: system CAs
  int connect_timeout_s = 10;
  int timeout_s = 120;  // whole message, per attempt
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpSettings settings);
  ~SmtpMailer() override;
  SmtpMailer(const SmtpMailer&) = delete;
  SmtpMailer& operator=(const SmtpMailer&) = delete;

  SendResult Send(const OutgoingMessage& message) override;

 private:
  struct Session;  // the CURL handle and what it learned of the server
  SmtpSettings settings_;
  std::unique_ptr<Session> session_;
};

}  // namespace contactsync::mail
