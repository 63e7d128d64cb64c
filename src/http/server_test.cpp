// The HTTP server from outside: a real server on a free loopback port, a
// real client, the store under test (store/test_store.h: a SQLite file in a
// temp data directory, or a fresh schema of the PostgreSQL test server with
// CONTACTSYNC_TEST_STORE=postgresql), SQLite source files for syncs (and the
// MariaDB/PostgreSQL test servers where a connection is tested, when they
// run).

#include "http/server.h"
#include "http/test_location.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/data_dir.h"
#include "app/mail_setup.h"
#include "secrets/secret_box.h"
#include "store/store.h"
#include "store/test_store.h"
#include "support/fake_postgres.h"
#include "support/process.h"
#include "support/test_servers.h"
#include "sync/demo_source.h"

namespace contactsync::http {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "correct horse battery";

struct Reply {
  int status = 0;
  json body;
  std::string text;
  httplib::Headers headers;

  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A logged-in browser: its cookie and CSRF token.
struct Session {
  std::string cookie;  // "cs_session=..."
  std::string csrf;
};

// The API body of a connection to a test server's SELECT-only account.
json ReaderConnection(const std::string& name, const std::string& type,
                      const ::contactsync::testing::TestAccount& reader) {
  return {{"name", name},
          {"type", type},
          {"host", reader.host},
          {"port", std::stoi(reader.port)},
          {"user", reader.user},
          {"password", reader.password},
          {"database", reader.database},
          {"tls_mode", "disable"}};
}

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    location_ = TestLocation(dir_.path());
    ASSERT_FALSE(location_.store_url.empty());
    ServerOptions options;
    options.port = 0;
    options.store.url = location_.store_url;
    options.key_path = location_.key_path;
    options.data_dir = location_.data_dir;
    options.sqlite_dirs = {sources_.path()};
    options.max_failures_per_user = 3;
    options.assets = [](std::string_view path) -> std::optional<StaticAsset> {
      if (path == "/index.html") return StaticAsset{"text/html; charset=utf-8", "<h1>ui</h1>"};
      return std::nullopt;
    };
    CustomizeOptions(options);
    auto server = Server::Create(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(60, 0);
  }

  virtual void CustomizeOptions(ServerOptions&) {}

  // `contactsync ARGS...` on the store under test, named by --store (the
  // commands run here need no secret key).
  contactsync::testing::ProcessResult RunCli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{CONTACTSYNC_BINARY, "--store", location_.store_url};
    argv.insert(argv.end(), args.begin(), args.end());
    return contactsync::testing::RunProcess(argv);
  }

  std::string Origin() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }

  Reply Send(const std::string& method, const std::string& path, const std::string& body = "",
             httplib::Headers headers = {}) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = std::move(headers);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.body = body;
      req.set_header("Content-Type", "application/json");
    }
    auto result = client_->send(req);
    Reply reply;
    if (!result) {
      ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(result.error());
      return reply;
    }
    reply.status = result->status;
    reply.text = result->body;
    reply.headers = result->headers;
    reply.body = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    return reply;
  }

  // As the logged-in browser: cookie, CSRF token and same Origin.
  Reply As(const Session& s, const std::string& method, const std::string& path,
           const json& body = nullptr) {
    httplib::Headers headers{{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Origin", Origin()}};
    return Send(method, path, body.is_null() ? "" : body.dump(), headers);
  }

  static std::string CookieOf(const Reply& reply) {
    const std::string header = reply.Header("Set-Cookie");
    return header.substr(0, header.find(';'));
  }

  Session SetUpAdmin() {
    Reply reply =
        Send("POST", "/api/v1/setup", json{{"username", "admin"}, {"password", kPassword}}.dump());
    EXPECT_EQ(reply.status, 200) << reply.text;
    return {CookieOf(reply), reply.body.value("csrf_token", "")};
  }

  Session Login(const std::string& user, const std::string& password, int expect = 200) {
    Reply reply =
        Send("POST", "/api/v1/session", json{{"username", user}, {"password", password}}.dump());
    EXPECT_EQ(reply.status, expect) << reply.text;
    return {CookieOf(reply), reply.body.value("csrf_token", "")};
  }

  // Reads the run's event stream to its end.
  std::string Events(const Session& s, int64_t run_id) {
    std::string stream;
    auto result =
        client_->Get(fmt::format("/api/v1/runs/{}/events", run_id),
                     httplib::Headers{{"Cookie", s.cookie}}, [&](const char* data, size_t size) {
                       stream.append(data, size);
                       return true;
                     });
    EXPECT_TRUE(result) << "events stream failed";
    if (result) {
      EXPECT_EQ(result->get_header_value("Content-Type"), "text/event-stream");
    }
    return stream;
  }

  // The data of every `event: NAME` in an event stream.
  static std::vector<json> EventData(const std::string& stream, const std::string& name) {
    std::vector<json> out;
    const std::string marker = "event: " + name + "\ndata: ";
    for (size_t pos = stream.find(marker); pos != std::string::npos;
         pos = stream.find(marker, pos + 1)) {
      const size_t start = pos + marker.size();
      out.push_back(json::parse(stream.substr(start, stream.find('\n', start) - start)));
    }
    return out;
  }

  // A saved SQLite connection to a demo shop of `rows` customers, a list
  // and a custom field, and a sync over them; returns the sync id.
  int64_t CreateDemoSync(const Session& s, int rows) {
    CreateDemoSource(s, rows);
    Reply created = As(s, "POST", "/api/v1/syncs", SyncDefinition());
    EXPECT_EQ(created.status, 201) << created.text;
    return created.body.value("id", int64_t{0});
  }

  // What CreateDemoSync saves before the sync itself.
  void CreateDemoSource(const Session& s, int rows) {
    const std::string path = sources_.path() + "/shop.db";
    EXPECT_TRUE(sync::WriteDemoSource(path, rows).ok());
    EXPECT_EQ(As(s, "POST", "/api/v1/connections",
                 {{"name", "shop"}, {"type", "sqlite"}, {"database", path}})
                  .status,
              201);
    EXPECT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "Newsletter"}}).status, 201);
    EXPECT_EQ(As(s, "POST", "/api/v1/fields", {{"key", "CITY"}, {"label", "City"}}).status, 201);
  }

  static json SyncDefinition() {
    return {{"name", "Shop customers"},
            {"connection", "shop"},
            {"list", "Newsletter"},
            {"status", "active"},
            {"source", {{"table", "customers"}}},
            {"mapping",
             {{"email", "email"},
              {"first_name", "first_name"},
              {"last_name", "last_name"},
              {"city", "%CITY%"}}},
            {"rules",
             {{"match", "all"},
              {"conditions",
               json::array({{{"column", "is_test"}, {"op", "equals"}, {"value", "0"}}})}}}};
  }

  // The run's JSON once it is no longer running.
  json WaitFinished(const Session& s, int64_t run_id) {
    for (int i = 0; i < 600; ++i) {
      Reply run = As(s, "GET", fmt::format("/api/v1/runs/{}", run_id));
      if (run.body.value("state", "") != "running") return run.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "run " << run_id << " did not finish";
    return nullptr;
  }

  testing::TempDir dir_;      // the data directory
  testing::TempDir sources_;  // SQLite sources (serve --sqlite-dir)
  app::Location location_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// A concrete path for a route template.
std::string Concrete(const std::string& path) {
  return std::regex_replace(std::regex_replace(path, std::regex(R"(\{id\})"), "1"),
                            std::regex(R"(\{key\})"), "CITY");
}

TEST_F(HttpTest, EveryApiRouteButThePublicOnesAnswers401WithoutASessionOrToken) {
  SetUpAdmin();  // a user exists, so nothing answers for "setup" reasons
  size_t checked = 0;
  for (const RouteInfo& route : server_->routes()) {
    const Reply anonymous = Send(route.method, Concrete(route.path), "{}");
    const Reply forged =
        Send(route.method, Concrete(route.path), "{}",
             {{"Authorization", "Bearer cst_forged"}, {"Cookie", "cs_session=forged"}});
    if (route.is_public) {
      EXPECT_NE(anonymous.status, 401) << route.method << " " << route.path;
      continue;
    }
    ++checked;
    EXPECT_EQ(anonymous.status, 401) << route.method << " " << route.path;
    EXPECT_EQ(anonymous.body["error"]["code"], "unauthenticated") << route.path;
    EXPECT_EQ(forged.status, 401) << route.method << " " << route.path;
  }
  EXPECT_GT(checked, 40u);
  // Only the contract's public routes are public.
  std::set<std::pair<std::string, std::string>> allowed;
  for (const RouteInfo& route : PublicRoutes()) allowed.insert({route.method, route.path});
  for (const RouteInfo& route : server_->routes()) {
    if (route.is_public) {
      EXPECT_TRUE(allowed.count({route.method, route.path})) << route.path;
    }
  }
  // Unknown API paths do not answer without authentication either.
  EXPECT_EQ(Send("GET", "/api/v1/nothing-here").status, 401);
  EXPECT_EQ(Send("DELETE", "/api/v1/lists/1/extra").status, 401);
  // Static assets are public; an absent one is 404 (with a session too).
  const Reply page = Send("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.text, "<h1>ui</h1>");
  EXPECT_THAT(page.Header("Content-Security-Policy"), HasSubstr("script-src 'self'"));
  EXPECT_EQ(Send("GET", "/index.html").text, "<h1>ui</h1>");
  EXPECT_EQ(Send("GET", "/assets/missing.js").status, 404);
  EXPECT_EQ(Send("POST", "/index.html").status, 401);
}

TEST_F(HttpTest, SetupCreatesTheFirstUserOnlyOnce) {
  EXPECT_EQ(Send("GET", "/api/v1/setup").body["needs_setup"], true);
  const Reply weak =
      Send("POST", "/api/v1/setup", json{{"username", "admin"}, {"password", "short"}}.dump());
  EXPECT_EQ(weak.status, 400);
  const Session admin = SetUpAdmin();
  EXPECT_FALSE(admin.cookie.empty());
  EXPECT_EQ(Send("GET", "/api/v1/setup").body["needs_setup"], false);
  const Reply again =
      Send("POST", "/api/v1/setup", json{{"username", "mallory"}, {"password", kPassword}}.dump());
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["error"]["code"], "failed_precondition");
  EXPECT_EQ(Login("mallory", kPassword, 401).cookie, "");
  const Reply me = As(admin, "GET", "/api/v1/session");
  EXPECT_EQ(me.body["user"]["username"], "admin");
  EXPECT_EQ(me.body["csrf_token"], admin.csrf);
}

TEST_F(HttpTest, SessionCookieAttributesAndANewIdAtEveryLogin) {
  const Session first = SetUpAdmin();
  const Reply login =
      Send("POST", "/api/v1/session", json{{"username", "admin"}, {"password", kPassword}}.dump(),
           {{"Cookie", first.cookie}});
  ASSERT_EQ(login.status, 200);
  const std::string header = login.Header("Set-Cookie");
  EXPECT_THAT(header, HasSubstr("HttpOnly"));
  EXPECT_THAT(header, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(header, HasSubstr("Path=/"));
  EXPECT_THAT(header, Not(HasSubstr("Secure")));  // plain HTTP here
  EXPECT_THAT(header, ::testing::MatchesRegex("cs_session=[0-9a-f]{64};.*"));
  const Session second{CookieOf(login), login.body["csrf_token"]};
  EXPECT_NE(second.cookie, first.cookie);
  EXPECT_NE(second.csrf, first.csrf);
  // The session the login came with is gone; the new one works.
  EXPECT_EQ(As(first, "GET", "/api/v1/lists").status, 401);
  EXPECT_EQ(As(second, "GET", "/api/v1/lists").status, 200);
  // Logout ends it.
  EXPECT_EQ(As(second, "DELETE", "/api/v1/session").status, 200);
  EXPECT_EQ(As(second, "GET", "/api/v1/lists").status, 401);
}

TEST_F(HttpTest, StateChangesNeedTheCsrfTokenAndTheServersOrigin) {
  const Session s = SetUpAdmin();
  const std::string body = json{{"name", "News"}}.dump();
  const Reply no_token = Send("POST", "/api/v1/lists", body, {{"Cookie", s.cookie}});
  EXPECT_EQ(no_token.status, 403);
  EXPECT_EQ(no_token.body["error"]["code"], "permission_denied");
  EXPECT_EQ(
      Send("POST", "/api/v1/lists", body, {{"Cookie", s.cookie}, {"X-CSRF-Token", "x"}}).status,
      403);
  EXPECT_EQ(
      Send("POST", "/api/v1/lists", body,
           {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Origin", "https://evil.example"}})
          .status,
      403);
  EXPECT_EQ(Send("DELETE", "/api/v1/session", "", {{"Cookie", s.cookie}}).status, 403);
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").body.size(), 0u);  // nothing was created
  EXPECT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 201);
  // Without an Origin header (non-browser clients) the token suffices.
  EXPECT_EQ(Send("POST", "/api/v1/lists", json{{"name", "Other"}}.dump(),
                 {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}})
                .status,
            201);
}

TEST_F(HttpTest, WrongPasswordsAreRateLimited) {
  SetUpAdmin();
  for (int i = 0; i < 3; ++i) {
    const Reply wrong = Send("POST", "/api/v1/session",
                             json{{"username", "admin"}, {"password", "wrong-password"}}.dump());
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.body["error"]["code"], "unauthenticated");
  }
  const Reply limited =
      Send("POST", "/api/v1/session", json{{"username", "admin"}, {"password", kPassword}}.dump());
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["error"]["code"], "too_many_requests");
  EXPECT_GT(std::stoi(limited.Header("Retry-After")), 0);
  EXPECT_EQ(limited.Header("Set-Cookie"), "");
  // Unknown names count too (and answer like wrong passwords).
  EXPECT_EQ(Login("nobody", "whatever-password", 401).cookie, "");
}

