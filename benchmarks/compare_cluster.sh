#!/usr/bin/env bash
# Times gan::cluster against scikit-learn 1.2 on the same data, in one run:
# k-means (k=6, n_init=10), silhouette, Ward, on 10,000 x 512 float32 blobs.
# The Python reference makes the data (fixed seed), writes it raw to $DIR, times sklearn and
# writes its labels; the C++ benchmark then reads the same file and reports ARI vs sklearn.
# Usage: benchmarks/compare_cluster.sh [bench-binary]   (built with g++ when not given)
# Env: N, D (10000, 512), DIR (/tmp), THREADS (2), PYTHON (/usr/bin/python3), CXXFLAGS_EXTRA,
#      NATIVE=1 also builds and runs a -march=native binary (the project's flags are x86-64-v2:
#      SSE4.2, no AVX; NumPy's OpenBLAS picks AVX2/AVX-512 kernels at run time).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-10000}" D="${D:-512}" DIR="${DIR:-/tmp}" THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
BIN="${1:-}"
if [[ -z "$BIN" ]]; then
  BIN="$DIR/cluster_bench"
  echo "building $BIN ..."
  g++ -std=c++20 -O3 -march=x86-64-v2 -fopenmp -DNDEBUG ${CXXFLAGS_EXTRA:-} \
    -I"$ROOT/include" -I/usr/include/eigen3 "$ROOT/benchmarks/cluster_bench.cpp" \
    -o "$BIN" -lbenchmark -lpthread
  if [[ "${NATIVE:-0}" == 1 ]]; then
    g++ -std=c++20 -O3 -march=native -fopenmp -DNDEBUG ${CXXFLAGS_EXTRA:-} \
      -I"$ROOT/include" -I/usr/include/eigen3 "$ROOT/benchmarks/cluster_bench.cpp" \
      -o "$BIN.native" -lbenchmark -lpthread
  fi
fi
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
echo "== scikit-learn ($("$PYTHON" -c 'import sklearn; print(sklearn.__version__)'), $THREADS threads) on $N x $D float32"
"$PYTHON" "$ROOT/benchmarks/reference/sklearn_cluster_bench.py" --n "$N" --d "$D" --dir "$DIR"
echo "== gan::cluster ($THREADS threads), same data"
GAN_CLUSTER_BENCH_DATA="$DIR/cluster_bench_x.f32" GAN_CLUSTER_BENCH_N="$N" GAN_CLUSTER_BENCH_D="$D" \
  GAN_CLUSTER_BENCH_DIR="$DIR" "$BIN" --benchmark_repetitions=1
if [[ -x "$BIN.native" && "${NATIVE:-0}" == 1 ]]; then
  echo "== gan::cluster -march=native ($THREADS threads), same data"
  GAN_CLUSTER_BENCH_DATA="$DIR/cluster_bench_x.f32" GAN_CLUSTER_BENCH_N="$N" GAN_CLUSTER_BENCH_D="$D" \
    GAN_CLUSTER_BENCH_DIR="$DIR" "$BIN.native" --benchmark_repetitions=1
fi
