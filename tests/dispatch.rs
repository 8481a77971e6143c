//! The dispatcher end to end: constraints, reasons, priorities, ranking, determinism, documents.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::assert_each_ticket_once;
use dispatchkit::{
    Config, Constraint, Dispatcher, Engineer, ErrorKind, Fleet, LatLon, Plan, Priority, Reason,
    Shift, SolverKind, Ticket, Violation,
};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
}

/// A point `km_east` kilometres east of a fixed origin in Boston (1° of longitude ≈ 82 km there).
fn at(km_east: f64) -> LatLon {
    LatLon::new(42.36, -71.06 + km_east / 82.2)
}

fn engineer(id: &str, km: f64, capacity: i32, level: u8) -> Engineer {
    Engineer::new(id, at(km), capacity).with_skill("network", level)
}

fn ticket(id: &str, km: f64) -> Ticket {
    Ticket::new(id, at(km), "network", now() - Duration::hours(1)).with_min_level(2)
}

#[test]
fn nearest_qualified_engineer_gets_the_ticket() {
    let fleet = Fleet::new(vec![
        engineer("near-unskilled", 0.5, 3, 1),
        engineer("far-skilled", 8.0, 3, 3),
        engineer("mid-skilled", 3.0, 3, 2),
    ])
    .unwrap();
    let tickets = vec![ticket("T-1", 0.0)];
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    let a = &plan.assignments()[0];
    assert_eq!(a.engineer.as_str(), "mid-skilled");
    assert!((a.distance_km - 3.0).abs() < 0.05, "{}", a.distance_km);
    assert!((a.cost.travel - a.distance_km).abs() < 1e-9);
    assert_eq!(a.cost.overqualification, 0.0);
    assert_eq!(plan.stats().candidates, 2);
    assert_eq!(plan.stats().screening.skill, 1);
    assert_each_ticket_once(&plan, &tickets);
}

#[test]
fn unassigned_reasons_come_from_what_happened() {
    let off = Shift {
        start: now() + Duration::hours(2),
        end: now() + Duration::hours(10),
    };
    let mut off_shift = engineer("off", 1.0, 3, 5);
    off_shift.shift = Some(off);
    let mut full = engineer("full", 1.0, 2, 5);
    full.open_tickets = 2;
    let fleet = Fleet::new(vec![
        engineer("lone", 200.0, 1, 5),
        engineer("unskilled", 1.0, 5, 1),
        off_shift,
        full,
    ])
    .unwrap();
    let dispatcher = Dispatcher::new(Config::default().max_travel_km(40.0));

    // Far from everyone: nothing in reach, and the nearest engineer's distance is reported.
    let far = Ticket::new("far", at(600.0), "network", now());
    // In reach of three engineers: one lacks the skill, one is off shift, one is full: the last
    // filter to remove someone is capacity.
    let near = ticket("near", 0.0);
    // Needs level 5: the unskilled engineer fails skill, the level-5 ones fail shift and capacity.
    let expert = ticket("expert", 0.0).with_min_level(5);
    let mut only_skill = Ticket::new("hvac", at(0.0), "hvac", now());
    only_skill.min_level = 1;
    let tickets = vec![far, near, expert, only_skill];
    let plan = dispatcher.plan(&fleet, &tickets, now()).unwrap();
    assert_each_ticket_once(&plan, &tickets);
    assert!(plan.assignments().is_empty());
    let reasons: Vec<&Reason> = plan.unassigned().iter().map(|u| &u.reason).collect();
    match reasons[0] {
        Reason::NoEngineerInReach {
            max_travel_km,
            nearest_km: Some(km),
        } => {
            assert_eq!(*max_travel_km, 40.0);
            assert!((390.0..410.0).contains(km), "{km}");
        }
        other => panic!("{other:?}"),
    }
    match reasons[1] {
        Reason::NoEligibleEngineer {
            constraint: Constraint::Capacity,
            rule,
            screening,
        } => {
            assert_eq!(rule, "capacity");
            assert_eq!(
                (
                    screening.in_reach,
                    screening.skill,
                    screening.shift,
                    screening.capacity
                ),
                (3, 1, 1, 1)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        reasons[2],
        Reason::NoEligibleEngineer {
            constraint: Constraint::Capacity,
            ..
        }
    ));
    // Nobody in reach has `hvac`: skill removes them all.
    assert!(matches!(
        reasons[3],
        Reason::NoEligibleEngineer {
            constraint: Constraint::Skill,
            ..
        }
    ));
}

#[test]
fn capacity_taken_by_higher_priority_is_reported() {
    let fleet = Fleet::new(vec![engineer("solo", 1.0, 1, 3)]).unwrap();
    let tickets = vec![
        ticket("low", 0.9).with_priority(Priority::P4),
        ticket("urgent", 5.0).with_priority(Priority::P1),
    ];
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    // The P1 ticket wins the only slot even though the P4 one is much closer.
    assert_eq!(plan.assignments()[0].ticket.as_str(), "urgent");
    assert_eq!(
        plan.unassigned()[0].reason,
        Reason::CandidatesFull {
            candidates: 1,
            took_higher_priority: 1
        }
    );
}

#[test]
fn pinned_ticket_stays_with_its_engineer() {
    let fleet = Fleet::new(vec![
        engineer("near", 0.1, 3, 5),
        engineer("pinned", 30.0, 1, 0),
    ])
    .unwrap();
    let mut t = ticket("T-1", 0.0);
    t.pinned_engineer = Some("pinned".into());
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &[t], now())
        .unwrap();
    assert_eq!(plan.assignments()[0].engineer.as_str(), "pinned");
}

