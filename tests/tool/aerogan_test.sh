#!/usr/bin/env bash
# End-to-end tests of the aerogan tool: synth -> train -> resume -> generate, the paper's
# spellings, INI configs, and the errors for bad input. Usage: aerogan_test.sh AEROGAN WORKDIR
set -uo pipefail
bin=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAILED: $1"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
# expect_error NAME EXIT_CODE PATTERN -- CMD...: CMD fails with that code and prints PATTERN.
expect_error() {
  local name=$1 code=$2 pattern=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$code" ] && grep -qF -- "$pattern" <<<"$out"; then ok "$name"; else bad "$name (exit $rc): $out"; fi
}

"$bin" synth --out data --count 96 --size 32 --positive-ratio 0.25 --seed 3 >/dev/null
check "synth writes images and labels" '[ "$(ls data/images | wc -l)" -eq 96 ] && [ "$(wc -l < data/labels.csv)" -eq 97 ]'
check "synth makes the requested share of positives" '[ "$(grep -c ",1$" data/labels.csv)" -eq 24 ]'

common=(--labels data/labels.csv --img_size 32 --batch_size 16 --g-width 8 --d-width 8 --z-dim 8
        --out out --variant wgan-gp --disc_repeats 2 --ema 0.9 --augment --checkpoint-nr 1)
"$bin" train "${common[@]}" --n_epochs 3 --model_name straight >/dev/null 2>&1
check "train leaves config, checkpoints, samples, plots and metrics" \
  '[ -f out/straight/config.ini ] && [ -f out/straight/checkpoints/latest ] && [ -f out/straight/checkpoints/epoch_3.pt ] && [ -f out/straight/samples/epoch_3.png ] && [ -f out/straight/plots/losses_iterations.png ] && [ -f out/straight/plots/losses_epochs.png ] && [ -f out/straight/plots/gradients.png ]'
check "metrics.csv has a row per iteration" '[ "$(wc -l < out/straight/metrics.csv)" -eq $((3 * 6 + 1)) ]'
check "latest points to the newest checkpoint" '[ "$(cat out/straight/checkpoints/latest)" = epoch_3.pt ]'

"$bin" train "${common[@]}" --n_epochs 1 --model_name resumed >/dev/null 2>&1
out=$("$bin" train "${common[@]}" --n_epochs 3 --model_name resumed --resume 2>&1)
check "resume continues from the latest checkpoint" 'grep -q "resuming out/resumed from epoch_1.pt" <<<"$out"'
check "a second run reads the dataset from the cache" 'grep -q "from the cache" <<<"$out"'
check "resume is exact: the same losses" 'diff <(cut -d, -f1-8 out/straight/metrics.csv) <(cut -d, -f1-8 out/resumed/metrics.csv) >/dev/null'
check "resume is exact: the same samples" 'cmp -s out/straight/samples/epoch_3.png out/resumed/samples/epoch_3.png'
expect_error "an existing run is not overwritten" 2 "use --resume" -- "$bin" train "${common[@]}" --n_epochs 3 --model_name straight

# --log-every N: the same steps with the losses read every N steps; --precision bf16 runs.
"$bin" train "${common[@]}" --n_epochs 3 --model_name deferred --log-every 4 >/dev/null 2>&1
check "--log-every 4 gives the same losses as reading every step" 'diff <(cut -d, -f1-8 out/straight/metrics.csv) <(cut -d, -f1-8 out/deferred/metrics.csv) >/dev/null'
out=$("$bin" train "${common[@]}" --n_epochs 1 --model_name bf16 --precision bf16 2>&1); rc=$?
check "--precision bf16 trains and records it" '[ $rc -eq 0 ] && grep -q "^precision = bf16" out/bf16/config.ini && [ "$(wc -l < out/bf16/metrics.csv)" -eq 7 ]'
expect_error "--precision takes fp32 or bf16" 2 "--precision 'fp16' is not one of: fp32, bf16" -- "$bin" train "${common[@]}" --model_name p16 --precision fp16
# --memory-format: channels-last (the default) and contiguous give the same losses to float rounding.
"$bin" train "${common[@]}" --n_epochs 1 --model_name nchw --memory-format contiguous >/dev/null 2>&1
check "--memory-format contiguous follows channels-last to 1e-4" \
  'grep -q "^memory-format = contiguous" out/nchw/config.ini && grep -q "^memory-format = channels-last" out/straight/config.ini && paste -d, <(head -7 out/straight/metrics.csv) out/nchw/metrics.csv | awk -F, -v n=$(head -1 out/straight/metrics.csv | awk -F, "{print NF}") "NR > 1 { for (i = 4; i <= 5; i++) { d = \$i - \$(i + n); if (d < 0) d = -d; if (d > 1e-4) bad = 1 } } END { exit bad || NR != 7 }"'

# Data parallel (c10d, Gloo): --nproc 2 with batch 8 a process is one run of global batch 16.
if "$bin" train --help 2>&1 | grep -q -- "--nproc"; then
  half=("${common[@]/16/8}")
  out=$("$bin" train "${half[@]}" --n_epochs 2 --model_name par --nproc 2 2>&1); rc=$?
  check "--nproc 2 trains as one run: rank 0 writes, the logs say both batches" \
    '[ $rc -eq 0 ] && grep -q "2 processes: global batch 16 (8 per process)" <<<"$out" && [ "$(wc -l < out/par/metrics.csv)" -eq $((2 * 6 + 1)) ] && [ "$(cat out/par/checkpoints/latest)" = epoch_2.pt ] && [ "$(grep -c "^dataset:" <<<"$out")" -eq 1 ]'
  "$bin" train "${half[@]}" --n_epochs 1 --model_name par_resumed --nproc 2 >/dev/null 2>&1
  out=$("$bin" train "${half[@]}" --n_epochs 2 --model_name par_resumed --nproc 2 --resume 2>&1); rc=$?
  check "a 2-process resume is exact" '[ $rc -eq 0 ] && diff <(cut -d, -f1-8 out/par/metrics.csv) <(cut -d, -f1-8 out/par_resumed/metrics.csv) >/dev/null'
  out=$(RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((20000 + RANDOM % 20000)) timeout 120 "$bin" train "${half[@]}" --n_epochs 1 --model_name lone --dist-timeout 3 2>&1); rc=$?
  check "a lone RANK=0 WORLD_SIZE=2 stops by itself with a message" '[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "rank 0 of 2: the group did not form within 3 s" <<<"$out"'
  expect_error "--nproc is bounded" 2 "--nproc must be in [1, 256]" -- "$bin" train "${half[@]}" --model_name bad --nproc 0
