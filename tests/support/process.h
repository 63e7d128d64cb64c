#pragma once

// Runs a program the way a user would, for tests of the command line: given
// arguments and standard input, it returns the exit status and everything the
// program printed. No shell is involved, so arguments reach the program as
// bytes exactly as given (including non-UTF-8 and quotes).

#include <string>
#include <utility>
#include <vector>

namespace contactsync::testing {

struct ProcessResult {
  int exit_code = -1;  // the program's exit status; 128+N when killed by signal N
  std::string out;     // standard output
  std::string err;     // standard error
};

// NAME=VALUE pairs for the child's environment.
using Environment = std::vector<std::pair<std::string, std::string>>;

// The child inherits this process's environment with each of `env` set over it; this process's
// own environment is left as it is.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         const Environment& env = {});

// This process's environment with each of `env` set over it, as the "NAME=VALUE" strings
// execve() takes: for a test that starts a program itself. Make it before fork(): the child of
// a threaded process may only call async-signal-safe functions.
std::vector<std::string> EnvironmentWith(const Environment& env);

// A fresh, empty directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace contactsync::testing
