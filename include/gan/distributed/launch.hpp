#pragma once
/// @file
/// Local process groups without torchrun (POSIX): `launch_local` starts a program N times on
/// this machine with torchrun's variables (`RANK`, `LOCAL_RANK`, `WORLD_SIZE`, `MASTER_ADDR`,
/// `MASTER_PORT`), as `torchrun --nproc_per_node N` does, and waits for them; `spawn_process`,
/// `wait_process` and `free_port` are its parts, for tests and launchers of one's own.
///
/// ```cpp
/// if (!std::getenv("RANK") && nproc > 1)   // the launcher: the same program, N times
///   return gan::distributed::launch_local({"/proc/self/exe", "train", ...}, {.nproc = nproc});
/// ```

#include <gan/error.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace gan::distributed {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, released).
inline int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) throw Error("socket", 0, std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  const int err = errno;
  ::close(s);
  if (!ok) throw Error("127.0.0.1", 0, std::string("cannot find a free port: ") + std::strerror(err));
  return ntohs(a.sin_port);
}

/// Starts `argv` (argv[0] a path) with this process's environment, less torchrun's variables,
/// plus `env`; its standard output and error go to `log` when given (else they are this
/// process's). Returns its pid; throws gan::Error when it cannot start.
inline pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                           const std::filesystem::path& log = {}) {
  std::vector<std::string> vars;
  for (char** e = environ; *e; ++e) {
    const std::string v = *e;
    bool replaced = false;
    for (const char* k : {"RANK=", "LOCAL_RANK=", "WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT="}) replaced = replaced || v.rfind(k, 0) == 0;
    for (const auto& [k, value] : env) replaced = replaced || v.rfind(k + "=", 0) == 0;
    if (!replaced) vars.push_back(v);
  }
  for (const auto& [k, v] : env) vars.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  auto argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv.at(0).c_str(), &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error(argv.at(0), 0, std::string("cannot start it: ") + std::strerror(rc));
  return pid;
}

/// A wait status as an exit code: the process's own, or 128 + the signal that ended it.
inline int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/// Waits for process `pid` at most `seconds` (< 0: without limit) and kills it (SIGKILL) when it
/// runs over. Returns its exit code, 128 + the signal that ended it, or -1 when killed here.
inline int wait_process(pid_t pid, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds < 0 ? 1e9 : seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < end) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return exit_code(status);
    if (r < 0) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

/// How `launch_local` starts its processes.
struct LaunchOptions {
  int nproc = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  ///< 0: a free port
  /// When one process has failed, how long the others get to stop by themselves (they do,
  /// within their collectives' time-out) before they are killed.
  double grace_seconds = 150;
  /// Each rank's output to LOG_DIR/rank_R.log; empty: all of them to this process's.
  std::filesystem::path log_dir;
  /// More variables for every process (e.g. its share of OMP_NUM_THREADS); this one's own
  /// environment is left as it is.
  std::vector<std::pair<std::string, std::string>> env;
};

/// `torchrun --nproc_per_node N` on this machine: starts `argv` `nproc` times with RANK =
/// LOCAL_RANK = 0 .. N-1, WORLD_SIZE = N, MASTER_ADDR and MASTER_PORT, and waits for every one.
/// Returns 0 when all exit 0, else the first failure's code (128 + signal for a signal).
inline int launch_local(const std::vector<std::string>& argv, const LaunchOptions& o) {
  if (o.nproc < 1) throw Error("nproc", 0, "must be >= 1, got " + std::to_string(o.nproc));
  const int port = o.master_port > 0 ? o.master_port : free_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < o.nproc; ++r) {
    auto env = o.env;
    env.insert(env.end(), {{"RANK", std::to_string(r)}, {"LOCAL_RANK", std::to_string(r)},
                           {"WORLD_SIZE", std::to_string(o.nproc)}, {"MASTER_ADDR", o.master_addr},
                           {"MASTER_PORT", std::to_string(port)}});
    pids.push_back(spawn_process(argv, env, o.log_dir.empty() ? std::filesystem::path() : o.log_dir / ("rank_" + std::to_string(r) + ".log")));
  }
  // Until one fails, every exit is collected as it comes; then the rest get their grace.
  int first_failure = 0;
  while (!pids.empty() && !first_failure) {
    for (size_t i = 0; i < pids.size() && !first_failure;) {
      int status = 0;
      const pid_t r = ::waitpid(pids[i], &status, WNOHANG);
      if (r == 0) {
        ++i;
        continue;
      }
      first_failure = r < 0 ? 1 : exit_code(status);
      pids.erase(pids.begin() + std::ptrdiff_t(i));
    }
    if (!pids.empty() && !first_failure) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const auto pid : pids) wait_process(pid, o.grace_seconds);
  return first_failure;
}

}  // namespace gan::distributed
