#pragma once

// What the confirm and unsubscribe links in mail do, without any HTTP
// framework (mail_link_routes.h mounts it on cpp-httplib):
//   GET  /confirm?t=TOKEN      confirms the subscription and says so;
//   GET  /unsubscribe?t=TOKEN  shows a page with an Unsubscribe button
//                              (a GET must not unsubscribe: mail scanners
//                              follow links);
//   POST /unsubscribe?t=TOKEN  unsubscribes — the button, and RFC 8058
//                              one-click (List-Unsubscribe-Post).
// An expired, damaged or forged token is refused with 400 and a page that
// says which; an unknown contact or list is 404; a subscription that cannot
// be confirmed (unsubscribed, bounced, excluded) is 409; another method 405.
//
// Thread safety: as thread-safe as `store` (one store per thread, or a lock
// around the call; MailLinkService in mail_link_routes.h holds one).

#include <string>
#include <string_view>

#include "base/clock.h"
#include "mail/link_signer.h"
#include "store/mail_store.h"

namespace contactsync::app {

struct MailLinkResponse {
  int http_status = 200;
  std::string html;  // a whole page, UTF-8, every value escaped
};

// `action` is "confirm" or "unsubscribe"; `method` "GET" or "POST".
MailLinkResponse HandleMailLink(store::MailStore& store, const mail::LinkSigner& signer,
                                std::string_view action, std::string_view token,
                                std::string_view method, base::TimePoint now);

}  // namespace contactsync::app
