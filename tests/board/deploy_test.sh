#!/usr/bin/env bash
# board/deploy.sh against an SSH server on loopback standing in for the board: an sshd of its
# own on 127.0.0.1, with throwaway host and user keys, deploying this machine's own build.
#   deploy_test.sh REPO BUILD_DIR SHARED
# Exit 77 (skipped) without ../shared; a missing tool fails, naming its Debian package.
set -uo pipefail
repo=$1 build=$2 shared=$3
sshd=/usr/sbin/sshd
[ -x "$sshd" ] || { echo "FAIL: needs the Debian package openssh-server ($sshd; scripts/install-deps.sh)"; exit 1; }
for tool in ssh:openssh-client ssh-keygen:openssh-client jq:jq readelf:binutils tar:tar; do
  command -v "${tool%%:*}" >/dev/null ||
    { echo "FAIL: needs ${tool%%:*}, from the Debian package ${tool#*:} (scripts/install-deps.sh)"; exit 1; }
done
[ -f "$shared/data/cifar10-test-jpg/labels.csv" ] && [ -f "$shared/models/tf-resnet56-cifar10/float_frozen.pb" ] ||
  { echo "skipped: needs $shared (the shared models and data)"; exit 77; }

tmp=$(mktemp -d)
fails=0
cleanup() {
  [ -f "$tmp/sshd.pid" ] && kill "$(cat "$tmp/sshd.pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# ---- the stand-in board ----
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/other_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd  # sshd's privilege separation directory
port=""
for try in 1 2 3 4 5; do
  p=$((20000 + RANDOM % 20000))
  cat >"$tmp/sshd_config" <<EOF
Port $p
ListenAddress 127.0.0.1
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PidFile $tmp/sshd.pid
EOF
  "$sshd" -f "$tmp/sshd_config" -E "$tmp/sshd.log" || continue
  for _ in $(seq 50); do [ -s "$tmp/sshd.pid" ] && break; sleep 0.1; done
  if [ -s "$tmp/sshd.pid" ]; then port=$p; break; fi
done
[ -n "$port" ] || { echo "FAIL: sshd did not start"; cat "$tmp/sshd.log"; exit 1; }
known="UserKnownHostsFile=$tmp/known_hosts"
base=(--host 127.0.0.1 --user "$(id -un)" --port "$port" --ssh-option "$known" --ssh-option StrictHostKeyChecking=accept-new
      --build-dir "$build" --model-root "$shared/models" --remote-dir "$tmp/board/dpurun")

# 20 real test images, two per class, as a small data set to copy.
mkdir -p "$tmp/data"
head -1 "$shared/data/cifar10-test-jpg/labels.csv" >"$tmp/data/labels.csv"
tail -n +2 "$shared/data/cifar10-test-jpg/labels.csv" | awk -F, '{ if (n[$2]++ < 2) print }' | while IFS= read -r line; do
  f=${line%%,*}
  mkdir -p "$tmp/data/$(dirname "$f")"
  cp "$shared/data/cifar10-test-jpg/$f" "$tmp/data/$f"
  echo "$line" >>"$tmp/data/labels.csv"
done

deploy() { (cd "$tmp" && "$repo/board/deploy.sh" "$@" >"$tmp/out" 2>&1; echo $? >"$tmp/rc"); }
expect() {  # expect NAME RC TEXT
  local rc
  rc=$(cat "$tmp/rc")
  [ "$rc" = "$2" ] || fail "$1: exit $rc, expected $2; output:
$(cat "$tmp/out")"
  grep -qF -- "$3" "$tmp/out" || fail "$1: the output does not say '$3'; output:
$(cat "$tmp/out")"
}

# ---- it copies, runs, and brings the report back ----
deploy "${base[@]}" --identity "$tmp/user_key" --data "$tmp/data" --bundle-libs all --out "$tmp/report.json" -- --batch 4
expect "deploy and eval" 0 "deploy: report: $tmp/report.json"
if [ -f "$tmp/report.json" ]; then
  [ "$(jq -r .complete "$tmp/report.json")" = true ] || fail "the report is not complete"
  [ "$(jq -r .images "$tmp/report.json")" = 20 ] || fail "the report has $(jq -r .images "$tmp/report.json") images, expected 20"
  [ "$(jq -r .model.name "$tmp/report.json")" = tf-resnet56-cifar10 ] || fail "the report names model $(jq -r .model.name "$tmp/report.json")"
else
  fail "no report brought back"
fi
# Everything dpurun needs went along: the binary, its libraries (all, as asked), the model, the data.
[ -x "$tmp/board/dpurun/bin/dpurun" ] || fail "dpurun was not copied"
[ -x "$tmp/board/dpurun/bin/dpurun-worker" ] || fail "dpurun-worker (isolated runners) was not copied"
# (Outputs are captured before grep -q reads them: under pipefail, grep -q leaving early can
# kill the writer with SIGPIPE and fail the check at random.)
bundled=$(ls "$tmp/board/dpurun/lib")
grep -q '^libopencv_core\.so' <<<"$bundled" || fail "the libraries were not bundled: $bundled"
[ -f "$tmp/board/dpurun/model-files/tf-resnet56-cifar10/float_frozen.pb" ] || fail "the model was not copied"
[ "$(find "$tmp/board/dpurun/data" -name '*.jpg' | wc -l)" = 20 ] || fail "the data set was not copied"

# The bundled libraries are the ones dpurun runs with on the board.
resolved=$(LD_LIBRARY_PATH="$tmp/board/dpurun/lib" ldd "$tmp/board/dpurun/bin/dpurun")
grep -q "$tmp/board/dpurun/lib/libopencv_core" <<<"$resolved" || fail "dpurun does not load the bundled OpenCV: $resolved"

# Only what the board lacks: this "board" has every library already.
deploy "${base[@]}" --identity "$tmp/user_key" --data "$tmp/data" --out "$tmp/report2.json" -- --limit 10
expect "deploy with the board's libraries" 0 "0 libraries"
[ "$(jq -r .images "$tmp/report2.json" 2>/dev/null)" = 10 ] || fail "the second report does not have 10 images"

# ---- failures say what is wrong ----
deploy "${base[@]}" --identity "$tmp/user_key" --port 1 --data "$tmp/data"
expect "unreachable host" 5 "cannot reach"
deploy "${base[@]}" --identity "$tmp/other_key" --data "$tmp/data"
expect "wrong key" 5 "refused the key $tmp/other_key"
deploy "${base[@]}" --identity "$tmp/user_key" --data "$tmp/data" --model no-such-model
expect "missing model" 3 "--model no-such-model: no manifest models/no-such-model.json; known models:"
deploy "${base[@]}" --identity "$tmp/user_key" --data "$tmp/data" --model-root "$tmp/nowhere"
expect "missing model file" 3 "$tmp/nowhere/tf-resnet56-cifar10/float_frozen.pb: the model file of tf-resnet56-cifar10 (float) is missing"
deploy "${base[@]}" --identity "$tmp/user_key" --data "$tmp/nowhere"
expect "missing data" 3 "no labels.csv there"
deploy "${base[@]}" --identity "$tmp/user_key" --data "$tmp/data" -- --batch 0
expect "dpurun failing on the board" 2 "dpurun exited 2 on 127.0.0.1"
deploy "${base[@]}" --identity "$tmp/user_key" --bogus
expect "unknown option" 2 "unknown option '--bogus'"
deploy --host 127.0.0.1 --build-dir "$tmp/nobuild"
expect "no build" 3 "no dpurun build there"

if [ "$fails" -gt 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "deploy: all checks passed"
