#!/usr/bin/env bash
# Makes an aarch64 (arm64) sysroot from Debian 12's packages, for cross-compiling dpurun with
# Debian's g++-aarch64-linux-gnu and running its tests under qemu-user where no board SDK is at
# hand. The board's own sysroot (the Vitis AI / PetaLinux SDK) needs none of this.
#
#   board/make-sysroot.sh [DIR]      (default: build/sysroot-aarch64; runs as root, with sudo if need be)
#
# debootstrap's first stage resolves and downloads the packages without running any arm64 code;
# the packages are then unpacked in place (nothing is configured: no maintainer scripts run), and
# the two things configuring would have done that linking needs are done by hand: absolute
# symlinks made to point inside the sysroot, and the BLAS/LAPACK alternatives OpenCV links to.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec sudo "$0" "$@"  # debootstrap runs as root only
dir=$(realpath -m "${1:-build/sysroot-aarch64}")
mirror=${DEBIAN_MIRROR:-$(scripts/lib/apt-sources.sh --mirror)}  # this machine's own mirror
packages=(
  libstdc++-12-dev libgomp1
  libopencv-dev libturbojpeg0-dev libspng-dev
  libprotobuf-dev libdnnl-dev libssl-dev libfmt-dev nlohmann-json3-dev libcli11-dev libhdf5-dev
  libgtest-dev libgmock-dev
)
stamp="$dir/.dpurun-sysroot"
want=$(printf '%s\n' "$mirror" "${packages[@]}" | sha256sum | cut -c1-16)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "sysroot: $dir is up to date"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "make-sysroot: debootstrap is not installed (scripts/install-deps.sh board)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
echo "sysroot: downloading arm64 packages into $dir"
include=$(IFS=,; echo "${packages[*]}")
if ! debootstrap --arch=arm64 --foreign --variant=minbase --include="$include" bookworm "$dir" "$mirror" \
    >"$dir.log" 2>&1; then
  tail -20 "$dir.log" >&2
  echo "make-sysroot: debootstrap failed (log: $dir.log)" >&2
  exit 1
fi
for deb in "$dir"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$dir"; done
rm -f "$dir"/var/cache/apt/archives/*.deb
# Absolute links (libz.so -> /lib/aarch64-linux-gnu/libz.so.1) would resolve on the host.
find "$dir" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
  ln -sfn "$dir$(readlink "$link")" "$link"
done
libdir="$dir/usr/lib/aarch64-linux-gnu"
ln -sfn blas/libblas.so.3 "$libdir/libblas.so.3"
ln -sfn lapack/liblapack.so.3 "$libdir/liblapack.so.3"
echo "$want" >"$stamp"
echo "sysroot: ready ($(du -sh "$dir" | cut -f1))"
