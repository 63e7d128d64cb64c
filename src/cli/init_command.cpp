// `contactsync init`: creates the data directory and store, applies
// migrations, and says where everything is.

#include <fmt/format.h>

#include "cli/command_context.h"

namespace contactsync::cli {

void AddInitCommand(CLI::App& app, CommandContext& ctx) {
  auto* init = app.add_subcommand("init", "Create the store (or migrate it) and show where it is");
  init->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(int version, store->SchemaVersion());
      CS_ASSIGN_OR_RETURN(std::string location, ctx.DataDirOrUrl());
      CS_ASSIGN_OR_RETURN(auto lists, store->GetLists());
      CS_ASSIGN_OR_RETURN(auto fields, store->GetFields());
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"location", location},
                  {"schema_version", version},
                  {"lists", lists.size()},
                  {"fields", fields.size()}});
      } else {
        out.Line(fmt::format("Store ready at {} (schema version {}).", location, version));
        out.Line(fmt::format("{} list(s), {} custom field(s).", lists.size(), fields.size()));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace contactsync::cli