TEST_F(HttpTest, BearerTokensWorkWithoutCsrfAndCanBeRevoked) {
  const Session s = SetUpAdmin();
  const Reply created = As(s, "POST", "/api/v1/tokens", {{"name", "backup script"}});
  ASSERT_EQ(created.status, 201);
  const std::string token = created.body["token"];
  EXPECT_THAT(token, ::testing::StartsWith("cst_"));
  const httplib::Headers bearer{{"Authorization", "Bearer " + token}};
  EXPECT_EQ(Send("GET", "/api/v1/lists", "", bearer).status, 200);
  EXPECT_EQ(Send("POST", "/api/v1/lists", json{{"name", "ByToken"}}.dump(), bearer).status, 201);
  const Reply tokens = As(s, "GET", "/api/v1/tokens");
  ASSERT_EQ(tokens.body.size(), 1u);
  EXPECT_FALSE(tokens.body[0].contains("token"));  // shown once only
  EXPECT_FALSE(tokens.body[0]["last_used_at"].is_null());
  const int64_t id = created.body["id"];
  EXPECT_EQ(Send("DELETE", fmt::format("/api/v1/tokens/{}", id), "", bearer).status, 200);
  EXPECT_EQ(Send("GET", "/api/v1/lists", "", bearer).status, 401);
}

TEST_F(HttpTest, HostileStringsRoundTripAsJsonTextAndBadUtf8Is400) {
  const Session s = SetUpAdmin();
  const std::string hostile =
      "Tom's \"list\" <script>alert(1)</script> \"><img src=x onerror=alert(1)> "
      "\u202eevil\u202c \xF0\x9F\x8E\x89";
  const Reply list = As(s, "POST", "/api/v1/lists", {{"name", hostile}, {"description", hostile}});
  ASSERT_EQ(list.status, 201) << list.text;
  EXPECT_EQ(list.Header("Content-Type"), "application/json; charset=utf-8");
  const Reply got = As(s, "GET", fmt::format("/api/v1/lists/{}", list.body["id"].get<int64_t>()));
  EXPECT_EQ(got.body["name"], hostile);
  EXPECT_EQ(got.body["description"], hostile);
  ASSERT_EQ(As(s, "POST", "/api/v1/fields", {{"key", "NOTE"}, {"label", hostile}}).status, 201);
  EXPECT_EQ(As(s, "GET", "/api/v1/fields").body[0]["label"], hostile);
  const Reply contact = As(s, "POST", "/api/v1/contacts",
                           {{"email", "x@example.com"},
                            {"first_name", hostile},
                            {"last_name", hostile},
                            {"fields", {{"NOTE", hostile}}},
                            {"list", hostile}});
  ASSERT_EQ(contact.status, 201) << contact.text;
  const int64_t contact_id = contact.body["contact"]["id"];
  const Reply shown = As(s, "GET", fmt::format("/api/v1/contacts/{}", contact_id));
  EXPECT_EQ(shown.body["first_name"], hostile);
  EXPECT_EQ(shown.body["fields"]["NOTE"], hostile);
  EXPECT_EQ(shown.body["subscriptions"][0]["list"], hostile);
  EXPECT_EQ(shown.body["history"].size(), 1u);
  const Reply search =
      As(s, "GET", "/api/v1/contacts?search=example&list=" + PercentEncode(hostile));
  EXPECT_EQ(search.body["total"], 1);
  // The raw text never holds an unescaped tag break-out beyond JSON quoting.
  EXPECT_THAT(shown.text, HasSubstr("\\\"><img"));

  const httplib::Headers auth{{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}};
  const Reply bad = Send("POST", "/api/v1/lists", "{\"name\": \"bad \xC3\x28 bytes\"}", auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["code"], "invalid_argument");
  EXPECT_EQ(Send("POST", "/api/v1/lists", "{not json", auth).status, 400);
  EXPECT_EQ(Send("POST", "/api/v1/lists", "[1]", auth).status, 400);
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").body.size(), 1u);
}

