// The mail rules without a store: plain facts in, decisions and texts out.

#include "store/mail_rules.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "store/store_test_util.h"

namespace contactsync::store {
namespace {

using base::ErrorCode;
using testing::HasError;
using testing::IsOk;
using S = SubscriptionStatus;
using Pattern = std::optional<std::string>;

constexpr auto kConfirmation = OutboxKind::kConfirmation;
constexpr auto kAutoresponder = OutboxKind::kAutoresponder;

std::string Name(std::optional<S> status) {
  return status ? std::string(model::SubscriptionStatusName(*status)) : "none";
}

// ---- DecideMailForChange -------------------------------------------------------

TEST(DecideMailForChangeTest, WhatEachChangeQueues) {
  struct Case {
    std::optional<S> from;
    S to;
    bool send_autoresponders;
    bool confirmation;
    bool autoresponders_on_confirm;
    bool autoresponders;
  };
  const Case cases[] = {
      // Entering unconfirmed: a confirmation, remembering the autoresponders.
      {std::nullopt, S::kUnconfirmed, true, true, true, false},
      {std::nullopt, S::kUnconfirmed, false, true, false, false},
      {S::kUnsubscribed, S::kUnconfirmed, true, true, true, false},
      {S::kBounced, S::kUnconfirmed, false, true, false, false},
      // Already unconfirmed: nothing again.
      {S::kUnconfirmed, S::kUnconfirmed, true, false, false, false},
      // Becoming active: the autoresponders, when asked.
      {std::nullopt, S::kActive, true, false, false, true},
      {std::nullopt, S::kActive, false, false, false, false},
      {S::kUnconfirmed, S::kActive, true, false, false, true},
      {S::kUnsubscribed, S::kActive, true, false, false, true},
      {S::kBounced, S::kActive, false, false, false, false},
      // Already active, or leaving: nothing.
      {S::kActive, S::kActive, true, false, false, false},
      {S::kActive, S::kUnsubscribed, true, false, false, false},
      {S::kUnconfirmed, S::kUnsubscribed, true, false, false, false},
      {S::kActive, S::kBounced, true, false, false, false},
      {std::nullopt, S::kUnsubscribed, true, false, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << Name(c.from) << " -> " << Name(c.to) << " send " << c.send_autoresponders);
    const MailForChange mail = DecideMailForChange(c.from, c.to, c.send_autoresponders);
    EXPECT_EQ(mail.confirmation, c.confirmation);
    EXPECT_EQ(mail.autoresponders_on_confirm, c.autoresponders_on_confirm);
    EXPECT_EQ(mail.autoresponders, c.autoresponders);
  }
}

// ---- AutoresponderDueTime / NewIdempotencyKey ---------------------------------

// The due time of an autoresponder queued at `now`, as the interface shows it.
std::string DueAfter(std::string_view now, int64_t delay_s) {
  return base::FormatUnixMillis(
      AutoresponderDueTime(base::ParseIso8601Utc(now).value(), delay_s).value());
}

TEST(AutoresponderDueTimeTest, IsNowPlusTheDelay) {
  EXPECT_EQ(DueAfter("2026-12-07T15:00:00Z", 0), "2026-12-07T15:00:00Z");
  EXPECT_EQ(DueAfter("2026-12-07T15:00:00Z", 90), "2026-12-07T15:01:30Z");
  EXPECT_EQ(DueAfter("2026-12-31T23:59:59Z", 86400), "2027-01-01T23:59:59Z");
  EXPECT_EQ(DueAfter("2028-02-28T12:00:00Z", 86400), "2028-02-29T12:00:00Z");
  EXPECT_EQ(DueAfter("2026-01-01T00:00:00Z", kMaxDelaySeconds), "2036-01-09T00:00:00Z");
  EXPECT_EQ(AutoresponderDueTime(1'800'000'000'123, 1).value(), 1'800'000'001'123);
}

TEST(AutoresponderDueTimeTest, RefusesADelayOutOfRange) {
  EXPECT_TRUE(HasError(AutoresponderDueTime(0, -1), ErrorCode::kInvalidArgument,
                       "autoresponder delay -1 s is out of range"));
  EXPECT_TRUE(HasError(AutoresponderDueTime(0, kMaxDelaySeconds + 1), ErrorCode::kInvalidArgument,
                       "out of range"));
}

TEST(ShownNextDueTimeTest, RoundsUpToTheSecondTheInterfaceShows) {
  const int64_t second = base::ParseIso8601Utc("2026-12-07T12:00:00Z").value();
  EXPECT_EQ(ShownNextDueTime(second), "2026-12-07T12:00:00Z");
  EXPECT_EQ(ShownNextDueTime(second + 1), "2026-12-07T12:00:01Z");
  EXPECT_EQ(ShownNextDueTime(second + 500), "2026-12-07T12:00:01Z");
  EXPECT_EQ(ShownNextDueTime(second + 999), "2026-12-07T12:00:01Z");
}

TEST(NewIdempotencyKeyTest, ThirtyTwoLowerCaseHexDigitsEachTimeNew) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = NewIdempotencyKey();
    ASSERT_EQ(key.size(), 32U) << key;
    ASSERT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 10000U);
}

