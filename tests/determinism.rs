//! Determinism: the same input gives a byte-identical plan document with one thread and with two,
//! and on every run — for the default policy, for example policies, for the LP and for the general
//! (MIP) model when it is solved to optimality.

use dispatchkit::rules::Policy;
use dispatchkit::sim::generate::{CityParams, generate};
use dispatchkit::{Config, Dispatcher, Engineer, Fleet, SolverKind, Ticket};

fn policy(name: &str) -> Policy {
    let path = format!("examples/policies/{name}.policy");
    Policy::parse(&path, &std::fs::read_to_string(&path).expect("read")).expect("valid")
}

/// A generated city day: engineers, tickets and the start of the day.
fn city(
    seed: u64,
    tickets: usize,
    engineers: usize,
) -> (Fleet, Vec<Ticket>, chrono::DateTime<chrono::Utc>) {
    let mut p = CityParams::new(seed, tickets, engineers);
    p.always_on_shift = true;
    let s = generate(&p);
    let mut crew: Vec<Engineer> = s.engineers;
    for (i, e) in crew.iter_mut().enumerate() {
        e.team = Some(["red", "blue", "senior"][i % 3].to_string());
        e.open_tickets = (i % 3) as i32;
    }
    (Fleet::new(crew).expect("fleet"), s.tickets, s.start)
}

/// The plan document with 1 thread, with 2 threads, and with 2 threads again.
fn three_runs(
    d: &Dispatcher,
    fleet: &Fleet,
    tickets: &[Ticket],
    now: chrono::DateTime<chrono::Utc>,
) -> [String; 3] {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| d.plan(fleet, tickets, now).expect("plan").to_json())
    };
    [run(1), run(2), run(2)]
}

fn assert_identical(runs: &[String; 3], what: &str) {
    assert!(runs[0] == runs[1], "{what}: 1 and 2 threads differ");
    assert!(runs[1] == runs[2], "{what}: two runs differ");
    assert!(
        runs[0].contains("\"assignments\""),
        "{what}: {}",
        &runs[0][..200.min(runs[0].len())]
    );
}

#[test]
fn plans_are_byte_identical_across_threads_and_runs() {
    let (fleet, tickets, now) = city(11, 1_500, 200);
    let d = Dispatcher::new(Config::default());
    let runs = three_runs(&d, &fleet, &tickets, now);
    assert_identical(&runs, "default");
    // With load balancing, whose costs depend on every engineer's count.
    let d = Dispatcher::new(Config::default().load_balancing(Some(1.5)));
    assert_identical(&three_runs(&d, &fleet, &tickets, now), "load balancing");
}

#[test]
fn policy_plans_are_byte_identical_across_threads_and_runs() {
    let (fleet, tickets, now) = city(12, 800, 120);
    for name in [
        "vip",
        "round_robin",
        "continuity",
        "load_balancing",
        "sla_escalation",
    ] {
        let d = Dispatcher::with_policy(Config::default(), policy(name));
        let runs = three_runs(&d, &fleet, &tickets, now);
        assert_identical(&runs, name);
        assert!(runs[0].contains(&format!("\"policy\": \"{}\"", policy(name).name())));
    }
}

#[test]
fn lp_and_mip_plans_are_byte_identical_across_threads_and_runs() {
    let (fleet, tickets, now) = city(13, 60, 12);
    let d = Dispatcher::new(Config::default().solver(SolverKind::Lp));
    let runs = three_runs(&d, &fleet, &tickets, now);
    assert_identical(&runs, "lp");
    assert!(runs[0].contains("\"solver\": \"lp\""));
    // Hour budgets make it the general model; small enough to be proven optimal, so the time limit
    // never cuts a stage short and the answer is deterministic.
    let mut crew = fleet.engineers().to_vec();
    for (i, e) in crew.iter_mut().enumerate() {
        e.available_min = Some(90 + 30 * (i as i32 % 4));
    }
    let fleet = Fleet::new(crew).unwrap();
    let d = Dispatcher::new(Config::default().mip_time_limit_s(120.0));
    let runs = three_runs(&d, &fleet, &tickets[..30], now);
    assert_identical(&runs, "mip");
    let plan = d.plan(&fleet, &tickets[..30], now).unwrap();
    assert_eq!(plan.stats().solver, SolverKind::Mip);
    assert_eq!(plan.stats().gap, Some(0.0), "proven optimal");
}
