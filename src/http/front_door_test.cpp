// The server's front door from outside (issue 11): a real server on a free
// loopback port, real clients and raw sockets for what a well-behaved client
// would never send (a chunked flood, idle and half-sent requests, a foreign
// Host), and SQLite connection paths. The store is the one under test
// (store/test_store.h): a SQLite file in the data directory, or a fresh
// schema of the PostgreSQL test server with CONTACTSYNC_TEST_STORE=postgresql.

#include "http/front_door.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/accounts.h"
#include "app/connections.h"
#include "app/data_dir.h"
#include "http/server.h"
#include "http/test_location.h"
#include "secrets/secret_box.h"
#include "store/account_store.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_test_store.h"
#include "store/store.h"
#include "store/store_url.h"
#include "store/test_store.h"
#include "support/process.h"
#include "sync/demo_source.h"

namespace contactsync::http {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kPassword[] = "correct horse battery";

// A TCP connection to the server, for bytes no HTTP client would send.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  // False once the server stopped reading (closed or reset).
  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Readable(std::chrono::milliseconds timeout) const {
    pollfd entry{fd_, POLLIN, 0};
    return ::poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
  }

  // What the server sent until it closed or `timeout` passed.
  std::string Receive(std::chrono::milliseconds timeout) {
    std::string out;
    const auto end = Clock::now() + timeout;
    char buffer[4096];
    while (Clock::now() < end &&
           Readable(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()))) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// "HTTP/1.1 413 ..." -> 413; 0 when there is no status line.
int StatusOf(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return 0;
  return std::stoi(reply.substr(9, 3));
}

struct Reply {
  int status = 0;
  json body;
  httplib::Headers headers;
  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class FrontDoorTest : public ::testing::Test {
 protected:
  void StartServer(const std::function<void(ServerOptions&)>& customize = {}) {
    location_ = TestLocation(dir_.path());
    ASSERT_FALSE(location_.store_url.empty());
    server_ = StartAnotherServer(customize);
    ASSERT_NE(server_, nullptr);
  }

  // The SQLite store's file; "" for a PostgreSQL store, which has none.
  std::string StoreFile() const {
    const store::StoreLocation parsed = store::ParseStoreUrl(location_.store_url).value();
    return parsed.backend == store::StoreBackend::kSqlite ? parsed.path : "";
  }

  std::string HostPort() const { return fmt::format("127.0.0.1:{}", server_->port()); }

  // A server on the data directory and store of StartServer(); called again, another one, as
  // a second host behind one address would be (issue 14).
  std::unique_ptr<Server> StartAnotherServer(
      const std::function<void(ServerOptions&)>& customize = {}) {
    ServerOptions options;
    options.port = 0;
    options.store.url = location_.store_url;
    options.key_path = location_.key_path;
    options.data_dir = location_.data_dir;
    options.sqlite_dirs = {sources_.path()};
    if (customize) customize(options);
    auto server = Server::Create(std::move(options));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (!server.ok()) return nullptr;
    EXPECT_TRUE((*server)->Start().ok());
    return std::move(server).value();
  }

  Reply Send(const std::string& method, const std::string& path, const std::string& body = "",
             httplib::Headers headers = {}, const std::string& content_type = "application/json") {
    return SendTo(server_->port(), method, path, body, std::move(headers), content_type);
  }

  Reply SendTo(int port, const std::string& method, const std::string& path,
               const std::string& body = "", httplib::Headers headers = {},
               const std::string& content_type = "application/json") {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(30, 0);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = std::move(headers);
    if (!body.empty()) {
      req.body = body;
      req.set_header("Content-Type", content_type);
    }
    auto result = client.send(req);
    Reply reply;
    if (!result) {
      ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(result.error());
      return reply;
    }
    reply.status = result->status;
    reply.headers = result->headers;
    reply.body = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    return reply;
  }

  static std::string Credentials(const std::string& user, const std::string& password) {
    return json{{"username", user}, {"password", password}}.dump();
  }

  // The first user's session cookie and CSRF token.
  std::pair<std::string, std::string> SetUpAdmin() {
    const Reply reply = Send("POST", "/api/v1/setup", Credentials("admin", kPassword));
    EXPECT_EQ(reply.status, 200);
    const std::string cookie = reply.Header("Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), reply.body.value("csrf_token", "")};
  }

  testing::TempDir dir_;      // the data directory
  testing::TempDir sources_;  // serve --sqlite-dir
  app::Location location_;
  std::unique_ptr<Server> server_;
};

// --- JSON only as JSON ---

TEST_F(FrontDoorTest, AFormPostedAsTextPlainCannotCreateTheFirstUserNorLogIn) {
  StartServer();
  // <form enctype="text/plain"> on another site can send a JSON-looking body.
  const Reply setup =
      Send("POST", "/api/v1/setup", Credentials("mallory", kPassword), {}, "text/plain");
  EXPECT_EQ(setup.status, 415);
  EXPECT_EQ(setup.body["error"]["code"], "unsupported_media_type");
  EXPECT_EQ(setup.Header("Set-Cookie"), "");
  EXPECT_EQ(Send("GET", "/api/v1/setup").body["needs_setup"], true);
  for (const std::string type : {"application/x-www-form-urlencoded", "multipart/form-data"}) {
    EXPECT_EQ(Send("POST", "/api/v1/setup", Credentials("mallory", kPassword), {}, type).status,
              415)
        << type;
  }

  // JSON with a charset parameter is JSON.
  const Reply real = Send("POST", "/api/v1/setup", Credentials("admin", kPassword), {},
                          "Application/JSON; charset=utf-8");
  EXPECT_EQ(real.status, 200);
  const Reply login =
      Send("POST", "/api/v1/session", Credentials("admin", kPassword), {}, "text/plain");
  EXPECT_EQ(login.status, 415);
  EXPECT_EQ(login.Header("Set-Cookie"), "");
  EXPECT_EQ(Send("POST", "/api/v1/session", Credentials("admin", kPassword)).status, 200);
}

// --- Host allow-list ---

TEST_F(FrontDoorTest, ADnsRebindingRequestIsRefusedWhateverItsOrigin) {
  StartServer();
  const auto [cookie, csrf] = SetUpAdmin();
  // The browser resolved evil.example to 127.0.0.1: Host and Origin agree,
  // and the cookie (if it had one for that name) would be sent.
  const httplib::Headers rebound{{"Host", "evil.example"},
                                 {"Origin", "http://evil.example"},
                                 {"Cookie", cookie},
                                 {"X-CSRF-Token", csrf}};
  const Reply write = Send("POST", "/api/v1/lists", json{{"name", "x"}}.dump(), rebound);
  EXPECT_EQ(write.status, 421);
  EXPECT_EQ(write.body["error"]["code"], "host_not_allowed");
  EXPECT_EQ(Send("GET", "/api/v1/setup", "", {{"Host", "evil.example"}}).status, 421);
  EXPECT_EQ(Send("POST", "/api/v1/session", Credentials("admin", kPassword),
                 {{"Host", fmt::format("evil.example:{}", server_->port())}})
                .status,
            421);
  EXPECT_EQ(Send("GET", "/", "", {{"Host", "evil.example"}}).status, 421);

  // The loopback names with the bound port are allowed by default...
  const httplib::Headers mine{{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  for (const std::string host : {"localhost", "127.0.0.1", "[::1]"}) {
    httplib::Headers headers = mine;
    headers.emplace("Host", fmt::format("{}:{}", host, server_->port()));
    headers.emplace("Origin", fmt::format("http://{}:{}", host, server_->port()));
    EXPECT_EQ(Send("POST", "/api/v1/lists", json{{"name", "list " + host}}.dump(), headers).status,
              201)
        << host;
  }
  // ...and the Origin is compared with them, not with the request's Host.
  httplib::Headers other_origin = mine;
  other_origin.emplace("Origin", "http://evil.example");
  EXPECT_EQ(Send("POST", "/api/v1/lists", json{{"name", "y"}}.dump(), other_origin).status, 403);
  httplib::Headers other_port = mine;
  other_port.emplace("Host", "127.0.0.1:1");
  EXPECT_EQ(Send("GET", "/api/v1/setup", "", other_port).status, 421);
}

TEST_F(FrontDoorTest, ANonLoopbackAddressNeedsAllowedHosts) {
  location_ = TestLocation(dir_.path());
  ASSERT_FALSE(location_.store_url.empty());
  ServerOptions options;
  options.host = "0.0.0.0";
  options.port = 0;
  options.store.url = location_.store_url;
  options.key_path = location_.key_path;
  const auto refused = Server::Create(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("--allowed-host"));
  options.allowed_hosts = {"contacts.example.com"};
  EXPECT_TRUE(Server::Create(options).ok());
  options.allowed_hosts = {"bad host"};
  EXPECT_FALSE(Server::Create(options).ok());
}

TEST(HostAllowListTest, NamesPortsAndOrigins) {
  const auto list =
      HostAllowList::Make({"Contacts.Example.com", "[::1]:8443", "10.0.0.2:8080"}, "0.0.0.0", 80);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->AllowsHost("contacts.example.com", false));
  EXPECT_TRUE(list->AllowsHost("CONTACTS.example.com:8080", false));  // no port: any port
  EXPECT_TRUE(list->AllowsHost("[::1]:8443", true));
  EXPECT_FALSE(list->AllowsHost("[::1]", true));  // 443 is not 8443
  EXPECT_TRUE(list->AllowsHost("10.0.0.2:8080", false));
  EXPECT_FALSE(list->AllowsHost("10.0.0.2", false));
  EXPECT_FALSE(list->AllowsHost("contacts.example.com.evil.example", false));
  EXPECT_FALSE(list->AllowsHost("", false));
  EXPECT_FALSE(list->AllowsHost("contacts.example.com:99999", false));
  EXPECT_FALSE(list->AllowsHost("contacts.example.com@evil", false));
  EXPECT_TRUE(list->AllowsOrigin("https://contacts.example.com", true));
  EXPECT_FALSE(list->AllowsOrigin("http://contacts.example.com", true));  // scheme
  EXPECT_FALSE(list->AllowsOrigin("https://contacts.example.com/", true));
  EXPECT_FALSE(list->AllowsOrigin("null", true));
  EXPECT_FALSE(HostAllowList::Make({"a b"}, "127.0.0.1", 80).ok());
  EXPECT_FALSE(HostAllowList::Make({"a:0"}, "127.0.0.1", 80).ok());
  EXPECT_FALSE(HostAllowList::Make({}, "192.168.1.2", 80).ok());
}

// --- Body limit whatever the framing ---

TEST_F(FrontDoorTest, AChunkedBodyOverTheLimitIs413AfterAtMostTheLimitIsRead) {
  StartServer();  // 4 MiB limit
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  const auto start = Clock::now();
  ASSERT_TRUE(
      raw.Send(fmt::format("POST /api/v1/setup HTTP/1.1\r\nHost: {}\r\n"
                           "Content-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n",
                           HostPort())));
  const std::string chunk = fmt::format("{:x}\r\n{}\r\n", 64 * 1024, std::string(64 * 1024, ' '));
  size_t sent = 0;
  // Up to 256 MiB of chunks; the server must stop reading long before.
  while (sent < 256u * 1024 * 1024 && !raw.Readable(std::chrono::milliseconds(0)) &&
         raw.Send(chunk)) {
    sent += chunk.size();
  }
  const std::string reply = raw.Receive(std::chrono::seconds(10));
  EXPECT_EQ(StatusOf(reply), 413) << reply.substr(0, 200);
  EXPECT_THAT(reply, HasSubstr("too large"));
  // What the server read plus what the sockets buffer between the two.
  EXPECT_LT(sent, 64u * 1024 * 1024);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(Send("GET", "/api/v1/setup").body["needs_setup"], true);
}

TEST_F(FrontDoorTest, OversizedOrAmbiguousFramingIsRefusedBeforeTheBodyIsRead) {
  StartServer();
  const auto ask = [&](const std::string& headers) {
    RawConnection raw(server_->port());
    EXPECT_TRUE(
        raw.Send(fmt::format("POST /api/v1/setup HTTP/1.1\r\nHost: {}\r\n"
                             "Content-Type: application/json\r\n{}\r\n",
                             HostPort(), headers)));
    return StatusOf(raw.Receive(std::chrono::seconds(10)));
  };
  EXPECT_EQ(ask("Content-Length: 10000000000\r\n"), 413);
  EXPECT_EQ(ask("Transfer-Encoding: gzip, chunked\r\n"), 501);
  EXPECT_EQ(ask("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400);
  EXPECT_EQ(ask("Content-Length: 5\r\nContent-Encoding: gzip\r\n"), 415);

  // A request line that never ends is cut off at the request's byte budget.
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send("GET /"));
  const std::string block(64 * 1024, 'a');
  size_t sent = 0;
  while (sent < 256u * 1024 * 1024 && raw.Send(block)) sent += block.size();
  EXPECT_LT(sent, 64u * 1024 * 1024);
}

// --- Idle and slow connections ---

TEST_F(FrontDoorTest, IdleAndHalfSentConnectionsDoNotDelayAGet) {
  StartServer();
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(idle.back()->Send("GET /api/v1/se"));  // half a request line, then nothing
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all accepted
  const auto start = Clock::now();
  httplib::Client client("127.0.0.1", server_->port());
  client.set_read_timeout(3, 0);
  const auto result = client.Get("/api/v1/setup");
  const auto took = Clock::now() - start;
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_LT(took, std::chrono::seconds(1));
}

TEST_F(FrontDoorTest, IdleConnectionsAreClosedAndConnectionsBeyondTheCapRefusedAtOnce) {
  StartServer([](ServerOptions& options) {
    options.max_connections = 8;
    options.idle_timeout = std::chrono::seconds(1);
  });
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawConnection extra(server_->port());
  const auto start = Clock::now();
  ASSERT_TRUE(extra.connected());
  const std::string refused = extra.Receive(std::chrono::milliseconds(500));
  EXPECT_EQ(StatusOf(refused), 503) << refused;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));

  // The idle ones are closed by the server after the idle timeout...
  for (auto& connection : idle) {
    EXPECT_TRUE(connection->Readable(std::chrono::seconds(3)));
    EXPECT_EQ(connection->Receive(std::chrono::milliseconds(100)), "");  // closed, no reply
  }
  // ...which frees their places.
  EXPECT_EQ(Send("GET", "/api/v1/setup").status, 200);
}

// --- Login limits ---

TEST_F(FrontDoorTest, ParallelWrongLoginsGetAtMostTheLimitOf401sAndTheRest429) {
  StartServer([](ServerOptions& options) {
    options.max_failures_per_user = 5;
    options.login_window = std::chrono::seconds(60);
  });
  SetUpAdmin();
  {
    store::StoreOptions options;
    options.url = location_.store_url;
    auto accounts = store::OpenAccountStore(options);
    ASSERT_TRUE(accounts.ok());
    ASSERT_TRUE((*accounts)->CreateUser("bob", app::HashPassword(kPassword).value()).ok());
  }
  // Each request in flight holds a store of its own: on PostgreSQL two sessions of the test
  // server, whose 50 connections other tests share; 10 at once still far outnumber the limit.
  const int parallel = store::testing::TestStoreIsPostgresql() ? 10 : 40;
  std::atomic<int> unauthorized{0}, limited{0}, other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < parallel; ++i) {
    clients.emplace_back([&] {
      const Reply reply = Send("POST", "/api/v1/session", Credentials("admin", "wrong-password"));
      if (reply.status == 401) {
        ++unauthorized;
      } else if (reply.status == 429 && !reply.Header("Retry-After").empty()) {
        ++limited;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_LE(unauthorized.load(), 5);
  EXPECT_GE(unauthorized.load(), 1);
  EXPECT_EQ(limited.load(), parallel - unauthorized.load());
  EXPECT_EQ(other.load(), 0);
  // One at a time now: the 401s of both rounds stay within the limit.
  int sequential_unauthorized = 0;
  for (int i = 0; i < 6; ++i) {
    if (Send("POST", "/api/v1/session", Credentials("admin", "wrong-password")).status == 401) {
      ++sequential_unauthorized;
    }
  }
  EXPECT_EQ(unauthorized.load() + sequential_unauthorized, 5);
  EXPECT_EQ(Send("POST", "/api/v1/session", Credentials("admin", kPassword)).status, 429);
  // Another user from the same address still logs in.
  EXPECT_EQ(Send("POST", "/api/v1/session", Credentials("bob", kPassword)).status, 200);
}

// --- Several servers on one store ---

// Two servers on one store, as two hosts behind one address run (issue 14): a session made
// through one is good on the other, a logout through either ends it on both, and failed logins
// count alike whichever server they reach (each used to count its own, so a client spreading
// its guesses over N servers got N times the limit).
TEST_F(FrontDoorTest, TwoServersOnOneStoreActAsOne) {
  const auto limits = [](ServerOptions& options) {
    options.max_failures_per_user = 4;
    options.login_window = std::chrono::seconds(60);
  };
  StartServer(limits);
  const auto [cookie, csrf] = SetUpAdmin();
  std::unique_ptr<Server> other = StartAnotherServer(limits);
  ASSERT_NE(other, nullptr);
  const int a = server_->port();
  const int b = other->port();

  const httplib::Headers session{{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  const Reply who = SendTo(b, "GET", "/api/v1/session", "", session);
  EXPECT_EQ(who.status, 200);
  EXPECT_EQ(who.body["user"]["username"], "admin");
  EXPECT_EQ(SendTo(b, "POST", "/api/v1/lists", json{{"name", "Made on B"}}.dump(), session).status,
            201);
  const Reply lists = SendTo(a, "GET", "/api/v1/lists", "", session);
  ASSERT_EQ(lists.status, 200);
  EXPECT_THAT(lists.body.dump(), ::testing::HasSubstr("Made on B"));

  // Four wrong passwords, two through each server, are the user's four.
  for (const int port : {a, b, a, b}) {
    EXPECT_EQ(SendTo(port, "POST", "/api/v1/session", Credentials("admin", "wrong")).status, 401);
  }
  for (const int port : {a, b}) {
    const Reply limited = SendTo(port, "POST", "/api/v1/session", Credentials("admin", kPassword));
    EXPECT_EQ(limited.status, 429) << port;
    EXPECT_NE(limited.Header("Retry-After"), "") << port;
  }

  // Logged out through B: A no longer knows the session.
  EXPECT_EQ(SendTo(b, "DELETE", "/api/v1/session", "", session).status, 200);
  EXPECT_EQ(SendTo(a, "GET", "/api/v1/session", "", session).status, 401);
  other->Stop();
}

// --- A busy store ---

// A session whose once-a-minute touch meets a store that another writer holds longer than the
// busy timeout (a sync's commit, a backup) still reads: the touch waits for the next request,
// the request does not fail.
TEST_F(FrontDoorTest, AReadOfAValidSessionSucceedsWhileAnotherWriterHoldsTheStore) {
  if (store::testing::TestStoreIsPostgresql()) {
    GTEST_SKIP() << "SQLite only: a writer holding the whole store file (BEGIN IMMEDIATE) "
                    "beyond the busy timeout";
  }
  StartServer([](ServerOptions& options) { options.store.busy_timeout_ms = 300; });
  const auto [cookie, csrf] = SetUpAdmin();
  const std::string path = StoreFile();
  auto other = store::sqlite::Database::Open(path, 300);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  // Last seen two minutes ago: this request touches the session.
  ASSERT_TRUE(other->Exec("UPDATE sessions SET last_seen_unix = last_seen_unix - 120").ok());
  ASSERT_TRUE(other->Exec("BEGIN IMMEDIATE").ok());
  const Reply lists = Send("GET", "/api/v1/lists", "", {{"Cookie", cookie}});
  EXPECT_EQ(lists.status, 200) << lists.body.dump();
  ASSERT_TRUE(other->Exec("ROLLBACK").ok());
  // The store free again, the next request touches it.
  EXPECT_EQ(Send("GET", "/api/v1/lists", "", {{"Cookie", cookie}}).status, 200);
  EXPECT_THAT(store::sqlite::testing::Rows(*other,
                                           "SELECT count(*) FROM sessions WHERE last_seen_unix >= "
                                           "CAST(strftime('%s', 'now') AS INTEGER) - 5"),
              ::testing::ElementsAre("1"));
}

// --- SQLite sources ---

class SqlitePathTest : public FrontDoorTest {
 protected:
  Reply Create(const std::string& name, const std::string& path) {
    return Send("POST", "/api/v1/connections",
                json{{"name", name}, {"type", "sqlite"}, {"database", path}}.dump(), Auth());
  }
  Reply TestSettings(const std::string& path) {
    return Send("POST", "/api/v1/connections/test",
                json{{"type", "sqlite"}, {"database", path}}.dump(), Auth());
  }
  httplib::Headers Auth() { return {{"Cookie", cookie_}, {"X-CSRF-Token", csrf_}}; }

  // A connection saved by the operator with the CLI (straight into the
  // store); its id.
  int64_t SaveAsOperator(const std::string& name, const std::string& path) {
    store::StoreOptions options;
    options.url = location_.store_url;
    auto store = store::OpenStore(options);
    EXPECT_TRUE(store.ok());
    auto box = secrets::SecretBox::Load(location_.key_path);
    EXPECT_TRUE(box.ok());
    app::Connections connections(**store, *box);
    source::ConnectionSettings settings;
    settings.type = source::SourceType::kSqlite;
    settings.database = path;
    auto view = connections.Add(name, settings);
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? view->id : 0;
  }

  std::string cookie_, csrf_;
};

TEST_F(SqlitePathTest, OnlyFilesInTheAllowedDirectoriesAndTheSameAnswerForEveryOtherPath) {
  StartServer();
  std::tie(cookie_, csrf_) = SetUpAdmin();
  const std::string inside = sources_.path() + "/shop.db";
  ASSERT_TRUE(sync::WriteDemoSource(inside, 5).ok());
  const std::string in_data_dir = dir_.path() + "/copy.db";
  ASSERT_TRUE(sync::WriteDemoSource(in_data_dir, 5).ok());
  // The store's own file; a PostgreSQL store has none, and a file in the
  // data directory stands in for it.
  const std::string store_file = StoreFile().empty() ? in_data_dir : StoreFile();
  std::filesystem::create_symlink(store_file, sources_.path() + "/link.db");

  std::string message;
  for (const std::string& path :
       {store_file, location_.key_path, in_data_dir, sources_.path() + "/link.db",
        sources_.path() + "/../" + std::filesystem::path(dir_.path()).filename().string() + "/" +
            std::filesystem::path(store_file).filename().string(),
        std::string("/proc/self/environ"), std::string("/no/such/file.db"),
        sources_.path() + "/missing.db"}) {
    const Reply created = Create("c", path);
    EXPECT_EQ(created.status, 403) << path;
    const Reply tested = TestSettings(path);
    EXPECT_EQ(tested.status, 403) << path;
    const std::string text = created.body["error"]["message"].get<std::string>();
    if (message.empty()) message = text;
    // One message whether the path exists or not, and never the path.
    EXPECT_EQ(text, message) << path;
    EXPECT_EQ(tested.body["error"]["message"], message) << path;
    EXPECT_THAT(text, HasSubstr("--sqlite-dir"));
  }
  const Reply created = Create("shop", inside);
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(TestSettings(inside).status, 200);
  const int64_t id = created.body["id"];
  // Moving it to the store is a change through the API: refused.
  EXPECT_EQ(Send("PUT", fmt::format("/api/v1/connections/{}", id),
                 json{{"type", "sqlite"}, {"database", store_file}}.dump(), Auth())
                .status,
            403);
}

TEST_F(SqlitePathTest, WithoutSqliteDirsNoSqliteConnectionComesThroughTheApi) {
  StartServer([](ServerOptions& options) { options.sqlite_dirs.clear(); });
  std::tie(cookie_, csrf_) = SetUpAdmin();
  const std::string path = sources_.path() + "/shop.db";
  ASSERT_TRUE(sync::WriteDemoSource(path, 5).ok());
  EXPECT_EQ(Create("shop", path).status, 403);
  EXPECT_EQ(TestSettings(path).status, 403);
}

TEST_F(SqlitePathTest, OperatorSavedConnectionsWorkFromTheUiButNeverTheStoreOrKey) {
  StartServer([](ServerOptions& options) { options.sqlite_dirs.clear(); });
  std::tie(cookie_, csrf_) = SetUpAdmin();
  // Like the demo's ./.data/demo-shop.db: in the data directory, saved by
  // the operator.
  const std::string demo = dir_.path() + "/demo-shop.db";
  ASSERT_TRUE(sync::WriteDemoSource(demo, 5).ok());
  const int64_t demo_id = SaveAsOperator("demo", demo);
  EXPECT_EQ(Send("POST", fmt::format("/api/v1/connections/{}/test", demo_id), "", Auth()).status,
            200);
  EXPECT_EQ(Send("GET", fmt::format("/api/v1/connections/{}/tables", demo_id), "", Auth()).status,
            200);
  // The store's own file (SQLite only: a PostgreSQL store has none) and the key.
  std::vector<std::string> own_files;
  if (!StoreFile().empty()) own_files.push_back(StoreFile());
  own_files.push_back(location_.key_path);
  int saved = 0;
  for (const std::string& path : own_files) {
    const int64_t id = SaveAsOperator(fmt::format("own{}", ++saved), path);
    const Reply tested = Send("POST", fmt::format("/api/v1/connections/{}/test", id), "", Auth());
    EXPECT_EQ(tested.status, 403) << path;
    EXPECT_EQ(Send("GET", fmt::format("/api/v1/connections/{}/tables", id), "", Auth()).status, 403)
        << path;
  }
}

}  // namespace
}  // namespace contactsync::http