// ---- WhyUndeliverable ----------------------------------------------------------

TEST(WhyUndeliverableTest, DeliverableToTheStatusEachKindIsFor) {
  EXPECT_EQ(WhyUndeliverable(kConfirmation, false, S::kUnconfirmed, std::nullopt), std::nullopt);
  EXPECT_EQ(WhyUndeliverable(kAutoresponder, false, S::kActive, std::nullopt), std::nullopt);
}

TEST(WhyUndeliverableTest, SaysWhyInOrderBouncedGoneStatusExcluded) {
  // A bounced contact, whatever else is true.
  EXPECT_EQ(WhyUndeliverable(kAutoresponder, true, std::nullopt, Pattern("*")),
            "not sent: the address bounced");
  EXPECT_EQ(WhyUndeliverable(kConfirmation, true, S::kUnconfirmed, std::nullopt),
            "not sent: the address bounced");
  // Gone from the list, before any exclusion.
  EXPECT_EQ(WhyUndeliverable(kConfirmation, false, std::nullopt, Pattern("*")),
            "not sent: the contact is no longer on the list");
  // The wrong status, before any exclusion.
  EXPECT_EQ(WhyUndeliverable(kAutoresponder, false, S::kUnconfirmed, Pattern("*")),
            "not sent: the contact is unconfirmed on the list");
  EXPECT_EQ(WhyUndeliverable(kAutoresponder, false, S::kUnsubscribed, std::nullopt),
            "not sent: the contact is unsubscribed on the list");
  EXPECT_EQ(WhyUndeliverable(kConfirmation, false, S::kUnsubscribed, std::nullopt),
            "not sent: the contact is unsubscribed on the list");
  EXPECT_EQ(WhyUndeliverable(kConfirmation, false, S::kBounced, std::nullopt),
            "not sent: the contact is bounced on the list");
  // Excluded, last.
  EXPECT_EQ(WhyUndeliverable(kAutoresponder, false, S::kActive, Pattern("*@spam.example")),
            "not sent: the address is excluded by pattern '*@spam.example'");
}

TEST(WhyUndeliverableTest, AConfirmationOfAnActiveSubscriptionIsAlreadyDone) {
  EXPECT_EQ(WhyUndeliverable(kConfirmation, false, S::kActive, std::nullopt),
            "not sent: the subscription is already active");
}

TEST(WhyUndeliverableTest, PrintsAPatternWithControlCharactersSafely) {
  const std::optional<std::string> reason =
      WhyUndeliverable(kAutoresponder, false, S::kActive, Pattern("a\nb"));
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->find('\n'), std::string::npos) << *reason;
}

TEST(MailRulesTest, OperatorCancellationText) {
  EXPECT_EQ(kCancelledByOperator, "cancelled by an operator; it will not be sent");
}

