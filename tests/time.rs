//! The time planner, alerts and re-planning through the public API, with property tests.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use dispatchkit::geo::distance_km;
use dispatchkit::rules::{DEFAULT_POLICY, Policy};
use dispatchkit::sla::{
    Action, AlertConfig, AlertKind, Change, DayPlan, MoveReason, Planner, PlannerConfig, TimedPlan,
};
use dispatchkit::{Config, Engineer, Fleet, LatLon, Priority, Shift, Ticket, TimeConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// A fixed seed keeps every run on the same cases.
const SEED: u64 = 0x71_3e_5a_1a;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 8, 0, 0).unwrap()
}

fn pos(x_km: f64, y_km: f64) -> LatLon {
    LatLon::new(42.36 + y_km / 111.195, -71.06 + x_km / 82.2)
}

/// (x, y, shift hours, capacity)
type EngSpec = (f64, f64, i64, i32);
/// (x, y, window start h or none, duration min, due h or none, priority, pinned engineer)
type TicketSpec = (f64, f64, Option<u8>, u32, Option<u8>, u8, Option<usize>);

fn build(engs: &[EngSpec], ts: &[TicketSpec]) -> (Fleet, Vec<Ticket>) {
    let t0 = now();
    let engineers: Vec<Engineer> = engs
        .iter()
        .enumerate()
        .map(|(i, &(x, y, h, cap))| {
            let mut e = Engineer::new(format!("e{i}"), pos(x, y), cap).with_skill("fix", 3);
            e.shift = Some(Shift {
                start: t0 - Duration::hours(1),
                end: t0 + Duration::hours(h),
            });
            e
        })
        .collect();
    let tickets = ts
        .iter()
        .enumerate()
        .map(|(i, &(x, y, w, dur, due, p, pin))| {
            let mut t = Ticket::new(
                format!("t{i:02}"),
                pos(x, y),
                "fix",
                t0 - Duration::hours(1),
            )
            .with_duration_min(dur)
            .with_priority(Priority::ALL[p as usize]);
            if let Some(w) = w {
                let s = t0 + Duration::hours(w.into());
                t = t.with_appointment(s, s + Duration::hours(2));
            }
            if let Some(d) = due {
                t = t.with_sla_due(t0 + Duration::minutes(i64::from(d) * 30));
            }
            t.pinned_engineer = pin
                .filter(|&k| k < engs.len())
                .map(|k| format!("e{k}").into());
            t
        })
        .collect();
    (Fleet::new(engineers).unwrap(), tickets)
}

fn planner(rounds: u32) -> Planner {
    Planner::new(
        Config::default(),
        PlannerConfig {
            rounds,
            ..PlannerConfig::default()
        },
    )
}

/// The schedule's invariants: each assignment is exactly one stop of its engineer's route; stops
/// start inside their windows; routes end within shift + overtime; ETAs are no earlier than
/// `now` + direct travel; breached is exactly completion after due.
fn check(fleet: &Fleet, tickets: &[Ticket], timed: &TimedPlan, now: DateTime<Utc>, fresh: bool) {
    let cfg = TimeConfig::default();
    let by_id: BTreeMap<_, _> = tickets.iter().map(|t| (t.id.clone(), t)).collect();
    assert_eq!(
        timed.plan.assignments().len() + timed.plan.unassigned().len(),
        tickets.len()
    );
    let mut stops = 0;
    for r in &timed.schedule.routes {
        let e = fleet.get(&r.engineer).unwrap();
        let end = e.shift.unwrap().end + Duration::minutes(cfg.max_overtime_min.into());
        // Work in progress continues past the shift end (an engineer sent off shift finishes it);
        // any other stop must fit.
        if r.stops.iter().any(|s| !s.in_progress) {
            assert!(
                r.end <= end + Duration::seconds(1),
                "{} ends {} after {end}",
                r.engineer,
                r.end
            );
        }
        for s in &r.stops {
            stops += 1;
            let t = by_id[&s.ticket];
            assert_eq!(
                timed.plan.assignment_of(&s.ticket).unwrap().engineer,
                r.engineer
            );
            if let Some(w) = t.appointment {
                assert!(s.start >= w.start && s.start <= w.end + Duration::seconds(1));
            }
            assert!(s.arrival <= s.start && s.start < s.completion || t.duration_min == 0);
            if fresh && !s.in_progress {
                let direct = cfg.travel.minutes(distance_km(e.location, t.location));
                let earliest = now + Duration::milliseconds((direct * 60_000.0) as i64);
                assert!(
                    s.arrival + Duration::seconds(1) >= earliest,
                    "{} ETA before travel",
                    s.ticket
                );
            }
            assert_eq!(s.breached, t.sla_due.is_some_and(|d| s.completion > d));
            assert_eq!(s.breached, s.slack_min.is_some_and(|m| m < 0.0));
        }
    }
    assert_eq!(stops, timed.plan.assignments().len());
}

