//! Time: sequencing a whole plan, re-planning after one new ticket, and the two ways the assignment
//! sees lateness.
//!
//! ```text
//! cargo bench --bench time -- --warm-up-time 1 --measurement-time 5
//! ```
//! The city is the one behind the M instance (seed 1, 10,000 tickets × 2,000 engineers, M's
//! capacity range; `examples/common/city.rs`, built and planned before timing) at the city's fixed
//! `now`, with the default [`Config`] (time feasibility on, default travel profile).
//!
//! - `sequence/M`: [`Planner::schedule`] of the M plan made by [`Dispatcher::plan`]: every
//!   engineer's route (insertion, or-opt, 2-opt) with ETAs and slack.
//! - `replan/M/one_new_ticket`: [`Planner::replan`] of the M day plan after one new ticket (each
//!   iteration takes the next of 1,000 new tickets drawn from the city, round-robin; the day plan is
//!   cloned outside the timing).
//!
//! Before timing, the lateness comparison (first-order arc cost only vs assignment ↔ sequencing
//! rounds with lateness feedback) is printed to stderr.

#[path = "../examples/common/city.rs"]
mod city;
#[path = "../examples/common/instance.rs"]
mod instance;

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dispatchkit::sla::{Change, Planner, PlannerConfig, TimedPlan};
use dispatchkit::{Config, Dispatcher, Fleet, Ticket};
use instance::Size;

const SEED: u64 = 1;

fn summary(name: &str, t: &TimedPlan, secs: f64) {
    let (mut late_min, mut breached) = (0.0, 0);
    let mut weighted = 0.0;
    let weights = Config::default().time.lateness_per_min;
    for r in &t.schedule.routes {
        for s in &r.stops {
            if let Some(m) = s.slack_min.filter(|m| *m < 0.0) {
                late_min -= m;
                weighted -= m * weights[s.priority.index()];
                breached += 1;
            }
        }
    }
    eprintln!(
        "{name}: assigned {}, unassigned {}, predicted breaches {breached}, late minutes {late_min:.0}, \
         weighted lateness {weighted:.0} points, travel {:.0} km, {secs:.2} s",
        t.plan.assignments().len(),
        t.plan.unassigned().len(),
        t.schedule.travel_km()
    );
}

fn bench(c: &mut Criterion) {
    let (engineers, tickets) = city::generate(&Size::M.city_params(SEED));
    let (_, extra) = city::generate(&city::CityParams::new(SEED + 1, 1_000, 1));
    let fleet = Fleet::new(engineers).expect("valid engineers");
    let now = city::now();

    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now)
        .expect("plan");
    let planner = Planner::new(Config::default(), PlannerConfig::default());

    // First-order lateness only (rounds = 0: one assignment, then sequencing) against rounds with
    // lateness feedback.
    for (name, rounds, feedback) in [
        ("first-order (rounds 0)", 0, false),
        ("drops fed back, no lateness (rounds 4)", 4, false),
        ("lateness fed back (rounds 4)", 4, true),
    ] {
        let p = Planner::new(
            Config::default(),
            PlannerConfig {
                rounds,
                lateness_feedback: feedback,
                ..PlannerConfig::default()
            },
        );
        let clock = Instant::now();
        let t = p.plan(&fleet, &tickets, now).expect("plan");
        summary(name, &t, clock.elapsed().as_secs_f64());
    }

    let mut group = c.benchmark_group("sequence");
    group.sample_size(10);
    group.bench_function("M", |b| {
        b.iter_batched(
            || plan.clone(),
            |p| {
                black_box(
                    planner
                        .schedule(&fleet, &tickets, p, now)
                        .expect("schedule"),
                )
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let day = Planner::new(
        Config::default(),
        PlannerConfig {
            rounds: 1,
            ..PlannerConfig::default()
        },
    )
    .plan_day(fleet.clone(), tickets.clone(), now)
    .expect("day plan");
    let new: Vec<Ticket> = extra
        .into_iter()
        .map(|mut t| {
            t.id = format!("new-{}", t.id).into();
            t.created_at = now;
            t.sla_due = None;
            t
        })
        .collect();
    let mut next = 0usize;
    let mut group = c.benchmark_group("replan");
    group.bench_function("M/one_new_ticket", |b| {
        b.iter_batched(
            || {
                next = (next + 1) % new.len();
                (
                    day.clone(),
                    [Change::NewTicket {
                        ticket: new[next].clone(),
                    }],
                )
            },
            |(d, changes)| black_box(planner.replan(d, &changes, now).expect("replan")),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