#[test]
fn load_balancing_spreads_tickets() {
    let fleet = Fleet::new(vec![engineer("a", 0.0, 4, 2), engineer("b", 2.0, 4, 2)]).unwrap();
    let tickets: Vec<Ticket> = (0..4).map(|i| ticket(&format!("T-{i}"), 0.0)).collect();
    let plain = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert!(
        plain
            .assignments()
            .iter()
            .all(|a| a.engineer.as_str() == "a")
    );
    let balanced = Dispatcher::new(Config::default().load_balancing(Some(5.0)))
        .plan(&fleet, &tickets, now())
        .unwrap();
    let on_b = balanced
        .assignments()
        .iter()
        .filter(|a| a.engineer.as_str() == "b")
        .count();
    assert_eq!(on_b, 2, "{balanced:#?}");
    let balance: f64 = balanced
        .assignments()
        .iter()
        .map(|a| a.cost.load_balance)
        .sum();
    assert_eq!(balance, 2.0 * (0.0 + 5.0));
}

#[test]
fn candidates_ranks_and_explains_rejections() {
    let mut busy = engineer("busy", 0.2, 1, 4);
    busy.open_tickets = 1;
    let fleet = Fleet::new(vec![
        engineer("cheap", 1.0, 3, 2),
        engineer("expert", 0.8, 3, 5),
        engineer("novice", 0.3, 3, 1),
        busy,
        engineer("beyond", 80.0, 3, 5),
    ])
    .unwrap();
    let dispatcher = Dispatcher::new(Config::default());
    let ranking = dispatcher
        .candidates(&fleet, &ticket("T-1", 0.0), now())
        .unwrap();
    let eligible: Vec<&str> = ranking
        .eligible
        .iter()
        .map(|c| c.engineer.as_str())
        .collect();
    // expert is nearer but over-qualified by 3 levels (1.5 points) > 0.2 km difference.
    assert_eq!(eligible, vec!["cheap", "expert"]);
    assert!(
        ranking
            .eligible
            .windows(2)
            .all(|w| w[0].cost.total <= w[1].cost.total)
    );
    let rejected: Vec<(&str, Constraint)> = ranking
        .rejected
        .iter()
        .map(|r| (r.engineer.as_str(), r.violation.constraint()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            ("busy", Constraint::Capacity),
            ("novice", Constraint::Skill)
        ]
    );
    assert_eq!(
        ranking.rejected[1].violation,
        Violation::Skill {
            skill: "network".into(),
            level: 1,
            required: 2
        }
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let fleet = Fleet::new(vec![engineer("a", 0.0, 1, 3)]).unwrap();
    let d = Dispatcher::new(Config::default());
    let mut t = ticket("T-1", 0.0);
    t.location.lat = f64::INFINITY;
    let err = d.plan(&fleet, &[t], now()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::InvalidCoordinate {
                field: "latitude",
                ..
            }
        ),
        "{err}"
    );
    let err = d
        .plan(&fleet, &[ticket("x", 0.0), ticket("x", 1.0)], now())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"ticket "x": id appears twice (positions 0 and 1)"#
    );
    let mut t = ticket("T-1", 0.0);
    t.pinned_engineer = Some("ghost".into());
    assert!(matches!(
        d.candidates(&fleet, &t, now()).unwrap_err().kind(),
        ErrorKind::UnknownEngineer { .. }
    ));
    // Weights the validator accepts one by one, but whose costs cannot be represented exactly.
    let huge = Config::default()
        .max_travel_km(200.0)
        .weights(dispatchkit::CostWeights {
            travel_per_km: 1e6,
            ..Default::default()
        });
    let far = Fleet::new(vec![engineer("far", 87.0, 1, 3)]).unwrap();
    let err = Dispatcher::new(huge)
        .plan(
            &far,
            &[ticket("T-1", 0.0).with_priority(Priority::P1)],
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::CostOverflow { .. }),
        "{err}"
    );
    // Counts beyond the documented limit are rejected with the engineer's name.
    let mut busy = engineer("busy", 0.0, i32::MAX, 3);
    busy.open_tickets = i32::MAX - 1;
    let err = Fleet::new(vec![busy]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::CountTooLarge { engineer, .. } if engineer == "busy"),
        "{err}"
    );
    // A huge declared capacity with load balancing costs memory for the run's tickets only.
    let roomy = Fleet::new(vec![engineer(
        "roomy",
        0.0,
        dispatchkit::model::MAX_COUNT,
        3,
    )])
    .unwrap();
    let plan = Dispatcher::new(Config::default().load_balancing(Some(1.0)))
        .plan(&roomy, &[ticket("T-1", 0.0), ticket("T-2", 0.1)], now())
        .unwrap();
    assert_eq!(plan.assignments().len(), 2);
    let none = Dispatcher::new(Config::default().max_candidates(0));
    assert!(matches!(
        none.plan(&fleet, &[], now()).unwrap_err().kind(),
        ErrorKind::InvalidNumber { .. }
    ));
    let bad = Dispatcher::new(Config::default().max_travel_km(f64::NAN));
    assert!(matches!(
        bad.plan(&fleet, &[], now()).unwrap_err().kind(),
        ErrorKind::InvalidNumber { .. }
    ));
}

