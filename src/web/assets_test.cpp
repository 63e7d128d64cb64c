#include "web/assets.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace contactsync::web {
namespace {

namespace fs = std::filesystem;

const fs::path kWebRoot = fs::path(CONTACTSYNC_SOURCE_DIR) / "web";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AssetsTest, EveryFileUnderWebIsEmbeddedByteForByte) {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kWebRoot)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = "/" + fs::relative(entry.path(), kWebRoot).generic_string();
    if (path.find("/.") != std::string::npos) continue;  // editor files are not embedded
    const Asset* asset = FindAsset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(asset->path, path);
    EXPECT_EQ(asset->body, ReadFile(entry.path())) << path;
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST(AssetsTest, ContentTypesFollowTheExtension) {
  const Asset* html = FindAsset("/index.html");
  ASSERT_NE(html, nullptr);
  EXPECT_EQ(html->content_type, "text/html; charset=utf-8");
  const Asset* js = FindAsset("/assets/app.js");
  ASSERT_NE(js, nullptr);
  // Browsers refuse a JavaScript module served with another type.
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  const Asset* css = FindAsset("/assets/app.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
}

TEST(AssetsTest, UnknownAndNonCanonicalPathsAreAbsent) {
  EXPECT_EQ(FindAsset("/no-such-file.js"), nullptr);
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("/"), nullptr);
  EXPECT_EQ(FindAsset("index.html"), nullptr);
  EXPECT_EQ(FindAsset("/INDEX.HTML"), nullptr);
  EXPECT_EQ(FindAsset("/assets/../index.html"), nullptr);
  EXPECT_EQ(FindAsset("/../CMakeLists.txt"), nullptr);
  EXPECT_EQ(FindAsset("/index.html/"), nullptr);
  EXPECT_EQ(FindAsset(std::string_view("/index.html\0x", 13)), nullptr);
}

// Every local reference in the pages and modules (src="/assets/..",
// href="/assets/..", import ... from "./x.js") names an embedded file, so
// the UI never asks the server for something it does not have.
TEST(AssetsTest, EveryLocalReferenceResolves) {
  const std::regex html_ref(R"re((?:src|href)="(/[^"#?]*)")re");
  const std::regex js_import(R"re((?:import|from)\s*\(?\s*["'](\.{1,2}/[^"']+)["'])re");
  int references = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kWebRoot)) {
    if (!entry.is_regular_file()) continue;
    const fs::path file = entry.path();
    const std::string text = ReadFile(file);
    const std::string ext = file.extension().string();
    if (ext == ".html") {
      for (std::sregex_iterator m(text.begin(), text.end(), html_ref), end; m != end; ++m) {
        EXPECT_NE(FindAsset((*m)[1].str()), nullptr) << file << " refers to " << (*m)[1];
        ++references;
      }
    } else if (ext == ".js") {
      const fs::path dir = fs::relative(file.parent_path(), kWebRoot);
      for (std::sregex_iterator m(text.begin(), text.end(), js_import), end; m != end; ++m) {
        const std::string target = "/" + (dir / (*m)[1].str()).lexically_normal().generic_string();
        EXPECT_NE(FindAsset(target), nullptr) << file << " imports " << (*m)[1];
        ++references;
      }
    }
  }
  EXPECT_GT(references, 3);
}

// The UI escapes by construction: no module may hand a string to the HTML
// parser or to the JavaScript compiler. Comments are skipped (dom.js names
// innerHTML to say it is not used).
TEST(AssetsTest, NoModuleParsesStringsAsHtmlOrCode) {
  const std::regex comment(R"re(//[^\n]*)re");
  const std::regex sink(
      R"re(\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*["'`]|\.setAttribute\s*\(\s*["']on)re");
  int modules = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kWebRoot)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".js") continue;
    const std::string code = std::regex_replace(ReadFile(entry.path()), comment, "");
    std::smatch m;
    EXPECT_FALSE(std::regex_search(code, m, sink)) << entry.path() << " uses " << m.str();
    ++modules;
  }
  EXPECT_GE(modules, 5);
}

}  // namespace
}  // namespace contactsync::web
