// Data parallel on c10d with Gloo, on 127.0.0.1 (gan/distributed): this program starts copies of
// itself as the ranks (`--worker SCENARIO DIR`, with torchrun's variables) and checks what they
// wrote against a single process computed here. Each test picks its own free loopback port and
// bounds every child in time.
#include <gan/data/loader.hpp>
#include <gan/distributed/launch.hpp>
#include <gan/distributed/process_group.hpp>
#include <gan/presets.hpp>

#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <unistd.h>


#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace dist = gan::distributed;

std::string self_path;  // this program, for the workers

constexpr int64_t kPerRank = 4, kWorld = 2, kSteps = 3;

gan::NetworkSpec spec() { return gan::NetworkSpec().image_size(16).num_classes(3).z_dim(8).g_width(8).d_width(8); }
// Adam's eps is raised from 1e-8 to 1e-4 here: a weight whose gradient is near zero (|g| ~ 1e-8,
// a few in every conv layer) takes a step of lr · g / (|g| + eps), which at eps 1e-8 swings
// between -lr and lr with the rounding of g, and the rounding of one process and two differ
// (sums in another order). At 1e-4 such weights barely move, and the others still take steps of
// about lr (their gradients are 1e-3 and up).
gan::TrainerOptions options() {
  const auto adam = gan::OptimizerOptions().eps(1e-4);
  return gan::TrainerOptions().seed(5).n_critic(2).g_optimizer(adam).d_optimizer(adam);
}

/// Global batch `k` of the test's data: [W·B, 3, 16, 16] in [-1, 1] and labels, the same in
/// every process.
gan::data::Batch global_batch(int64_t k) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + uint64_t(k));
  const int64_t n = kPerRank * kWorld;
  return {at::rand({n, 3, 16, 16}, gen) * 2 - 1, at::randint(3, {n}, gen, at::TensorOptions(at::kLong))};
}

std::vector<at::Tensor> weights(torch::nn::Module& g, torch::nn::Module& d) {
  std::vector<at::Tensor> out;
  for (auto* m : {&g, &d}) {
    for (const auto& p : m->parameters()) out.push_back(p.detach().clone());
    for (const auto& b : m->buffers()) out.push_back(b.detach().clone());
  }
  return out;
}

/// Whether each of `weights`' tensors is one that only rounding moves: a conv's bias that feeds a
/// batch norm ("X.conv.bias" beside "X.bn.weight"), and that norm's running mean, which carries
/// it. The bias has no effect on the output, so its gradient is zero in exact arithmetic; Adam
/// turns the rounding noise left there (which differs between one process and two) into steps
/// of ±lr. Every other weight is compared.
std::vector<bool> rounding_only(torch::nn::Module& g, torch::nn::Module& d) {
  std::vector<bool> out;
  for (auto* m : {&g, &d}) {
    const auto params = m->named_parameters();
    const auto has = [&](const std::string& k) { return params.find(k) != nullptr; };
    const auto prefix = [](const std::string& k, const std::string& tail) {
      return k.size() > tail.size() && k.compare(k.size() - tail.size(), tail.size(), tail) == 0
                 ? k.substr(0, k.size() - tail.size()) : std::string("\n");
    };
    for (const auto& p : params) out.push_back(has(prefix(p.key(), "conv.bias") + "bn.weight"));
    for (const auto& b : m->named_buffers()) out.push_back(has(prefix(b.key(), "bn.running_mean") + "conv.bias"));
  }
  return out;
}

/// Steps `from` .. `to` of preset `name`'s run: alone on the global batches (comm null), or as
/// this rank on its rows of them.
template <class T>
void run_steps(T& t, int64_t from, int64_t to, const dist::Communicator* comm) {
  for (int64_t k = from; k < to; ++k) {
    auto b = global_batch(k);
    if (comm) b = {dist::shard(b.images, comm->rank(), comm->world_size()), dist::shard(b.labels, comm->rank(), comm->world_size())};
    const auto s = t.step(b.images, b.labels);
    if (!s.finite) throw std::runtime_error("the step diverged");
  }
}

// ---- the workers ------------------------------------------------------------------------------

