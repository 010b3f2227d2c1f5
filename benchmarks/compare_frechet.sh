#!/usr/bin/env bash
# The Fréchet distance of two feature sets of N a side at 2048-d: gan::metrics::frechet_distance
# (from the features) beside pytorch-fid's formula (np.cov, scipy's sqrtm), on the same features,
# in one run, for each N. Ours is the best of 3 runs, scipy's one run (it takes seconds).
# Usage: benchmarks/compare_frechet.sh [frechet_time-binary]   (built with g++ when not given)
# Env: SIZES ("512 2048 10000"), D (2048), DIR (/tmp), THREADS (2), PYTHON (/usr/bin/python3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZES="${SIZES:-512 2048 10000}" D="${D:-2048}" DIR="${DIR:-/tmp}" THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
BIN="${1:-}"
if [[ -z "$BIN" ]]; then
  BIN="$DIR/frechet_time"
  echo "building $BIN ..."
  g++ -std=c++20 -O3 -march=x86-64-v2 -fopenmp -DNDEBUG -I"$ROOT/include" -I/usr/include/eigen3 \
    "$ROOT/benchmarks/frechet_time.cpp" -o "$BIN" -Wl,--no-as-needed -llapack -lblas
fi
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
summary=()
for n in $SIZES; do
  py=$("$PYTHON" "$ROOT/benchmarks/reference/frechet_scipy.py" --n "$n" --d "$D" --dir "$DIR")
  ours=$("$BIN" "$DIR/frechet_a_$n.f64" "$n" "$DIR/frechet_b_$n.f64" "$n" "$D")
  rm -f "$DIR/frechet_a_$n.f64" "$DIR/frechet_b_$n.f64"
  echo "N=$n: $py | $ours"
  summary+=("frechet: N=$n ours $(echo "$ours" | awk '{print $2}') s scipy $(echo "$py" | awk '{print $2}') s")
done
printf '%s\n' "${summary[@]}"
