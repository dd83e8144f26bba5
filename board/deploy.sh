#!/usr/bin/env bash
# Packages dpurun with a model and a data set, copies them to a board over SSH, runs
# `dpurun eval` (or `bench`) there and brings the JSON report back.
#
#   board/deploy.sh --host 192.168.1.10 [--user root] [--model lenet-cifar10-vck190 --variant compiled]
#                   [--out report.json] [--command eval|bench] [-- more dpurun options]
#
# Run `board/deploy.sh --help` for every option. Exit codes: 0 success; 2 bad usage; 3 a missing
# build, model or data set here; 5 the board cannot be reached or refuses the key; otherwise
# what dpurun exited with on the board (the report is brought back whenever it was written).
set -uo pipefail

usage() {
  cat <<'EOF'
board/deploy.sh: run dpurun on a board over SSH and bring the JSON report back

  --host HOST          the board (name or address)                         (required)
  --user USER          SSH user                                            (default: root)
  --port PORT          SSH port                                            (default: 22)
  --identity KEY       SSH private key                                     (default: ssh's own)
  --ssh-option OPT     extra `ssh -o OPT` (repeatable), e.g. StrictHostKeyChecking=accept-new
  --build-dir DIR      the build holding app/dpurun                        (default: build/aarch64)
  --sysroot DIR        where the build's libraries are found              (default: the build's
                       DPURUN_SYSROOT, or / for a native build)
  --bundle-libs MODE   missing: copy the libraries the board lacks (asks its ldconfig);
                       all: every library but the C library's; none       (default: missing)
  --model NAME         a manifest in models/ (its files come from --model-root)
                                                                           (default: tf-resnet56-cifar10)
  --variant VARIANT    which of the manifest's files                       (default: the manifest's)
  --model-root DIR     where the manifests' model files are (default: $DPURUN_MODEL_ROOT or ../shared/models)
  --data DIR           image folder with labels.csv to copy (default: $DPURUN_DATA or
                       ../shared/data/cifar10-test-jpg)
  --remote-data DIR    use this data set already on the board instead of copying one
  --remote-dir DIR     where on the board to put it all                    (default: dpurun-deploy)
  --command CMD        eval or bench                                       (default: eval)
  --out FILE           where to write the report here                      (default: report.json)
  -- ARGS...           passed on to dpurun on the board (e.g. -- --backend dpu --threads 4)
EOF
}

die() {
  local code=$1
  shift
  echo "deploy: error: $*" >&2
  exit "$code"
}

repo=$(cd "$(dirname "$0")/.." && pwd)
host="" user=root port=22 identity="" build_dir="$repo/build/aarch64" sysroot="" bundle=missing
model=tf-resnet56-cifar10 variant="" model_root="${DPURUN_MODEL_ROOT:-$repo/../shared/models}"
data="${DPURUN_DATA:-$repo/../shared/data/cifar10-test-jpg}" remote_data="" remote_dir=dpurun-deploy
command=eval out=report.json
ssh_opts=(-o BatchMode=yes -o ConnectTimeout=10)
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --host | --user | --port | --identity | --ssh-option | --build-dir | --sysroot | --bundle-libs | --model | \
      --variant | --model-root | --data | --remote-data | --remote-dir | --command | --out)
      [ $# -ge 2 ] || die 2 "$1 needs a value (see --help)"
      case "$1" in
        --host) host=$2 ;;
        --user) user=$2 ;;
        --port) port=$2 ;;
        --identity) identity=$2 ;;
        --ssh-option) ssh_opts+=(-o "$2") ;;
        --build-dir) build_dir=$2 ;;
        --sysroot) sysroot=$2 ;;
        --bundle-libs) bundle=$2 ;;
        --model) model=$2 ;;
        --variant) variant=$2 ;;
        --model-root) model_root=$2 ;;
        --data) data=$2 ;;
        --remote-data) remote_data=$2 ;;
        --remote-dir) remote_dir=$2 ;;
        --command) command=$2 ;;
        --out) out=$2 ;;
      esac
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die 2 "unknown option '$1' (see --help)" ;;
  esac
done

