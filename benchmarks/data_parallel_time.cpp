// Images/s of a GAN step alone and on N local processes (gan/distributed, Gloo), at the same
// global batch, and what the collectives cost per step on rank 0 (bytes, time). Not a Google
// Benchmark: it starts its ranks as processes (launch_local), so it is a plain program.
//   data_parallel_time [--nproc N] [--preset vanilla] [--size 32] [--batch 64] [--steps 20]
// --batch is the global batch (each of N ranks takes batch / N). docs/performance.md has runs.
#include <gan/distributed/launch.hpp>
#include <gan/distributed/process_group.hpp>
#include <gan/presets.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Args {
  int nproc = 1;
  std::string preset = "vanilla";
  int64_t size = 32, batch = 64, steps = 20;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--nproc") a.nproc = std::stoi(v);
    else if (k == "--preset") a.preset = v;
    else if (k == "--size") a.size = std::stoll(v);
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--steps") a.steps = std::stoll(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  return a;
}

int rank_main(const Args& a) {
  namespace dist = gan::distributed;
  auto group = dist::ProcessGroup::create(dist::ProcessGroupOptions::from_environment());
  const int64_t w = group->world_size(), per_rank = a.batch / w;
  if (per_rank * w != a.batch) throw std::invalid_argument("--batch must be a multiple of --nproc");
  double images_per_s = 0;
  int64_t params = 0;
  gan::presets::visit(a.preset, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T t(gan::NetworkSpec().image_size(a.size).num_classes(6), gan::TrainerOptions().seed(1));
    for (auto* m : {static_cast<torch::nn::Module*>(t.generator().get()), static_cast<torch::nn::Module*>(t.discriminator().get())})
      for (const auto& p : m->parameters()) params += p.numel();
    t.set_communicator(group);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
    const auto images = at::rand({per_rank, 3, a.size, a.size}, gen) * 2 - 1;
    const auto labels = at::randint(6, {per_rank}, gen, at::TensorOptions(at::kLong));
    for (int i = 0; i < 2; ++i) t.step(images, labels);  // warm-up
    group->barrier();
    const auto before = group->traffic();
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < a.steps; ++i) t.step(images, labels);
    group->barrier();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    images_per_s = double(a.batch * a.steps) / secs;
    const auto after = group->traffic();
    // The gradients' all-reduce alone: both networks' parameters as one float buffer, 5 times.
    double alone = 0;
    if (w > 1) {
      std::vector<at::Tensor> grads{at::ones({params})};
      group->barrier();
      const auto a0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 5; ++i) group->all_reduce_sum(grads);
      alone = std::chrono::duration<double>(std::chrono::steady_clock::now() - a0).count() / 5;
    }
    if (group->rank() == 0) {
      const double steps = double(a.steps);
      std::printf("data_parallel: preset %s, %lldx%lld, global batch %lld = %lld x %lld processes, OMP_NUM_THREADS=%s, %lld parameters\n",
                  a.preset.c_str(), (long long)a.size, (long long)a.size, (long long)a.batch, (long long)per_rank, (long long)w,
                  std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "unset", (long long)params);
      std::printf("data_parallel: %.1f images/s (%.3f s/step); per step on rank 0: %.1f collectives, %.2f MB, %.4f s in them (%.0f%% of the step)\n",
                  images_per_s, secs / steps, double(after.calls - before.calls) / steps,
                  double(after.bytes - before.bytes) / steps / 1e6, (after.seconds - before.seconds) / steps,
                  100.0 * (after.seconds - before.seconds) / secs);
      if (w > 1)
        std::printf("data_parallel: one all-reduce of both networks' gradients alone (%.2f MB): %.4f s, %.2f GB/s of buffer\n",
                    double(params) * 4 / 1e6, alone, double(params) * 4 / 1e9 / alone);
    }
  });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto a = parse(argc, argv);
    if (a.nproc > 1 && !std::getenv("RANK")) {
      std::vector<std::string> args{"/proc/self/exe"};
      for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
      gan::distributed::LaunchOptions o;
      o.nproc = a.nproc;
      return gan::distributed::launch_local(args, o);
    }
    return rank_main(a);
  } catch (const std::exception& e) {
    std::cerr << "data_parallel_time: " << e.what() << "\n";
    return 1;
  }
}