fi

# A checkpoint knows what it was made with: a resume on other data or options is refused,
# naming each field, and changes nothing; --force-resume accepts what can be loaded.
rest=("${common[@]:2}")  # common without its --labels
"$bin" synth --out data2 --count 40 --size 32 --positive-ratio 0.25 --seed 4 >/dev/null
"$bin" synth --out data3 --count 96 --size 32 --positive-ratio 0.25 --seed 5 >/dev/null
cp -r out/straight out/ident
cp out/ident/config.ini ident_config.ini; cp out/ident/metrics.csv ident_metrics.csv
out=$("$bin" train --labels data2/labels.csv "${rest[@]}" --n_epochs 4 --model_name ident --resume 2>&1); rc=$?
check "resume on another dataset is refused, naming it old against new" '[ $rc -eq 2 ] && grep -q "dataset: .96 images, 2 classes, crc [0-9a-f]*. in the checkpoint, .40 images" <<<"$out" && grep -q -- "--force-resume resumes anyway" <<<"$out"'
check "... and changes nothing (config.ini, metrics.csv)" 'cmp -s ident_config.ini out/ident/config.ini && cmp -s ident_metrics.csv out/ident/metrics.csv'
# common with one option's value replaced
with_opt() { local a=("${common[@]}") i; for i in "${!a[@]}"; do [ "${a[$i]}" = "$1" ] && a[$((i + 1))]=$2; done; printf '%s\n' "${a[@]}"; }
mapfile -t wide < <(with_opt --g-width 16)
mapfile -t small_z < <(with_opt --z-dim 4)
out=$("$bin" train "${wide[@]}" --n_epochs 4 --model_name ident --resume --force-resume 2>&1); rc=$?
check "resume with another width is refused even forced, naming the option and the shapes" '[ $rc -eq 2 ] && grep -q "option.g-width: .8. in the checkpoint, .16. now" <<<"$out" && grep -q "generator\..*: .*in the checkpoint" <<<"$out" && grep -q "train a new model" <<<"$out"'
out=$("$bin" train "${common[@]}" --optimizer rmsprop --n_epochs 4 --model_name ident --resume --force-resume 2>&1); rc=$?
check "resume with another optimizer is refused, naming it" '[ $rc -eq 2 ] && grep -q "g_optimizer: .adam. in the checkpoint, .rmsprop. now" <<<"$out"'
out=$("$bin" train "${small_z[@]}" --n_epochs 4 --model_name ident --resume 2>&1); rc=$?
check "resume with another z-dim is refused with the field, not a torch shape message" '[ $rc -eq 2 ] && grep -q "option.z-dim: .8. in the checkpoint, .4. now" <<<"$out"'
out=$("$bin" train --labels data3/labels.csv "${rest[@]}" --n_epochs 4 --model_name ident --resume --force-resume 2>&1); rc=$?
check "--force-resume continues on a deliberately changed dataset" '[ $rc -eq 0 ] && grep -q "resuming out/ident from epoch_3.pt" <<<"$out" && [ -f out/ident/checkpoints/epoch_4.pt ]'

# Damaged files: a checkpoint is refused, a dataset cache is rebuilt with a warning.
cp -r out/straight out/damaged
size=$(stat -c %s out/damaged/checkpoints/epoch_3.pt)
printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=out/damaged/checkpoints/epoch_3.pt bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
out=$("$bin" generate --model out/damaged --n 4 --out gen_damaged 2>&1); rc=$?
check "a checkpoint with 10 flipped bytes is refused, naming it" '[ $rc -eq 1 ] && grep -q "epoch_3.pt: is damaged" <<<"$out" && [ ! -e gen_damaged ]'
for f in out/cache/dataset-*.pt; do fsize=$(stat -c %s "$f"); printf '\x00\x01' | dd of="$f" bs=1 seek=$((fsize / 2)) conv=notrunc 2>/dev/null; done
out=$("$bin" train "${common[@]}" --n_epochs 1 --model_name after_damage 2>&1); rc=$?
check "a damaged dataset cache is decoded again with a warning" '[ $rc -eq 0 ] && grep -q "warning: the dataset cache was not used (.*damaged" <<<"$out" && grep -q "(decoded 96)" <<<"$out"'

# The temporary files of a killed run are removed when the next one starts.
dead=$(sh -c 'echo $$')
touch "out/ident/checkpoints/epoch_9.pt.tmp.$dead" "out/ident/samples/epoch_9.png.tmp.$dead"
out=$("$bin" train --labels data3/labels.csv "${rest[@]}" --n_epochs 4 --model_name ident --resume 2>&1)
check "stale temporary files of a dead process are removed at start-up" '[ ! -e "out/ident/checkpoints/epoch_9.pt.tmp.$dead" ] && [ ! -e "out/ident/samples/epoch_9.png.tmp.$dead" ] && grep -q "removed .*epoch_9.pt.tmp.$dead" <<<"$out"'

# A full disk: the checkpoint write fails cleanly (no abort, no litter), and a resume continues once
# there is space. It needs a small tmpfs, which only root can mount.
mkdir -p full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=2m tmpfs full 2>/dev/null; then
  out=$("$bin" train --labels data/labels.csv --out full --model-name a --n-epochs 3 --batch-size 8 --img-size 32 --g-width 8 --d-width 8 --checkpoint-nr 1 --cache 0 2>&1); rc=$?
  check "a full disk stops training with the reason, without an abort" '[ $rc -eq 1 ] && grep -q "No space left on device" <<<"$out" && grep -q "is intact: free space and continue with --resume\|no checkpoint was written yet" <<<"$out" && ! grep -q "terminate called" <<<"$out"'
  check "... and leaves no temporary file" '[ -z "$(find full -name "*.tmp.*")" ]'
  mount -o remount,size=64m full
  out=$("$bin" train --labels data/labels.csv --out full --model-name a --n-epochs 3 --batch-size 8 --img-size 32 --g-width 8 --d-width 8 --checkpoint-nr 1 --cache 0 --resume 2>&1); rc=$?
  check "... and --resume finishes once there is space" '[ $rc -eq 0 ] && [ -f full/a/checkpoints/epoch_3.pt ]'
  umount full
