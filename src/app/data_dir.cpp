#include "app/data_dir.h"

#include <cstdlib>
#include <filesystem>

namespace contactsync::app {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

base::Result<Location> ResolveLocation(const std::string& data_dir_flag,
                                       const std::string& store_flag) {
  namespace fs = std::filesystem;
  std::string store_url = store_flag;
  if (store_url.empty() && data_dir_flag.empty()) store_url = Env("CONTACTSYNC_STORE");
  if (!store_url.empty()) {
    Location location{"", store_url, ""};
    // A SQLite store keeps its key beside its file.
    std::string_view path = store_url;
    if (path.starts_with("sqlite://")) {
      path.remove_prefix(9);
    } else if (path.starts_with("sqlite:")) {
      path.remove_prefix(7);
    } else if (path.find("://") != std::string_view::npos) {
      return location;
    }
    location.key_path =
        (fs::absolute(fs::path(path)).parent_path() / "secret.key").lexically_normal().string();
    return location;
  }

  std::string dir = data_dir_flag;
  if (dir.empty()) dir = Env("CONTACTSYNC_DATA_DIR");
  if (dir.empty() && !Env("XDG_DATA_HOME").empty()) dir = Env("XDG_DATA_HOME") + "/contactsync";
  if (dir.empty() && !Env("HOME").empty()) dir = Env("HOME") + "/.local/share/contactsync";
  if (dir.empty()) {
    return base::InvalidArgument(
        "no data directory: pass --data-dir DIR or set CONTACTSYNC_DATA_DIR");
  }
  const std::string absolute = fs::absolute(fs::path(dir)).lexically_normal().string();
  return Location{absolute, "sqlite://" + (fs::path(absolute) / "contactsync.db").string(),
                  (fs::path(absolute) / "secret.key").string()};
}

}  // namespace contactsync::app
