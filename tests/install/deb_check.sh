#!/bin/sh
# The Debian packages scripts/package.sh made (dpurun, libdpurun0.1, libdpurun-dev, and
# python3-dpurun where the build has the module): their architecture, dependencies and contents,
# and the command run from the package's own files (under qemu-user for arm64).
#   deb_check.sh BUILD_DIR ARCH [SYSROOT]   (SYSROOT: the target's libraries, for qemu -L)
set -eu
build=$1 arch=$2 sysroot=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/dpurun-deb-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
soversion=${version%.*}
cli=$build/dpurun_${version}_${arch}.deb lib=$build/libdpurun${soversion}_${version}_${arch}.deb
dev=$build/libdpurun-dev_${version}_${arch}.deb py=$build/python3-dpurun_${version}_${arch}.deb
for deb in "$cli" "$lib" "$dev" "$py"; do
  if [ "$deb" = "$py" ] && ! ls "$build"/python/dpurun.cpython-*.so >/dev/null 2>&1; then
    echo "== no python3-dpurun: this build has no Python module"
    [ -f "$py" ] && fail "$py made by a build without the module"
    py=
    continue
  fi
  [ -f "$deb" ] || fail "no $deb"
  echo "== $deb ($(stat -c %s "$deb") bytes)"
  dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Section\):/\1:/p'
  [ "$(dpkg-deb --field "$deb" Architecture)" = "$arch" ] || fail "$deb is not $arch"
  deps=$(dpkg-deb --field "$deb" Depends)
  case $deb in
    "$dev") want="libdpurun$soversion (= $version)" ;;
    "$py") want="libdpurun$soversion (= $version) dpurun (= $version) python3-numpy libopencv-core406" ;;
    *) want="libopencv-core406 libopencv-imgcodecs406 libprotobuf32 libhdf5-103-1 libfmt9 libssl3 libgomp1" ;;
  esac
  for dep in $want; do
    case $dep in '('*|*')') continue ;; esac  # the "(= version)" after a name is matched with it below
    echo "$deps" | grep -q "$dep" || fail "$deb does not depend on $dep"
  done
  [ "$deb" = "$dev" ] && { echo "$deps" | grep -qF "libdpurun$soversion (= $version)" || fail "$dev does not depend on libdpurun$soversion (= $version)"; }
done
dpkg-deb --contents "$cli" >"$work/cli.txt"
dpkg-deb --contents "$lib" >"$work/lib.txt"
dpkg-deb --contents "$dev" >"$work/dev.txt"
: >"$work/py.txt"
[ -n "$py" ] && dpkg-deb --contents "$py" >"$work/py.txt"
for f in ./usr/bin/dpurun ./usr/bin/dpurun-worker ./usr/share/dpurun/models/tf-resnet56-cifar10.json; do
  grep -q " $f\$" "$work/cli.txt" || fail "dpurun has no $f"
done
grep -Eq "libdpurun\.so\.$soversion( -> |\$)" "$work/lib.txt" || fail "libdpurun$soversion has no libdpurun.so.$soversion"
grep -q 'include/' "$work/lib.txt" && fail "libdpurun$soversion has headers"
for f in 'libdpurun\.so -> ' 'include/dpurun/pool\.h$' 'cmake/dpurun/dpurunConfig\.cmake$' 'pkgconfig/dpurun\.pc$'; do
  grep -q "$f" "$work/dev.txt" || fail "libdpurun-dev has no file matching $f"
done
[ -n "$py" ] && { grep -q 'usr/lib/python3\.[0-9]*/dist-packages/dpurun\.cpython-.*\.so$' "$work/py.txt" || fail "python3-dpurun has no module in /usr/lib/python3.X/dist-packages"; }
# Nothing outside /usr, and no two share a file.
grep -hv ' \./usr/' "$work/cli.txt" "$work/lib.txt" "$work/dev.txt" "$work/py.txt" | grep -v '/$' | grep -q . && fail "a file outside /usr"
dups=$(cat "$work/cli.txt" "$work/lib.txt" "$work/dev.txt" "$work/py.txt" | awk '$NF !~ /\/$/ {print $6}' | sort | uniq -d)
[ -z "$dups" ] || fail "files in two packages: $dups"
dpkg-deb -x "$cli" "$work/root"
if [ "$arch" = arm64 ]; then
  out=$(qemu-aarch64 -L "$sysroot" "$work/root/usr/bin/dpurun" --version)
else
  out=$("$work/root/usr/bin/dpurun" --version)
fi
echo "dpurun --version: $out"
echo "$out" | grep -q "$version" || fail "--version says '$out', not $version"
echo "PASS: $arch packages"
