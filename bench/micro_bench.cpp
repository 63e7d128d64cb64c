// Micro-benchmarks of the per-cell rules a sync applies to every row (Google Benchmark):
// email validation and custom-field value normalisation, over a realistic mix of inputs
// (mostly valid, some blank, invalid, mixed case or oddly formatted, as in bench/'s generated
// tables). Mapping and batch-upsert benchmarks join these when the sync engine lands.
//
//   build/bench/bench/micro_bench [--benchmark_min_time=0.2]

#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/custom_field.h"
#include "model/email.h"

namespace {

namespace model = contactsync::model;

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

}  // namespace

BENCHMARK_MAIN();
