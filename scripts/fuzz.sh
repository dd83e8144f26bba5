#!/usr/bin/env bash
# Builds the libFuzzer targets (the asan preset: clang, ASan + UBSan) and runs each for SECONDS (default 20) on
# its seeds: the real files in ../shared, read in place, and small ones in tests/fuzz/seeds or
# written here.
# New inputs go to a scratch corpus, crashes to build/asan/fuzz-artifacts; any finding fails the run.
# Targets run one per core at a time (each is one process, one thread).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
scripts/install-deps.sh fuzz
shared="${DPURUN_SHARED_DIR:-$(pwd)/../shared}"
cmake --preset asan >/dev/null
cmake --build --preset asan --target dpurun_fuzzers
bin=build/asan/tests/fuzz
artifacts=build/asan/fuzz-artifacts
mkdir -p "$artifacts"
logs="$(mktemp -d)"
jobs=$(nproc)
fuzz_one() {  # target, max input bytes (0: libFuzzer's default), seed dirs...
  local target="$1" max_len="$2"; shift 2
  local corpus; corpus="$(mktemp -d)"
  local seeds=()
  for d in "$@"; do [ -d "$d" ] && seeds+=("$d"); done
  echo "== fuzz_$target: ${seconds}s on ${seeds[*]:-(no seeds)}"
  local len=(); [ "$max_len" -gt 0 ] && len=(-max_len="$max_len")
  "$bin/fuzz_$target" -max_total_time="$seconds" -seed=1 -rss_limit_mb=4096 -print_final_stats=1 "${len[@]}" \
    -artifact_prefix="$artifacts/$target-" "$corpus" "${seeds[@]}" 2>&1 | grep -E "^(stat::number_of_executed_units|==|SUMMARY|#.*DONE)" || true
  rm -rf "$corpus"
}
run() {  # as fuzz_one, in the background, at most $jobs at a time
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$@" >"$logs/$1.log" 2>&1 &
}
run graph_def 4000000 "$shared/models/tf-resnet56-cifar10" "$shared/models/mnist-tf1-zcu104"
# Every XIR op family the loader converts, with its attributes (tests/support/xir_seed_models.cpp).
xmodel_seeds="$(mktemp -d)"
"$bin/xmodel_seeds" "$xmodel_seeds"
run xmodel 0 "$xmodel_seeds" "$shared/models/lenet-cifar10-vck190" "$shared/models/mnist-custom-op-tf2" "$shared/models/efficientnetv2-block-b2304" "$shared/models/mnist-cnn-kv260"
run onnx 0 "$shared/models/lenet-cifar10-vck190"
run dnndk_elf 3000000 "$shared/models/keras-cifar10-dnndk-zcu102"
run labels_csv 0 tests/fuzz/seeds/labels_csv
# Two CIFAR-10 records (label byte, 3,072 pixel bytes), written here rather than committed.
bin_seeds="$(mktemp -d)"
{ printf '\003'; head -c 3072 /dev/zero | tr '\0' 'U'; printf '\007'; head -c 3072 /dev/zero | tr '\0' '\200'; } \
  > "$bin_seeds/two_records.bin"
run cifar_bin 0 "$bin_seeds"
run manifest 0 models
run baseline 0 models/baselines
run keras_config 100000 tests/fuzz/seeds/keras_config "$shared/models/keras-h5/krithghosh-cifar10" "$shared/models/keras-h5/joshkovi-cs370"
wait
rm -rf "$bin_seeds" "$xmodel_seeds"
cat "$logs"/*.log
rm -rf "$logs"
if ls "$artifacts/"* >/dev/null 2>&1; then echo "fuzzing found a problem: $(ls "$artifacts/"*)"; exit 1; fi
echo "fuzzing: no findings"
