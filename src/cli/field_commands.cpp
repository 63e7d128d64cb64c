// `contactsync field create|ls|rm`.

#include <fmt/format.h>

#include "app/json_codec.h"
#include "base/text.h"
#include "cli/command_context.h"

namespace contactsync::cli {
namespace {

const std::vector<std::string> kTypeNames{"text",     "textarea", "number",   "date",  "datetime",
                                          "dropdown", "radio",    "checkbox", "hidden"};

void AddCreate(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("create", "Create a custom field (its key is its %TAG%)");
  struct Args {
    std::string key, label, type = "text";
    std::vector<std::string> options;
    bool required = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("key", args->key, "Key, e.g. CITY (used as %CITY%)")->required();
  cmd->add_option("--label", args->label, "Label shown in forms (default: the key)");
  cmd->add_option("--type", args->type, "Field type")
      ->check(CLI::IsMember(kTypeNames))
      ->capture_default_str();
  cmd->add_option("--option", args->options, "A choice (dropdown, radio, checkbox); repeat");
  cmd->add_flag("--required", args->required, "Every contact must have a value");
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> base::Status {
      CS_ASSIGN_OR_RETURN(model::FieldType type, model::ParseFieldType(args->type));
      model::FieldDefinition definition{args->key, args->label.empty() ? args->key : args->label,
                                        type, args->options, args->required};
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(store::CustomField field, store->CreateField(definition));
      Output out = ctx.out();
      if (out.json()) {
        out.Json(app::ToJson(field));
      } else {
        out.Line(fmt::format("Created field {} (%{}%, {}{}).", field.definition.key,
                             field.definition.key, model::FieldTypeName(field.definition.type),
                             field.definition.required ? ", required" : ""));
      }
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show all custom fields");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(std::vector<store::CustomField> fields, store->GetFields());
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& field : fields) array.push_back(app::ToJson(field));
        out.Json(array);
        return base::Status::Ok();
      }
      if (fields.empty()) {
        out.Line("No custom fields yet. Create one with: contactsync field create KEY --type TYPE");
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& field : fields) {
        const model::FieldDefinition& d = field.definition;
        std::string options;
        for (const auto& option : d.options) options += (options.empty() ? "" : ", ") + option;
        rows.push_back({"%" + d.key + "%", d.label, std::string(model::FieldTypeName(d.type)),
                        d.required ? "yes" : "no", options.empty() ? "-" : options});
      }
      out.Table({"TAG", "LABEL", "TYPE", "REQUIRED", "OPTIONS"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("rm", "Delete a custom field and every contact's value for it");
  auto key = std::make_shared<std::string>();
  cmd->add_option("key", *key, "Field key")->required();
  cmd->callback([&ctx, key] {
    ctx.action = [&ctx, key]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->DeleteField(*key));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *key}});
      } else {
        out.Line(fmt::format("Deleted field {}.", base::Printable(*key)));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddFieldCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("field", "Manage custom fields");
  group->require_subcommand(1);
  AddCreate(*group, ctx);
  AddLs(*group, ctx);
  AddRm(*group, ctx);
}

}  // namespace contactsync::cli
