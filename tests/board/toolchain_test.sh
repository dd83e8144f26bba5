#!/usr/bin/env bash
# board/cmake/aarch64-linux.cmake in its SDK mode, without an SDK: an environment-setup script
# shaped like the Vitis AI / PetaLinux SDK's (CC/CXX with flags and --sysroot, SDKTARGETSYSROOT,
# OECORE_*), pointing at Debian's cross compiler and the sysroot board/make-sysroot.sh made.
# Configures dpurun with it and compiles one of its OpenCV-using sources (checking that the flags
# reached the compiler and the sysroot's packages were found), then configures, links and runs
# under qemu-aarch64 a small program against the sysroot's OpenCV with the same toolchain file.
# The whole CLI is not linked again here: the aarch64 preset builds and tests it (CI's stage
# before this one), and a second full build cost CI three minutes.
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
mkdir -p "$tmp/probe"
cat >"$tmp/probe/CMakeLists.txt" <<'PROBE'
cmake_minimum_required(VERSION 3.25)
project(sdk_probe CXX)
find_package(OpenCV REQUIRED COMPONENTS core imgproc)
add_executable(probe probe.cpp)
target_link_libraries(probe PRIVATE opencv_core opencv_imgproc)
PROBE
cat >"$tmp/probe/probe.cpp" <<'PROBE'
#include <cstdio>
#include <opencv2/imgproc.hpp>
int main() {  // a 2x2 BGR image to gray: 0.114·B + 0.587·G + 0.299·R, rounded
  cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar(10, 200, 30)), gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  std::printf("opencv %s gray %d\n", CV_VERSION, gray.at<unsigned char>(1, 1));
}
PROBE
(
  . "$tmp/environment-setup-cortexa72-cortexa53-xilinx-linux"
  cmake -S "$repo" -B "$tmp/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$repo/board/cmake/aarch64-linux.cmake" \
    -DDPURUN_BUILD_TESTS=OFF -DDPURUN_BUILD_BENCH=OFF -DDPURUN_WITH_VART=OFF >"$tmp/configure.log"
  cmake --build "$tmp/build" --target runtime/CMakeFiles/dpurun_harness.dir/harness/data/preprocess.cpp.o >"$tmp/build.log"
  cmake -S "$tmp/probe" -B "$tmp/probe/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$repo/board/cmake/aarch64-linux.cmake" \
    >>"$tmp/configure.log"
  cmake --build "$tmp/probe/build" >>"$tmp/build.log"
) || { tail -30 "$tmp/configure.log" "$tmp/build.log" 2>/dev/null; echo "FAIL: the SDK-mode build failed"; exit 1; }
fail=0
grep -q 'mcpu=cortex-a53' "$tmp/build/compile_commands.json" || { echo "FAIL: the SDK's CXX flags did not reach the compiler"; fail=1; }
grep -q "sysroot=$sysroot\|--sysroot $sysroot" "$tmp/build/compile_commands.json" || { echo "FAIL: the SDK's sysroot was not used"; fail=1; }
for cache in "$tmp/build/CMakeCache.txt" "$tmp/probe/build/CMakeCache.txt"; do
  grep -q "^OpenCV_DIR:PATH=$sysroot/" "$cache" || { echo "FAIL: OpenCV was not taken from the sysroot ($cache)"; fail=1; }
done
header=$(readelf -h "$tmp/probe/build/probe")  # captured: grep -q in a pipe under pipefail can SIGPIPE the writer
grep -q AArch64 <<<"$header" || { echo "FAIL: the probe is not an aarch64 binary"; fail=1; }
out=$(qemu-aarch64 -cpu cortex-a53 -L "$sysroot" "$tmp/probe/build/probe") || { echo "FAIL: the probe does not run under qemu"; fail=1; }
# 0.114·10 + 0.587·200 + 0.299·30 = 127.51 → 128
[[ $out == *"gray 128" ]] || { echo "FAIL: the probe printed '$out', expected gray 128"; fail=1; }
[ $fail -eq 0 ] && echo "toolchain (SDK mode): configured dpurun, compiled its preprocessing, linked and ran a probe ($out)"
exit $fail
