// `contactsync list create|ls|show|rm`.

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/json_codec.h"
#include "app/sync_runs.h"
#include "base/text.h"
#include "cli/command_context.h"

namespace contactsync::cli {
namespace {

void AddCreate(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("create", "Create a list");
  auto list = std::make_shared<store::NewList>();
  cmd->add_option("name", list->name, "List name (unique)")->required();
  cmd->add_option("--sender-name", list->sender_name, "Sender name for this list's mail");
  cmd->add_option("--sender-email", list->sender_email, "Sender address for this list's mail");
  cmd->add_option("--description", list->description, "What the list is for");
  cmd->callback([&ctx, list] {
    ctx.action = [&ctx, list]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::ListInfo created, store->CreateList(*list));
      Output out = ctx.out();
      if (out.json()) {
        out.Json(app::ToJson(created));
      } else {
        out.Line(fmt::format("Created list '{}' (id {}).", created.name, created.id));
      }
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show all lists");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(std::vector<store::ListInfo> lists, store->GetLists());
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& list : lists) array.push_back(app::ToJson(list));
        out.Json(array);
        return base::Status::Ok();
      }
      if (lists.empty()) {
        out.Line("No lists yet. Create one with: contactsync list create NAME");
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& list : lists) {
        rows.push_back({list.name, std::to_string(list.subscriber_count),
                        list.sender_email.empty() ? "-" : list.sender_email, list.created_at});
      }
      out.Table({"NAME", "CONTACTS", "SENDER", "CREATED"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddShow(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("show", "Show one list and its counts by status");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "List name")->required();
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::ListInfo list, store->GetList(*name));
      nlohmann::json counts = nlohmann::json::object();
      for (auto status :
           {model::SubscriptionStatus::kActive, model::SubscriptionStatus::kUnconfirmed,
            model::SubscriptionStatus::kUnsubscribed, model::SubscriptionStatus::kBounced}) {
        store::ContactFilter filter;
        filter.list = list.name;
        filter.status = status;
        filter.limit = 1;
        CS_ASSIGN_OR_RETURN(store::ContactPage page, store->FindContacts(filter));
        counts[std::string(model::SubscriptionStatusName(status))] = page.total;
      }
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json document = app::ToJson(list);
        document["counts"] = counts;
        out.Json(document);
        return base::Status::Ok();
      }
      out.Line(fmt::format("List:         {}", list.name));
      out.Line(fmt::format("Sender:       {} <{}>", list.sender_name, list.sender_email));
      out.Line(fmt::format("Description:  {}", list.description));
      out.Line(fmt::format("Created:      {}", list.created_at));
      for (const auto& [status, count] : counts.items()) {
        out.Line(fmt::format("{:<13} {}", status + ":", count.get<int64_t>()));
      }
      return base::Status::Ok();
    };
  });
}

// What deleting `list` loses, in one sentence, for the confirmation.
std::string WhatIsLost(const store::ListInfo& list, const std::vector<std::string>& syncs) {
  std::string text = fmt::format(
      "Deleting list '{}' removes the subscriptions of {} contact(s) to it (the "
      "contacts stay)",
      base::Printable(list.name, 255), list.subscriber_count);
  if (!syncs.empty()) {
    text += fmt::format(" and deletes the sync(s) {} that import into it, with their run history",
                        app::QuotedNames(syncs));
  }
  return text + ".";
}

// The user's yes to `question`: --yes, or "y"/"yes" typed at a terminal.
// Without a terminal and without --yes, a usage error (exit 2).
base::Result<bool> Confirmed(CommandContext& ctx, const std::string& question, bool yes) {
  if (yes) return true;
  if (isatty(STDIN_FILENO) == 0) {
    ctx.usage_error = true;
    return base::InvalidArgument(question + " Add --yes to confirm.");
  }
  ctx.err() << question << " Delete? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

struct RmOptions {
  std::string name;
  bool force = false;
  bool yes = false;
};

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "rm",
      "Delete a list with its subscriptions and its own exclusions (contacts stay). Refused "
      "while syncs import into it, unless --force (which deletes those syncs too)");
  auto options = std::make_shared<RmOptions>();
  cmd->add_option("name", options->name, "List name")->required();
  cmd->add_flag("--force", options->force, "Also delete the syncs that import into the list");
  cmd->add_flag("--yes", options->yes,
                "Confirm without asking (needed when standard input is not a terminal and "
                "subscriptions or syncs would be lost)");
  cmd->callback([&ctx, options] {
    ctx.action = [&ctx, options]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const store::ListInfo list, store->GetList(options->name));
      CS_ASSIGN_OR_RETURN(const std::vector<std::string> syncs,
                          app::SyncsUsingList(*store, list.name));
      const std::string what = fmt::format("list '{}'", base::Printable(list.name, 255));
      if (!options->force) {
        CS_RETURN_IF_ERROR(app::DeleteSyncsUsing(*store, what, syncs, false, "use --force"));
      }
      Output out = ctx.out();
      if (list.subscriber_count > 0 || !syncs.empty()) {
        CS_ASSIGN_OR_RETURN(const bool confirmed,
                            Confirmed(ctx, WhatIsLost(list, syncs), options->yes));
        if (!confirmed) {
          out.Line("Nothing deleted.");
          return base::Status::Ok();
        }
      }
      CS_RETURN_IF_ERROR(app::DeleteSyncsUsing(*store, what, syncs, true, "use --force"));
      CS_RETURN_IF_ERROR(store->DeleteList(list.name));
      if (out.json()) {
        out.Json({{"deleted", list.name},
                  {"subscriptions_removed", list.subscriber_count},
                  {"syncs_deleted", syncs}});
        return base::Status::Ok();
      }
      out.Line(fmt::format("Deleted list '{}' ({} subscription(s) removed).",
                           base::Printable(list.name, 255), list.subscriber_count));
      if (!syncs.empty()) out.Line(fmt::format("Deleted sync(s) {}.", app::QuotedNames(syncs)));
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddListCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("list", "Manage contact lists");
  group->require_subcommand(1);
  AddCreate(*group, ctx);
  AddLs(*group, ctx);
  AddShow(*group, ctx);
  AddRm(*group, ctx);
}

}  // namespace contactsync::cli
