#include "store/store_url.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>

#include "store/account_store.h"
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

TEST(ParseStoreUrlTest, ReadsPostgresqlUrlsAsTheyAreForLibpq) {
  for (std::string_view url : {"postgresql://user@host/db", "postgres://host/db",
                               "PostgreSQL://u:p@host:5433/db?sslmode=verify-full"}) {
    CS_ASSERT_OK_AND_ASSIGN(StoreLocation location, ParseStoreUrl(url));
    EXPECT_EQ(location.backend, StoreBackend::kPostgresql);
    EXPECT_EQ(location.url, url);
  }
  CS_ASSERT_OK_AND_ASSIGN(StoreLocation trimmed, ParseStoreUrl("  postgresql://h/db \n"));
  EXPECT_EQ(trimmed.url, "postgresql://h/db");
}

TEST(DescribeStoreLocationTest, NamesTheFileOrTheDatabaseButNeverThePassword) {
  CS_ASSERT_OK_AND_ASSIGN(std::string file, DescribeStoreLocation("sqlite:///var/lib/cs.db"));
  EXPECT_EQ(file, "/var/lib/cs.db");
  CS_ASSERT_OK_AND_ASSIGN(std::string server,
                          DescribeStoreLocation("postgresql://cs:s3cret@db.example:5433/contacts"));
  EXPECT_EQ(server, "PostgreSQL database 'contacts' on db.example:5433 as cs");
  EXPECT_EQ(server.find("s3cret"), std::string::npos);
}

TEST(ParseStoreUrlTest, RefusesEverythingElseNamingTheAcceptedForms) {
  for (std::string_view url : {"", "   ", "mysql://host/db", "sqlite://host/store.db",
                               "sqlite:", "sqlite://", "http://x/y"}) {
    EXPECT_TRUE(HasError(ParseStoreUrl(url), ErrorCode::kInvalidArgument,
                         "sqlite:///absolute/path.db, sqlite:relative/path.db, a plain file "
                         "path or postgresql://user@host:port/database"))
        << url;
  }
  EXPECT_TRUE(HasError(ParseStoreUrl(":memory:"), ErrorCode::kInvalidArgument, "in-memory"));
}

TEST(OpenStoreTest, OpensASqliteUrlAndTriesAPostgresqlOne) {
  std::string pattern = (std::filesystem::temp_directory_path() / "cs-open-store-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  {
    auto store = OpenStore(StoreOptions{.url = "sqlite://" + (dir / "a" / "store.db").string()});
    ASSERT_TRUE(testing::IsOk(store));
    EXPECT_TRUE(testing::IsOk((*store)->SchemaVersion()));
    EXPECT_TRUE(std::filesystem::exists(dir / "a" / "store.db"));
  }
  // Nothing listens on port 1: the PostgreSQL store is tried, and the error names it without
  // its password.
  const auto refused = OpenStore(
      StoreOptions{.url = "postgresql://cs:s3cret@127.0.0.1:1/contacts?connect_timeout=5"});
  EXPECT_TRUE(HasError(refused, ErrorCode::kUnavailable,
                       "PostgreSQL database 'contacts' on 127.0.0.1:1 as cs"));
  EXPECT_EQ(refused.status().message().find("s3cret"), std::string::npos);
  EXPECT_TRUE(HasError(OpenAccountStore(StoreOptions{.url = "postgresql://cs@127.0.0.1:1/x"}),
                       ErrorCode::kUnavailable, "PostgreSQL database 'x'"));
  EXPECT_TRUE(
      HasError(OpenStore(StoreOptions{.url = (dir / "b.db").string(), .busy_timeout_ms = -1}),
               ErrorCode::kInvalidArgument, "busy timeout"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace contactsync::store
