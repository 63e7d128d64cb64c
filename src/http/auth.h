#pragma once

// Authentication of HTTP requests (internal to the http module): the
// pre-routing check with its public allow-list, sessions (cookie cs_session,
// new id at every login, idle and absolute timeouts, CSRF token), bearer API
// tokens, and login rate limiting.
//
// Thread safety: thread-safe (the rate limiter has its own lock; sessions
// and tokens live in the store).

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "http/api.h"

namespace contactsync::http {

// True for the routes that answer without authentication: PublicRoutes()
// and static assets (any GET outside /api/: the asset handler answers a
// file of the UI or 404).
bool IsPublic(const std::string& method, const std::string& path);

// A new API token ("cst_" + 64 hex digits); shown once, stored hashed.
std::string NewApiToken();

class Authenticator {
 public:
  explicit Authenticator(ServerState& state) : state_(state) {}

  // httplib's pre-routing handler: public routes pass; otherwise the caller
  // must present a valid session or token (401), and a cookie-authenticated
  // state-changing request must carry the CSRF token and a same-origin
  // Origin (403). On success the principal is kept for the handler
  // (CurrentPrincipal()).
  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res);

  // Login: checks the rate limits (429), the password (401 unauthenticated),
  // then creates a new session, sets its cookie and answers like
  // GET /api/v1/session. `old_session_hash` (the cookie the request came
  // with, if any) is deleted: a login never keeps an old session id.
  void Login(Call& call, const std::string& username, const std::string& password);
  // Creates a session for `user` and answers as Login does.
  base::Status StartSession(Call& call, const store::User& user);
  void Logout(Call& call);
  // {"user": {"id","username"}, "csrf_token"}
  nlohmann::json SessionJson(const Principal& who) const;

 private:
  base::Result<Principal> Authenticate(const httplib::Request& req, store::AccountStore& accounts);
  std::string OwnOrigin(const httplib::Request& req) const;
  std::string CookieHeader(const std::string& value, bool clear) const;

  // Failures within the window per key ("user:NAME", "addr:IP"). Returns the
  // seconds to wait when the key is over its limit, else 0.
  int RetryAfter(const std::string& key, int limit);
  void NoteFailure(const std::string& key);
  void Forget(const std::string& key);

  struct Failures {
    std::chrono::steady_clock::time_point window_start;
    int count = 0;
  };
  ServerState& state_;
  std::mutex mutex_;
  std::map<std::string, Failures> failures_;
  std::map<int64_t, std::chrono::steady_clock::time_point> token_touched_;  // by token id
};

}  // namespace contactsync::http
