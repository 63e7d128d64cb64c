#include "source/testing/private_servers.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

extern char** environ;

namespace contactsync::source::server_testing {
namespace {

using Clock = std::chrono::steady_clock;

bool IsExecutable(const std::filesystem::path& path) { return access(path.c_str(), X_OK) == 0; }

// What postmaster.pid says: the server's pid (line 1) and the id of its System V shared memory
// segment (line 7: key and id).
struct PostmasterFile {
  pid_t pid = 0;
  int shm_id = -1;
};

PostmasterFile ReadPostmasterFile(const std::string& datadir) {
  PostmasterFile file;
  std::ifstream in(std::filesystem::path(datadir) / "postmaster.pid");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    key_t key = 0;  // not needed: the id alone names the segment
    if (number == 1) fields >> file.pid;
    if (number == 7) fields >> key >> file.shm_id;
  }
  return file;
}

// A postmaster killed with SIGKILL leaves its small System V segment behind (a clean stop
// removes it, and so would the next start in the same data directory, which is about to be
// deleted). Removed here, after checking that the server made it; the kernel frees it once the
// server's last processes have exited.
void RemoveSharedMemory(const PostmasterFile& postmaster) {
  ASSERT_GE(postmaster.shm_id, 0) << "no shared memory segment in postmaster.pid";
  shmid_ds info{};
  ASSERT_EQ(shmctl(postmaster.shm_id, IPC_STAT, &info), 0);
  ASSERT_EQ(info.shm_cpid, postmaster.pid);
  EXPECT_EQ(shmctl(postmaster.shm_id, IPC_RMID, nullptr), 0);
}

}  // namespace

void ExpectNoSecrets(const base::Status& status, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    EXPECT_EQ(status.message().find(secret), std::string::npos) << "the message shows a password";
  }
}

void ExpectOneLine(const base::Status& status) {
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
  EXPECT_FALSE(status.message().empty());
}

bool TestServersRequired() {
  const char* value = std::getenv("CONTACTSYNC_REQUIRE_TEST_SERVERS");
  return value != nullptr && std::string_view(value) == "1";
}

bool ServerBinariesPresent() {
  bool mariadbd = false;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  dirs += ":/usr/sbin:/usr/local/sbin";
  size_t start = 0;
  while (!mariadbd && start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    mariadbd = !dir.empty() && IsExecutable(std::filesystem::path(dir) / "mariadbd");
    start = end + 1;
  }
  bool postgres = false;
  if (const char* bindir = std::getenv("CONTACTSYNC_TEST_PG_BINDIR"); bindir && *bindir) {
    postgres = IsExecutable(std::filesystem::path(bindir) / "postgres");
  } else {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
      postgres = postgres || IsExecutable(entry.path() / "bin" / "postgres");
    }
  }
  return mariadbd && postgres;
}

