#!/usr/bin/env bash
# Installs what dpurun needs to build and test on Debian 12, from Debian's packages.
# Idempotent: does nothing when everything is there already.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libopencv-dev libprotobuf-dev protobuf-compiler
  libturbojpeg0-dev libspng-dev  # the direct JPEG and PNG decoders (optional in CMake)
  libdnnl-dev ocl-icd-opencl-dev  # dnnl's CMake config asks for OpenCL, which the -dev only recommends
  nlohmann-json3-dev libcli11-dev libfmt-dev libssl-dev libhdf5-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-dev pybind11-dev python3-numpy python3-pytest  # the Python module and its tests
  chromium  # the test suite renders the HTML report headless
  openssh-server openssh-client jq  # board/deploy.sh, tested against an sshd on loopback
)
for extra in "$@"; do
  case "$extra" in
    # clang with libFuzzer and its sanitizer runtimes, and its OpenMP (the asan preset and fuzzing)
    fuzz) packages+=(clang libclang-rt-14-dev libomp-dev) ;;
    # the aarch64 cross build (board/make-sysroot.sh, --preset aarch64) and its tests under qemu
    board) packages+=(g++-aarch64-linux-gnu qemu-user debootstrap) ;;
    *) echo "install-deps: unknown extra '$extra' (fuzz, board)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
# apt's own summary (download and installed size) is kept; its long listings are not.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" \
  >"${TMPDIR:-/tmp}/dpurun-install-deps.log" 2>&1 ||
  { tail -30 "${TMPDIR:-/tmp}/dpurun-install-deps.log" >&2; echo "install-deps: apt-get install failed" >&2; exit 1; }
grep -E "^(Need to get|After this operation|[0-9]+ upgraded)" "${TMPDIR:-/tmp}/dpurun-install-deps.log" | sed 's/^/install-deps: /'
echo "install-deps: done"
