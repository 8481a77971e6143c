//! The simulator: one Boston replay and one large generated day, optimiser every 5 minutes.
//!
//! ```text
//! cargo bench --bench sim -- --warm-up-time 1 --measurement-time 5
//! ```
//! - `sim/boston_replay/<policy>`: the Boston replay of `examples/common/boston.rs` (2,422 requests
//!   arriving in one day, 80 crew a day, the 3 simulated days it takes to clear them) under the
//!   optimiser and under nearest available, a dispatch cycle every 5 minutes. Run from the project
//!   root (it reads `../shared/data/boston/`); built once, not timed.
//! - `sim/boston_replay_1day/optimiser`: the same with only the first day simulated (the day the
//!   requests arrive).
//! - `sim/city_20k_500/optimiser`: a generated day of 20,000 tickets and 500 engineers
//!   (`CityParams::new(1, 20_000, 500)`), optimiser every 5 minutes.
//!
//! Runs take up to seconds, so each benchmark takes 10 samples of one iteration (criterion warns
//! that it cannot finish in the target time; expected).
//!
//! The KPIs of each run are checked to repeat before timing.

#[path = "../examples/common/boston.rs"]
mod boston;

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use dispatchkit::sim::generate::{CityParams, generate};
use dispatchkit::sim::{DispatcherPolicy, NearestAvailable, Policy, Scenario, SimConfig, simulate};

/// Makes a fresh policy for each run.
type MakePolicy = fn() -> Box<dyn Policy>;

fn run(scenario: &Scenario, policy: &mut dyn Policy) -> usize {
    simulate(scenario, &SimConfig::default(), policy)
        .expect("the simulation runs")
        .kpis
        .resolved
}

fn bench(c: &mut Criterion) {
    let (boston, _) = boston::load(boston::ReplayParams::default()).expect("the Boston data");
    let mut group = c.benchmark_group("sim");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    let policies: [(&str, MakePolicy); 2] = [
        ("optimiser", || Box::new(DispatcherPolicy::optimiser())),
        ("nearest_available", || Box::new(NearestAvailable)),
    ];
    for (name, make) in policies {
        assert_eq!(run(&boston, make().as_mut()), run(&boston, make().as_mut()));
        group.bench_function(format!("boston_replay/{name}"), |b| {
            b.iter(|| black_box(run(&boston, make().as_mut())))
        });
    }
    let one_day = boston::ReplayParams {
        days: 1,
        ..boston::ReplayParams::default()
    };
    let (boston_day, _) = boston::load(one_day).expect("the Boston data");
    group.bench_function("boston_replay_1day/optimiser", |b| {
        b.iter(|| black_box(run(&boston_day, &mut DispatcherPolicy::optimiser())))
    });
    let city = generate(&CityParams::new(1, 20_000, 500));
    group.bench_function("city_20k_500/optimiser", |b| {
        b.iter(|| black_box(run(&city, &mut DispatcherPolicy::optimiser())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