// Issue 12: searching a full name found nothing; every word must now match the email, first or
// last name, and the user's % and _ stay literal.
TEST_F(HttpTest, ContactSearchMatchesEveryWordOfAFullName) {
  const Session s = SetUpAdmin();
  for (const auto& [email, first, last] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"vera@example.com", "Vera", "McCoy"},
           {"vlynn@example.com", "Vera", "Lynn"},
           {"50%_off@example.com", "Sale", "Bot"},
           {"500xoff@example.com", "Sale", "Bot"}}) {
    ASSERT_EQ(As(s, "POST", "/api/v1/contacts",
                 {{"email", email}, {"first_name", first}, {"last_name", last}})
                  .status,
              201);
  }
  const auto found = [&](std::string_view search) {
    const Reply reply = As(s, "GET", "/api/v1/contacts?search=" + PercentEncode(search));
    EXPECT_EQ(reply.status, 200) << reply.text;
    std::vector<std::string> emails;
    for (const auto& item : reply.body["items"]) emails.push_back(item["email"]);
    return emails;
  };
  EXPECT_THAT(found("vera mccoy"), ElementsAre("vera@example.com"));
  EXPECT_THAT(found("McCoy  VERA"), ElementsAre("vera@example.com"));
  EXPECT_THAT(found("vera"), ElementsAre("vera@example.com", "vlynn@example.com"));
  EXPECT_THAT(found("sale %_"), ElementsAre("50%_off@example.com"));
  const Reply too_many =
      As(s, "GET", "/api/v1/contacts?search=" + PercentEncode("a b c d e f g h i"));
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(too_many.body["error"]["message"], "search text has 9 words; use at most 8");
}

TEST_F(HttpTest, ResourcesByIdWithPagingAndErrors) {
  const Session s = SetUpAdmin();
  ASSERT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 201);
  EXPECT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 409);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(As(s, "POST", "/api/v1/contacts",
                 {{"email", fmt::format("c{}@example.com", i)}, {"list", "News"}})
                  .status,
              201);
  }
  const Reply page = As(s, "GET", "/api/v1/contacts?list=News&status=active&limit=2&offset=1");
  EXPECT_EQ(page.body["total"], 5);
  ASSERT_EQ(page.body["items"].size(), 2u);
  EXPECT_EQ(page.body["items"][0]["email"], "c1@example.com");
  EXPECT_EQ(As(s, "GET", "/api/v1/contacts?limit=0").status, 400);
  const int64_t id = page.body["items"][0]["id"];
  const Reply unsubscribed =
      As(s, "POST", fmt::format("/api/v1/contacts/{}/unsubscribe", id), {{"list", "News"}});
  EXPECT_EQ(unsubscribed.body["subscriptions"][0]["status"], "unsubscribed");
  EXPECT_EQ(As(s, "GET", "/api/v1/contacts?list=News&status=active").body["total"], 4);
  EXPECT_EQ(As(s, "POST", fmt::format("/api/v1/contacts/{}/bounce", id)).body["bounced"], true);
  EXPECT_EQ(As(s, "DELETE", fmt::format("/api/v1/contacts/{}", id)).status, 200);
  EXPECT_EQ(As(s, "GET", fmt::format("/api/v1/contacts/{}", id)).status, 404);

  const Reply excluded =
      As(s, "POST", "/api/v1/exclusions", {{"pattern", "*@blocked.example"}, {"list", nullptr}});
  ASSERT_EQ(excluded.status, 201);
  const Reply refused =
      As(s, "POST", "/api/v1/contacts", {{"email", "a@blocked.example"}, {"list", "News"}});
  EXPECT_EQ(refused.status, 409);
  EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), HasSubstr("excluded"));
  EXPECT_EQ(As(s, "GET", "/api/v1/exclusions").body.size(), 1u);
  EXPECT_EQ(
      As(s, "DELETE", fmt::format("/api/v1/exclusions/{}", excluded.body["id"].get<int64_t>()))
          .status,
      200);
  EXPECT_EQ(As(s, "DELETE", "/api/v1/fields/NOPE").status, 404);
  const int64_t list_id = As(s, "GET", "/api/v1/lists").body[0]["id"];
  EXPECT_EQ(As(s, "DELETE", fmt::format("/api/v1/lists/{}", list_id)).status, 200);
  EXPECT_EQ(As(s, "GET", fmt::format("/api/v1/lists/{}", list_id)).status, 404);
}

TEST_F(HttpTest, AConnectionPasswordNeverAppearsInAnyResponse) {
  const Session s = SetUpAdmin();
  const std::string secret = "Pw-S3cret-never-shown";
  json settings = {{"name", "shop"},     {"type", "mariadb"},     {"host", "127.0.0.1"},
                   {"port", 1},          {"user", "reader"},      {"password", secret},
                   {"database", "shop"}, {"connect_timeout_s", 2}};
  std::vector<Reply> replies;
  replies.push_back(As(s, "POST", "/api/v1/connections", settings));
  ASSERT_EQ(replies.back().status, 201) << replies.back().text;
  const int64_t id = replies.back().body["id"];
  EXPECT_EQ(replies.back().body["has_password"], true);
  replies.push_back(As(s, "GET", "/api/v1/connections"));
  replies.push_back(As(s, "GET", fmt::format("/api/v1/connections/{}", id)));
  json without_password = settings;
  without_password.erase("password");
  without_password["database"] = "other";
  replies.push_back(As(s, "PUT", fmt::format("/api/v1/connections/{}", id), without_password));
  EXPECT_EQ(replies.back().body["has_password"], true);  // kept: same account on the same server
  EXPECT_EQ(replies.back().body["password_cleared"], false);
  EXPECT_EQ(replies.back().body["database"], "other");
  replies.push_back(As(s, "POST", fmt::format("/api/v1/connections/{}/test", id)));
  EXPECT_GE(replies.back().status, 400);  // nothing listens on port 1
  EXPECT_FALSE(replies.back().body["error"]["message"].get<std::string>().empty());
  replies.push_back(As(s, "POST", "/api/v1/connections/test", settings));
  EXPECT_GE(replies.back().status, 400);
  replies.push_back(As(s, "GET", fmt::format("/api/v1/connections/{}/tables", id)));
  for (const Reply& reply : replies) {
    EXPECT_THAT(reply.text, Not(HasSubstr(secret)));
    EXPECT_THAT(reply.text, Not(HasSubstr("\"password\"")));
  }
}

TEST_F(HttpTest, AConnectionToTheMariadbTestServer) {
  CS_REQUIRE_TEST_ACCOUNT(reader, "MARIADB_READER");
  const Session s = SetUpAdmin();
  const json settings = ReaderConnection("maria", "mariadb", reader);
  const Reply unsaved = As(s, "POST", "/api/v1/connections/test", settings);
  ASSERT_EQ(unsaved.status, 200) << unsaved.text;
  EXPECT_EQ(unsaved.body["ok"], true);
  EXPECT_THAT(unsaved.body["server_version"].get<std::string>(), HasSubstr("MariaDB"));
  const Reply saved = As(s, "POST", "/api/v1/connections", settings);
  ASSERT_EQ(saved.status, 201);
  const int64_t id = saved.body["id"];
  const Reply tables = As(s, "GET", fmt::format("/api/v1/connections/{}/tables", id));
  EXPECT_EQ(tables.status, 200) << tables.text;
  const Reply described = As(s, "POST", fmt::format("/api/v1/connections/{}/describe", id),
                             {{"query", "SELECT 1 AS one, 'x' AS two"}});
  ASSERT_EQ(described.status, 200) << described.text;
  EXPECT_EQ(described.body[1]["name"], "two");
  const Reply writes = As(s, "POST", fmt::format("/api/v1/connections/{}/describe", id),
                          {{"query", "SELECT 1 INTO OUTFILE '/tmp/x'"}});
  EXPECT_EQ(writes.status, 400) << writes.text;
  EXPECT_THAT(writes.text, Not(HasSubstr(reader.password)));
}