# ---- what we were asked, checked here before any connection ----
[ -n "$host" ] || die 2 "--host is required (the board's name or address)"
[[ $port =~ ^[0-9]+$ ]] || die 2 "--port must be a number, not '$port'"
case "$bundle" in missing | all | none) ;; *) die 2 "--bundle-libs must be missing, all or none" ;; esac
case "$command" in eval | bench) ;; *) die 2 "--command must be eval or bench" ;; esac
[ -z "$identity" ] || [ -r "$identity" ] || die 3 "--identity $identity: no such key file"
[ -z "$identity" ] || ssh_opts+=(-i "$identity" -o IdentitiesOnly=yes)
for tool in ssh tar jq readelf; do
  command -v "$tool" >/dev/null || die 3 "needs '$tool' on this machine (scripts/install-deps.sh installs it)"
done

cli="$build_dir/app/dpurun"
[ -x "$cli" ] || die 3 "$cli: no dpurun build there; build it first (cmake --preset aarch64 && cmake --build --preset aarch64, or with the board SDK, see board/README.md)"
worker="$build_dir/app/dpurun-worker"  # isolated runners (the DPU backend's default) run in it
[ -x "$worker" ] || die 3 "$worker: the build has dpurun but not its worker program; build the whole project (cmake --build)"
if [ -z "$sysroot" ]; then
  sysroot=$(sed -n 's/^DPURUN_SYSROOT:PATH=//p' "$build_dir/CMakeCache.txt" 2>/dev/null)
  sysroot=${sysroot:-/}
fi
[ -d "$sysroot" ] || die 3 "--sysroot $sysroot: no such folder"

manifest="$repo/models/$model.json"
if [ ! -f "$manifest" ]; then
  known=$(cd "$repo/models" && ls ./*.json | sed 's|^\./||; s|\.json$||' | tr '\n' ' ')
  die 3 "--model $model: no manifest models/$model.json; known models: $known"
fi
jq -e . "$manifest" >/dev/null 2>&1 || die 3 "$manifest: not valid JSON"
variant=${variant:-$(jq -r '.default // (.files | keys[0])' "$manifest")}
files=("$(jq -r --arg v "$variant" '.files[$v] // empty' "$manifest")")
[ -n "${files[0]}" ] || die 3 "--variant $variant: $model has no such variant; it has: $(jq -r '.files | keys | join(", ")' "$manifest")"
weights=$(jq -r --arg v "$variant" '.weights_from[$v] // empty' "$manifest")
[ -z "$weights" ] || files+=("$(jq -r --arg v "$weights" '.files[$v]' "$manifest")")
for f in "${files[@]}"; do
  [ -f "$model_root/$f" ] || die 3 "$model_root/$f: the model file of $model ($variant) is missing; get it or point --model-root at it"
done
if [ -z "$remote_data" ]; then
  [ -f "$data/labels.csv" ] || die 3 "--data $data: no labels.csv there (an image folder as \`dpurun images\` writes it)"
fi

# ---- the connection ----
target="$user@$host"
ssh_run() { ssh "${ssh_opts[@]}" -p "$port" "$target" "$@"; }
if ! probe=$(ssh_run 'uname -m' 2>&1); then
  case "$probe" in
    *"Permission denied"*) die 5 "$target refused the key${identity:+ $identity}: install its public key on the board (ssh-copy-id${identity:+ -i $identity} -p $port $target) or pass the right one with --identity ($probe)" ;;
    *"Host key verification failed"* | *"REMOTE HOST IDENTIFICATION HAS CHANGED"*)
      die 5 "$host's host key is unknown or changed: check it, then connect once with ssh, or pass --ssh-option StrictHostKeyChecking=accept-new ($probe)" ;;
    *) die 5 "cannot reach $target on port $port: is the board on and its SSH server running? ($probe)" ;;
  esac
fi
board_arch=$(echo "$probe" | tail -1 | tr -d '\r')
case "$(readelf -h "$cli" | sed -n 's/.*Machine: *//p')" in
  *AArch64*) build_arch=aarch64 ;;
  *X86-64* | *x86-64*) build_arch=x86_64 ;;
  *) build_arch=unknown ;;