// Runs scripts/test-servers.sh with `args` (no shell), its stdout (the env file's path) thrown
// away; its stderr, which never holds a secret, is the test's. Returns the exit status.
int RunTestServersScript(const std::vector<std::string>& args) {
  const std::string script = std::string(CONTACTSYNC_SOURCE_DIR) + "/scripts/test-servers.sh";
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(script.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, script.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The `export NAME=value` lines of the env file. Values are plain words (random alphanumeric
// passwords, numbers, paths under a temporary directory), so no shell unquoting is needed.
std::map<std::string, std::string> ReadEnvFile(const std::filesystem::path& file) {
  std::map<std::string, std::string> variables;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    constexpr std::string_view kExport = "export ";
    if (line.rfind(kExport, 0) != 0) continue;
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    variables[line.substr(kExport.size(), equals - kExport.size())] = line.substr(equals + 1);
  }
  return variables;
}

// True while `pid` runs (a zombie has already closed its sockets).
bool Alive(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

std::string CommandLine(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) c = c == '\0' ? ' ' : c;
  return text;
}

// SIGKILLs `pid` after checking that it is the process we mean (its command line holds
// `marker`), and waits until it has died.
void KillHard(pid_t pid, std::string_view marker) {
  ASSERT_GT(pid, 1);
  ASSERT_NE(CommandLine(pid).find(marker), std::string::npos)
      << "pid " << pid << " is not the server started by this test";
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Alive(pid) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(Alive(pid)) << "the server did not die";
}

void KillPostgresHard(const std::string& datadir, const std::vector<pid_t>& backends,
                      std::string_view backend_marker) {
  const PostmasterFile postmaster = ReadPostmasterFile(datadir);
  ASSERT_GT(postmaster.pid, 1);
  ASSERT_NE(CommandLine(postmaster.pid).find(datadir), std::string::npos)
      << "pid " << postmaster.pid << " is not the server started by this test";
  // Frozen first: a running postmaster answers a backend's death with a crash restart, which
  // ends the other backends politely and makes new shared memory. Then the backends, so that
  // none can say goodbye with an error message and the client meets a bare end of stream;
  // then the postmaster itself.
  ASSERT_EQ(kill(postmaster.pid, SIGSTOP), 0);
  for (const pid_t backend : backends) KillHard(backend, backend_marker);
  KillHard(postmaster.pid, datadir);
  RemoveSharedMemory(postmaster);
}

void ExpectReadLostAfterKill(
    std::unique_ptr<RowReader>& reader, std::unique_ptr<SourceConnector>& connector, Batch& batch,
    int rows_read, int total_rows, std::string_view server_name, const ConnectionSettings& settings,
    const std::vector<std::string>& secrets,
    const std::function<base::Result<std::unique_ptr<SourceConnector>>()>& reopen) {
  // How long a failure may take to surface once the server is gone. The
  // reader's own limits (query_timeout_s = 60, socket timeouts) are far
  // longer, so a read that hangs instead of noticing fails this bound.
  constexpr auto kLossBound = std::chrono::seconds(15);
  using base::ErrorCode;

  // Rows already in the socket buffers may still arrive; then the read must fail.
  const auto start = Clock::now();
  base::Result<ReadState> state = ReadState::kMore;
  while (state.ok() && *state == ReadState::kMore && Clock::now() - start < kLossBound) {
    state = reader->ReadBatch(batch);
    if (state.ok()) rows_read += static_cast<int>(batch.rows.size());
  }
  EXPECT_LT(Clock::now() - start, kLossBound);
  ASSERT_FALSE(state.ok()) << "the read went on after the server died (" << rows_read
                           << " rows read)";
  EXPECT_LT(rows_read, total_rows);
  const base::Status lost = state.status();
  EXPECT_EQ(lost.code(), ErrorCode::kConnectionLost) << lost.ToString();
  EXPECT_TRUE(lost.retryable());
  EXPECT_NE(lost.message().find(fmt::format("{} at 127.0.0.1:{}", server_name, settings.port)),
            std::string::npos)
      << lost.message();
  ExpectOneLine(lost);
  ExpectNoSecrets(lost, secrets);
  // The same error again, at once.
  const auto again_start = Clock::now();
  EXPECT_EQ(reader->ReadBatch(batch).status().ToString(), lost.ToString());
  EXPECT_LT(Clock::now() - again_start, std::chrono::seconds(1));

  // Closing the reader and using the connector do not hang on the dead server either.
  const auto close_start = Clock::now();
  reader.reset();
  auto check = connector->Check();
  ASSERT_FALSE(check.ok());
  EXPECT_TRUE(check.status().code() == ErrorCode::kConnectionLost ||
              check.status().code() == ErrorCode::kUnavailable)
      << check.status().ToString();
  ExpectNoSecrets(check.status(), secrets);
  connector.reset();
  auto reopened = reopen();
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), ErrorCode::kUnavailable) << reopened.status().ToString();
  ExpectNoSecrets(reopened.status(), secrets);
  EXPECT_LT(Clock::now() - close_start, std::chrono::seconds(settings.connect_timeout_s));
}

void PrivateServersTest::SetUp() {
  if (!ServerBinariesPresent()) {
    if (TestServersRequired()) {
      FAIL() << "CONTACTSYNC_REQUIRE_TEST_SERVERS=1 but mariadbd or the PostgreSQL server "
                "binaries are missing";
    }
    GTEST_SKIP() << "mariadbd or the PostgreSQL server binaries are missing";
  }
  // Short enough for Unix socket paths under the directory (test-servers.sh wants < 80).
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  if (base.size() > 40) base = "/tmp";
  std::string pattern = base + "/cs-loss-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp failed under " << base;
  dir_ = pattern;
  ASSERT_EQ(RunTestServersScript({"start", dir_}), 0) << "scripts/test-servers.sh start failed";
  env_ = ReadEnvFile(std::filesystem::path(dir_) / "env");
  for (const char* name :
       {"CONTACTSYNC_TEST_MARIADB_PORT", "CONTACTSYNC_TEST_MARIADB_PASSWORD",
        "CONTACTSYNC_TEST_MARIADB_READER_PASSWORD", "CONTACTSYNC_TEST_MARIADB_PIDFILE",
        "CONTACTSYNC_TEST_PG_PORT", "CONTACTSYNC_TEST_PG_PASSWORD",
        "CONTACTSYNC_TEST_PG_READER_PASSWORD", "CONTACTSYNC_TEST_PG_DATADIR"}) {
    ASSERT_TRUE(env_.contains(name)) << name << " is missing from " << dir_ << "/env";
  }
}

void PrivateServersTest::TearDown() {
  if (dir_.empty()) return;
  // Stops whatever still runs (the servers not killed) and removes the directory.
  EXPECT_EQ(RunTestServersScript({"stop", dir_}), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

ConnectionSettings PrivateServersTest::Account(const std::string& prefix, SourceType type) {
  ConnectionSettings settings;
  settings.type = type;
  settings.host = env_[prefix + "HOST"];
  settings.port = std::atoi(env_[prefix + "PORT"].c_str());
  settings.user = env_[prefix + "USER"];
  settings.password = env_[prefix + "PASSWORD"];
  settings.database = env_[prefix + "DATABASE"];
  settings.tls_mode = TlsMode::kDisable;
  settings.connect_timeout_s = 5;
  settings.query_timeout_s = 60;
  return settings;
}

}  // namespace contactsync::source::server_testing
