// One training step per preset × attention blocks (0, 1, 2) × loss, at 32×32 and 96×96, in
// images/s; and the anchor: the paper's exact 96×96 networks at batch 64, the step that
// benchmarks/reference/paper_step.py times in Python (benchmarks/compare_paper_step.sh runs
// both). The device is GAN_BENCH_DEVICE (cpu or cuda; default cpu); GAN_BENCH_CHANNELS_LAST=1
// turns TrainerOptions::channels_last on, GAN_BENCH_REUSE_MEMORY=1 gan::reuse_large_allocations().
#include <gan/presets.hpp>
#include <gan/train/allocator.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

namespace {

torch::Device bench_device() {
  const char* d = std::getenv("GAN_BENCH_DEVICE");
  return d && std::string(d) == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

// GAN_BENCH_CHANNELS_LAST=1: TrainerOptions::channels_last (NHWC, transposed convolutions on oneDNN).
bool channels_last() {
  const char* c = std::getenv("GAN_BENCH_CHANNELS_LAST");
  return c && std::string(c) == "1";
}

std::vector<int64_t> attention(int64_t blocks) {
  if (blocks == 0) return {};
  if (blocks == 1) return {2};
  return {2, 3};
}

// Args: image size, attention blocks (-1: the preset's own), batch, layout (0 family, 1 paper96).
template <class Preset>
void BM_Step(benchmark::State& state) {
  const int64_t size = state.range(0), att = state.range(1), batch = state.range(2);
  const bool paper = state.range(3) == 1;
  auto spec = gan::NetworkSpec()
                  .image_size(size)
                  .num_classes(6)
                  .z_dim(64)
                  .layout(paper ? gan::Layout::paper96 : gan::Layout::family);
  if (att >= 0) spec.g_attention_at(attention(att)).d_attention_at(attention(att));  // -1: the preset's
  const auto device = bench_device();
  Preset trainer(spec, gan::TrainerOptions().device(device).channels_last(channels_last()));
  auto x = (torch::rand({batch, 3, size, size}) * 2 - 1).to(device);
  auto y = torch::randint(6, {batch}, torch::kLong).to(device);
  trainer.step(x, y);  // warm-up
  for (auto _ : state) {
    auto s = trainer.step(x, y);
    benchmark::DoNotOptimize(s.d_loss);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(paper ? "paper96" : "family");
}

void matrix(benchmark::internal::Benchmark* b) {
  b->ArgNames({"size", "attention", "batch", "paper"});
  for (int64_t size : {32, 96})
    for (int64_t att : {0, 1, 2}) b->Args({size, att, size == 32 ? 64 : 16, 0});
  b->Unit(benchmark::kMillisecond)->MinTime(0.5);
}

void anchor(benchmark::internal::Benchmark* b) {
  b->ArgNames({"size", "attention", "batch", "paper"})->Args({96, -1, 64, 1});
  b->Unit(benchmark::kMillisecond)->Iterations(5);
}

// Attention variants against each other: the paper's SAGAN (model R) with SAGAN's
// self-attention or squeeze-and-excitation, after block 2 of both networks, 32x32, batch 64.
void BM_Attention(benchmark::State& state, gan::nn::AttentionFactory attention) {
  auto spec = gan::NetworkSpec().image_size(32).num_classes(6).z_dim(64).attention(attention)
                  .g_attention_at(std::vector<int64_t>{2}).d_attention_at(std::vector<int64_t>{2});
  const auto device = bench_device();
  gan::presets::ConditionalSagan trainer(spec, gan::TrainerOptions().device(device));
  auto x = (torch::rand({64, 3, 32, 32}) * 2 - 1).to(device);
  auto y = torch::randint(6, {64}, torch::kLong).to(device);
  trainer.step(x, y);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(trainer.step(x, y).d_loss);
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK_CAPTURE(BM_Attention, self_attention, gan::nn::self_attention())->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK_CAPTURE(BM_Attention, channel_attention, gan::nn::channel_attention())->Unit(benchmark::kMillisecond)->MinTime(0.5);

// The anchor, then every named variant of the library's one list over the matrix.
const bool registered = [] {
  // The paper's three variants at its 96x96 networks, as benchmarks/reference/paper_step.py runs them.
  benchmark::RegisterBenchmark("BM_Step<vanilla>/anchor", BM_Step<gan::presets::ConditionalGan>)->Apply(anchor);
  benchmark::RegisterBenchmark("BM_Step<wgan-gp>/anchor", BM_Step<gan::presets::ConditionalWganGp>)->Apply(anchor);
  benchmark::RegisterBenchmark("BM_Step<sagan>/anchor", BM_Step<gan::presets::ConditionalSagan>)->Apply(anchor);
  std::apply(
      [](const auto&... v) {
        (benchmark::RegisterBenchmark(("BM_Step<" + std::string(v.name) + ">").c_str(),
                                      BM_Step<typename std::decay_t<decltype(v)>::type>)
             ->Apply(matrix),
         ...);
      },
      gan::presets::variants);
  return true;
}();

}  // namespace

// GAN_BENCH_REUSE_MEMORY=1: gan::reuse_large_allocations() first, as the aerogan tool does.
int main(int argc, char** argv) {
  if (const char* r = std::getenv("GAN_BENCH_REUSE_MEMORY"); r && std::string(r) == "1") gan::reuse_large_allocations();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
