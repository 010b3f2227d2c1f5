#!/bin/bash
# Compile time of the test programs from a fresh build folder, one revision after the other:
#   bash benchmarks/measure_compile.sh REV [REV...]   (run alone: two builds at once halve both)
set -e
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
for rev in "$@"; do
  d=/tmp/ct-$rev
  rm -rf $d && git clone -q "$repo" $d && git -C $d checkout -q $rev
  cmake -S $d -B $d/build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
  targets="nn_tests train_tests data_tests io_tests cluster_tests"
  s=$(date +%s.%N); cmake --build $d/build -j2 --target $targets > $d/build.log 2>&1; e=$(date +%s.%N)
  echo "$rev tests: $(echo "$e - $s" | bc) s"
  if grep -q header_check $d/tests/CMakeLists.txt; then
    s=$(date +%s.%N); cmake --build $d/build -j2 --target header_check > $d/hc.log 2>&1; e=$(date +%s.%N)
    echo "$rev header_check: $(echo "$e - $s" | bc) s"
  fi
  grep -c "invalid-pch" $d/build.log || true
done