TEST_F(HttpTest, ASyncCreatedTestedAndRunWithProgressEventsAndMatchingCounts) {
  const Session s = SetUpAdmin();
  const int64_t sync_id = CreateDemoSync(s, 400);
  ASSERT_GT(sync_id, 0);

  // Save-time checks: an unknown column is refused with the check's message.
  json bad = SyncDefinition();
  bad["name"] = "Broken";
  bad["mapping"]["no_such_column"] = "phone";
  const Reply refused = As(s, "POST", "/api/v1/syncs", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), HasSubstr("no_such_column"));

  // Columns and a preview for the wizard.
  const int64_t connection_id = As(s, "GET", "/api/v1/connections").body[0]["id"];
  const Reply columns =
      As(s, "GET", fmt::format("/api/v1/connections/{}/columns?table=customers", connection_id));
  EXPECT_EQ(columns.body[1]["name"], "email");
  const Reply preview =
      As(s, "GET",
         fmt::format("/api/v1/connections/{}/preview?table=customers&limit=3", connection_id));
  EXPECT_EQ(preview.body["rows"].size(), 3u);
  const Reply query_preview =
      As(s, "POST", fmt::format("/api/v1/connections/{}/preview", connection_id),
         {{"query", "SELECT email FROM customers"}, {"limit", 2}});
  EXPECT_EQ(query_preview.body["rows"].size(), 2u) << query_preview.text;

  const Reply test = As(s, "POST", fmt::format("/api/v1/syncs/{}/test", sync_id));
  ASSERT_EQ(test.status, 200) << test.text;
  EXPECT_EQ(test.body["dry_run"], true);
  EXPECT_FALSE(test.body["sample"].empty());
  EXPECT_EQ(As(s, "GET", "/api/v1/contacts").body["total"], 0);  // a Test writes nothing

  const Reply started = As(s, "POST", fmt::format("/api/v1/syncs/{}/run", sync_id));
  ASSERT_EQ(started.status, 202) << started.text;
  const int64_t run_id = started.body["run_id"];
  const std::string stream = Events(s, run_id);
  const std::vector<json> finished = EventData(stream, "finished");
  ASSERT_EQ(finished.size(), 1u) << stream;
  EXPECT_EQ(stream.rfind("event: finished"), stream.find("event: finished"));
  EXPECT_EQ(finished[0]["state"], "succeeded");
  EXPECT_THAT(finished[0]["sql"].get<std::string>(), HasSubstr("customers"));

  const Reply run = As(s, "GET", fmt::format("/api/v1/runs/{}", run_id));
  EXPECT_EQ(run.body["counts"], finished[0]["counts"]);
  EXPECT_EQ(run.body["sync_name"], "Shop customers");
  const int64_t added = run.body["counts"]["added"];
  EXPECT_GT(added, 0);
  EXPECT_EQ(As(s, "GET", "/api/v1/contacts?list=Newsletter").body["total"], added);
  EXPECT_EQ(run.body["counts"]["selected"].get<int64_t>(),
            added + run.body["counts"]["failed"].get<int64_t>() +
                run.body["counts"]["skipped"].get<int64_t>() +
                run.body["counts"]["unchanged"].get<int64_t>() +
                run.body["counts"]["updated"].get<int64_t>());

  // The list shows the last run; the sync's runs list it.
  const Reply syncs = As(s, "GET", "/api/v1/syncs");
  EXPECT_EQ(syncs.body[0]["last_run"]["id"], run_id);
  EXPECT_EQ(syncs.body[0]["definition"]["connection"], "shop");
  EXPECT_EQ(As(s, "GET", fmt::format("/api/v1/syncs/{}/runs", sync_id)).body.size(), 1u);

  // A finished run's stream sends `finished` at once.
  EXPECT_EQ(EventData(Events(s, run_id), "finished").size(), 1u);

  // Failures: paged, filtered, and the CSV is the CLI's.
  const int64_t failed = run.body["counts"]["failed"];
  ASSERT_GT(failed, 0);
  const Reply failures = As(s, "GET", fmt::format("/api/v1/runs/{}/failures?limit=2", run_id));
  EXPECT_EQ(failures.body["total"], failed);
  EXPECT_EQ(failures.body["items"].size(), std::min<size_t>(2, static_cast<size_t>(failed)));
  EXPECT_GT(failures.body["items"][0]["row_number"].get<int64_t>(), 0);
  const std::string reason = failures.body["items"][0]["reason"];
  const Reply filtered =
      As(s, "GET", fmt::format("/api/v1/runs/{}/failures?reason={}&limit=1000", run_id, reason));
  for (const auto& item : filtered.body["items"]) EXPECT_EQ(item["reason"], reason);
  EXPECT_LE(filtered.body["total"].get<int64_t>(), failed);

  const Reply csv = As(s, "GET", fmt::format("/api/v1/runs/{}/failures.csv", run_id));
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  const std::string csv_file = dir_.path() + "/cli.csv";
  const auto cli = RunCli({"report", std::to_string(run_id), "--failures-csv", csv_file});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::ifstream in(csv_file, std::ios::binary);
  std::stringstream cli_csv;
  cli_csv << in.rdbuf();
  EXPECT_EQ(csv.text, cli_csv.str());
  EXPECT_THAT(csv.text, ::testing::StartsWith("row,email,reason,message\r\n"));

  // Edit and delete.
  json renamed = SyncDefinition();
  renamed["name"] = "Shop (renamed)";
  EXPECT_EQ(As(s, "PUT", fmt::format("/api/v1/syncs/{}", sync_id), renamed).body["name"],
            "Shop (renamed)");
  EXPECT_EQ(As(s, "DELETE", fmt::format("/api/v1/syncs/{}", sync_id)).status, 200);
  EXPECT_EQ(As(s, "GET", fmt::format("/api/v1/syncs/{}", sync_id)).status, 404);
}

// Issue 12: the wizard's Test runs the form's definition without saving it.
TEST_F(HttpTest, TestingAnUnsavedDefinitionReportsWithoutSavingOrWritingAnything) {
  const Session s = SetUpAdmin();
  CreateDemoSource(s, 300);
  json unsaved = SyncDefinition();
  unsaved["delete_not_affected"] = true;

  const Reply test = As(s, "POST", "/api/v1/syncs/test", unsaved);
  ASSERT_EQ(test.status, 200) << test.text;
  EXPECT_EQ(test.body["dry_run"], true);
  EXPECT_TRUE(test.body["run_id"].is_null());
  EXPECT_GT(test.body["counts"]["selected"].get<int64_t>(), 0);
  EXPECT_GT(test.body["counts"]["added"].get<int64_t>(), 0);
  EXPECT_FALSE(test.body["sample"].empty());
  EXPECT_THAT(test.body["sql"].get<std::string>(), HasSubstr("customers"));

  // The same save-time checks as saving: an unknown column is a 400.
  json bad = unsaved;
  bad["mapping"]["no_such_column"] = "phone";
  const Reply refused = As(s, "POST", "/api/v1/syncs/test", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), HasSubstr("no_such_column"));

  // Nothing was saved or written: no sync, no run, no contact, no subscriber.
  EXPECT_EQ(As(s, "GET", "/api/v1/syncs").body, json::array());
  EXPECT_EQ(As(s, "GET", "/api/v1/contacts").body["total"], 0);
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").body[0]["subscriber_count"], 0);
  const auto runs = RunCli({"--json", "sync", "ls"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_EQ(json::parse(runs.out), json::array());

  // Saving afterwards works: the name was not taken by the Test.
  EXPECT_EQ(As(s, "POST", "/api/v1/syncs", unsaved).status, 201);
}

// Issue 12: deleting what a sync uses is 409 naming the sync, unless forced.
TEST_F(HttpTest, DeletingAListOrConnectionASyncUsesIs409UnlessForced) {
  const Session s = SetUpAdmin();
  const int64_t sync_id = CreateDemoSync(s, 50);
  ASSERT_GT(sync_id, 0);
  const int64_t list_id = As(s, "GET", "/api/v1/lists").body[0]["id"];
  const int64_t connection_id = As(s, "GET", "/api/v1/connections").body[0]["id"];

  const Reply list = As(s, "DELETE", fmt::format("/api/v1/lists/{}", list_id));
  EXPECT_EQ(list.status, 409) << list.text;
  EXPECT_THAT(list.body["error"]["message"].get<std::string>(),
              HasSubstr("list 'Newsletter' is used by the sync 'Shop customers'"));
  EXPECT_THAT(list.body["error"]["message"].get<std::string>(), HasSubstr("?force=true"));
  const Reply connection = As(s, "DELETE", fmt::format("/api/v1/connections/{}", connection_id));
  EXPECT_EQ(connection.status, 409) << connection.text;
  EXPECT_THAT(connection.body["error"]["message"].get<std::string>(),
              HasSubstr("connection 'shop' is used by the sync 'Shop customers'"));
  EXPECT_EQ(As(s, "DELETE", fmt::format("/api/v1/lists/{}?force=yes", list_id)).status, 400);
  EXPECT_EQ(As(s, "GET", "/api/v1/syncs").body.size(), 1u);
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").body.size(), 1u);
  EXPECT_EQ(As(s, "GET", "/api/v1/connections").body.size(), 1u);

  const Reply forced = As(s, "DELETE", fmt::format("/api/v1/lists/{}?force=true", list_id));
  ASSERT_EQ(forced.status, 200) << forced.text;
  EXPECT_EQ(forced.body["syncs_deleted"], json::array({"Shop customers"}));
  EXPECT_EQ(As(s, "GET", "/api/v1/syncs").body, json::array());
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").body, json::array());

  EXPECT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "Newsletter"}}).status, 201);
  ASSERT_EQ(As(s, "POST", "/api/v1/syncs", SyncDefinition()).status, 201);
  const Reply gone =
      As(s, "DELETE", fmt::format("/api/v1/connections/{}?force=true", connection_id));
  ASSERT_EQ(gone.status, 200) << gone.text;
  EXPECT_EQ(gone.body["syncs_deleted"], json::array({"Shop customers"}));
  EXPECT_EQ(As(s, "GET", "/api/v1/syncs").body, json::array());
}

