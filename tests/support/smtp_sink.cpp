#include "support/smtp_sink.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace contactsync::testing {

SmtpSink::~SmtpSink() { Stop(); }

bool SmtpSink::Start(const std::vector<std::string>& options, int port) {
  int out[2];
  if (pipe(out) != 0) return false;
  const std::string script = std::string(CONTACTSYNC_SOURCE_DIR) + "/tests/support/smtp_sink.py";
  std::vector<std::string> argv = {"/usr/bin/python3", script, dir_, "--port",
                                   std::to_string(port)};
  argv.insert(argv.end(), options.begin(), options.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  FILE* from = fdopen(out[0], "r");
  char line[128] = {};
  const bool ready =
      fgets(line, sizeof line, from) != nullptr && std::sscanf(line, "READY %d", &port_) == 1;
  fclose(from);
  if (!ready) {
    ADD_FAILURE() << "the SMTP sink did not start (is python3-aiosmtpd installed? "
                     "scripts/setup.sh installs it)";
    Stop();
    return false;
  }
  return true;
}

void SmtpSink::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  WaitForExit();
}

void SmtpSink::WaitForExit() {
  if (pid_ <= 0) return;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::vector<nlohmann::json> SmtpSink::Messages() const {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json" && name[0] != '.') {
      names.push_back(entry.path().string());
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<nlohmann::json> messages;
  for (const std::string& path : names) {
    std::ifstream in(path);
    messages.push_back(nlohmann::json::parse(in));
  }
  return messages;
}

std::string Header(const nlohmann::json& message, const std::string& name) {
  const auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  for (const auto& header : message["headers"]) {
    if (lower(header["name"].get<std::string>()) == lower(name)) {
      return header["value"].get<std::string>();
    }
  }
  return "";
}

}  // namespace contactsync::testing
