#include "app/serve_mail.h"

#include <fmt/format.h>

#include "app/mail_setup.h"
#include "mail/outbox_sender.h"
#include "mail/smtp_mailer.h"

namespace contactsync::app {

base::Result<std::unique_ptr<ServeMail>> ServeMail::Start(
    const store::StoreOptions& store_options, const secrets::SecretBox& box,
    std::function<void(const std::string&)> log, std::chrono::milliseconds poll) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> link_store, store::OpenStore(store_options));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> sender_store, store::OpenStore(store_options));
  return std::unique_ptr<ServeMail>(
      new ServeMail(std::move(link_store), std::move(sender_store), box, std::move(log), poll));
}

ServeMail::ServeMail(std::unique_ptr<store::Store> link_store,
                     std::unique_ptr<store::Store> sender_store, const secrets::SecretBox& box,
                     std::function<void(const std::string&)> log, std::chrono::milliseconds poll)
    : link_store_(std::move(link_store)),
      sender_store_(std::move(sender_store)),
      box_(box),
      links_(*link_store_, MailLinkSigner(box_)),
      log_(std::move(log)),
      poll_(poll),
      sender_([this] { SenderLoop(); }) {}

ServeMail::~ServeMail() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  sender_.join();
}

void ServeMail::Mount(httplib::Server& server) { MountMailLinkRoutes(server, links_); }

bool ServeMail::WaitOrStop(std::chrono::milliseconds period) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, period, [this] { return stop_.load(); });
}

void ServeMail::SenderLoop() {
  const mail::LinkSigner signer = MailLinkSigner(box_);
  // Said once per distinct problem, so an unconfigured server does not fill
  // its log every few seconds.
  std::string last_problem;
  auto report_problem = [&](const std::string& problem) {
    if (problem != last_problem && log_) log_(problem);
    last_problem = problem;
  };
  while (!stop_) {
    base::Result<MailRuntime> runtime = LoadMailRuntime(*sender_store_, box_);
    if (!runtime.ok()) {
      // Not configured yet (or a bad setting): the queue waits, nothing is lost.
      report_problem(fmt::format("mail: not sending: {}", runtime.status().message()));
      if (WaitOrStop(poll_ * 6)) return;
      continue;
    }
    mail::SmtpMailer mailer(runtime->smtp);
    mail::OutboxSender sender(*sender_store_, mailer, signer, runtime->compose, runtime->sender,
                              base::SystemClock());
    const base::Result<mail::PassReport> pass = sender.RunOnce(&stop_);
    if (!pass.ok()) {
      report_problem(fmt::format("mail: outbox: {}", pass.status().message()));
    } else if (!pass->server_error.empty()) {
      report_problem(
          fmt::format("mail: SMTP server unavailable, will retry: {}", pass->server_error));
    } else {
      last_problem.clear();
      if (pass->sent + pass->failed + pass->uncertain + pass->retry_later > 0 && log_) {
        log_(fmt::format("mail: sent {}, retry later {}, failed {}, uncertain {}{}", pass->sent,
                         pass->retry_later, pass->failed, pass->uncertain,
                         pass->capped ? " (hourly cap reached)" : ""));
      }
    }
    if (WaitOrStop(poll_)) return;
  }
}

}  // namespace contactsync::app
