//! The dispatcher with hours and limits: when the general model is chosen, what the plan reports,
//! and how bad input is answered.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dispatchkit::solve::mip::{Limit, LimitScope, Measure, MipStatus};
use dispatchkit::{
    Config, Dispatcher, Engineer, ErrorKind, Fleet, LatLon, Plan, Priority, Reason, Shift,
    SolverKind, Ticket,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
}

fn at(km_east: f64) -> LatLon {
    LatLon::new(42.36, -71.06 + km_east / 82.2)
}

fn engineer(id: &str, km: f64) -> Engineer {
    Engineer::new(id, at(km), 10).with_skill("network", 3)
}

fn ticket(id: &str, km: f64, minutes: u32, priority: Priority) -> Ticket {
    let mut t = Ticket::new(id, at(km), "network", now()).with_priority(priority);
    t.duration_min = minutes;
    t
}

fn assigned_to<'a>(plan: &'a Plan, ticket: &str) -> Option<&'a str> {
    plan.assignment_of(&ticket.into())
        .map(|a| a.engineer.as_str())
}

#[test]
fn binding_hours_go_to_the_mip_and_keep_priorities() {
    let fleet = Fleet::new(vec![engineer("ana", 0.0).with_available_min(120)]).unwrap();
    let tickets = vec![
        ticket("T-p3", 0.1, 60, Priority::P3),
        ticket("T-p1", 0.2, 60, Priority::P1),
        ticket("T-p2", 0.3, 60, Priority::P2),
    ];
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    let stats = plan.stats();
    assert_eq!(stats.solver, SolverKind::Mip);
    assert_eq!(stats.bound, Some(stats.objective));
    assert_eq!(stats.gap, Some(0.0));
    assert_eq!(assigned_to(&plan, "T-p1"), Some("ana"));
    assert_eq!(assigned_to(&plan, "T-p2"), Some("ana"));
    let left = &plan.unassigned()[0];
    assert_eq!(left.ticket.as_str(), "T-p3");
    // Ana had ticket slots left, but not the hours: she counts as full for this ticket.
    assert!(matches!(
        left.reason,
        Reason::CandidatesFull {
            candidates: 1,
            took_higher_priority: 1
        }
    ));
    let json = plan.to_json();
    assert!(json.contains("\"solver\": \"mip\""), "{json}");
    assert_eq!(Plan::from_json(&json).unwrap().to_json(), json);
}

#[test]
fn hours_that_cannot_bind_stay_on_the_flow_solver() {
    let fleet = Fleet::new(vec![engineer("ana", 0.0).with_available_min(600)]).unwrap();
    let tickets = vec![
        ticket("T-1", 0.1, 60, Priority::P3),
        ticket("T-2", 0.2, 60, Priority::P3),
    ];
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_eq!(plan.stats().solver, SolverKind::Flow);
    assert_eq!(plan.stats().bound, None);
    assert_eq!(plan.assignments().len(), 2);
    // Asking for the MIP anyway gives the same plan, proven optimal.
    let by_mip = Dispatcher::new(Config::default().solver(SolverKind::Mip))
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_eq!(by_mip.stats().solver, SolverKind::Mip);
    assert_eq!(by_mip.stats().objective, plan.stats().objective);
    assert_eq!(by_mip.stats().bound, Some(plan.stats().objective));
    assert_eq!(by_mip.assignments(), plan.assignments());
}

#[test]
fn a_ticket_longer_than_any_budget_is_unassigned_with_the_reason() {
    let fleet = Fleet::new(vec![
        engineer("ana", 0.0).with_available_min(480),
        engineer("ben", 1.0).with_available_min(240),
    ])
    .unwrap();
    let tickets = vec![
        ticket("T-long", 0.5, 600, Priority::P1),
        ticket("T-short", 0.5, 30, Priority::P3),
    ];
    let plan = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_eq!(plan.stats().solver, SolverKind::Mip);
    assert_eq!(plan.unassigned().len(), 1);
    assert_eq!(
        plan.unassigned()[0].reason,
        Reason::NotEnoughHours {
            duration_min: 600,
            most_available_min: 480
        }
    );
    assert_eq!(assigned_to(&plan, "T-short"), Some("ana"));
}

#[test]
fn shift_hours_limit_the_work_when_asked() {
    let mut ana = engineer("ana", 0.0);
    ana.shift = Some(Shift {
        start: now() - Duration::hours(6),
        end: now() + Duration::minutes(90),
    });
    let fleet = Fleet::new(vec![ana]).unwrap();
    let tickets = vec![
        ticket("T-1", 0.1, 60, Priority::P2),
        ticket("T-2", 0.2, 60, Priority::P3),
    ];
    let ignoring = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_eq!(ignoring.assignments().len(), 2);
    let plan = Dispatcher::new(Config::default().shift_hours(true))
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_eq!(plan.stats().solver, SolverKind::Mip);
    assert_eq!(assigned_to(&plan, "T-1"), Some("ana"));
    assert_eq!(assigned_to(&plan, "T-2"), None);
}

