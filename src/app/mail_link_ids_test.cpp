// The scenario (issue 11, "mail-link ids are reused"): a confirm or unsubscribe link
// sent to a contact that was then deleted must do nothing to the contact added after it, who
// used to get the freed id and so the old link's effect (its page even showed their address).

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "app/mail_links.h"
#include "mail/link_signer.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store_test_util.h"

namespace contactsync::app {
namespace {

using store::testing::IsOk;
using store::testing::ListNamed;

class MailLinkIdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened =
        store::sqlite::SqliteStore::Open((dir_.path() / "store.db").string(), 5000, clock_);
    ASSERT_TRUE(IsOk(opened));
    store_ = std::move(opened).value();
    auto list = store_->CreateList(ListNamed("News", "news@example.com"));
    ASSERT_TRUE(IsOk(list));
    list_id_ = list->id;
  }

  // Adds `email` to News, unconfirmed (as a double opt-in sign-up does); returns its id.
  int64_t AddUnconfirmed(const std::string& email) {
    store::ContactChange change;
    change.contact.email = email;
    change.list = "News";
    change.status = store::SubscriptionStatus::kUnconfirmed;
    change.cause = store::Cause{model::CauseKind::kApi, ""};
    auto saved = store_->SaveContact(change);
    EXPECT_TRUE(IsOk(saved));
    return saved.ok() ? saved->contact.id : 0;
  }

  std::string Token(mail::LinkAction action, int64_t contact_id) const {
    mail::LinkClaims claims;
    claims.action = action;
    claims.contact_id = contact_id;
    claims.list_id = list_id_;
    claims.expires_unix = 1767225600 + 7 * 24 * 3600;
    return signer_.Sign(claims);
  }

  store::SubscriptionStatus StatusOf(const std::string& email) {
    auto contact = store_->GetContact(email);
    EXPECT_TRUE(IsOk(contact));
    if (!contact.ok() || contact->subscriptions.size() != 1) {
      ADD_FAILURE() << email << " is not on exactly one list";
      return store::SubscriptionStatus::kBounced;
    }
    return contact->subscriptions[0].status;
  }

  store::sqlite::testing::TempDir dir_;
  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1767225600))};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  mail::LinkSigner signer_{std::array<unsigned char, mail::LinkSigner::kKeyBytes>{}};
  int64_t list_id_ = 0;
};

TEST_F(MailLinkIdsTest, AnOldLinkAfterDeleteAndReAddDoesNothingToTheNewContact) {
  AddUnconfirmed("kept@example.com");
  const int64_t deleted_id = AddUnconfirmed("deleted@example.com");  // the newest contact
  const std::string confirm = Token(mail::LinkAction::kConfirm, deleted_id);
  const std::string unsubscribe = Token(mail::LinkAction::kUnsubscribe, deleted_id);
  ASSERT_TRUE(IsOk(store_->DeleteContact("deleted@example.com")));
  const int64_t new_id = AddUnconfirmed("new.person@example.com");
  EXPECT_NE(new_id, deleted_id);

  const base::TimePoint now = clock_.Now();
  const MailLinkResponse confirmed =
      HandleMailLink(*store_, signer_, "confirm", confirm, "GET", now);
  EXPECT_EQ(confirmed.http_status, 404) << confirmed.html;
  EXPECT_EQ(confirmed.html.find("new.person@example.com"), std::string::npos) << confirmed.html;
  EXPECT_EQ(StatusOf("new.person@example.com"), store::SubscriptionStatus::kUnconfirmed);

  const MailLinkResponse page =
      HandleMailLink(*store_, signer_, "unsubscribe", unsubscribe, "GET", now);
  EXPECT_EQ(page.html.find("new.person@example.com"), std::string::npos) << page.html;
  const MailLinkResponse unsubscribed =
      HandleMailLink(*store_, signer_, "unsubscribe", unsubscribe, "POST", now);
  EXPECT_EQ(unsubscribed.http_status, 404) << unsubscribed.html;
  EXPECT_EQ(unsubscribed.html.find("new.person@example.com"), std::string::npos);
  EXPECT_EQ(StatusOf("new.person@example.com"), store::SubscriptionStatus::kUnconfirmed);

  // The new contact's own link still works.
  const MailLinkResponse own = HandleMailLink(
      *store_, signer_, "confirm", Token(mail::LinkAction::kConfirm, new_id), "GET", now);
  EXPECT_EQ(own.http_status, 200) << own.html;
  EXPECT_EQ(StatusOf("new.person@example.com"), store::SubscriptionStatus::kActive);
}

}  // namespace
}  // namespace contactsync::app