TEST_F(HttpTest, ASecondRunWhileOneRunsIs409AndCancelStopsIt) {
  const Session s = SetUpAdmin();
  const int64_t sync_id = CreateDemoSync(s, 100000);
  ASSERT_GT(sync_id, 0);
  const Reply started = As(s, "POST", fmt::format("/api/v1/syncs/{}/run", sync_id));
  ASSERT_EQ(started.status, 202) << started.text;
  const int64_t run_id = started.body["run_id"];
  const Reply second = As(s, "POST", fmt::format("/api/v1/syncs/{}/run", sync_id));
  EXPECT_EQ(second.status, 409) << second.text;
  // The server answers while the run goes on.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
  // Deleting a running sync is refused.
  EXPECT_EQ(As(s, "DELETE", fmt::format("/api/v1/syncs/{}", sync_id)).status, 409);

  // Watch the events on a second connection until progress arrives, then cancel.
  std::mutex mutex;
  std::string stream;
  std::thread watcher([&] {
    httplib::Client events("127.0.0.1", server_->port());
    events.set_read_timeout(60, 0);
    events.Get(fmt::format("/api/v1/runs/{}/events", run_id),
               httplib::Headers{{"Cookie", s.cookie}}, [&](const char* data, size_t size) {
                 std::lock_guard<std::mutex> lock(mutex);
                 stream.append(data, size);
                 return true;
               });
  });
  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stream.find("\"phase\":\"reading\"") != std::string::npos) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  const Reply cancel = As(s, "POST", fmt::format("/api/v1/runs/{}/cancel", run_id));
  EXPECT_EQ(cancel.status, 202) << cancel.text;
  watcher.join();
  const std::vector<json> progress = EventData(stream, "progress");
  ASSERT_FALSE(progress.empty()) << stream;
  EXPECT_EQ(progress.back()["run_id"], run_id);
  EXPECT_TRUE(progress.back().contains("rows_read"));
  EXPECT_TRUE(progress.back().contains("estimated_total"));
  EXPECT_THAT(progress.back()["sql"].get<std::string>(), HasSubstr("customers"));
  const std::vector<json> finished = EventData(stream, "finished");
  ASSERT_EQ(finished.size(), 1u) << stream;
  EXPECT_EQ(stream.substr(stream.rfind("event: ")).rfind("event: finished", 0), 0u);
  EXPECT_EQ(finished[0]["state"], "cancelled");
  const json run = WaitFinished(s, run_id);
  EXPECT_EQ(run["state"], "cancelled");
  EXPECT_LT(run["counts"]["selected"].get<int64_t>(), 100000);
  EXPECT_EQ(As(s, "POST", fmt::format("/api/v1/runs/{}/cancel", run_id)).status, 409);
  // The lock is free again after the cancelled run.
  const Reply again = As(s, "POST", fmt::format("/api/v1/syncs/{}/run", sync_id));
  EXPECT_EQ(again.status, 202) << again.text;
  const int64_t again_id = again.body["run_id"];
  EXPECT_NE(again_id, run_id);
  EXPECT_EQ(As(s, "POST", fmt::format("/api/v1/runs/{}/cancel", again_id)).status, 202);
  EXPECT_EQ(WaitFinished(s, again_id)["state"], "cancelled");
}

TEST_F(HttpTest, AConnectionToThePostgresTestServer) {
  CS_REQUIRE_TEST_ACCOUNT(reader, "PG_READER");
  const Session s = SetUpAdmin();
  const json settings = ReaderConnection("pg", "postgresql", reader);
  const Reply saved = As(s, "POST", "/api/v1/connections", settings);
  ASSERT_EQ(saved.status, 201) << saved.text;
  const int64_t id = saved.body["id"];
  const Reply test = As(s, "POST", fmt::format("/api/v1/connections/{}/test", id));
  ASSERT_EQ(test.status, 200) << test.text;
  EXPECT_THAT(test.body["server_version"].get<std::string>(), HasSubstr("PostgreSQL"));
  const Reply preview = As(s, "POST", fmt::format("/api/v1/connections/{}/preview", id),
                           {{"query", "SELECT NULL AS n, 'a' AS t"}, {"limit", 1}});
  ASSERT_EQ(preview.status, 200) << preview.text;
  EXPECT_TRUE(preview.body["rows"][0][0].is_null());
  EXPECT_EQ(preview.body["rows"][0][1], "a");
  const Reply writes = As(s, "POST", fmt::format("/api/v1/connections/{}/describe", id),
                          {{"query", "SELECT lo_from_bytea(0, 'x')"}});
  EXPECT_EQ(writes.status, 400) << writes.text;
  for (const Reply& reply : {saved, test, preview, writes}) {
    EXPECT_THAT(reply.text, Not(HasSubstr(reader.password)));
  }
}

class ShortSessionTest : public HttpTest {
 protected:
  void CustomizeOptions(ServerOptions& options) override {
    options.session_idle_timeout = std::chrono::seconds(1);
    options.session_absolute_timeout = std::chrono::seconds(1);
    options.secure_cookies = true;
  }
};

TEST_F(ShortSessionTest, SessionsExpireAndCookiesAreSecureWhenAskedFor) {
  const Reply login =
      Send("POST", "/api/v1/setup", json{{"username", "admin"}, {"password", kPassword}}.dump());
  ASSERT_EQ(login.status, 200);
  EXPECT_THAT(login.Header("Set-Cookie"), HasSubstr("; Secure"));
  const Session s{CookieOf(login), login.body["csrf_token"]};
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const Reply expired = As(s, "GET", "/api/v1/lists");
  EXPECT_EQ(expired.status, 401);
  EXPECT_THAT(expired.body["error"]["message"].get<std::string>(), HasSubstr("expired"));
  EXPECT_EQ(As(s, "GET", "/api/v1/lists").status, 401);  // deleted, not only refused
}

