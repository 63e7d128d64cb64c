#include "app/connections.h"

namespace contactsync::app {
namespace {

store::ConnectionRecord ToRecord(const std::string& name,
                                 const source::ConnectionSettings& settings) {
  store::ConnectionRecord record;
  record.name = name;
  record.type = std::string(source::SourceTypeName(settings.type));
  record.host = settings.host;
  record.port = settings.port;
  record.user = settings.user;
  record.database = settings.database;
  record.tls_mode = std::string(source::TlsModeName(settings.tls_mode));
  record.tls_ca_file = settings.tls_ca_file;
  record.connect_timeout_s = settings.connect_timeout_s;
  record.query_timeout_s = settings.query_timeout_s;
  return record;
}

base::Result<ConnectionView> ToView(const store::ConnectionRecord& record) {
  ConnectionView view;
  view.id = record.id;
  view.name = record.name;
  CS_ASSIGN_OR_RETURN(view.settings.type, source::ParseSourceType(record.type));
  CS_ASSIGN_OR_RETURN(view.settings.tls_mode, source::ParseTlsMode(record.tls_mode));
  view.settings.host = record.host;
  view.settings.port = record.port;
  view.settings.user = record.user;
  view.settings.database = record.database;
  view.settings.tls_ca_file = record.tls_ca_file;
  view.settings.connect_timeout_s = record.connect_timeout_s;
  view.settings.query_timeout_s = record.query_timeout_s;
  view.has_password = !record.sealed_password.empty();
  view.created_at = record.created_at;
  view.updated_at = record.updated_at;
  return view;
}

}  // namespace

base::Result<ConnectionView> Connections::Add(const std::string& name,
                                              const source::ConnectionSettings& settings) {
  CS_RETURN_IF_ERROR(source::Validate(settings));
  store::ConnectionRecord record = ToRecord(name, settings);
  record.owner_id = secrets::NewSecretOwnerId();
  if (!settings.password.empty())
    record.sealed_password = box_.Seal(settings.password, record.owner_id);
  CS_ASSIGN_OR_RETURN(store::ConnectionRecord saved, store_.CreateConnection(record));
  return ToView(saved);
}

base::Result<ConnectionView> Connections::Update(const std::string& name,
                                                 source::ConnectionSettings settings,
                                                 const std::optional<std::string>& new_password) {
  CS_ASSIGN_OR_RETURN(store::ConnectionRecord existing, store_.GetConnection(name));
  settings.password = new_password.value_or("");
  CS_RETURN_IF_ERROR(source::Validate(settings));
  store::ConnectionRecord record = ToRecord(name, settings);
  record.id = existing.id;
  record.owner_id = existing.owner_id;
  record.sealed_password = !new_password           ? existing.sealed_password
                           : new_password->empty() ? std::string()
                                                   : box_.Seal(*new_password, existing.owner_id);
  CS_ASSIGN_OR_RETURN(store::ConnectionRecord saved, store_.UpdateConnection(record));
  return ToView(saved);
}

base::Result<std::vector<ConnectionView>> Connections::List() {
  CS_ASSIGN_OR_RETURN(std::vector<store::ConnectionRecord> records, store_.GetConnections());
  std::vector<ConnectionView> views;
  for (const auto& record : records) {
    CS_ASSIGN_OR_RETURN(ConnectionView view, ToView(record));
    views.push_back(std::move(view));
  }
  return views;
}

base::Result<ConnectionView> Connections::Get(const std::string& name) {
  CS_ASSIGN_OR_RETURN(store::ConnectionRecord record, store_.GetConnection(name));
  return ToView(record);
}

base::Status Connections::Remove(const std::string& name) { return store_.DeleteConnection(name); }

base::Result<source::ConnectionSettings> Connections::Settings(const std::string& name) {
  CS_ASSIGN_OR_RETURN(store::ConnectionRecord record, store_.GetConnection(name));
  CS_ASSIGN_OR_RETURN(ConnectionView view, ToView(record));
  if (!record.sealed_password.empty()) {
    CS_ASSIGN_OR_RETURN(view.settings.password, box_.Open(record.sealed_password, record.owner_id));
  }
  return view.settings;
}

base::Result<std::unique_ptr<source::SourceConnector>> Connections::Open(const std::string& name) {
  CS_ASSIGN_OR_RETURN(const source::ConnectionSettings settings, Settings(name));
  return source::OpenSource(settings);
}

base::Result<std::unique_ptr<source::SourceConnector>> OpenConnector(
    const source::ConnectionSettings& settings) {
  CS_RETURN_IF_ERROR(source::Validate(settings));
  return source::OpenSource(settings);
}

}  // namespace contactsync::app
