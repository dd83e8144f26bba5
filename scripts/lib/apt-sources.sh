#!/usr/bin/env bash
# Prints this machine's own Debian 12 apt sources as one-line entries ("deb URI SUITE main"),
# from /etc/apt/sources.list and the enabled files in sources.list.d (one-line and deb822 forms),
# so that a new root or sysroot uses the mirror this machine already uses.
#   apt-sources.sh           every bookworm* entry (bookworm, -updates, -security)
#   apt-sources.sh --mirror  the URI of the plain 'bookworm' suite
set -euo pipefail
dir=${APT_SOURCES_DIR:-/etc/apt}

one_line() {
  local f
  for f in "$dir/sources.list" "$dir"/sources.list.d/*.list; do
    if [ -f "$f" ]; then cat "$f"; fi
  done | awk '$1 == "deb" {
    i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
    if ($(i + 1) ~ /^bookworm/) print "deb " $i " " $(i + 1) " main" }'
}

deb822() {
  local f
  for f in "$dir"/sources.list.d/*.sources; do
    if [ -f "$f" ]; then cat "$f"; echo; fi
  done | awk '
    function flush(  u, s) {
      if (types ~ /(^| )deb( |$)/ && enabled != "no")
        for (u in uris) for (s in suites) if (suites[s] ~ /^bookworm/) print "deb " uris[u] " " suites[s] " main"
      types = ""; enabled = ""; split("", uris); split("", suites)
    }
    /^#/ { next }
    /^[ \t]*$/ { flush(); next }
    { key = tolower($1); sub(/:$/, "", key)
      if (key == "types") { types = ""; for (i = 2; i <= NF; i++) types = types " " $i; types = types " " }
      if (key == "uris") for (i = 2; i <= NF; i++) uris[i] = $i
      if (key == "suites") for (i = 2; i <= NF; i++) suites[i] = $i
      if (key == "enabled") enabled = tolower($2) }
    END { flush() }'
}

entries=$( { one_line; deb822; } | sort -u)
if [ "${1:-}" = "--mirror" ]; then
  mirror=$(awk '$3 == "bookworm" { print $2; exit }' <<<"$entries")
  [ -n "$mirror" ] || { echo "apt-sources: no 'bookworm' suite in $dir/sources.list{,.d}" >&2; exit 1; }
  echo "$mirror"
else
  [ -n "$entries" ] || { echo "apt-sources: no bookworm entries in $dir/sources.list{,.d}" >&2; exit 1; }
  echo "$entries"
fi
