#!/usr/bin/env bash
# board/cmake/aarch64-linux.cmake in its SDK mode, without an SDK: an environment-setup script
# shaped like the Vitis AI / PetaLinux SDK's (CC/CXX with flags and --sysroot, SDKTARGETSYSROOT,
# OECORE_*), pointing at Debian's cross compiler and the sysroot board/make-sysroot.sh made.
# Configures and builds the CLI with it, checks the flags reached the compiler and the
# sysroot's libraries were used, and runs the result under qemu-aarch64.
#   toolchain_test.sh SYSROOT
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
sysroot=$(realpath -m "$1")
[ -d "$sysroot/usr/include" ] || { echo "FAIL: no sysroot at $1: make it with board/make-sysroot.sh"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/environment-setup-cortexa72-cortexa53-xilinx-linux" <<SETUP
export SDKTARGETSYSROOT=$sysroot
export OECORE_TARGET_SYSROOT=\$SDKTARGETSYSROOT
export OECORE_NATIVE_SYSROOT=$tmp/no-native-sysroot
export CC="aarch64-linux-gnu-gcc -mcpu=cortex-a53 -fstack-protector-strong --sysroot=\$SDKTARGETSYSROOT"
export CXX="aarch64-linux-gnu-g++ -mcpu=cortex-a53 -fstack-protector-strong --sysroot=\$SDKTARGETSYSROOT"
SETUP
(
  . "$tmp/environment-setup-cortexa72-cortexa53-xilinx-linux"
  cmake -S "$repo" -B "$tmp/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$repo/board/cmake/aarch64-linux.cmake" \
    -DDPURUN_BUILD_TESTS=OFF -DDPURUN_BUILD_BENCH=OFF -DDPURUN_WITH_VART=OFF >"$tmp/configure.log"
  cmake --build "$tmp/build" --target dpurun_cli >"$tmp/build.log"
) || { tail -30 "$tmp/configure.log" "$tmp/build.log" 2>/dev/null; echo "FAIL: the SDK-mode build failed"; exit 1; }
fail=0
grep -q 'mcpu=cortex-a53' "$tmp/build/compile_commands.json" || { echo "FAIL: the SDK's CXX flags did not reach the compiler"; fail=1; }
grep -q "sysroot=$sysroot\|--sysroot $sysroot" "$tmp/build/compile_commands.json" || { echo "FAIL: the SDK's sysroot was not used"; fail=1; }
grep -q "^OpenCV_DIR:PATH=$sysroot/" "$tmp/build/CMakeCache.txt" || { echo "FAIL: OpenCV was not taken from the sysroot"; fail=1; }
header=$(readelf -h "$tmp/build/app/dpurun")  # captured: grep -q in a pipe under pipefail can SIGPIPE the writer
grep -q AArch64 <<<"$header" || { echo "FAIL: the CLI is not an aarch64 binary"; fail=1; }
out=$(qemu-aarch64 -cpu cortex-a53 -L "$sysroot" "$tmp/build/app/dpurun" --version) || { echo "FAIL: the CLI does not run under qemu"; fail=1; }
[[ $out == dpurun* ]] || { echo "FAIL: --version printed '$out'"; fail=1; }
[ $fail -eq 0 ] && echo "toolchain (SDK mode): configured, built and ran ($out)"
exit $fail