#[test]
fn plan_document_round_trips() {
    let fleet = Fleet::new(vec![engineer("a", 0.0, 1, 3)]).unwrap();
    let tickets = vec![ticket("T-1", 0.5), ticket("T-2", 0.7)];
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    let json = plan.to_json();
    assert!(json.contains("\"reason\": \"candidates_full\""), "{json}");
    let back = Plan::from_json(&json).unwrap();
    assert_eq!(back.assignments(), plan.assignments());
    assert_eq!(back.unassigned(), plan.unassigned());
    let err = Plan::from_json("{\"assignments\": [}").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Json {
                document: "plan",
                line: 1,
                ..
            }
        ),
        "{err}"
    );
}

/// A random small city: engineers and tickets in a 20 km square, a few skills.
fn city() -> impl Strategy<Value = (Vec<Engineer>, Vec<Ticket>)> {
    let eng = (0.0..20.0f64, 0.0..20.0f64, 0..4i32, 0..3i32, 0..6u8, 0..3u8);
    let tic = (0.0..20.0f64, 0.0..20.0f64, 0..4usize, 0..4u8, 0..3u8);
    (
        prop::collection::vec(eng, 0..12),
        prop::collection::vec(tic, 0..30),
    )
        .prop_map(|(es, ts)| {
            let skills = ["network", "hvac", "power"];
            let engineers = es
                .into_iter()
                .enumerate()
                .map(|(i, (x, y, cap, open, level, skill))| {
                    let mut e = Engineer::new(
                        format!("E{i:02}"),
                        LatLon::new(42.3 + y / 111.0, -71.1 + x / 82.2),
                        cap,
                    )
                    .with_skill(skills[skill as usize], level);
                    e.open_tickets = open;
                    e
                })
                .collect();
            let tickets = ts
                .into_iter()
                .enumerate()
                .map(|(i, (x, y, p, level, skill))| {
                    Ticket::new(
                        format!("T{i:02}"),
                        LatLon::new(42.3 + y / 111.0, -71.1 + x / 82.2),
                        skills[skill as usize],
                        now(),
                    )
                    .with_priority(Priority::ALL[p])
                    .with_min_level(level)
                })
                .collect();
            (engineers, tickets)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Every ticket accounted for once; capacities respected; flow, LP agree; greedy is no better;
    /// no higher-priority ticket is left out while a lower one holds an engineer it could take.
    #[test]
    fn plans_are_sound((engineers, tickets) in city(), balance in prop::option::of(0.0..3.0f64)) {
        let fleet = Fleet::new(engineers).unwrap();
        let config = Config::default().max_travel_km(12.0).load_balancing(balance);
        let flow = Dispatcher::new(config.clone()).plan(&fleet, &tickets, now()).unwrap();
        let lp = Dispatcher::new(config.clone().solver(SolverKind::Lp)).plan(&fleet, &tickets, now()).unwrap();
        let greedy = Dispatcher::new(config.clone().solver(SolverKind::Greedy)).plan(&fleet, &tickets, now()).unwrap();
        for plan in [&flow, &lp, &greedy] {
            assert_each_ticket_once(plan, &tickets);
            for e in fleet.engineers() {
                let n = plan.assignments().iter().filter(|a| a.engineer == e.id).count() as u32;
                prop_assert!(n <= e.remaining_capacity());
            }
        }
        prop_assert_eq!(lp.stats().solver, SolverKind::Lp);
        prop_assert_eq!(flow.stats().objective, lp.stats().objective);
        prop_assert!(greedy.stats().objective >= flow.stats().objective);
        let ranking = Dispatcher::new(config);
        for u in flow.unassigned() {
            let t = tickets.iter().find(|t| t.id == u.ticket).unwrap();
            let eligible = ranking.candidates(&fleet, t, now()).unwrap().eligible;
            for a in flow.assignments().iter().filter(|a| a.priority > t.priority) {
                prop_assert!(
                    !eligible.iter().any(|c| c.engineer == a.engineer),
                    "{} ({}) left out while {} ({}) holds {}", u.ticket, t.priority, a.ticket, a.priority, a.engineer
                );
            }
        }
    }

    /// The plan does not depend on the number of threads.
    #[test]
    fn same_plan_with_one_and_two_threads((engineers, tickets) in city()) {
        let fleet = Fleet::new(engineers).unwrap();
        let d = Dispatcher::new(Config::default());
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
                .install(|| d.plan(&fleet, &tickets, now()).unwrap().to_json())
        };
        prop_assert_eq!(run(1), run(2));
    }
}

/// A crowded district: engineers on a coarse grid (many at equal distances), more of them than the
/// ranking's first window, with few qualified ones.
fn crowd() -> impl Strategy<Value = (Vec<Engineer>, Vec<Ticket>, usize)> {
    let eng = (0..7u8, 0..7u8, 0..3i32, 0..4u8, any::<bool>());
    let tic = (0..7u8, 0..7u8, 1..4u8);
    (
        prop::collection::vec(eng, 0..160),
        prop::collection::vec(tic, 1..6),
        1..6usize,
    )
        .prop_map(|(es, ts, cap)| {
            let at = |x: u8, y: u8| {
                LatLon::new(42.3 + f64::from(y) / 111.0, -71.1 + f64::from(x) / 82.2)
            };
            let engineers = es
                .into_iter()
                .enumerate()
                .map(|(i, (x, y, capacity, level, hvac))| {
                    let skill = if hvac { "hvac" } else { "network" };
                    Engineer::new(format!("E{i:03}"), at(x, y), capacity).with_skill(skill, level)
                })
                .collect();
            let tickets = ts
                .into_iter()
                .enumerate()
                .map(|(i, (x, y, level))| {
                    Ticket::new(format!("T{i}"), at(x, y), "network", now()).with_min_level(level)
                })
                .collect();
            (engineers, tickets, cap)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// One ticket's ranking keeps the `cap` nearest engineers (ties by fleet order) that the
    /// reference interpreter accepts and that have room, the same ones the whole run's candidate set
    /// gives that ticket, and the same ranking as on the prepared fleet; it lists as rejected
    /// exactly the engineers refused by a rule or full up to the distance it examined (the
    /// farthest kept, or the reach when fewer than `cap` are eligible), nearest first, ties by
    /// fleet order, each at its distance.
    #[test]
    fn ranking_is_the_nearest_accepted_engineers((engineers, tickets, cap) in crowd()) {
        let fleet = Fleet::new(engineers).unwrap();
        let d = Dispatcher::new(Config::default().max_travel_km(4.0).max_candidates(cap));
        let set = d.candidate_set(&fleet, &tickets, now()).unwrap();
        let prepared = d.prepare(&fleet, now()).unwrap();
        for (k, t) in tickets.iter().enumerate() {
            let mut oracle: Vec<(f64, usize)> = Vec::new();
            for (i, e) in fleet.engineers().iter().enumerate() {
                let x = d.policy().explain(t, e, now()).unwrap();
                if x.eligible && e.remaining_capacity() > 0 {
                    oracle.push((x.travel_km, i));
                }
            }
            oracle.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            oracle.truncate(cap);
            let mut want: Vec<&str> =
                oracle.iter().map(|&(_, i)| fleet.engineers()[i].id.as_str()).collect();
            want.sort_unstable();

            let ranking = d.candidates(&fleet, t, now()).unwrap();
            prop_assert_eq!(&prepared.candidates(t).unwrap(), &ranking, "prepared ranking of {}", t.id);
            let mut got: Vec<&str> = ranking.eligible.iter().map(|c| c.engineer.as_str()).collect();
            got.sort_unstable();
            prop_assert_eq!(&got, &want, "ranking of {}", t.id);

            let mut in_set: Vec<&str> = set
                .network()
                .arcs_of(k)
                .map(|(e, _)| fleet.engineers()[e as usize].id.as_str())
                .collect();
            in_set.sort_unstable();
            prop_assert_eq!(&in_set, &want, "candidate set of {}", t.id);

            let examined = if ranking.eligible.len() >= cap {
                ranking.eligible.iter().map(|c| c.distance_km).fold(0.0, f64::max)
            } else {
                d.policy().reach_km().expect("the default policy has a reach")
            };
            let mut refused: Vec<(f64, usize)> = Vec::new();
            for (i, e) in fleet.engineers().iter().enumerate() {
                let x = d.policy().explain(t, e, now()).unwrap();
                if x.travel_km <= examined && (!x.eligible || e.remaining_capacity() == 0) {
                    refused.push((x.travel_km, i));
                }
            }
            refused.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let want: Vec<(u64, &str)> = refused
                .iter()
                .map(|&(km, i)| (km.to_bits(), fleet.engineers()[i].id.as_str()))
                .collect();
            let got: Vec<(u64, &str)> = ranking
                .rejected
                .iter()
                .map(|r| (r.distance_km.to_bits(), r.engineer.as_str()))
                .collect();
            prop_assert_eq!(got, want, "rejected engineers of {}", t.id);
        }
    }
}
