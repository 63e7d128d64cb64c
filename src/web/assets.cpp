#include "web/assets.h"

#include <algorithm>
#include <span>

namespace contactsync::web {

// Defined in the .cpp that CMake generates from web/ (embed_assets.cmake),
// sorted by path so that a lookup is a binary search.
extern const Asset kEmbeddedAssets[];
extern const std::size_t kEmbeddedAssetCount;

const Asset* FindAsset(std::string_view path) {
  const std::span<const Asset> assets(kEmbeddedAssets, kEmbeddedAssetCount);
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == assets.end() || it->path != path) return nullptr;
  return &*it;
}

}  // namespace contactsync::web