int worker(const std::string& scenario, const fs::path& dir) {
  try {
    const auto o = dist::ProcessGroupOptions::from_environment(std::chrono::seconds(std::atoi(std::getenv("GAN_TEST_TIMEOUT") ? std::getenv("GAN_TEST_TIMEOUT") : "30")));
    auto group = dist::ProcessGroup::create(o);
    const std::string rank = std::to_string(group->rank());
    if (scenario == "die") {  // the last rank is killed after joining; the others go on stepping
      if (group->rank() == group->world_size() - 1) std::raise(SIGKILL);
      gan::presets::ConditionalGan t(spec(), options());
      t.set_communicator(group);
      run_steps(t, 0, 100, group.get());
      return 0;
    }
    if (scenario == "join") return 0;
    // Scenarios "PRESET" (kSteps steps), "PRESET:first" (2 steps, then rank 0 saves),
    // "PRESET:second" (a fresh trainer loads that checkpoint and takes the rest) and
    // "PRESET:per-rank-bn" (kSteps steps, each rank's batch norm on its own rows).
    const auto colon = scenario.find(':');
    const std::string preset = scenario.substr(0, colon), part = colon == std::string::npos ? "" : scenario.substr(colon + 1);
    gan::presets::visit(preset, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T t(spec(), options());
      if (part == "second") t.load(dir / "ckpt.pt");
      t.set_communicator(group, dist::DataParallelOptions().sync_batch_norm(part != "per-rank-bn"));
      if (part == "first") {
        run_steps(t, 0, 2, group.get());
        if (group->rank() == 0) t.save(dir / "ckpt.pt");
        group->barrier();
      } else {
        run_steps(t, part == "second" ? 2 : 0, kSteps, group.get());
      }
      torch::save(weights(*t.generator(), *t.discriminator()), (dir / ("rank" + rank + ".pt")).string());
    });
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "worker: " << e.what() << "\n";
    return 1;
  }
}

// ---- the parent's side ------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  fs::path log;
};

Child spawn(const std::string& scenario, const fs::path& dir, int rank, int world, int port, int timeout_s) {
  const auto log = dir / ("log" + std::to_string(rank) + ".txt");
  const auto pid = dist::spawn_process({self_path, "--worker", scenario, dir.string()},
                                       {{"RANK", std::to_string(rank)}, {"WORLD_SIZE", std::to_string(world)},
                                        {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(port)},
                                        {"OMP_NUM_THREADS", "1"}, {"GAN_TEST_TIMEOUT", std::to_string(timeout_s)}},
                                       log);
  return {pid, log};
}

int wait_for(const Child& c, double seconds) { return dist::wait_process(c.pid, seconds); }
using dist::free_port;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Dir {
  fs::path path;
  explicit Dir(const std::string& name) : path(fs::temp_directory_path() / ("gan_dist_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

/// Runs `scenario` on two ranks; every rank must exit 0 within `seconds`.
void run_two(const std::string& scenario, const fs::path& dir, double seconds = 120) {
  const int port = free_port();
  std::vector<Child> kids;
  for (int r = 0; r < kWorld; ++r) kids.push_back(spawn(scenario, dir, r, kWorld, port, 60));
  for (int r = 0; r < kWorld; ++r)
    ASSERT_EQ(wait_for(kids[size_t(r)], seconds), 0) << scenario << ": rank " << r << " failed:\n" << read_text(kids[size_t(r)].log);
}

std::vector<at::Tensor> load_weights(const fs::path& p) {
  std::vector<at::Tensor> w;
  torch::load(w, p.string());
  return w;
}

double max_difference(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b,
                      const std::vector<bool>& skip = {}) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (i < skip.size() && skip[i]) continue;
    const double d = (a[i].to(at::kDouble) - b[i].to(at::kDouble)).abs().max().item<double>();
    if (std::getenv("GAN_TEST_VERBOSE")) std::cerr << i << " " << a[i].sizes() << " " << d << "\n";
    m = std::max(m, d);
  }
  return m;
}

// ---- the tests ----------------------------------------------------------------------------------

class TwoRanks : public ::testing::TestWithParam<std::string> {};

// 2 ranks with batch B make the same updates as 1 process with batch 2B: the same noise, ε and
// data rows, averaged gradients and batch norm over the global batch (the presets' networks
// have batch norm in G and D). The reference runs here, alone, on the whole global batches.
TEST_P(TwoRanks, EqualOneProcessWithTheGlobalBatch) {
  const std::string preset = GetParam();
  Dir dir("equal_" + preset);
  run_two(preset, dir.path);
  std::vector<at::Tensor> alone, initial;
  std::vector<bool> skip;
  gan::presets::visit(preset, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T t(spec(), options());
    skip = rounding_only(*t.generator(), *t.discriminator());
    initial = weights(*t.generator(), *t.discriminator());
    run_steps(t, 0, kSteps, nullptr);
    alone = weights(*t.generator(), *t.discriminator());
  });
  const auto r0 = load_weights(dir.path / "rank0.pt"), r1 = load_weights(dir.path / "rank1.pt");
  EXPECT_EQ(max_difference(r0, r1), 0.0) << "the ranks hold different weights";
  // A step moves the weights by about lr = 2e-4 each: far above float rounding.
  EXPECT_LT(max_difference(r0, alone, skip), 1e-5) << preset;
  EXPECT_GT(std::count(skip.begin(), skip.end(), false), int64_t(skip.size()) * 3 / 4) << "most weights compared";
  // ... and they did move: the bound tells a trained network from a fresh one.
  EXPECT_GT(max_difference(r0, initial), 1e-4) << preset;
}

