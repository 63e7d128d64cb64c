// api_load_client: N concurrent API clients listing contacts, for bench/api_load.sh (issue 5:
// "fifty concurrent API clients listing contacts while a 1M-row sync runs: no errors").
//
//   api_load_client --url http://127.0.0.1:PORT --token-env VAR [--clients 50]
//                   [--seconds S] [--run-id ID] [--max-offset 1000] [--seed 1]
//
// Each client is one thread with one keep-alive connection (cpp-httplib, as the server uses),
// looping GET /api/v1/contacts?limit=50&offset=R[&search=NAME] with `Authorization: Bearer`.
// Half the requests search (a last name the generator uses), half list without a filter; the
// offset is uniform in [0, max-offset]. The choices come from a per-client generator seeded
// with (seed, client), so two runs send the same requests in the same order per client.
//
// It stops after S seconds, or with --run-id as soon as GET /api/v1/runs/ID says the run is no
// longer `running` (polled every 250 ms on a connection of its own, not counted), whichever
// comes first. A request under way then finishes and is counted.
//
// Why a client of our own rather than wrk: wrk is not installed here (and would be a new
// package), and its Lua hooks see status codes but not transport errors per request; this one
// records every latency and every non-200 (status, or the httplib error for a failed
// connection) and prints them exactly. The token is read from the environment, never argv.
//
// Output: one JSON object on stdout: {"clients","seconds","requests","ok","errors":{STATUS:n},
// "rps","latency_ms":{"p50","p90","p99","max"},"search_ms":{...},"list_ms":{...},
// "run_state"}; the first few error bodies go to stderr.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

// Last names bench/generate_contacts.cpp writes (ASCII ones: the URL needs no encoding).
constexpr std::array<std::string_view, 12> kSearches = {"smith",  "garcia", "miller", "nguyen",
                                                        "taylor", "walker", "patel",  "rossi",
                                                        "nowak",  "king",   "lee",    "baker"};

struct Sample {
  double ms;
  bool search;
};

struct ClientResult {
  std::vector<Sample> samples;
  std::map<std::string, int64_t> errors;  // "503", "transport:Connection", ...
};

struct Options {
  std::string url;
  std::string token;
  int clients = 50;
  double seconds = 60;
  int64_t run_id = 0;
  int max_offset = 1000;
  uint64_t seed = 1;
};

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "api_load_client: %s\nusage: api_load_client --url http://127.0.0.1:PORT "
               "--token-env VAR [--clients N] [--seconds S] [--run-id ID] [--max-offset N] "
               "[--seed S]\n",
               message);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::string token_env;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) Usage("every option takes a value");
    const std::string value = argv[++i];
    try {
      if (arg == "--url") {
        o.url = value;
      } else if (arg == "--token-env") {
        token_env = value;
      } else if (arg == "--clients") {
        o.clients = std::stoi(value);
      } else if (arg == "--seconds") {
        o.seconds = std::stod(value);
      } else if (arg == "--run-id") {
        o.run_id = std::stoll(value);
      } else if (arg == "--max-offset") {
        o.max_offset = std::stoi(value);
      } else if (arg == "--seed") {
        o.seed = std::stoull(value);
      } else {
        Usage("unknown option");
      }
    } catch (const std::exception&) {
      Usage("an option's value is not a number");
    }
  }
  if (o.url.rfind("http://127.0.0.1:", 0) != 0) Usage("--url must be http://127.0.0.1:PORT");
  if (token_env.empty()) Usage("--token-env is required");
  const char* token = std::getenv(token_env.c_str());
  if (token == nullptr || *token == '\0') Usage("the --token-env variable is empty");
  o.token = token;
  if (o.clients < 1 || o.clients > 1000) Usage("--clients must be 1..1000");
  if (o.seconds <= 0) Usage("--seconds must be positive");
  if (o.max_offset < 0) Usage("--max-offset must not be negative");
  return o;
}

std::unique_ptr<httplib::Client> NewClient(const Options& o) {
  auto client = std::make_unique<httplib::Client>(o.url);
  client->set_keep_alive(true);
  client->set_connection_timeout(10);
  // Generous: a slow answer is measured as slow, not turned into an error by the client.
  client->set_read_timeout(120);
  client->set_default_headers({{"Authorization", "Bearer " + o.token}});
  return client;
}

