#!/bin/sh
# `cmake --install` as an application's author uses it: install into a fresh prefix, build
# examples/ against the CMake package (find_package(dpurun)) and one example against the
# pkg-config file, then run both examples on the quantized ResNet-56 and check that they count
# the same top-1 as the installed `dpurun eval` (bit-exact int8, so exactly the same).
#   install_test.sh SOURCE_DIR BUILD_DIR SHARED_DIR CXX LIBDIR GENERATOR
# (GENERATOR: the build's own, e.g. Ninja; a fresh machine has no make.)
set -eu
src=$1 build=$2 shared=$3 cxx=$4 libdir=$5 generator=$6
work=$(mktemp -d "${TMPDIR:-/tmp}/dpurun-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in bin/dpurun bin/dpurun-worker "$libdir/libdpurun.so" include/dpurun/pool.h \
         "$libdir/cmake/dpurun/dpurunConfig.cmake" "$libdir/pkgconfig/dpurun.pc"; do
  [ -e "$prefix/$f" ] || { echo "FAIL: cmake --install put no $f"; exit 1; }
done
# Nothing private or foreign among the public headers.
if grep -l '#include "\(graph\|loaders\|common\|cpu\|isolation\)/\|opencv\|xir/\|vart/\|google/protobuf' \
     "$prefix"/include/dpurun/*.h; then
  echo "FAIL: an installed header includes a private or foreign one"; exit 1
fi

cmake -S "$src/examples" -B "$work/examples" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/examples" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
"$cxx" $(pkg-config --cflags dpurun) "$src/examples/evaluate/evaluate.cpp" -o "$work/evaluate-pc" \
  $(pkg-config --libs dpurun) "-Wl,-rpath,$prefix/$libdir"

data=$shared/data/cifar10-test-jpg
if [ ! -d "$data" ] || [ ! -f "$shared/models/tf-resnet56-cifar10/quantize_eval_model.pb" ]; then
  echo "SKIP: $shared (CIFAR-10 test images, tf-resnet56-cifar10) missing; built the examples only"
  exit 77
fi
manifest=$src/models/tf-resnet56-cifar10.json
"$prefix/bin/dpurun" eval -q -n 200 --model "$manifest" --variant quantized --json "$work/cli.json" >/dev/null
expected=$(jq -r '.accuracy.top1_correct' "$work/cli.json")
runners=$("$work/examples/runners" "$manifest" "$shared/models" "$data" 2 200 quantized)
echo "$runners"
case "$runners" in *"($expected of 200 images)"*) ;; *) echo "FAIL: dpurun eval counted $expected"; exit 1 ;; esac
evaluated=$("$work/evaluate-pc" "$manifest" "$shared/models" "$data" 200)
echo "$evaluated"
float=$("$prefix/bin/dpurun" eval -q -n 200 --model "$manifest" --json "$work/float.json" >/dev/null &&
        jq -r '.accuracy.top1_correct' "$work/float.json")
case "$evaluated" in *"($float of 200 images)"*) ;; *) echo "FAIL: dpurun eval counted $float"; exit 1 ;; esac
# Isolated runners: the installed library finds the installed dpurun-worker from where it is.
isolated=$("$work/examples/evaluate" "$manifest" "$shared/models" "$data" 200 isolate)
echo "$isolated"
case "$isolated" in *"($float of 200 images)"*", isolated"*) ;; *) echo "FAIL: isolated, not $float of 200"; exit 1 ;; esac
# The installed Python module (where the build has one): it loads the installed libdpurun (its
# RPATH), counts what dpurun eval counts, and its isolated runners find the installed worker.
module=$(ls "$prefix"/lib/python3*/dist-packages/dpurun.cpython-*.so 2>/dev/null || true)
if [ -n "$module" ]; then
  PYTHONPATH=$(dirname "$module") python3 - "$prefix" "$manifest" "$data" "$expected" <<'PY' || { echo "FAIL: the installed Python module"; exit 1; }
import sys
import dpurun
prefix, manifest, data, expected = sys.argv[1:]
maps = open("/proc/self/maps").read()
lib = sorted({line.split()[-1] for line in maps.splitlines() if "libdpurun.so" in line})
assert dpurun.__file__.startswith(prefix) and lib and all(p.startswith(prefix) for p in lib), (dpurun.__file__, lib)
r = dpurun.eval(model=manifest, variant="quantized", limit=200, isolate=True, data=data)
assert r["accuracy"]["top1_correct"] == int(expected), (r["accuracy"]["top1_correct"], expected)
assert "isolated" in r["runner"]["name"], r["runner"]
print(f"python3: {dpurun.__file__} with {lib[0]}: {expected} of 200 images, isolated")
PY
fi
echo "PASS: the installed package builds both examples, and they count what dpurun eval counts"
