// /api/v1/setup, /api/v1/session, /api/v1/tokens.

#include "app/accounts.h"
#include "http/api.h"
#include "http/auth.h"

namespace contactsync::http {
namespace {

using nlohmann::json;

json TokenJson(const store::ApiToken& token) {
  return {{"id", token.id},
          {"name", token.name},
          {"created_at", token.created_at},
          {"last_used_at", token.last_used_at.empty() ? json() : json(token.last_used_at)}};
}

}  // namespace

void AddAccountRoutes(Router& router) {
  router.Get(
      "/api/v1/setup",
      [](Call& call) -> base::Status {
        CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
        CS_ASSIGN_OR_RETURN(const int64_t users, accounts->CountUsers());
        call.Json({{"needs_setup", users == 0}});
        return base::Status::Ok();
      },
      /*is_public=*/true);

  router.Post(
      "/api/v1/setup",
      [](Call& call) -> base::Status {
        CS_ASSIGN_OR_RETURN(const json body, call.Body());
        CS_ASSIGN_OR_RETURN(const std::string username, RequiredString(body, "username"));
        CS_ASSIGN_OR_RETURN(const std::string password, RequiredString(body, "password"));
        CS_RETURN_IF_ERROR(app::CheckNewPassword(password));
        CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
        CS_ASSIGN_OR_RETURN(const int64_t users, accounts->CountUsers());
        if (users > 0) {
          return base::FailedPrecondition("setup is done: a user exists already; log in instead");
        }
        CS_ASSIGN_OR_RETURN(const std::string hash, app::HashPassword(password));
        CS_ASSIGN_OR_RETURN(const store::User user, accounts->CreateFirstUser(username, hash));
        return call.state.auth->StartSession(call, user);
      },
      /*is_public=*/true);

  router.Post(
      "/api/v1/session",
      [](Call& call) -> base::Status {
        CS_ASSIGN_OR_RETURN(const json body, call.Body());
        CS_ASSIGN_OR_RETURN(const std::string username, RequiredString(body, "username"));
        CS_ASSIGN_OR_RETURN(const std::string password, RequiredString(body, "password"));
        call.state.auth->Login(call, username, password);
        return base::Status::Ok();
      },
      /*is_public=*/true);

  router.Get("/api/v1/session", [](Call& call) -> base::Status {
    call.Json(call.state.auth->SessionJson(call.who()));
    return base::Status::Ok();
  });

  router.Delete("/api/v1/session", [](Call& call) -> base::Status {
    call.state.auth->Logout(call);
    return base::Status::Ok();
  });

  router.Get("/api/v1/tokens", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
    CS_ASSIGN_OR_RETURN(const std::vector<store::ApiToken> tokens,
                        accounts->GetApiTokens(call.who().user_id));
    json array = json::array();
    for (const auto& token : tokens) array.push_back(TokenJson(token));
    call.Json(array);
    return base::Status::Ok();
  });

  router.Post("/api/v1/tokens", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const json body, call.Body());
    CS_ASSIGN_OR_RETURN(const std::string name, RequiredString(body, "name"));
    CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
    const std::string token = NewApiToken();
    CS_ASSIGN_OR_RETURN(const store::ApiToken saved,
                        accounts->CreateApiToken(call.who().user_id, name, app::TokenHash(token)));
    json out = TokenJson(saved);
    out["token"] = token;  // shown once; only its hash is kept
    call.Json(out, 201);
    return base::Status::Ok();
  });

  router.Delete("/api/v1/tokens/{id}", [](Call& call) -> base::Status {
    CS_ASSIGN_OR_RETURN(const int64_t id, call.IdParam());
    CS_ASSIGN_OR_RETURN(store::AccountStore * accounts, call.Accounts());
    CS_RETURN_IF_ERROR(accounts->DeleteApiToken(call.who().user_id, id));
    call.Json({{"deleted", id}});
    return base::Status::Ok();
  });
}

}  // namespace contactsync::http
