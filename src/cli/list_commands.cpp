// `contactsync list create|ls|show|rm`.

#include <fmt/format.h>

#include "app/json_codec.h"
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
      CS_ASSIGN_OR_RETURN(store::ContactStore * store, ctx.Store());
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
      CS_ASSIGN_OR_RETURN(store::ContactStore * store, ctx.Store());
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
      CS_ASSIGN_OR_RETURN(store::ContactStore * store, ctx.Store());
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

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "rm", "Delete a list with its subscriptions and its own exclusions (contacts stay)");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "List name")->required();
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::ContactStore * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->DeleteList(*name));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *name}});
      } else {
        out.Line(fmt::format("Deleted list '{}'.", *name));
      }
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
