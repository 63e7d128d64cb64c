#pragma once

// Mail while `contactsync serve` runs: the public confirm and unsubscribe
// links, and a background thread that delivers the outbox.
//
// The sender re-reads the mail settings before every pass, so `contactsync
// mail config` (or the environment, app/mail_setup.h) takes effect without a
// restart; while mail is not configured (no SMTP host, sender or base URL)
// messages stay queued and the thread only waits. Each part owns a store
// instance of its own (a Store is not thread-safe).
//
// Thread safety: construct, Mount and destroy from one thread; the links are
// served from httplib's threads (MailLinkService serialises them).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/mail_link_routes.h"
#include "base/status.h"
#include "secrets/secret_box.h"
#include "store/store.h"

namespace httplib {
class Server;
}

namespace contactsync::app {

class ServeMail {
 public:
  // `log` receives one line per pass that sent or failed something, and
  // each new configuration problem; it must be callable from the sender
  // thread. `box` is copied.
  static base::Result<std::unique_ptr<ServeMail>> Start(
      const store::StoreOptions& store_options, const secrets::SecretBox& box,
      std::function<void(const std::string&)> log,
      std::chrono::milliseconds poll = std::chrono::seconds(5));

  // Stops the sender thread (after the message it is sending, if any).
  ~ServeMail();
  ServeMail(const ServeMail&) = delete;
  ServeMail& operator=(const ServeMail&) = delete;

  // Adds GET /confirm, GET and POST /unsubscribe. The ServeMail must outlive
  // the server.
  void Mount(httplib::Server& server);

 private:
  ServeMail(std::unique_ptr<store::Store> link_store, std::unique_ptr<store::Store> sender_store,
            const secrets::SecretBox& box, std::function<void(const std::string&)> log,
            std::chrono::milliseconds poll);
  void SenderLoop();
  // Waits `period` or until stopped; true when stopped.
  bool WaitOrStop(std::chrono::milliseconds period);

  std::unique_ptr<store::Store> link_store_;
  std::unique_ptr<store::Store> sender_store_;
  secrets::SecretBox box_;
  MailLinkService links_;
  std::function<void(const std::string&)> log_;
  std::chrono::milliseconds poll_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::thread sender_;
};

}  // namespace contactsync::app