// Without synchronised batch norm each rank normalises its own B rows, as PyTorch's DDP does: the
// ranks still make one update (averaged gradients), but not the single process's.
TEST(DataParallel, PerRankBatchNormIsNotTheGlobalBatchs) {
  Dir dir("per_rank_bn");
  run_two("vanilla:per-rank-bn", dir.path);
  gan::presets::ConditionalGan t(spec(), options());
  const auto skip = rounding_only(*t.generator(), *t.discriminator());
  run_steps(t, 0, kSteps, nullptr);
  EXPECT_GT(max_difference(load_weights(dir.path / "rank0.pt"), weights(*t.generator(), *t.discriminator()), skip), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Presets, TwoRanks, ::testing::Values("vanilla", "wgan-gp", "sagan"));

// A 2-rank run stopped after 2 steps and resumed by fresh processes from rank 0's checkpoint
// equals the uninterrupted 2-rank run, bit for bit.
TEST(DataParallel, ResumeOfTwoRanksIsExact) {
  Dir straight("resume_straight"), halves("resume_halves");
  run_two("wgan-gp", straight.path);
  run_two("wgan-gp:first", halves.path);
  ASSERT_TRUE(fs::exists(halves.path / "ckpt.pt"));
  run_two("wgan-gp:second", halves.path);
  EXPECT_EQ(max_difference(load_weights(straight.path / "rank0.pt"), load_weights(halves.path / "rank0.pt")), 0.0);
  EXPECT_EQ(max_difference(load_weights(straight.path / "rank1.pt"), load_weights(halves.path / "rank1.pt")), 0.0);
}

// The loader's shards: each rank's rows of an epoch are disjoint from the others', together
// they are the epoch's permutation (its full global batches), and batch i of rank r is rows
// r, r + W, ... of the single process's batch i with the global batch size.
TEST(DataParallel, ShardsAreDisjointAndCoverTheEpoch) {
  const int64_t n = 50, b = 4, w = 3;
  const auto images = at::arange(n, at::kLong).to(at::kByte).view({n, 1, 1, 1}).expand({n, 3, 2, 2}).contiguous();
  const auto labels = at::arange(n, at::kLong);
  gan::data::LoaderOptions one{.batch_size = b * w, .seed = 9};
  const gan::data::Loader alone(images, labels, one);
  std::vector<int64_t> seen;
  for (int64_t r = 0; r < w; ++r) {
    auto o = one;
    o.batch_size = b, o.rank = r, o.world_size = w;
    const gan::data::Loader mine(images, labels, o);
    ASSERT_EQ(mine.batches_per_epoch(), n / (b * w));
    for (int64_t i = 0; i < mine.batches_per_epoch(); ++i) {
      const auto whole = alone.batch(2, i).labels;
      EXPECT_TRUE(at::equal(mine.batch(2, i).labels, whole.slice(0, r, whole.size(0), w))) << "rank " << r << " batch " << i;
    }
    const auto s = mine.shard_of_epoch(2);
    for (int64_t k = 0; k < s.size(0); ++k) seen.push_back(s[k].item<int64_t>());
  }
  std::vector<int64_t> expected;
  for (int64_t i = 0; i < alone.batches_per_epoch(); ++i)
    for (int64_t k = 0; k < b * w; ++k) expected.push_back(alone.batch(2, i).labels[k].item<int64_t>());
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);  // disjoint (no repeats) and covering: the same multiset of distinct rows
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(int64_t(seen.size()), (n / (b * w)) * b * w);
}