esac
[ "$build_arch" = "$board_arch" ] || die 3 "$cli is built for $build_arch but $host is $board_arch: build for the board (cmake --preset aarch64, or with its SDK)"

# ---- the package ----
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/models" "$stage/model-files" "$stage/reports"
cp "$cli" "$stage/bin/dpurun"
cp "$worker" "$stage/bin/dpurun-worker"
cp "$manifest" "$stage/models/"
for f in "${files[@]}"; do
  mkdir -p "$stage/model-files/$(dirname "$f")"
  cp "$model_root/$f" "$stage/model-files/$f"
done
[ -n "$remote_data" ] || { mkdir -p "$stage/data" && cp -r "$data/." "$stage/data/"; }

# Shared libraries dpurun needs, found in the sysroot; the C library's are always the board's.
find_lib() {
  local d
  for d in "$sysroot"/usr/lib/*-linux-gnu "$sysroot"/lib/*-linux-gnu "$sysroot"/usr/lib64 "$sysroot"/lib64 \
    "$sysroot"/usr/lib "$sysroot"/lib; do
    [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  return 1
}
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
declare -A seen=()
queue=($(needed "$cli") $(needed "$worker"))
libs=()
while [ ${#queue[@]} -gt 0 ]; do
  lib=${queue[0]}
  queue=("${queue[@]:1}")
  [ -z "${seen[$lib]:-}" ] || continue
  seen[$lib]=1
  case "$lib" in libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux* | libresolv.so.*) continue ;; esac
  path=$(find_lib "$lib") || { echo "deploy: note: $lib is not in $sysroot; the board must have it" >&2; continue; }
  libs+=("$lib")
  queue+=($(needed "$path"))
done
if [ "$bundle" = missing ] && [ ${#libs[@]} -gt 0 ]; then
  have=$(ssh_run '/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null' | awk '{print $1}')
  wanted=()
  for lib in "${libs[@]}"; do grep -qxF "$lib" <<<"$have" || wanted+=("$lib"); done
  libs=("${wanted[@]+"${wanted[@]}"}")
elif [ "$bundle" = none ]; then
  libs=()
fi
for lib in "${libs[@]+"${libs[@]}"}"; do cp -L "$(find_lib "$lib")" "$stage/lib/$lib"; done
echo "deploy: packaging dpurun, $model ($variant), ${#libs[@]} libraries${remote_data:+, data already on the board}" \
  "($(du -sh "$stage" | cut -f1)) for $target:$remote_dir"

# ---- copy, run, bring the report back ----
q() { printf '%q' "$1"; }
ssh_run "rm -rf $(q "$remote_dir") && mkdir -p $(q "$remote_dir")" ||
  die 5 "cannot create $remote_dir on $host"
tar -C "$stage" -czf - . | ssh_run "tar -xzf - -C $(q "$remote_dir")" || die 5 "copying to $host:$remote_dir failed"

data_arg="data"
[ -z "$remote_data" ] || data_arg=$remote_data
run="cd $(q "$remote_dir") && LD_LIBRARY_PATH=\"\$PWD/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\" DPURUN_MODELS=\"\$PWD/models\" DPURUN_MODEL_ROOT=\"\$PWD/model-files\" ./bin/dpurun $command --model $(q "$model") --variant $(q "$variant") --data $(q "$data_arg") --json reports/report.json"
for a in "${extra[@]+"${extra[@]}"}"; do run+=" $(q "$a")"; done
echo "deploy: running on $host: dpurun $command --model $model --variant $variant ${extra[*]+${extra[*]}}"
ssh_run "$run"
rc=$?
if ssh_run "cat $(q "$remote_dir")/reports/report.json" >"$out.tmp" 2>/dev/null && [ -s "$out.tmp" ]; then
  mv "$out.tmp" "$out"
  echo "deploy: report: $out"
else
  rm -f "$out.tmp"
  [ "$rc" -ne 0 ] || rc=3
  echo "deploy: error: dpurun on $host wrote no report" >&2
fi
[ "$rc" -eq 0 ] || echo "deploy: error: dpurun exited $rc on $host (its messages are above)" >&2
exit "$rc"