else
  echo "skip: the full-disk run needs root to mount a tmpfs (ArchiveTest's injected ENOSPC covers the writer)"
fi

"$bin" generate --model out/straight --n 10 --classes 1 --truncation 0.8 --out gen >/dev/null
"$bin" generate --model out/straight --n 10 --out twice >/dev/null
"$bin" generate --model out/straight --n 4 --out twice >/dev/null
check "generate again with a smaller --n replaces its output whole" '[ "$(ls twice/images | wc -l)" -eq 4 ] && [ "$(wc -l < twice/labels.csv)" -eq 5 ] && [ -z "$(ls -d twice.* 2>/dev/null)" ]'
mkdir -p foreign && touch foreign/notes.txt
expect_error "generate refuses a folder it did not write" 2 "holds files that aerogan generate did not write" -- "$bin" generate --model out/straight --n 4 --out foreign
check "... and leaves it as it was" '[ "$(ls foreign)" = notes.txt ]'
mv out/straight/config.ini out/straight/config.moved
"$bin" generate --model out/straight --n 3 --out gen_no_ini >/dev/null 2>&1
check "generate builds the network from the checkpoint's own options (no config.ini)" '[ "$(ls gen_no_ini/images | wc -l)" -eq 3 ]'
mv out/straight/config.moved out/straight/config.ini
check "generate writes PNGs and a filename,label CSV" '[ "$(ls gen/images | wc -l)" -eq 10 ] && [ "$(head -1 gen/labels.csv)" = filename,label ] && [ "$(grep -c ",1$" gen/labels.csv)" -eq 10 ]'
check "generated CSV rows point at existing files" 'tail -n +2 gen/labels.csv | cut -d, -f1 | while read -r f; do [ -f "gen/$f" ] || exit 1; done'
"$bin" generate --model out/straight --n 10 --classes 1 --truncation 0.8 --out genb --batch-stats >/dev/null
check "generate --batch-stats samples with batch statistics (G in train mode, as the paper)" \
  '[ "$(ls genb/images | wc -l)" -eq 10 ] && ! cmp -s gen/images/gen_000000_c1.png genb/images/gen_000000_c1.png'
"$bin" generate --model out/straight --n 9 --classes 0,1 --shares 2,1 --out gens >/dev/null
check "generate --shares draws the classes in those proportions" '[ "$(grep -c ",0$" gens/labels.csv)" -eq 6 ] && [ "$(grep -c ",1$" gens/labels.csv)" -eq 3 ]'
expect_error "generate rejects shares that do not match the classes" 2 "--shares has 1 weights for 2 classes" -- "$bin" generate --model out/straight --classes 0,1 --shares 1 --out genx
expect_error "generate rejects a class out of range" 2 "out of range [0, 2)" -- "$bin" generate --model out/straight --classes 2

"$bin" classify --labels data/labels.csv --img-size 32 --epochs 1 --batch-size 16 --out outc --model-name cls >/dev/null 2>&1
check "classify reports val and test metrics and writes features" 'grep -q "^val," outc/cls/metrics.csv && grep -q "^test," outc/cls/metrics.csv && [ -f outc/cls/features.pt ] && [ -f outc/cls/classifier.pt ]'
"$bin" classify --labels data/labels.csv --img-size 32 --epochs 0 --layer classifier.1 --out outc --model-name fc >/dev/null 2>&1
check "classify exports a named layer" '[ -f outc/fc/features.pt ] && "$bin" cluster --features outc/fc/features.pt --k 2 --tsne 0 | grep -q "features: 96 x 4096"'
if "$bin" classify --help 2>&1 | grep -q -- "--nproc"; then
  out=$("$bin" classify --labels data/labels.csv --img-size 32 --epochs 1 --batch-size 8 --out outc --model-name cls2 --nproc 2 2>&1); rc=$?
  check "classify --nproc 2 trains over 2 processes (batch 8 each) and rank 0 writes" \
    '[ $rc -eq 0 ] && grep -q "2 processes, batch 8 each" <<<"$out" && grep -q "^test," outc/cls2/metrics.csv && [ -f outc/cls2/features.pt ] && [ "$(grep -c "^epoch 1/1" <<<"$out")" -eq 1 ]' || echo "$out" | tail -5
fi
expect_error "classify rejects an unknown layer" 1 "unknown layer 'conv9'" -- "$bin" classify --labels data/labels.csv --img-size 32 --epochs 0 --layer conv9 --out outc --model-name bad
expect_error "classify rejects a bad split" 2 "--split needs three fractions" -- "$bin" classify --labels data/labels.csv --split 0.5,0.5
out=$("$bin" cluster --features outc/cls/features.pt --k 3 --sweep-k 2,3 --sweep-methods kmeans,ward,average --repair 0.01 --data-dir data 2>&1)
check "cluster draws the t-SNE and the examples per cluster" '[ -s outc/cls/clusters/tsne.png ] && [ -s outc/cls/clusters/examples.png ] && grep -q "KL divergence" <<<"$out"'
check "cluster sweeps methods and k and scores them" '[ "$(grep -c "^kmeans,\|^ward,\|^average" outc/cls/clusters/scores.csv)" -eq 7 ]'
check "cluster writes filename,cluster for every image" '[ "$(head -1 outc/cls/clusters/clusters.csv)" = filename,cluster ] && [ "$(wc -l < outc/cls/clusters/clusters.csv)" -eq 97 ]'
check "the repair splits mixed clusters by class" 'grep -q "split by class" <<<"$out" && [ "$(tail -n +2 outc/cls/clusters/cluster_class.csv | awk -F, "\$2 > 0 && \$3 > 0" | wc -l)" -eq 0 ]'
check "aerogan train reads clusters.csv as is" '"$bin" train --labels outc/cls/clusters/clusters.csv --data-dir data --img_size 32 --batch_size 16 --g-width 8 --d-width 8 --z-dim 8 --n_epochs 1 --out out --model_name on_clusters >/dev/null 2>&1 && [ -f out/on_clusters/checkpoints/latest ]'
"$bin" cluster --features outc/cls/features.pt --k 3 --omit 0 --out omitted >/dev/null 2>&1
check "--omit leaves a cluster out" '[ "$(wc -l < omitted/clusters.csv)" -lt 97 ] && ! tail -n +2 omitted/clusters.csv | cut -d, -f2 | grep -qx 2'
expect_error "cluster rejects k > n" 2 "--k 500 is out of range [1, 96]" -- "$bin" cluster --features outc/cls/features.pt --k 500
out=$("$bin" cluster --features outc/cls/features.pt --k 2 --sweep-k 2,500 --tsne 0 --out sweep_bad 2>&1); rc=$?
check "cluster rejects a sweep k > n before it clusters" '[ $rc -eq 2 ] && grep -qF -- "--sweep-k: 500 is out of range [2, 96]" <<<"$out" && ! grep -q silhouette <<<"$out"'
expect_error "cluster rejects a missing features file" 2 "nope.pt does not exist" -- "$bin" cluster --features nope.pt
expect_error "cluster rejects a file that is not a features file" 2 "cannot read features file" -- "$bin" cluster --features data/labels.csv

