// `contactsync contact add|resubscribe|ls|show|rm|unsubscribe|bounce`.

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "app/json_codec.h"
#include "base/text.h"
#include "cli/command_context.h"

namespace contactsync::cli {
namespace {

const std::vector<std::string> kAddStatuses{"active", "unconfirmed", "unsubscribed"};
const std::vector<std::string> kFilterStatuses{"active", "unconfirmed", "unsubscribed", "bounced"};

// Largest file --field-file reads; a bigger one is certainly a mistake and
// reading it whole would only waste memory before the store refuses it.
constexpr std::streamsize kMaxFieldFileBytes = 16 * 1024 * 1024;

model::Cause CliCause() { return {model::CauseKind::kCli, ""}; }

// "KEY=VALUE" -> (KEY, VALUE); a missing '=' is a usage error (exit 2).
std::pair<std::string, std::string> SplitAssignment(const std::string& text,
                                                    std::string_view option) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw CLI::ValidationError(std::string(option),
                               "expected KEY=VALUE, got '" + base::Printable(text) + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

base::Result<std::string> ReadValueFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::NotFound(fmt::format("cannot read file '{}'", path));
  std::string data(static_cast<size_t>(kMaxFieldFileBytes) + 1, '\0');
  in.read(data.data(), kMaxFieldFileBytes + 1);
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > static_cast<size_t>(kMaxFieldFileBytes)) {
    return base::InvalidArgument(fmt::format("file '{}' is larger than 16 MiB", path));
  }
  return data;
}

std::string Describe(const store::Contact& contact) {
  std::string name = contact.first_name;
  if (!contact.last_name.empty()) name += (name.empty() ? "" : " ") + contact.last_name;
  return name.empty() ? base::Printable(contact.email, 254)
                      : fmt::format("{} ({})", base::Printable(contact.email, 254),
                                    base::Printable(name, 120));
}

void AddAdd(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "add", "Add a contact, or update it when the address exists, and subscribe it to a list");
  struct Args {
    std::string email, list, status = "active", first_name, last_name, phone;
    bool has_first = false, has_last = false, has_phone = false;
    std::vector<std::string> fields, field_files;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("email", args->email, "Email address")->required();
  cmd->add_option("--list", args->list, "Subscribe to this list");
  cmd->add_option("--status", args->status, "Status on the list")
      ->check(CLI::IsMember(kAddStatuses))
      ->capture_default_str();
  auto* first = cmd->add_option("--first-name", args->first_name, "First name");
  auto* last = cmd->add_option("--last-name", args->last_name, "Last name");
  auto* phone = cmd->add_option("--phone", args->phone, "Phone number");
  cmd->add_option("--field", args->fields, "Custom field value KEY=VALUE; repeat");
  cmd->add_option("--field-file", args->field_files,
                  "Custom field value read from a file, KEY=PATH; repeat");
  cmd->callback([&ctx, args, first, last, phone] {
    store::ContactChange change;
    change.contact.email = args->email;
    if (first->count() > 0) change.contact.first_name = args->first_name;
    if (last->count() > 0) change.contact.last_name = args->last_name;
    if (phone->count() > 0) change.contact.phone = args->phone;
    for (const auto& field : args->fields)
      change.contact.fields.insert(SplitAssignment(field, "--field"));
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& file : args->field_files)
      files.push_back(SplitAssignment(file, "--field-file"));
    if (!args->list.empty()) change.list = args->list;
    change.status = model::ParseSubscriptionStatus(args->status).value();
    change.cause = CliCause();
    ctx.action = [&ctx, change, files]() mutable -> base::Status {
      for (const auto& [key, path] : files) {
        CS_ASSIGN_OR_RETURN(change.contact.fields[key], ReadValueFile(path));
      }
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::ContactChangeOutcome outcome, store->SaveContact(change));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"contact", app::ToJson(outcome.contact)},
                  {"created", outcome.created},
                  {"changed_fields", outcome.changed_fields},
                  {"subscription_changed", outcome.subscription_changed}});
        return base::Status::Ok();
      }
      std::string verb = outcome.created                   ? "Added"
                         : !outcome.changed_fields.empty() ? "Updated"
                                                           : "Unchanged:";
      std::string line = fmt::format("{} {}", verb, Describe(outcome.contact));
      if (change.list) {
        line += outcome.subscription_changed
                    ? fmt::format("; {} on list '{}'", model::SubscriptionStatusName(change.status),
                                  base::Printable(*change.list, 255))
                    : fmt::format("; already {} on list '{}'",
                                  model::SubscriptionStatusName(
                                      outcome.previous_status.value_or(change.status)),
                                  base::Printable(*change.list, 255));
      }
      out.Line(line + ".");
      return base::Status::Ok();
    };
  });
}