TEST_F(HttpTest, TheSmtpPasswordIsSealedKeptWhenAbsentAndNeverInAnyResponse) {
  const Session s = SetUpAdmin();
  const std::string secret = "Smtp-S3cret-never-shown";
  std::vector<Reply> replies;
  replies.push_back(As(s, "GET", "/api/v1/mail/settings"));
  EXPECT_EQ(replies.back().status, 200);
  EXPECT_EQ(replies.back().body["configured"], false);
  EXPECT_EQ(replies.back().body["has_password"], false);
  replies.push_back(As(s, "PUT", "/api/v1/mail/settings",
                       {{"smtp_host", "smtp.example.com"},
                        {"smtp_port", 2525},
                        {"tls_mode", "tls"},
                        {"smtp_user", "mailer"},
                        {"password", secret},
                        {"from_name", "Grüße Team"},
                        {"from_email", "news@example.com"},
                        {"hourly_cap", 120},
                        {"base_url", "https://lists.example.com"}}));
  ASSERT_EQ(replies.back().status, 200) << replies.back().text;
  EXPECT_EQ(replies.back().body["has_password"], true);
  EXPECT_EQ(replies.back().body["from_name"], "Grüße Team");
  // Without a password the stored one is kept while the server and account
  // stay the same; other fields change.
  replies.push_back(As(s, "PUT", "/api/v1/mail/settings", {{"from_name", "Other"}}));
  EXPECT_EQ(replies.back().status, 200) << replies.back().text;
  EXPECT_EQ(replies.back().body["has_password"], true);
  EXPECT_EQ(replies.back().body["password_cleared"], false);
  EXPECT_EQ(replies.back().body["from_name"], "Other");
  EXPECT_EQ(replies.back().body["smtp_host"], "smtp.example.com");
  // Bad values are refused with a reason and change nothing.
  for (const json& bad :
       {json{{"smtp_port", 70000}}, json{{"tls_mode", "ssl"}}, json{{"hourly_cap", -1}},
        json{{"hourly_cap", 2'000'000}}, json{{"from_email", "not an address"}},
        json{{"base_url", "ftp://x"}}, json{{"smtp_host", "a\r\nb"}}, json{{"pasword", "typo"}},
        json{{"smtp_port", "25"}}}) {
    replies.push_back(As(s, "PUT", "/api/v1/mail/settings", bad));
    EXPECT_EQ(replies.back().status, 400) << bad.dump() << " " << replies.back().text;
    EXPECT_FALSE(replies.back().body["error"]["message"].get<std::string>().empty());
  }
  replies.push_back(As(s, "GET", "/api/v1/mail/settings"));
  EXPECT_EQ(replies.back().body["smtp_port"], 2525);
  EXPECT_EQ(replies.back().body["tls_mode"], "tls");
  EXPECT_EQ(replies.back().body["hourly_cap"], 120);
  replies.push_back(As(s, "GET", "/api/v1/mail/outbox/summary"));
  EXPECT_EQ(replies.back().body["hourly_cap"], 120);
  for (const Reply& reply : replies) {
    EXPECT_THAT(reply.text, Not(HasSubstr(secret)));
    EXPECT_THAT(reply.text, Not(HasSubstr("\"password\"")));
  }
  // Sealed as `contactsync mail config` seals it: the sender opens it.
  {
    store::StoreOptions options;
    options.url = location_.store_url;
    auto store = store::OpenStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto box = secrets::SecretBox::Load(location_.key_path);
    ASSERT_TRUE(box.ok()) << box.status().ToString();
    auto runtime = app::LoadMailRuntime(**store, *box);
    ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
    EXPECT_EQ(runtime->smtp.password, secret);
    EXPECT_EQ(runtime->smtp.user, "mailer");
  }
  // "" removes it.
  EXPECT_EQ(As(s, "PUT", "/api/v1/mail/settings", {{"password", ""}}).body["has_password"], false);
}

TEST_F(HttpTest, MailWritesNeedTheCsrfToken) {
  const Session s = SetUpAdmin();
  ASSERT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 201);
  const int64_t list_id = As(s, "GET", "/api/v1/lists").body[0]["id"];
  const std::string autoresponders = fmt::format("/api/v1/lists/{}/autoresponders", list_id);
  const Reply created = As(s, "POST", autoresponders, {{"subject", "Hi"}, {"body", "Hello"}});
  ASSERT_EQ(created.status, 201) << created.text;
  const int64_t id = created.body["id"];
  const std::vector<std::pair<std::string, std::string>> writes{
      {"PUT", "/api/v1/mail/settings"},
      {"POST", autoresponders},
      {"DELETE", fmt::format("/api/v1/autoresponders/{}", id)},
      {"POST", "/api/v1/mail/outbox/1/retry"},
      {"POST", "/api/v1/mail/outbox/1/cancel"},
      {"POST", "/api/v1/mail/outbox/cancel-queued"}};
  const std::string body =
      json{{"smtp_host", "evil.example"}, {"subject", "x"}, {"body", "y"}}.dump();
  for (const auto& [method, path] : writes) {
    EXPECT_EQ(Send(method, path, body, {{"Cookie", s.cookie}}).status, 403) << method << path;
    EXPECT_EQ(Send(method, path, body, {{"Cookie", s.cookie}, {"X-CSRF-Token", "forged"}}).status,
              403)
        << method << path;
    EXPECT_EQ(
        Send(method, path, body,
             {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Origin", "https://evil.example"}})
            .status,
        403)
        << method << path;
  }
  // Nothing changed.
  EXPECT_EQ(As(s, "GET", "/api/v1/mail/settings").body["smtp_host"], "");
  EXPECT_EQ(As(s, "GET", autoresponders).body.size(), 1u);
}

TEST_F(HttpTest, AutorespondersRoundTripHostileTextAndAreDeleted) {
  const Session s = SetUpAdmin();
  ASSERT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 201);
  ASSERT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "Other"}}).status, 201);
  const json lists = As(s, "GET", "/api/v1/lists").body;
  const int64_t news = lists[0]["name"] == "News" ? lists[0]["id"] : lists[1]["id"];
  const int64_t other = lists[0]["name"] == "News" ? lists[1]["id"] : lists[0]["id"];
  const std::string path = fmt::format("/api/v1/lists/{}/autoresponders", news);
  const std::string subject = "<script>alert(1)</script> \"quoted\" & 'Grüße' %FIRSTNAME% 🙂";
  const std::string body =
      "Hello %FIRSTNAME%,\n<img src=x onerror=alert(1)>\r\nBcc: victim@example.com\n\u2028end";
  const Reply created =
      As(s, "POST", path, {{"subject", subject}, {"body", body}, {"delay_s", 90}});
  ASSERT_EQ(created.status, 201) << created.text;
  EXPECT_EQ(created.body["subject"], subject);
  EXPECT_EQ(created.body["body"], body);
  EXPECT_EQ(created.body["delay_s"], 90);
  EXPECT_EQ(created.body["list"], "News");
  const Reply listed = As(s, "GET", path);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body.size(), 1u);
  EXPECT_EQ(listed.body[0]["subject"], subject);
  EXPECT_EQ(listed.body[0]["body"], body);
  EXPECT_EQ(listed.Header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(As(s, "GET", fmt::format("/api/v1/lists/{}/autoresponders", other)).body.size(), 0u);
  // A line break in the subject could become a header: refused, not stored.
  const Reply injected =
      As(s, "POST", path, {{"subject", "Hi\r\nBcc: victim@example.com"}, {"body", "x"}});
  EXPECT_EQ(injected.status, 400);
  EXPECT_THAT(injected.body["error"]["message"].get<std::string>(), HasSubstr("subject"));
  EXPECT_EQ(As(s, "POST", path, {{"subject", "x"}}).status, 400);  // no body
  EXPECT_EQ(As(s, "POST", path, {{"subject", "x"}, {"body", "y"}, {"delay_s", -5}}).status, 400);
  EXPECT_EQ(As(s, "POST", path, {{"subject", "x"}, {"body", "y"}, {"delay_s", "1h"}}).status, 400);
  EXPECT_EQ(
      As(s, "POST", "/api/v1/lists/999/autoresponders", {{"subject", "x"}, {"body", "y"}}).status,
      404);
  EXPECT_EQ(As(s, "GET", "/api/v1/lists/999/autoresponders").status, 404);
  EXPECT_EQ(As(s, "GET", path).body.size(), 1u);
  // Delete, then it is gone (a second delete is 404).
  const int64_t id = created.body["id"];
  const Reply deleted = As(s, "DELETE", fmt::format("/api/v1/autoresponders/{}", id));
  EXPECT_EQ(deleted.status, 200) << deleted.text;
  EXPECT_EQ(deleted.body["deleted"], id);
  EXPECT_EQ(As(s, "GET", path).body.size(), 0u);
  EXPECT_EQ(As(s, "DELETE", fmt::format("/api/v1/autoresponders/{}", id)).status, 404);
}

