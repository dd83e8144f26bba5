#!/usr/bin/env bash
# From a fresh Debian 12 machine: install, build, and run the whole test suite (CTest over
# GoogleTest). Tests that need ../shared skip, saying so, where it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release
