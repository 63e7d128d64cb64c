#include "secrets/secret_box.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace contactsync::secrets {
namespace {

namespace fs = std::filesystem;

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("CONTACTSYNC_TEST_KEY");
    dir_ = fs::temp_directory_path() /
           ("contactsync-secrets-" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  base::Result<SecretBox> Load() {
    return SecretBox::Load((dir_ / "secret.key").string(), "CONTACTSYNC_TEST_KEY");
  }

  fs::path dir_;
};

TEST_F(SecretBoxTest, CreatesAPrivateKeyFileOnceAndReusesIt) {
  SecretBox first = Load().value();
  struct stat info {};
  ASSERT_EQ(stat((dir_ / "secret.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, 32);
  const std::string sealed = first.Seal("hunter2", "conn-1");
  SecretBox second = Load().value();
  EXPECT_EQ(second.Open(sealed, "conn-1").value(), "hunter2");
}

TEST_F(SecretBoxTest, SealedValuesHideThePlaintextAndDiffer) {
  SecretBox box = Load().value();
  const std::string a = box.Seal("hunter2", "conn-1");
  const std::string b = box.Seal("hunter2", "conn-1");
  EXPECT_NE(a, b);  // fresh nonce each time
  EXPECT_EQ(a.find("hunter2"), std::string::npos);
  EXPECT_EQ(box.Open(box.Seal("", "x"), "x").value(), "");
}

TEST_F(SecretBoxTest, RefusesTamperingOtherOwnersAndOtherKeys) {
  SecretBox box = Load().value();
  std::string sealed = box.Seal("hunter2", "conn-1");
  EXPECT_EQ(box.Open(sealed, "conn-2").status().code(), base::ErrorCode::kPermissionDenied);
  std::string tampered = sealed;
  tampered.back() = static_cast<char>(tampered.back() ^ 1);
  EXPECT_FALSE(box.Open(tampered, "conn-1").ok());
  EXPECT_FALSE(box.Open("short", "conn-1").ok());
  std::array<unsigned char, kKeyBytes> other_key{};
  other_key.fill(7);
  EXPECT_FALSE(SecretBox::FromKey(other_key).Open(sealed, "conn-1").ok());
}

TEST_F(SecretBoxTest, KeyFromEnvironment) {
  setenv("CONTACTSYNC_TEST_KEY", std::string(64, 'a').c_str(), 1);
  SecretBox box = Load().value();
  EXPECT_FALSE(fs::exists(dir_ / "secret.key"));
  std::array<unsigned char, kKeyBytes> key{};
  key.fill(0xaa);
  EXPECT_EQ(SecretBox::FromKey(key).Open(box.Seal("pw", "c"), "c").value(), "pw");

  setenv("CONTACTSYNC_TEST_KEY", "not-hex", 1);
  auto bad = Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("64 hexadecimal digits"), std::string::npos);
  unsetenv("CONTACTSYNC_TEST_KEY");
}

TEST_F(SecretBoxTest, RefusesAKeyFileOthersCanRead) {
  ASSERT_TRUE(Load().ok());
  fs::permissions(dir_ / "secret.key", fs::perms::others_read, fs::perm_options::add);
  auto result = Load();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::ErrorCode::kPermissionDenied);
  EXPECT_NE(result.status().message().find("chmod 600"), std::string::npos);
}

TEST(SecretOwnerIdTest, IsRandomHex) {
  const std::string a = NewSecretOwnerId();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, NewSecretOwnerId());
}

}  // namespace
}  // namespace contactsync::secrets
