// /api/v1/openapi.json: the API's description (docs/api.md is its prose).

#include "http/api.h"

namespace contactsync::http {

void AddDocRoutes(Router& router) {
  router.Get(
      "/api/v1/openapi.json",
      [](Call& call) -> base::Status {
        call.res.set_content(std::string(OpenApiDocument()), "application/json; charset=utf-8");
        return base::Status::Ok();
      },
      /*is_public=*/true);
}

}  // namespace contactsync::http