out=$(cd data && "$bin" classify --labels labels.csv --img-size 32 --epochs 0 --out ../outc --model-name bare 2>&1); rc=$?
check "a bare CSV name works (its folder is the current one)" '[ $rc -eq 0 ] && [ -f outc/bare/features.pt ]'

# The paper's spellings, an INI config, and command-line flags overriding it.
printf 'n_epochs = 1\nbatch_size = 16\nimg_size = 32\nlabels = data/labels.csv\ng-width = 8\nd-width = 8\nz-dim = 8\nlr = 0.0005\n' > run.ini
"$bin" train --config run.ini --model_name 'my_first_gan' --lr 0.0001 --out out >/dev/null 2>&1
check "--config and underscore flags work, flags override the file" 'grep -q "^lr = 0.0001$" out/my_first_gan/config.ini && grep -q "^n-epochs = 1$" out/my_first_gan/config.ini'
check "the paper's loss_func/penalty flags pick the variant" '"$bin" train --labels data/labels.csv --img_size 32 --batch_size 16 --g-width 8 --d-width 8 --z-dim 8 --n_epochs 1 --loss_func wasserstein --penalty --out out --model_name pick >/dev/null 2>&1 && grep -q "^variant = wgan-gp$" out/pick/config.ini'
tiny_train=(--labels data/labels.csv --img_size 32 --batch_size 16 --g-width 8 --d-width 8 --z-dim 8 --n_epochs 1 --out out)
check "the paper's --loss_func wloss --clip_bool True pick WGAN with clipping" \
  '"$bin" train "${tiny_train[@]}" --loss_func wloss --clip_bool True --model_name wloss >/dev/null 2>&1 && grep -q "^variant = wgan-clip$" out/wloss/config.ini'
out=$("$bin" train "${tiny_train[@]}" --loss_func wloss --penalty_bool False --model_name pyfalse 2>&1)
check "--penalty_bool False is true, as Python's type=bool in train.py, and says so" \
  'grep -q "^variant = wgan-gp$" out/pyfalse/config.ini && grep -q "penalty_bool False is true" <<<"$out"'
check "--attention_bool True picks the paper's SAGAN (model R)" \
  '"$bin" train "${tiny_train[@]}" --attention_bool True --model_name attn >/dev/null 2>&1 && grep -q "^variant = sagan$" out/attn/config.ini'
# Conflicting options and config files that are not what they seem.
expect_error "--variant and a loss that disagrees are refused, naming both" 2 "--variant vanilla and --loss-func wasserstein disagree" -- "$bin" train "${tiny_train[@]}" --variant vanilla --loss-func wasserstein --model_name conflict
expect_error "--variant wgan-gp with --clip is refused" 2 "--variant wgan-gp and --clip disagree" -- "$bin" train "${tiny_train[@]}" --variant wgan-gp --clip --model_name conflict
expect_error "--penalty with --clip is refused" 2 "--penalty and --clip exclude each other" -- "$bin" train "${tiny_train[@]}" --loss-func wasserstein --penalty --clip --model_name conflict
check "... and nothing was written" '[ ! -e out/conflict ]'
expect_error "--config must be a file, not a folder" 2 "is a folder, not an INI file" -- "$bin" train --config data --model_name cfgdir
expect_error "--config of a missing file says so" 2 "nope.ini: does not exist" -- "$bin" train --config nope.ini --model_name cfgdir
printf 'labels = data/labels.csv
n-epochs = 1
epohcs = 3
' > typo.ini
expect_error "an unknown key in a train INI names the file and line" 2 "typo.ini:3: unrecognised option '--epohcs" -- "$bin" train --config typo.ini --model_name typo
printf '\xef\xbb\xbfimg-size = 32\nlabels = data/labels.csv\nn-epochs = 1\nbatch-size = 16\ng-width = 8\nd-width = 8\nz-dim = 8\n' > bom.ini
"$bin" train --config bom.ini --out out --model_name bom >/dev/null 2>&1
check "a byte-order mark at the start of an INI is accepted" 'grep -q "^img-size = 32$" out/bom/config.ini'

help=$("$bin" train --help)
missing=""
for opt in n-epochs batch-size loss-func lr b1 b2 z-dim csv-file model-name img-size save-nr n-classes checkpoint-nr checkpoint-start disc-repeats gp-weight penalty penalty-bool clip clip-bool clip-value attention attention-bool data-dir labels out device seed optimizer d-output-dim ema attention-at g-attention-at d-attention-at reuse-fakes config resume; do
  grep -q -- "--$opt" <<<"$help" || missing="$missing $opt"
done
check "--help documents every option${missing:+ (missing:$missing)}" '[ -z "$missing" ]'

