#pragma once

// Which SQLite files a connection may open when it comes through the API
// (internal to the http module). A SQLite "database" is a path on the
// server's disk, and a signed-in user is not the operator: without this, a
// user could point a connection at the store itself (every user's password
// hash, every session's CSRF token, the sealed connection passwords) or at
// any file the server can read, and learn from the errors which paths exist.
//
// - Settings given through the API (create, change, test): the path must
//   resolve (symlinks followed) to a file inside a directory the operator
//   allowed (`serve --sqlite-dir`), and not inside the data directory. One
//   message for every refusal, whether or not the path exists.
// - Saved connections (made with the CLI, run from the UI): any path but the
//   store file and the secret key file.
//
// Thread safety: immutable after Make.

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace contactsync::http {

class SqlitePathPolicy {
 public:
  // `allowed_dirs` must exist (InvalidArgument naming --sqlite-dir
  // otherwise). `data_dir` may be empty; `protected_files` (the store file,
  // the key file) need not exist.
  static base::Result<std::unique_ptr<SqlitePathPolicy>> Make(
      const std::vector<std::string>& allowed_dirs, const std::string& data_dir,
      const std::vector<std::string>& protected_files);

  // For a path given through the API. PermissionDenied when not allowed.
  base::Status CheckNewPath(const std::string& path) const;
  // For a saved connection: PermissionDenied for the store and key files.
  base::Status CheckSavedPath(const std::string& path) const;

 private:
  SqlitePathPolicy() = default;
  bool IsProtected(const std::string& resolved) const;

  std::vector<std::string> allowed_dirs_;     // resolved
  std::vector<std::string> forbidden_dirs_;   // resolved data directory
  std::vector<std::string> protected_files_;  // resolved where they exist, else as given
};

// The file of a SQLite store URL ("sqlite://PATH", "sqlite:PATH", a bare
// path), or "" for a server URL.
std::string SqliteStoreFile(const std::string& store_url);

}  // namespace contactsync::http
