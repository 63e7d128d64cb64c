#pragma once

// Authentication of HTTP requests (internal to the http module): the
// pre-routing check with its public allow-list, sessions (cookie cs_session,
// new id at every login, idle and absolute timeouts, CSRF token), bearer API
// tokens, and login rate limiting.
//
// Thread safety: thread-safe (sessions, tokens and the login rate limits
// live in the store, shared by every server on it; the in-process state, the
// password-check slots and the tokens' last touch, has its own lock).

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

  // Login: counts the attempt against the rate limits (429), waits for no
  // password check (429 when max_concurrent_password_checks run), checks
  // the password (401 unauthenticated),
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
  std::string CookieHeader(const std::string& value, bool clear) const;

  // At most max_concurrent_password_checks at once.
  bool TryStartPasswordCheck();
  void EndPasswordCheck();
  // True when `password` is the user's (an unknown user takes as long).
  base::Result<bool> CheckPassword(Call& call, const std::string& username,
                                   const std::string& password);

  ServerState& state_;
  std::mutex mutex_;
  int password_checks_ = 0;
  std::map<int64_t, std::chrono::steady_clock::time_point> token_touched_;  // by token id
};

}  // namespace contactsync::http