# Bad input: clear errors naming the file, line or value, and a non-zero exit.
mkdir -p badcsv && cp data/images/000000.png badcsv/a.png
printf 'filename,label\na.png,0\na.png\n' > badcsv/few.csv
expect_error "a row with too few columns" 1 "few.csv:3: expected at least 2 columns" -- "$bin" train --labels badcsv/few.csv --out out2 --model_name x
printf 'a.png,zero\n' > badcsv/word.csv
expect_error "a label that is not an integer" 1 "word.csv:1: label 'zero' is not an integer" -- "$bin" train --labels badcsv/word.csv --out out2 --model_name x
printf 'a.png,0\na.png,5\n' > badcsv/range.csv
expect_error "a label out of range" 1 "range.csv:2: label 5 is out of range [0, 2)" -- "$bin" train --labels badcsv/range.csv --n_classes 2 --out out2 --model_name x
printf 'a.png,0\nmissing.png,1\n' > badcsv/missing.csv
expect_error "a missing image" 1 "missing.png: image file not found" -- "$bin" train --labels badcsv/missing.csv --out out2 --model_name x
echo "not an image" > badcsv/corrupt.png
printf 'a.png,0\ncorrupt.png,1\n' > badcsv/corrupt.csv
expect_error "a corrupt image" 1 "corrupt.png: cannot decode" -- "$bin" train --labels badcsv/corrupt.csv --out out2 --model_name x
mkdir -p badcsv/sub
printf 'a.png,0\nsub,1\n' > badcsv/dir.csv
expect_error "a folder given as an image says so" 1 "sub: is a folder, not an image file" -- "$bin" train --labels badcsv/dir.csv --out out2 --model_name x
expect_error "a folder given as the CSV says so" 1 "is a folder; give the labels CSV (filename,label) in it" -- "$bin" train --labels data --out out2 --model_name x
expect_error "an image size no network makes lists the valid ones" 2 "--img-size must be an even number in [6, 512]" -- "$bin" train --labels data/labels.csv --img-size 7 --out out2 --model_name x
expect_error "an image size past the bound is refused before any work" 2 "such as 16, 32, 48, 64, 96 (the paper)" -- "$bin" train --labels data/labels.csv --img-size 1000 --out out2 --model_name x
expect_error "an absurd class count is refused, not allocated" 2 "--n-classes must be in [0, 1000]" -- "$bin" train --labels data/labels.csv --n-classes 1000000000 --out out2 --model_name x
printf 'a.png,0\na.png,1\n' > badcsv/two.csv
expect_error "a batch larger than the dataset names both" 2 "--batch-size 16 is larger than the dataset (2 images from badcsv/two.csv)" -- "$bin" train --labels badcsv/two.csv --batch-size 16 --img-size 32 --out out2 --model_name x
expect_error "classify refuses a split with an empty validation or test part" 2 "must each be > 0" -- "$bin" classify --labels data/labels.csv --split 1,0,0
cp -r out/straight out/emptylatest && : > out/emptylatest/checkpoints/latest
expect_error "an empty latest is named, with what to do" 2 "checkpoints/latest is empty" -- "$bin" train "${common[@]}" --n_epochs 4 --model_name emptylatest --resume
printf 'filename,label\n' > badcsv/empty.csv
expect_error "an empty dataset" 1 "empty.csv: the labels file has no usable rows" -- "$bin" train --labels badcsv/empty.csv --out out2 --model_name x
out=$("$bin" train --labels badcsv/corrupt.csv --on-bad-image skip --img_size 32 --batch_size 1 --g-width 8 --d-width 8 --z-dim 8 --n_epochs 1 --n_classes 2 --out out2 --model_name skip 2>&1)
check "--on-bad-image skip skips and reports" 'grep -q "skipped 1 bad rows" <<<"$out" && grep -q "corrupt.png" <<<"$out" && [ -f out2/skip/checkpoints/latest ]'
expect_error "an unknown variant" 2 "--variant 'gan9' is not one of" -- "$bin" train --labels data/labels.csv --variant gan9
expect_error "a bad number" 2 "--batch-size must be > 0, got 0" -- "$bin" train --labels data/labels.csv --batch_size 0
expect_error "an unknown option" 2 "unrecognised option '--bogus'" -- "$bin" train --labels data/labels.csv --bogus 1
expect_error "a wrong image size for the paper's networks" 1 "paper96" -- "$bin" train --labels data/labels.csv --img_size 64 --arch paper96 --out out3 --model_name y

# The whole method from one config: every stage, the report, stage skipping, bad configs.
cat > tiny.ini <<'INI'
[pipeline]
out = pipe
seed = 1
variants = vanilla, gp-ada   # two GANs, the second of a name of its own

[data]
count = 160
size = 32
positive-ratio = 0.25
target-count = 80
target-positive-ratio = 0.1

[classify]
img-size = 32
epochs = 1
width = 0.25
hidden = 32
pool = 1
batch-norm = true
batch-size = 16

[cluster]
k = 3
repair = 0.05
sweep-k = 2,3

[train]
img-size = 32
n-epochs = 1
batch-size = 16
g-width = 8
d-width = 8
z-dim = 8

[train.gp-ada]
# WGAN-GP with ADA: the penalty's interpolates go through the augmentation too.
variant = wgan-gp
disc-repeats = 2
ada = true
ada-kimg = 0.2

[fid]
n = 30

[evaluate]
img-size = 32
epochs = 1
seeds = 2
width = 0.25
hidden = 32
pool = 1
batch-size = 16
INI
out=$("$bin" pipeline --config tiny.ini 2>&1); rc=$?
echo "$out" > pipe.log
check "pipeline runs every stage" '[ $rc -eq 0 ] && [ "$(grep -c ": done in" <<<"$out")" -eq 12 ]'
check "a GAN of its own name trains its variant with ADA, logs p and plots it" \
  'grep -q "^variant = wgan-gp$" pipe/gans/gp-ada/config.ini && grep -Eq "^ada = (true|1)$" pipe/gans/gp-ada/config.ini && head -1 pipe/gans/gp-ada/metrics.csv | grep -q ",aug_p$" && [ -s pipe/gans/gp-ada/plots/augment_p.png ] && [ ! -e pipe/gans/vanilla/plots/augment_p.png ]'
