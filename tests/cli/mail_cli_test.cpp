// `contactsync mail` and `contactsync autoresponder` as a user meets them,
// against a real SMTP server on loopback (tests/support/smtp_sink.py).

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_store.h"
#include "support/process.h"
#include "support/smtp_sink.h"

namespace contactsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

class MailCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/received");
    ASSERT_TRUE(sink_.Start({"--auth", "mailer:Pa55-w0rd!"}));
    store_ = testing::NewCliStore(dir_.path() + "/data");
    ASSERT_FALSE(store_.url.empty());
  }

  // `contactsync ARGS` on the test's store, with `env` set in its environment besides.
  ProcessResult Run(std::vector<std::string> args, const std::string& input = "",
                    testing::Environment env = {}) {
    std::vector<std::string> argv{CONTACTSYNC_BINARY};
    argv.insert(argv.end(), store_.args.begin(), store_.args.end());
    argv.insert(argv.end(), args.begin(), args.end());
    env.insert(env.end(), store_.env.begin(), store_.env.end());
    return testing::RunProcess(argv, input, env);
  }

  nlohmann::json Json(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "--json");
    ProcessResult result = Run(args, input);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }

  testing::TempDir dir_;
  testing::SmtpSink sink_{dir_.path() + "/received"};
  testing::CliStore store_;
};

