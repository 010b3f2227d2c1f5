// Benchmarks of gan::cluster: k-means, silhouette, Ward on n x d float32 features.
// Data: raw float32 row-major from $GAN_CLUSTER_BENCH_DATA (n = $GAN_CLUSTER_BENCH_N,
// d = $GAN_CLUSTER_BENCH_D; benchmarks/compare_cluster.sh writes it with the sklearn reference),
// else 10,000 x 512 Gaussian blobs made here. When $GAN_CLUSTER_BENCH_DIR holds the reference's
// labels, the counter `ari_vs_sklearn` reports the agreement.
#include <gan/cluster/hierarchical.hpp>
#include <gan/cluster/kmeans.hpp>
#include <gan/cluster/scores.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

namespace {

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v ? std::atol(v) : fallback;
}

const gan::cluster::Features& data() {
  static const gan::cluster::Features x = [] {
    const long n = env_long("GAN_CLUSTER_BENCH_N", 10000), d = env_long("GAN_CLUSTER_BENCH_D", 512);
    gan::cluster::Features f(n, d);
    if (const char* path = std::getenv("GAN_CLUSTER_BENCH_DATA")) {
      std::ifstream in(path, std::ios::binary);
      in.read(reinterpret_cast<char*>(f.data()),
              static_cast<std::streamsize>(n * d * sizeof(float)));
      if (!in) {
        std::fprintf(stderr, "cannot read %ld x %ld floats from %s\n", n, d, path);
        std::exit(1);
      }
      return f;
    }
    std::mt19937 rng(0);
    std::normal_distribution<float> g(0.0f, 5.0f);
    std::uniform_real_distribution<float> u(-10.0f, 10.0f);
    gan::cluster::Features centers(6, d);
    for (long i = 0; i < centers.size(); ++i) centers.data()[i] = u(rng);
    for (long i = 0; i < n; ++i)
      for (long j = 0; j < d; ++j) f(i, j) = centers(i % 6, j) + g(rng);
    return f;
  }();
  return x;
}

gan::cluster::Labels reference_labels(const char* what) {
  const char* dir = std::getenv("GAN_CLUSTER_BENCH_DIR");
  if (!dir) return {};
  std::ifstream in(std::string(dir) + "/cluster_bench_" + what + "_labels.i32", std::ios::binary);
  gan::cluster::Labels l(data().rows());
  in.read(reinterpret_cast<char*>(l.data()), static_cast<std::streamsize>(l.size() * sizeof(int)));
  return in ? l : gan::cluster::Labels{};
}

void report(benchmark::State& state, const gan::cluster::Labels& labels, const char* what) {
  state.SetItemsProcessed(state.iterations() * data().rows());
  const auto ref = reference_labels(what);
  if (!ref.empty())
    state.counters["ari_vs_sklearn"] = gan::cluster::adjusted_rand_index(labels, ref);
}

void BM_KMeans(benchmark::State& state) {
  const auto& x = data();
  gan::cluster::KMeansResult r;
  for (auto _ : state) {
    r = gan::cluster::kmeans(x, gan::cluster::KMeansOptions(6).n_init(10).seed(0));
    benchmark::DoNotOptimize(r.inertia);
  }
  state.counters["inertia"] = r.inertia;
  report(state, r.labels, "kmeans");
}
BENCHMARK(BM_KMeans)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Silhouette(benchmark::State& state) {
  const auto& x = data();
  auto ref = reference_labels("kmeans");
  if (ref.empty()) ref = gan::cluster::kmeans(x, gan::cluster::KMeansOptions(6).n_init(1)).labels;
  double s = 0;
  for (auto _ : state) {
    s = gan::cluster::silhouette_score(x, ref);
    benchmark::DoNotOptimize(s);
  }
  state.counters["score"] = s;
  state.SetItemsProcessed(state.iterations() * x.rows());
}
BENCHMARK(BM_Silhouette)->Unit(benchmark::kMillisecond)->UseRealTime();

template <class Scalar>
void BM_Ward(benchmark::State& state) {
  const auto& x = data();
  gan::cluster::HierarchicalResult r;
  for (auto _ : state) {
    r = gan::cluster::agglomerative<Scalar>(x, 6);
    benchmark::DoNotOptimize(r.labels.data());
  }
  report(state, r.labels, "ward");
}
BENCHMARK_TEMPLATE(BM_Ward, float)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_TEMPLATE(BM_Ward, double)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
