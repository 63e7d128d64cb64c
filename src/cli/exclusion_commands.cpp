// `contactsync exclusion add|ls|rm`.

#include <fmt/format.h>

#include "app/json_codec.h"
#include "base/text.h"
#include "cli/command_context.h"

namespace contactsync::cli {
namespace {

std::string Scope(const store::Exclusion& exclusion) {
  return exclusion.list_name ? "list '" + base::Printable(*exclusion.list_name, 255) + "'"
                             : std::string("all lists");
}

void AddAdd(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("add", "Exclude an address or pattern (*@example.com)");
  struct Args {
    std::string pattern, list;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("pattern", args->pattern, "Address or pattern with * wildcards")->required();
  cmd->add_option("--list", args->list, "Only for this list (default: all lists)");
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      std::optional<std::string> list;
      if (!args->list.empty()) list = args->list;
      CS_ASSIGN_OR_RETURN(store::Exclusion added, store->AddExclusion(args->pattern, list));
      Output out = ctx.out();
      if (out.json()) {
        out.Json(app::ToJson(added));
      } else {
        out.Line(
            fmt::format("Excluded {} from {} (id {}).", added.pattern, Scope(added), added.id));
      }
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show exclusion entries");
  auto list = std::make_shared<std::string>();
  cmd->add_option("--list", *list, "Only the entries that apply to this list");
  cmd->callback([&ctx, list] {
    ctx.action = [&ctx, list]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      std::optional<std::string> scope;
      if (!list->empty()) scope = *list;
      CS_ASSIGN_OR_RETURN(std::vector<store::Exclusion> entries, store->GetExclusions(scope));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& entry : entries) array.push_back(app::ToJson(entry));
        out.Json(array);
        return base::Status::Ok();
      }
      if (entries.empty()) {
        out.Line("No exclusions.");
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& entry : entries) {
        rows.push_back({std::to_string(entry.id), entry.pattern,
                        entry.list_name ? *entry.list_name : "(all lists)", entry.created_at});
      }
      out.Table({"ID", "PATTERN", "LIST", "CREATED"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("rm", "Delete an exclusion entry by id (see exclusion ls)");
  auto id = std::make_shared<int64_t>(0);
  cmd->add_option("id", *id, "Entry id")->required()->check(CLI::PositiveNumber);
  cmd->callback([&ctx, id] {
    ctx.action = [&ctx, id]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->RemoveExclusion(*id));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *id}});
      } else {
        out.Line(fmt::format("Deleted exclusion {}.", *id));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddExclusionCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("exclusion", "Manage the exclusion list");
  group->require_subcommand(1);
  AddAdd(*group, ctx);
  AddLs(*group, ctx);
  AddRm(*group, ctx);
}

}  // namespace contactsync::cli