// ---- Links ---------------------------------------------------------------------

LinkSubject Subject(std::optional<S> status, bool bounced = false, bool ever_unsubscribed = false) {
  return LinkSubject{.email = "a@x.example",
                     .list_name = "News",
                     .contact_bounced = bounced,
                     .ever_unsubscribed = ever_unsubscribed,
                     .status = status};
}

TEST(DecideConfirmByLinkTest, ConfirmsAnUnconfirmedSubscription) {
  CS_ASSERT_OK_AND_ASSIGN(const LinkChange change,
                          DecideConfirmByLink(Subject(S::kUnconfirmed), std::nullopt, true));
  EXPECT_TRUE(change.change);
  EXPECT_EQ(change.to, S::kActive);
  EXPECT_TRUE(change.queue_autoresponders);
  EXPECT_FALSE(change.set_ever_unsubscribed);
}

TEST(DecideConfirmByLinkTest, AutorespondersOnlyWhenTheLatestConfirmationAskedForThem) {
  for (const std::optional<bool> asked : {std::optional<bool>(false), std::optional<bool>()}) {
    CS_ASSERT_OK_AND_ASSIGN(const LinkChange change,
                            DecideConfirmByLink(Subject(S::kUnconfirmed), std::nullopt, asked));
    EXPECT_TRUE(change.change);
    EXPECT_FALSE(change.queue_autoresponders);
  }
}

TEST(DecideConfirmByLinkTest, AnActiveSubscriptionStaysAsItIs) {
  // Following the link again: no change, even when the address is now excluded.
  CS_ASSERT_OK_AND_ASSIGN(const LinkChange change,
                          DecideConfirmByLink(Subject(S::kActive), Pattern("*"), true));
  EXPECT_FALSE(change.change);
  EXPECT_FALSE(change.queue_autoresponders);
}

TEST(DecideConfirmByLinkTest, RefusesWhatALinkCannotConfirm) {
  EXPECT_TRUE(HasError(DecideConfirmByLink(Subject(std::nullopt), std::nullopt, true),
                       ErrorCode::kNotFound, "a@x.example is not on the list 'News'"));
  EXPECT_TRUE(HasError(DecideConfirmByLink(Subject(S::kUnsubscribed), std::nullopt, true),
                       ErrorCode::kFailedPrecondition,
                       "a@x.example is unsubscribed on the list 'News'; the link cannot confirm "
                       "it"));
  EXPECT_TRUE(HasError(DecideConfirmByLink(Subject(S::kBounced), std::nullopt, true),
                       ErrorCode::kFailedPrecondition,
                       "a@x.example is bounced on the list 'News'; the link cannot confirm it"));
  // A contact that bounced elsewhere is not brought back by a link.
  EXPECT_TRUE(HasError(DecideConfirmByLink(Subject(S::kUnconfirmed, true), std::nullopt, true),
                       ErrorCode::kFailedPrecondition,
                       "a@x.example bounced; it can only be re-subscribed"));
  EXPECT_TRUE(HasError(DecideConfirmByLink(Subject(S::kUnconfirmed), Pattern("*@x.example"), true),
                       ErrorCode::kFailedPrecondition,
                       "a@x.example is excluded from list 'News' by pattern '*@x.example'"));
}

TEST(DecideUnsubscribeByLinkTest, UnsubscribesActiveAndUnconfirmed) {
  for (const S status : {S::kActive, S::kUnconfirmed}) {
    SCOPED_TRACE(Name(status));
    CS_ASSERT_OK_AND_ASSIGN(const LinkChange change, DecideUnsubscribeByLink(Subject(status)));
    EXPECT_TRUE(change.change);
    EXPECT_EQ(change.to, S::kUnsubscribed);
    EXPECT_TRUE(change.set_ever_unsubscribed);
    EXPECT_FALSE(change.queue_autoresponders);
  }
}