// A lone RANK=0 WORLD_SIZE=2 stops by itself, within its time-out, saying who did not join.
TEST(DataParallel, ALoneRankStopsWithAMessage) {
  Dir dir("lone");
  const auto c = spawn("join", dir.path, 0, 2, free_port(), 3);
  EXPECT_EQ(wait_for(c, 60), 1);
  const auto log = read_text(c.log);
  EXPECT_NE(log.find("rank 0 of 2"), std::string::npos) << log;
  EXPECT_NE(log.find("not every one of the 2 processes joined"), std::string::npos) << log;
}

// A port in use is said to be one (here a store of this process holds it).
TEST(DataParallel, APortInUseIsReported) {
  Dir dir("port");
  const int port = free_port();
  c10d::TCPStoreOptions so;
  so.port = uint16_t(port);
  so.isServer = true;
  so.numWorkers = 1;
  so.waitWorkers = false;
  const auto holder = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  const auto c = spawn("join", dir.path, 0, 2, port, 3);
  EXPECT_EQ(wait_for(c, 60), 1);
  const auto log = read_text(c.log);
  EXPECT_NE(log.find("port " + std::to_string(port) + " is in use"), std::string::npos) << log;
}

/// Starts `world` ranks of the "die" scenario (the last is killed, SIGKILL, after joining) and
/// checks that every other stops within its time-out with a message naming it, instead of
/// hanging. Of more than 2 ranks the survivors find it through the store.
void expect_killed_rank_named(int world, int timeout_s) {
  Dir dir("die" + std::to_string(world));
  const int port = free_port();
  std::vector<Child> kids;
  for (int r = 0; r < world; ++r) kids.push_back(spawn("die", dir.path, r, world, port, timeout_s));
  EXPECT_EQ(wait_for(kids.back(), 60), 128 + SIGKILL);
  for (int r = 0; r + 1 < world; ++r) {
    const auto& kid = kids[size_t(r)];
    EXPECT_EQ(wait_for(kid, 90), 1) << read_text(kid.log);
    const auto log = read_text(kid.log);
    EXPECT_NE(log.find("rank " + std::to_string(r) + " of " + std::to_string(world)), std::string::npos) << log;
    EXPECT_NE(log.find("rank " + std::to_string(world - 1) + " stopped or did not answer"), std::string::npos) << log;
  }
}

TEST(DataParallel, AKilledRankStopsTheOther) { expect_killed_rank_named(2, 10); }
TEST(DataParallel, AKilledRankOfThreeIsNamed) { expect_killed_rank_named(3, 20); }

// launch_local starts a whole group with torchrun's variables and reports the first failure.
TEST(DataParallel, LaunchLocalRunsAGroupAndReportsAFailure) {
  Dir dir("launch");
  ::setenv("GAN_TEST_TIMEOUT", "10", 1);
  EXPECT_EQ(dist::launch_local({self_path, "--worker", "vanilla", dir.path.string()}, {.nproc = 2, .log_dir = dir.path}), 0)
      << read_text(dir.path / "rank_0.log") << read_text(dir.path / "rank_1.log");
  EXPECT_TRUE(fs::exists(dir.path / "rank0.pt") && fs::exists(dir.path / "rank1.pt"));
  const int failed = dist::launch_local({self_path, "--worker", "die", dir.path.string()}, {.nproc = 2, .log_dir = dir.path});
  EXPECT_TRUE(failed == 1 || failed == 128 + SIGKILL) << failed;
  ::unsetenv("GAN_TEST_TIMEOUT");
}

}  // namespace

int main(int argc, char** argv) {
  self_path = fs::canonical("/proc/self/exe").string();
  if (argc == 4 && std::string(argv[1]) == "--worker") return worker(argv[2], argv[3]);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
