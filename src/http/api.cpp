#include "http/api.h"

#include <charconv>
#include <regex>

#include <fmt/format.h>

#include "http/auth.h"
#include "http/front_door.h"
#include "http/run_manager.h"
#include "http/sqlite_policy.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "/api/v1/lists/{id}" -> "/api/v1/lists/(\d+)"; literal parts escaped.
std::string PathRegex(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '{') {
      const size_t end = path.find('}', i);
      const std::string name = path.substr(i + 1, end - i - 1);
      out += name == "key" ? "([A-Za-z0-9_%]+)" : "(\\d+)";
      i = end;
    } else if (std::string_view(".+*?()[]^$|\\").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

template <typename JsonT>
base::Result<JsonT> ParseObject(const std::string& text) {
  if (text.empty()) return base::InvalidArgument("the request needs a JSON object body");
  JsonT body;
  try {
    // nlohmann's parser rejects strings that are not well-formed UTF-8.
    body = JsonT::parse(text);
  } catch (const json::exception& e) {
    return base::InvalidArgument(fmt::format("the body is not valid JSON (UTF-8): {}", e.what()));
  }
  if (!body.is_object()) return base::InvalidArgument("the body must be a JSON object");
  return body;
}

}  // namespace

ApiError ErrorFor(const base::Status& status) {
  int http = 500;
  switch (status.code()) {
    case base::ErrorCode::kInvalidArgument:
    case base::ErrorCode::kBadQuery:
      http = 400;
      break;
    case base::ErrorCode::kPermissionDenied:
      http = 403;
      break;
    case base::ErrorCode::kNotFound:
      http = 404;
      break;
    case base::ErrorCode::kAlreadyExists:
    case base::ErrorCode::kFailedPrecondition:
      http = 409;
      break;
    case base::ErrorCode::kUnavailable:
      http = 503;
      break;
    default:
      http = 500;
  }
  return {http, std::string(base::ErrorCodeName(status.code())), status.message(), 0};
}

void SendError(httplib::Response& res, const ApiError& error) {
  if (error.retry_after_s > 0) res.set_header("Retry-After", std::to_string(error.retry_after_s));
  SendJson(res, {{"error", {{"code", error.code}, {"message", error.message}}}}, error.http_status);
}

void SendError(httplib::Response& res, const base::Status& status) {
  SendError(res, ErrorFor(status));
}

void SendJson(httplib::Response& res, const json& body, int http_status) {
  res.status = http_status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(Dump(body), "application/json; charset=utf-8");
}

StorePool::Lease::~Lease() {
  if (pool_ == nullptr || store_ == nullptr) return;
  std::lock_guard<std::mutex> lock(pool_->mutex_);
  if (pool_->idle_.size() < pool_->max_idle_) {
    pool_->idle_.emplace_back(std::move(store_), std::move(accounts_));
  }
}

base::Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto slot = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(slot.first), std::move(slot.second));
    }
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::OpenStore(options_));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<store::AccountStore> accounts,
                      store::OpenAccountStore(options_));
  return Lease(this, std::move(store), std::move(accounts));
}

ServerState::ServerState(const ServerOptions& server_options, secrets::SecretBox secret_box,
                         std::unique_ptr<SqlitePathPolicy> sqlite_policy)
    : options(server_options),
      stores(server_options.store, static_cast<size_t>(server_options.RequestThreads())),
      box(std::move(secret_box)),
      auth(std::make_unique<Authenticator>(*this)),
      runs(std::make_unique<RunManager>(*this)),
      hosts(std::make_unique<HostAllowList>()),
      sqlite_paths(std::move(sqlite_policy)) {}

ServerState::~ServerState() = default;

base::Result<store::Store*> Call::Store() {
  if (!lease_) {
    CS_ASSIGN_OR_RETURN(StorePool::Lease lease, state.stores.Acquire());
    lease_.emplace(std::move(lease));
  }
  return &lease_->store();
}

base::Result<store::AccountStore*> Call::Accounts() {
  CS_RETURN_IF_ERROR(Store().status());
  return &lease_->accounts();
}

base::Result<int64_t> Call::IdParam(size_t index) const {
  const std::string text = Param(index);
  int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) {
    return base::InvalidArgument(fmt::format("'{}' is not a valid id", text));
  }
  return id;
}

std::string Call::Param(size_t index) const {
  return index < req.matches.size() ? std::string(req.matches[index]) : std::string();
}

base::Result<json> Call::Body() const { return ParseObject<json>(body_); }

