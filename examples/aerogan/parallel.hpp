#pragma once
// Data parallel in the tool: the options every scaling subcommand shares (--nproc, --dist-timeout,
// --master-port), joining the group that torchrun's variables describe, and the --nproc launcher,
// which starts the same subcommand N times with those variables (gan/distributed/launch.hpp).
#include "options.hpp"

#include <gan/distributed/communicator.hpp>
#include <gan/distributed/launch.hpp>
#include <gan/io/atomic_file.hpp>
#ifdef GAN_TOOL_DISTRIBUTED
#include <gan/distributed/process_group.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace aerogan {

/// The group torchrun's variables describe (RANK, WORLD_SIZE, ...), or null when they describe
/// none or a group of one.
inline std::shared_ptr<gan::distributed::Communicator> join_group(const DistFlags& f) {
  const char* world = std::getenv("WORLD_SIZE");
  if (!world || std::string(world) == "1") return nullptr;
#ifdef GAN_TOOL_DISTRIBUTED
  const auto ms = std::chrono::milliseconds(int64_t(f.timeout * 1000));
  return gan::distributed::ProcessGroup::create(gan::distributed::ProcessGroupOptions::from_environment(ms));
#else
  (void)f;
  throw std::invalid_argument(std::string("WORLD_SIZE=") + world + ": this aerogan was built without c10d (Debian: install libgloo-dev and rebuild)");
#endif
}

/// Starts `aerogan SUBCOMMAND --config DIR/launch.ini EXTRA...` `f.nproc` times as one group (the
/// INI holds the run's options; toggles, which an INI does not keep, go in `extra`) and returns
/// the first failure's exit code, or 0.
/// `ini_of(options)` gives it for any subcommand's options.
inline int launch(const std::string& subcommand, const std::string& ini, const std::filesystem::path& dir,
                  const DistFlags& f, const std::vector<std::string>& extra = {}) {
  std::filesystem::create_directories(dir);
  const auto config = dir / "launch.ini";
  gan::io::write_file_atomically(config, ini);
  std::vector<std::string> argv{std::filesystem::read_symlink("/proc/self/exe").string(), subcommand, "--config", config.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::cout << "aerogan " << subcommand << ": starting " << f.nproc << " processes (" << config.string() << ")\n" << std::flush;
  gan::distributed::LaunchOptions o;
  o.nproc = int(f.nproc);
  // The threads shared out among the processes (OMP_NUM_THREADS, else the cores): two OpenMP
  // programs each with every core run several times slower than one (docs/performance.md).
  // Set for the processes only: a pipeline that launches stage after stage keeps its own.
  const char* omp = std::getenv("OMP_NUM_THREADS");
  const long threads = omp && std::atol(omp) > 0 ? std::atol(omp) : ::sysconf(_SC_NPROCESSORS_ONLN);
  o.env.emplace_back("OMP_NUM_THREADS", std::to_string(std::max<long>(1, threads / long(f.nproc))));
  o.master_port = int(f.master_port);
  o.grace_seconds = f.timeout + 30;
  return gan::distributed::launch_local(argv, o);
}

}  // namespace aerogan
