// Mail end to end against a real SMTP server on loopback (tests/support/
// smtp_sink.py, python3-aiosmtpd) and the mail links over real HTTP
// (cpp-httplib on a free loopback port): queueing by a sync, delivery
// exactly once across server restarts, links, header safety, templates.

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "app/mail_link_routes.h"
#include "app/mail_setup.h"
#include "mail/message.h"
#include "mail/outbox_sender.h"
#include "mail/smtp_mailer.h"
#include "source/sqlite/sqlite_source.h"
#include "source/sqlite/test_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_test_util.h"
#include "support/process.h"
#include "support/smtp_sink.h"
#include "sync/definition.h"
#include "sync/engine.h"

namespace contactsync::app {
namespace {

using model::SubscriptionStatus;
using store::testing::IsOk;
using ::testing::HasSubstr;
using testing::Header;
using ::testing::Not;
using testing::SmtpSink;

const std::vector<std::string> kHeaderNames{
    "From",        "To",           "Subject",          "Date",
    "Message-ID",  "MIME-Version", "List-Unsubscribe", "List-Unsubscribe-Post",
    "Content-Type"};

// The name as it must arrive: first and last name, white space collapsed.
std::string CleanName(const std::string& name) {
  std::string out;
  for (const char c : name + " " + name) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Quote(const std::string& value) {
  std::string out = "'";
  for (const char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

class MailDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(sink_dir());
    store_path_ = (dir_.path() / "store.db").string();
    source_path_ = (dir_.path() / "source.db").string();
    store_ = Open();
    ASSERT_TRUE(IsOk(
        store_->CreateList(store::testing::ListNamed("News", "news@example.com", "", "The News"))));
    model::FieldDefinition city;
    city.key = "CITY";
    city.label = "City";
    ASSERT_TRUE(IsOk(store_->CreateField(city)));
    source::sqlite::testing::WriteDatabase(
        source_path_, "CREATE TABLE people (mail TEXT, fname TEXT, lname TEXT, city TEXT)");
    compose_.base_url = "http://127.0.0.1:1";  // replaced when a test serves the links
    ASSERT_TRUE(sink_.Start());
  }

  std::string sink_dir() const { return (dir_.path() / "received").string(); }

  std::unique_ptr<store::Store> Open() {
    auto opened = store::sqlite::SqliteStore::Open(store_path_, 5000, clock_);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // Rows of (mail, fname, lname, city) into the source table.
  void AddPeople(const std::vector<std::vector<std::string>>& rows) {
    std::string sql = "BEGIN;";
    for (const auto& row : rows) {
      sql += "INSERT INTO people VALUES (" + Quote(row[0]) + "," + Quote(row[1]) + "," +
             Quote(row[2]) + "," + Quote(row[3]) + ");";
    }
    source::sqlite::testing::WriteDatabase(source_path_, sql + "COMMIT;");
  }

  sync::RunReport Sync(store::SyncEntryStatus status, bool autoresponders, bool dry_run = false) {
    sync::SyncDefinition d;
    d.name = "People";
    d.connection = "src";
    d.list = "News";
    d.status = status;
    d.send_autoresponders = autoresponders;
    d.source.table = "people";
    for (auto [column, target] :
         std::vector<std::pair<std::string, std::string>>{{"mail", "email"},
                                                          {"fname", "first_name"},
                                                          {"lname", "last_name"},
                                                          {"city", "%CITY%"}}) {
      d.mapping.push_back({column, *mapping::ParseTarget(target)});
    }
    if (!store_->GetSync(d.name).ok()) {
      EXPECT_TRUE(IsOk(store_->CreateSync(d.name, sync::SerializeDefinition(d))));
    } else {
      EXPECT_TRUE(IsOk(store_->UpdateSync(d.name, d.name, sync::SerializeDefinition(d))));
    }
    source::ConnectionSettings settings;
    settings.type = source::SourceType::kSqlite;
    settings.database = source_path_;
    auto source = source::sqlite::OpenSqliteSource(settings);
    EXPECT_TRUE(source.ok());
    sync::EngineOptions options;
    options.dry_run = dry_run;
    options.started_by = "test";
    options.clock = &clock_;
    auto report = sync::Execute(d, settings, **source, *store_, *store_, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::RunReport{};
  }

  mail::SmtpSettings Smtp() {
    mail::SmtpSettings smtp;
    smtp.host = "127.0.0.1";
    smtp.port = sink_.port();
    smtp.tls_mode = "none";
    smtp.connect_timeout_s = 5;
    smtp.timeout_s = 20;
    return smtp;
  }

  mail::PassReport Pass(const mail::SmtpSettings& smtp) {
    mail::SmtpMailer mailer(smtp);
    mail::OutboxSender sender(*store_, mailer, signer_, compose_, {}, clock_);
    auto report = sender.RunOnce();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : mail::PassReport{};
  }
  mail::PassReport Pass() { return Pass(Smtp()); }

  std::map<std::string, int64_t> Counts() {
    auto page = store_->GetOutbox({});
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->counts : std::map<std::string, int64_t>{};
  }

  SubscriptionStatus StatusOf(const std::string& email) {
    auto contact = store_->GetContact(email);
    EXPECT_TRUE(contact.ok()) << email;
    return contact.ok() && !contact->subscriptions.empty() ? contact->subscriptions[0].status
                                                           : SubscriptionStatus::kBounced;
  }

  // Every received message's recipient, checked to arrive at most once.
  std::multiset<std::string> Recipients() {
    std::multiset<std::string> all;
    for (const auto& m : sink_.Messages()) {
      EXPECT_EQ(m["rcpt_tos"].size(), 1u);
      for (const auto& r : m["rcpt_tos"]) all.insert(r.get<std::string>());
    }
    return all;
  }

  // Serves the mail links on a free loopback port for the test's duration.
  void ServeLinks() {
    link_store_ = Open();
    service_ = std::make_unique<MailLinkService>(*link_store_, signer_, clock_);
    MountMailLinkRoutes(server_, *service_);
    http_port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(http_port_, 0);
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });
    compose_.base_url = "http://127.0.0.1:" + std::to_string(http_port_);
  }

  void TearDown() override {
    if (server_thread_.joinable()) {
      server_.stop();
      server_thread_.join();
    }
    sink_.Stop();
  }

  // The path and query of a link in a received text part, e.g. "/confirm?t=...".
  std::string LinkIn(const nlohmann::json& message, const std::string& path) {
    const std::string text = message["text"].get<std::string>();
    const std::string marker = compose_.base_url + path + "?t=";
    const size_t at = text.find(marker);
    EXPECT_NE(at, std::string::npos) << text;
    if (at == std::string::npos) return "";
    size_t end = at + marker.size();
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    return text.substr(at + compose_.base_url.size(), end - at - compose_.base_url.size());
  }

  source::sqlite::testing::TempDir dir_;
  base::FakeClock clock_{base::TimePoint(std::chrono::seconds(1'800'000'000))};
  std::string store_path_;
  std::string source_path_;
  std::unique_ptr<store::Store> store_;
  SmtpSink sink_{(dir_.path() / "received").string()};
  mail::LinkSigner signer_{std::array<unsigned char, 32>{7}};
  mail::ComposeSettings compose_;
  std::unique_ptr<store::Store> link_store_;
  std::unique_ptr<MailLinkService> service_;
  httplib::Server server_;
  std::thread server_thread_;
  int http_port_ = 0;
};

TEST_F(MailDeliveryTest, AThousandUnconfirmedArriveExactlyOnceAcrossAServerRestart) {
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 1000; ++i) {
    rows.push_back(
        {"person" + std::to_string(i) + "@example.com", "P" + std::to_string(i), "X", "Oslo"});
  }
  AddPeople(rows);
  // A Test queues nothing.
  EXPECT_EQ(Sync(store::SyncEntryStatus::kUnconfirmed, false, /*dry_run=*/true).counts.added, 1000);
  EXPECT_TRUE(Counts().empty());
  EXPECT_EQ(Sync(store::SyncEntryStatus::kUnconfirmed, false).counts.added, 1000);
  EXPECT_EQ(Counts()["queued"], 1000);

  // The server takes 500 and goes away; the pass stops at the first
  // connection failure and leaves the rest queued.
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({"--exit-after", "500"}, sink_.port()));
  const mail::PassReport first = Pass();
  EXPECT_EQ(first.sent, 500);
  EXPECT_EQ(first.retry_later, 1);
  EXPECT_EQ(first.uncertain, 0);
  EXPECT_THAT(first.server_error, HasSubstr("127.0.0.1"));
  sink_.WaitForExit();
  EXPECT_EQ(sink_.Messages().size(), 500u);

  // Back up: everything else goes out; nothing sent before is sent again.
  ASSERT_TRUE(sink_.Start({}, sink_.port()));
  const mail::PassReport second = Pass();
  EXPECT_EQ(second.sent, 499);  // the one that met the dead server waits for its backoff
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_EQ(Pass().sent, 1);
  EXPECT_EQ(Pass().sent, 0);

  const auto messages = sink_.Messages();
  ASSERT_EQ(messages.size(), 1000u);
  std::set<std::string> recipients;
  std::set<std::string> ids;
  for (const auto& m : messages) {
    recipients.insert(m["rcpt_tos"][0].get<std::string>());
    ids.insert(Header(m, "Message-ID"));
    EXPECT_EQ(Header(m, "Subject"), "Please confirm your subscription to News");
  }
  EXPECT_EQ(recipients.size(), 1000u);
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(Counts()["sent"], 1000);
}

TEST_F(MailDeliveryTest, AServerThatDiesAfterStoringIsNotSentTheMessageAgain) {
  AddPeople({{"a@example.com", "A", "", ""},
             {"b@example.com", "B", "", ""},
             {"c@example.com", "C", "", ""},
             {"d@example.com", "D", "", ""}});
  Sync(store::SyncEntryStatus::kUnconfirmed, false);
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({"--die-after-store", "2"}, sink_.port()));
  const mail::PassReport first = Pass();
  EXPECT_EQ(first.sent, 1);
  EXPECT_EQ(first.uncertain, 1);  // stored by the server, but it never said so
  sink_.WaitForExit();
  ASSERT_TRUE(sink_.Start({}, sink_.port()));
  EXPECT_EQ(Pass().sent, 2);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(Pass().sent, 0);
  EXPECT_EQ(Recipients(), (std::multiset<std::string>{"a@example.com", "b@example.com",
                                                      "c@example.com", "d@example.com"}));
  store::OutboxFilter filter;
  filter.state = store::OutboxState::kFailed;
  auto failed = store_->GetOutbox(filter);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->messages.size(), 1u);
  EXPECT_THAT(failed->messages[0].last_error, HasSubstr("delivery uncertain"));
}

TEST_F(MailDeliveryTest, ConfirmAndUnsubscribeLinksWorkOverHttp) {
  ServeLinks();
  store::NewAutoresponder welcome;
  welcome.list = "News";
  welcome.subject = "Welcome %FIRSTNAME%";
  welcome.body = "Glad you are here.";
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(welcome)));
  AddPeople({{"ann@example.com", "Ann", "A", ""}, {"bob@example.com", "Bob", "B", ""}});
  Sync(store::SyncEntryStatus::kUnconfirmed, /*autoresponders=*/true);
  EXPECT_EQ(Pass().sent, 2);
  const auto messages = sink_.Messages();
  ASSERT_EQ(messages.size(), 2u);
  const nlohmann::json& ann =
      messages[0]["rcpt_tos"][0] == "ann@example.com" ? messages[0] : messages[1];
  const std::string confirm = LinkIn(ann, "/confirm");
  const std::string unsubscribe = LinkIn(ann, "/unsubscribe");
  EXPECT_EQ(Header(ann, "List-Unsubscribe"), "<" + compose_.base_url + unsubscribe + ">");
  EXPECT_EQ(Header(ann, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
  EXPECT_THAT(ann["html"].get<std::string>(), HasSubstr("Confirm my subscription"));

  httplib::Client client("127.0.0.1", http_port_);
  // Tampered: one character of the token changed.
  std::string tampered = confirm;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  auto bad = client.Get(tampered.c_str());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("This link is not valid"));
  EXPECT_EQ(StatusOf("ann@example.com"), SubscriptionStatus::kUnconfirmed);

  auto ok = client.Get(confirm.c_str());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_THAT(ok->body, HasSubstr("Subscription confirmed"));
  EXPECT_EQ(ok->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(StatusOf("ann@example.com"), SubscriptionStatus::kActive);
  CS_ASSERT_OK_AND_ASSIGN(const store::Contact confirmed, store_->GetContact("ann@example.com"));
  EXPECT_EQ(confirmed.subscriptions[0].cause.kind, model::CauseKind::kConfirmationLink);
  auto again = client.Get(confirm.c_str());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_THAT(again->body, HasSubstr("Already confirmed"));
  // The sync asked for autoresponders: confirming started them.
  EXPECT_EQ(Pass().sent, 1);
  EXPECT_EQ(Header(sink_.Messages().back(), "Subject"), "Welcome Ann");

  // Unsubscribe: the GET page only asks; the POST (button or one-click) acts.
  auto page = client.Get(unsubscribe.c_str());
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("<button type=\"submit\">Unsubscribe</button>"));
  EXPECT_EQ(StatusOf("ann@example.com"), SubscriptionStatus::kActive);
  auto posted = client.Post(unsubscribe.c_str(), "List-Unsubscribe=One-Click",
                            "application/x-www-form-urlencoded");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_THAT(posted->body, HasSubstr("You are unsubscribed"));
  EXPECT_EQ(StatusOf("ann@example.com"), SubscriptionStatus::kUnsubscribed);
  CS_ASSERT_OK_AND_ASSIGN(const store::Contact left, store_->GetContact("ann@example.com"));
  EXPECT_EQ(left.subscriptions[0].cause.kind, model::CauseKind::kUnsubscribeLink);
  // An unsubscribed contact's old confirm link cannot bring it back.
  auto revive = client.Get(confirm.c_str());
  ASSERT_TRUE(revive);
  EXPECT_EQ(revive->status, 409);
  EXPECT_EQ(StatusOf("ann@example.com"), SubscriptionStatus::kUnsubscribed);

  // Expired: Bob's link a week and a day later.
  const nlohmann::json& bob = &ann == &messages[0] ? messages[1] : messages[0];
  clock_.Advance(std::chrono::hours(24 * 8));
  auto expired = client.Get(LinkIn(bob, "/confirm").c_str());
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->status, 400);
  EXPECT_THAT(expired->body, HasSubstr("This link has expired"));
  EXPECT_EQ(StatusOf("bob@example.com"), SubscriptionStatus::kUnconfirmed);
}

