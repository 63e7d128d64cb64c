#include "store/sqlite/sqlite_account_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_test_store.h"
#include "store/store_test_util.h"

namespace contactsync::store::sqlite {
namespace {

using store::testing::HasError;
using store::testing::IsOk;

class SqliteAccountStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteAccountStore> Open() {
    auto store = SqliteAccountStore::Open((dir_.path() / "store.db").string(), 5000, clock_);
    EXPECT_TRUE(IsOk(store));
    return store.ok() ? std::move(store).value() : nullptr;
  }

  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1'700'000'000))};
  testing::TempDir dir_;
};

TEST_F(SqliteAccountStoreTest, FirstUserOnlyWhileNoneExists) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const int64_t none, store->CountUsers());
  EXPECT_EQ(none, 0);
  CS_ASSERT_OK_AND_ASSIGN(const User admin, store->CreateFirstUser("admin", "$argon2id$x"));
  EXPECT_EQ(admin.username, "admin");
  EXPECT_TRUE(HasError(store->CreateFirstUser("other", "$argon2id$y"),
                       base::ErrorCode::kFailedPrecondition, "a user exists"));
  EXPECT_TRUE(HasError(store->CreateUser("admin", "h"), base::ErrorCode::kAlreadyExists));
  EXPECT_TRUE(HasError(store->CreateUser(" admin", "h"), base::ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store->CreateUser("a\nb", "h"), base::ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(const User bob, store->CreateUser("bob", "h2"));
  CS_ASSERT_OK_AND_ASSIGN(const auto users, store->GetUsers());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1].username, "bob");
  CS_ASSERT_OK_AND_ASSIGN(const User by_id, store->GetUserById(bob.id));
  EXPECT_EQ(by_id.password_hash, "h2");
}

TEST_F(SqliteAccountStoreTest, SessionsAndTokensGoWithTheirUser) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const User user, store->CreateUser("ann", "h"));
  ASSERT_TRUE(IsOk(store->CreateSession({"hash1", user.id, "", "csrf", 100, 100})));
  CS_ASSERT_OK_AND_ASSIGN(SessionRecord session, store->GetSession("hash1"));
  EXPECT_EQ(session.username, "ann");
  EXPECT_EQ(session.csrf_token, "csrf");
  ASSERT_TRUE(IsOk(store->TouchSession("hash1", 150)));
  CS_ASSERT_OK_AND_ASSIGN(session, store->GetSession("hash1"));
  EXPECT_EQ(session.last_seen_unix, 150);

  CS_ASSERT_OK_AND_ASSIGN(const ApiToken token, store->CreateApiToken(user.id, "ci", "thash"));
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken found, store->FindApiToken("thash"));
  EXPECT_EQ(found.id, token.id);
  EXPECT_EQ(found.username, "ann");
  EXPECT_TRUE(found.last_used_at.empty());
  ASSERT_TRUE(IsOk(store->TouchApiToken(token.id)));
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken used, store->FindApiToken("thash"));
  EXPECT_FALSE(used.last_used_at.empty());
  EXPECT_TRUE(HasError(store->DeleteApiToken(user.id + 1, token.id), base::ErrorCode::kNotFound));

  ASSERT_TRUE(IsOk(store->DeleteUser("ann")));
  EXPECT_TRUE(HasError(store->GetSession("hash1"), base::ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store->FindApiToken("thash"), base::ErrorCode::kNotFound));
}

TEST_F(SqliteAccountStoreTest, ExpiredSessionsAreDeleted) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CS_ASSERT_OK_AND_ASSIGN(const User user, store->CreateUser("ann", "h"));
  ASSERT_TRUE(IsOk(store->CreateSession({"old", user.id, "", "c", 10, 500})));
  ASSERT_TRUE(IsOk(store->CreateSession({"idle", user.id, "", "c", 400, 20})));
  ASSERT_TRUE(IsOk(store->CreateSession({"fresh", user.id, "", "c", 400, 500})));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t deleted, store->DeleteExpiredSessions(100, 100));
  EXPECT_EQ(deleted, 2);
  EXPECT_TRUE(IsOk(store->GetSession("fresh")));
}

}  // namespace
}  // namespace contactsync::store::sqlite
