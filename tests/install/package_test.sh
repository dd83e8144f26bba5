#!/bin/sh
# On a bare Debian 12 root where `apt-get install ./dpurun_*.deb ./libdpurun-dev_*.deb` just ran:
# the installed command evaluates 100 images with its installed manifest, and the library's
# package files are where find_package and pkg-config look.
#   package_test.sh SHARED_DIR
set -eu
shared=$1
fail() { echo "FAIL: $*"; exit 1; }
command -v dpurun | grep -qx /usr/bin/dpurun || fail "no /usr/bin/dpurun"
dpurun --version
[ -f /usr/include/dpurun/runner.h ] || fail "no /usr/include/dpurun/runner.h"
for f in cmake/dpurun/dpurunConfig.cmake pkgconfig/dpurun.pc; do
  find /usr/lib -path "*/$f" | grep -q . || fail "no /usr/lib/…/$f"
done
[ -d "$shared/data/cifar10-test-jpg" ] || { echo "SKIP: no $shared/data/cifar10-test-jpg"; exit 0; }
out=$(DPURUN_MODEL_ROOT=$shared/models dpurun eval --limit 100 --model /usr/share/dpurun/models/tf-resnet56-cifar10.json \
        --data "$shared/data/cifar10-test-jpg" --json /tmp/package-eval.json)
echo "$out" | tail -n 4
grep -q '"complete": true' /tmp/package-eval.json || fail "the report is not complete"
grep -q '"images": 100' /tmp/package-eval.json || fail "the report does not count 100 images"
echo "PASS: the installed packages evaluate 100 images"
