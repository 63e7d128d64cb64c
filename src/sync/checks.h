#pragma once

// The checks a sync definition must pass when it is saved, tested or run
// (issue 4, "Checks when a sync is saved"), against the live source and the
// store, and the query they produce.
//
// Thread safety: as the connector and store passed in (one thread).

#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/custom_field.h"
#include "query/custom_query_check.h"
#include "query/select_builder.h"
#include "source/settings.h"
#include "source/source.h"
#include "store/list_store.h"
#include "store/sync_store.h"
#include "sync/definition.h"

namespace contactsync::sync {

// What the checks learned, ready for a run.
struct Plan {
  query::BuiltQuery query;                     // the one SELECT a run executes
  std::vector<source::ColumnInfo> columns;     // every column of the table or custom query
  std::vector<model::FieldDefinition> fields;  // the store's custom fields
  int64_t sync_id = 0;                         // 0 when the definition is not saved yet
};

// The one gate before any custom query is checked, described or run: OK
// unless the account behind `connection` can write or is privileged
// (`info`, from SourceConnector::Check) and the connection does not allow
// custom queries on such an account. A table sync with rules needs no gate:
// contactsync builds its SQL itself. kPermissionDenied otherwise, one line
// naming the connection, what the account can do and the two ways out.
base::Status CheckCustomQueryAllowed(std::string_view connection_name,
                                     const source::ConnectionSettings& connection,
                                     const source::SourceInfo& info);

// What the custom-query checker is given for `connection`: the user
// functions its owner allowed.
query::CustomQueryPolicy PolicyOf(const source::ConnectionSettings& connection);

// OK with the Plan when: the list exists; the connection answers
// (SourceConnector::Check); the table exists (or the custom query passes
// CheckCustomQueryAllowed and query::CheckCustomQuery with the connection's
// policy, and can be described - it is not run); the mapping
// passes mapping::CheckMapping against the real columns and the store's
// fields; the rules pass query::ValidateRules; the query builds. Otherwise the
// first problem, its message prefixed with what it concerns ("list: ...",
// "connection 'shop': ...", "source: ...", "mapping: ...", "rules: ...") and
// its code kept (kNotFound, kBadQuery, kInvalidArgument, kPermissionDenied,
// connection errors). `connection` is the saved connection's settings (its
// type and custom-query policy are used; the password is not).
base::Result<Plan> CheckDefinition(const SyncDefinition& definition,
                                   const source::ConnectionSettings& connection,
                                   source::SourceConnector& source, store::ListStore& lists,
                                   store::SyncStore& syncs);

}  // namespace contactsync::sync
