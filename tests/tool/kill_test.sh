#!/usr/bin/env bash
# kill -9 at pseudo-random moments of a training run that writes a checkpoint every epoch,
# repeated (bounded in count and time): after every kill `latest` names a checkpoint that loads
# (generate reads it), no temporary file survives the next start, and the run resumed to its
# end equals an uninterrupted one (losses and the last sample grid, byte for byte).
# Usage: kill_test.sh AEROGAN WORKDIR [KILLS]
set -uo pipefail
bin=$1
work=$2
kills=${3:-10}
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAILED: $1"; failed=$((failed + 1)); }

"$bin" synth --out data --count 32 --size 32 --positive-ratio 0.25 --seed 7 >/dev/null
# Wide networks on few images: the checkpoint writes take a good share of each epoch.
args=(--labels data/labels.csv --img-size 32 --batch-size 16 --g-width 32 --d-width 32 --z-dim 16
      --variant wgan-gp --disc-repeats 2 --ema 0.9 --checkpoint-nr 1 --n-epochs 12 --out out)
"$bin" train "${args[@]}" --model-name straight >/dev/null 2>&1 || { echo "FAILED: the straight run"; exit 1; }

# The same run, killed again and again. First once it has written a checkpoint, so that there is
# a `latest` to keep; then after a delay of 0.0-2.0 s from a fixed LCG, or, every other time, as
# soon as a checkpoint's temporary file appears (inside its write). Each wait is bounded in time,
# not in loop turns, so a slow machine only makes the kills later.
wait_for() {  # wait_for SECONDS GLOB: until a file matches GLOB (or the time is up)
  local until=$((SECONDS + $1))
  while ((SECONDS < until)); do compgen -G "$2" >/dev/null && return 0; done
  return 1
}
seed=12345
loadable=1 started=0 inside=0
"$bin" train "${args[@]}" --model-name killed --resume >/dev/null 2>&1 &
pid=$!
wait_for 120 "out/killed/checkpoints/latest"
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
deadline=$((SECONDS + 240))
for ((k = 1; k <= kills && SECONDS < deadline; ++k)); do
  seed=$(((seed * 1103515245 + 12345) % 2147483648))
  delay=$(printf '0.%03d' $((seed % 1000)))
  extra=$((seed % 2))
  "$bin" train "${args[@]}" --model-name killed --resume >/dev/null 2>&1 &
  pid=$!
  if ((k % 2)); then
    sleep "$extra$delay"
  else  # inside a checkpoint write: as soon as its temporary file is there
    wait_for 60 "out/killed/checkpoints/*.tmp.*"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -n "$(find out/killed -name '*.tmp.*' 2>/dev/null)" ] && inside=$((inside + 1))  # killed inside a write
  if [ -f out/killed/checkpoints/latest ]; then
    started=1
    name=$(cat out/killed/checkpoints/latest)
    if ! "$bin" generate --model out/killed --n 2 --out "gen_$k" >/dev/null 2>&1; then
      loadable=0
      echo "after kill $k: latest names '$name', which does not load"
    fi
  else
    echo "after kill $k: no latest"
  fi
done
[ $started = 1 ] && [ $loadable = 1 ] && ok "after each of $((k - 1)) kills -9 ($inside inside a write), latest names a checkpoint that loads" || bad "latest is loadable after every kill"
"$bin" train "${args[@]}" --model-name killed --resume >/dev/null 2>&1
[ -z "$(find out/killed -name '*.tmp.*')" ] && ok "no temporary file is left once a run starts again" || bad "temporary files are left: $(find out/killed -name '*.tmp.*')"
if diff <(cut -d, -f1-8 out/straight/metrics.csv) <(cut -d, -f1-8 out/killed/metrics.csv) >/dev/null &&
   cmp -s out/straight/samples/epoch_12.png out/killed/samples/epoch_12.png; then
  ok "the killed and resumed run equals the uninterrupted one"
else
  bad "the killed and resumed run differs from the uninterrupted one"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
