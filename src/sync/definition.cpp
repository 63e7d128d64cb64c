#include "sync/definition.h"

#include <cmath>

#include <fmt/format.h>

#include "base/text.h"

namespace contactsync::sync {
namespace {

using Json = nlohmann::ordered_json;

base::Status PathError(std::string_view path, std::string_view problem) {
  return base::InvalidArgument(fmt::format("{}: {}", path, problem));
}

std::string_view TypeName(const Json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

base::Status CheckKeys(const Json& object, std::string_view path,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string names;
      for (std::string_view name : allowed) {
        if (!names.empty()) names += ", ";
        names += name;
      }
      return PathError(fmt::format("{}.{}", path, base::Printable(key)),
                       fmt::format("unknown key; expected one of: {}", names));
    }
  }
  return base::Status::Ok();
}

base::Result<std::string> GetString(const Json& object, std::string_view path, std::string_view key,
                                    bool required) {
  const std::string at = fmt::format("{}.{}", path, key);
  const auto it = object.find(std::string(key));
  if (it == object.end()) {
    if (required) return PathError(at, "is required");
    return std::string();
  }
  if (!it->is_string()) {
    return PathError(at, fmt::format("must be a string, not {}", TypeName(*it)));
  }
  std::string value = it->get<std::string>();
  if (required && base::TrimAscii(value).empty()) return PathError(at, "must not be blank");
  return value;
}

base::Result<bool> GetBool(const Json& object, std::string_view path, std::string_view key,
                           bool fallback) {
  const auto it = object.find(std::string(key));
  if (it == object.end()) return fallback;
  if (!it->is_boolean()) {
    return PathError(fmt::format("{}.{}", path, key),
                     fmt::format("must be true or false, not {}", TypeName(*it)));
  }
  return it->get<bool>();
}

// Rule values are text; numbers are accepted and written as JSON prints them.
base::Result<std::string> RuleValue(const Json& value, std::string_view path) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return PathError(path, fmt::format("must be a string or a number, not {}", TypeName(value)));
}

base::Result<query::RuleSet> ParseRules(const Json& json) {
  constexpr std::string_view kPath = "$.rules";
  query::RuleSet rules;
  if (json.is_null()) return rules;
  if (!json.is_object()) return PathError(kPath, "must be an object with match and conditions");
  CS_RETURN_IF_ERROR(CheckKeys(json, kPath, {"match", "conditions"}));
  CS_ASSIGN_OR_RETURN(const std::string match, GetString(json, kPath, "match", false));
  if (!match.empty()) {
    base::Result<query::Match> parsed = query::ParseMatch(match);
    if (!parsed.ok()) return PathError("$.rules.match", "must be \"all\" or \"any\"");
    rules.match = *parsed;
  }
  const auto conditions = json.find("conditions");
  if (conditions == json.end() || conditions->is_null()) return rules;
  if (!conditions->is_array()) return PathError("$.rules.conditions", "must be an array");
  for (size_t i = 0; i < conditions->size(); ++i) {
    const Json& condition = (*conditions)[i];
    const std::string path = fmt::format("$.rules.conditions[{}]", i);
    if (!condition.is_object()) return PathError(path, "must be an object");
    CS_RETURN_IF_ERROR(CheckKeys(condition, path, {"column", "op", "value", "values"}));
    query::Rule rule;
    CS_ASSIGN_OR_RETURN(rule.column, GetString(condition, path, "column", true));
    CS_ASSIGN_OR_RETURN(const std::string op, GetString(condition, path, "op", true));
    base::Result<query::RuleOp> parsed = query::ParseRuleOp(op);
    if (!parsed.ok()) return PathError(path + ".op", parsed.status().message());
    rule.op = *parsed;
    const bool no_value =
        rule.op == query::RuleOp::kIsEmpty || rule.op == query::RuleOp::kIsNotEmpty;
    const bool list = rule.op == query::RuleOp::kIn;
    const auto value = condition.find("value");
    const auto values = condition.find("values");
    if (no_value) {
      if (value != condition.end() || values != condition.end()) {
        return PathError(path, fmt::format("operator {} takes no value", op));
      }
    } else if (list) {
      if (value != condition.end()) return PathError(path, "operator in takes \"values\": [...]");
      if (values == condition.end() || !values->is_array() || values->empty()) {
        return PathError(path + ".values", "must be a non-empty array");
      }
      for (size_t j = 0; j < values->size(); ++j) {
        CS_ASSIGN_OR_RETURN(std::string v,
                            RuleValue((*values)[j], fmt::format("{}.values[{}]", path, j)));
        rule.values.push_back(std::move(v));
      }
    } else {
      if (values != condition.end()) {
        return PathError(path, fmt::format("operator {} takes one \"value\"", op));
      }
      if (value == condition.end()) return PathError(path + ".value", "is required");
      CS_ASSIGN_OR_RETURN(std::string v, RuleValue(*value, path + ".value"));
      rule.values.push_back(std::move(v));
    }
    rules.rules.push_back(std::move(rule));
  }
  base::Status shapes = query::ValidateRuleShapes(rules);
  if (!shapes.ok()) return PathError(kPath, shapes.message());
  return rules;
}

}  // namespace

