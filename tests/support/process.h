#pragma once

// Runs a program the way a user would, for tests of the command line: given
// arguments and standard input, it returns the exit status and everything the
// program printed. No shell is involved, so arguments reach the program as
// bytes exactly as given (including non-UTF-8 and quotes).

#include <string>
#include <vector>

namespace contactsync::testing {

struct ProcessResult {
  int exit_code = -1;  // the program's exit status; 128+N when killed by signal N
  std::string out;     // standard output
  std::string err;     // standard error
};

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "");

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
