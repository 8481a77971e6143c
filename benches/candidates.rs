//! Candidate generation: a whole run's candidate set, and the real-time ranking of one ticket.
//!
//! ```text
//! cargo bench --bench candidates -- --warm-up-time 1
//! ```
//! The city is the one behind the L instance (seed 1, 100,000 tickets × 10,000 engineers, L's capacity
//! range; built by `examples/common/instance.rs` and `city.rs`, not timed), with the default
//! [`Config`] (50 km reach, 32 candidates per ticket) and the city's fixed `now`.
//!
//! - `candidate_set/L/threads=2` and `threads=1`: [`Dispatcher::candidate_set`] for all 100,000
//!   tickets inside a rayon pool of 2 threads (the machine's cores), and of 1 thread for reference.
//!   The two sets are checked to be identical before timing.
//! - `ranking/10k_engineers/candidates`: [`Dispatcher::candidates`] for one ticket among the 10,000
//!   engineers, the one-shot real-time query; `ranking/10k_engineers/prepared`: the same ranking on
//!   a fleet prepared once ([`Dispatcher::prepare`], itself timed as `prepare/10k_engineers`). Each iteration takes the next of the city's first 1,000 tickets
//!   (round-robin), so the figure is a mean per call over varied tickets, not one lucky ticket.
//!
//! Before timing, the mean number of candidate arcs per ticket (and, for the ranking, of eligible and
//! rejected engineers per call) is printed to stderr, so the times can be read per arc.
//!
//! A candidate set for L takes seconds, so its samples run one iteration each (criterion warns that it
//! could not finish in the target time; expected). The whole run took about 4 minutes on 2 cores.

#[path = "../examples/common/city.rs"]
mod city;
#[path = "../examples/common/instance.rs"]
mod instance;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use dispatchkit::{Config, Dispatcher, Fleet, Ticket};
use instance::Size;

/// Seed of the city.
const SEED: u64 = 1;

/// Tickets the single-ticket ranking cycles through.
const RANKED_TICKETS: usize = 1_000;

/// The L city: the fleet and the tickets.
fn city_l() -> (Fleet, Vec<Ticket>) {
    let (engineers, tickets) = city::generate(&Size::L.city_params(SEED));
    let fleet = Fleet::new(engineers).expect("generated engineers are valid");
    (fleet, tickets)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
}

fn candidate_set(c: &mut Criterion) {
    let (fleet, tickets) = city_l();
    let now = city::now();
    let dispatcher = Dispatcher::new(Config::default());

    // A whole run's candidate set, on 2 threads and on 1.
    let pools = [(2, pool(2)), (1, pool(1))];
    let sets: Vec<_> = pools
        .iter()
        .map(|(_, p)| {
            p.install(|| dispatcher.candidate_set(&fleet, &tickets, now))
                .expect("the city is valid")
        })
        .collect();
    assert_eq!(
        sets[0].network(),
        sets[1].network(),
        "the candidate set depends on the thread count"
    );
    eprintln!(
        "candidate_set/L: {} tickets x {} engineers -> {} candidate arcs, {:.2} per ticket",
        tickets.len(),
        fleet.len(),
        sets[0].len(),
        sets[0].len() as f64 / tickets.len() as f64
    );
    drop(sets);

    let mut group = c.benchmark_group("candidate_set/L");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10));
    for (threads, p) in &pools {
        group.bench_function(format!("threads={threads}"), |b| {
            b.iter(|| p.install(|| dispatcher.candidate_set(&fleet, black_box(&tickets), now)))
        });
    }
    group.finish();
}

/// One ticket at a time, among the 10,000 engineers.
fn ranking(c: &mut Criterion) {
    let (fleet, tickets) = city_l();
    let now = city::now();
    let dispatcher = Dispatcher::new(Config::default());
    let ranked = &tickets[..RANKED_TICKETS.min(tickets.len())];
    let (mut eligible, mut rejected) = (0usize, 0usize);
    for t in ranked {
        let r = dispatcher
            .candidates(&fleet, t, now)
            .expect("the city is valid");
        eligible += r.eligible.len();
        rejected += r.rejected.len();
    }
    eprintln!(
        "ranking: {} tickets among {} engineers -> per call {:.2} eligible, {:.2} rejected",
        ranked.len(),
        fleet.len(),
        eligible as f64 / ranked.len() as f64,
        rejected as f64 / ranked.len() as f64
    );

    let mut group = c.benchmark_group("ranking/10k_engineers");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let mut next = 0;
    group.bench_function("candidates", |b| {
        b.iter(|| {
            let ticket = &ranked[next];
            next = (next + 1) % ranked.len();
            dispatcher.candidates(&fleet, black_box(ticket), now)
        })
    });
    let prepared = dispatcher.prepare(&fleet, now).expect("the city is valid");
    let mut next = 0;
    group.bench_function("prepared", |b| {
        b.iter(|| {
            let ticket = &ranked[next];
            next = (next + 1) % ranked.len();
            prepared.candidates(black_box(ticket))
        })
    });
    group.finish();
    group = c.benchmark_group("prepare/10k_engineers");
    group.sample_size(10);
    group.bench_function("prepare", |b| b.iter(|| dispatcher.prepare(&fleet, now)));
    group.finish();
}

criterion_group!(candidates, ranking, candidate_set);
criterion_main!(candidates);
