//! What the whole-pipeline fuzz targets share: the shipped policies and the invariants every plan
//! must satisfy.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use dispatchkit::rules::Policy;
use dispatchkit::solve::{flow, lp};
use dispatchkit::{Dispatcher, Fleet, Plan, SolverKind, Ticket};

/// The example policies, by file name.
pub const POLICIES: [(&str, &str); 13] = [
    (
        "continuity",
        include_str!("../../../examples/policies/continuity.policy"),
    ),
    (
        "default",
        include_str!("../../../examples/policies/default.policy"),
    ),
    (
        "excluded",
        include_str!("../../../examples/policies/excluded.policy"),
    ),
    (
        "load_balancing",
        include_str!("../../../examples/policies/load_balancing.policy"),
    ),
    (
        "max_open",
        include_str!("../../../examples/policies/max_open.policy"),
    ),
    (
        "nearest",
        include_str!("../../../examples/policies/nearest.policy"),
    ),
    (
        "round_robin",
        include_str!("../../../examples/policies/round_robin.policy"),
    ),
    (
        "service_desk",
        include_str!("../../../examples/policies/service_desk.policy"),
    ),
    (
        "skill_level",
        include_str!("../../../examples/policies/skill_level.policy"),
    ),
    (
        "sla_escalation",
        include_str!("../../../examples/policies/sla_escalation.policy"),
    ),
    (
        "team_limit",
        include_str!("../../../examples/policies/team_limit.policy"),
    ),
    (
        "territory",
        include_str!("../../../examples/policies/territory.policy"),
    ),
    ("vip", include_str!("../../../examples/policies/vip.policy")),
];

/// The example policy at `k` (modulo their number), parsed once per process.
pub fn example_policy(k: usize) -> Policy {
    static PARSED: OnceLock<Vec<Policy>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        POLICIES
            .iter()
            .map(|(name, text)| {
                Policy::parse(&format!("{name}.policy"), text)
                    .expect("the example policies are valid")
            })
            .collect()
    });
    parsed[k % parsed.len()].clone()
}

/// The MIP's time budget in the fuzz targets: short, so executions stay many per second (a plan cut
/// short by it must still keep every promise).
pub const MIP_SECONDS: f64 = 0.01;

/// A solver from a selector value.
pub fn solver(k: u8) -> SolverKind {
    [
        SolverKind::Flow,
        SolverKind::Greedy,
        SolverKind::Lp,
        SolverKind::Mip,
    ][usize::from(k % 4)]
}

/// Checks everything a plan promises, and panics (a fuzz finding) when one does not hold:
/// - every input ticket appears exactly once, assigned or unassigned, in input order;
/// - no engineer takes more tickets than the policy's limits leave room for, nor more minutes than
///   its `available_min` and the policy's hour limits;
/// - every assignment of a ticket that is not pinned passes every `require` rule, by the reference
///   interpreter ([`Policy::explain`]);
/// - the plan document reads back and writes the same bytes;
/// - with the flow solver and a small model: the plan's objective is the flow optimum, which equals
///   the LP optimum (the independent oracle).
pub fn check_plan(
    dispatcher: &Dispatcher,
    fleet: &Fleet,
    tickets: &[Ticket],
    now: DateTime<Utc>,
    plan: &Plan,
) {
    let engineers = fleet.engineers();
    // Exactly once, in input order.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for id in plan
        .assignments()
        .iter()
        .map(|a| a.ticket.as_str())
        .chain(plan.unassigned().iter().map(|u| u.ticket.as_str()))
    {
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), tickets.len(), "tickets lost or invented");
    for t in tickets {
        assert_eq!(
            seen.get(t.id.as_str()),
            Some(&1),
            "ticket {} not exactly once",
            t.id
        );
    }
    let order = |ids: Vec<&str>| {
        let pos: Vec<usize> = ids
            .iter()
            .map(|id| {
                tickets
                    .iter()
                    .position(|t| t.id.as_str() == *id)
                    .expect("known")
            })
            .collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "not in input order");
    };
    order(
        plan.assignments()
            .iter()
            .map(|a| a.ticket.as_str())
            .collect(),
    );
    order(
        plan.unassigned()
            .iter()
            .map(|u| u.ticket.as_str())
            .collect(),
    );
    assert_eq!(plan.stats().tickets, tickets.len());

    // Capacities and hours.
    let policy = dispatcher.policy();
    let eval = policy
        .evaluator(engineers, now)
        .expect("the plan was made with it");
    let mut count = vec![0i64; engineers.len()];
    let mut minutes = vec![0u64; engineers.len()];
    for a in plan.assignments() {
        let e = engineers
            .iter()
            .position(|e| e.id == a.engineer)
            .expect("assigned to a fleet engineer");
        let t = tickets
            .iter()
            .find(|t| t.id == a.ticket)
            .expect("known ticket");
        count[e] += 1;
        minutes[e] += u64::from(t.duration_min);
        if t.pinned_engineer.is_none() {
            let ex = policy.explain(t, &engineers[e], now).expect("explain");
            assert!(
                ex.eligible,
                "{} given to {} but rule {:?} rejects the pair",
                t.id, a.engineer, ex.rejected_by
            );
        } else {
            assert_eq!(
                t.pinned_engineer.as_ref(),
                Some(&a.engineer),
                "pin not kept"
            );
        }
    }
    for (i, e) in engineers.iter().enumerate() {
        if let Some(room) = eval.room(i) {
            assert!(
                count[i] <= room.max(0),
                "engineer {} took {} tickets, room {room}",
                e.id,
                count[i]
            );
        }
        if let Some(m) = e.available_min {
            assert!(
                minutes[i] <= m.max(0) as u64,
                "engineer {} over its available minutes",
                e.id
            );
        }
        if let Some(m) = eval.minutes_room(i) {
            assert!(
                minutes[i] as f64 <= m.max(0.0) + 1e-9,
                "engineer {} over its hour limit",
                e.id
            );
        }
    }

    // The document round trip.
    let json = plan.to_json();
    let again = Plan::from_json(&json).expect("a plan document reads back");
    assert_eq!(
        again.to_json(),
        json,
        "plan document changes on a round trip"
    );

    // Flow against the LP oracle on small models.
    let solver = plan.stats().solver;
    if solver != SolverKind::Mip {
        let set = dispatcher
            .candidate_set(fleet, tickets, now)
            .expect("same input");
        let net = set.network();
        let f = flow::solve(net);
        if solver == SolverKind::Greedy {
            assert!(
                plan.stats().objective >= f.objective,
                "greedy beat the optimum"
            );
        } else {
            assert_eq!(
                plan.stats().objective,
                f.objective,
                "plan objective is not the optimum"
            );
        }
        if net.arcs() <= 60 {
            let l = lp::solve(net).expect("the LP solves a small network");
            assert_eq!(f.objective, l.objective, "flow and LP optima differ");
        }
    }
}
