#include "source/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace contactsync::source {
namespace {

using base::ErrorCode;
using ::testing::HasSubstr;

ConnectionSettings Server() {
  ConnectionSettings settings;
  settings.type = SourceType::kMySql;
  settings.host = "db.example.com";
  settings.user = "reader";
  settings.password = "s3cret-value";
  settings.database = "shop";
  return settings;
}

TEST(SettingsTest, ParsesTypesAndAliases) {
  EXPECT_EQ(*ParseSourceType("mysql"), SourceType::kMySql);
  EXPECT_EQ(*ParseSourceType(" MariaDB "), SourceType::kMySql);
  EXPECT_EQ(*ParseSourceType("postgres"), SourceType::kPostgreSql);
  EXPECT_EQ(*ParseSourceType("PostgreSQL"), SourceType::kPostgreSql);
  EXPECT_EQ(*ParseSourceType("sqlite3"), SourceType::kSqlite);
  auto bad = ParseSourceType("oracle");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'oracle'"));
  for (SourceType type : {SourceType::kMySql, SourceType::kPostgreSql, SourceType::kSqlite}) {
    EXPECT_EQ(*ParseSourceType(SourceTypeName(type)), type);
  }
}

TEST(SettingsTest, ParsesTlsModes) {
  for (TlsMode mode :
       {TlsMode::kDisable, TlsMode::kPrefer, TlsMode::kRequire, TlsMode::kVerifyCa}) {
    EXPECT_EQ(*ParseTlsMode(TlsModeName(mode)), mode);
  }
  EXPECT_EQ(ParseTlsMode("verify-full").status().code(), ErrorCode::kInvalidArgument);
}

TEST(SettingsTest, DefaultPorts) {
  ConnectionSettings settings = Server();
  EXPECT_EQ(EffectivePort(settings), 3306);
  settings.type = SourceType::kPostgreSql;
  EXPECT_EQ(EffectivePort(settings), 5432);
  settings.port = 6543;
  EXPECT_EQ(EffectivePort(settings), 6543);
}

TEST(SettingsTest, ValidateNamesTheFieldToFix) {
  EXPECT_TRUE(Validate(Server()).ok());

  ConnectionSettings settings = Server();
  settings.user.clear();
  EXPECT_THAT(Validate(settings).message(), HasSubstr("user"));

  settings = Server();
  settings.port = 70000;
  EXPECT_THAT(Validate(settings).message(), HasSubstr("port"));

  settings = Server();
  settings.tls_mode = TlsMode::kVerifyCa;
  EXPECT_THAT(Validate(settings).message(), HasSubstr("tls_ca_file"));
  settings.tls_ca_file = "/etc/ssl/ca.pem";
  EXPECT_TRUE(Validate(settings).ok());

  settings = Server();
  settings.query_timeout_s = 0;
  EXPECT_THAT(Validate(settings).message(), HasSubstr("query_timeout_s"));

  settings = Server();
  settings.connect_timeout_s = -1;
  EXPECT_THAT(Validate(settings).message(), HasSubstr("connect_timeout_s"));
}

TEST(SettingsTest, SqliteNeedsOnlyAPath) {
  ConnectionSettings settings;
  settings.type = SourceType::kSqlite;
  EXPECT_THAT(Validate(settings).message(), HasSubstr("path of the SQLite file"));
  settings.database = "/data/shop.db";
  settings.host.clear();
  EXPECT_TRUE(Validate(settings).ok());
}

TEST(SettingsTest, MessagesNeverContainThePassword) {
  ConnectionSettings settings = Server();
  settings.port = -5;
  EXPECT_THAT(Validate(settings).message(), ::testing::Not(HasSubstr("s3cret-value")));
}

}  // namespace
}  // namespace contactsync::source