TEST_F(MailCliTest, ConfigureQueueSendAndList) {
  ASSERT_EQ(Run({"list", "create", "News", "--sender-email", "news@example.com"}).exit_code, 0);
  // The password comes from stdin, is stored sealed and never shown.
  ProcessResult config =
      Run({"mail", "config", "--host", "127.0.0.1", "--port", std::to_string(sink_.port()), "--tls",
           "none", "--user", "mailer", "--password-stdin", "--cap-per-hour", "100", "--base-url",
           "https://lists.example.com/"},
          "Pa55-w0rd!\n");
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_THAT(config.out, HasSubstr("password stored encrypted"));
  EXPECT_THAT(config.out, Not(HasSubstr("Pa55-w0rd!")));
  const nlohmann::json shown = Json({"mail", "config"});
  EXPECT_EQ(shown["has_password"], true);
  EXPECT_EQ(shown["base_url"], "https://lists.example.com");
  EXPECT_EQ(shown["hourly_cap"], 100);
  EXPECT_THAT(shown.dump(), Not(HasSubstr("Pa55-w0rd!")));
  EXPECT_FALSE(testing::StoreHolds(store_, "Pa55-w0rd!"));
  EXPECT_TRUE(testing::StoreHolds(store_, "lists.example.com"));  // the check sees the settings

  {
    std::ofstream body(dir_.path() + "/welcome.txt");
    body << "Welcome, %FIRSTNAME%!";
  }
  const nlohmann::json added =
      Json({"autoresponder", "add", "--list", "News", "--subject", "Hi %FIRSTNAME%", "--body-file",
            dir_.path() + "/welcome.txt", "--delay", "0"});
  EXPECT_EQ(added["delay_s"], 0);
  EXPECT_EQ(Json({"autoresponder", "ls"}).size(), 1u);
  EXPECT_EQ(Run({"autoresponder", "add", "--list", "News", "--subject", "x", "--body-file",
                 dir_.path() + "/welcome.txt", "--delay", "soon"})
                .exit_code,
            2);

  ASSERT_EQ(Run({"contact", "add", "ann@example.com", "--first-name", "Ann", "--list", "News",
                 "--status", "unconfirmed"})
                .exit_code,
            0);
  ASSERT_EQ(
      Run({"contact", "add", "bob@example.com", "--first-name", "Bob", "--list", "News"}).exit_code,
      0);
  const nlohmann::json queued = Json({"mail", "ls"});
  EXPECT_EQ(queued["counts"]["queued"], 2);
  ProcessResult listed = Run({"mail", "ls"});
  EXPECT_THAT(listed.out, HasSubstr("Outbox: 2 queued"));
  EXPECT_THAT(listed.out, HasSubstr("confirmation"));
  EXPECT_THAT(listed.out, HasSubstr("autoresponder"));

  ProcessResult sent = Run({"mail", "send"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_THAT(sent.out, HasSubstr("Sent 2"));
  const auto messages = sink_.Messages();
  ASSERT_EQ(messages.size(), 2u);
  std::set<std::string> subjects;
  for (const auto& m : messages) subjects.insert(testing::Header(m, "Subject"));
  EXPECT_EQ(subjects,
            (std::set<std::string>{"Please confirm your subscription to News", "Hi Bob"}));
  for (const auto& m : messages) {
    EXPECT_THAT(testing::Header(m, "List-Unsubscribe"),
                HasSubstr("<https://lists.example.com/unsubscribe?t="));
  }
  EXPECT_EQ(Json({"mail", "ls", "--state", "sent"})["total"], 2);
  // Nothing is sent twice.
  ASSERT_EQ(Run({"mail", "send"}).exit_code, 0);
  EXPECT_EQ(sink_.Messages().size(), 2u);

  ASSERT_EQ(Run({"autoresponder", "rm", std::to_string(added["id"].get<int64_t>())}).exit_code, 0);
  EXPECT_TRUE(Json({"autoresponder", "ls"}).empty());
}

// Messages queued while mail was not set up can be cancelled, one or all;
// cancelled ones are never sent, even once mail works.
TEST_F(MailCliTest, CancelledMessagesAreNeverSent) {
  ASSERT_EQ(Run({"list", "create", "News", "--sender-email", "news@example.com"}).exit_code, 0);
  for (const char* email : {"ann@example.com", "bob@example.com", "cid@example.com"}) {
    ASSERT_EQ(Run({"contact", "add", email, "--list", "News", "--status", "unconfirmed"}).exit_code,
              0);
  }
  const nlohmann::json queued = Json({"mail", "ls", "--state", "queued"});
  ASSERT_EQ(queued["total"], 3);
  const std::string first = std::to_string(queued["items"][0]["id"].get<int64_t>());

  ProcessResult one = Run({"mail", "cancel", first});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("Cancelled message " + first + "; it will not be sent."));
  ProcessResult twice = Run({"mail", "cancel", first});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("is cancelled; only a queued message can be cancelled"));
  EXPECT_EQ(Run({"mail", "cancel"}).exit_code, 2);  // an id or --all-queued
  EXPECT_EQ(Run({"mail", "cancel", "424242"}).exit_code, 1);

  ProcessResult all = Run({"mail", "cancel", "--all-queued"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("Cancelled 2 queued messages; they will not be sent."));
  const nlohmann::json after = Json({"mail", "ls"});
  EXPECT_EQ(after["counts"].value("queued", 0), 0);  // a state with no message is left out
  EXPECT_EQ(after["counts"].value("cancelled", 0), 3);

  ASSERT_EQ(Run({"mail", "config", "--host", "127.0.0.1", "--port", std::to_string(sink_.port()),
                 "--tls", "none", "--user", "mailer", "--password-stdin", "--base-url",
                 "https://lists.example.com/"},
                "Pa55-w0rd!\n")
                .exit_code,
            0);
  ProcessResult sent = Run({"mail", "send"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(sink_.Messages().empty());
}

TEST_F(MailCliTest, SendingNeedsSettingsAndSaysWhatIsMissing) {
  ProcessResult unset = Run({"mail", "send"});
  EXPECT_EQ(unset.exit_code, 1);
  EXPECT_THAT(unset.err, HasSubstr("mail config --host"));
  ASSERT_EQ(Run({"mail", "config", "--host", "127.0.0.1"}).exit_code, 0);
  ProcessResult no_url = Run({"mail", "send"});
  EXPECT_EQ(no_url.exit_code, 1);
  EXPECT_THAT(no_url.err, HasSubstr("--base-url"));
  EXPECT_EQ(Run({"mail", "config", "--base-url", "ftp://x"}).exit_code, 1);
  EXPECT_EQ(Run({"mail", "config", "--tls", "maybe"}).exit_code, 2);
}

TEST_F(MailCliTest, AnUnreachableServerKeepsTheMessagesQueued) {
  ASSERT_EQ(Run({"list", "create", "News", "--sender-email", "news@example.com"}).exit_code, 0);
  sink_.Stop();
  ASSERT_EQ(Run({"mail", "config", "--host", "127.0.0.1", "--port", std::to_string(sink_.port()),
                 "--tls", "none", "--base-url", "http://localhost:8080"})
                .exit_code,
            0);
  ASSERT_EQ(Run({"contact", "add", "ann@example.com", "--list", "News", "--status", "unconfirmed"})
                .exit_code,
            0);
  ProcessResult sent = Run({"mail", "send"});
  EXPECT_EQ(sent.exit_code, 1);
  EXPECT_THAT(sent.err, HasSubstr("the messages stay queued"));
  EXPECT_EQ(Json({"mail", "ls"})["counts"]["queued"], 1);
}

TEST_F(MailCliTest, TheEnvironmentCanCarryTheSettings) {
  ASSERT_EQ(Run({"list", "create", "News", "--sender-email", "news@example.com"}).exit_code, 0);
  ASSERT_EQ(Run({"contact", "add", "ann@example.com", "--list", "News", "--status", "unconfirmed"})
                .exit_code,
            0);
  testing::Environment env = {{"CONTACTSYNC_SMTP_HOST", "127.0.0.1"},
                              {"CONTACTSYNC_SMTP_PORT", std::to_string(sink_.port())},
                              {"CONTACTSYNC_SMTP_TLS", "none"},
                              {"CONTACTSYNC_SMTP_USER", "mailer"},
                              {"CONTACTSYNC_SMTP_PASSWORD", "Pa55-w0rd!"},
                              {"CONTACTSYNC_MAIL_BASE_URL", "http://localhost:8080/"}};
  ProcessResult sent = Run({"mail", "send"}, "", env);
  env[1].second = "seventy";  // CONTACTSYNC_SMTP_PORT
  ProcessResult bad = Run({"mail", "send"}, "", env);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_THAT(sent.out, HasSubstr("Sent 1"));
  ASSERT_EQ(sink_.Messages().size(), 1u);
  EXPECT_THAT(testing::Header(sink_.Messages()[0], "List-Unsubscribe"),
              HasSubstr("<http://localhost:8080/unsubscribe?t="));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("CONTACTSYNC_SMTP_PORT"));
}

}  // namespace
}  // namespace contactsync