TEST_F(MailDeliveryTest, UnsubscribedBouncedAndExcludedContactsReceiveNothing) {
  AddPeople({{"left@example.com", "", "", ""},
             {"bounced@example.com", "", "", ""},
             {"excluded@example.com", "", "", ""},
             {"ok@example.com", "", "", ""}});
  store::NewAutoresponder welcome;
  welcome.list = "News";
  welcome.subject = "Welcome";
  welcome.body = "Hi";
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(welcome)));
  Sync(store::SyncEntryStatus::kActive, /*autoresponders=*/true);
  ASSERT_TRUE(IsOk(store_->Unsubscribe("left@example.com", "News", {})));
  ASSERT_TRUE(IsOk(store_->MarkBounced("bounced@example.com", {})));
  ASSERT_TRUE(IsOk(store_->AddExclusion("excluded@example.com", std::string("News"))));
  EXPECT_EQ(Pass().sent, 1);
  // A later sync does not bring them back either.
  Sync(store::SyncEntryStatus::kActive, true);
  EXPECT_EQ(Pass().sent, 0);
  EXPECT_EQ(Recipients(), (std::multiset<std::string>{"ok@example.com"}));
  EXPECT_EQ(Counts()["cancelled"], 3);
}

TEST_F(MailDeliveryTest, HostileNamesAddNoHeaderToAnyMessage) {
  std::string long_non_ascii;
  for (int i = 0; i < 5; ++i) long_non_ascii += "Ωμέγα日本語ü ";  // 110 bytes; names hold 255
  const std::vector<std::string> names = {"Ann\r\nBcc: victim@example.com",
                                          "Ann\nBcc: victim@example.com",
                                          "Ann\rBcc: victim@example.com",
                                          "x\r\n\r\nInjected body",
                                          "Ann\xe2\x80\xa8"
                                          "Bcc: victim@example.com",
                                          "Ann\xc2\x85"
                                          "Cc: victim@example.com",
                                          long_non_ascii};
  store::NewAutoresponder welcome;
  welcome.list = "News";
  welcome.subject = "Hello %FIRSTNAME% %LASTNAME%";
  welcome.body = "Hi";
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(welcome)));
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < names.size(); ++i) {
    rows.push_back({"h" + std::to_string(i) + "@example.com", names[i], names[i], ""});
  }
  AddPeople(rows);
  Sync(store::SyncEntryStatus::kUnconfirmed, true);  // confirmation: name in To
  EXPECT_EQ(Pass().sent, static_cast<int64_t>(names.size()));
  // ... and an autoresponder with the name in To and Subject.
  for (size_t i = 0; i < names.size(); ++i) {
    store::ContactChange change;
    change.contact.email = "h" + std::to_string(i) + "@example.com";
    change.list = "News";
    change.status = SubscriptionStatus::kActive;
    ASSERT_TRUE(IsOk(store_->SaveContact(change)));
  }
  EXPECT_EQ(Pass().sent, static_cast<int64_t>(names.size()));
  const auto messages = sink_.Messages();
  ASSERT_EQ(messages.size(), 2 * names.size());
  for (const auto& m : messages) {
    std::vector<std::string> header_names;
    for (const auto& h : m["raw_headers"]) header_names.push_back(h["name"]);
    EXPECT_EQ(header_names, kHeaderNames) << m.dump();
    EXPECT_TRUE(m["defects"].empty()) << m.dump();
    EXPECT_EQ(m["rcpt_tos"].size(), 1u);
    EXPECT_THAT(Header(m, "To"), Not(HasSubstr("\n")));
    EXPECT_THAT(m["text"].get<std::string>(), Not(HasSubstr("Injected body\r\n\r\n--")));
  }
  // The long non-ASCII name arrives whole, decoded by an independent parser.
  bool found = false;
  for (const auto& m : messages) {
    if (Header(m, "To").find("Ωμέγα日本語ü") != std::string::npos) {
      found = true;
      EXPECT_THAT(Header(m, "To"), HasSubstr(CleanName(long_non_ascii)));
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(MailDeliveryTest, TemplateTagsAreFilledAndEscapedAndMissingOnesEmpty) {
  store::NewAutoresponder welcome;
  welcome.list = "News";
  welcome.subject = "Hi %FIRSTNAME% from %CITY%";
  welcome.body = "Dear %FIRSTNAME% %LASTNAME% <%EMAIL%>, city [%CITY%], town [%TOWN%], 5% off.";
  ASSERT_TRUE(IsOk(store_->CreateAutoresponder(welcome)));
  AddPeople({{"ann@example.com", "<b>Ann & Co</b>", "O'Neil", "Oslo"},
             {"bob@example.com", "Bob", "B", ""}});
  Sync(store::SyncEntryStatus::kActive, true);
  EXPECT_EQ(Pass().sent, 2);
  for (const auto& m : sink_.Messages()) {
    const std::string text = m["text"].get<std::string>();
    const std::string html = m["html"].get<std::string>();
    if (m["rcpt_tos"][0] == "ann@example.com") {
      EXPECT_EQ(Header(m, "Subject"), "Hi <b>Ann & Co</b> from Oslo");
      EXPECT_THAT(text, HasSubstr("Dear <b>Ann & Co</b> O'Neil <ann@example.com>, city [Oslo], "
                                  "town [], 5% off."));
      EXPECT_THAT(html, HasSubstr("Dear &lt;b&gt;Ann &amp; Co&lt;/b&gt; O&#39;Neil "
                                  "&lt;ann@example.com&gt;, city [Oslo], town [], 5% off."));
      EXPECT_THAT(html, Not(HasSubstr("<b>Ann")));
    } else {
      EXPECT_EQ(Header(m, "Subject"), "Hi Bob from");
      EXPECT_THAT(text, HasSubstr("city [], town [], 5% off."));
    }
    EXPECT_THAT(text, Not(HasSubstr("%CITY%")));
    EXPECT_THAT(text, Not(HasSubstr("%TOWN%")));
  }
}

// The store admits ASCII addresses only (docs/email-validation.md), so this
// drives the mailer directly: it is the last line of defence.
TEST_F(MailDeliveryTest, NonAsciiAddressesNeedSmtpUtf8) {
  mail::MessageParts parts;
  parts.from = {"News", "news@example.com"};
  parts.to = {"Zoë", "zoë@example.com"};
  parts.subject = "Hello";
  parts.message_id = "<utf8test@example.com>";
  parts.date = clock_.Now();
  parts.unsubscribe_url = "https://lists.example.com/unsubscribe?t=x";
  parts.text = "text";
  parts.html = "html";
  auto data = mail::BuildMessage(parts);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  mail::OutgoingMessage message{"news@example.com", "zoë@example.com", true, *data};
  {
    mail::SmtpMailer mailer(Smtp());
    const mail::SendResult refused = mailer.Send(message);
    EXPECT_EQ(refused.status, mail::SendStatus::kFailed);
    EXPECT_THAT(refused.message, HasSubstr("does not offer SMTPUTF8"));
    EXPECT_TRUE(sink_.Messages().empty());
  }
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({"--smtputf8"}, sink_.port()));
  mail::SmtpMailer mailer(Smtp());
  const mail::SendResult sent = mailer.Send(message);
  EXPECT_EQ(sent.status, mail::SendStatus::kSent) << sent.message;
  ASSERT_EQ(sink_.Messages().size(), 1u);
  EXPECT_EQ(sink_.Messages()[0]["rcpt_tos"][0], "zoë@example.com");
  EXPECT_EQ(sink_.Messages()[0]["smtputf8"], true);
}

TEST_F(MailDeliveryTest, StartTlsIsRequiredAndCertificatesAreVerified) {
  const std::string cert = (dir_.path() / "cert.pem").string();
  const std::string key = (dir_.path() / "key.pem").string();
  const testing::ProcessResult made = testing::RunProcess(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
       cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({"--starttls", cert + ":" + key}, sink_.port()));
  AddPeople({{"a@example.com", "", "", ""}, {"b@example.com", "", "", ""}});
  Sync(store::SyncEntryStatus::kUnconfirmed, false);

  // Plain SMTP to a server that wants STARTTLS: the session is refused and
  // the messages wait; nothing goes out in clear.
  mail::SmtpSettings smtp = Smtp();
  const mail::PassReport plain = Pass(smtp);
  EXPECT_EQ(plain.sent, 0);
  EXPECT_THAT(plain.server_error, HasSubstr("refused the session"));
  // STARTTLS with a certificate nobody vouches for: refused by us.
  smtp.tls_mode = "starttls";
  clock_.Advance(std::chrono::minutes(10));
  const mail::PassReport untrusted = Pass(smtp);
  EXPECT_EQ(untrusted.sent, 0);
  EXPECT_THAT(untrusted.server_error, HasSubstr("cannot use the SMTP server"));
  EXPECT_TRUE(sink_.Messages().empty());
  // With its CA: delivered over TLS.
  smtp.ca_file = cert;
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_EQ(Pass(smtp).sent, 2);

  // Implicit TLS (smtps).
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({"--tls", cert + ":" + key}, sink_.port()));
  store::ContactChange change;
  change.contact.email = "c@example.com";
  change.list = "News";
  change.status = SubscriptionStatus::kUnconfirmed;
  ASSERT_TRUE(IsOk(store_->SaveContact(change)));
  smtp.tls_mode = "tls";
  EXPECT_EQ(Pass(smtp).sent, 1);
  EXPECT_EQ(Recipients(),
            (std::multiset<std::string>{"a@example.com", "b@example.com", "c@example.com"}));
}

TEST_F(MailDeliveryTest, LogsInWithTheStoredCredentials) {
  sink_.Stop();
  ASSERT_TRUE(sink_.Start({"--auth", "mailer:s3cret"}, sink_.port()));
  AddPeople({{"ann@example.com", "Ann", "", ""}});
  Sync(store::SyncEntryStatus::kUnconfirmed, false);
  mail::SmtpSettings smtp = Smtp();
  smtp.user = "mailer";
  smtp.password = "wrong";
  const mail::PassReport denied = Pass(smtp);
  EXPECT_EQ(denied.retry_later, 1);
  EXPECT_THAT(denied.server_error, Not(HasSubstr("wrong")));
  EXPECT_TRUE(sink_.Messages().empty());
  clock_.Advance(std::chrono::minutes(2));
  smtp.password = "s3cret";
  EXPECT_EQ(Pass(smtp).sent, 1);
  EXPECT_EQ(sink_.Messages().size(), 1u);
}

}  // namespace
}  // namespace contactsync::app
