#!/usr/bin/env bash
# Debian packages from a build: dpurun_VERSION_ARCH.deb (the command) and
# libdpurun-dev_VERSION_ARCH.deb (library, headers, CMake package), installing under /usr.
#   scripts/package.sh [BUILD_DIR]   default build/release (amd64); build/aarch64 gives arm64
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ -f "$build/CMakeCache.txt" ] || { echo "package: no build in $build (cmake --preset release first)" >&2; exit 2; }
cmake --build "$build"
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB >/dev/null)
for deb in "$build"/*.deb; do
  echo "$deb ($(stat -c %s "$deb") bytes)"
done
