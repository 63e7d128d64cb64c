#include "app/data_dir.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace contactsync::app {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("CONTACTSYNC_STORE");
    unsetenv("CONTACTSYNC_DATA_DIR");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/ann", 1);
  }
};

TEST_F(DataDirTest, StoreUrlWins) {
  Location location = ResolveLocation("/tmp/x", "postgresql://db/cs").value();
  EXPECT_EQ(location.store_url, "postgresql://db/cs");
  EXPECT_EQ(location.data_dir, "");
}

TEST_F(DataDirTest, TheStoreVariableComesAfterTheFlagsAndBeforeTheDataDirVariable) {
  setenv("CONTACTSYNC_STORE", "postgresql://cs@db.internal/contacts", 1);
  setenv("CONTACTSYNC_DATA_DIR", "/var/lib/cs", 1);
  Location location = ResolveLocation("", "").value();
  EXPECT_EQ(location.store_url, "postgresql://cs@db.internal/contacts");
  EXPECT_EQ(location.data_dir, "");
  EXPECT_EQ(location.key_path, "");  // every host gives the key: $CONTACTSYNC_SECRET_KEY
  EXPECT_EQ(ResolveLocation("/srv/cs", "").value().data_dir, "/srv/cs");
  EXPECT_EQ(ResolveLocation("", "sqlite:///srv/x.db").value().store_url, "sqlite:///srv/x.db");
}

TEST_F(DataDirTest, FlagThenEnvironmentThenHome) {
  EXPECT_EQ(ResolveLocation("/srv/cs/", "").value().store_url, "sqlite:///srv/cs/contactsync.db");
  setenv("CONTACTSYNC_DATA_DIR", "/var/lib/cs", 1);
  EXPECT_EQ(ResolveLocation("", "").value().data_dir, "/var/lib/cs");
  unsetenv("CONTACTSYNC_DATA_DIR");
  setenv("XDG_DATA_HOME", "/xdg", 1);
  EXPECT_EQ(ResolveLocation("", "").value().data_dir, "/xdg/contactsync");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(ResolveLocation("", "").value().data_dir, "/home/ann/.local/share/contactsync");
}

TEST_F(DataDirTest, NoHomeIsAClearError) {
  unsetenv("HOME");
  auto result = ResolveLocation("", "");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("--data-dir"), std::string::npos);
}

}  // namespace
}  // namespace contactsync::app
