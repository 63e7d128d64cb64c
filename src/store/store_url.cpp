#include "store/store_url.h"

#include <cctype>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::store {
namespace {

constexpr std::string_view kAcceptedForms =
    "use sqlite:///absolute/path.db, sqlite:relative/path.db, a plain file path or "
    "postgresql://user@host:port/database";

// RFC 3986 scheme: a letter, then letters, digits, '+', '-', '.'.
bool IsScheme(std::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text.front()))) return false;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

base::Status Unsupported(std::string_view url) {
  return base::InvalidArgument(
      fmt::format("unsupported store URL '{}': {}", base::Printable(url), kAcceptedForms));
}

base::Result<StoreLocation> Sqlite(std::string_view url, std::string_view path) {
  if (path.empty()) return Unsupported(url);
  // ":memory:" would silently give a store that vanishes on exit.
  if (path == ":memory:") {
    return base::InvalidArgument("an in-memory store is not supported; give a file path");
  }
  return StoreLocation{StoreBackend::kSqlite, std::string(path), ""};
}

}  // namespace

base::Result<StoreLocation> ParseStoreUrl(std::string_view raw) {
  const std::string_view url = base::TrimAscii(raw);
  if (url.empty())
    return base::InvalidArgument(fmt::format("the store URL is empty; {}", kAcceptedForms));
  const std::string lower = base::AsciiLower(url);
  if (lower.starts_with("postgresql://") || lower.starts_with("postgres://")) {
    return StoreLocation{StoreBackend::kPostgresql, "", std::string(url)};
  }
  if (lower.starts_with("sqlite://")) {
    // Only the empty authority: "sqlite:///abs/path". "sqlite://host/x" names
    // a host, which a file database cannot have.
    const std::string_view rest = url.substr(std::string_view("sqlite://").size());
    if (!rest.starts_with('/')) return Unsupported(url);
    return Sqlite(url, rest);
  }
  if (lower.starts_with("sqlite:"))
    return Sqlite(url, url.substr(std::string_view("sqlite:").size()));
  if (const auto colon = url.find("://");
      colon != std::string_view::npos && IsScheme(url.substr(0, colon))) {
    return Unsupported(url);
  }
  return Sqlite(url, url);
}

}  // namespace contactsync::store