TEST(DecideUnsubscribeByLinkTest, SetsTheContactsFlagOnlyOnce) {
  CS_ASSERT_OK_AND_ASSIGN(const LinkChange change,
                          DecideUnsubscribeByLink(Subject(S::kActive, false, true)));
  EXPECT_TRUE(change.change);
  EXPECT_FALSE(change.set_ever_unsubscribed);
}

TEST(DecideUnsubscribeByLinkTest, UnsubscribedAndBouncedStay) {
  for (const S status : {S::kUnsubscribed, S::kBounced}) {
    SCOPED_TRACE(Name(status));
    CS_ASSERT_OK_AND_ASSIGN(const LinkChange change, DecideUnsubscribeByLink(Subject(status)));
    EXPECT_FALSE(change.change);
    EXPECT_FALSE(change.set_ever_unsubscribed);
  }
}

TEST(DecideUnsubscribeByLinkTest, NotOnTheList) {
  EXPECT_TRUE(HasError(DecideUnsubscribeByLink(Subject(std::nullopt)), ErrorCode::kNotFound,
                       "a@x.example is not on the list 'News'"));
}

TEST(MailRulesTest, GoneLinkTargets) {
  EXPECT_TRUE(HasError(LinkContactGone(), ErrorCode::kNotFound,
                       "this address is no longer in our contacts"));
  EXPECT_TRUE(HasError(LinkListGone(), ErrorCode::kNotFound, "this list no longer exists"));
}

TEST(MailRulesTest, StoredOutboxNames) {
  EXPECT_EQ(StoredOutboxState("sending").value(), OutboxState::kSending);
  EXPECT_TRUE(HasError(StoredOutboxState("lost"), ErrorCode::kInternal, "stored outbox state"));
  EXPECT_EQ(StoredOutboxKind("confirmation"), OutboxKind::kConfirmation);
  EXPECT_EQ(StoredOutboxKind("autoresponder"), OutboxKind::kAutoresponder);
}

// ---- Checks --------------------------------------------------------------------

MailSettingsRecord Settings() {
  MailSettingsRecord record;
  record.owner_id = "owner";
  record.smtp_host = "smtp.example";
  record.smtp_port = 587;
  record.from_email = "news@example.com";
  record.base_url = "https://lists.example.com";
  return record;
}

TEST(ValidateMailSettingsTest, StoresHostAndBaseUrlTrimmed) {
  MailSettingsRecord input = Settings();
  input.smtp_host = "  smtp.example \t";
  input.base_url = " https://lists.example.com/// ";
  input.from_email = " news@example.com ";
  CS_ASSERT_OK_AND_ASSIGN(const MailSettingsRecord record, ValidateMailSettings(input));
  EXPECT_EQ(record.smtp_host, "smtp.example");
  EXPECT_EQ(record.base_url, "https://lists.example.com");
  EXPECT_EQ(record.from_email, "news@example.com");
}

TEST(ValidateMailSettingsTest, EmptyOptionalSettingsAreFine) {
  MailSettingsRecord input = Settings();
  input.smtp_host.clear();
  input.from_email.clear();
  input.base_url.clear();
  input.smtp_port = 0;
  input.tls_mode = "none";
  EXPECT_TRUE(IsOk(ValidateMailSettings(input)));
  input.smtp_port = 65535;
  input.tls_mode = "tls";
  input.base_url = "http://localhost:8080";
  EXPECT_TRUE(IsOk(ValidateMailSettings(input)));
}

