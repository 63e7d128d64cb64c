#pragma once

// The checks a sync definition must pass when it is saved, tested or run
// (issue 4, "Checks when a sync is saved"), against the live source and the
// store, and the query they produce.
//
// Thread safety: as the connector and store passed in (one thread).

#include <vector>

#include "base/status.h"
#include "model/custom_field.h"
#include "query/select_builder.h"
#include "source/source.h"
#include "store/contact_store.h"
#include "sync/definition.h"

namespace contactsync::sync {

// What the checks learned, ready for a run.
struct Plan {
  query::BuiltQuery query;                     // the one SELECT a run executes
  std::vector<source::ColumnInfo> columns;     // every column of the table or custom query
  std::vector<model::FieldDefinition> fields;  // the store's custom fields
  int64_t sync_id = 0;                         // 0 when the definition is not saved yet
};

// OK with the Plan when: the list exists; the connection answers
// (SourceConnector::Check); the table exists (or the custom query passes
// query::CheckCustomQuery and can be described - it is not run); the mapping
// passes mapping::CheckMapping against the real columns and the store's
// fields; the rules pass query::ValidateRules; the query builds. Otherwise the
// first problem, its message prefixed with what it concerns ("list: ...",
// "connection 'shop': ...", "source: ...", "mapping: ...", "rules: ...") and
// its code kept (kNotFound, kBadQuery, kInvalidArgument, connection errors).
base::Result<Plan> CheckDefinition(const SyncDefinition& definition, source::SourceType type,
                                   source::SourceConnector& source, store::ContactStore& store);

}  // namespace contactsync::sync
