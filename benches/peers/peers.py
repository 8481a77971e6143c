"""Peer solvers for dispatchkit instance files, and a side-by-side timing comparison.

Usage (run.sh sets up the venv and calls `compare`):

    python peers.py solve --engine ortools|scipy FILE
        Solves FILE and prints one JSON line: engine, objective, assigned, unassigned, seconds.
    python peers.py compare --ours BIN [--solver flow|lp|greedy] [--timeout S] FILE...
        For each FILE runs `BIN FILE --solver ...` (dispatchkit's solve_instance example), then each
        peer engine in its own process, and prints the solve times, the ratios ours/peer (above 1:
        ours is slower) and whether all objectives agree. Exits 1 if any objective differs or any run fails.

    python peers.py targets --instance M.txt [--rounds N] [--reference SECONDS]
        The issues' speed targets that depend on how fast the machine is, calibrated in one script:
        each round runs the criterion bench of each target (`cargo bench`, so the binaries are
        always the current code's) between two timings of OR-Tools on the instance (each the
        median of three solves, each solve in its own process; the timing after one bench is the
        one before the next). The issues give OR-Tools' time on M on the machine the targets were
        set on (0.43 s); a bench's median times that reference over the mean of the two OR-Tools
        times around it is its figure "at the reference speed", which is what is held against the
        target. Prints each round and the median over the rounds.
    python peers.py anchor [--rounds N] [--anchor-target-dir DIR]
        The same targets calibrated by fixed code: each target's bench of revision ANCHOR_REV
        (built in a temporary git worktree, in DIR, by default the target directory's anchor/) and
        of the current code, one after the other. That revision's medians were recorded in the
        hour OR-Tools solved M in the reference 0.43 s, so its median then over its median now is
        how much faster the machine runs that very bench this hour; the current median times that
        factor is its figure at the reference speed. OR-Tools is a different program from the
        benches (one memory-bound, the others mostly in cache); the anchor runs the same work.

FILE is dispatchkit's sparse instance format (`p`, `e`, `t`, `a` lines; see
src/solve/network.rs) or an OR-Library `assignN.txt` dense matrix, read the same way
`Network::read` does (n tickets, n engineers of capacity 1, penalty above any cost).

Only the solve call is timed, never reading the file or building the model.

The models:

* OR-Tools `SimpleMinCostFlow`: one node per ticket (supply 1), per engineer, and a sink (demand =
  number of tickets). Arcs ticket->engineer (capacity 1, cost = arc cost), ticket->sink (the
  "unassigned" arc: capacity 1, cost = penalty) and engineer->sink (capacity = engineer capacity,
  cost 0). The per-ticket supply of 1 plays the role of a source->ticket arc of capacity 1. The
  optimal cost is the instance objective.
* SciPy `scipy.sparse.csgraph.min_weight_full_bipartite_matching` (LAPJVsp): rows are tickets;
  columns are engineer *slots* (engineer e contributes capacity(e) identical columns, each with an
  edge from every ticket that has an arc to e) plus one dummy "unassigned" column per ticket whose
  only edge is from that ticket, at the ticket's penalty. The dummies make a matching that covers
  every row (the smaller side) always exist, which the function requires. The function reads edges
  from the sparse matrix's stored entries and treats zero weights as missing edges, so every weight
  is shifted by `1 - min(all costs and penalties)` to make it >= 1; since each ticket row is matched
  exactly once, the objective is the matched weights' sum minus `shift * tickets`, computed in
  integers from the matched entries (exact). The expansion multiplies the arcs by the mean capacity.
  Load costs are not part of the file format, so all slots of an engineer cost the same.

The two engines run in separate processes (they could share one, but separate processes keep each
run's memory and native-library state apart, and the SciPy model is the larger one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


class Instance:
    """A parsed instance: capacity[m], penalty[n], arcs as parallel arrays (ticket, engineer, cost)."""

    def __init__(self, capacity, penalty, at, ae, ac):
        self.capacity = np.asarray(capacity, dtype=np.int64)
        self.penalty = np.asarray(penalty, dtype=np.int64)
        self.at = np.asarray(at, dtype=np.int64)
        self.ae = np.asarray(ae, dtype=np.int64)
        self.ac = np.asarray(ac, dtype=np.int64)

    @property
    def tickets(self) -> int:
        return len(self.penalty)

    @property
    def engineers(self) -> int:
        return len(self.capacity)


def _ints(lines: list[bytes], width: int, path: str) -> np.ndarray:
    """The numbers after the record letter of `lines`, as an array of shape (len(lines), width)."""
    if not lines:
        return np.zeros((0, width), dtype=np.int64)
    flat = np.array(b" ".join(line[1:] for line in lines).split(), dtype=np.int64)
    if flat.size != len(lines) * width:
        raise ValueError(f"{path}: a record has the wrong number of fields")
    return flat.reshape(-1, width)


def read_instance(path: str) -> Instance:
    with open(path, "rb") as f:
        data = f.read()
    lines = [line for line in data.split(b"\n") if line.strip() and not line.lstrip().startswith(b"c")]
    if not lines:
        raise ValueError(f"{path}: empty instance")
    first = lines[0].split()
    if first[0][:1].isdigit():
        return _or_library(np.array(b" ".join(lines).split(), dtype=np.int64), path)
    if first[0] != b"p" or len(first) != 4:
        raise ValueError(f"{path}: expected a `p` line first")
    n, m, arcs = (int(x) for x in first[1:])
    by_kind: dict[bytes, list[bytes]] = {b"e": [], b"t": [], b"a": []}
    for line in lines[1:]:
        line = line.strip()
        kind = line[:1]
        if kind not in by_kind or (len(line) > 1 and not line[1:2].isspace()):
            raise ValueError(f"{path}: unknown record in line {line[:40]!r}")
        by_kind[kind].append(line)
    e = _ints(by_kind[b"e"], 2, path)
    t = _ints(by_kind[b"t"], 2, path)
    a = _ints(by_kind[b"a"], 3, path)
    if len(e) != m or len(t) != n or len(a) != arcs:
        raise ValueError(f"{path}: counts differ from the `p` line")
    capacity = np.zeros(m, dtype=np.int64)
    capacity[e[:, 0]] = e[:, 1]
    penalty = np.zeros(n, dtype=np.int64)
    penalty[t[:, 0]] = t[:, 1]
    return Instance(capacity, penalty, a[:, 0], a[:, 1], a[:, 2])


def _or_library(tokens: np.ndarray, path: str) -> Instance:
    n = int(tokens[0])
    costs = tokens[1:]
    if costs.size != n * n:
        raise ValueError(f"{path}: {costs.size} costs for a {n}x{n} matrix")
    lo = min(0, int(costs.min())) if n else 0
    hi = max(0, int(costs.max())) if n else 0
    # Same penalty as Network::read: above the whole cost range, so the optimum assigns everyone.
    penalty = max(hi - lo + 1, 1) + max(hi, 0)
    at = np.repeat(np.arange(n), n)
    ae = np.tile(np.arange(n), n)
    return Instance(np.ones(n), np.full(n, penalty), at, ae, costs)


def solve_ortools(inst: Instance) -> dict:
    from ortools.graph.python import min_cost_flow

    n, m = inst.tickets, inst.engineers
    sink = n + m
    tickets = np.arange(n, dtype=np.int64)
    engineers = np.arange(m, dtype=np.int64)
    start = np.concatenate([inst.at, tickets, n + engineers])
    end = np.concatenate([n + inst.ae, np.full(n, sink), np.full(m, sink)])
    cap = np.concatenate([np.ones(len(inst.at), dtype=np.int64), np.ones(n, dtype=np.int64), inst.capacity])
    cost = np.concatenate([inst.ac, inst.penalty, np.zeros(m, dtype=np.int64)])
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(start, end, cap, cost)
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    smcf.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int64), supplies)
    began = time.perf_counter()
    status = smcf.solve()
    seconds = time.perf_counter() - began
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"OR-Tools status {status}")
    unassigned_arcs = np.arange(len(inst.at), len(inst.at) + n, dtype=np.int64)
    unassigned = int(smcf.flows(unassigned_arcs).sum())
    return {
        "objective": int(smcf.optimal_cost()),
        "assigned": n - unassigned,
        "unassigned": unassigned,
        "seconds": seconds,
    }


def solve_scipy(inst: Instance) -> dict:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    n = inst.tickets
    cap = inst.capacity
    slot_start = np.concatenate([[0], np.cumsum(cap)])
    slots = int(slot_start[-1])
    lowest = min(int(inst.ac.min()) if len(inst.ac) else 0, int(inst.penalty.min()) if n else 0)
    shift = 1 - lowest
    # Expand arc (t, e, c) into (t, slot, c) for each of e's capacity slots.
    reps = cap[inst.ae]
    rows = np.repeat(inst.at, reps)
    costs = np.repeat(inst.ac, reps)
    first_slot = np.repeat(slot_start[inst.ae], reps)
    # Offset within the run of slots of each arc: 0, 1, ..., reps-1.
    run_start = np.repeat(np.cumsum(reps) - reps, reps)
    cols = first_slot + (np.arange(len(rows), dtype=np.int64) - run_start)
    rows = np.concatenate([rows, np.arange(n)])
    cols = np.concatenate([cols, slots + np.arange(n)])
    weights = (np.concatenate([costs, inst.penalty]) + shift).astype(np.float64)
    graph = csr_matrix((weights, (rows, cols)), shape=(n, slots + n))
    began = time.perf_counter()
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    seconds = time.perf_counter() - began
    if len(row_ind) != n:
        raise RuntimeError("SciPy matched only part of the tickets")
    matched = np.asarray(graph[row_ind, col_ind]).ravel()
    objective = int(np.rint(matched).astype(np.int64).sum()) - shift * n
    unassigned = int((col_ind >= slots).sum())
    return {"objective": objective, "assigned": n - unassigned, "unassigned": unassigned, "seconds": seconds}


ENGINES = {"ortools": solve_ortools, "scipy": solve_scipy}


def cmd_solve(args) -> int:
    inst = read_instance(args.file)
    result = ENGINES[args.engine](inst)
    print(json.dumps({"engine": args.engine, **result}))
    return 0


def _run(cmd: list[str], timeout: float) -> tuple[str | None, str]:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    if p.returncode != 0:
        return None, (p.stderr.strip() or f"exit status {p.returncode}").splitlines()[-1]
    return p.stdout, ""


def run_ours(binary: str, solver: str, path: str, timeout: float) -> tuple[dict | None, str]:
    out, err = _run([binary, path, "--solver", solver], timeout)
    if out is None:
        return None, err
    fields = dict(kv.split("=", 1) for kv in out.split())
    return {
        "objective": int(fields["objective"]),
        "assigned": int(fields["assigned"]),
        "unassigned": int(fields["unassigned"]),
        "seconds": float(fields["seconds"]),
    }, ""


def run_peer(engine: str, path: str, timeout: float) -> tuple[dict | None, str]:
    out, err = _run([sys.executable, os.path.abspath(__file__), "solve", "--engine", engine, path], timeout)
    if out is None:
        return None, err
    return json.loads(out.strip().splitlines()[-1]), ""


def cmd_compare(args) -> int:
    ok = True
    print(f"{'instance':<22} {'ours s':>9} {'OR-Tools s':>11} {'SciPy s':>9} {'ours/OR':>8} {'ours/SciPy':>10}  objectives")
    for path in args.files:
        results = {}
        errors = {}
        results["ours"], errors["ours"] = run_ours(args.ours, args.solver, path, args.timeout)
        for engine in ENGINES:
            results[engine], errors[engine] = run_peer(engine, path, args.timeout)

        def secs(key: str) -> str:
            r = results[key]
            return f"{r['seconds']:.4f}" if r else "failed"

        def ratio(key: str) -> str:
            # Our time over the peer's: above 1 means we are slower.
            r, o = results[key], results["ours"]
            if not r or not o:
                return "-"
            return f"{o['seconds'] / r['seconds']:.2f}" if r["seconds"] > 0 else "inf"

        done = {k: r for k, r in results.items() if r}
        objectives = {k: r["objective"] for k, r in done.items()}
        equal = len(done) == len(results) and len(set(objectives.values())) == 1
        ok &= equal
        verdict = "equal" if equal else "DIFFER"
        details = " ".join(f"{k}={v}" for k, v in objectives.items())
        name = os.path.basename(path)
        print(
            f"{name:<22} {secs('ours'):>9} {secs('ortools'):>11} {secs('scipy'):>9} "
            f"{ratio('ortools'):>8} {ratio('scipy'):>10}  {verdict} ({details}"
            + (f"; unassigned={done['ours']['unassigned']}" if "ours" in done else "")
            + ")"
        )
        for k, e in errors.items():
            if e:
                print(f"    {k}: {e}")
        sys.stdout.flush()
    return 0 if ok else 1


# The targets `targets` and `anchor` measure: (bench, criterion filter, estimates directory, target
# in seconds, the words, the median of revision ANCHOR_REV's bench in the hour the reference
# speed was measured).
TARGETS = [
    ("rules", "20 rules x 1M pairs", "rules/20 rules x 1M pairs (1 thread)", 0.015,
     "20 rules over 1M pairs, one core <= 15 ms (issue 3)", 45.2e-3),
    ("rules", "compile 200 rules", "rules/compile 200 rules", 0.005,
     "compiling a 200-rule policy <= 5 ms (issue 3)", 3.91e-3),
    ("candidates", "ranking/10k_engineers/prepared", "ranking_10k_engineers/prepared", 20e-6,
     "candidates() among 10k engineers, fleet prepared <= 20 us (issue 2)", 219e-6),
    ("candidates", "ranking/10k_engineers/candidates", "ranking_10k_engineers/candidates", 20e-6,
     "candidates() among 10k engineers, one call <= 20 us (issue 2)", 671e-6),
    ("candidates", "candidate_set/L/threads=2", "candidate_set_L/threads=2", 0.2,
     "candidate generation for L on 2 cores <= 0.2 s (issue 2)", 3.40),
]

# The revision whose bench medians (the last field of TARGETS) were recorded on 2026-11-23
# 00:19-00:25 UTC, the quiet hour in which OR-Tools solved M in 0.41-0.45 s (the reference 0.43 s).
ANCHOR_REV = "fb16c10"


def _criterion_median(target_dir: str, name: str, since: float) -> float:
    """The median criterion recorded for `name`, in seconds; an error unless it was written after
    `since` (a bench the filter missed would otherwise report an earlier run's figure)."""
    path = os.path.join(target_dir, "criterion", name, "new", "estimates.json")
    if not os.path.exists(path) or os.path.getmtime(path) < since:
        raise RuntimeError(f"criterion wrote no new estimate for {name!r} ({path})")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] * 1e-9


