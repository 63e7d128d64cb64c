#include "mail/smtp_mailer.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::mail {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using SlistHandle = std::unique_ptr<curl_slist, SlistDeleter>;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

int DefaultPort(const std::string& tls_mode) {
  if (tls_mode == "tls") return 465;
  if (tls_mode == "none") return 25;
  return 587;
}

}  // namespace

// Per-transfer state shared with libcurl's callbacks.
struct SmtpMailer::Session {
  CurlHandle curl;
  // What the server said about itself on the current connection.
  bool smtputf8_offered = false;
  // The current transfer.
  const OutgoingMessage* message = nullptr;
  size_t offset = 0;
  bool body_started = false;
  bool body_complete = false;  // the read callback handed over the last byte
  bool refused_utf8 = false;
  std::string last_reply;  // the server's last reply line, for messages
  // The SMTP command the last reply answers ("EHLO", "AUTH", "MAIL", "RCPT",
  // "DATA"; "" for the greeting), to tell a refused recipient or message
  // from a refused session.
  std::string last_command;

  static size_t Read(char* buffer, size_t size, size_t count, void* user) {
    auto* self = static_cast<Session*>(user);
    const OutgoingMessage& m = *self->message;
    if (!self->body_started) {
      self->body_started = true;
      // By now the EHLO reply of this connection has been seen. Refusing
      // here, before the first byte of data, means the server never holds
      // a message it was not meant to get.
      if (m.needs_smtputf8 && !self->smtputf8_offered) {
        self->refused_utf8 = true;
        return CURL_READFUNC_ABORT;
      }
    }
    const size_t room = size * count;
    const size_t left = m.data.size() - self->offset;
    const size_t n = std::min(room, left);
    std::memcpy(buffer, m.data.data() + self->offset, n);
    self->offset += n;
    if (self->offset == m.data.size()) self->body_complete = true;
    return n;
  }

  // Sees the server's replies (never what we send: that would include the
  // AUTH exchange). A greeting means a new connection.
  static int Debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    auto* self = static_cast<Session*>(user);
    if (type == CURLINFO_HEADER_OUT) {
      // Only the verb is kept, and only a known one: the lines of an AUTH
      // exchange carry credentials and must not be looked at further.
      const std::string verb = base::AsciiLower(std::string_view(data, std::min<size_t>(size, 8)));
      for (const char* known : {"ehlo", "helo", "auth", "mail", "rcpt", "data", "starttls"}) {
        if (verb.rfind(known, 0) == 0) self->last_command = known;
      }
      return 0;
    }
    if (type != CURLINFO_HEADER_IN) return 0;
    std::string_view line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.rfind("220", 0) == 0) self->smtputf8_offered = false;
    if (line.size() > 4 && line.rfind("250", 0) == 0 &&
        base::AsciiLower(line.substr(4)).rfind("smtputf8", 0) == 0) {
      self->smtputf8_offered = true;
    }
    self->last_reply = base::Printable(line, 200);
    return 0;
  }
};

SmtpMailer::SmtpMailer(SmtpSettings settings) : settings_(std::move(settings)) { GlobalInit(); }

SmtpMailer::~SmtpMailer() = default;

SendResult SmtpMailer::Send(const OutgoingMessage& message) {
  if (!session_) {
    session_ = std::make_unique<Session>();
    session_->curl.reset(curl_easy_init());
    if (!session_->curl) return {SendStatus::kRetry, "libcurl could not start a session", true};
  }
  Session& s = *session_;
  CURL* curl = s.curl.get();
  s.message = &message;
  s.offset = 0;
  s.body_started = s.body_complete = s.refused_utf8 = false;
  s.last_reply.clear();
  s.last_command.clear();

  const int port = settings_.port != 0 ? settings_.port : DefaultPort(settings_.tls_mode);
  const bool ipv6 = settings_.host.find(':') != std::string::npos;
  const std::string url =
      fmt::format("{}://{}{}{}:{}", settings_.tls_mode == "tls" ? "smtps" : "smtp", ipv6 ? "[" : "",
                  settings_.host, ipv6 ? "]" : "", port);
  const std::string from = "<" + message.envelope_from + ">";
  SlistHandle rcpt(curl_slist_append(nullptr, ("<" + message.recipient + ">").c_str()));

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings_.connect_timeout_s));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout_s));
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   settings_.tls_mode == "none" ? CURLUSESSL_NONE : CURLUSESSL_ALL);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (!settings_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.data.size()));
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Session::Read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &s);
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, &Session::Debug);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &s);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);  // feeds Debug; nothing is printed

  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  s.message = nullptr;
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);

  const std::string server = fmt::format("{}:{}", base::Printable(settings_.host, 100), port);
  if (rc == CURLE_OK) return {SendStatus::kSent, "accepted by " + server, false};
  const std::string reply = s.last_reply.empty() ? "" : " (server said: " + s.last_reply + ")";
  if (s.refused_utf8 || (message.needs_smtputf8 && !s.smtputf8_offered)) {
    return {SendStatus::kFailed,
            fmt::format("not sent: the address {} is not ASCII and the SMTP server {} does not "
                        "offer SMTPUTF8",
                        base::Printable(message.recipient, 254), server),
            false};
  }
  const std::string what = curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_LOGIN_DENIED:
      return {SendStatus::kRetry,
              fmt::format("cannot use the SMTP server {}: {}{}", server, what, reply), true};
    default:
      break;
  }
  // A reply of the server decides next: it says in so many words whether it
  // took the message. A refusal of the recipient or of the message itself
  // concerns this message only; a refusal of the session (greeting, EHLO,
  // login, sender) would refuse every message alike, so the pass stops and
  // they stay queued.
  const bool message_level =
      s.body_complete || s.last_command == "rcpt" || s.last_command == "data";
  if (code >= 400 && code < 600) {
    const bool permanent = code >= 500;
    if (message_level) {
      return {permanent ? SendStatus::kFailed : SendStatus::kRetry,
              fmt::format("{} by {}{}", permanent ? "refused" : "deferred", server, reply), false};
    }
    return {SendStatus::kRetry,
            fmt::format("the SMTP server {} refused the session{}", server, reply), true};
  }
  if (s.body_complete) {
    return {SendStatus::kUncertain,
            fmt::format("delivery uncertain: the connection to {} failed after the whole message "
                        "was sent ({}); not retried, so that it cannot arrive twice",
                        server, what),
            true};
  }
  return {SendStatus::kRetry,
          fmt::format("the connection to {} failed before the message was sent: {}{}", server, what,
                      reply),
          true};
}

}  // namespace contactsync::mail
