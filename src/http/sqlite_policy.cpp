#include "http/sqlite_policy.h"

#include <climits>
#include <cstdlib>

#include <fmt/format.h>

namespace contactsync::http {
namespace {

// The canonical absolute path of an existing file or directory, or "".
std::string Resolve(const std::string& path) {
  if (path.empty()) return "";
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return "";
  return resolved;
}

bool IsInside(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

base::Status NotAllowed() {
  return base::PermissionDenied(
      "this SQLite file is not in a directory the operator allowed for SQLite connections "
      "(contactsync serve --sqlite-dir DIR); ask the operator, or save the connection with the "
      "CLI");
}

}  // namespace

base::Result<std::unique_ptr<SqlitePathPolicy>> SqlitePathPolicy::Make(
    const std::vector<std::string>& allowed_dirs, const std::string& data_dir,
    const std::vector<std::string>& protected_files) {
  std::unique_ptr<SqlitePathPolicy> policy(new SqlitePathPolicy());
  for (const std::string& dir : allowed_dirs) {
    const std::string resolved = Resolve(dir);
    if (resolved.empty()) {
      return base::InvalidArgument(
          fmt::format("--sqlite-dir {}: no such directory (give an existing one)", dir));
    }
    policy->allowed_dirs_.push_back(resolved);
  }
  if (const std::string resolved = Resolve(data_dir); !resolved.empty()) {
    policy->forbidden_dirs_.push_back(resolved);
  }
  for (const std::string& file : protected_files) {
    if (file.empty()) continue;
    const std::string resolved = Resolve(file);
    policy->protected_files_.push_back(resolved.empty() ? file : resolved);
  }
  return policy;
}

base::Status SqlitePathPolicy::CheckNewPath(const std::string& path) const {
  const std::string resolved = Resolve(path);
  if (resolved.empty() || IsProtected(resolved)) return NotAllowed();
  for (const std::string& dir : forbidden_dirs_) {
    if (resolved == dir || IsInside(resolved, dir)) return NotAllowed();
  }
  for (const std::string& dir : allowed_dirs_) {
    if (IsInside(resolved, dir)) return base::Status::Ok();
  }
  return NotAllowed();
}

base::Status SqlitePathPolicy::CheckSavedPath(const std::string& path) const {
  const std::string resolved = Resolve(path);
  if (IsProtected(resolved.empty() ? path : resolved)) {
    return base::PermissionDenied(
        "a SQLite connection cannot open contactsync's own store or secret key file");
  }
  return base::Status::Ok();
}

bool SqlitePathPolicy::IsProtected(const std::string& resolved) const {
  for (const std::string& file : protected_files_) {
    if (resolved == file) return true;
  }
  return false;
}

std::string SqliteStoreFile(const std::string& store_url) {
  std::string_view path = store_url;
  if (path.starts_with("sqlite://")) {
    path.remove_prefix(9);
  } else if (path.starts_with("sqlite:")) {
    path.remove_prefix(7);
  } else if (path.find("://") != std::string_view::npos) {
    return "";
  }
  return std::string(path);
}

}  // namespace contactsync::http
