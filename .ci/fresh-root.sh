# Sourced by .ci/run: fresh Debian 12 roots (debootstrap minbase, nothing else installed) to run
# the README's commands in, and timed stages that say what failed and what was missing.

# The bare bookworm root, made once per CI run and copied for each root (debootstrap: ~1 min).
fresh_image() {
  local image=$1 mirror
  mirror=$(scripts/lib/apt-sources.sh --mirror)
  echo "fresh root: debootstrap --variant=minbase bookworm from $mirror"
  mkdir -p "$image"
  debootstrap --variant=minbase bookworm "$image" "$mirror" >"$image.log" 2>&1 ||
    { tail -20 "$image.log"; echo "debootstrap failed (log: $image.log)"; return 1; }
  # The machine's own apt sources (its mirror, -updates and -security) and its Acquire settings
  # (a snapshot mirror's Release files may be past Valid-Until); no package is added.
  scripts/lib/apt-sources.sh >"$image/etc/apt/sources.list"
  if compgen -G "/etc/apt/apt.conf.d/*" >/dev/null; then
    grep -l '^Acquire::Check-Valid-Until' /etc/apt/apt.conf.d/* 2>/dev/null |
      xargs -r cp -t "$image/etc/apt/apt.conf.d/"
  fi
  cp -L /etc/resolv.conf "$image/etc/resolv.conf"
  # No service starts while packages install (openssh-server would start an sshd on the host's
  # port 22): the usual policy for a chroot.
  printf '#!/bin/sh\nexit 101\n' >"$image/usr/sbin/policy-rc.d"
  chmod +x "$image/usr/sbin/policy-rc.d"
  echo "fresh root: $(chroot "$image" dpkg-query -W | wc -l) packages (minbase)"
}

# A root from the image, with a clean clone of HEAD at /work/main and ../shared read-only at
# /work/shared, and /proc, /sys, /dev mounted.
root_create() {
  local image=$1 root=$2 repo=$3 shared=$4
  cp -a "$image" "$root"
  mkdir -p "$root/work/shared"
  git clone --quiet --no-hardlinks "$repo" "$root/work/main"
  git -C "$root/work/main" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
  if [ -d "$shared" ]; then
    mount --bind "$shared" "$root/work/shared"
    mount -o remount,bind,ro "$root/work/shared"
  else
    echo "fresh root: no $shared here: the tests that need it skip"
  fi
  mount -t proc proc "$root/proc"
  mount -t sysfs sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
  echo "fresh root: $root, clone of $(git -C "$repo" rev-parse --short HEAD)"
}

# Runs a command in /work/main of the root, as root, with a clean environment.
in_root() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 CI="${CI:-}" TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c 'cd /work/main && exec "$@"' in_root "$@"
}

# Ends what still runs in the root, unmounts it and removes it (kept with DPURUN_CI_KEEP=1).
root_destroy() {
  local root=$1 p
  [ -d "$root" ] || return 0
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  for p in dev sys proc work/shared; do umount -R "$root/$p" 2>/dev/null || umount -R -l "$root/$p" 2>/dev/null; done
  # Never remove through a mount: /dev and ../shared are the host's own.
  if awk -v r="$root/" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    echo "fresh root: something is still mounted under $root; not removing it"
    return 0
  fi
  if [ "${DPURUN_CI_KEEP:-0}" = 1 ]; then echo "fresh root kept: $root"; else rm -rf "$root"; fi
}

stage_names=()
stage_secs=()
stage_logs=${stage_logs:-$(mktemp -d)}

# stage NAME COMMAND...: runs and times one stage; on failure says which stage, which command,
# and the lines of its output that name what was missing.
stage() {
  local name=$1 start rc log
  shift
  log="$stage_logs/${#stage_names[@]}.log"
  echo "=== stage: $name"
  start=$(date +%s)
  set +e
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  stage_names+=("$name")
  stage_secs+=($(($(date +%s) - start)))
  echo "=== stage: $name: $((${stage_secs[-1]} / 60)) min $((${stage_secs[-1]} % 60)) s, exit $rc"
  if [ "$rc" -ne 0 ]; then
    echo "CI FAILED in stage '$name': $* (exit $rc)"
    echo "--- what its output says was missing or failed:"
    grep -E "Could NOT find|not found|No such file|cannot find|Unable to locate|^E: |needs [a-z]|missing|FAILED|Failed|\*\*\*Failed|CMake Error" "$log" |
      grep -v "^=== " | head -40
    return "$rc"
  fi
}

stage_summary() {
  local i total=0
  echo "=== time per stage"
  for i in "${!stage_names[@]}"; do
    printf '%6d s  %s\n' "${stage_secs[$i]}" "${stage_names[$i]}"
    total=$((total + stage_secs[i]))
  done
  printf '%6d s  total (%d min)\n' "$total" $((total / 60))
}