TEST(ValidateMailSettingsTest, RefusesEachBadSetting) {
  const auto refused = [](void (*spoil)(MailSettingsRecord&), std::string_view text) {
    MailSettingsRecord input = Settings();
    spoil(input);
    return HasError(ValidateMailSettings(input), ErrorCode::kInvalidArgument, text);
  };
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.smtp_host = "smtp\r\nexample"; },
                      "SMTP host must not contain control characters"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.smtp_user = "u\x7f"; },
                      "SMTP user must not contain control characters"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.tls_ca_file = std::string(4097, 'c'); },
                      "CA file is too long: 4097 bytes, at most 4096 allowed"));
  EXPECT_TRUE(
      refused([](MailSettingsRecord& r) { r.from_name = "\xff"; }, "from name is not valid UTF-8"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.base_url = "https://x\t/"; },
                      "base URL must not contain control characters"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.smtp_port = -1; },
                      "SMTP port must be between 1 and 65535, not -1"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.smtp_port = 65536; },
                      "SMTP port must be between 1 and 65535, not 65536"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.tls_mode = "ssl"; },
                      "TLS mode must be none, starttls or tls, not 'ssl'"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.from_email = "news@@example.com"; },
                      "is not a valid email address"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.hourly_cap = -5; },
                      "the hourly cap must not be negative, not -5"));
  EXPECT_TRUE(
      refused([](MailSettingsRecord& r) { r.base_url = "ftp://lists.example.com"; },
              "base URL must start with http:// or https://, not 'ftp://lists.example.com'"));
  EXPECT_TRUE(refused([](MailSettingsRecord& r) { r.owner_id.clear(); },
                      "mail settings owner id is missing"));
}

TEST(CheckMailSettingTest, ControlCharactersAndLength) {
  EXPECT_TRUE(IsOk(CheckMailSetting("from name", "Ann Müller")));
  EXPECT_TRUE(IsOk(CheckMailSetting("from name", std::string(kMaxMailSettingBytes, 'a'))));
  EXPECT_TRUE(HasError(CheckMailSetting("from name", "a\tb"), ErrorCode::kInvalidArgument,
                       "from name must not contain control characters"));
  EXPECT_TRUE(HasError(CheckMailSetting("from name", std::string(kMaxMailSettingBytes + 1, 'a')),
                       ErrorCode::kInvalidArgument, "from name is too long"));
}

NewAutoresponder Autoresponder(std::string subject, std::string body, int64_t delay_s) {
  NewAutoresponder autoresponder;
  autoresponder.list = "News";
  autoresponder.subject = std::move(subject);
  autoresponder.body = std::move(body);
  autoresponder.delay_s = delay_s;
  return autoresponder;
}

TEST(CheckNewAutoresponderTest, AcceptsTheLimits) {
  EXPECT_TRUE(IsOk(CheckNewAutoresponder(Autoresponder("Welcome", "Hello", 0))));
  EXPECT_TRUE(IsOk(CheckNewAutoresponder(Autoresponder(
      std::string(kMaxSubjectBytes, 's'), std::string(kMaxBodyBytes, 'b'), kMaxDelaySeconds))));
  // A body is text over lines; only the subject is one header line.
  EXPECT_TRUE(IsOk(CheckNewAutoresponder(Autoresponder("Welcome", "Hello\r\n\tthere", 60))));
}

TEST(CheckNewAutoresponderTest, RefusesEachBadPart) {
  EXPECT_TRUE(HasError(CheckNewAutoresponder(Autoresponder("", "Hello", 0)),
                       ErrorCode::kInvalidArgument, "the subject must not be empty"));
  EXPECT_TRUE(HasError(CheckNewAutoresponder(Autoresponder("Welcome", "", 0)),
                       ErrorCode::kInvalidArgument, "the body must not be empty"));
  EXPECT_TRUE(HasError(CheckNewAutoresponder(Autoresponder("Wel\ncome", "Hello", 0)),
                       ErrorCode::kInvalidArgument, "subject must not contain control characters"));
  EXPECT_TRUE(HasError(CheckNewAutoresponder(Autoresponder("Welcome", "\xc3", 0)),
                       ErrorCode::kInvalidArgument, "body is not valid UTF-8"));
  EXPECT_TRUE(HasError(
      CheckNewAutoresponder(Autoresponder("Welcome", std::string(kMaxBodyBytes + 1, 'b'), 0)),
      ErrorCode::kInvalidArgument, "body is too long"));
  EXPECT_TRUE(HasError(
      CheckNewAutoresponder(Autoresponder(std::string(kMaxSubjectBytes + 1, 's'), "Hello", 0)),
      ErrorCode::kInvalidArgument, "the subject is longer than 998 bytes"));
  EXPECT_TRUE(HasError(CheckNewAutoresponder(Autoresponder("Welcome", "Hello", -1)),
                       ErrorCode::kInvalidArgument,
                       "the delay must be between 0 seconds and 10 years, not -1 s"));
  EXPECT_TRUE(
      HasError(CheckNewAutoresponder(Autoresponder("Welcome", "Hello", kMaxDelaySeconds + 1)),
               ErrorCode::kInvalidArgument, "the delay must be between 0 seconds and 10 years"));
}