fn specs() -> impl Strategy<Value = (Vec<EngSpec>, Vec<TicketSpec>)> {
    let eng = (-8.0f64..8.0, -8.0f64..8.0, 2i64..10, 1i32..5);
    let ticket = (
        -8.0f64..8.0,
        -8.0f64..8.0,
        proptest::option::of(0u8..6),
        prop_oneof![Just(30u32), Just(60), Just(90)],
        proptest::option::of(1u8..16),
        0u8..4,
        proptest::option::weighted(0.15, 0usize..4),
    );
    (
        proptest::collection::vec(eng, 1..5),
        proptest::collection::vec(ticket, 1..14),
    )
}

proptest! {
    #![proptest_config(config(32))]

    /// A planner running a policy reads each ticket as the policy's triage leaves it: a derive
    /// that sets the SLA due time and raises the priority of the long tickets gives the same plan
    /// and schedule as those tickets coming with that due time and priority under the default
    /// policy (assignment costs, sequencing, lateness feedback and the stops' due times alike).
    #[test]
    fn the_planner_times_tickets_as_triage_leaves_them(
        (engs, ts) in specs(),
        rounds in 0u32..3,
    ) {
        let (fleet, tickets) = build(&engs, &ts);
        let derive = "derive rush when ticket.duration >= 90min {\n    \
                      ticket.sla_due = now() + 2h\n    ticket.priority = P1\n}\n";
        let source = DEFAULT_POLICY.replacen("version 1\n", &format!("version 1\n{derive}"), 1);
        let rush = Policy::parse("rush.policy", &source).expect("valid");
        let cfg = PlannerConfig { rounds, ..PlannerConfig::default() };
        let derived = Planner::with_policy(Config::default(), cfg.clone(), rush)
            .plan(&fleet, &tickets, now())
            .unwrap();
        let given_tickets: Vec<Ticket> = tickets
            .iter()
            .cloned()
            .map(|mut t| {
                if t.duration_min >= 90 {
                    t.sla_due = Some(now() + Duration::hours(2));
                    t.priority = Priority::P1;
                }
                t
            })
            .collect();
        let given = Planner::new(Config::default(), cfg).plan(&fleet, &given_tickets, now()).unwrap();
        prop_assert_eq!(derived.schedule.stops(), given.schedule.stops());
        prop_assert_eq!(derived.plan.assignments(), given.plan.assignments());
        prop_assert_eq!(derived.plan.unassigned(), given.plan.unassigned());
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn planned_routes_respect_time((engs, ts) in specs(), rounds in 0u32..4, relocate in 0u32..3) {
        let (fleet, tickets) = build(&engs, &ts);
        let p = Planner::new(
            Config::default(),
            PlannerConfig { rounds, relocate_passes: relocate, ..PlannerConfig::default() },
        );
        let timed = p.plan(&fleet, &tickets, now()).unwrap();
        check(&fleet, &tickets, &timed, now(), true);
        // The document reads back identically.
        // The document reads back (floats may differ in the last digit: serde_json's default
        // float parsing is not exact round-trip).
        let back = TimedPlan::from_json(&timed.to_json()).unwrap();
        prop_assert_eq!(back.schedule.stops(), timed.schedule.stops());
        prop_assert_eq!(&back.plan.assignments().len(), &timed.plan.assignments().len());
    }

    #[test]
    fn replan_without_changes_is_the_same_plan((engs, ts) in specs()) {
        let (fleet, tickets) = build(&engs, &ts);
        let p = planner(2);
        let day = p.plan_day(fleet, tickets, now()).unwrap();
        let before = day.timed().clone();
        let (after, report) = p.replan(day, &[], now()).unwrap();
        prop_assert_eq!(after.timed(), &before);
        prop_assert!(report.moves.is_empty());
    }

    /// Pinned (in progress at the re-plan time, or pinned by the user) never changes engineer,
    /// whatever happens; the result keeps every schedule invariant.
    #[test]
    fn pinned_never_moves(
        (engs, ts) in specs(),
        later_min in 0i64..180,
        changes in proptest::collection::vec((0u8..5, 0usize..16, -8.0f64..8.0, -8.0f64..8.0), 0..5),
    ) {
        let (fleet, tickets) = build(&engs, &ts);
        let p = planner(2);
        let day = p.plan_day(fleet, tickets, now()).unwrap();
        let at = now() + Duration::minutes(later_min);
        let mut list = Vec::new();
        let mut gone = std::collections::BTreeSet::new();
        for (k, &(kind, i, x, y)) in changes.iter().enumerate() {
            let e = format!("e{}", i % engs.len());
            let t = day.tickets().get(i % day.tickets().len().max(1)).map(|t| t.id.clone());
            match kind {
                0 => list.push(Change::NewTicket {
                    ticket: Ticket::new(format!("n{k}"), pos(x, y), "fix", at).with_duration_min(30),
                }),
                1 => if let Some(t) = t.filter(|t| gone.insert(t.clone())) {
                    list.push(Change::Cancelled { ticket: t })
                },
                2 => if let Some(t) = t.filter(|t| gone.insert(t.clone())) {
                    list.push(Change::Finished { ticket: t })
                },
                3 => list.push(Change::OffShift { engineer: e.into() }),
                _ => list.push(Change::Moved { engineer: e.into(), location: pos(x, y) }),
            }
        }
        // What must not move: stops started by `at`, and user-pinned tickets that were assigned.
        let mut fixed = Vec::new();
        for r in &day.timed().schedule.routes {
            for s in &r.stops {
                let pinned = day.tickets().iter().any(|t| t.id == s.ticket && t.pinned_engineer.is_some());
                if (s.start <= at || pinned) && !gone.contains(&s.ticket) {
                    fixed.push((s.ticket.clone(), r.engineer.clone(), s.start <= at));
                }
            }
        }
        let (after, report) = p.replan(day, &list, at).unwrap();
        for (t, e, started) in &fixed {
            match after.timed().plan.assignment_of(t) {
                Some(a) => prop_assert_eq!(&a.engineer, e),
                // A user-pinned ticket may become unassigned when its engineer can no longer fit
                // it (it never goes to someone else); work in progress always stays.
                None => prop_assert!(!started, "in-progress {} was dropped", t),
            }
        }
        for m in &report.moves {
            prop_assert!(!fixed.iter().any(|f| f.0 == m.ticket && m.to.is_some()));
        }
        check(after.fleet(), after.tickets(), after.timed(), at, false);
    }
}

#[test]
fn a_new_ticket_goes_to_the_engineer_with_room_in_its_route() {
    // Two engineers; ana's day is full until 15:00, ben is free. A new urgent ticket next to ana
    // must go to ben, and nothing else moves.
    let (fleet, tickets) = build(
        &[(0.0, 0.0, 10, 5), (3.0, 0.0, 8, 5)],
        &[
            (0.5, 0.0, Some(0), 240, None, 2, Some(0)),
            (0.6, 0.0, Some(4), 300, None, 2, None),
        ],
    );
    let p = planner(2);
    let day = p.plan_day(fleet, tickets, now()).unwrap();
    assert_eq!(
        day.timed()
            .schedule
            .route_of(&"e0".into())
            .unwrap()
            .stops
            .len(),
        2
    );
    let t = Ticket::new("urgent", pos(0.4, 0.0), "fix", now())
        .with_appointment(now() + Duration::hours(1), now() + Duration::hours(2))
        .with_priority(Priority::P1);
    let (after, report) = p
        .replan(day, &[Change::NewTicket { ticket: t }], now())
        .unwrap();
    assert_eq!(
        after
            .timed()
            .plan
            .assignment_of(&"urgent".into())
            .unwrap()
            .engineer
            .as_str(),
        "e1"
    );
    assert_eq!(report.moves.len(), 1);
    assert_eq!(report.moves[0].why, MoveReason::NewTicket);
    // Ana goes off shift at 09:00: her first ticket (in progress since 08:00) stays; her second
    // (not started) would end after ben's shift, so it is released and left unassigned.
    let at = now() + Duration::hours(1);
    let (after, report) = p
        .replan(
            after,
            &[Change::OffShift {
                engineer: "e0".into(),
            }],
            at,
        )
        .unwrap();
    assert_eq!(
        after
            .timed()
            .plan
            .assignment_of(&"t00".into())
            .unwrap()
            .engineer
            .as_str(),
        "e0"
    );
    let moved: Vec<_> = report
        .moves
        .iter()
        .map(|m| (m.ticket.as_str(), m.to.clone(), m.why))
        .collect();
    assert_eq!(moved, vec![("t01", None, MoveReason::EngineerOffShift)]);
    assert!(after.timed().plan.assignment_of(&"t01".into()).is_none());
    assert!(after.timed().schedule.route_of(&"e0".into()).unwrap().stops[0].in_progress);
}

#[test]
fn alerts_name_breaches_risks_and_a_better_engineer() {
    // e0 does its P1 job (due 10:00, two hours of work) first, so its P4 ticket (due 09:00) is
    // predicted late; e1, idle and close by but without capacity in the plan, could do it on time.
    let (fleet, tickets) = build(
        &[(0.0, 0.0, 8, 5), (2.0, 0.0, 8, 0)],
        &[
            (0.2, 0.0, None, 120, Some(4), 0, Some(0)),
            (1.0, 0.0, None, 30, Some(2), 3, Some(0)),
            (0.3, 0.0, None, 30, Some(16), 3, Some(0)),
        ],
    );
    let p = planner(1);
    let timed = p.plan(&fleet, &tickets, now()).unwrap();
    let late = timed.schedule.stop_of(&"t01".into()).unwrap().1;
    assert!(late.breached, "{late:?}");
    // e1 had no capacity in the plan; give it room for the alert's suggestion.
    let mut engineers = fleet.engineers().to_vec();
    engineers[1].capacity = 3;
    let fleet = Fleet::new(engineers).unwrap();
    let alerts = p
        .alerts(&fleet, &tickets, &timed, now(), &AlertConfig::default())
        .unwrap();
    let a = alerts.iter().find(|a| a.ticket.as_str() == "t01").unwrap();
    assert!(matches!(a.kind, AlertKind::PredictedBreach { late_min } if late_min > 0.0));
    // t01 is pinned to e0: e1 is not a candidate, so the suggestion is to escalate (P4 → P3).
    assert!(matches!(
        a.action,
        Action::EscalatePriority { to: Priority::P3 }
    ));
    // Unpinned, the same ticket would be re-assigned to e1.
    let mut tickets = tickets;
    tickets[1].pinned_engineer = None;
    let alerts = p
        .alerts(&fleet, &tickets, &timed, now(), &AlertConfig::default())
        .unwrap();
    let a = alerts.iter().find(|a| a.ticket.as_str() == "t01").unwrap();
    match &a.action {
        Action::Reassign {
            engineer,
            completion,
        } => {
            assert_eq!(engineer.as_str(), "e1");
            assert!(*completion <= tickets[1].sla_due.unwrap());
        }
        other => panic!("{other:?}"),
    }
    // With a policy whose response target is 1 minute (wall-clock), every stop not reached within
    // a minute of its creation (07:00) is late to respond: t02 (on time, plenty of slack) shows it.
    let policy = dispatchkit::sla::SlaPolicy::new(
        dispatchkit::sla::BusinessCalendar::always(),
        vec![dispatchkit::sla::SlaTarget::new(1, 100_000).around_the_clock()],
    );
    let with_policy = AlertConfig {
        policy: Some(policy),
        ..AlertConfig::default()
    };
    let alerts = p
        .alerts(&fleet, &tickets, &timed, now(), &with_policy)
        .unwrap();
    let a = alerts.iter().find(|a| a.ticket.as_str() == "t02").unwrap();
    assert!(
        matches!(a.kind, AlertKind::ResponseLate { late_min } if late_min > 60.0),
        "{a:?}"
    );
    // At noon the due time has passed: breached.
    let noon = now() + Duration::hours(4);
    let alerts = p
        .alerts(&fleet, &tickets, &timed, noon, &AlertConfig::default())
        .unwrap();
    assert!(matches!(alerts[0].kind, AlertKind::Breached { .. }));
}

#[test]
fn bad_changes_are_errors() {
    let (fleet, tickets) = build(&[(0.0, 0.0, 8, 5)], &[(0.5, 0.0, None, 30, None, 2, None)]);
    let p = planner(1);
    let day: DayPlan = p.plan_day(fleet, tickets, now()).unwrap();
    let err = p
        .replan(
            day.clone(),
            &[Change::Cancelled {
                ticket: "nope".into(),
            }],
            now(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"change #0: ticket "nope" is not in the plan"#
    );
    let dup = Ticket::new("t00", pos(0.0, 0.0), "fix", now());
    let err = p
        .replan(day, &[Change::NewTicket { ticket: dup }], now())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"change #0: ticket "t00" is already in the plan"#
    );
}

proptest! {
    #![proptest_config(config(64))]

    /// Re-optimising never moves work in progress or pinned tickets and keeps every schedule
    /// invariant. With a prohibitive disruption penalty, no changes and no time passed, it hands a
    /// ticket to a different engineer only when that serves more urgent tickets (priorities
    /// outrank disruption). (Once time has passed, a route may no longer take a ticket, and the
    /// ticket it loses can start a chain of forced moves: that is checked by the first part only.)
    #[test]
    fn reoptimize_moves_only_what_pays(
        (engs, ts) in specs(),
        later_min in prop_oneof![Just(0i64), 0i64..120],
    ) {
        let (fleet, tickets) = build(&engs, &ts);
        let p = Planner::new(
            Config::default(),
            PlannerConfig { rounds: 2, disruption_per_move: 1e6, ..PlannerConfig::default() },
        );
        let day = p.plan_day(fleet, tickets, now()).unwrap();
        let at = now() + Duration::minutes(later_min);
        let before = day.timed().clone();
        let pinned: Vec<(String, String)> = day
            .timed()
            .schedule
            .routes
            .iter()
            .flat_map(|r| r.stops.iter().map(move |s| (r, s)))
            .filter(|(_, s)| {
                s.start <= at
                    || day.tickets().iter().any(|t| t.id == s.ticket && t.pinned_engineer.is_some())
            })
            .map(|(r, s)| (s.ticket.to_string(), r.engineer.to_string()))
            .collect();
        let (after, report) = p.reoptimize(day, &[], at).unwrap();
        for (t, e) in &pinned {
            if let Some(a) = after.timed().plan.assignment_of(&t.as_str().into()) {
                prop_assert_eq!(a.engineer.as_str(), e.as_str());
            }
        }
        check(after.fleet(), after.tickets(), after.timed(), at, false);
        let count = |t: &TimedPlan| {
            let mut c = [0usize; 4];
            for u in t.plan.unassigned() {
                c[u.priority.index()] += 1;
            }
            c
        };
        let moved_assigned =
            later_min == 0 && report.moves.iter().any(|m| m.from.is_some() && m.to.is_some());
        prop_assert!(
            !moved_assigned || count(after.timed()) < count(&before),
            "moved {:?} without serving more urgent tickets", report.moves
        );
    }
}

#[test]
fn fairness_sends_new_work_to_the_engineer_with_fewer_hours_today() {
    // Two engineers at the same place; e0 has finished four hours of work today.
    let (fleet, tickets) = build(
        &[(0.0, 0.0, 8, 9), (0.0, 0.0, 8, 9)],
        &[(0.0, 1.0, None, 240, None, 2, Some(0))],
    );
    for (fairness, expect) in [(0.0, "e0"), (5.0, "e1")] {
        let p = Planner::new(
            Config::default(),
            PlannerConfig {
                fairness_per_hour: fairness,
                ..PlannerConfig::default()
            },
        );
        let day = p.plan_day(fleet.clone(), tickets.clone(), now()).unwrap();
        let at = now() + Duration::hours(4) + Duration::minutes(10);
        let (day, _) = p
            .replan(
                day,
                &[Change::Finished {
                    ticket: "t00".into(),
                }],
                at,
            )
            .unwrap();
        assert_eq!(day.worked_min()[&"e0".into()], 240.0);
        let t = Ticket::new("new", pos(1.0, 0.0), "fix", at).with_duration_min(60);
        let (day, _) = p
            .replan(day, &[Change::NewTicket { ticket: t }], at)
            .unwrap();
        assert_eq!(
            day.timed()
                .plan
                .assignment_of(&"new".into())
                .unwrap()
                .engineer
                .as_str(),
            expect,
            "fairness {fairness}"
        );
    }
}

#[test]
fn the_time_constraint_names_the_limit_and_prices_overtime() {
    use dispatchkit::{Dispatcher, TimeLimit, Violation};
    // ana at the ticket; shift ends at 09:00.
    let mut ana = Engineer::new("ana", pos(0.0, 0.0), 5).with_skill("fix", 3);
    ana.shift = Some(Shift {
        start: now(),
        end: now() + Duration::hours(1),
    });
    let fleet = Fleet::new(vec![ana]).unwrap();
    let ticket = |dur: u32| Ticket::new("t", pos(0.0, 0.0), "fix", now()).with_duration_min(dur);
    let limit = |d: &Dispatcher, t: &Ticket| {
        let r = d.candidates(&fleet, t, now()).unwrap();
        match r.rejected.first().map(|x| &x.violation) {
            Some(Violation::Time { limit }) => Some(*limit),
            None => None,
            other => panic!("{other:?}"),
        }
    };
    let plain = Dispatcher::new(Config::default());
    assert_eq!(limit(&plain, &ticket(60)), None);
    assert_eq!(limit(&plain, &ticket(61)), Some(TimeLimit::Shift));
    // A window that closed before anyone can get there.
    let gone = ticket(10).with_appointment(now() - Duration::hours(2), now() - Duration::hours(1));
    assert_eq!(limit(&plain, &gone), Some(TimeLimit::Window));
    // Overtime allowed: feasible, and the 30 minutes cost 30 points.
    let overtime = Config::default().time(TimeConfig {
        max_overtime_min: 30,
        ..TimeConfig::default()
    });
    let d = Dispatcher::new(overtime);
    let r = d.candidates(&fleet, &ticket(90), now()).unwrap();
    assert!(
        (r.eligible[0].cost.time - 30.0).abs() < 1e-9,
        "{:?}",
        r.eligible[0].cost
    );
    // Hard deadlines: due in 30 minutes, work takes 60.
    let hard = Dispatcher::new(Config::default().time(TimeConfig {
        hard_deadlines: true,
        ..TimeConfig::default()
    }));
    let due = ticket(60).with_sla_due(now() + Duration::minutes(30));
    assert_eq!(limit(&hard, &due), Some(TimeLimit::Deadline));
    // Soft: feasible; lateness no one could avoid (30 min) is not priced, so time costs 0.
    let r = plain.candidates(&fleet, &due, now()).unwrap();
    assert_eq!(r.eligible[0].cost.time, 0.0);
    // A plan counts the rejection under `time`.
    let plan = plain.plan(&fleet, &[ticket(61)], now()).unwrap();
    assert_eq!(plan.stats().screening.time, 1);
    assert!(matches!(
        plan.unassigned()[0].reason,
        dispatchkit::Reason::NoEligibleEngineer {
            constraint: dispatchkit::Constraint::Time,
            ..
        }
    ));
}

#[test]
fn bad_travel_profiles_name_the_field() {
    let mut time = TimeConfig::default();
    time.travel.rural_speed_kmh = 5.0; // slower than urban: breaks the triangle inequality
    let d = dispatchkit::Dispatcher::new(Config::default().time(time));
    let (fleet, tickets) = build(&[(0.0, 0.0, 8, 5)], &[(0.5, 0.0, None, 30, None, 2, None)]);
    let err = d.plan(&fleet, &tickets, now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration `time.travel.rural_speed_kmh`: value 5 is not a valid value"
    );
}
