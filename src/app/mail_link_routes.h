#pragma once

// Mounting the mail links (mail_links.h) on a cpp-httplib server:
// GET /confirm, GET and POST /unsubscribe, token in the query (?t=). They
// answer without authentication (docs/spec.md §7) and send pages that must not be
// cached, framed or leak the token through a Referer.
//
// Thread safety: httplib calls handlers from several threads; the service
// serialises them on its store with a mutex.

#include <memory>
#include <mutex>

#include "app/mail_links.h"

namespace httplib {
class Server;
}

namespace contactsync::app {

class MailLinkService {
 public:
  // `store` is used only under the service's lock; neither is owned and
  // both must outlive the service (and the server it is mounted on).
  MailLinkService(store::MailStore& store, mail::LinkSigner signer,
                  const base::Clock& clock = base::SystemClock())
      : store_(store), signer_(signer), clock_(clock) {}

  MailLinkResponse Handle(std::string_view action, std::string_view token, std::string_view method);

 private:
  std::mutex mutex_;
  store::MailStore& store_;
  const mail::LinkSigner signer_;
  const base::Clock& clock_;
};

// Adds the routes; `service` must outlive `server`.
void MountMailLinkRoutes(httplib::Server& server, MailLinkService& service);

}  // namespace contactsync::app
