#pragma once

// AccountStoreConformance: what every backend's AccountStore (account_store.h)
// must do: users (the first one only while none exists, names checked and
// unique), sessions (looked up by hash, touched, expired by the caller's
// times), API tokens (found by hash, their use recorded), times shown as ISO
// 8601 text, a user's sessions and tokens gone with the user, and login rate
// limits (counted per key within a window, refunded, forgotten). A backend
// instantiates it with an AccountStoreFactory (store_conformance_test.cpp).
// Test-only.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "store/account_store.h"
#include "store/interface_conformance.h"
#include "store/store_test_util.h"

namespace contactsync::store::testing {

using AccountStoreFactory = InterfaceFactory<AccountStore>;

class AccountStoreConformance : public InterfaceConformance<AccountStore> {
 protected:
  static SessionRecord Session(std::string id_hash, int64_t user_id, int64_t created_unix,
                               int64_t last_seen_unix) {
    SessionRecord session;
    session.id_hash = std::move(id_hash);
    session.user_id = user_id;
    session.csrf_token = "csrf-" + session.id_hash;
    session.created_unix = created_unix;
    session.last_seen_unix = last_seen_unix;
    return session;
  }
};

// ---------------------------------------------------------------- users

TEST_P(AccountStoreConformance, TheFirstUserOnlyWhileNoneExists) {
  CS_ASSERT_OK_AND_ASSIGN(const int64_t none, store_->CountUsers());
  EXPECT_EQ(none, 0);
  CS_ASSERT_OK_AND_ASSIGN(const User admin, store_->CreateFirstUser("admin", "$argon2id$x"));
  EXPECT_EQ(admin.username, "admin");
  EXPECT_GT(admin.id, 0);
  EXPECT_EQ(admin.created_at, kStartText);
  EXPECT_TRUE(HasError(store_->CreateFirstUser("other", "$argon2id$y"),
                       ErrorCode::kFailedPrecondition, "a user exists"));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t one, store_->CountUsers());
  EXPECT_EQ(one, 1);
}

TEST_P(AccountStoreConformance, UserNamesAreCheckedAndUnique) {
  ASSERT_TRUE(IsOk(store_->CreateUser("admin", "h")));
  EXPECT_TRUE(HasError(store_->CreateUser("admin", "h"), ErrorCode::kAlreadyExists, "admin"));
  EXPECT_TRUE(HasError(store_->CreateUser(" admin", "h"), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateUser("a\nb", "h"), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateUser("", "h"), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateUser(std::string(kMaxUsernameBytes + 1, 'a'), "h"),
                       ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateUser("bob", ""), ErrorCode::kInvalidArgument));
  // Compared exactly: another case is another user.
  EXPECT_TRUE(IsOk(store_->CreateUser("Admin", "h")));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t users, store_->CountUsers());
  EXPECT_EQ(users, 2);
}

TEST_P(AccountStoreConformance, UsersAreFoundByNameAndIdAndListedByName) {
  CS_ASSERT_OK_AND_ASSIGN(const User zoe, store_->CreateUser("zoe", "hz"));
  clock_.Advance(std::chrono::seconds(90));
  CS_ASSERT_OK_AND_ASSIGN(const User bob, store_->CreateUser("bob", "hb"));
  EXPECT_EQ(bob.created_at, "2026-01-01T00:01:30Z");
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<User> users, store_->GetUsers());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].username, "bob");
  EXPECT_EQ(users[1].username, "zoe");
  EXPECT_EQ(users[1].created_at, kStartText);
  CS_ASSERT_OK_AND_ASSIGN(const User by_name, store_->GetUser("zoe"));
  EXPECT_EQ(by_name.id, zoe.id);
  EXPECT_EQ(by_name.password_hash, "hz");
  CS_ASSERT_OK_AND_ASSIGN(const User by_id, store_->GetUserById(bob.id));
  EXPECT_EQ(by_id.username, "bob");
  EXPECT_EQ(by_id.created_at, "2026-01-01T00:01:30Z");
  EXPECT_TRUE(HasError(store_->GetUser("nobody"), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->GetUserById(bob.id + zoe.id + 1), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->DeleteUser("nobody"), ErrorCode::kNotFound));
}

// ---------------------------------------------------------------- sessions