def _crate() -> tuple[str, str]:
    """The crate's root directory and its cargo target directory."""
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return root, os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))


def _bench(cwd: str, target_dir: str, bench: str, pattern: str, name: str, timeout: float) -> float:
    """Runs criterion bench `bench` on the benchmarks matching `pattern` in the crate at `cwd`,
    built in `target_dir`, and returns the median of `name` in seconds."""
    started = time.time()
    cmd = ["cargo", "bench", "--quiet", "--bench", bench, "--", "--warm-up-time", "1",
           "--noplot", pattern]
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} in {cwd} failed:\n{p.stderr[-2000:]}")
    return _criterion_median(target_dir, name, started)


def _seconds(x: float) -> str:
    if x >= 1.0:
        return f"{x:.3f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.2f} ms"
    return f"{x * 1e6:.1f} us"


def cmd_targets(args) -> int:
    root, target_dir = _crate()
    scaled: dict[str, list[float]] = {name: [] for _, _, name, *_ in TARGETS}

    def ortools() -> float | None:
        # The median of three solves, each in its own process (one solve moves by 10-20 %).
        times = []
        for _ in range(3):
            result, err = run_peer("ortools", args.instance, args.timeout)
            if result is None:
                print(f"OR-Tools failed: {err}")
                return None
            times.append(result["seconds"])
        return sorted(times)[1]

    for r in range(1, args.rounds + 1):
        # Each target's bench runs between two OR-Tools timings (the one after a bench is the one
        # before the next): the machine's speed moves within minutes, so each median is scaled
        # by the speed measured around it.
        before = ortools()
        if before is None:
            return 1
        print(f"round {r}:")
        for bench, pattern, name, _, words, _ in TARGETS:
            try:
                median = _bench(root, target_dir, bench, pattern, name, args.timeout)
            except RuntimeError as e:
                print(e)
                return 1
            after = ortools()
            if after is None:
                return 1
            factor = args.reference / ((before + after) / 2)
            scaled[name].append(median * factor)
            print(f"    {words:<68} median {_seconds(median):>10}; OR-Tools {before:.3f} s before, "
                  f"{after:.3f} s after ({factor:.2f}x the reference speed): "
                  f"{_seconds(median * factor):>10} at the reference speed")
            sys.stdout.flush()
            before = after
    _verdicts(scaled, args.rounds)
    return 0


