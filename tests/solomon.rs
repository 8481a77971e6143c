//! The time planner on Solomon's VRPTW instances (`../shared/data/solomon/`): customers become
//! tickets with their time windows and service times, the depot is every engineer's base, and
//! engineers return to it by the depot's closing time.
//!
//! Coordinates are placed on a km grid at the equator and travel is 60 km/h with no detour, so one
//! Solomon distance unit is one km and one minute, as in the benchmark. Vehicle load (demand) is not
//! modelled: engineers are limited by time only. The tests check that every planned visit respects
//! its window and the shift; `print_travel_against_best_known` prints the figures recorded in
//! BENCHMARKS.md.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dispatchkit::geo::TravelProfile;
use dispatchkit::sla::{Planner, PlannerConfig, TimedPlan};
use dispatchkit::{Config, Engineer, Fleet, LatLon, Shift, Ticket, TimeConfig};

const KM_PER_DEG: f64 = 111.195;

fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap()
}

fn at(x: f64, y: f64) -> LatLon {
    LatLon::new(y / KM_PER_DEG, x / KM_PER_DEG)
}

struct Instance {
    vehicles: usize,
    depot: (f64, f64, i64),
    customers: Vec<(u32, f64, f64, i64, i64, i64)>,
}

fn read(name: &str) -> Instance {
    let path = format!(
        "{}/../shared/data/solomon/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rows: Vec<Vec<f64>> = text
        .lines()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect::<Vec<f64>>()
        })
        .filter(|r| !r.is_empty())
        .collect();
    let vehicles = rows[0][0] as usize;
    let d = &rows[1];
    let customers = rows[2..]
        .iter()
        .map(|r| {
            (
                r[0] as u32,
                r[1],
                r[2],
                r[4] as i64,
                r[5] as i64,
                r[6] as i64,
            )
        })
        .collect();
    Instance {
        vehicles,
        depot: (d[1], d[2], d[5] as i64),
        customers,
    }
}

fn setup(inst: &Instance) -> (Fleet, Vec<Ticket>) {
    let t0 = origin();
    let engineers = (0..inst.vehicles)
        .map(|v| {
            let mut e = Engineer::new(format!("v{v:02}"), at(inst.depot.0, inst.depot.1), 1000)
                .with_skill("visit", 1);
            e.shift = Some(Shift {
                start: t0,
                end: t0 + Duration::minutes(inst.depot.2),
            });
            e
        })
        .collect();
    let tickets = inst
        .customers
        .iter()
        .map(|&(id, x, y, ready, due, service)| {
            Ticket::new(format!("c{id:03}"), at(x, y), "visit", t0)
                .with_appointment(t0 + Duration::minutes(ready), t0 + Duration::minutes(due))
                .with_duration_min(service as u32)
        })
        .collect();
    (Fleet::new(engineers).unwrap(), tickets)
}

fn planner() -> Planner {
    let time = TimeConfig {
        travel: TravelProfile::constant(60.0),
        return_to_start: true,
        ..TimeConfig::default()
    };
    let config = Config::default().max_travel_km(500.0).time(time);
    Planner::new(
        config,
        PlannerConfig {
            rounds: 40,
            relocate_passes: 10,
            ..PlannerConfig::default()
        },
    )
}

fn plan(name: &str) -> (Instance, Vec<Ticket>, TimedPlan) {
    let inst = read(name);
    let (fleet, tickets) = setup(&inst);
    let timed = planner().plan(&fleet, &tickets, origin()).unwrap();
    (inst, tickets, timed)
}

/// Every stop starts inside its window, every route ends back at the depot by its closing time,
/// and the schedule holds exactly the plan's assignments.
fn check(inst: &Instance, tickets: &[Ticket], timed: &TimedPlan) {
    let close = origin() + Duration::minutes(inst.depot.2);
    let mut seen = 0;
    for r in &timed.schedule.routes {
        assert!(
            r.end <= close,
            "{} ends at {} after {close}",
            r.engineer,
            r.end
        );
        for s in &r.stops {
            let t = tickets.iter().find(|t| t.id == s.ticket).unwrap();
            let w = t.appointment.unwrap();
            assert!(
                w.start <= s.start && s.start <= w.end,
                "{} starts outside {w:?}",
                s.ticket
            );
            assert!(s.arrival <= s.start);
            let a = timed.plan.assignment_of(&s.ticket).unwrap();
            assert_eq!(a.engineer, r.engineer);
            seen += 1;
        }
    }
    assert_eq!(seen, timed.plan.assignments().len());
    assert_eq!(
        timed.plan.assignments().len() + timed.plan.unassigned().len(),
        tickets.len()
    );
}

#[test]
fn c101_visits_respect_windows_and_shifts() {
    let (inst, tickets, timed) = plan("C101");
    check(&inst, &tickets, &timed);
    assert_eq!(timed.plan.unassigned().len(), 0);
    // Best-known routing distance 828.94 (10 vehicles): stay within 25 % of it.
    let travel = timed.schedule.travel_km();
    assert!(travel <= 1.25 * 828.94, "travel {travel}");
}

#[test]
fn c201_is_within_a_quarter_of_the_best_known_distance() {
    let (inst, tickets, timed) = plan("C201");
    check(&inst, &tickets, &timed);
    assert_eq!(timed.plan.unassigned().len(), 0);
    let travel = timed.schedule.travel_km();
    assert!(travel <= 1.25 * 591.56, "travel {travel}");
}

#[test]
fn r101_and_rc201_visits_respect_windows_and_shifts() {
    for name in ["R101", "RC201"] {
        let (inst, tickets, timed) = plan(name);
        check(&inst, &tickets, &timed);
    }
}

/// Prints the table of BENCHMARKS.md: `cargo test --release --test solomon -- --ignored --nocapture`.
#[test]
#[ignore = "prints figures: run with --ignored --nocapture"]
fn print_travel_against_best_known() {
    let bks_path = format!(
        "{}/../shared/data/solomon/solomon_bks.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let bks = std::fs::read_to_string(bks_path).unwrap();
    println!(
        "| instance | engineers used | unassigned | our travel | best known (vehicles) | ours ÷ best |"
    );
    println!("|---|---|---|---|---|---|");
    for name in ["C101", "C201", "R101", "R201", "RC101", "RC201"] {
        let (inst, tickets, timed) = plan(name);
        check(&inst, &tickets, &timed);
        let line = bks
            .lines()
            .find(|l| l.starts_with(&format!("{name},")))
            .unwrap();
        let f: Vec<&str> = line.split(',').collect();
        let (veh, dist): (u32, f64) = (f[5].parse().unwrap(), f[6].parse().unwrap());
        let ours = timed.schedule.travel_km();
        println!(
            "| {name} | {} | {} | {ours:.1} | {dist} ({veh}) | {:.3} |",
            timed.schedule.routes.len(),
            timed.plan.unassigned().len(),
            ours / dist
        );
    }
}
