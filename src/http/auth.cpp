#include "http/auth.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "app/accounts.h"
#include "http/front_door.h"

namespace contactsync::http {
namespace {

constexpr std::string_view kCookieName = "cs_session";
constexpr std::string_view kTokenPrefix = "cst_";

thread_local const Principal* t_principal = nullptr;
thread_local Principal t_principal_storage;

// Checked when a user name is unknown, so that the answer takes as long as
// for a known one (no user-name probing by timing).
const std::string& DummyHash() {
  static const std::string hash = app::HashPassword("not a password of anyone").value();
  return hash;
}

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

bool IsStateChanging(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string CookieValue(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

ApiError Unauthenticated(std::string message) {
  return {401, "unauthenticated", std::move(message), 0};
}

ApiError Forbidden(std::string message) {
  return {403, "permission_denied", std::move(message), 0};
}

}  // namespace

const std::vector<RouteInfo>& PublicRoutes() {
  static const std::vector<RouteInfo> routes = {
      {"GET", "/api/v1/setup", true},    {"POST", "/api/v1/setup", true},
      {"POST", "/api/v1/session", true}, {"GET", "/api/v1/openapi.json", true},
      {"GET", "/confirm", true},         {"GET", "/unsubscribe", true},
      {"POST", "/unsubscribe", true},
  };
  return routes;
}

bool IsPublic(const std::string& method, const std::string& path) {
  for (const RouteInfo& route : PublicRoutes()) {
    if (route.method == method && route.path == path) return true;
  }
  // Outside /api/ a GET reaches only the static files of the UI (or a 404
  // when there is none at that path), which are public.
  return (method == "GET" || method == "HEAD") && path.rfind("/api/", 0) != 0;
}

const Principal* CurrentPrincipal() { return t_principal; }

httplib::Server::HandlerResponse Authenticator::PreRoute(const httplib::Request& req,
                                                         httplib::Response& res) {
  t_principal = nullptr;
  // A refused request's body is never read (the check runs before httplib
  // reads it), so its connection must not be reused.
  res.set_header("Connection", "close");
  if (IsPublic(req.method, req.path)) {
    res.headers.erase("Connection");
    return httplib::Server::HandlerResponse::Unhandled;
  }
  base::Result<StorePool::Lease> lease = state_.stores.Acquire();
  if (!lease.ok()) {
    SendError(res, lease.status());
    return httplib::Server::HandlerResponse::Handled;
  }
  base::Result<Principal> who = Authenticate(req, lease->accounts());
  if (!who.ok()) {
    if (who.status().code() == base::ErrorCode::kAuthFailed) {
      SendError(res, Unauthenticated(who.status().message()));
    } else {
      SendError(res, who.status());
    }
    return httplib::Server::HandlerResponse::Handled;
  }
  if (who->via_session && IsStateChanging(req.method)) {
    // SameSite=Strict already keeps the cookie off cross-site requests; the
    // Origin check and the CSRF token hold even where a browser does not
    // honour it.
    // The origin is compared with the hosts the operator allowed, never
    // with the request's own Host header, which a DNS-rebinding page
    // controls.
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty()) {
      const auto& allowed = state_.options.allowed_origins;
      if (!state_.hosts->AllowsOrigin(origin, state_.https()) &&
          std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
        SendError(res, Forbidden("cross-origin request refused"));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (!app::ConstantTimeEquals(req.get_header_value("X-CSRF-Token"), who->csrf_token)) {
      SendError(res, Forbidden("missing or wrong X-CSRF-Token; reload the page"));
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  res.headers.erase("Connection");
  t_principal_storage = std::move(who).value();
  t_principal = &t_principal_storage;
  return httplib::Server::HandlerResponse::Unhandled;
}

base::Result<Principal> Authenticator::Authenticate(const httplib::Request& req,
                                                    store::AccountStore& accounts) {
  const std::string authorization = req.get_header_value("Authorization");
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.rfind(kBearer, 0) != 0) {
      return base::Status(base::ErrorCode::kAuthFailed,
                          "Authorization must be 'Bearer <API token>'");
    }
    const std::string token = authorization.substr(kBearer.size());
    base::Result<store::ApiToken> found = accounts.FindApiToken(app::TokenHash(token));
    if (!found.ok()) {
      if (found.status().code() != base::ErrorCode::kNotFound) return found.status();
      return base::Status(base::ErrorCode::kAuthFailed, "unknown or revoked API token");
    }
    // last_used_at to the minute: one write a minute per token, not one per
    // request (many readers must not queue on the store's write lock).
    bool touch = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      auto [it, inserted] = token_touched_.try_emplace(found->id, now);
      if (inserted || now - it->second >= std::chrono::minutes(1)) {
        it->second = now;
        touch = true;
      }
    }
    if (touch) CS_RETURN_IF_ERROR(accounts.TouchApiToken(found->id));
    Principal who;
    who.user_id = found->user_id;
    who.username = found->username;
    return who;
  }
  const std::string cookie = CookieValue(req, kCookieName);
  if (cookie.empty()) return base::Status(base::ErrorCode::kAuthFailed, "log in first");
  const std::string hash = app::TokenHash(cookie);
  base::Result<store::SessionRecord> session = accounts.GetSession(hash);
  if (!session.ok()) {
    if (session.status().code() != base::ErrorCode::kNotFound) return session.status();
    return base::Status(base::ErrorCode::kAuthFailed, "your session has ended; log in again");
  }
  const int64_t now = NowUnix();
  const int64_t idle = state_.options.session_idle_timeout.count();
  const int64_t absolute = state_.options.session_absolute_timeout.count();
  if (now - session->last_seen_unix > idle || now - session->created_unix > absolute) {
    CS_RETURN_IF_ERROR(accounts.DeleteSession(hash));
    return base::Status(base::ErrorCode::kAuthFailed, "your session has expired; log in again");
  }
  // One write a minute at most per session, not one per request: the idle
  // timeout is coarse anyway, and many concurrent readers must not queue on
  // the store's write lock. Best effort: a store busy past its timeout with
  // another writer's long transaction must not fail the request of a valid
  // session, and a touch missed only lets the session expire sooner, never
  // later (the next request touches it again).
  if (now - session->last_seen_unix >= 60) {
    const base::Status touched = accounts.TouchSession(hash, now);
    if (!touched.ok() && touched.code() != base::ErrorCode::kUnavailable) return touched;
  }
  Principal who;
  who.user_id = session->user_id;
  who.username = session->username;
  who.via_session = true;
  who.session_hash = hash;
  who.csrf_token = session->csrf_token;
  return who;
}

std::string Authenticator::CookieHeader(const std::string& value, bool clear) const {
  const bool secure = state_.options.secure_cookies || !state_.options.tls_cert_file.empty();
  return fmt::format("{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}", kCookieName, value,
                     clear ? 0 : state_.options.session_absolute_timeout.count(),
                     secure ? "; Secure" : "");
}

bool Authenticator::TryStartPasswordCheck() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (password_checks_ >= state_.options.max_concurrent_password_checks) return false;
  ++password_checks_;
  return true;
}

void Authenticator::EndPasswordCheck() {
  std::lock_guard<std::mutex> lock(mutex_);
  --password_checks_;
}

void Authenticator::Login(Call& call, const std::string& username, const std::string& password) {
  base::Result<store::AccountStore*> accounts = call.Accounts();
  if (!accounts.ok()) return SendError(call.res, accounts.status());
  const std::string user_key = "user:" + username;
  const std::string address_key = "addr:" + call.req.remote_addr;
  // Every attempt is counted before the password is checked, in one
  // transaction with the limit check: parallel guesses, to this server or to
  // another on the same store, cannot all pass the check before the first
  // failure is counted. A success gives its attempt back.
  base::Result<int64_t> wait =
      (*accounts)->ReserveLoginAttempts({{user_key, state_.options.max_failures_per_user},
                                         {address_key, state_.options.max_failures_per_address}},
                                        state_.options.login_window.count());
  if (!wait.ok()) return SendError(call.res, wait.status());
  if (*wait > 0) {
    SendError(call.res, ApiError{429, "too_many_requests",
                                 fmt::format("too many failed logins; try again in {} s", *wait),
                                 static_cast<int>(*wait)});
    return;
  }
  // Each check takes about 64 MiB (argon2): a few at a time, the others are
  // told to come back (their attempt is given back: not a failure).
  if (!TryStartPasswordCheck()) {
    (void)(*accounts)->RefundLoginAttempt(user_key);
    (void)(*accounts)->RefundLoginAttempt(address_key);
    SendError(call.res, ApiError{429, "too_many_requests",
                                 "the server is busy checking other logins; try again in 1 s", 1});
    return;
  }
  base::Result<bool> valid = false;
  {
    // Released however the check ends (an exception included).
    std::unique_ptr<Authenticator, void (*)(Authenticator*)> slot(
        this, [](Authenticator* self) { self->EndPasswordCheck(); });
    valid = CheckPassword(call, username, password);
  }
  if (!valid.ok()) return SendError(call.res, valid.status());
  if (!*valid) return SendError(call.res, Unauthenticated("wrong user name or password"));
  const base::Status forgotten = (*accounts)->ForgetLoginAttempts(user_key);
  if (!forgotten.ok()) return SendError(call.res, forgotten);
  const base::Status refunded = (*accounts)->RefundLoginAttempt(address_key);
  if (!refunded.ok()) return SendError(call.res, refunded);
  base::Result<store::User> user = (*accounts)->GetUser(username);
  if (!user.ok()) return SendError(call.res, user.status());
  const base::Status started = StartSession(call, *user);
  if (!started.ok()) SendError(call.res, started);
}

base::Result<bool> Authenticator::CheckPassword(Call& call, const std::string& username,
                                                const std::string& password) {
  CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
  base::Result<store::User> user = accounts->GetUser(username);
  if (!user.ok() && user.status().code() != base::ErrorCode::kNotFound) return user.status();
  return user.ok() ? app::VerifyPassword(user->password_hash, password)
                   : (app::VerifyPassword(DummyHash(), password), false);
}

base::Status Authenticator::StartSession(Call& call, const store::User& user) {
  CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
  // A login never keeps the session id the browser came with (session
  // fixation): the old one is deleted and a new one issued.
  const std::string old = CookieValue(call.req, kCookieName);
  if (!old.empty()) CS_RETURN_IF_ERROR(accounts->DeleteSession(app::TokenHash(old)));
  const int64_t now = NowUnix();
  CS_RETURN_IF_ERROR(
      accounts
          ->DeleteExpiredSessions(now - state_.options.session_absolute_timeout.count(),
                                  now - state_.options.session_idle_timeout.count())
          .status());
  const std::string id = app::NewRandomToken();
  store::SessionRecord session;
  session.id_hash = app::TokenHash(id);
  session.user_id = user.id;
  session.csrf_token = app::NewRandomToken();
  session.created_unix = session.last_seen_unix = now;
  CS_RETURN_IF_ERROR(accounts->CreateSession(session));
  call.res.set_header("Set-Cookie", CookieHeader(id, false));
  Principal who;
  who.user_id = user.id;
  who.username = user.username;
  who.via_session = true;
  who.csrf_token = session.csrf_token;
  call.Json(SessionJson(who));
  return base::Status::Ok();
}

void Authenticator::Logout(Call& call) {
  base::Result<store::AccountStore*> accounts = call.Accounts();
  if (!accounts.ok()) return SendError(call.res, accounts.status());
  if (call.who().via_session) {
    const base::Status deleted = (*accounts)->DeleteSession(call.who().session_hash);
    if (!deleted.ok()) return SendError(call.res, deleted);
  }
  call.res.set_header("Set-Cookie", CookieHeader("", true));
  call.Json({{"logged_out", true}});
}

nlohmann::json Authenticator::SessionJson(const Principal& who) const {
  return {{"user", {{"id", who.user_id}, {"username", who.username}}},
          {"csrf_token", who.via_session ? nlohmann::json(who.csrf_token) : nlohmann::json()}};
}

std::string NewApiToken() { return app::NewRandomToken(kTokenPrefix); }

}  // namespace contactsync::http
