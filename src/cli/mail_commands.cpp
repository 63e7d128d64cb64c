// `contactsync mail config|send|ls|retry` and
// `contactsync autoresponder add|ls|rm` (docs/mail.md).

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "app/mail_setup.h"
#include "base/text.h"
#include "cli/command_context.h"
#include "cli/password_input.h"
#include "mail/outbox_sender.h"
#include "mail/smtp_mailer.h"

namespace contactsync::cli {
namespace {

const std::vector<std::string> kTlsModes{"none", "starttls", "tls"};
const std::vector<std::string> kStates{"queued", "sending", "sent", "failed", "cancelled"};
constexpr std::streamsize kMaxBodyFileBytes = std::streamsize{1024} * 1024;

void PrintSettings(Output& out, const app::MailSettingsView& view) {
  if (out.json()) {
    out.Json(app::ToJson(view));
    return;
  }
  if (!view.configured) {
    out.Line("Mail is not set up (contactsync mail config --host HOST ...).");
    return;
  }
  const auto p = [](const std::string& s) {
    return s.empty() ? "(none)" : base::Printable(s, 300);
  };
  out.Line(
      fmt::format("SMTP server:  {}:{} (tls {})", p(view.smtp_host),
                  view.smtp_port == 0 ? std::string("default") : std::to_string(view.smtp_port),
                  view.tls_mode));
  if (!view.tls_ca_file.empty()) out.Line("CA file:      " + p(view.tls_ca_file));
  out.Line(fmt::format("Login:        {}{}", p(view.smtp_user),
                       view.has_password ? " (password stored encrypted)" : ""));
  out.Line(fmt::format("From:         {} <{}>", p(view.from_name), p(view.from_email)));
  out.Line(fmt::format("Hourly cap:   {}", view.hourly_cap == 0 ? std::string("none")
                                                                : std::to_string(view.hourly_cap)));
  out.Line(fmt::format("Base URL:     {}", p(view.base_url)));
}

// "90", "90s", "15m", "2h", "3d" -> seconds; a usage error otherwise.
int64_t ParseDelay(const std::string& text) {
  size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  int64_t factor = 0;
  if (unit.empty() || unit == "s") factor = 1;
  if (unit == "m") factor = 60;
  if (unit == "h") factor = 3600;
  if (unit == "d") factor = 86400;
  if (used == 0 || value < 0 || factor == 0 || value > 3660LL * 86400 / factor) {
    throw CLI::ValidationError("--delay",
                               "expected seconds or a number with s, m, h or d (\"3d\"), "
                               "not '" +
                                   base::Printable(text) + "'");
  }
  return value * factor;
}

base::Result<std::string> ReadBodyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::NotFound(fmt::format("cannot read file '{}'", base::Printable(path)));
  std::string data(static_cast<size_t>(kMaxBodyFileBytes) + 1, '\0');
  in.read(data.data(), kMaxBodyFileBytes + 1);
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > static_cast<size_t>(kMaxBodyFileBytes)) {
    return base::InvalidArgument(fmt::format("file '{}' is larger than 1 MiB", path));
  }
  return data;
}

