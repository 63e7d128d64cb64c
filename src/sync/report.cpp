#include "sync/report.h"

namespace contactsync::sync {

std::string CsvCell(std::string_view text) {
  std::string cell;
  if (!text.empty() && (text.front() == '=' || text.front() == '+' || text.front() == '-' ||
                        text.front() == '@' || text.front() == '\t' || text.front() == '\r')) {
    cell += '\'';
  }
  cell.append(text);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string FailuresCsv(const std::vector<store::RunFailure>& failures) {
  std::string csv = "row,email,reason,message\r\n";
  for (const store::RunFailure& failure : failures) {
    csv += std::to_string(failure.row_number);
    csv += ',';
    csv += CsvCell(failure.email);
    csv += ',';
    csv += CsvCell(failure.reason);
    csv += ',';
    csv += CsvCell(failure.message);
    csv += "\r\n";
  }
  return csv;
}

}  // namespace contactsync::sync
