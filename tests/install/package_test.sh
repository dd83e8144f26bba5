#!/bin/sh
# On a bare Debian 12 root where `apt-get install ./*.deb` (dpurun, libdpurun0.1, libdpurun-dev,
# python3-dpurun) just ran: the installed command evaluates 100 images with its installed
# manifest, the library's package files are where find_package and pkg-config look, and the
# installed Python module evaluates the same 100 images with the same predictions.
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
export DPURUN_MODEL_ROOT=$shared/models
out=$(dpurun eval --limit 100 --model /usr/share/dpurun/models/tf-resnet56-cifar10.json \
        --data "$shared/data/cifar10-test-jpg" --json /tmp/package-eval.json)
echo "$out" | tail -n 4
grep -q '"complete": true' /tmp/package-eval.json || fail "the report is not complete"
grep -q '"images": 100' /tmp/package-eval.json || fail "the report does not count 100 images"
python3 - "$shared" <<'PY' || fail "the Python module's report differs from the command's"
import json, sys
import dpurun
shared = sys.argv[1]
assert dpurun.__file__.startswith("/usr/lib/python3"), dpurun.__file__
r = dpurun.eval(model="/usr/share/dpurun/models/tf-resnet56-cifar10.json", data=f"{shared}/data/cifar10-test-jpg", limit=100)
cli = json.load(open("/tmp/package-eval.json"))
assert r["complete"] and r["images"] == 100, r["images"]
assert r["predictions"] == cli["predictions"] and r["accuracy"] == cli["accuracy"]
print(f"python3: import dpurun ({dpurun.__file__}): top-1 {r['accuracy']['top1']:.2%} on 100 images, as the command's")
PY
echo "PASS: the installed packages evaluate 100 images, from the command and from Python"
