// /api/v1/contacts and /api/v1/exclusions.

#include <fmt/format.h>

#include "app/json_codec.h"
#include "http/api.h"
#include "model/subscription.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

model::Cause ApiCause(const Call& call) { return {model::CauseKind::kApi, call.who().username}; }

json ContactWithHistory(store::ContactStore& store, const store::Contact& contact,
                        base::Status& status) {
  json out = app::ToJson(contact);
  base::Result<std::vector<store::HistoryEntry>> history = store.GetHistory(contact.email);
  if (!history.ok()) {
    status = history.status();
    return out;
  }
  json entries = json::array();
  for (const auto& entry : *history) entries.push_back(app::ToJson(entry));
  out["history"] = std::move(entries);
  return out;
}

}  // namespace

void AddContactRoutes(Router& router) {
  router.Get("/api/v1/contacts", [](Call& call) -> base::Status {
    store::ContactFilter filter;
    CS_ASSIGN_OR_RETURN(const auto paging, call.Paging());
    filter.limit = paging.first;
    filter.offset = paging.second;
    if (auto list = call.Query("list"); list && !list->empty()) filter.list = *list;
    if (auto status = call.Query("status"); status && !status->empty()) {
      CS_ASSIGN_OR_RETURN(filter.status, model::ParseSubscriptionStatus(*status));
    }
    filter.search = call.Query("search").value_or("");
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ContactPage page, store->FindContacts(filter));
    json items = json::array();
    for (const auto& contact : page.contacts) items.push_back(app::ToJson(contact));
    call.Json({{"items", std::move(items)}, {"total", page.total}});
    return base::Status::Ok();
  });

  router.Post("/api/v1/contacts", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    store::ContactChange change;
    CS_ASSIGN_OR_RETURN(change.contact.email, RequiredString(body, "email"));
    CS_ASSIGN_OR_RETURN(change.contact.first_name, OptionalString(body, "first_name"));
    CS_ASSIGN_OR_RETURN(change.contact.last_name, OptionalString(body, "last_name"));
    CS_ASSIGN_OR_RETURN(change.contact.phone, OptionalString(body, "phone"));
    if (const auto fields = body.find("fields"); fields != body.end() && !fields->is_null()) {
      if (!fields->is_object()) return base::InvalidArgument("fields must be an object");
      for (const auto& [key, value] : fields->items()) {
        if (!value.is_string()) {
          return base::InvalidArgument(fmt::format("fields.{} must be a string", key));
        }
        change.contact.fields[key] = value.get<std::string>();
      }
    }
    CS_ASSIGN_OR_RETURN(change.list, OptionalString(body, "list"));
    CS_ASSIGN_OR_RETURN(const auto status, OptionalString(body, "status"));
    if (status) {
      CS_ASSIGN_OR_RETURN(change.status, model::ParseSubscriptionStatus(*status));
    }
    change.cause = ApiCause(call);
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ContactChangeOutcome outcome, store->SaveContact(change));
    call.Json({{"contact", app::ToJson(outcome.contact)},
               {"created", outcome.created},
               {"changed_fields", outcome.changed_fields},
               {"subscription_changed", outcome.subscription_changed}},
              outcome.created ? 201 : 200);
    return base::Status::Ok();
  });

  router.Get("/api/v1/contacts/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::Contact contact, store->GetContactById(id));
    base::Status status;
    json out = ContactWithHistory(*store, contact, status);
    CS_RETURN_IF_ERROR(status);
    call.Json(out);
    return base::Status::Ok();
  });

  router.Delete("/api/v1/contacts/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::Contact contact, store->GetContactById(id));
    CS_RETURN_IF_ERROR(store->DeleteContact(contact.email));
    call.Json({{"deleted", id}});
    return base::Status::Ok();
  });

  router.Post("/api/v1/contacts/{id}/unsubscribe", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const std::string list, RequiredString(body, "list"));
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::Contact contact, store->GetContactById(id));
    CS_RETURN_IF_ERROR(store->Unsubscribe(contact.email, list, ApiCause(call)));
    CS_ASSIGN_OR_RETURN(const store::Contact after, store->GetContactById(id));
    call.Json(app::ToJson(after));
    return base::Status::Ok();
  });

  router.Post("/api/v1/contacts/{id}/bounce", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::Contact contact, store->GetContactById(id));
    CS_RETURN_IF_ERROR(store->MarkBounced(contact.email, ApiCause(call)));
    CS_ASSIGN_OR_RETURN(const store::Contact after, store->GetContactById(id));
    call.Json(app::ToJson(after));
    return base::Status::Ok();
  });

  router.Get("/api/v1/exclusions", [](Call& call) -> base::Status {
    std::optional<std::string> list = call.Query("list");
    if (list && list->empty()) list.reset();
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const std::vector<store::Exclusion> entries, store->GetExclusions(list));
    json array = json::array();
    for (const auto& entry : entries) array.push_back(app::ToJson(entry));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/exclusions", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const std::string pattern, RequiredString(body, "pattern"));
    CS_ASSIGN_OR_RETURN(std::optional<std::string> list, OptionalString(body, "list"));
    if (list && list->empty()) list.reset();
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::Exclusion added, store->AddExclusion(pattern, list));
    call.Json(app::ToJson(added), 201);
    return base::Status::Ok();
  });

  router.Delete("/api/v1/exclusions/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->RemoveExclusion(id));
    call.Json({{"deleted", id}});
    return base::Status::Ok();
  });
}

}  // namespace contactsync::http