TEST_P(AccountStoreConformance, SessionsAreFoundByHashTouchedAndDeleted) {
  CS_ASSERT_OK_AND_ASSIGN(const User ann, store_->CreateUser("ann", "h"));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("hash1", ann.id, 100, 100))));
  CS_ASSERT_OK_AND_ASSIGN(SessionRecord session, store_->GetSession("hash1"));
  EXPECT_EQ(session.user_id, ann.id);
  EXPECT_EQ(session.username, "ann");
  EXPECT_EQ(session.csrf_token, "csrf-hash1");
  EXPECT_EQ(session.created_unix, 100);
  ASSERT_TRUE(IsOk(store_->TouchSession("hash1", 150)));
  CS_ASSERT_OK_AND_ASSIGN(session, store_->GetSession("hash1"));
  EXPECT_EQ(session.last_seen_unix, 150);
  EXPECT_EQ(session.created_unix, 100);
  EXPECT_TRUE(HasError(store_->GetSession("hash2"), ErrorCode::kNotFound));
  ASSERT_TRUE(IsOk(store_->DeleteSession("hash1")));
  EXPECT_TRUE(HasError(store_->GetSession("hash1"), ErrorCode::kNotFound));
}

TEST_P(AccountStoreConformance, SessionsCreatedOrSeenTooLongAgoAreDeleted) {
  CS_ASSERT_OK_AND_ASSIGN(const User ann, store_->CreateUser("ann", "h"));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("old", ann.id, 10, 500))));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("idle", ann.id, 400, 20))));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("fresh", ann.id, 400, 500))));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("edge", ann.id, 100, 100))));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t deleted, store_->DeleteExpiredSessions(100, 100));
  EXPECT_EQ(deleted, 2);
  EXPECT_TRUE(IsOk(store_->GetSession("fresh")));
  EXPECT_TRUE(IsOk(store_->GetSession("edge")));  // "before" is strict
  EXPECT_TRUE(HasError(store_->GetSession("old"), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->GetSession("idle"), ErrorCode::kNotFound));
}

// ---------------------------------------------------------------- API tokens

TEST_P(AccountStoreConformance, TokensAreFoundByHashAndTheirUseRecorded) {
  CS_ASSERT_OK_AND_ASSIGN(const User ann, store_->CreateUser("ann", "h"));
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken token, store_->CreateApiToken(ann.id, " ci ", "thash"));
  EXPECT_EQ(token.name, "ci");  // trimmed
  EXPECT_EQ(token.user_id, ann.id);
  EXPECT_EQ(token.username, "ann");
  EXPECT_EQ(token.created_at, kStartText);
  EXPECT_EQ(token.last_used_at, "");  // never used
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken found, store_->FindApiToken("thash"));
  EXPECT_EQ(found.id, token.id);
  EXPECT_EQ(found.username, "ann");
  EXPECT_EQ(found.last_used_at, "");
  EXPECT_TRUE(HasError(store_->FindApiToken("other"), ErrorCode::kNotFound));

  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(IsOk(store_->TouchApiToken(token.id)));
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken used, store_->FindApiToken("thash"));
  EXPECT_EQ(used.last_used_at, "2026-01-01T00:05:00Z");
  EXPECT_EQ(used.created_at, kStartText);
}

TEST_P(AccountStoreConformance, TokenNamesAreCheckedAndTokensListedAndDeletedByTheirUser) {
  CS_ASSERT_OK_AND_ASSIGN(const User ann, store_->CreateUser("ann", "h"));
  CS_ASSERT_OK_AND_ASSIGN(const User bob, store_->CreateUser("bob", "h"));
  EXPECT_TRUE(HasError(store_->CreateApiToken(ann.id, "  ", "t0"), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(HasError(store_->CreateApiToken(ann.id, std::string(300, 'n'), "t0"),
                       ErrorCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken first, store_->CreateApiToken(ann.id, "one", "t1"));
  CS_ASSERT_OK_AND_ASSIGN(const ApiToken second, store_->CreateApiToken(ann.id, "two", "t2"));
  ASSERT_TRUE(IsOk(store_->CreateApiToken(bob.id, "bob's", "t3")));
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<ApiToken> tokens, store_->GetApiTokens(ann.id));
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].id, first.id);
  EXPECT_EQ(tokens[1].id, second.id);
  EXPECT_EQ(tokens[1].name, "two");

  // Only its owner deletes a token.
  EXPECT_TRUE(HasError(store_->DeleteApiToken(bob.id, first.id), ErrorCode::kNotFound));
  ASSERT_TRUE(IsOk(store_->DeleteApiToken(ann.id, first.id)));
  EXPECT_TRUE(HasError(store_->FindApiToken("t1"), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->DeleteApiToken(ann.id, first.id), ErrorCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(const std::vector<ApiToken> left, store_->GetApiTokens(ann.id));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, second.id);
}

TEST_P(AccountStoreConformance, AUsersSessionsAndTokensGoWithTheUser) {
  CS_ASSERT_OK_AND_ASSIGN(const User ann, store_->CreateUser("ann", "h"));
  CS_ASSERT_OK_AND_ASSIGN(const User bob, store_->CreateUser("bob", "h"));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("ann-s", ann.id, 100, 100))));
  ASSERT_TRUE(IsOk(store_->CreateSession(Session("bob-s", bob.id, 100, 100))));
  ASSERT_TRUE(IsOk(store_->CreateApiToken(ann.id, "ci", "ann-t")));
  ASSERT_TRUE(IsOk(store_->CreateApiToken(bob.id, "ci", "bob-t")));
  ASSERT_TRUE(IsOk(store_->DeleteUser("ann")));
  EXPECT_TRUE(HasError(store_->GetSession("ann-s"), ErrorCode::kNotFound));
  EXPECT_TRUE(HasError(store_->FindApiToken("ann-t"), ErrorCode::kNotFound));
  EXPECT_TRUE(IsOk(store_->GetSession("bob-s")));
  EXPECT_TRUE(IsOk(store_->FindApiToken("bob-t")));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t users, store_->CountUsers());
  EXPECT_EQ(users, 1);
}

