#!/usr/bin/env bash
# Times the paper's 96x96 conditional GAN step at batch 64 in Python (the re-implementation in
# benchmarks/reference/paper_step.py, Debian's python3-torch) and in C++ (train_step_bench's
# anchor), one after the other in the same run.
#   benchmarks/compare_paper_step.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target train_step_bench >/dev/null
echo "== Python (paper's step) =="
/usr/bin/python3 benchmarks/reference/paper_step.py --steps 5
echo "== C++ (gan::presets::ConditionalGan, paper96 layout) =="
"$build"/benchmarks/train_step_bench --benchmark_filter='BM_Step<vanilla>/anchor'