base::Result<nlohmann::ordered_json> Call::OrderedBody() const {
  return ParseObject<nlohmann::ordered_json>(body_);
}

std::optional<std::string> Call::Query(const std::string& name) const {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

base::Result<std::pair<int64_t, int64_t>> Call::Paging() const {
  const auto number = [&](const std::string& name, int64_t fallback) -> base::Result<int64_t> {
    const std::optional<std::string> text = Query(name);
    if (!text) return fallback;
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size()) {
      return base::InvalidArgument(fmt::format("{} must be a whole number", name));
    }
    return value;
  };
  CS_ASSIGN_OR_RETURN(const int64_t limit, number("limit", 100));
  CS_ASSIGN_OR_RETURN(const int64_t offset, number("offset", 0));
  if (limit < 1 || limit > 1000) {
    return base::InvalidArgument(fmt::format("limit must be between 1 and 1000, not {}", limit));
  }
  if (offset < 0) return base::InvalidArgument("offset must not be negative");
  return std::make_pair(limit, offset);
}

base::Result<bool> Call::Force() const {
  const std::optional<std::string> text = Query("force");
  if (!text || *text == "false") return false;
  if (*text == "true") return true;
  return base::InvalidArgument("force must be true or false");
}

base::Result<store::ListInfo> ListById(store::ListStore& store, int64_t id) {
  CS_ASSIGN_OR_RETURN(const std::vector<store::ListInfo> lists, store.GetLists());
  for (const auto& list : lists) {
    if (list.id == id) return list;
  }
  return base::NotFound(fmt::format("list {} does not exist", id));
}

base::Result<std::string> RequiredString(const json& body, const std::string& key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return base::InvalidArgument(key + " is required");
  if (!it->is_string()) return base::InvalidArgument(key + " must be a string");
  return it->get<std::string>();
}

base::Result<std::optional<std::string>> OptionalString(const json& body, const std::string& key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return base::InvalidArgument(key + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

base::Result<std::optional<int64_t>> OptionalInt(const json& body, const std::string& key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return base::InvalidArgument(key + " must be a whole number");
  return std::optional<int64_t>(it->get<int64_t>());
}

base::Result<std::optional<bool>> OptionalBool(const json& body, const std::string& key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return base::InvalidArgument(key + " must be true or false");
  return std::optional<bool>(it->get<bool>());
}

void Router::Get(const std::string& path, Handler handler, bool is_public) {
  Add("GET", path, std::move(handler), is_public);
}
void Router::Post(const std::string& path, Handler handler, bool is_public) {
  Add("POST", path, std::move(handler), is_public);
}
void Router::Put(const std::string& path, Handler handler) {
  Add("PUT", path, std::move(handler), false);
}
void Router::Delete(const std::string& path, Handler handler) {
  Add("DELETE", path, std::move(handler), false);
}

void Router::Add(const std::string& method, const std::string& path, Handler handler,
                 bool is_public) {
  state_.routes.push_back({method, path, is_public});
  const std::string pattern = PathRegex(path);
  // The Router is gone once routes are registered: the handlers hold the
  // state, not the Router.
  ServerState& state = state_;
  if (method == "GET") {
    server_.Get(pattern,
                [&state, handler, is_public](const httplib::Request& req, httplib::Response& res) {
                  Dispatch(state, handler, is_public, req, res, "");
                });
    return;
  }
  auto with_body = [&state, handler = std::move(handler), is_public](
                       const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) {
    std::string body;
    if (const std::optional<ApiError> refused =
            ReadRequestBody(req, reader, state.options.max_body_bytes, body)) {
      SendError(res, *refused);
      res.set_header("Connection", "close");
      return;
    }
    Dispatch(state, handler, is_public, req, res, std::move(body));
  };
  if (method == "POST") {
    server_.Post(pattern, with_body);
  } else if (method == "PUT") {
    server_.Put(pattern, with_body);
  } else {
    server_.Delete(pattern, with_body);
  }
}

void Router::Dispatch(ServerState& state, const Handler& handler, bool is_public,
                      const httplib::Request& req, httplib::Response& res, std::string body) {
  const Principal* who = CurrentPrincipal();
  if (!is_public && who == nullptr) {
    // Unreachable while the pre-routing check runs; kept so that a route
    // can never answer unauthenticated by mistake.
    SendError(res, ApiError{401, "unauthenticated", "log in first", 0});
    return;
  }
  Call call(req, res, state, who, std::move(body));
  const base::Status status = handler(call);
  if (!status.ok()) SendError(res, status);
}

}  // namespace contactsync::http
