#pragma once

// The JSON form of store objects, shared by the CLI's --json output and the
// HTTP API so that both speak the same shapes. Field names are lower_snake;
// timestamps are ISO 8601 UTC strings; absent optional values are null.

#include <nlohmann/json.hpp>

#include "app/connections.h"
#include "base/status.h"
#include "source/source.h"
#include "store/contact_store.h"
#include "store/list_store.h"

namespace contactsync::app {

nlohmann::json ToJson(const store::ListInfo& list);
nlohmann::json ToJson(const store::CustomField& field);
nlohmann::json ToJson(const store::Contact& contact);
nlohmann::json ToJson(const store::HistoryEntry& entry);
nlohmann::json ToJson(const store::Exclusion& exclusion);
nlohmann::json ToJson(const model::Cause& cause);

// Connections as `connection show --json` prints them: never a password,
// "has_password" instead (server types only); the custom-query policy
// ("allowed_functions", "allow_custom_query_with_privileged_account"); after
// an Update that removed the saved password, "password_cleared": true and
// "password_cleared_because".
nlohmann::json ToJson(const ConnectionView& view);
nlohmann::json ToJson(const source::TableInfo& table);    // schema, name, kind
nlohmann::json ToJson(const source::ColumnInfo& column);  // name, declared_type, kind, nullable

// {"error": {"code": "not_found", "message": "..."}}
nlohmann::json ErrorToJson(const base::Status& status);

}  // namespace contactsync::app