MessageOutcome Outcome(OutboxState state, std::string error = "") {
  MessageOutcome outcome;
  outcome.id = 7;
  outcome.state = state;
  outcome.error = std::move(error);
  return outcome;
}

TEST(CheckMessageOutcomeTest, AMessageFinishesAsSentQueuedOrFailed) {
  for (const OutboxState state : {OutboxState::kSent, OutboxState::kQueued, OutboxState::kFailed}) {
    EXPECT_TRUE(IsOk(CheckMessageOutcome(Outcome(state)))) << OutboxStateName(state);
  }
  for (const OutboxState state : {OutboxState::kSending, OutboxState::kCancelled}) {
    EXPECT_TRUE(HasError(CheckMessageOutcome(Outcome(state)), ErrorCode::kInvalidArgument,
                         "a message finishes as sent, queued or failed"))
        << OutboxStateName(state);
  }
}

TEST(CheckMessageOutcomeTest, ErrorAndSubjectWithinTheSettingLimit) {
  EXPECT_TRUE(HasError(CheckMessageOutcome(Outcome(OutboxState::kFailed,
                                                   std::string(kMaxMailSettingBytes + 1, 'e'))),
                       ErrorCode::kInvalidArgument, "error is too long"));
  MessageOutcome outcome = Outcome(OutboxState::kSent);
  outcome.subject = "\xff";
  EXPECT_TRUE(HasError(CheckMessageOutcome(outcome), ErrorCode::kInvalidArgument,
                       "subject is not valid UTF-8"));
}

TEST(CheckOutboxFilterTest, PageLimits) {
  OutboxFilter filter;
  for (const int64_t limit : {int64_t{1}, kMaxOutboxPage}) {
    filter.limit = limit;
    EXPECT_TRUE(IsOk(CheckOutboxFilter(filter)));
  }
  for (const int64_t limit : {int64_t{0}, kMaxOutboxPage + 1}) {
    filter.limit = limit;
    EXPECT_TRUE(HasError(CheckOutboxFilter(filter), ErrorCode::kInvalidArgument,
                         fmt::format("limit must be between 1 and 1000, not {}", limit)));
  }
  filter.limit = 10;
  filter.offset = -1;
  EXPECT_TRUE(HasError(CheckOutboxFilter(filter), ErrorCode::kInvalidArgument,
                       "offset must not be negative, not -1"));
}

TEST(MailRulesTest, RefusedOutboxActions) {
  EXPECT_TRUE(HasError(MessageNotFound(3), ErrorCode::kNotFound, "message 3 does not exist"));
  EXPECT_TRUE(
      HasError(AutoresponderNotFound(4), ErrorCode::kNotFound, "autoresponder 4 does not exist"));
  EXPECT_TRUE(HasError(NotBeingSent(5), ErrorCode::kFailedPrecondition,
                       "message 5 is not being sent (another sender finished or released it)"));
  EXPECT_TRUE(HasError(OnlyFailedCanBeRequeued(6, "sent"), ErrorCode::kFailedPrecondition,
                       "message 6 is sent; only a failed message can be queued again"));
  EXPECT_TRUE(HasError(OnlyQueuedCanBeCancelled(7, "sending"), ErrorCode::kFailedPrecondition,
                       "message 7 is sending; only a queued message can be cancelled"));
}

}  // namespace
}  // namespace contactsync::store
