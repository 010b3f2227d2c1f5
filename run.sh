#!/usr/bin/env bash
# Set-up, build and run, on a fresh Debian 12 machine or an existing one.
#   ./run.sh demo    the main job on the built-in data (the default)
#   ./run.sh test    build and run the whole test suite
#   ./run.sh build   configure and build only
#   ./run.sh bench   build and run the benchmarks
set -euo pipefail
cd "$(dirname "$0")"
cmd=${1:-demo}
shift || true
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

packages=(libtorch-dev libopenblas0-openmp libeigen3-dev libopencv-dev
          libboost-program-options-dev libgtest-dev libgmock-dev libbenchmark-dev
          cmake ninja-build g++)

install_deps() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "run.sh: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

configure() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
}

install_deps
case "$cmd" in
  build)
    configure
    cmake --build "$BUILD_DIR" -j "$JOBS"
    ;;
  test)
    configure
    cmake --build "$BUILD_DIR" -j "$JOBS"
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j 1 "$@"
    ;;
  bench)
    configure
    cmake --build "$BUILD_DIR" -j "$JOBS" --target train_step_bench
    "$BUILD_DIR"/benchmarks/train_step_bench "$@"
    ;;
  demo)
    # The main job on the built-in data: a source-region rooftop dataset, a conditional GAN
    # trained on it on the CPU for a few minutes, its sample grids, plots and generated images.
    configure
    cmake --build "$BUILD_DIR" -j "$JOBS" --target aerogan
    out=${OUT:-out/demo}
    bin="$BUILD_DIR/examples/aerogan"
    "$bin" synth --out "$out/data" --count 1200 --size 32 --region source --positive-ratio 0.2 --seed 1
    # --resume: a demo that was stopped continues; a finished one is left as it is.
    "$bin" train --labels "$out/data/labels.csv" --img_size 32 --batch_size 32 \
      --n_epochs "${DEMO_EPOCHS:-40}" --g-width 32 --d-width 32 --init dcgan --variant vanilla \
      --save_nr 10 --checkpoint_nr 10 --out "$out" --model_name cgan --resume "$@"
    "$bin" generate --model "$out/cgan" --n 64 --classes 1 --out "$out/cgan/generated"
    echo
    echo "demo: the results are in $out"
    echo "  dataset:          $out/data (images/, labels.csv)"
    echo "  sample grids:     $out/cgan/samples/ (a row per class: 0 no panels, 1 solar panels)"
    echo "  loss plots:       $out/cgan/plots/"
    echo "  metrics:          $out/cgan/metrics.csv"
    echo "  checkpoints:      $out/cgan/checkpoints/"
    echo "  generated images: $out/cgan/generated/ (images/, labels.csv)"
    ;;
  *)
    echo "usage: ./run.sh [demo|test|build|bench] [args...]" >&2
    exit 2
    ;;
esac