check "pipeline writes report.md and report.html" '[ -s pipe/report.md ] && [ -s pipe/report.html ]'
check "the report holds the table, FID, samples, losses, t-SNE, confusion matrices and the config" \
  'grep -q "## Oversampling experiment" pipe/report.md && grep -q "gan:gp-ada" pipe/report.md && grep -q "Fréchet distance" pipe/report.md && grep -q "samples/epoch_1.png" pipe/report.md && grep -q "losses_epochs.png" pipe/report.md && grep -q "clusters/tsne.png" pipe/report.md && grep -q "### Confusion matrices" pipe/report.md && grep -q "variants = vanilla, gp-ada" pipe/report.md'
check "report.html is self-contained" 'grep -q "data:image/png;base64," pipe/report.html && ! grep -q "src=\"[^d]" pipe/report.html'
check "the best value of each column is marked" 'grep -q "<td class=\"best\">" pipe/report.html'
check "evaluate reports every arm on the source test split and the target" \
  '[ "$(grep -c ",target," pipe/evaluate/summary.csv)" -eq 6 ] && [ "$(grep -c ",source-test," pipe/evaluate/summary.csv)" -eq 6 ] && [ "$(tail -n +2 pipe/evaluate/results.csv | wc -l)" -eq $((6 * 2 * 3)) ]'
check "oversampled training sets reach the positive share, the others keep theirs" \
  'tail -n +2 pipe/evaluate/results.csv | awk -F, "{ if ((\$1 == \"baseline\" || \$1 == \"class-weight\") != (\$6 < 0.3) || (\$1 != \"baseline\" && \$1 != \"class-weight\" && \$6 < 0.35)) bad = 1 } END { exit bad }"'
check "the generated positives come from the positive clusters" '[ "$(ls pipe/gans/vanilla/generated/images | wc -l)" -ge 30 ]'
# One split, made once: nothing of the validation or test part reaches the classifier that makes
# the features, the clusters, a GAN's training set or a synthetic set.
heldout_leaks() {  # prints the held-out file names found in any of the CSVs given
  awk -F, 'NR > 1 && $3 != "train" { print $1 }' pipe/split/split.csv | sort -u > heldout.txt
  [ -s heldout.txt ] || { echo "no held-out rows"; return; }
  for f in "$@"; do tail -n +2 "$f" | cut -d, -f1; done | sort -u | comm -12 - heldout.txt
}
gan_csvs=$(sed -n 's/^labels = //p' pipe/gans/*/config.ini)
check "the split is stratified 70/20/10 and written once" \
  '[ "$(tail -n +2 pipe/split/split.csv | wc -l)" -eq 160 ] && [ "$(grep -c ",train$" pipe/split/split.csv)" -eq 112 ] && [ "$(grep -c ",1,val$" pipe/split/split.csv)" -eq 8 ]'
check "no validation or test file reaches the classifier, the clusters, a GAN or a synthetic set" \
  'grep -q "aerogan classify --labels pipe/split/train.csv " pipe.log && [ -n "$gan_csvs" ] && [ -z "$(heldout_leaks pipe/clusters/clusters.csv $gan_csvs pipe/gans/*/generated/labels.csv)" ] && [ "$(tail -n +2 pipe/clusters/clusters.csv | wc -l)" -eq 112 ]'
check "evaluate tests on the split's own test part for every seed" \
  'grep -q "split from pipe/split/split.csv: 112 / 32 / 16" pipe.log'
check "evaluate compares every arm with the baseline and with duplication, paired, and draws it" \
  '[ "$(grep -c "^[^,]*,baseline,target," pipe/evaluate/comparison.csv)" -eq $((5 * 9)) ] && [ "$(grep -c "^[^,]*,duplicate,source-test," pipe/evaluate/comparison.csv)" -eq $((5 * 9)) ] && [ -s pipe/evaluate/comparison_target.png ]'
check "the report shows the paired differences and their plot" \
  'grep -q "Paired differences" pipe/report.md && grep -q "evaluate/comparison_target.png" pipe/report.md && grep -q "average precision" pipe/report.md'
# A target of positives only: recall is measured, precision and AUC are undefined there.
(echo filename,label; grep ",1$" data/labels.csv) > data/positives.csv
out=$("$bin" evaluate --labels data/labels.csv --target-labels data/positives.csv --arms baseline,duplicate --epochs 1 \
      --img-size 32 --width 0.25 --hidden 8 --pool 1 --seeds 2 --resamples 200 --out ev1 2>&1); rc=$?
out2=$(cd data && "$bin" evaluate --labels labels.csv --arms baseline --epochs 0 --img-size 32 --width 0.25 --hidden 8 --pool 1 --seeds 1 --resamples 100 --out ../ev_bare 2>&1); rc2=$?
if "$bin" evaluate --help 2>&1 | grep -q -- "--nproc"; then
  # Over 2 processes the (seed, arm) runs are shared out: the same results as one process.
  out3=$("$bin" evaluate --labels data/labels.csv --target-labels data/positives.csv --arms baseline,duplicate --epochs 1 \
        --img-size 32 --width 0.25 --hidden 8 --pool 1 --seeds 2 --resamples 200 --out ev2 --nproc 2 2>&1); rc3=$?
  check "evaluate --nproc 2 shares out the runs: the same results, summary and comparison as one process" \
    '[ $rc3 -eq 0 ] && grep -q "^rank 1: seed" <<<"$out3" && cmp -s ev1/results.csv ev2/results.csv && cmp -s ev1/summary.csv ev2/summary.csv && cmp -s ev1/comparison.csv ev2/comparison.csv' || echo "$out3" | tail -5
fi
check "evaluate takes a bare CSV name (its folder is the current one)" '[ $rc2 -eq 0 ] && [ -s ev_bare/summary.csv ]' || echo "$out2" | tail -3
check "a one-class target: recall measured, precision and AUC undefined, not 1" \
  '[ $rc -eq 0 ] && awk -F, "NR > 1 && \$2 == \"target\" { n++; if (\$8 != \"nan\" || \$16 != \"nan\" || \$10 == \"nan\") bad = 1 } END { exit bad || n != 2 }" ev1/summary.csv && grep -q "^duplicate,baseline,target,precision,2,nan" ev1/comparison.csv'
