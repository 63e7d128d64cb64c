#include "cli/command_context.h"

#include <algorithm>
#include <ostream>

#include "app/data_dir.h"
#include "base/text.h"

namespace contactsync::cli {

void Output::Json(const nlohmann::json& document) {
  // Invalid UTF-8 never reaches here (the store refuses it), but replacing
  // rather than throwing keeps a stray byte from turning into a crash.
  out_ << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void Output::Line(std::string_view text) { out_ << text << '\n'; }

void Output::Table(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back(header);
  for (const auto& row : rows) {
    std::vector<std::string> printable;
    for (const auto& cell : row) printable.push_back(base::Printable(cell, 60));
    cells.push_back(std::move(printable));
  }
  std::vector<size_t> widths(header.size(), 0);
  auto display_width = [](const std::string& s) {
    size_t chars = 0;
    for (char c : s) chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    return chars;
  };
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out_ << line << '\n';
  }
}

base::Result<store::Store*> CommandContext::Store() {
  if (store_) return store_.get();
  CS_ASSIGN_OR_RETURN(const store::StoreOptions store_options, StoreOptions());
  CS_ASSIGN_OR_RETURN(store_, store::OpenStore(store_options));
  return store_.get();
}

base::Result<store::StoreOptions> CommandContext::StoreOptions() const {
  CS_ASSIGN_OR_RETURN(app::Location location,
                      app::ResolveLocation(options.data_dir, options.store_url));
  store::StoreOptions store_options;
  store_options.url = location.store_url;
  return store_options;
}

base::Result<std::string> CommandContext::DataDirOrUrl() const {
  CS_ASSIGN_OR_RETURN(app::Location location,
                      app::ResolveLocation(options.data_dir, options.store_url));
  if (!location.data_dir.empty()) return location.data_dir;
  return store::DescribeStoreLocation(location.store_url);  // never a password
}

base::Result<app::Connections*> CommandContext::Connections() {
  if (connections_) return &*connections_;
  CS_ASSIGN_OR_RETURN(store::Store * store, Store());
  CS_ASSIGN_OR_RETURN(const secrets::SecretBox* box, SecretBox());
  connections_.emplace(*store, *box);
  return &*connections_;
}

base::Result<const secrets::SecretBox*> CommandContext::SecretBox() {
  if (secret_box_) return &*secret_box_;
  CS_ASSIGN_OR_RETURN(app::Location location,
                      app::ResolveLocation(options.data_dir, options.store_url));
  CS_ASSIGN_OR_RETURN(secret_box_, secrets::SecretBox::Load(location.key_path));
  return &*secret_box_;
}

base::Result<source::ConnectionSettings> CommandContext::ConnectionSettings(
    const std::string& name) {
  CS_ASSIGN_OR_RETURN(app::Connections * connections, Connections());
  return connections->Settings(name);
}

base::Result<std::unique_ptr<source::SourceConnector>> CommandContext::OpenConnection(
    const std::string& name) {
  CS_ASSIGN_OR_RETURN(source::ConnectionSettings settings, ConnectionSettings(name));
  return source::OpenSource(settings);
}

}  // namespace contactsync::cli
