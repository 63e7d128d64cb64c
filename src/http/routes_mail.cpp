// /api/v1/mail (settings, outbox) and the lists' autoresponders. The logic
// is app/mail_setup.h's, shared with `contactsync mail` and
// `contactsync autoresponder`; this file only maps JSON to it.

#include <set>

#include <fmt/format.h>

#include "app/mail_setup.h"
#include "http/api.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

// The body of PUT /api/v1/mail/settings as a change: absent (or null)
// fields keep their value, like the options of `contactsync mail config`.
base::Result<app::MailSettingsChange> SettingsChange(const json& body) {
  app::MailSettingsChange change;
  CS_ASSIGN_OR_RETURN(change.smtp_host, OptionalString(body, "smtp_host"));
  CS_ASSIGN_OR_RETURN(const auto port, OptionalInt(body, "smtp_port"));
  if (port) {
    // Checked here only so that the narrowing below cannot wrap; the store
    // gives the same bound for the CLI.
    if (*port < 0 || *port > 65535) {
      return base::InvalidArgument(
          fmt::format("smtp_port must be between 0 and 65535, not {}", *port));
    }
    change.smtp_port = static_cast<int>(*port);
  }
  CS_ASSIGN_OR_RETURN(change.tls_mode, OptionalString(body, "tls_mode"));
  CS_ASSIGN_OR_RETURN(change.smtp_user, OptionalString(body, "smtp_user"));
  CS_ASSIGN_OR_RETURN(change.tls_ca_file, OptionalString(body, "tls_ca_file"));
  CS_ASSIGN_OR_RETURN(change.password, OptionalString(body, "password"));
  CS_ASSIGN_OR_RETURN(change.from_name, OptionalString(body, "from_name"));
  CS_ASSIGN_OR_RETURN(change.from_email, OptionalString(body, "from_email"));
  CS_ASSIGN_OR_RETURN(change.hourly_cap, OptionalInt(body, "hourly_cap"));
  CS_ASSIGN_OR_RETURN(change.base_url, OptionalString(body, "base_url"));
  for (const auto& [key, value] : body.items()) {
    static const std::set<std::string> kKnown{"smtp_host",   "smtp_port", "tls_mode",  "smtp_user",
                                              "tls_ca_file", "password",  "from_name", "from_email",
                                              "hourly_cap",  "base_url"};
    // A misspelt field would otherwise be ignored silently, and the user
    // would believe it saved.
    if (kKnown.count(key) == 0) {
      return base::InvalidArgument(fmt::format("unknown field '{}'", key));
    }
  }
  return change;
}

}  // namespace

void AddMailRoutes(Router& router) {
  router.Get("/api/v1/mail/settings", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const app::MailSettingsView view, app::GetMailSettings(*store));
    call.Json(app::ToJson(view));
    return base::Status::Ok();
  });

  router.Put("/api/v1/mail/settings", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const app::MailSettingsChange change, SettingsChange(body));
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const app::MailSettingsView view,
                        app::UpdateMailSettings(*store, call.state.box, change));
    json out = app::ToJson(view);
    // Always present on a PUT, so that a client knows whether to ask for the
    // password again.
    out["password_cleared"] = !view.password_cleared_because.empty();
    call.Json(out);
    return base::Status::Ok();
  });

  router.Get("/api/v1/mail/outbox", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const auto paging, call.Paging());
    store::OutboxFilter filter;
    filter.limit = paging.first;
    filter.offset = paging.second;
    if (const auto state = call.Query("state"); state && !state->empty()) {
      CS_ASSIGN_OR_RETURN(filter.state, store::ParseOutboxState(*state));
    }
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::OutboxPage page, store->GetOutbox(filter));
    json items = json::array();
    for (const auto& message : page.messages) items.push_back(app::ToJson(message));
    call.Json({{"items", items}, {"total", page.total}});
    return base::Status::Ok();
  });

  router.Get("/api/v1/mail/outbox/summary", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const app::OutboxSummary summary,
                        app::GetOutboxSummary(*store, *call.state.options.store.clock));
    call.Json(app::ToJson(summary));
    return base::Status::Ok();
  });

  router.Post("/api/v1/mail/outbox/{id}/retry", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->RequeueMessage(id));
    call.Json({{"queued", id}});
    return base::Status::Ok();
  });

  // Cancelled messages are never sent: the way out of a queue that mail,
  // once set up, should not deliver (a sync that queued confirmations by
  // mistake).
  router.Post("/api/v1/mail/outbox/{id}/cancel", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->CancelMessage(id));
    call.Json({{"cancelled", 1}, {"id", id}});
    return base::Status::Ok();
  });

  router.Post("/api/v1/mail/outbox/cancel-queued", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const int64_t cancelled, store->CancelQueuedMessages());
    call.Json({{"cancelled", cancelled}});
    return base::Status::Ok();
  });

  router.Get("/api/v1/lists/{id}/autoresponders", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ListInfo list, ListById(*store, id));
    CS_ASSIGN_OR_RETURN(const std::vector<store::Autoresponder> all,
                        store->GetAutoresponders(list.name));
    json array = json::array();
    for (const auto& autoresponder : all) array.push_back(app::ToJson(autoresponder));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/lists/{id}/autoresponders", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    store::NewAutoresponder autoresponder;
    CS_ASSIGN_OR_RETURN(autoresponder.subject, RequiredString(body, "subject"));
    CS_ASSIGN_OR_RETURN(autoresponder.body, RequiredString(body, "body"));
    CS_ASSIGN_OR_RETURN(const auto delay, OptionalInt(body, "delay_s"));
    autoresponder.delay_s = delay.value_or(0);
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ListInfo list, ListById(*store, id));
    autoresponder.list = list.name;
    CS_ASSIGN_OR_RETURN(const store::Autoresponder created,
                        store->CreateAutoresponder(autoresponder));
    call.Json(app::ToJson(created), 201);
    return base::Status::Ok();
  });

  router.Delete("/api/v1/autoresponders/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->DeleteAutoresponder(id));
    call.Json({{"deleted", id}});
    return base::Status::Ok();
  });
}

}  // namespace contactsync::http