void AddResubscribe(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "resubscribe",
      "Make an unsubscribed or bounced contact active on a list again, at the contact's request");
  struct Args {
    std::string email, list;
    bool confirmed = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("email", args->email, "Email address")->required();
  cmd->add_option("--list", args->list, "The list")->required();
  cmd->add_flag("--confirmed", args->confirmed,
                "Confirm that the contact asked to be subscribed again (required)");
  cmd->callback([&ctx, args] {
    if (!args->confirmed) {
      throw CLI::ValidationError(
          "--confirmed",
          "re-subscribing someone who unsubscribed or bounced needs their consent; pass "
          "--confirmed to state that the contact asked for it");
    }
    ctx.action = [&ctx, args]() -> base::Status {
      store::ContactChange change;
      change.contact.email = args->email;
      change.list = args->list;
      change.status = model::SubscriptionStatus::kActive;
      change.mode = store::SubscribeMode::kResubscribe;
      change.cause = {model::CauseKind::kCli, "resubscribe confirmed by operator"};
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::Contact existing, store->GetContact(args->email));
      (void)existing;  // resubscribe never creates a contact
      CS_ASSIGN_OR_RETURN(store::ContactChangeOutcome outcome, store->SaveContact(change));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"contact", app::ToJson(outcome.contact)},
                  {"subscription_changed", outcome.subscription_changed}});
      } else {
        out.Line(fmt::format("{} is active on list '{}' again.",
                             base::Printable(outcome.contact.email, 254),
                             base::Printable(args->list, 255)));
      }
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "List contacts, optionally by list, status and search");
  auto filter = std::make_shared<store::ContactFilter>();
  auto list = std::make_shared<std::string>();
  auto status = std::make_shared<std::string>();
  cmd->add_option("--list", *list, "Only contacts on this list");
  cmd->add_option("--status", *status, "Only contacts with this status (on --list if given)")
      ->check(CLI::IsMember(kFilterStatuses));
  cmd->add_option("--search", filter->search,
                  "Words that must each appear in the email, first or last name");
  cmd->add_option("--limit", filter->limit, "At most this many (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--offset", filter->offset, "Skip this many")->check(CLI::NonNegativeNumber);
  cmd->callback([&ctx, filter, list, status] {
    if (!list->empty()) filter->list = *list;
    if (!status->empty()) filter->status = model::ParseSubscriptionStatus(*status).value();
    ctx.action = [&ctx, filter]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::ContactPage page, store->FindContacts(*filter));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json contacts = nlohmann::json::array();
        for (const auto& contact : page.contacts) contacts.push_back(app::ToJson(contact));
        out.Json({{"total", page.total},
                  {"offset", filter->offset},
                  {"limit", filter->limit},
                  {"contacts", std::move(contacts)}});
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& contact : page.contacts) {
        std::string lists;
        for (const auto& s : contact.subscriptions) {
          lists += fmt::format("{}{} ({})", lists.empty() ? "" : ", ", s.list_name,
                               model::SubscriptionStatusName(s.status));
        }
        std::string name = contact.first_name;
        if (!contact.last_name.empty()) name += (name.empty() ? "" : " ") + contact.last_name;
        rows.push_back(
            {contact.email, name, lists.empty() ? "-" : lists, contact.bounced ? "bounced" : ""});
      }
      if (!rows.empty()) out.Table({"EMAIL", "NAME", "LISTS", "FLAGS"}, rows);
      out.Line(fmt::format("{} of {} contact(s)", page.contacts.size(), page.total));
      return base::Status::Ok();
    };
  });
}

