// `contactsync user add|ls|rm`: accounts of the web UI and API.

#include <fmt/format.h>

#include "app/accounts.h"
#include "app/data_dir.h"
#include "base/text.h"
#include "cli/command_context.h"
#include "cli/password_input.h"
#include "store/account_store.h"

namespace contactsync::cli {
namespace {

base::Result<std::unique_ptr<store::AccountStore>> OpenAccounts(CommandContext& ctx) {
  CS_ASSIGN_OR_RETURN(const app::Location location,
                      app::ResolveLocation(ctx.options.data_dir, ctx.options.store_url));
  store::StoreOptions options;
  options.url = location.store_url;
  return store::OpenAccountStore(options);
}

void AddAdd(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("add", "Create a user who can log in to the web UI and API");
  auto name = std::make_shared<std::string>();
  auto password_stdin = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "User name")->required();
  cmd->add_flag("--password-stdin", *password_stdin,
                "Read the password from the first line of standard input");
  cmd->callback([&ctx, name, password_stdin] {
    ctx.action = [&ctx, name, password_stdin]() -> base::Status {
      std::string password;
      if (*password_stdin) {
        CS_ASSIGN_OR_RETURN(password, ReadPasswordLine());
      } else {
        CS_ASSIGN_OR_RETURN(const auto typed,
                            PromptPassword(fmt::format("Password for {}: ", *name)));
        if (!typed) {
          return base::InvalidArgument("no terminal to ask for the password; use --password-stdin");
        }
        password = *typed;
      }
      CS_RETURN_IF_ERROR(app::CheckNewPassword(password));
      CS_ASSIGN_OR_RETURN(const std::string hash, app::HashPassword(password));
      CS_ASSIGN_OR_RETURN(std::unique_ptr<store::AccountStore> accounts, OpenAccounts(ctx));
      CS_ASSIGN_OR_RETURN(const store::User user, accounts->CreateUser(*name, hash));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"id", user.id}, {"username", user.username}, {"created_at", user.created_at}});
      } else {
        out.Line(fmt::format("Created user '{}'. Log in at the address `contactsync serve` prints.",
                             base::Printable(user.username)));
      }
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show the users");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(std::unique_ptr<store::AccountStore> accounts, OpenAccounts(ctx));
      CS_ASSIGN_OR_RETURN(const std::vector<store::User> users, accounts->GetUsers());
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& u : users) {
          array.push_back({{"id", u.id}, {"username", u.username}, {"created_at", u.created_at}});
        }
        out.Json(array);
        return base::Status::Ok();
      }
      if (users.empty()) {
        out.Line("No users yet. Create one with: contactsync user add NAME");
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& u : users) rows.push_back({std::to_string(u.id), u.username, u.created_at});
      out.Table({"ID", "USER", "CREATED"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("rm", "Delete a user with its sessions and API tokens");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "User name")->required();
  cmd->callback([&ctx, name] {
    ctx.action = [&ctx, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(std::unique_ptr<store::AccountStore> accounts, OpenAccounts(ctx));
      CS_RETURN_IF_ERROR(accounts->DeleteUser(*name));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *name}});
      } else {
        out.Line(fmt::format("Deleted user '{}'.", base::Printable(*name)));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddUserCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("user", "Manage the users of the web UI and API");
  group->require_subcommand(1);
  AddAdd(*group, ctx);
  AddLs(*group, ctx);
  AddRm(*group, ctx);
}

}  // namespace contactsync::cli