// ---------------------------------------------------------------- login rate limits

TEST_P(AccountStoreConformance, LoginAttemptsCountUpToTheLimitThenTellHowLongToWait) {
  const std::vector<LoginLimit> ann = {{"user:ann", 3}};
  for (int i = 0; i < 3; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(const int64_t wait, store_->ReserveLoginAttempts(ann, 60));
    EXPECT_EQ(wait, 0) << "attempt " << i + 1;
  }
  CS_ASSERT_OK_AND_ASSIGN(const int64_t full, store_->ReserveLoginAttempts(ann, 60));
  EXPECT_EQ(full, 60);
  clock_.Advance(std::chrono::milliseconds(59'500));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t almost, store_->ReserveLoginAttempts(ann, 60));
  EXPECT_EQ(almost, 1);  // half a second left: rounded up
  clock_.Advance(std::chrono::milliseconds(500));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t again, store_->ReserveLoginAttempts(ann, 60));
  EXPECT_EQ(again, 0);  // the window ended; a new one starts
  // Keys are exact: another case is another user.
  CS_ASSERT_OK_AND_ASSIGN(const int64_t other, store_->ReserveLoginAttempts({{"user:Ann", 3}}, 60));
  EXPECT_EQ(other, 0);
}

TEST_P(AccountStoreConformance, ALimitReachedCountsNoneOfTheOthers) {
  const LoginLimit user{"user:ann", 2};
  const LoginLimit address{"addr:192.0.2.7", 4};
  for (int i = 0; i < 2; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(const int64_t wait, store_->ReserveLoginAttempts({user, address}, 60));
    EXPECT_EQ(wait, 0);
  }
  for (int i = 0; i < 3; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(const int64_t wait, store_->ReserveLoginAttempts({user, address}, 60));
    EXPECT_GT(wait, 0);
  }
  // The address counted 2 of its 4: two more, then it is full.
  CS_ASSERT_OK_AND_ASSIGN(const int64_t third, store_->ReserveLoginAttempts({address}, 60));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t fourth, store_->ReserveLoginAttempts({address}, 60));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t fifth, store_->ReserveLoginAttempts({address}, 60));
  EXPECT_EQ(third, 0);
  EXPECT_EQ(fourth, 0);
  EXPECT_EQ(fifth, 60);
}

TEST_P(AccountStoreConformance, RefundedAttemptsComeBackAndForgottenOnesAreGone) {
  const std::vector<LoginLimit> ann = {{"user:ann", 2}};
  ASSERT_TRUE(IsOk(store_->ReserveLoginAttempts(ann, 60)));
  ASSERT_TRUE(IsOk(store_->ReserveLoginAttempts(ann, 60)));
  ASSERT_TRUE(IsOk(store_->RefundLoginAttempt("user:ann")));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t refunded, store_->ReserveLoginAttempts(ann, 60));
  EXPECT_EQ(refunded, 0);
  CS_ASSERT_OK_AND_ASSIGN(const int64_t full, store_->ReserveLoginAttempts(ann, 60));
  EXPECT_GT(full, 0);
  ASSERT_TRUE(IsOk(store_->ForgetLoginAttempts("user:ann")));
  CS_ASSERT_OK_AND_ASSIGN(const int64_t forgotten, store_->ReserveLoginAttempts(ann, 60));
  EXPECT_EQ(forgotten, 0);
  // Unknown keys: nothing to give back or forget.
  EXPECT_TRUE(IsOk(store_->RefundLoginAttempt("user:nobody")));
  EXPECT_TRUE(IsOk(store_->ForgetLoginAttempts("user:nobody")));
}

}  // namespace contactsync::store::testing
