#pragma once

// Run reports outside the engine: the failures as CSV (docs/spec.md §4 "Failures can
// be downloaded as CSV").
//
// Thread safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "store/sync_store.h"

namespace contactsync::sync {

// One CSV cell (RFC 4180): quoted when it holds ',', '"', CR or LF (quotes
// doubled). A cell starting with '=', '+', '-', '@', TAB or CR gets a leading
// "'" so that a spreadsheet shows it as text instead of running it as a
// formula (CSV injection).
std::string CsvCell(std::string_view text);

// "row,email,reason,message" and one line per failure, CRLF line ends.
std::string FailuresCsv(const std::vector<store::RunFailure>& failures);

}  // namespace contactsync::sync