std::string_view EntryStatusName(store::SyncEntryStatus status) {
  switch (status) {
    case store::SyncEntryStatus::kActive:
      return "active";
    case store::SyncEntryStatus::kUnconfirmed:
      return "unconfirmed";
    case store::SyncEntryStatus::kUnsubscribed:
      return "unsubscribed";
    case store::SyncEntryStatus::kExcluded:
      return "excluded";
  }
  return "active";
}

base::Result<store::SyncEntryStatus> ParseEntryStatus(std::string_view name) {
  for (auto status : {store::SyncEntryStatus::kActive, store::SyncEntryStatus::kUnconfirmed,
                      store::SyncEntryStatus::kUnsubscribed, store::SyncEntryStatus::kExcluded}) {
    if (EntryStatusName(status) == name) return status;
  }
  return base::InvalidArgument(
      fmt::format("unknown status '{}'; expected active, unconfirmed, unsubscribed or excluded",
                  base::Printable(name)));
}

base::Result<SyncDefinition> ParseDefinition(std::string_view json_text) {
  Json json;
  try {
    json = Json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return base::InvalidArgument(
        fmt::format("the sync definition is not valid JSON (at byte {})", e.byte));
  }
  return DefinitionFromJson(json);
}

base::Result<SyncDefinition> DefinitionFromJson(const Json& json) {
  if (!json.is_object()) return PathError("$", "a sync definition must be a JSON object");
  CS_RETURN_IF_ERROR(
      CheckKeys(json, "$",
                {"name", "connection", "list", "status", "send_autoresponders", "source", "mapping",
                 "rules", "update_existing", "delete_not_affected", "max_delete_fraction"}));
  SyncDefinition d;
  CS_ASSIGN_OR_RETURN(d.name, GetString(json, "$", "name", true));
  d.name = std::string(base::TrimAscii(d.name));
  CS_ASSIGN_OR_RETURN(d.connection, GetString(json, "$", "connection", true));
  CS_ASSIGN_OR_RETURN(d.list, GetString(json, "$", "list", true));
  CS_ASSIGN_OR_RETURN(const std::string status, GetString(json, "$", "status", false));
  if (!status.empty()) {
    base::Result<store::SyncEntryStatus> parsed = ParseEntryStatus(status);
    if (!parsed.ok()) return PathError("$.status", parsed.status().message());
    d.status = *parsed;
  }
  CS_ASSIGN_OR_RETURN(d.send_autoresponders, GetBool(json, "$", "send_autoresponders", false));
  CS_ASSIGN_OR_RETURN(d.update_existing, GetBool(json, "$", "update_existing", true));
  CS_ASSIGN_OR_RETURN(d.delete_not_affected, GetBool(json, "$", "delete_not_affected", false));
  if (const auto fraction = json.find("max_delete_fraction"); fraction != json.end()) {
    if (!fraction->is_number()) {
      return PathError("$.max_delete_fraction", "must be a number between 0 and 1");
    }
    d.max_delete_fraction = fraction->get<double>();
    if (!std::isfinite(d.max_delete_fraction) || d.max_delete_fraction < 0 ||
        d.max_delete_fraction > 1) {
      return PathError("$.max_delete_fraction", "must be a number between 0 and 1");
    }
  }

  const auto source = json.find("source");
  if (source == json.end()) return PathError("$.source", "is required");
  if (!source->is_object()) {
    return PathError("$.source", "must be {\"table\": NAME} or {\"query\": \"SELECT ...\"}");
  }
  CS_RETURN_IF_ERROR(CheckKeys(*source, "$.source", {"table", "query", "schema"}));
  CS_ASSIGN_OR_RETURN(d.source.table, GetString(*source, "$.source", "table", false));
  CS_ASSIGN_OR_RETURN(d.source.query, GetString(*source, "$.source", "query", false));
  CS_ASSIGN_OR_RETURN(d.source.schema, GetString(*source, "$.source", "schema", false));
  const bool table = !base::TrimAscii(d.source.table).empty();
  const bool query = !base::TrimAscii(d.source.query).empty();
  if (table == query) return PathError("$.source", "give exactly one of \"table\" and \"query\"");
  if (query && !d.source.schema.empty()) {
    return PathError("$.source.schema", "goes with \"table\" only; name it inside the query");
  }

  const auto mapping = json.find("mapping");
  if (mapping == json.end()) return PathError("$.mapping", "is required");
  if (!mapping->is_object() || mapping->empty()) {
    return PathError("$.mapping", "must be an object of source column -> field");
  }
  for (const auto& [column, target] : mapping->items()) {
    const std::string path = fmt::format("$.mapping.{}", base::Printable(column));
    if (!target.is_string()) return PathError(path, "must be a string naming a field");
    base::Result<mapping::Target> parsed = mapping::ParseTarget(target.get<std::string>());
    if (!parsed.ok()) return PathError(path, parsed.status().message());
    d.mapping.push_back({column, *parsed});
  }
  if (const auto rules = json.find("rules"); rules != json.end()) {
    CS_ASSIGN_OR_RETURN(d.rules, ParseRules(*rules));
  }
  return d;
}

