#include "sync/run_lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace contactsync::sync {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

// Field 22 of /proc/<pid>/stat; "" when unreadable. The command name (field
// 2) may hold spaces and parentheses, so fields are counted after the last ')'.
std::string StartTicks(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;  // one line
  if (!std::getline(in, stat)) return "";
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return "";
  }
  return field;
}

}  // namespace

std::string CurrentHolder() {
  const long pid = static_cast<long>(getpid());
  return HostName() + ":" + std::to_string(pid) + ":" + StartTicks(pid);
}

bool HolderIsGone(std::string_view holder) {
  const size_t last = holder.rfind(':');
  if (last == std::string_view::npos || last == 0) return false;
  const size_t middle = holder.rfind(':', last - 1);
  if (middle == std::string_view::npos) return false;
  if (holder.substr(0, middle) != HostName()) return false;
  long pid = 0;
  const std::string_view pid_text = holder.substr(middle + 1, last - middle - 1);
  if (std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid).ec != std::errc() ||
      pid <= 0) {
    return false;
  }
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  const std::string start = StartTicks(pid);
  return !start.empty() && start != holder.substr(last + 1);
}

}  // namespace contactsync::sync
