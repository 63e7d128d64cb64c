#include "app/json_codec.h"

namespace contactsync::app {

using nlohmann::json;

json ToJson(const model::Cause& cause) {
  return {{"kind", model::CauseKindName(cause.kind)}, {"detail", cause.detail}};
}

json ToJson(const store::ListInfo& list) {
  return {{"id", list.id},
          {"name", list.name},
          {"sender_name", list.sender_name},
          {"sender_email", list.sender_email},
          {"description", list.description},
          {"created_at", list.created_at},
          {"subscriber_count", list.subscriber_count}};
}

json ToJson(const store::CustomField& field) {
  const model::FieldDefinition& d = field.definition;
  return {{"id", field.id},
          {"key", d.key},
          {"tag", "%" + d.key + "%"},
          {"label", d.label},
          {"type", model::FieldTypeName(d.type)},
          {"options", d.options},
          {"required", d.required}};
}

json ToJson(const store::Contact& contact) {
  json subscriptions = json::array();
  for (const store::Subscription& s : contact.subscriptions) {
    subscriptions.push_back({{"list", s.list_name},
                             {"status", model::SubscriptionStatusName(s.status)},
                             {"changed_at", s.changed_at},
                             {"cause", ToJson(s.cause)}});
  }
  return {{"id", contact.id},
          {"email", contact.email},
          {"first_name", contact.first_name},
          {"last_name", contact.last_name},
          {"phone", contact.phone},
          {"fields", contact.fields},
          {"bounced", contact.bounced},
          {"ever_unsubscribed", contact.ever_unsubscribed},
          {"created_at", contact.created_at},
          {"updated_at", contact.updated_at},
          {"subscriptions", std::move(subscriptions)}};
}

json ToJson(const store::HistoryEntry& entry) {
  auto status = [](const std::optional<model::SubscriptionStatus>& s) -> json {
    return s ? json(model::SubscriptionStatusName(*s)) : json(nullptr);
  };
  return {{"list", entry.list_name},
          {"from", status(entry.from)},
          {"to", status(entry.to)},
          {"cause", ToJson(entry.cause)},
          {"at", entry.at}};
}

json ToJson(const store::Exclusion& exclusion) {
  return {{"id", exclusion.id},
          {"pattern", exclusion.pattern},
          {"list", exclusion.list_name ? json(*exclusion.list_name) : json(nullptr)},
          {"created_at", exclusion.created_at}};
}

json ToJson(const ConnectionView& view) {
  const source::ConnectionSettings& s = view.settings;
  json out = {
      {"name", view.name},
      {"type", source::SourceTypeName(s.type)},
      {"database", s.database},
      {"connect_timeout_s", s.connect_timeout_s},
      {"query_timeout_s", s.query_timeout_s},
      {"allowed_functions", s.allowed_functions},
      {"allow_custom_query_with_privileged_account", s.allow_custom_query_with_privileged_account},
      {"created_at", view.created_at},
      {"updated_at", view.updated_at}};
  if (!view.password_cleared_because.empty()) {
    out["password_cleared"] = true;
    out["password_cleared_because"] = view.password_cleared_because;
  }
  if (s.type != source::SourceType::kSqlite) {
    out["host"] = s.host;
    out["port"] = source::EffectivePort(s);
    out["user"] = s.user;
    out["tls_mode"] = source::TlsModeName(s.tls_mode);
    out["tls_ca_file"] = s.tls_ca_file;
    out["has_password"] = view.has_password;
  }
  return out;
}

json ToJson(const source::TableInfo& table) {
  return {{"schema", table.schema},
          {"name", table.name},
          {"kind", table.kind == source::TableKind::kView ? "view" : "table"}};
}

json ToJson(const source::ColumnInfo& column) {
  return {{"name", column.name},
          {"declared_type", column.declared_type},
          {"kind", source::ValueKindName(column.kind)},
          {"nullable", column.nullable}};
}

json ErrorToJson(const base::Status& status) {
  return {{"error", {{"code", base::ErrorCodeName(status.code())}, {"message", status.message()}}}};
}

}  // namespace contactsync::app
