// Micro-benchmarks of what a sync does to every row (Google Benchmark): email validation and
// custom-field value normalisation over a realistic mix of inputs (mostly valid, some blank,
// invalid, mixed case or oddly formatted, as in bench/'s generated tables); the mapping and
// validation of a whole batch (mapping::RowMapper); and the SQLite batch writer
// (store::SyncBatchWriter) adding, re-checking unchanged and testing a batch of 1,000 contacts.
//
//   build/bench/bench/micro_bench [--benchmark_min_time=0.2]

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "mapping/mapping.h"
#include "model/custom_field.h"
#include "model/email.h"
#include "source/value.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace {

namespace model = contactsync::model;
namespace mapping = contactsync::mapping;
namespace source = contactsync::source;
namespace store = contactsync::store;

template <typename T>
T OrDie(contactsync::base::Result<T> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "micro_bench: %s\n", result.status().message().c_str());
    std::abort();
  }
  return std::move(result).value();
}

void OrDie(const contactsync::base::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "micro_bench: %s\n", status.message().c_str());
    std::abort();
  }
}

// About the proportions of bench/generate_contacts: mostly valid lower-case addresses, about 5%
// mixed case, 1% blank, 1% invalid of several kinds, one internationalised address.
std::vector<std::string> EmailMix() {
  std::vector<std::string> mix;
  const std::array<std::string_view, 8> domains = {
      "example.com", "example.org",  "mail.example.net", "example.co.uk",
      "example.de",  "corp.example", "example.io",       "xn--bcher-kva.example"};
  for (int i = 0; i < 100; ++i) {
    std::string email = "firstname.lastname" + std::to_string(10000 + i * 7919) + "@";
    email += domains[static_cast<size_t>(i) % domains.size()];
    mix.push_back(std::move(email));
  }
  for (int i = 0; i < 5; ++i)
    mix[static_cast<size_t>(i) * 19] = "Ann.Smith" + std::to_string(i) + "@Example.COM";
  mix[7] = "";
  mix[42] = "ann@@example.com";
  mix[63] = "josé@example.com";
  mix[88] = "  padded@example.com ";
  return mix;
}

void BM_ValidateEmail(benchmark::State& state) {
  const std::vector<std::string> mix = EmailMix();
  size_t valid = 0;
  for (auto _ : state) {
    for (const std::string& email : mix) {
      auto result = model::ValidateEmail(email);
      valid += result.ok() ? 1 : 0;
      benchmark::DoNotOptimize(result);
    }
  }
  benchmark::DoNotOptimize(valid);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(mix.size()));
}
BENCHMARK(BM_ValidateEmail);

