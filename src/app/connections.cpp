#include "app/connections.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::app {
namespace {

bool IsIdentifierStart(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool IsIdentifierPart(char c) { return IsIdentifierStart(c) || (c >= '0' && c <= '9') || c == '$'; }

bool IsIdentifier(std::string_view part) {
  if (part.empty() || part.size() > kMaxFunctionNameBytes || !IsIdentifierStart(part[0])) {
    return false;
  }
  return std::all_of(part.begin() + 1, part.end(), IsIdentifierPart);
}

// "name" or "schema.name", lower-case already.
bool IsFunctionName(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return IsIdentifier(name);
  return IsIdentifier(name.substr(0, dot)) && IsIdentifier(name.substr(dot + 1));
}

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
  record.allowed_functions = settings.allowed_functions;
  record.allow_custom_query_with_privileged_account =
      settings.allow_custom_query_with_privileged_account;
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
  view.settings.allowed_functions = record.allowed_functions;
  view.settings.allow_custom_query_with_privileged_account =
      record.allow_custom_query_with_privileged_account;
  view.has_password = !record.sealed_password.empty();
  view.created_at = record.created_at;
  view.updated_at = record.updated_at;
  return view;
}

// Validate, and the policy's names as they are kept.
base::Status ValidateAndNormalize(source::ConnectionSettings& settings) {
  CS_RETURN_IF_ERROR(source::Validate(settings));
  CS_ASSIGN_OR_RETURN(settings.allowed_functions,
                      NormalizeAllowedFunctions(settings.allowed_functions));
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<std::string>> NormalizeAllowedFunctions(
    const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& given : names) {
    std::string name(base::TrimAscii(given));
    base::AsciiLowerInPlace(name);
    if (!IsFunctionName(name)) {
      return base::InvalidArgument(fmt::format(
          "allowed function '{}' is not a function name: give NAME or SCHEMA.NAME, letters, "
          "digits, '_' and '$', at most {} bytes each",
          base::Printable(given, 80), kMaxFunctionNameBytes));
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  if (out.size() > kMaxAllowedFunctions) {
    return base::InvalidArgument(fmt::format("too many allowed functions: {}, at most {}",
                                             out.size(), kMaxAllowedFunctions));
  }
  return out;
}

std::string WhyPasswordCannotFollow(const source::ConnectionSettings& before,
                                    const source::ConnectionSettings& after) {
  if (before.type != after.type) return "the type changed";
  if (before.host != after.host) return "the host changed";
  if (source::EffectivePort(before) != source::EffectivePort(after)) return "the port changed";
  if (before.user != after.user) return "the user changed";
  if (before.tls_mode != after.tls_mode) return "the TLS mode changed";
  if (before.tls_ca_file != after.tls_ca_file) return "the CA file changed";
  return "";
}

base::Result<ConnectionView> Connections::Add(const std::string& name,
                                              source::ConnectionSettings settings) {
  CS_RETURN_IF_ERROR(ValidateAndNormalize(settings));
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
  CS_ASSIGN_OR_RETURN(const ConnectionView before, ToView(existing));
  settings.password = new_password.value_or("");
  CS_RETURN_IF_ERROR(ValidateAndNormalize(settings));
  store::ConnectionRecord record = ToRecord(name, settings);
  record.id = existing.id;
  record.owner_id = existing.owner_id;
  std::string cleared_because;
  if (new_password) {
    record.sealed_password =
        new_password->empty() ? std::string() : box_.Seal(*new_password, existing.owner_id);
  } else if (!existing.sealed_password.empty()) {
    // A password typed for one server must not be sent to another one the
    // settings now name: that server could be anyone's (issue 11).
    cleared_because = WhyPasswordCannotFollow(before.settings, settings);
    if (cleared_because.empty()) record.sealed_password = existing.sealed_password;
  }
  CS_ASSIGN_OR_RETURN(store::ConnectionRecord saved, store_.UpdateConnection(record));
  CS_ASSIGN_OR_RETURN(ConnectionView view, ToView(saved));
  view.password_cleared_because = std::move(cleared_because);
  return view;
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
