#pragma once

// A sync definition (docs/spec.md §3) and its JSON form.
//
//   {"name": "Shop customers", "connection": "shop", "list": "Newsletter",
//    "status": "active", "send_autoresponders": true,
//    "source": {"table": "customers"}            // or {"query": "SELECT ..."},
//                                                // optional "schema" with "table"
//    "mapping": {"email": "email", "fname": "first_name", "town": "%CITY%"},
//    "rules": {"match": "all", "conditions": [
//        {"column": "username", "op": "not_equals", "value": "test"},
//        {"column": "country", "op": "in", "values": ["DE", "AT"]},
//        {"column": "phone", "op": "is_not_empty"}]},
//    "update_existing": true, "delete_not_affected": false, "max_delete_fraction": 0.5}
//
// name, connection, list, source and mapping are required; the rest default
// as shown (send_autoresponders defaults to false, rules to none). Unknown
// keys are refused so that a typo ("update_exisiting") is not silently
// ignored. Parse errors name the JSON path: "$.rules.conditions[1].op:
// unknown operator 'like' ...". DefinitionToJson writes every key, in the
// order above, so that `sync show --json` round-trips through ParseDefinition.
//
// Thread safety: plain values and pure functions.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "mapping/mapping.h"
#include "query/dialect.h"
#include "query/rules.h"
#include "query/select_builder.h"
#include "source/settings.h"
#include "store/sync_store.h"

namespace contactsync::sync {

struct SourceSpec {
  std::string schema;  // with `table` only; empty: the connection's default
  std::string table;   // exactly one of table and query is non-empty
  std::string query;

  bool operator==(const SourceSpec&) const = default;
};

struct SyncDefinition {
  std::string name;
  std::string connection;  // a saved connection's name
  std::string list;        // the list contacts are synced into
  store::SyncEntryStatus status = store::SyncEntryStatus::kActive;
  bool send_autoresponders = false;
  SourceSpec source;
  mapping::Mapping mapping;
  query::RuleSet rules;
  bool update_existing = true;
  bool delete_not_affected = false;
  double max_delete_fraction = 0.5;  // 0..1

  bool operator==(const SyncDefinition&) const = default;
};

// "active", "unconfirmed", "unsubscribed", "excluded".
std::string_view EntryStatusName(store::SyncEntryStatus status);
base::Result<store::SyncEntryStatus> ParseEntryStatus(std::string_view name);

// The definition in `json_text`, or InvalidArgument naming the JSON path and
// the problem (syntax errors name the byte offset).
base::Result<SyncDefinition> ParseDefinition(std::string_view json_text);
base::Result<SyncDefinition> DefinitionFromJson(const nlohmann::ordered_json& json);

nlohmann::ordered_json DefinitionToJson(const SyncDefinition& definition);
// DefinitionToJson as compact text (what the store keeps).
std::string SerializeDefinition(const SyncDefinition& definition);

// The query dialect of a connection type.
query::Dialect DialectFor(source::SourceType type);

// The select source of the definition, as the query builder takes it.
query::SelectSource SelectSourceOf(const SyncDefinition& definition);

}  // namespace contactsync::sync
