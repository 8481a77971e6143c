#!/usr/bin/env bash
# Times dispatchkit's solver against OR-Tools min-cost flow and SciPy sparse bipartite matching on the
# same instance files (solve time only), and checks that all three objectives agree.
#
#   benches/peers/run.sh [--solver flow|lp|greedy] [--timeout SECONDS] [SIZE|FILE]...
#   benches/peers/run.sh --targets ROUNDS
#   benches/peers/run.sh --anchor ROUNDS
#
# SIZE is S, M, L or XL: instances/SIZE.txt, generated with seed 1 by the gen_instance example when
# missing. FILE is any instance file (the sparse format, or an OR-Library assignN.txt). Without
# arguments: S and M. The first run creates benches/peers/.venv and installs the pinned ortools,
# scipy and numpy from PyPI. Exit status 1 when an objective differs or a run fails.
#
# With --targets: the issues' speed targets, each criterion median scaled to the speed the targets
# were set at by OR-Tools' time on M right before and after its bench (peers.py's `targets`; M is
# generated when missing).
#
# With --anchor: the same targets calibrated by fixed code instead, each target's bench of the
# current code run after the same bench of the revision whose medians were recorded at the
# reference speed (peers.py's `anchor`; the anchor is built in a temporary git worktree, in
# target/anchor, so its first round compiles the dependencies again).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="$venv/bin/python"

solver=flow
timeout=900
targets=
anchor=
inputs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --solver) solver="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --anchor) anchor="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) inputs+=("$1"); shift ;;
  esac
done
if [ -n "$targets" ]; then
  inputs=(M)
fi
[ ${#inputs[@]} -gt 0 ] || inputs=(S M)

if ! { [ -x "$python" ] && "$python" -c 'import ortools, scipy, numpy' 2>/dev/null; }; then
  echo "creating $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    ortools==9.15.6755 scipy==1.17.1 numpy==2.4.6
fi

cd "$root"
if [ -n "$anchor" ]; then
  exec "$python" "$here/peers.py" anchor --rounds "$anchor"
fi
cargo build --release --quiet --example solve_instance --example gen_instance
target_dir="${CARGO_TARGET_DIR:-$root/target}"
ours="$target_dir/release/examples/solve_instance"

files=()
for input in "${inputs[@]}"; do
  case "$input" in
    S|M|L|XL)
      file="$root/instances/$input.txt"
      if [ ! -s "$file" ]; then
        mkdir -p "$root/instances"
        "$target_dir/release/examples/gen_instance" "$input" --seed 1 --out "$file.tmp"
        mv "$file.tmp" "$file"
      fi
      files+=("$file") ;;
    *) files+=("$(cd "$(dirname "$input")" && pwd)/$(basename "$input")") ;;
  esac
done

if [ -n "$targets" ]; then
  exec "$python" "$here/peers.py" targets --instance "${files[0]}" --rounds "$targets"
fi
exec "$python" "$here/peers.py" compare --ours "$ours" --solver "$solver" --timeout "$timeout" "${files[@]}"