check "FID holds a row per positive cluster, after the overall one" \
  '[ "$(sed -n 2p pipe/fid/vanilla-classifier.csv | cut -d, -f9)" = all ] && [ "$(tail -n +3 pipe/fid/vanilla-classifier.csv | wc -l)" -ge 1 ]'
check "the report shows the split and the distance per cluster" 'grep -q "split once (split.csv)" pipe/report.md && grep -q "distance per cluster" pipe/report.md'
check "generate draws the clusters in the real positives' shares" 'grep -q -- "--shares" pipe.log'
# Two GANs are further apart than two halves of one GAN's images (the features of generated
# images must not collapse to a constant).
g=pipe/gans/vanilla/generated
(echo filename,label; tail -n +2 $g/labels.csv | awk 'NR % 2 == 0') > $g/half_a.csv
(echo filename,label; tail -n +2 $g/labels.csv | awk 'NR % 2 == 1') > $g/half_b.csv
"$bin" fid $g/half_a.csv $g/half_b.csv --features classifier --classifier pipe/classifier --n 15 --out fid/halves.csv >/dev/null 2>&1
"$bin" fid $g/half_a.csv pipe/gans/gp-ada/generated --features classifier --classifier pipe/classifier --n 15 --out fid/two.csv >/dev/null 2>&1
"$bin" fid pipe/split/train.csv $g --real-data-dir pipe/data/source --real-class 1 --real-size 16 --features classifier --classifier pipe/classifier --n 15 --out fid/small.csv >/dev/null 2>&1
"$bin" fid pipe/split/train.csv $g --real-data-dir pipe/data/source --real-class 1 --features classifier --classifier pipe/classifier --n 15 --out fid/full.csv >/dev/null 2>&1
check "--real-size resizes the real side first (the distance changes)" \
  '[ -s fid/small.csv ] && [ -s fid/full.csv ] && [ "$(sed -n 2p fid/small.csv | cut -d, -f6)" != "$(sed -n 2p fid/full.csv | cut -d, -f6)" ]'
check "the classifier-feature distance tells two GANs apart" \
  '[ -s fid/halves.csv ] && [ -s fid/two.csv ] && awk -F, "FNR == 2 { d[FILENAME] = \$6 } END { exit !(d[\"fid/two.csv\"] > 3 * d[\"fid/halves.csv\"] && d[\"fid/two.csv\"] > 0) }" fid/halves.csv fid/two.csv'

out=$("$bin" pipeline --config tiny.ini 2>&1)
check "a second run skips every finished stage" '[ "$(grep -c "up to date, skipped" <<<"$out")" -eq 12 ] && ! grep -q ": running" <<<"$out"'
sed -i 's/^seeds = 2$/seeds = 1/' tiny.ini
out=$("$bin" pipeline --config tiny.ini 2>&1)
check "a changed section runs its stage and those after it only" \
  'grep -q "== evaluate: running" <<<"$out" && grep -q "== report: running" <<<"$out" && [ "$(grep -c "up to date, skipped" <<<"$out")" -eq 10 ] && [ "$(tail -n +2 pipe/evaluate/results.csv | wc -l)" -eq 18 ]'
