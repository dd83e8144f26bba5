#!/usr/bin/env bash
# Runs every Google Benchmark program in bench/ and keeps their JSON results, so that speed
# regressions show up when two runs are compared (e.g. with benchmark's compare.py):
#   scripts/bench.sh [OUT_DIR]      (default build/bench-results/<date>)
# Needs an idle machine: other load on the cores shows up as slowdowns.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target bench_executors bench_pool bench_preprocess bench_kernels bench_models
mkdir -p "$out"
for b in bench_preprocess bench_kernels bench_pool bench_executors bench_models; do
  echo "== $b"
  "build/release/bench/$b" --benchmark_out="$out/$b.json" --benchmark_out_format=json
done
echo "results in $out"
