//! No data loss: over random scenarios, policies and solvers, every input ticket appears exactly once
//! in the plan, assigned or unassigned with a reason; a solver cut short (a MIP with no time at all)
//! still answers for every ticket and reports how good its answer is.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dispatchkit::rules::Policy;
use dispatchkit::{
    Config, Customer, Dispatcher, Engineer, Fleet, LatLon, Plan, Priority, Reason, Shift,
    SolverKind, Ticket, Tier,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

const POLICIES: [&str; 12] = [
    "continuity",
    "default",
    "excluded",
    "load_balancing",
    "max_open",
    "nearest",
    "round_robin",
    "skill_level",
    "sla_escalation",
    "team_limit",
    "territory",
    "vip",
];

fn policy(name: &str) -> Policy {
    let path = format!("examples/policies/{name}.policy");
    Policy::parse(&path, &std::fs::read_to_string(&path).expect("read")).expect("valid")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap()
}

/// Each ticket exactly once, in input order, and each unassigned one with a reason that fits the
/// plan (a `CandidatesFull` ticket had candidates; a `NotEnoughHours` ticket has a duration).
fn accounted_once(plan: &Plan, tickets: &[Ticket]) -> Result<(), TestCaseError> {
    let mut assigned = plan.assignments().iter().map(|a| &a.ticket).peekable();
    let mut unassigned = plan.unassigned().iter().peekable();
    for t in tickets {
        let a = assigned.peek().is_some_and(|id| **id == t.id);
        let u = unassigned.peek().is_some_and(|u| u.ticket == t.id);
        prop_assert!(
            a != u,
            "ticket {} appears {} times",
            t.id,
            u8::from(a) + u8::from(u)
        );
        if a {
            assigned.next();
        } else {
            let u = unassigned.next().expect("peeked");
            match &u.reason {
                Reason::CandidatesFull { candidates, .. } => prop_assert!(*candidates > 0),
                Reason::NotEnoughHours { duration_min, .. } => {
                    prop_assert_eq!(*duration_min, t.duration_min)
                }
                _ => {}
            }
        }
    }
    prop_assert!(
        assigned.next().is_none() && unassigned.next().is_none(),
        "extra tickets"
    );
    prop_assert_eq!(plan.stats().tickets, tickets.len());
    Ok(())
}

/// A random scenario: up to 25 tickets and 12 engineers in a 30 km square, with random skills,
/// capacities, hour budgets, shifts, teams, customers and pins.
fn scenario() -> impl Strategy<Value = (Vec<Engineer>, Vec<Ticket>)> {
    let engineer = (
        (0.0..0.3f64, 0.0..0.4f64),
        0..4i32,
        0..3i32,
        proptest::collection::vec(0..=5u8, 3),
        proptest::option::weighted(0.4, 0..600i32),
        proptest::option::weighted(0.3, (-300..120i64, 0..600i64)),
        0..4usize,
    );
    let ticket = (
        (0.0..0.3f64, 0.0..0.4f64),
        0..3usize,
        0..=5u8,
        0..4usize,
        0..400u32,
        proptest::option::weighted(0.4, (0..3usize, 0..12usize)),
        proptest::option::weighted(0.1, 0..12usize),
        proptest::option::weighted(0.3, -60..600i64),
    );
    (
        proptest::collection::vec(engineer, 0..12),
        proptest::collection::vec(ticket, 0..25),
    )
        .prop_map(|(es, ts)| {
            let skills = ["network", "hvac", "power"];
            let m = es.len();
            let engineers = es
                .into_iter()
                .enumerate()
                .map(
                    |(i, ((dlat, dlon), cap, open, levels, avail, shift, team))| {
                        let mut e = Engineer::new(
                            format!("e{i:02}"),
                            LatLon::new(52.0 + dlat, 4.0 + dlon),
                            cap,
                        );
                        e.open_tickets = open;
                        for (s, l) in skills.iter().zip(levels) {
                            e.skills.insert((*s).to_string(), l);
                        }
                        e.available_min = avail;
                        e.shift = shift.map(|(a, b)| Shift {
                            start: now() + Duration::minutes(a),
                            end: now() + Duration::minutes(a + b),
                        });
                        e.team = ["senior", "red", "blue"]
                            .get(team)
                            .map(|t| (*t).to_string());
                        e.territory = (i % 3 == 0).then(|| "west".to_string());
                        e
                    },
                )
                .collect();
            let tickets = ts
                .into_iter()
                .enumerate()
                .map(
                    |(i, ((dlat, dlon), skill, level, prio, dur, customer, pin, sla))| {
                        let mut t = Ticket::new(
                            format!("T-{i:02}"),
                            LatLon::new(52.0 + dlat, 4.0 + dlon),
                            skills[skill],
                            now() - Duration::minutes(i as i64 * 7),
                        )
                        .with_min_level(level)
                        .with_priority(Priority::ALL[prio])
                        .with_duration_min(dur);
                        t.customer = customer.map(|(tier, last)| Customer {
                            id: format!("c{}", i % 4),
                            tier: [Tier::Standard, Tier::Gold, Tier::Vip][tier],
                            last_engineer: (last < m).then(|| format!("e{last:02}").into()),
                            excluded_engineers: (last + 1 < m)
                                .then(|| format!("e{:02}", last + 1).into())
                                .into_iter()
                                .collect(),
                        });
                        t.pinned_engineer =
                            pin.filter(|&p| p < m).map(|p| format!("e{p:02}").into());
                        t.sla_due = sla.map(|m| now() + Duration::minutes(m));
                        t
                    },
                )
                .collect();
            (engineers, tickets)
        })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x0005_1055),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Every solver, every example policy, with and without load balancing and shift hours.
    #[test]
    fn every_ticket_comes_back_exactly_once(
        (engineers, tickets) in scenario(),
        policy_index in 0..POLICIES.len(),
        solver in 0..4usize,
        balance in proptest::option::weighted(0.3, 0.5..3.0f64),
        shift_hours in any::<bool>(),
    ) {
        let fleet = Fleet::new(engineers).unwrap();
        let solver = [SolverKind::Flow, SolverKind::Lp, SolverKind::Greedy, SolverKind::Mip][solver];
        let config = Config::default()
            .solver(solver)
            .load_balancing(balance)
            .shift_hours(shift_hours)
            .mip_time_limit_s(0.05);
        let d = Dispatcher::with_policy(config, policy(POLICIES[policy_index]));
        let plan = d.plan(&fleet, &tickets, now()).unwrap();
        accounted_once(&plan, &tickets)?;
        // And the same through the plan document.
        let again = Plan::from_json(&plan.to_json()).unwrap();
        accounted_once(&again, &tickets)?;
    }

    /// A MIP with no time at all is cut short before any stage finishes: it still answers for
    /// every ticket, with a feasible plan and a bound no higher than its objective.
    #[test]
    fn a_mip_with_no_time_loses_no_ticket((engineers, tickets) in scenario()) {
        let mut engineers = engineers;
        for e in &mut engineers {
            e.available_min.get_or_insert(240);
        }
        let fleet = Fleet::new(engineers).unwrap();
        let d = Dispatcher::new(Config::default().solver(SolverKind::Mip).mip_time_limit_s(0.0));
        let plan = d.plan(&fleet, &tickets, now()).unwrap();
        accounted_once(&plan, &tickets)?;
        prop_assert_eq!(plan.stats().solver, SolverKind::Mip);
        let bound = plan.stats().bound.expect("a MIP plan reports its bound");
        prop_assert!(bound <= plan.stats().objective);
        for e in fleet.engineers() {
            let minutes: u32 = plan
                .assignments()
                .iter()
                .filter(|a| a.engineer == e.id)
                .map(|a| tickets.iter().find(|t| t.id == a.ticket).unwrap().duration_min)
                .sum();
            prop_assert!(i64::from(minutes) <= i64::from(e.available_min.unwrap()), "{} over its hours", e.id);
        }
    }
}