echo "running 0000000000000000" > pipe/.stages/report
out=$("$bin" pipeline --config tiny.ini 2>&1)
check "a stage stopped half-way runs again" 'grep -q "== report: running" <<<"$out"'
if command -v chromium >/dev/null; then
  dom=$(HOME=$PWD timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$PWD/chrome" --dump-dom "file://$PWD/pipe/report.html" 2>/dev/null)
  check "Chromium renders the pipeline's report" 'grep -q "Oversampling experiment" <<<"$dom" && grep -q "gan:vanilla" <<<"$dom"'
fi
# Labels in one folder, images in another: every stage honours [data] data-dir and target-data-dir.
mkdir -p csvs && cp data/labels.csv csvs/labels.csv && cp pipe/data/target/labels.csv csvs/target.csv
cat > elsewhere.ini <<'INI'
[pipeline]
out = pipe2
variants = vanilla
[data]
labels = csvs/labels.csv
data-dir = data
target-labels = csvs/target.csv
target-data-dir = pipe/data/target
[classify]
img-size = 32
epochs = 1
width = 0.25
hidden = 16
pool = 1
batch-size = 16
[cluster]
k = 2
repair = 0.05
[train]
img-size = 32
n-epochs = 1
batch-size = 16
g-width = 8
d-width = 8
z-dim = 8
[fid]
n = 10
[evaluate]
img-size = 32
epochs = 1
seeds = 1
width = 0.25
hidden = 16
pool = 1
batch-size = 16
arms = baseline,gan
INI
out=$("$bin" pipeline --config elsewhere.ini 2>&1); rc=$?
[ $rc -eq 0 ] || echo "$out" | tail -5
check "every stage honours [data] data-dir when the CSVs lie elsewhere" \
  '[ $rc -eq 0 ] && [ -s pipe2/fid/vanilla-classifier.csv ] && [ -s pipe2/report.md ] && [ "$(grep -c ",target," pipe2/evaluate/summary.csv)" -eq 2 ]'
out=$("$bin" pipeline --config "$(dirname "$0")/../../examples/configs/paper-gpu.ini" --dry-run 2>&1); rc=$?
check "the paper's GPU config is valid: four GANs at 96x96 on cuda" \
  '[ $rc -eq 0 ] && [ "$(grep -c "aerogan train .*--device cuda.*--img-size=96 .*--n-epochs=600 --batch-size=256" <<<"$out")" -eq 4 ] && grep -q -- "--variant wgan-gp .*--gp-weight=10 --disc-repeats=2 --optimizer=rmsprop" <<<"$out" && grep -q -- "--variant wgan-clip .*--clip-value=0.01" <<<"$out" && grep -q -- "--variant vanilla .*--d-output-dim=8" <<<"$out"'
sed 's/^device = cuda/device = cuda\nnproc = 2/' "$(dirname "$0")/../../examples/configs/paper-gpu.ini" > nproc.ini
out=$("$bin" pipeline --config nproc.ini --dry-run 2>&1); rc=$?
check "[pipeline] nproc goes to the stages that scale: classify, the four GANs, evaluate" \
  '[ $rc -eq 0 ] && [ "$(grep -c -- "--nproc 2" <<<"$out")" -eq 6 ] && [ "$(grep "aerogan generate" <<<"$out" | grep -c -- "--nproc")" -eq 0 ]'
sed 's/^variants = .*/variants = vanilla, gan9/' tiny.ini > bad.ini
expect_error "pipeline rejects an unknown variant, naming the file and line" 2 "bad.ini:4: unknown variant 'gan9'" -- "$bin" pipeline --config bad.ini
printf '[pipeline]\nout = x\n[trian]\nn-epochs = 1\n' > bad2.ini
expect_error "pipeline rejects an unknown section" 2 "unknown section [trian]" -- "$bin" pipeline --config bad2.ini
printf '[pipeline]\nout = x\n[evaluate]\nepohcs = 3\n' > bad4.ini
expect_error "pipeline rejects a misspelt option before it runs anything" 2 "[evaluate]: unrecognised option '--epohcs" -- "$bin" pipeline --config bad4.ini
check "... and has run nothing" '[ ! -e x ]'
printf '[pipeline]\nout = x2\n[cluster]\nmethod = kmean\n' > bad5.ini
expect_error "pipeline rejects a wrong value before it runs anything" 2 "[cluster]: --method 'kmean' is not one of" -- "$bin" pipeline --config bad5.ini
check "... before any notice of the plan (the FID weights)" '! "$bin" pipeline --config bad5.ini 2>&1 | grep -q "weights are not here"'
printf '[pipeline]\nout = x2\n[train.vanilla]\nn-epochs = 0\n' > bad6.ini
expect_error "pipeline rejects a wrong value of a GAN's section" 2 "[train] or [train.vanilla]: --n-epochs must be > 0, got 0" -- "$bin" pipeline --config bad6.ini
check "... and has run nothing of either" '[ ! -e x2 ]'
printf '[pipeline]\nout = x\n[train]\nout = y\n' > bad3.ini
expect_error "pipeline rejects options it sets itself" 2 "bad3.ini:4: 'out' in [train] is set by the pipeline" -- "$bin" pipeline --config bad3.ini

# FID: the same set is at distance 0, features are cached, and clear errors.
"$bin" fid data/labels.csv data/labels.csv --features classifier --classifier pipe/classifier --n 30 --out fid/self.csv >/dev/null 2>&1
check "the Fréchet distance of a set to itself is 0" 'awk -F, "NR == 2 { exit !(\$6 < 1e-6 && \$6 > -1e-6) }" fid/self.csv'
out=$("$bin" fid data/labels.csv pipe/gans/vanilla/generated --features classifier --classifier pipe/classifier --n 30 --out fid/gen.csv 2>&1)
check "the Fréchet distance to generated images is positive, and features are cached" \
  'awk -F, "NR == 2 { exit !(\$6 > 0) }" fid/gen.csv && grep -q "real: 30 images, features from the cache" <<<"$out"'
for f in fid/fid-cache/*.pt; do fsize=$(stat -c %s "$f"); printf '\x00\x01' | dd of="$f" bs=1 seek=$((fsize / 2)) conv=notrunc 2>/dev/null; done
out=$("$bin" fid data/labels.csv pipe/gans/vanilla/generated --features classifier --classifier pipe/classifier --n 30 --out fid/gen2.csv 2>&1); rc=$?
check "a damaged feature cache is computed again with a warning, to the same distance" \
  '[ $rc -eq 0 ] && grep -q "warning: the feature cache was not used (.*damaged" <<<"$out" && [ "$(sed -n 2p fid/gen.csv | cut -d, -f6)" = "$(sed -n 2p fid/gen2.csv | cut -d, -f6)" ]'
"$bin" fid data/labels.csv pipe/gans/vanilla/generated --features classifier --classifier pipe/classifier --n 30 --save-stats fid/real.npz --out fid/s1.csv >/dev/null 2>&1
out=$("$bin" fid fid/real.npz pipe/gans/vanilla/generated --features classifier --classifier pipe/classifier --n 30 --out fid/s2.csv 2>&1); rc=$?
check "--save-stats writes pytorch-fid's statistics, and a .npz side gives the same distance" \
  '[ $rc -eq 0 ] && [ -s fid/real.npz ] && grep -q "real: statistics from fid/real.npz" <<<"$out" && awk -F, "FNR == 2 { v[NR > FNR] = \$6 } END { d = v[0] - v[1]; exit !(v[0] > 0 && d < 1e-6 * v[0] && -d < 1e-6 * v[0]) }" fid/s1.csv fid/s2.csv'
expect_error "a .npz side cannot have clusters" 2 "--real-clusters needs images on both sides" -- "$bin" fid fid/real.npz pipe/gans/vanilla/generated --features classifier --classifier pipe/classifier --real-clusters pipe/clusters/clusters.csv
expect_error "fid without the Inception weights says where to get them" 1 "github.com/mseitzer/pytorch-fid/releases" -- env -u GAN_FID_WEIGHTS HOME="$PWD/nohome" TORCH_HOME="$PWD/nohome" "$bin" fid data/images gen/images
expect_error "fid with a missing weights file names it" 1 "nope.pth" -- "$bin" fid data/images gen/images --weights nope.pth
expect_error "fid rejects a set with fewer images than --n" 2 "has 10 images, fewer than --n 50" -- "$bin" fid data/images gen/images --features classifier --classifier pipe/classifier --n 50
expect_error "evaluate refuses --resplit with a split file" 2 "--resplit and --split-file exclude each other" -- "$bin" evaluate --labels data/labels.csv --split-file pipe/split/split.csv --resplit
expect_error "evaluate needs enough generated images" 2 "needs" -- "$bin" evaluate --labels data/labels.csv --synthetic few=gen/labels.csv --target-share 0.6 --arms gan --epochs 0 --img-size 32 --width 0.25 --hidden 8 --pool 1 --seeds 1 --out ev

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
