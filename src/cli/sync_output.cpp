#include "cli/sync_output.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "app/holder_lease.h"
#include "base/text.h"
#include "sync/run_lock.h"

namespace contactsync::cli {
namespace {

std::atomic<bool> g_cancel{false};

extern "C" void OnSigint(int) { g_cancel.store(true); }

// Installs the SIGINT handler for the duration of a run and restores the
// previous one, so Ctrl-C outside a run keeps its default meaning.
class CancelOnSigint {
 public:
  CancelOnSigint() {
    g_cancel.store(false);
    struct sigaction action {};
    action.sa_handler = OnSigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~CancelOnSigint() { sigaction(SIGINT, &previous_, nullptr); }
  CancelOnSigint(const CancelOnSigint&) = delete;
  CancelOnSigint& operator=(const CancelOnSigint&) = delete;

 private:
  struct sigaction previous_ {};
};

std::string StartedBy() {
  const char* user = std::getenv("USER");
  return fmt::format("cli:{}", user != nullptr && *user != '\0' ? user : "unknown");
}

// Drawn by hand: a one-line bar needs no library (indicators and the like
// would add a dependency for twenty lines).
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}

  void operator()(const sync::Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    const bool phase_changed = p.phase != last_phase_;
    const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(1);
    if (!phase_changed && p.phase != sync::Phase::kFinished && now - last_ < interval) return;
    last_ = now;
    last_phase_ = p.phase;
    const store::RunCounts& c = p.counts;
    const std::string counts = fmt::format("added {} updated {} unchanged {} skipped {} failed {}",
                                           c.added, c.updated, c.unchanged, c.skipped, c.failed);
    if (!terminal_) {
      err_ << fmt::format("progress: {} rows {}{} {}\n", sync::PhaseName(p.phase), p.rows_read,
                          p.estimated_total ? fmt::format("/{}", *p.estimated_total) : "", counts);
      return;
    }
    std::string bar;
    if (p.estimated_total && *p.estimated_total > 0) {
      const double fraction =
          std::min(1.0, static_cast<double>(p.rows_read) / static_cast<double>(*p.estimated_total));
      const int filled = static_cast<int>(fraction * 30);
      bar = fmt::format("[{}{}] {:3.0f}% ", std::string(filled, '#'), std::string(30 - filled, '.'),
                        fraction * 100);
    }
    err_ << fmt::format("\r\x1b[2K{:<9} {}{} rows  {}", sync::PhaseName(p.phase), bar, p.rows_read,
                        counts);
    if (p.phase == sync::Phase::kFinished) err_ << '\n';
    err_.flush();
  }

 private:
  std::ostream& err_;
  const bool terminal_;
  std::chrono::steady_clock::time_point last_{};
  sync::Phase last_phase_ = sync::Phase::kFinished;
};

}  // namespace

base::Result<sync::RunReport> RunWithProgress(CommandContext& ctx,
                                              const sync::SyncDefinition& definition,
                                              bool dry_run) {
  CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
  CS_ASSIGN_OR_RETURN(app::Connections * connections, ctx.Connections());
  CancelOnSigint cancel_on_sigint;
  ProgressPrinter printer(ctx.err(), isatty(STDERR_FILENO) == 1);
  sync::EngineOptions options;
  options.dry_run = dry_run;
  options.started_by = StartedBy();
  options.cancel = &g_cancel;
  if (!ctx.options.json) options.on_progress = [&](const sync::Progress& p) { printer(p); };
  // The COUNT(*) estimate only feeds the progress display; with --json there
  // is none, and on a large table the count costs a scan before the read.
  options.estimate_total = !ctx.options.json;
  // A run holds this process's lease, so that the run is failed on any host if the process is
  // killed (app/holder_lease.h); a Test takes no lock and needs none.
  std::unique_ptr<app::HolderLease> lease;
  if (!dry_run) {
    CS_ASSIGN_OR_RETURN(const store::StoreOptions store_options, ctx.StoreOptions());
    CS_ASSIGN_OR_RETURN(lease, app::HolderLease::Start(store_options, sync::CurrentHolder()));
  }
  return app::ExecuteSync(definition, *connections, *store, *store, options);
}

void PrintReport(Output& out, const sync::RunReport& report, size_t max_failures) {
  const store::RunCounts& c = report.counts;
  const std::string verb = report.dry_run ? "would be " : "";
  if (report.dry_run) {
    out.Line("Test (nothing was written):");
  } else {
    out.Line(fmt::format("Run {}: {} in {:.1f} s", report.run_id, store::RunStateName(report.state),
                         static_cast<double>(report.duration_ms) / 1000.0));
  }
  if (!report.message.empty()) out.Line(fmt::format("  {}", report.message));
  const auto count = [&](std::string_view label, int64_t value) {
    out.Line(fmt::format("  {:<20} {}", std::string(label) + ":", value));
  };
  out.Line(fmt::format("  {:<20} {}", "SQL:", report.sql));
  count("selected", c.selected);
  count(verb + "added", c.added);
  count(verb + "updated", c.updated);
  count("unchanged", c.unchanged);
  count("skipped", c.skipped);
  count("failed", c.failed);
  count(verb + "deleted", c.deleted);
  if (!report.deletion_note.empty()) out.Line(fmt::format("  {}", report.deletion_note));
  if (!report.failures.empty()) {
    out.Line(fmt::format(
        "First failures{}:",
        report.run_id != 0
            ? fmt::format(" (all: contactsync report {} --failures-csv FILE)", report.run_id)
            : ""));
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < report.failures.size() && i < max_failures; ++i) {
      const auto& f = report.failures[i];
      rows.push_back({std::to_string(f.row_number), f.email, f.reason, f.message});
    }
    out.Table({"ROW", "EMAIL", "REASON", "MESSAGE"}, rows);
  }
  if (!report.sample.empty()) {
    out.Line("Sample of mapped rows:");
    for (const auto& row : report.sample) {
      std::string line = fmt::format("  row {}:", row.row_number);
      for (const auto& [target, value] : row.values) {
        line += fmt::format(" {}={}", target, base::Printable(value, 40));
      }
      out.Line(line);
    }
  }
}

base::Status RunOutcome(const sync::RunReport& report) {
  switch (report.state) {
    case store::RunState::kSucceeded:
      return base::Status::Ok();
    case store::RunState::kCancelled:
      return base::Status(base::ErrorCode::kCancelled, "cancelled");
    default:
      return base::Status(report.error_code == base::ErrorCode::kOk ? base::ErrorCode::kInternal
                                                                    : report.error_code,
                          fmt::format("run {} failed: {}", report.run_id, report.message));
  }
}

}  // namespace contactsync::cli
