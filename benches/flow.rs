//! The exact solve of the S, M and L instances (seed 1), and the other solvers for reference.
//!
//! ```text
//! cargo bench --bench flow -- --warm-up-time 1
//! ```
//! The instances are built in-process by `examples/common/instance.rs`, the same code that writes
//! `instances/*.txt` with `gen_instance`, so `solve/S` here solves the network of `instances/S.txt`.
//! Building is not timed. Groups `solve/S`, `solve/M`, `solve/L`; functions:
//!
//! - `flow`: [`flow::solve`], the default exact solver (the ε-scaling auction).
//! - `ssp`: [`flow::ssp::solve`], exact successive shortest paths; S and M only (L takes ~30 s per
//!   solve, so 10 samples would take five minutes on their own).
//! - `greedy`: [`greedy::solve`], the baseline; S and M only.
//!
//! The LP oracle ([`lp`](dispatchkit::solve::lp), microlp) is left out: it took 14–20 s per solve on
//! S here (above the 15 s per iteration this bench allows), and 10 samples of it would more than
//! double the run. `solve_instance instances/S.txt --solver lp` times one solve.
//!
//! Before timing, each solver's solution is checked with `Network::evaluate` (feasible, objective as
//! reported), and the exact solvers must agree on the objective; a failed check panics.
//!
//! Every group uses 10 samples in flat sampling mode; a solve slower than the group's measurement time
//! divided by 10 runs once per sample (criterion then warns that it could not finish in the target
//! time, which is expected for L). The whole run took about 2 minutes on 2 cores.

#[path = "../examples/common/city.rs"]
mod city;
#[path = "../examples/common/instance.rs"]
mod instance;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use dispatchkit::solve::{Network, NetworkSolution, flow, greedy};
use instance::Size;

/// Seed of every instance.
const SEED: u64 = 1;

/// A solver under test.
type Solver = fn(&Network) -> NetworkSolution;

/// Checks a solution (outside timing): feasible, and its objective is what the solver reports.
fn check(size: Size, name: &str, net: &Network, solver: Solver) -> NetworkSolution {
    let sol = solver(net);
    let objective = net
        .evaluate(&sol.assignment)
        .unwrap_or_else(|e| panic!("{name} on {}: infeasible solution: {e}", size.name()));
    assert_eq!(
        objective,
        sol.objective,
        "{name} on {}: reported objective differs from the evaluated one",
        size.name()
    );
    sol
}

fn bench_size(c: &mut Criterion, size: Size, measurement: Duration, references: bool) {
    let net = instance::build(size, SEED);
    let mut solvers: Vec<(&str, Solver)> = vec![("flow", flow::solve)];
    if references {
        solvers.push(("ssp", flow::ssp::solve));
        solvers.push(("greedy", greedy::solve));
    }
    let exact = check(size, "flow", &net, flow::solve).objective;
    for &(name, solver) in &solvers[1..] {
        let objective = check(size, name, &net, solver).objective;
        if name == "greedy" {
            assert!(
                objective >= exact,
                "greedy beat the optimum on {}",
                size.name()
            );
        } else {
            assert_eq!(
                objective,
                exact,
                "{name} and flow disagree on {}",
                size.name()
            );
        }
    }

    let mut group = c.benchmark_group(format!("solve/{}", size.name()));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(measurement);
    for (name, solver) in solvers {
        group.bench_function(name, |b| b.iter(|| solver(black_box(&net))));
    }
    group.finish();
}

fn solve(c: &mut Criterion) {
    bench_size(c, Size::S, Duration::from_secs(3), true);
    bench_size(c, Size::M, Duration::from_secs(6), true);
    bench_size(c, Size::L, Duration::from_secs(20), false);
}

criterion_group!(benches, solve);
criterion_main!(benches);