Json DefinitionToJson(const SyncDefinition& d) {
  Json json = Json::object();
  json["name"] = d.name;
  json["connection"] = d.connection;
  json["list"] = d.list;
  json["status"] = std::string(EntryStatusName(d.status));
  json["send_autoresponders"] = d.send_autoresponders;
  Json source = Json::object();
  if (!d.source.query.empty()) {
    source["query"] = d.source.query;
  } else {
    if (!d.source.schema.empty()) source["schema"] = d.source.schema;
    source["table"] = d.source.table;
  }
  json["source"] = source;
  Json mapping = Json::object();
  for (const auto& entry : d.mapping) mapping[entry.column] = mapping::TargetName(entry.target);
  json["mapping"] = mapping;
  Json conditions = Json::array();
  for (const query::Rule& rule : d.rules.rules) {
    Json condition = Json::object();
    condition["column"] = rule.column;
    condition["op"] = std::string(query::RuleOpName(rule.op));
    if (rule.op == query::RuleOp::kIn) {
      condition["values"] = rule.values;
    } else if (!rule.values.empty()) {
      condition["value"] = rule.values.front();
    }
    conditions.push_back(condition);
  }
  json["rules"] =
      Json{{"match", std::string(query::MatchName(d.rules.match))}, {"conditions", conditions}};
  json["update_existing"] = d.update_existing;
  json["delete_not_affected"] = d.delete_not_affected;
  json["max_delete_fraction"] = d.max_delete_fraction;
  return json;
}

std::string SerializeDefinition(const SyncDefinition& definition) {
  return DefinitionToJson(definition)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

query::Dialect DialectFor(source::SourceType type) {
  switch (type) {
    case source::SourceType::kMySql:
      return query::Dialect::kMySql;
    case source::SourceType::kPostgreSql:
      return query::Dialect::kPostgreSql;
    case source::SourceType::kSqlite:
      return query::Dialect::kSqlite;
  }
  return query::Dialect::kSqlite;
}

query::SelectSource SelectSourceOf(const SyncDefinition& definition) {
  if (!definition.source.query.empty()) return query::CustomQuerySource{definition.source.query};
  return query::TableSource{definition.source.schema, definition.source.table};
}

}  // namespace contactsync::sync
