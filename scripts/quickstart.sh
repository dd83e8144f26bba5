#!/usr/bin/env bash
# From a fresh Debian 12 machine: install, build, and run `dpurun eval` on the default model
# (tf-resnet56-cifar10, float) over the default data (../shared/data/cifar10-test-jpg, or
# $DPURUN_DATA). Extra arguments go to `dpurun eval`, e.g. --limit 1000 or --json report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target dpurun_cli
exec build/release/app/dpurun eval "$@"