void BM_ValidateEmailAndKey(benchmark::State& state) {
  const std::vector<std::string> mix = EmailMix();
  for (auto _ : state) {
    for (const std::string& email : mix) {
      auto result = model::ValidateEmail(email);
      if (result.ok()) {
        std::string key = model::EmailKey(result.value());
        benchmark::DoNotOptimize(key);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(mix.size()));
}
BENCHMARK(BM_ValidateEmailAndKey);

// A field definition that must be valid; a benchmark of an invalid one would measure nothing.
model::FieldDefinition Field(std::string key, model::FieldType type,
                             std::vector<std::string> options = {}) {
  auto field =
      model::ValidateFieldDefinition({std::move(key), "Label", type, std::move(options), false});
  if (!field.ok()) {
    std::fprintf(stderr, "micro_bench: %s\n", field.status().message().c_str());
    std::abort();
  }
  return field.value();
}

struct FieldCase {
  model::FieldDefinition field;
  std::vector<std::string> values;
};

// The three custom fields of the benchmark table (note: text, score: number, birthday: date),
// plus the other common types, each with typical and a few awkward values.
std::vector<FieldCase> FieldMix() {
  std::vector<FieldCase> cases;
  cases.push_back({Field("NOTE", model::FieldType::kText),
                   {"met at the trade fair", "prefers email; VIP customer", "", "früher Kunde",
                    "売上担当", "  asked for a quote  "}});
  cases.push_back({Field("SCORE", model::FieldType::kNumber),
                   {"731.25", "12.50", "0.07", "+42", " 990.00 ", "-3", "1e5", ""}});
  cases.push_back({Field("BIRTHDAY", model::FieldType::kDate),
                   {"1984-02-29", "1970-01-01", "2001-12-31", "1999-02-30", "", "1955-07-14"}});
  cases.push_back({Field("SEEN", model::FieldType::kDatetime),
                   {"2024-05-01 12:34:56", "2024-05-01T12:34:56Z", "2024-05-01 12:34",
                    "2024-05-01T12:34:56.123+02:00"}});
  cases.push_back({Field("PLAN", model::FieldType::kDropdown, {"Free", "Pro", "Enterprise"}),
                   {"pro", "Free", "ENTERPRISE", "Gold"}});
  cases.push_back({Field("TOPICS", model::FieldType::kCheckbox, {"News", "Offers", "Events"}),
                   {"events,news", "Offers", "", "news,news,offers"}});
  return cases;
}

// Every value of every case once per iteration; items = values normalised.
void BM_NormalizeFieldValue(benchmark::State& state) {
  const std::vector<FieldCase> cases = FieldMix();
  int64_t per_iteration = 0;
  for (const FieldCase& c : cases) per_iteration += static_cast<int64_t>(c.values.size());
  for (auto _ : state) {
    for (const FieldCase& c : cases) {
      for (const std::string& value : c.values) {
        auto result = model::NormalizeFieldValue(c.field, value);
        benchmark::DoNotOptimize(result);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * per_iteration);
}
BENCHMARK(BM_NormalizeFieldValue);

// One type at a time (arg = index into FieldMix), to see which rule costs most.
void BM_NormalizeFieldValueByType(benchmark::State& state) {
  const std::vector<FieldCase> cases = FieldMix();
  const FieldCase& c = cases[static_cast<size_t>(state.range(0))];
  state.SetLabel(std::string(model::FieldTypeName(c.field.type)));
  for (auto _ : state) {
    for (const std::string& value : c.values) {
      auto result = model::NormalizeFieldValue(c.field, value);
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.values.size()));
}
BENCHMARK(BM_NormalizeFieldValueByType)->DenseRange(0, 5);

// --- a batch: mapping and the store's batch writer ------------------------------------------

constexpr size_t kBatchRows = 1000;

// The benchmark sync's custom fields (bench/run.sh): city and note (text), score (number),
// birthday (date).
std::vector<model::FieldDefinition> SyncFields() {
  return {Field("CITY", model::FieldType::kText), Field("NOTE", model::FieldType::kText),
          Field("SCORE", model::FieldType::kNumber), Field("BIRTHDAY", model::FieldType::kDate)};
}

// Source rows like bench/generate_contacts': email (1% blank, 1% invalid, 5% mixed case),
// names, phone, city, note, score (5% NULL), birthday (20% NULL). `first` numbers the
// addresses, so that distinct `first` give distinct contacts.
source::Batch SourceBatch(size_t first, size_t rows) {
  static constexpr std::array<std::string_view, 6> kCities = {"Berlin", "São Paulo", "Zürich",
                                                              "Lyon",   "Kraków",    "Oslo"};
  source::Batch batch;
  for (size_t i = first; i < first + rows; ++i) {
    source::Row row;
    std::string email = "firstname.lastname" + std::to_string(i) + "@example.com";
    if (i % 100 == 7) email.clear();
    if (i % 100 == 42) email = "person" + std::to_string(i) + "@@example.com";
    if (i % 20 == 3) email[0] = 'F';
    row.push_back(source::Value::Text(std::move(email)));
    row.push_back(source::Value::Text(i % 2 ? "Anna" : "José"));
    row.push_back(source::Value::Text("Lastname" + std::to_string(i % 997)));
    row.push_back(source::Value::Text("+49 30 " + std::to_string(1000000 + i)));
    row.push_back(source::Value::Text(std::string(kCities[i % kCities.size()])));
    row.push_back(source::Value::Text("met at the trade fair " + std::to_string(i % 13)));
    row.push_back(i % 20 == 0 ? source::Value::Null()
                              : source::Value::Text(std::to_string(i % 1000) + ".25"));
    row.push_back(i % 5 == 0 ? source::Value::Null()
                             : source::Value::Text("19" + std::to_string(50 + i % 50) + "-0" +
                                                   std::to_string(1 + i % 9) + "-1" +
                                                   std::to_string(i % 10)));
    batch.rows.push_back(std::move(row));
  }
  return batch;
}

mapping::RowMapper SyncMapper() {
  const std::array<std::pair<std::string_view, std::string_view>, 8> pairs = {{
      {"email", "email"},
      {"first_name", "first_name"},
      {"last_name", "last_name"},
      {"phone", "phone"},
      {"city", "%CITY%"},
      {"note", "%NOTE%"},
      {"score", "%SCORE%"},
      {"birthday", "%BIRTHDAY%"},
  }};
  mapping::Mapping mapping;
  std::vector<source::ColumnInfo> columns;
  for (const auto& [column, target] : pairs) {
    mapping.push_back({std::string(column), OrDie(mapping::ParseTarget(target))});
    columns.push_back({std::string(column), "VARCHAR(255)", source::ValueKind::kText, true});
  }
  return OrDie(mapping::RowMapper::Create(mapping, columns, SyncFields()));
}

// What the engine's reader thread does to a batch: map and validate every row (items = rows).
void BM_MapBatch(benchmark::State& state) {
  const source::Batch batch = SourceBatch(0, kBatchRows);
  const mapping::RowMapper mapper = SyncMapper();
  mapping::MappedContact mapped;
  mapping::RowFailure failure;
  int64_t ok = 0;
  for (auto _ : state) {
    for (const source::Row& row : batch.rows) {
      ok += mapper.Map(row, mapped, failure) == mapping::RowMapper::Outcome::kOk ? 1 : 0;
    }
    benchmark::DoNotOptimize(mapped);
  }
  benchmark::DoNotOptimize(ok);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBatchRows));
}
BENCHMARK(BM_MapBatch);

// The mapped rows of SourceBatch(first, rows), as the engine hands them to the writer.
std::vector<store::SyncRow> SyncRows(size_t first, size_t rows) {
  const mapping::RowMapper mapper = SyncMapper();
  std::vector<store::SyncRow> out;
  mapping::MappedContact mapped;
  mapping::RowFailure failure;
  for (const source::Row& row : SourceBatch(first, rows).rows) {
    const auto outcome = mapper.Map(row, mapped, failure);
    if (outcome == mapping::RowMapper::Outcome::kFailedNoEmail) continue;
    store::SyncRow& sync_row = out.emplace_back();
    sync_row.failed = outcome != mapping::RowMapper::Outcome::kOk;
    sync_row.email = mapped.email;
    sync_row.email_key = mapped.email_key;
    sync_row.first_name = mapped.first_name;
    sync_row.last_name = mapped.last_name;
    sync_row.phone = mapped.phone;
    sync_row.fields = mapped.fields;
  }
  return out;
}

// A SQLite store in a fresh temporary directory with the benchmark's list, fields and sync.
class BenchStore {
 public:
  BenchStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cs-micro-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    store_ = OrDie(store::sqlite::SqliteStore::Open(dir_ + "/store.db", 5000, clock_));
    OrDie(store_->CreateList({"Bench", "", "", ""}).status());
    for (const model::FieldDefinition& field : SyncFields()) {
      OrDie(store_->CreateField(field).status());
    }
    sync_id_ = OrDie(store_->CreateSync("bench", "{}")).id;
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  BenchStore(const BenchStore&) = delete;
  BenchStore& operator=(const BenchStore&) = delete;

  std::unique_ptr<store::SyncBatchWriter> Writer(bool dry_run) {
    store::SyncBatchOptions options;
    options.list = "Bench";
    options.dry_run = dry_run;
    options.sync_id = sync_id_;
    options.cause = {model::CauseKind::kSyncRun, "1"};
    return OrDie(store_->OpenSyncBatchWriter(options));
  }

 private:
  const contactsync::base::Clock& clock_ = contactsync::base::SystemClock();
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  int64_t sync_id_ = 0;
};

// One Write() of 1,000 rows (about 2% failing), items = rows. arg 0: fresh (every batch new
// addresses, the store growing by 1,000 contacts per iteration); 1: unchanged re-sync of a
// store of 20,000 synced contacts (a new writer, i.e. a new run, per iteration, not timed);
// 2: Test (dry run) of the same.
void BM_WriteBatch(benchmark::State& state) {
  const int64_t mode = state.range(0);
  state.SetLabel(mode == 0 ? "fresh" : mode == 1 ? "unchanged" : "test");
  BenchStore bench;
  constexpr size_t kStored = 20;  // batches in the store before an unchanged or test run
  std::vector<std::vector<store::SyncRow>> batches;
  for (size_t b = 0; b < kStored; ++b) batches.push_back(SyncRows(b * kBatchRows, kBatchRows));
  std::vector<store::SyncRowOutcome> outcomes;
  std::unique_ptr<store::SyncBatchWriter> writer = bench.Writer(false);
  if (mode != 0) {
    for (auto& batch : batches) OrDie(writer->Write(batch, batch.size(), outcomes));
  }
  size_t next = 0;
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<store::SyncRow>* batch = nullptr;
    std::vector<store::SyncRow> fresh;
    if (mode == 0) {
      fresh = SyncRows((kStored + next) * kBatchRows, kBatchRows);
      batch = &fresh;
    } else {
      writer = bench.Writer(mode == 2);
      batch = &batches[next % kStored];
    }
    ++next;
    state.ResumeTiming();
    OrDie(writer->Write(*batch, batch->size(), outcomes));
    rows += static_cast<int64_t>(batch->size());
  }
  state.SetItemsProcessed(rows);
}
BENCHMARK(BM_WriteBatch)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