void RunClient(const Options& o, int index, const std::atomic<bool>& stop, ClientResult& out,
               std::mutex& log_mutex, std::atomic<int>& logged) {
  std::mt19937_64 rng(o.seed * 1000003 + static_cast<uint64_t>(index));
  std::uniform_int_distribution<int> offset(0, o.max_offset);
  std::uniform_int_distribution<size_t> pick(0, kSearches.size() * 2 - 1);
  auto client = NewClient(o);
  out.samples.reserve(1 << 14);
  while (!stop.load(std::memory_order_relaxed)) {
    const size_t choice = pick(rng);
    const bool search = choice < kSearches.size();
    std::string path = "/api/v1/contacts?limit=50&offset=" + std::to_string(offset(rng));
    if (search) path += "&search=" + std::string(kSearches[choice]);
    const auto start = Clock::now();
    httplib::Result res = client->Get(path);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    out.samples.push_back({ms, search});
    std::string error;
    if (!res) {
      error = "transport:" + httplib::to_string(res.error());
      client = NewClient(o);  // a fresh connection after a failed one
    } else if (res->status != 200) {
      error = std::to_string(res->status);
      if (logged.fetch_add(1) < 5) {
        std::lock_guard lock(log_mutex);
        std::fprintf(stderr, "api_load_client: %s on %s: %.300s\n", error.c_str(), path.c_str(),
                     res->body.c_str());
      }
    }
    if (!error.empty()) ++out.errors[error];
  }
}

// Polls the run until it is no longer running; returns its final state.
std::string WatchRun(const Options& o, const std::atomic<bool>& stop) {
  auto client = NewClient(o);
  const std::string path = "/api/v1/runs/" + std::to_string(o.run_id);
  std::string state = "unknown";
  while (!stop.load()) {
    if (httplib::Result res = client->Get(path); res && res->status == 200) {
      const auto body = nlohmann::json::parse(res->body, nullptr, false);
      if (body.is_object() && body.contains("state") && body["state"].is_string()) {
        state = body["state"].get<std::string>();
        if (state != "running") return state;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return state;
}

nlohmann::json Percentiles(std::vector<double> ms) {
  if (ms.empty()) return nullptr;
  std::sort(ms.begin(), ms.end());
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const auto at = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(ms.size())));
    rank = std::clamp<size_t>(rank, 1, ms.size());
    return std::round(ms[rank - 1] * 10) / 10;
  };
  return {{"p50", at(50)}, {"p90", at(90)}, {"p99", at(99)}, {"max", at(100)}};
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  std::atomic<bool> stop{false};
  std::atomic<int> logged{0};
  std::mutex log_mutex;
  std::vector<ClientResult> results(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back(RunClient, std::cref(o), i, std::cref(stop),
                         std::ref(results[static_cast<size_t>(i)]), std::ref(log_mutex),
                         std::ref(logged));
  }
  std::string run_state;
  const auto deadline = start + std::chrono::duration<double>(o.seconds);
  if (o.run_id > 0) {
    std::atomic<bool> watch_stop{false};
    std::atomic<bool> run_ended{false};
    std::string state;  // written by the watcher before run_ended, read after it joined
    std::thread watcher([&] {
      state = WatchRun(o, watch_stop);
      run_ended = true;
    });
    while (Clock::now() < deadline && !run_ended) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    watch_stop = true;
    watcher.join();
    run_state = run_ended && state != "running" ? state : "";
  } else {
    std::this_thread::sleep_until(deadline);
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> all, search, list;
  std::map<std::string, int64_t> errors;
  int64_t error_count = 0;
  for (const auto& r : results) {
    for (const auto& s : r.samples) {
      all.push_back(s.ms);
      (s.search ? search : list).push_back(s.ms);
    }
    for (const auto& [what, n] : r.errors) {
      errors[what] += n;
      error_count += n;
    }
  }
  const auto requests = static_cast<int64_t>(all.size());
  nlohmann::json out = {
      {"clients", o.clients},
      {"seconds", std::round(seconds * 10) / 10},
      {"requests", requests},
      {"ok", requests - error_count},
      {"errors", errors},
      {"rps", std::round(static_cast<double>(requests) / seconds * 10) / 10},
      {"latency_ms", Percentiles(all)},
      {"search_ms", Percentiles(search)},
      {"list_ms", Percentiles(list)},
  };
  if (o.run_id > 0) out["run_state"] = run_state.empty() ? "still running" : run_state;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
