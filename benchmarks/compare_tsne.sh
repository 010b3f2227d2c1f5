#!/usr/bin/env bash
# Times gan::cluster::tsne against scikit-learn's TSNE(method="barnes_hut") on the SAME data
# in one run, and scores both embeddings with sklearn.manifold.trustworthiness.
#
#   benchmarks/compare_tsne.sh [N=10000] [D=512] [SEED=0] [THREADS=0 (all)]
#
# Data: N x D float32 Gaussian blobs (10 centres, sklearn make_blobs with SEED), written raw
# to /tmp. Trustworthiness uses k = 5 on a 2,000-point random subsample when N > 2,000 (the
# full one is O(N^2) memory in sklearn). Needs g++, Eigen 3, and Debian's /usr/bin/python3
# with numpy and scikit-learn. This is a benchmark, not a test: it asserts no time.
set -euo pipefail
N=${1:-10000}
D=${2:-512}
SEED=${3:-0}
THREADS=${4:-0}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
WORK=${TMPDIR:-/tmp}/gan_tsne_compare
mkdir -p "$WORK"
DATA=$WORK/X_${N}x${D}_seed${SEED}.f32

cat > "$WORK/tsne_run.cpp" <<'CPP'
// Runs gan::cluster::tsne on raw float32 data (N x D), writes the embedding (raw float64).
#include <gan/cluster/tsne.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
int main(int argc, char** argv) {
  if (argc < 7) { std::fprintf(stderr, "usage: tsne_run DATA N D SEED OUT THREADS\n"); return 2; }
  const long n = std::atol(argv[2]), d = std::atol(argv[3]);
  gan::cluster::RowMatrixXf X(n, d);
  std::ifstream in(argv[1], std::ios::binary);
  in.read(reinterpret_cast<char*>(X.data()), std::streamsize(n * d * sizeof(float)));
  if (!in) { std::fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
  gan::cluster::TsneOptions options;
  options.seed = std::strtoull(argv[4], nullptr, 10);
  options.threads = std::atoi(argv[6]);
  options.verbose = std::getenv("TSNE_VERBOSE") != nullptr;
  const auto start = std::chrono::steady_clock::now();
  const auto result = gan::cluster::tsne(X, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ofstream out(argv[5], std::ios::binary);
  out.write(reinterpret_cast<const char*>(result.embedding.data()),
            std::streamsize(n * 2 * sizeof(double)));
  std::printf("ours: %.2f s, KL %.4f, iterations %d\n", seconds, result.kl_divergence,
              result.iterations);
}
CPP
echo "building $WORK/tsne_run (g++ -O3 -march=x86-64-v2 -fopenmp)"
g++ -std=c++20 -O3 -march=x86-64-v2 -fopenmp -DNDEBUG -I"$ROOT/include" -I/usr/include/eigen3 \
  "$WORK/tsne_run.cpp" -o "$WORK/tsne_run"

[ -f "$DATA" ] || $PY "$HERE/reference/sklearn_tsne_bench.py" make "$DATA" "$N" "$D" "$SEED"
echo "data: $DATA ($N x $D float32), $(nproc) cores"
echo "load before ours: $(cut -d' ' -f1-3 /proc/loadavg)"
"$WORK/tsne_run" "$DATA" "$N" "$D" "$SEED" "$WORK/ours.f64" "$THREADS"
echo "load before sklearn: $(cut -d' ' -f1-3 /proc/loadavg)"
$PY "$HERE/reference/sklearn_tsne_bench.py" run "$DATA" "$N" "$D" "$SEED" "$WORK/sklearn.f64"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
$PY "$HERE/reference/sklearn_tsne_bench.py" score "$DATA" "$N" "$D" 5 2000 \
  "$WORK/ours.f64" "$WORK/sklearn.f64"
