#!/usr/bin/env bash
# The speed targets against fixed code: each target's criterion bench of the current code, run
# alternately with the same bench of revision fb16c10, whose medians were recorded in the hour the
# targets' reference speed was measured (2026-11-23 00:19-00:25 UTC, OR-Tools solving M in
# 0.41-0.45 s against the issues' 0.43 s).
#
#   benches/peers/anchor.sh [ROUNDS]          (default 3)
#
# The anchor's bench runs the same work on the same machine as then, so its median now over its
# median then is how fast the machine runs that bench this hour; the current median divided by that
# factor is its figure at the reference speed. This is a second calibration beside
# `run.sh --targets`, which scales by OR-Tools' time on M: a bench and OR-Tools need not speed up
# together (one is cache-resident, the other is not), an anchor and the current code of the same
# bench do more nearly. The anchor's own figures were single quiet runs, good to about 10 %.
#
# Builds the anchor in a temporary git worktree with its own target directory
# (target/anchor, or ANCHOR_TARGET_DIR): the first run compiles the dependencies again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-3}"
anchor_rev=fb16c10
anchor_target="${ANCHOR_TARGET_DIR:-$root/target/anchor}"

# The benches' executables, from cargo's "Executable benches/NAME.rs (PATH)" lines, as absolute
# paths (cargo prints them relative to the current directory when they are below it).
executables() {
  local log
  log="$(mktemp)"
  if ! cargo bench --no-run --bench rules --bench candidates >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  sed -n 's/^ *Executable benches\/\([a-z]*\)\.rs (\(.*\))$/\1 \2/p' "$log" |
    while read -r name path; do
      case "$path" in /*) ;; *) path="$PWD/$path" ;; esac
      echo "$name $path"
    done
  rm -f "$log"
}

tmp="$(mktemp -d)"
worktree="$tmp/anchor"
git -C "$root" worktree add --detach --quiet "$worktree" "$anchor_rev"
trap 'git -C "$root" worktree remove --force "$worktree"; rmdir "$tmp"' EXIT
echo "building the anchor ($anchor_rev) in $anchor_target" >&2
declare -A anchor current
while read -r name path; do anchor[$name]="$path"; done < <(
  cd "$worktree" && CARGO_TARGET_DIR="$anchor_target" executables
)
echo "building the current code" >&2
while read -r name path; do current[$name]="$path"; done < <(cd "$root" && executables)
for bench in rules candidates; do
  [ -n "${anchor[$bench]:-}" ] && [ -n "${current[$bench]:-}" ] ||
    { echo "no executable for the $bench bench" >&2; exit 1; }
done

# A bench's median in seconds: the middle figure of criterion's "time: [low median high]" line.
median() {
  (cd "$1" && "$2" --bench --warm-up-time 1 "$3" 2>/dev/null) |
    awk '/time:/ { v = $(NF - 3); u = $(NF - 2); gsub(/\[/, "", v);
                   s = (u == "s") ? 1 : (u == "ms") ? 1e-3 : (u == "µs" || u == "us") ? 1e-6 : 1e-9;
                   print v * s; exit }'
}

# bench, filter, the anchor's median in the reference hour (s), the target (s), the label
targets=(
  "rules|20 rules|0.0452|0.015|20 rules x 1M pairs, one core"
  "rules|compile 200 rules|0.00391|0.005|compiling a 200-rule policy"
  "candidates|ranking/10k_engineers/prepared|219e-6|20e-6|candidates() on a prepared fleet"
  "candidates|ranking/10k_engineers/candidates|671e-6|20e-6|candidates(), one call"
  "candidates|candidate_set/L/threads=2|3.40|0.2|candidate generation for L, 2 threads"
)
declare -A scaled
for r in $(seq 1 "$rounds"); do
  echo "round $r ($(date -u +%H:%M:%S) UTC):"
  for t in "${targets[@]}"; do
    IFS='|' read -r bench filter then target label <<<"$t"
    a="$(median "$worktree" "${anchor[$bench]}" "$filter")"
    c="$(median "$root" "${current[$bench]}" "$filter")"
    [ -n "$a" ] && [ -n "$c" ] || { echo "no median for \"$filter\"" >&2; exit 1; }
    line="$(python3 -c "
a, c, then = $a, $c, $then
f = then / a
print(f'{c * f:.6g} {f:.2f}')")"
    read -r at factor <<<"$line"
    scaled[$label]="${scaled[$label]:-} $at"
    printf '  %-40s anchor %.4g s (%s x the reference speed), current %.4g s -> %.4g s at the reference speed\n' \
      "$label" "$a" "$factor" "$c" "$at"
  done
done
echo "median over $rounds rounds, at the reference speed:"
for t in "${targets[@]}"; do
  IFS='|' read -r _ _ _ target label <<<"$t"
  python3 -c "
import statistics
v = [float(x) for x in '${scaled[$label]}'.split()]
m = statistics.median(v)
verdict = 'met' if m <= $target else f'missed ({m / $target:.1f}x)'
print(f'  {\"$label\":40s} {m:.4g} s against {$target:g} s: {verdict}')"
done
