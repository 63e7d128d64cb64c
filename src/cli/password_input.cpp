#include "cli/password_input.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace contactsync::cli {

base::Result<std::string> ReadPasswordLine() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    return base::InvalidArgument("--password-stdin: standard input is empty");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

base::Result<std::optional<std::string>> PromptPassword(const std::string& prompt) {
  if (isatty(STDIN_FILENO) == 0) return std::optional<std::string>();
  termios saved{};
  if (tcgetattr(STDIN_FILENO, &saved) != 0) return std::optional<std::string>();
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  std::cerr << prompt << std::flush;
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::cerr << '\n';
  return std::optional<std::string>(line);
}

}  // namespace contactsync::cli
