#!/bin/sh
# The Debian packages scripts/package.sh made: their architecture, dependencies and contents, and
# the command run from the package's own files (under qemu-user for arm64).
#   deb_check.sh BUILD_DIR ARCH [SYSROOT]   (SYSROOT: the target's libraries, for qemu -L)
set -eu
build=$1 arch=$2 sysroot=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/dpurun-deb-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
cli=$build/dpurun_${version}_${arch}.deb dev=$build/libdpurun-dev_${version}_${arch}.deb
for deb in "$cli" "$dev"; do
  [ -f "$deb" ] || fail "no $deb"
  echo "== $deb ($(stat -c %s "$deb") bytes)"
  dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Section\):/\1:/p'
  [ "$(dpkg-deb --field "$deb" Architecture)" = "$arch" ] || fail "$deb is not $arch"
  for dep in libopencv-core406 libopencv-imgcodecs406 libprotobuf32 libhdf5-103-1 libfmt9 libssl3 libgomp1; do
    dpkg-deb --field "$deb" Depends | grep -q "$dep" || fail "$deb does not depend on $dep"
  done
done
dpkg-deb --contents "$cli" >"$work/cli.txt"
dpkg-deb --contents "$dev" >"$work/dev.txt"
for f in ./usr/bin/dpurun ./usr/bin/dpurun-worker ./usr/share/dpurun/models/tf-resnet56-cifar10.json; do
  grep -q " $f\$" "$work/cli.txt" || fail "dpurun has no $f"
done
for f in 'libdpurun\.so\.[0-9.]*$' 'include/dpurun/pool\.h$' 'cmake/dpurun/dpurunConfig\.cmake$' 'pkgconfig/dpurun\.pc$'; do
  grep -q "$f" "$work/dev.txt" || fail "libdpurun-dev has no file matching $f"
done
# Nothing outside /usr, and the two share no file.
grep -v ' \./usr/' "$work/cli.txt" "$work/dev.txt" | grep -v '/$' | grep -q . && fail "a file outside /usr"
dpkg-deb -x "$cli" "$work/root"
if [ "$arch" = arm64 ]; then
  out=$(qemu-aarch64 -L "$sysroot" "$work/root/usr/bin/dpurun" --version)
else
  out=$("$work/root/usr/bin/dpurun" --version)
fi
echo "dpurun --version: $out"
echo "$out" | grep -q "$version" || fail "--version says '$out', not $version"
echo "PASS: $arch packages"