#[test]
fn team_limits_cap_the_team_together() {
    let mut ana = engineer("ana", 0.0);
    ana.team = Some("north".into());
    let mut ben = engineer("ben", 0.5);
    ben.team = Some("north".into());
    let cy = engineer("cy", 3.0);
    let fleet = Fleet::new(vec![ana, ben, cy]).unwrap();
    let tickets: Vec<Ticket> = (0..4)
        .map(|i| ticket(&format!("T-{i}"), 0.2 * f64::from(i), 45, Priority::P3))
        .collect();
    let limit = Limit {
        scope: LimitScope::Team("north".into()),
        measure: Measure::Minutes,
        max: 90,
    };
    let plan = Dispatcher::new(Config::default().limits(vec![limit]))
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_eq!(plan.stats().solver, SolverKind::Mip);
    let north = plan
        .assignments()
        .iter()
        .filter(|a| a.engineer.as_str() != "cy")
        .count();
    assert_eq!(north, 2, "90 minutes of 45-minute tickets");
    assert_eq!(plan.assignments().len(), 4, "cy takes the rest");
    assert_eq!(plan.stats().gap, Some(0.0));
    // Per engineer, on tickets.
    let one = Limit {
        scope: LimitScope::Engineer("cy".into()),
        measure: Measure::Tickets,
        max: 1,
    };
    let plan = Dispatcher::new(Config::default().limits(vec![one]))
        .plan(&fleet, &tickets, now())
        .unwrap();
    let by_cy = plan
        .assignments()
        .iter()
        .filter(|a| a.engineer.as_str() == "cy")
        .count();
    assert!(by_cy <= 1);
}

#[test]
fn bad_hours_and_limits_are_typed_errors() {
    let err = Fleet::new(vec![engineer("ana", 0.0).with_available_min(-30)]).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NegativeCount {
            field: "available_min",
            value: -30,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        r#"engineer "ana": available_min -30 is negative"#
    );

    let fleet = Fleet::new(vec![engineer("ana", 0.0)]).unwrap();
    let tickets = vec![ticket("T-1", 0.1, 60, Priority::P3)];
    let limit = Limit {
        scope: LimitScope::Team("south".into()),
        measure: Measure::Tickets,
        max: 3,
    };
    let err = Dispatcher::new(Config::default().limits(vec![limit]))
        .plan(&fleet, &tickets, now())
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::InvalidLimit { index: 0, .. }
    ));
    assert_eq!(
        err.to_string(),
        "configuration `limits[0]`: no engineer of the fleet is in team `south`"
    );

    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        let err = Dispatcher::new(Config::default().mip_rel_gap(bad))
            .plan(&fleet, &tickets, now())
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidNumber { .. }),
            "{bad}"
        );
        let err = Dispatcher::new(Config::default().mip_time_limit_s(bad))
            .plan(&fleet, &tickets, now())
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidNumber { .. }),
            "{bad}"
        );
    }
}

#[test]
fn a_zero_time_limit_still_returns_a_feasible_plan_with_its_bound() {
    let fleet = Fleet::new(
        (0..4)
            .map(|i| engineer(&format!("e{i}"), f64::from(i)).with_available_min(100))
            .collect(),
    )
    .unwrap();
    let tickets: Vec<Ticket> = (0..12)
        .map(|i| {
            ticket(
                &format!("T-{i}"),
                0.3 * f64::from(i),
                20 + 7 * (i % 5),
                Priority::ALL[i as usize % 4],
            )
        })
        .collect();
    let plan = Dispatcher::new(Config::default().mip_time_limit_s(0.0))
        .plan(&fleet, &tickets, now())
        .unwrap();
    let stats = plan.stats();
    assert_eq!(stats.solver, SolverKind::Mip);
    assert_eq!(plan.assignments().len() + plan.unassigned().len(), 12);
    let bound = stats.bound.unwrap();
    assert!(bound <= stats.objective);
    let mut minutes = std::collections::BTreeMap::new();
    for a in plan.assignments() {
        let t = tickets.iter().find(|t| t.id == a.ticket).unwrap();
        *minutes.entry(a.engineer.as_str()).or_insert(0) += t.duration_min;
    }
    assert!(minutes.values().all(|&m| m <= 100), "{minutes:?}");
    // With time, the same instance is proven optimal, never worse than the quick answer.
    let full = Dispatcher::new(Config::default())
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert!(full.stats().objective <= stats.objective);
    assert!(full.stats().bound.unwrap() >= bound.min(full.stats().objective));
    assert_eq!(full.stats().gap, Some(0.0));
    let _ = MipStatus::Optimal;
}