def _verdicts(scaled: dict[str, list[float]], rounds: int) -> None:
    """Prints each target's median over the rounds of its figures at the reference speed, met or
    missed."""
    print(f"median over {rounds} round(s), at the reference speed:")
    for _, _, name, target, words, _ in TARGETS:
        v = sorted(scaled[name])
        mid = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
        verdict = "met" if mid <= target else f"missed ({mid / target:.1f}x the target)"
        print(f"    {words:<68} {_seconds(mid):>10}  {verdict}")


def cmd_anchor(args) -> int:
    root, target_dir = _crate()
    anchor_dir = args.anchor_target_dir or os.path.join(target_dir, "anchor")
    scaled: dict[str, list[float]] = {name: [] for _, _, name, *_ in TARGETS}
    with tempfile.TemporaryDirectory() as tmp:
        worktree = os.path.join(tmp, "anchor")
        subprocess.run(["git", "-C", root, "worktree", "add", "--detach", "--quiet", worktree,
                        ANCHOR_REV], check=True)
        try:
            print(f"the anchor: {ANCHOR_REV}, built in {anchor_dir} (the first bench builds it)")
            for r in range(1, args.rounds + 1):
                print(f"round {r}:")
                for bench, pattern, name, _, words, then in TARGETS:
                    try:
                        a = _bench(worktree, anchor_dir, bench, pattern, name, args.timeout)
                        c = _bench(root, target_dir, bench, pattern, name, args.timeout)
                    except RuntimeError as e:
                        print(e)
                        return 1
                    # How much faster the machine runs the anchor's bench now than then.
                    factor = then / a
                    scaled[name].append(c * factor)
                    print(f"    {words:<68} median {_seconds(c):>10}; the anchor's "
                          f"{_seconds(a):>10} ({factor:.2f}x the reference speed): "
                          f"{_seconds(c * factor):>10} at the reference speed")
                    sys.stdout.flush()
        finally:
            subprocess.run(["git", "-C", root, "worktree", "remove", "--force", worktree],
                           check=False)
    _verdicts(scaled, args.rounds)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve one file with one peer engine")
    s.add_argument("--engine", choices=sorted(ENGINES), required=True)
    s.add_argument("file")
    c = sub.add_parser("compare", help="time ours against both peers")
    c.add_argument("--ours", required=True, help="path of the solve_instance binary")
    c.add_argument("--solver", default="flow", choices=["flow", "lp", "greedy"])
    c.add_argument("--timeout", type=float, default=900.0, help="seconds per run (default 900)")
    c.add_argument("files", nargs="+")
    t = sub.add_parser("targets", help="the speed targets, calibrated by OR-Tools in the same run")
    t.add_argument("--instance", required=True, help="the M instance file")
    t.add_argument("--rounds", type=int, default=1)
    t.add_argument("--reference", type=float, default=0.43,
                   help="OR-Tools' seconds on M where the targets were set (default 0.43)")
    t.add_argument("--timeout", type=float, default=1800.0, help="seconds per step (default 1800)")
    a = sub.add_parser("anchor", help="the speed targets, calibrated by fixed code")
    a.add_argument("--rounds", type=int, default=1)
    a.add_argument("--anchor-target-dir",
                   help="where the anchor is built (default: the target directory's anchor/)")
    a.add_argument("--timeout", type=float, default=1800.0, help="seconds per step (default 1800)")
    args = parser.parse_args()
    commands = {"solve": cmd_solve, "compare": cmd_compare, "targets": cmd_targets,
                "anchor": cmd_anchor}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
