//! The general model's fast path at scale: the M city instance (10,000 tickets × 2,000 engineers,
//! 300,000 candidate arcs) with hour budgets, solved by the Lagrangian heuristic with its bound.
//!
//! ```text
//! cargo bench --bench mip -- --warm-up-time 1 --measurement-time 5
//! ```
//! The network is `examples/common/instance.rs`'s `M` instance (seed 1: count capacities, costs,
//! priorities); on top of it every ticket gets a seeded duration of 15–180 minutes and every engineer
//! a budget of 240–480 minutes, so demand (~970,000 minutes) is well above the budgets (~720,000):
//! hours bind for most engineers. Building is not timed. Before timing, one solve is checked with
//! `MipModel::evaluate` and its objective, bound, gap and time are printed to stderr, which is where
//! the gap figure in BENCHMARKS.md comes from.
//!
//! One function, `mip/M/lagrangian`: `mip::solve` with `exact_max_arcs = 0` (no exact stage) and the
//! default 200 subgradient iterations or 10 s, whichever comes first. 10 samples in flat mode.

#[path = "../examples/common/city.rs"]
mod city;
#[path = "../examples/common/instance.rs"]
mod instance;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use dispatchkit::solve::mip::{self, MipModel, MipOptions};
use instance::Size;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seed of the instance and of the durations.
const SEED: u64 = 1;

/// The M instance with seeded durations and hour budgets.
fn model() -> MipModel {
    let net = instance::build(Size::M, SEED);
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let durations: Vec<u64> = (0..net.tickets())
        .map(|_| rng.random_range(15..=180u64))
        .collect();
    let budgets = (0..net.engineers())
        .map(|_| Some(rng.random_range(240..=480u64)))
        .collect();
    MipModel::new(net, |t, _| durations[t], budgets).expect("one budget per engineer")
}

fn bench(c: &mut Criterion) {
    let model = model();
    let options = MipOptions {
        exact_max_arcs: 0,
        ..MipOptions::default()
    };
    let started = Instant::now();
    let sol = mip::solve(&model, &options).expect("the heuristic never fails");
    let seconds = started.elapsed().as_secs_f64();
    let checked = model.evaluate(&sol.assignment).expect("feasible");
    assert_eq!(checked, sol.objective);
    eprintln!(
        "mip/M: objective={} bound={} gap={:.4}% assigned={} seconds={seconds:.2}",
        sol.objective,
        sol.bound,
        100.0 * sol.gap(),
        sol.assigned()
    );

    let mut group = c.benchmark_group("mip/M");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("lagrangian", |b| {
        b.iter(|| mip::solve(black_box(&model), &options).expect("solves"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
