#pragma once

// The web UI (the files under web/ in the source tree), embedded into the
// binary at build time so that `contactsync serve` needs no files beside it.
// CMake turns every file under web/ into a byte array of a generated .cpp
// (src/web/embed_assets.cmake); a changed, added or removed file rebuilds it.
//
// Thread safety: the table is immutable static data; FindAsset may be called
// from any thread at any time, also before main().

#include <string_view>

namespace contactsync::web {

struct Asset {
  std::string_view path;          // "/index.html", "/assets/app.js": web/ relative, leading '/'
  std::string_view content_type;  // e.g. "text/html; charset=utf-8", by file extension
  std::string_view body;          // the file's bytes, exactly
};

// The asset at exactly `path` (case-sensitive, no normalisation: "/" and
// "/a/../index.html" are not aliases of "/index.html"; the server maps "/" to
// "/index.html" itself), or nullptr when there is none. The pointer is valid
// for the life of the program.
const Asset* FindAsset(std::string_view path);

}  // namespace contactsync::web