TEST_F(HttpTest, TheOutboxSummaryShowsAQueuedConfirmation) {
  const Session s = SetUpAdmin();
  Reply summary = As(s, "GET", "/api/v1/mail/outbox/summary");
  ASSERT_EQ(summary.status, 200) << summary.text;
  for (const char* state : {"queued", "sending", "sent", "failed", "cancelled"}) {
    EXPECT_EQ(summary.body["counts"][state], 0) << state;
  }
  EXPECT_EQ(summary.body["sent_last_hour"], 0);
  EXPECT_EQ(summary.body["hourly_cap"], 0);
  EXPECT_TRUE(summary.body["next_due_at"].is_null());
  ASSERT_EQ(As(s, "PUT", "/api/v1/mail/settings", {{"hourly_cap", 30}}).status, 200);
  ASSERT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 201);
  const Reply contact =
      As(s, "POST", "/api/v1/contacts",
         {{"email", "ann@example.com"}, {"list", "News"}, {"status", "unconfirmed"}});
  ASSERT_EQ(contact.status, 201) << contact.text;
  summary = As(s, "GET", "/api/v1/mail/outbox/summary");
  EXPECT_EQ(summary.body["counts"]["queued"], 1) << summary.text;
  EXPECT_EQ(summary.body["counts"]["sent"], 0);
  EXPECT_EQ(summary.body["hourly_cap"], 30);
  EXPECT_EQ(summary.body["sent_last_hour"], 0);
  EXPECT_TRUE(summary.body["next_due_at"].is_string());
  // The outbox lists it, filtered by state and paged.
  const Reply queued = As(s, "GET", "/api/v1/mail/outbox?state=queued&limit=10&offset=0");
  ASSERT_EQ(queued.status, 200) << queued.text;
  EXPECT_EQ(queued.body["total"], 1);
  ASSERT_EQ(queued.body["items"].size(), 1u);
  EXPECT_EQ(queued.body["items"][0]["kind"], "confirmation");
  EXPECT_EQ(queued.body["items"][0]["email"], "ann@example.com");
  EXPECT_EQ(queued.body["items"][0]["list"], "News");
  const Reply failed = As(s, "GET", "/api/v1/mail/outbox?state=failed");
  EXPECT_EQ(failed.body["total"], 0);
  EXPECT_EQ(failed.body["items"].size(), 0u);
  EXPECT_EQ(As(s, "GET", "/api/v1/mail/outbox?offset=1").body["items"].size(), 0u);
  EXPECT_EQ(As(s, "GET", "/api/v1/mail/outbox?state=lost").status, 400);
  EXPECT_EQ(As(s, "GET", "/api/v1/mail/outbox?limit=0").status, 400);
  // Only a failed message can be retried.
  const int64_t id = queued.body["items"][0]["id"];
  EXPECT_EQ(As(s, "POST", fmt::format("/api/v1/mail/outbox/{}/retry", id)).status, 409);
  EXPECT_EQ(As(s, "POST", "/api/v1/mail/outbox/999/retry").status, 404);
}

// Issue 12: confirmations queued while mail is not set up (a sync with status
// unconfirmed) are shown as unsendable and can be cancelled, one or all;
// cancelled ones are never claimed for sending.
TEST_F(HttpTest, QueuedMessagesCanBeCancelledOneOrAll) {
  const Session s = SetUpAdmin();
  ASSERT_EQ(As(s, "POST", "/api/v1/lists", {{"name", "News"}}).status, 201);
  for (const char* email : {"ann@example.com", "bob@example.com", "cid@example.com"}) {
    ASSERT_EQ(As(s, "POST", "/api/v1/contacts",
                 {{"email", email}, {"list", "News"}, {"status", "unconfirmed"}})
                  .status,
              201);
  }
  Reply summary = As(s, "GET", "/api/v1/mail/outbox/summary");
  EXPECT_EQ(summary.body["counts"]["queued"], 3);
  EXPECT_EQ(summary.body["mail_ready"], false);
  EXPECT_THAT(summary.body["not_ready_because"].get<std::string>(),
              ::testing::HasSubstr("mail config --host"));
  const Reply queued = As(s, "GET", "/api/v1/mail/outbox?state=queued");
  const int64_t id = queued.body["items"][0]["id"];
  const std::string one = fmt::format("/api/v1/mail/outbox/{}/cancel", id);
  const Reply cancelled = As(s, "POST", one);
  ASSERT_EQ(cancelled.status, 200) << cancelled.text;
  EXPECT_EQ(cancelled.body["cancelled"], 1);
  const Reply again = As(s, "POST", one);
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.text, ::testing::HasSubstr("only a queued message can be cancelled"));
  EXPECT_EQ(As(s, "POST", "/api/v1/mail/outbox/999/cancel").status, 404);
  const Reply all = As(s, "POST", "/api/v1/mail/outbox/cancel-queued");
  ASSERT_EQ(all.status, 200) << all.text;
  EXPECT_EQ(all.body["cancelled"], 2);
  summary = As(s, "GET", "/api/v1/mail/outbox/summary");
  EXPECT_EQ(summary.body["counts"]["queued"], 0);
  EXPECT_EQ(summary.body["counts"]["cancelled"], 3);
  const Reply listed = As(s, "GET", "/api/v1/mail/outbox?state=cancelled");
  ASSERT_EQ(listed.body["items"].size(), 3u);
  EXPECT_THAT(listed.body["items"][0]["last_error"].get<std::string>(),
              ::testing::HasSubstr("cancelled by an operator"));
  ASSERT_EQ(As(s, "PUT", "/api/v1/mail/settings",
               {{"smtp_host", "127.0.0.1"}, {"base_url", "https://lists.example.com"}})
                .status,
            200);
  EXPECT_EQ(As(s, "GET", "/api/v1/mail/outbox/summary").body["mail_ready"], true);
}

// Issue 11: a PUT that points a connection at another host, without a
// password, used to keep the sealed one, and the connection test then sent it
// to whatever answered there. A fake PostgreSQL server that asks for the
// password in clear text records what the test sends.
TEST_F(HttpTest, ASavedPasswordIsNotSentToTheNewHostOfAConnection) {
  const Session s = SetUpAdmin();
  const std::string secret = "Pw-S3cret-for-the-old-host";
  json settings = {{"name", "shop"},     {"type", "postgresql"},  {"host", "127.0.0.1"},
                   {"port", 1},          {"user", "reader"},      {"password", secret},
                   {"database", "shop"}, {"tls_mode", "disable"}, {"connect_timeout_s", 5}};
  const Reply saved = As(s, "POST", "/api/v1/connections", settings);
  ASSERT_EQ(saved.status, 201) << saved.text;
  const int64_t id = saved.body["id"];
  ::contactsync::testing::FakePostgres fake("127.0.0.2");
  ASSERT_TRUE(fake.ok());

  json moved = settings;
  moved.erase("password");
  moved["host"] = "127.0.0.2";
  moved["port"] = fake.port();
  const Reply put = As(s, "PUT", fmt::format("/api/v1/connections/{}", id), moved);
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["has_password"], false);
  EXPECT_EQ(put.body["password_cleared"], true);
  EXPECT_EQ(put.body["password_cleared_because"], "the host changed");
  const Reply test = As(s, "POST", fmt::format("/api/v1/connections/{}/test", id));
  EXPECT_GE(test.status, 400) << test.text;
  EXPECT_GE(fake.connections(), 1);
  EXPECT_THAT(fake.Received(), HasSubstr("reader"));  // the startup message came
  EXPECT_THAT(fake.Received(), Not(HasSubstr(secret)));

  // The fake server does capture a password that is given for it.
  const std::string typed = "Pw-typed-again-for-the-new-host";
  moved["password"] = typed;
  const Reply again = As(s, "PUT", fmt::format("/api/v1/connections/{}", id), moved);
  EXPECT_EQ(again.body["has_password"], true);
  EXPECT_EQ(again.body["password_cleared"], false);
  As(s, "POST", fmt::format("/api/v1/connections/{}/test", id));
  EXPECT_THAT(fake.Received(), HasSubstr(typed));
  EXPECT_THAT(fake.Received(), Not(HasSubstr(secret)));
}

