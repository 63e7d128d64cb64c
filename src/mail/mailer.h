#pragma once

// The Mailer: hands one finished message to a mail server. Behind an
// interface so that unit tests use FakeMailer (fake_mailer.h) and never
// send mail; SmtpMailer (smtp_mailer.h) is the real one.
//
// Thread safety: implementations are not thread-safe; one per thread.

#include <string>

namespace contactsync::mail {

struct OutgoingMessage {
  std::string envelope_from;    // addr-spec, checked (message.h CheckAddress)
  std::string recipient;        // addr-spec, checked
  bool needs_smtputf8 = false;  // an address is not ASCII
  std::string data;             // the whole message, CRLF line ends (BuildMessage)
};

// What became of one message. The distinction between kRetry and kUncertain
// is what keeps a message from arriving twice: kRetry is returned only when
// the server certainly did not take the message (it never received the end
// of the data, or it answered 4xx); once the whole message was handed over
// and no final answer came back, the result is kUncertain.
enum class SendStatus {
  kSent,       // the server accepted it (250 after the data)
  kRetry,      // not taken, try again later: connection failure, 4xx reply
  kFailed,     // refused for good: 5xx reply, or something we cannot send
  kUncertain,  // the server may or may not have taken it
};

struct SendResult {
  SendStatus status = SendStatus::kSent;
  std::string message;  // for people: what happened, with the server's reply; no secrets
  // The server could not be reached or the session could not be set up
  // (connect, TLS, login): later messages of the same pass would fail alike.
  bool server_unavailable = false;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual SendResult Send(const OutgoingMessage& message) = 0;
};

}  // namespace contactsync::mail
