#include "store/store_url.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>

#include "store/store.h"
#include "store/store_test_util.h"

namespace contactsync::store {
namespace {

using base::ErrorCode;
using testing::HasError;

TEST(ParseStoreUrlTest, AcceptsSqliteForms) {
  struct Case {
    std::string_view url;
    std::string_view path;
  };
  const Case cases[] = {
      {"sqlite:///var/lib/contactsync/store.db", "/var/lib/contactsync/store.db"},
      {"SQLite:///abs.db", "/abs.db"},
      {"sqlite:data/store.db", "data/store.db"},
      {"/plain/absolute.db", "/plain/absolute.db"},
      {"relative/store.db", "relative/store.db"},
      {" store.db ", "store.db"},
      {"dir:with:colons/store.db", "dir:with:colons/store.db"},
  };
  for (const Case& c : cases) {
    CS_ASSERT_OK_AND_ASSIGN(StoreLocation location, ParseStoreUrl(c.url));
    EXPECT_EQ(location.backend, StoreBackend::kSqlite);
    EXPECT_EQ(location.path, c.path) << c.url;
  }
}

TEST(ParseStoreUrlTest, RefusesPostgresForNow) {
  for (std::string_view url :
       {"postgresql://user@host/db", "postgres://host/db", "PostgreSQL://host/db"}) {
    EXPECT_TRUE(HasError(ParseStoreUrl(url), ErrorCode::kInvalidArgument,
                         "the PostgreSQL store is not available in this build yet; use a SQLite "
                         "store (--data-dir)"))
        << url;
  }
}

TEST(ParseStoreUrlTest, RefusesEverythingElseNamingTheAcceptedForms) {
  for (std::string_view url : {"", "   ", "mysql://host/db", "sqlite://host/store.db",
                               "sqlite:", "sqlite://", "http://x/y"}) {
    EXPECT_TRUE(HasError(ParseStoreUrl(url), ErrorCode::kInvalidArgument,
                         "sqlite:///absolute/path.db, sqlite:relative/path.db or a plain file "
                         "path"))
        << url;
  }
  EXPECT_TRUE(HasError(ParseStoreUrl(":memory:"), ErrorCode::kInvalidArgument, "in-memory"));
}

TEST(OpenStoreTest, OpensASqliteUrlAndRefusesOthers) {
  std::string pattern = (std::filesystem::temp_directory_path() / "cs-open-store-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  {
    auto store = OpenStore(StoreOptions{.url = "sqlite://" + (dir / "a" / "store.db").string()});
    ASSERT_TRUE(testing::IsOk(store));
    EXPECT_TRUE(testing::IsOk((*store)->SchemaVersion()));
    EXPECT_TRUE(std::filesystem::exists(dir / "a" / "store.db"));
  }
  EXPECT_TRUE(HasError(OpenStore(StoreOptions{.url = "postgres://h/db"}),
                       ErrorCode::kInvalidArgument, "PostgreSQL"));
  EXPECT_TRUE(
      HasError(OpenStore(StoreOptions{.url = (dir / "b.db").string(), .busy_timeout_ms = -1}),
               ErrorCode::kInvalidArgument, "busy timeout"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace contactsync::store
