#include "app/mail_link_routes.h"

#include <httplib.h>

namespace contactsync::app {

MailLinkResponse MailLinkService::Handle(std::string_view action, std::string_view token,
                                         std::string_view method) {
  std::lock_guard<std::mutex> lock(mutex_);
  return HandleMailLink(store_, signer_, action, token, method, clock_.Now());
}

void MountMailLinkRoutes(httplib::Server& server, MailLinkService& service) {
  const auto handler = [&service](const std::string& action) {
    return [&service, action](const httplib::Request& request, httplib::Response& response) {
      const MailLinkResponse page =
          service.Handle(action, request.get_param_value("t"), request.method);
      response.status = page.http_status;
      response.set_header("Cache-Control", "no-store");
      response.set_header("Referrer-Policy", "no-referrer");
      response.set_header("X-Content-Type-Options", "nosniff");
      response.set_header("X-Frame-Options", "DENY");
      response.set_header("Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                          "frame-ancestors 'none'");
      response.set_content(page.html, "text/html; charset=utf-8");
    };
  };
  server.Get("/confirm", handler("confirm"));
  server.Get("/unsubscribe", handler("unsubscribe"));
  server.Post("/unsubscribe", handler("unsubscribe"));
}

}  // namespace contactsync::app