void AddConfig(CLI::App& group, CommandContext& ctx) {
  auto* cmd =
      group.add_subcommand("config",
                           "Set the SMTP server and sender (options not given keep their value); "
                           "without options, show the settings");
  struct Args {
    std::string host, tls, user, ca_file, from, from_name, base_url;
    int port = 0;
    int64_t cap = 0;
    bool password_stdin = false, no_password = false;
  };
  auto args = std::make_shared<Args>();
  auto* host = cmd->add_option("--host", args->host, "SMTP server host");
  auto* port =
      cmd->add_option("--port", args->port, "SMTP port (default 587, 465 for tls, 25 for none)")
          ->check(CLI::Range(0, 65535));
  auto* tls = cmd->add_option("--tls", args->tls, "none, starttls (required) or tls (implicit)")
                  ->check(CLI::IsMember(kTlsModes));
  auto* user = cmd->add_option("--user", args->user, "SMTP login (empty: none)");
  auto* ca_file =
      cmd->add_option("--ca-file", args->ca_file,
                      "CA certificate (PEM) to verify the server with (default: system CAs)");
  auto* stdin_flag = cmd->add_flag("--password-stdin", args->password_stdin,
                                   "Read the SMTP password from the first line of standard input");
  cmd->add_flag("--no-password", args->no_password, "Remove the stored SMTP password")
      ->excludes(stdin_flag);
  auto* from =
      cmd->add_option("--from", args->from, "Sender address for lists without one of their own");
  auto* from_name = cmd->add_option("--from-name", args->from_name, "Sender name");
  auto* cap =
      cmd->add_option("--cap-per-hour", args->cap, "Most messages sent per hour (0: no cap)")
          ->check(CLI::Range(int64_t{0}, app::kMaxHourlyCap));
  auto* base_url = cmd->add_option("--base-url", args->base_url,
                                   "Public URL of contactsync serve, for the links in mail");
  cmd->callback([&ctx, args, host, port, tls, user, ca_file, from, from_name, cap, base_url] {
    app::MailSettingsChange change;
    if (host->count() > 0) change.smtp_host = args->host;
    if (port->count() > 0) change.smtp_port = args->port;
    if (tls->count() > 0) change.tls_mode = args->tls;
    if (user->count() > 0) change.smtp_user = args->user;
    if (ca_file->count() > 0) change.tls_ca_file = args->ca_file;
    if (from->count() > 0) change.from_email = args->from;
    if (from_name->count() > 0) change.from_name = args->from_name;
    if (cap->count() > 0) change.hourly_cap = args->cap;
    if (base_url->count() > 0) change.base_url = args->base_url;
    if (args->no_password) change.password = "";
    ctx.action = [&ctx, args, change]() mutable -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      Output out = ctx.out();
      const bool nothing = !change.smtp_host && !change.smtp_port && !change.tls_mode &&
                           !change.smtp_user && !change.tls_ca_file && !change.from_email &&
                           !change.from_name && !change.hourly_cap && !change.base_url &&
                           !change.password && !args->password_stdin;
      if (nothing) {
        CS_ASSIGN_OR_RETURN(const app::MailSettingsView view, app::GetMailSettings(*store));
        PrintSettings(out, view);
        return base::Status::Ok();
      }
      if (args->password_stdin) {
        CS_ASSIGN_OR_RETURN(change.password, ReadPasswordLine());
      }
      CS_ASSIGN_OR_RETURN(const secrets::SecretBox* box, ctx.SecretBox());
      CS_ASSIGN_OR_RETURN(const app::MailSettingsView view,
                          app::UpdateMailSettings(*store, *box, change));
      if (!out.json()) {
        out.Line("Saved the mail settings.");
        if (!view.password_cleared_because.empty()) {
          out.Line(
              fmt::format("The saved SMTP password was removed because {}; give it again with "
                          "--password-stdin.",
                          view.password_cleared_because));
        }
      }
      PrintSettings(out, view);
      return base::Status::Ok();
    };
  });
}

void AddSend(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "send", "Send the messages that are due now (one pass; `serve` does this continuously)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const secrets::SecretBox* box, ctx.SecretBox());
      CS_ASSIGN_OR_RETURN(app::MailRuntime runtime, app::LoadMailRuntime(*store, *box));
      mail::SmtpMailer mailer(runtime.smtp);
      const mail::LinkSigner signer = app::MailLinkSigner(*box);
      mail::OutboxSender sender(*store, mailer, signer, runtime.compose, runtime.sender,
                                base::SystemClock());
      CS_ASSIGN_OR_RETURN(const mail::PassReport report, sender.RunOnce());
      CS_ASSIGN_OR_RETURN(const store::OutboxPage page, store->GetOutbox({}));
      const auto count = [&](const char* state) {
        const auto it = page.counts.find(state);
        return it == page.counts.end() ? int64_t{0} : it->second;
      };
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"sent", report.sent},
                  {"retry_later", report.retry_later},
                  {"failed", report.failed},
                  {"uncertain", report.uncertain},
                  {"capped", report.capped},
                  {"server_error", report.server_error},
                  {"queued", count("queued")}});
      } else {
        out.Line(fmt::format("Sent {}, to retry later {}, failed {}, uncertain {}; {} queued.",
                             report.sent, report.retry_later, report.failed, report.uncertain,
                             count("queued")));
        if (report.capped) out.Line("Stopped at the hourly cap; the rest goes out later.");
      }
      if (!report.server_error.empty()) {
        return base::Unavailable(report.server_error + "; the messages stay queued");
      }
      return base::Status::Ok();
    };
  });
}

void AddLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show the outbox, newest first");
  struct Args {
    std::string state;
    int64_t limit = 50;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--state", args->state, "Only messages in this state")
      ->check(CLI::IsMember(kStates));
  cmd->add_option("--limit", args->limit, "Most messages shown")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      store::OutboxFilter filter;
      filter.limit = args->limit;
      if (!args->state.empty()) {
        CS_ASSIGN_OR_RETURN(filter.state, store::ParseOutboxState(args->state));
      }
      CS_ASSIGN_OR_RETURN(const store::OutboxPage page, store->GetOutbox(filter));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& m : page.messages) items.push_back(app::ToJson(m));
        out.Json({{"items", items}, {"total", page.total}, {"counts", page.counts}});
        return base::Status::Ok();
      }
      std::string summary;
      for (const char* state : {"queued", "sending", "sent", "failed", "cancelled"}) {
        const auto it = page.counts.find(state);
        summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ",
                               it == page.counts.end() ? 0 : it->second, state);
      }
      out.Line("Outbox: " + summary + ".");
      if (page.messages.empty()) return base::Status::Ok();
      std::vector<std::vector<std::string>> rows;
      for (const auto& m : page.messages) {
        const std::string when = m.state == store::OutboxState::kSent     ? m.sent_at
                                 : m.state == store::OutboxState::kQueued ? m.next_attempt_at
                                                                          : "";
        rows.push_back({std::to_string(m.id), std::string(store::OutboxStateName(m.state)),
                        std::string(store::OutboxKindName(m.kind)), m.email, m.list_name,
                        std::to_string(m.attempts), when, m.last_error});
      }
      out.Table({"ID", "STATE", "KIND", "TO", "LIST", "TRIES", "WHEN", "LAST ERROR"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddRetry(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "retry",
      "Queue a failed message again (also one whose delivery is uncertain: the "
      "recipient may then get it twice)");
  auto id = std::make_shared<int64_t>(0);
  cmd->add_option("id", *id, "Message id (see mail ls)")->required()->check(CLI::PositiveNumber);
  cmd->callback([&ctx, id] {
    ctx.action = [&ctx, id]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->RequeueMessage(*id));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"queued", *id}});
      } else {
        out.Line(fmt::format("Queued message {} again.", *id));
      }
      return base::Status::Ok();
    };
  });
}

void AddCancel(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand(
      "cancel", "Cancel a queued message, or every queued one: cancelled messages are never sent");
  auto id = std::make_shared<int64_t>(0);
  auto all = std::make_shared<bool>(false);
  auto* id_option = cmd->add_option("id", *id, "Message id (see mail ls --state queued)")
                        ->check(CLI::PositiveNumber);
  auto* all_option = cmd->add_flag("--all-queued", *all, "Cancel every queued message");
  id_option->excludes(all_option);
  cmd->callback([&ctx, id, all, id_option] {
    if (!*all && id_option->count() == 0) {
      throw CLI::ValidationError("mail cancel", "give a message id or --all-queued");
    }
    ctx.action = [&ctx, id, all]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      Output out = ctx.out();
      if (*all) {
        CS_ASSIGN_OR_RETURN(const int64_t cancelled, store->CancelQueuedMessages());
        if (out.json()) {
          out.Json({{"cancelled", cancelled}});
        } else {
          out.Line(fmt::format("Cancelled {} queued message{}; they will not be sent.", cancelled,
                               cancelled == 1 ? "" : "s"));
        }
        return base::Status::Ok();
      }
      CS_RETURN_IF_ERROR(store->CancelMessage(*id));
      if (out.json()) {
        out.Json({{"cancelled", 1}, {"id", *id}});
      } else {
        out.Line(fmt::format("Cancelled message {}; it will not be sent.", *id));
      }
      return base::Status::Ok();
    };
  });
}