TEST_F(HttpTest, EachChangeOfServerOrAccountDropsTheSavedConnectionPassword) {
  const Session s = SetUpAdmin();
  json settings = {{"name", "shop"},     {"type", "mariadb"},    {"host", "db.example"},
                   {"port", 3306},       {"user", "reader"},     {"password", "pw"},
                   {"database", "shop"}, {"tls_mode", "require"}};
  const Reply saved = As(s, "POST", "/api/v1/connections", settings);
  ASSERT_EQ(saved.status, 201) << saved.text;
  const std::string path = fmt::format("/api/v1/connections/{}", saved.body["id"].get<int64_t>());
  for (const auto& [field, value, because] :
       std::vector<std::tuple<std::string, json, std::string>>{
           {"type", "postgresql", "the type changed"},
           {"host", "other.example", "the host changed"},
           {"port", 3307, "the port changed"},
           {"user", "admin", "the user changed"},
           {"tls_mode", "prefer", "the TLS mode changed"}}) {
    ASSERT_EQ(As(s, "PUT", path, settings).body["has_password"], true);
    json changed = settings;
    changed.erase("password");
    changed[field] = value;
    const Reply put = As(s, "PUT", path, changed);
    ASSERT_EQ(put.status, 200) << put.text;
    EXPECT_EQ(put.body["has_password"], false) << field;
    EXPECT_EQ(put.body["password_cleared_because"], because) << field;
  }
}

TEST_F(HttpTest, AConnectionKeepsItsCustomQueryPolicyAndRefusesBadFunctionNames) {
  const Session s = SetUpAdmin();
  json settings = {
      {"name", "shop"},
      {"type", "postgresql"},
      {"host", "127.0.0.1"},
      {"user", "reader"},
      {"database", "shop"},
      {"allowed_functions", json::array({" Shop.Discount ", "shop_score$2", "shop.discount"})},
      {"allow_custom_query_with_privileged_account", true}};
  const Reply saved = As(s, "POST", "/api/v1/connections", settings);
  ASSERT_EQ(saved.status, 201) << saved.text;
  EXPECT_EQ(saved.body["allowed_functions"], json::array({"shop.discount", "shop_score$2"}));
  EXPECT_EQ(saved.body["allow_custom_query_with_privileged_account"], true);
  const std::string path = fmt::format("/api/v1/connections/{}", saved.body["id"].get<int64_t>());
  // A PUT without the policy keeps it; with it, replaces it.
  json without_policy = settings;
  without_policy.erase("allowed_functions");
  without_policy.erase("allow_custom_query_with_privileged_account");
  EXPECT_EQ(As(s, "PUT", path, without_policy).body["allowed_functions"].size(), 2u);
  json cleared = settings;
  cleared["allowed_functions"] = json::array();
  cleared["allow_custom_query_with_privileged_account"] = false;
  const Reply put = As(s, "PUT", path, cleared);
  EXPECT_EQ(put.body["allowed_functions"], json::array());
  EXPECT_EQ(put.body["allow_custom_query_with_privileged_account"], false);
  const Reply a_new = As(s, "GET", path);
  EXPECT_EQ(a_new.body["allowed_functions"], json::array());

  std::vector<json> many;
  for (int i = 0; i < 101; ++i) many.push_back(fmt::format("f{}", i));
  for (const json& bad : {json("f"), json::array({"1abc"}), json::array({"a;b"}),
                          json::array({"a.b.c"}), json::array({""}), json::array({"f()"}),
                          json::array({std::string(64, 'a')}), json::array({1}), json(many)}) {
    json body = settings;
    body["name"] = "bad";
    body["allowed_functions"] = bad;
    const Reply refused = As(s, "POST", "/api/v1/connections", body);
    EXPECT_EQ(refused.status, 400) << bad.dump() << " " << refused.text;
    EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), HasSubstr("function"))
        << bad.dump();
  }
  json not_bool = settings;
  not_bool["name"] = "bad";
  not_bool["allow_custom_query_with_privileged_account"] = "yes";
  EXPECT_EQ(As(s, "POST", "/api/v1/connections", not_bool).status, 400);
  EXPECT_EQ(As(s, "GET", "/api/v1/connections").body.size(), 1u);
}

// Issue 11, least privilege: an account that can write gets no custom
// queries unless its connection allows them; its tables stay readable.
TEST_F(HttpTest, CustomQueriesOnAnAccountThatCanWriteAreRefusedUnlessTheConnectionAllowsThem) {
  CS_REQUIRE_TEST_ACCOUNT(admin, "PG");
  const Session s = SetUpAdmin();
  json settings = ReaderConnection("pg-admin", "postgresql", admin);
  const Reply saved = As(s, "POST", "/api/v1/connections", settings);
  ASSERT_EQ(saved.status, 201) << saved.text;
  const int64_t id = saved.body["id"];
  const Reply test = As(s, "POST", fmt::format("/api/v1/connections/{}/test", id));
  ASSERT_EQ(test.status, 200) << test.text;
  EXPECT_EQ(test.body["can_write"], true);
  const json query = {{"query", "SELECT 1 AS one"}, {"limit", 1}};
  for (const char* route : {"preview", "describe"}) {
    const Reply refused = As(s, "POST", fmt::format("/api/v1/connections/{}/{}", id, route), query);
    EXPECT_EQ(refused.status, 403) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "permission_denied");
    const std::string message = refused.body["error"]["message"];
    EXPECT_THAT(message, HasSubstr("custom queries are refused on connection 'pg-admin': its "
                                   "account can write"));
    EXPECT_THAT(message, HasSubstr("use a SELECT-only account (docs/read-only.md) or allow it "
                                   "with --allow-custom-query-with-privileged-account"));
  }
  EXPECT_EQ(As(s, "GET", fmt::format("/api/v1/connections/{}/tables", id)).status, 200);

  settings["allow_custom_query_with_privileged_account"] = true;
  ASSERT_EQ(As(s, "PUT", fmt::format("/api/v1/connections/{}", id), settings).status, 200);
  const Reply allowed = As(s, "POST", fmt::format("/api/v1/connections/{}/preview", id), query);
  ASSERT_EQ(allowed.status, 200) << allowed.text;
  EXPECT_EQ(allowed.body["rows"][0][0], "1");
}

TEST_F(HttpTest, TheSmtpPasswordIsDroppedWhenTheServerOrAccountChanges) {
  const Session s = SetUpAdmin();
  const json first = {
      {"smtp_host", "smtp.example.com"}, {"smtp_port", 587},  {"tls_mode", "starttls"},
      {"smtp_user", "mailer"},           {"tls_ca_file", ""}, {"password", "Smtp-pw"}};
  for (const auto& [field, value, because] :
       std::vector<std::tuple<std::string, json, std::string>>{
           {"smtp_host", "evil.example", "the SMTP host changed"},
           {"smtp_port", 25, "the SMTP port changed"},
           {"tls_mode", "none", "the TLS mode changed"},
           {"smtp_user", "other", "the SMTP user changed"}}) {
    ASSERT_EQ(As(s, "PUT", "/api/v1/mail/settings", first).body["has_password"], true);
    const Reply put = As(s, "PUT", "/api/v1/mail/settings", {{field, value}});
    ASSERT_EQ(put.status, 200) << put.text;
    EXPECT_EQ(put.body["has_password"], false) << field;
    EXPECT_EQ(put.body["password_cleared"], true) << field;
    EXPECT_EQ(put.body["password_cleared_because"], because) << field;
  }
  // The sender has no password to give to the new server.
  store::StoreOptions options;
  options.url = location_.store_url;
  auto store = store::OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto record = (*store)->GetMailSettings();
  ASSERT_TRUE(record.ok() && record->has_value()) << record.status().ToString();
  EXPECT_TRUE((*record)->sealed_password.empty());
}

TEST_F(HttpTest, TheOpenApiDocumentListsEveryRouteAndNothingElse) {
  const Reply doc = Send("GET", "/api/v1/openapi.json");  // public
  ASSERT_EQ(doc.status, 200);
  EXPECT_THAT(doc.body["openapi"].get<std::string>(), ::testing::StartsWith("3.0"));
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, operations] : doc.body["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert({upper, path});
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
      EXPECT_TRUE(operation.contains("summary")) << method << " " << path;
    }
  }
  std::set<std::pair<std::string, std::string>> registered;
  for (const RouteInfo& route : server_->routes()) {
    registered.insert({route.method, route.path});
    EXPECT_TRUE(documented.count({route.method, route.path}))
        << route.method << " " << route.path << " is not in openapi.json";
    // Public routes say so (no security), the rest do not.
    std::string lower = route.method;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const json operation = doc.body["paths"].value(route.path, json::object()).value(lower, json());
    EXPECT_EQ(operation.contains("security") && operation["security"].empty(), route.is_public)
        << route.method << " " << route.path;
  }
  for (const auto& entry : documented) {
    EXPECT_TRUE(registered.count(entry))
        << entry.first << " " << entry.second << " is documented but not served";
  }
}

}  // namespace
}  // namespace contactsync::http
