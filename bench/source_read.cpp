// source_read: times one whole read of the benchmark table through contactsync's source layer
// (OpenSource -> SourceConnector::OpenReader -> RowReader::ReadBatch), the path a sync takes,
// and prints one JSON line:
//
//   {"source":"mysql","rows":100000,"bytes":...,"checksum":...,"connect_s":...,"read_s":...,
//    "seconds":...,"rows_per_s":...,"batches":...,"peak_rss_kib":...}
//
// `seconds` covers connecting and reading, like the raw client it is compared with; `read_s`
// only the OpenReader + ReadBatch loop. `peak_rss_kib` is the process's peak resident set
// (getrusage ru_maxrss): the streaming contract says it stays flat whatever the table size.
//
//   source_read --type mysql|postgresql|sqlite [--host H] [--port P] [--user U]
//               [--password-env VAR] --database DB [--query SQL | --table T] [--tls MODE]
//               [--max-rows N] [--max-bytes N]
//
// --query is the SELECT to read; bench/run.sh passes the sync's own (from the report of
// `contactsync sync test`), so that this read, the raw client's and the sync's select the same
// columns. Without it, `SELECT * FROM T` (default T: bench_contacts).
//
// The password is read from the environment variable named by --password-env, never from the
// command line. Google Benchmark is not used: it repeats short functions, whereas this times
// one long read per process, as a sync would do it.

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/settings.h"
#include "source/source.h"
#include "source/value.h"

namespace {

namespace source = contactsync::source;

struct Flags {
  source::ConnectionSettings settings;
  std::string table = "bench_contacts";
  std::string query;  // empty: every column of `table`
  source::ReadOptions read_options;
};

[[noreturn]] void Fail(std::string_view message) {
  std::fprintf(stderr, "source_read: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(1);
}

[[noreturn]] void Usage(std::string_view message) {
  std::fprintf(stderr,
               "source_read: %.*s\n"
               "usage: source_read --type mysql|postgresql|sqlite [--host H] [--port P] "
               "[--user U] [--password-env VAR] --database DB [--query SQL | --table T] "
               "[--tls MODE] "
               "[--max-rows N] [--max-bytes N]\n",
               static_cast<int>(message.size()), message.data());
  std::exit(2);
}

size_t ParseSize(const char* text, std::string_view flag) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') Usage(std::string(flag) + " needs a whole number");
  return static_cast<size_t>(value);
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  // Loopback benchmark servers have no TLS; the raw clients are run without it too.
  flags.settings.tls_mode = source::TlsMode::kDisable;
  bool have_type = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) Usage(std::string(flag) + " needs a value");
    const char* value = argv[++i];
    if (flag == "--type") {
      auto type = source::ParseSourceType(value);
      if (!type.ok()) Usage(type.status().message());
      flags.settings.type = type.value();
      have_type = true;
    } else if (flag == "--host") {
      flags.settings.host = value;
    } else if (flag == "--port") {
      flags.settings.port = static_cast<int>(ParseSize(value, flag));
    } else if (flag == "--user") {
      flags.settings.user = value;
    } else if (flag == "--password-env") {
      const char* password = std::getenv(value);
      if (password == nullptr) Usage(std::string("environment variable ") + value + " is unset");
      flags.settings.password = password;
    } else if (flag == "--database") {
      flags.settings.database = value;
    } else if (flag == "--table") {
      flags.table = value;
    } else if (flag == "--query") {
      flags.query = value;
    } else if (flag == "--tls") {
      auto mode = source::ParseTlsMode(value);
      if (!mode.ok()) Usage(mode.status().message());
      flags.settings.tls_mode = mode.value();
    } else if (flag == "--max-rows") {
      flags.read_options.max_rows = ParseSize(value, flag);
    } else if (flag == "--max-bytes") {
      flags.read_options.max_bytes = ParseSize(value, flag);
    } else {
      Usage(std::string("unknown flag ") + std::string(flag));
    }
  }
  if (!have_type) Usage("--type is required");
  if (const auto valid = source::Validate(flags.settings); !valid.ok()) Usage(valid.message());
  return flags;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Touches every cell (its state, size, first and last byte) so that nothing is optimised away
// and two reads of the same table can be compared, while costing next to nothing: the figure is
// the source layer's, not the digest's. (Hashing every byte cost 7-15% of a read in a profile.)
// Order-independent (a sum), because the databases may return rows in any order; the MySQL and
// PostgreSQL drivers give the same checksum for the same table, since both render the same text.
struct Digest {
  uint64_t hash = 0;
  uint64_t bytes = 0;

  void Add(const source::Value& value) {
    const std::string& cell = value.bytes();
    uint64_t mix = cell.size() * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(value.state());
    if (!cell.empty()) {
      mix ^= (static_cast<uint64_t>(static_cast<unsigned char>(cell.front())) << 8) |
             static_cast<unsigned char>(cell.back());
    }
    hash += mix * 0xBF58476D1CE4E5B9ULL;
    bytes += cell.size();
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const auto start = std::chrono::steady_clock::now();

  auto connector = source::OpenSource(flags.settings);
  if (!connector.ok()) Fail(connector.status().message());
  const double connect_s = SecondsSince(start);

  const auto read_start = std::chrono::steady_clock::now();
  const std::string sql = flags.query.empty() ? "SELECT * FROM " + flags.table : flags.query;
  auto reader = connector.value()->OpenReader(sql, {}, flags.read_options);
  if (!reader.ok()) Fail(reader.status().message());

  source::Batch batch;
  Digest digest;
  uint64_t rows = 0;
  uint64_t batches = 0;
  for (;;) {
    auto state = reader.value()->ReadBatch(batch);
    if (!state.ok()) Fail(state.status().message());
    ++batches;
    for (const source::Row& row : batch.rows) {
      for (const source::Value& value : row) digest.Add(value);
    }
    rows += batch.rows.size();
    if (state.value() == source::ReadState::kFinished) break;
  }
  reader.value().reset();
  const double read_s = SecondsSince(read_start);
  const double seconds = SecondsSince(start);

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"source\":\"%s\",\"rows\":%llu,\"bytes\":%llu,\"checksum\":\"%016llx\","
      "\"connect_s\":%.6f,\"read_s\":%.6f,\"seconds\":%.6f,\"rows_per_s\":%.0f,"
      "\"batches\":%llu,\"peak_rss_kib\":%ld}\n",
      std::string(source::SourceTypeName(flags.settings.type)).c_str(),
      static_cast<unsigned long long>(rows), static_cast<unsigned long long>(digest.bytes),
      static_cast<unsigned long long>(digest.hash), connect_s, read_s, seconds,
      seconds > 0 ? static_cast<double>(rows) / seconds : 0.0,
      static_cast<unsigned long long>(batches), usage.ru_maxrss);
  return 0;
}