void AddAutoresponderAdd(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("add", "Add an autoresponder to a list");
  struct Args {
    std::string list, subject, body_file, delay = "0";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--list", args->list, "The list")->required();
  cmd->add_option("--subject", args->subject, "Subject (tags like %FIRSTNAME% allowed)")
      ->required();
  cmd->add_option("--body-file", args->body_file, "File with the plain-text body (tags allowed)")
      ->required();
  cmd->add_option("--delay", args->delay, "Delay after subscribing: seconds, or 15m, 2h, 3d")
      ->capture_default_str();
  cmd->callback([&ctx, args] {
    const int64_t delay = ParseDelay(args->delay);
    ctx.action = [&ctx, args, delay]() -> base::Status {
      CS_ASSIGN_OR_RETURN(std::string body, ReadBodyFile(args->body_file));
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_ASSIGN_OR_RETURN(const store::Autoresponder created,
                          store->CreateAutoresponder({args->list, args->subject, body, delay}));
      Output out = ctx.out();
      if (out.json()) {
        out.Json(app::ToJson(created));
      } else {
        out.Line(fmt::format("Added autoresponder {} to list '{}' (after {} s).", created.id,
                             base::Printable(created.list_name, 255), created.delay_s));
      }
      return base::Status::Ok();
    };
  });
}

void AddAutoresponderLs(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("ls", "Show autoresponders");
  auto list = std::make_shared<std::string>();
  cmd->add_option("--list", *list, "Only this list's");
  cmd->callback([&ctx, list] {
    ctx.action = [&ctx, list]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      std::optional<std::string> scope;
      if (!list->empty()) scope = *list;
      CS_ASSIGN_OR_RETURN(const auto all, store->GetAutoresponders(scope));
      Output out = ctx.out();
      if (out.json()) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& a : all) items.push_back(app::ToJson(a));
        out.Json(items);
        return base::Status::Ok();
      }
      if (all.empty()) {
        out.Line("No autoresponders.");
        return base::Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : all) {
        rows.push_back({std::to_string(a.id), a.list_name, std::to_string(a.delay_s), a.subject});
      }
      out.Table({"ID", "LIST", "DELAY_S", "SUBJECT"}, rows);
      return base::Status::Ok();
    };
  });
}

void AddAutoresponderRm(CLI::App& group, CommandContext& ctx) {
  auto* cmd = group.add_subcommand("rm", "Delete an autoresponder and its queued messages");
  auto id = std::make_shared<int64_t>(0);
  cmd->add_option("id", *id, "Autoresponder id")->required()->check(CLI::PositiveNumber);
  cmd->callback([&ctx, id] {
    ctx.action = [&ctx, id]() -> base::Status {
      CS_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
      CS_RETURN_IF_ERROR(store->DeleteAutoresponder(*id));
      Output out = ctx.out();
      if (out.json()) {
        out.Json({{"deleted", *id}});
      } else {
        out.Line(fmt::format("Deleted autoresponder {}.", *id));
      }
      return base::Status::Ok();
    };
  });
}

}  // namespace

void AddMailCommands(CLI::App& app, CommandContext& ctx) {
  auto* group = app.add_subcommand("mail", "SMTP settings and the outbox");
  group->require_subcommand(1);
  AddConfig(*group, ctx);
  AddSend(*group, ctx);
  AddLs(*group, ctx);
  AddRetry(*group, ctx);
  AddCancel(*group, ctx);
  auto* autoresponder = app.add_subcommand("autoresponder", "Manage lists' autoresponders");
  autoresponder->require_subcommand(1);
  AddAutoresponderAdd(*autoresponder, ctx);
  AddAutoresponderLs(*autoresponder, ctx);
  AddAutoresponderRm(*autoresponder, ctx);
}

}  // namespace contactsync::cli
