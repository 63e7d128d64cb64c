// /api/v1/lists and /api/v1/fields.

#include <fmt/format.h>

#include "app/json_codec.h"
#include "app/sync_runs.h"
#include "base/text.h"
#include "http/api.h"
#include "model/custom_field.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

}  // namespace

void AddListRoutes(Router& router) {
  router.Get("/api/v1/lists", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const std::vector<store::ListInfo> lists, store->GetLists());
    json array = json::array();
    for (const auto& list : lists) array.push_back(app::ToJson(list));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/lists", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    store::NewList list;
    CS_ASSIGN_OR_RETURN(list.name, RequiredString(body, "name"));
    CS_ASSIGN_OR_RETURN(const auto sender_name, OptionalString(body, "sender_name"));
    CS_ASSIGN_OR_RETURN(const auto sender_email, OptionalString(body, "sender_email"));
    CS_ASSIGN_OR_RETURN(const auto description, OptionalString(body, "description"));
    list.sender_name = sender_name.value_or("");
    list.sender_email = sender_email.value_or("");
    list.description = description.value_or("");
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ListInfo created, store->CreateList(list));
    call.Json(app::ToJson(created), 201);
    return base::Status::Ok();
  });

  router.Get("/api/v1/lists/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ListInfo list, ListById(*store, id));
    call.Json(app::ToJson(list));
    return base::Status::Ok();
  });

  // Refused (409, naming them) while syncs import into the list, unless
  // ?force=true, which deletes those syncs too (docs/api.md).
  router.Delete("/api/v1/lists/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(const bool force, call.Force());
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::ListInfo list, ListById(*store, id));
    CS_ASSIGN_OR_RETURN(const std::vector<std::string> syncs,
                        app::SyncsUsingList(*store, list.name));
    CS_RETURN_IF_ERROR(
        app::DeleteSyncsUsing(*store, fmt::format("list '{}'", base::Printable(list.name, 255)),
                              syncs, force, "add ?force=true"));
    CS_RETURN_IF_ERROR(store->DeleteList(list.name));
    call.Json({{"deleted", id},
               {"subscriptions_removed", list.subscriber_count},
               {"syncs_deleted", syncs}});
    return base::Status::Ok();
  });

  router.Get("/api/v1/fields", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const std::vector<store::CustomField> fields, store->GetFields());
    json array = json::array();
    for (const auto& field : fields) array.push_back(app::ToJson(field));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/fields", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    model::FieldDefinition definition;
    CS_ASSIGN_OR_RETURN(definition.key, RequiredString(body, "key"));
    CS_ASSIGN_OR_RETURN(const auto label, OptionalString(body, "label"));
    CS_ASSIGN_OR_RETURN(const auto type, OptionalString(body, "type"));
    CS_ASSIGN_OR_RETURN(const auto required, OptionalBool(body, "required"));
    CS_ASSIGN_OR_RETURN(definition.type, model::ParseFieldType(type.value_or("text")));
    definition.label = label && !label->empty() ? *label : definition.key;
    definition.required = required.value_or(false);
    if (const auto options = body.find("options"); options != body.end() && !options->is_null()) {
      if (!options->is_array()) return base::InvalidArgument("options must be an array of strings");
      for (const auto& option : *options) {
        if (!option.is_string()) return base::InvalidArgument("options must be strings");
        definition.options.push_back(option.get<std::string>());
      }
    }
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_ASSIGN_OR_RETURN(const store::CustomField created, store->CreateField(definition));
    call.Json(app::ToJson(created), 201);
    return base::Status::Ok();
  });

  router.Delete("/api/v1/fields/{key}", [](Call& call) -> base::Status {
    const std::string key = call.Param();
    CS_ASSIGN_OR_RETURN(store::Store * store, call.Store());
    CS_RETURN_IF_ERROR(store->DeleteField(key));
    call.Json({{"deleted", key}});
    return base::Status::Ok();
  });
}

}  // namespace contactsync::http