void AddShow(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("show", "Show a contact, its subscriptions and their history");
  auto email = std::make_shared<std::string>();
  cmd->add_option("email", *email, "Email address (any case)")->required();
  cmd->callback([&ctx, email] {
    ctx.action = [&ctx, email]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::Contact contact, store->GetContact(*email));
      CS_ASSIGN_OR_RETURN(std::vector<store::HistoryEntry> history, store->GetHistory(*email));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json document = app::ToJson(contact);
        document["history"] = nlohmann::json::array();
        for (const auto& entry : history) document["history"].push_back(app::ToJson(entry));
        out.Json(document);
        return base::Status::Ok();
      }
      auto shown = [](const std::string& s) { return base::Printable(s, 300); };
      out.Line(fmt::format("Email:       {}", shown(contact.email)));
      out.Line(fmt::format("First name:  {}", shown(contact.first_name)));
      out.Line(fmt::format("Last name:   {}", shown(contact.last_name)));
      out.Line(fmt::format("Phone:       {}", shown(contact.phone)));
      for (const auto& [key, value] : contact.fields) {
        out.Line(fmt::format("%{}%:{}{}", key,
                             std::string(key.size() < 9 ? 9 - key.size() : 1, ' '), shown(value)));
      }
      out.Line(fmt::format("Bounced:     {}", contact.bounced ? "yes" : "no"));
      out.Line(fmt::format("Created:     {}", contact.created_at));
      out.Line(fmt::format("Updated:     {}", contact.updated_at));
      if (!contact.subscriptions.empty()) {
        out.Line("");
        std::vector<std::vector<std::string>> rows;
        for (const auto& s : contact.subscriptions) {
          rows.push_back({s.list_name, std::string(model::SubscriptionStatusName(s.status)),
                          s.changed_at, std::string(model::CauseKindName(s.cause.kind))});
        }
        out.Table({"LIST", "STATUS", "SINCE", "BY"}, rows);
      }
      if (!history.empty()) {
        out.Line("");
        std::vector<std::vector<std::string>> rows;
        auto name = [](const std::optional<model::SubscriptionStatus>& s) {
          return s ? std::string(model::SubscriptionStatusName(*s)) : std::string("-");
        };
        for (const auto& entry : history) {
          std::string by(model::CauseKindName(entry.cause.kind));
          if (!entry.cause.detail.empty()) by += ": " + entry.cause.detail;
          rows.push_back({entry.at, entry.list_name, name(entry.from), name(entry.to), by});
        }
        out.Table({"WHEN", "LIST", "FROM", "TO", "CAUSE"}, rows);
      }
      return base::Status::Ok();
    };
  });
}

// rm, unsubscribe and bounce share a shape: one address, one store call.
void AddSimple(
    CLI::App& group, CommandContext& ctx, const std::string& name, const std::string& help,
    bool needs_list,
    std::function<base::Status(store::ContactStore&, const std::string&, const std::string&)> call,
    std::string done_format) {
  auto* cmd = group.add_subcommand(name, help);
  auto email = std::make_shared<std::string>();
  auto list = std::make_shared<std::string>();
  cmd->add_option("email", *email, "Email address (any case)")->required();
  if (needs_list) cmd->add_option("--list", *list, "The list")->required();
  cmd->callback([&ctx, email, list, call, done_format, name] {
    ctx.action = [&ctx, email, list, call, done_format, name]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(call(*store, *email, *list));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"email", *email}, {"done", name}});
      } else {
        out.Line(fmt::format(fmt::runtime(done_format), base::Printable(*email, 254),
                             base::Printable(*list, 255)));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddContactCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("contact", "Manage contacts and their subscriptions");
  group->require_subcommand(1);
  AddAdd(*group, ctx);
  AddResubscribe(*group, ctx);
  AddLs(*group, ctx);
  AddShow(*group, ctx);
  AddSimple(
      *group, ctx, "rm", "Delete a contact with its subscriptions and history", false,
      [](store::ContactStore& store, const std::string& email, const std::string&) {
        return store.DeleteContact(email);
      },
      "Deleted contact {}.");
  AddSimple(
      *group, ctx, "unsubscribe", "Unsubscribe a contact from a list", true,
      [](store::ContactStore& store, const std::string& email, const std::string& list) {
        return store.Unsubscribe(email, list, CliCause());
      },
      "Unsubscribed {} from list '{}'.");
  AddSimple(
      *group, ctx, "bounce", "Mark a contact's address as hard-bounced (stops all mail to it)",
      false,
      [](store::ContactStore& store, const std::string& email, const std::string&) {
        return store.MarkBounced(email, {model::CauseKind::kCli, "marked bounced by operator"});
      },
      "Marked {} as bounced.");
}

}  // namespace contactsync::cli
