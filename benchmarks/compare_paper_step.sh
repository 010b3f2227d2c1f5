#!/usr/bin/env bash
# The paper's 96x96 step at batch 64, for its three variants (vanilla, wgan-gp, sagan), in Python
# (benchmarks/reference/paper_step.py on Debian's python3-torch) and in C++ (train_step_bench's
# anchors: the presets with Layout::paper96), one after the other in the same run:
#   - python:        the paper's step as a user runs it;
#   - python+alloc:  the same with glibc told to keep large blocks (MALLOC_MMAP_THRESHOLD_, the
#                    setting gan::reuse_large_allocations makes), to show what is the allocator's;
#   - ours plain:    TrainerOptions defaults, glibc's defaults;
#   - ours:          what the aerogan tool runs: channels-last with the transposed convolutions
#                    on oneDNN, and gan::reuse_large_allocations.
# Ends with one line per variant: step VARIANT: python S s, ours S s, ratio R.
# That both compute the same step is tested apart, in float64 from the same weights (train_tests'
# PaperStep.*, tests/fixtures/make_paper_step_fixtures.py): float32 runs part within a few steps.
#   benchmarks/compare_paper_step.sh [build-dir]      Env: STEPS (5), THREADS (2), VARIANTS
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
STEPS=${STEPS:-5} THREADS=${THREADS:-2} VARIANTS=${VARIANTS:-"vanilla wgan-gp sagan"}
cmake --build "$build" --target train_step_bench >/dev/null
export OMP_NUM_THREADS="$THREADS"
alloc=(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824)
py() {  # seconds a step
  env "${@:2}" /usr/bin/python3 benchmarks/reference/paper_step.py --variant "$1" --steps "$STEPS" --threads "$THREADS" |
    sed -n 's/.*: \([0-9.]*\) s\/step.*/\1/p'
}
cpp() {  # seconds a step (google benchmark's real time, ms, over its 5 iterations)
  env "${@:2}" "$build"/benchmarks/train_step_bench --benchmark_filter="BM_Step<$1>/anchor" --benchmark_format=csv 2>/dev/null |
    awk -F, '/anchor/ {printf "%.3f\n", $3 / 1000}'
}
summary=()
for v in $VARIANTS; do
  p=$(py "$v"); pa=$(py "$v" "${alloc[@]}")
  c0=$(cpp "$v"); c=$(cpp "$v" GAN_BENCH_CHANNELS_LAST=1 GAN_BENCH_REUSE_MEMORY=1)
  echo "$v: python $p s, python+alloc $pa s, ours plain $c0 s, ours $c s (s/step, batch 64, 96x96, $THREADS threads)"
  summary+=("step $v: python $p s, ours $c s, ratio $(awk -v a="$p" -v b="$c" 'BEGIN {printf "%.2f", a / b}')")
done
printf '%s\n' "${summary[@]}"
