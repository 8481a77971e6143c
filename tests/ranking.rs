//! The single-ticket ranking under random policies: the one-shot ranking (which prepares only the
//! engineers near the ticket that pass the policy's skill gate) equals the ranking on a prepared
//! fleet, and each candidate's cost breakdown (computed by each score's compiled program) equals
//! the reference interpreter's points, rule by rule, summed in policy order.

mod common;

use chrono::{DateTime, Utc};
use common::policy_gen::{self, Gen};
use dispatchkit::rules::{Policy, RuleKind};
use dispatchkit::{Config, CostBreakdown, Dispatcher, Fleet};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn now() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("time")
}

/// The skill gate's shape (an unguarded reach, then the skill rule), a derive that raises the
/// minimum level after triage for some tickets, the random policy's rules, and the default
/// policy's three named scores (so every breakdown field is exercised).
const GATE: &str = "require reach: travel <= 30km\n\
                    require skill: engineer.skill(ticket.category) >= ticket.min_level\n";
const HARDER: &str = "derive harder when ticket.customer.tier == gold { ticket.min_level = 4 }\n";
const NAMED: &str = "penalize distance 1 per km: travel\n\
                     penalize busy 2 per ticket: min(engineer.open_tickets, 100)\n\
                     penalize overqualified 0.5 per level: engineer.skill(ticket.category) - ticket.min_level\n";

/// A random policy with the gate: the generator's header and derive, then [`HARDER`], [`GATE`],
/// the generated rules and [`NAMED`].
fn gated_policy(seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = Gen { rng: &mut rng };
    let source = g.policy((seed % 3) as usize, 1 + (seed % 3) as usize, 2);
    let mut out = String::new();
    for line in source.lines() {
        out.push_str(line);
        out.push('\n');
        if line.starts_with("derive vip") {
            out.push_str(HARDER);
            out.push_str(GATE);
        }
    }
    out.push_str(NAMED);
    out
}

/// The breakdown the interpreter gives a pair: each score's points from `explain`, added in
/// policy order to the field its name selects.
fn interpreted(x: &dispatchkit::rules::Explanation) -> CostBreakdown {
    let mut c = CostBreakdown::default();
    for r in &x.rules {
        if !matches!(r.kind, RuleKind::Prefer | RuleKind::Penalize) {
            continue;
        }
        match r.rule.as_str() {
            "distance" => c.travel += r.points,
            "busy" => c.load += r.points,
            "overqualified" => c.overqualification += r.points,
            _ => c.other += r.points,
        }
        c.total += r.points;
    }
    c
}

/// Bit-equal, or both NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) || a == b
}

#[test]
fn the_gated_policy_template_is_accepted() {
    let mut accepted = 0;
    for seed in 0..40 {
        if Policy::parse("random.policy", &gated_policy(seed)).is_ok() {
            accepted += 1;
        }
    }
    // Guards the property below against vacuity.
    assert!(
        accepted >= 30,
        "only {accepted} of 40 gated policies parsed"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn one_shot_and_prepared_rankings_agree_with_the_interpreter(
        seed in any::<u64>(),
        n in 20usize..160,
        cap in 1usize..6,
    ) {
        let source = gated_policy(seed);
        let Ok(policy) = Policy::parse("random.policy", &source) else {
            return Ok(());
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let engineers = policy_gen::engineers(&mut rng, n, now());
        let fleet = Fleet::new(engineers).expect("fleet");
        let d = Dispatcher::with_policy(Config::default().max_candidates(cap), policy.clone());
        let prepared = d.prepare(&fleet, now()).expect("prepare");
        for i in 0..4 {
            let t = policy_gen::ticket(&mut rng, i, now(), fleet.engineers());
            let (one, pre) = match (d.candidates(&fleet, &t, now()), prepared.candidates(&t)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a.to_string(), b.to_string());
                    continue;
                }
                (a, b) => {
                    return Err(TestCaseError::fail(format!("one-shot {a:?} vs prepared {b:?}")));
                }
            };
            // Through JSON, so that NaN costs compare equal.
            prop_assert_eq!(
                serde_json::to_string(&one).unwrap(),
                serde_json::to_string(&pre).unwrap(),
                "one-shot vs prepared ranking of {}\n{}", t.id, source
            );
            prop_assert!(one.eligible.len() <= cap);
            for c in &one.eligible {
                let e = fleet.get(&c.engineer).expect("listed engineers exist");
                let x = policy.explain(&t, e, now()).expect("explain");
                prop_assert!(x.eligible, "{} ranked but refused by {:?}", c.engineer, x.rejected_by);
                let want = interpreted(&x);
                let got = c.cost;
                prop_assert!(
                    same(got.travel, want.travel)
                        && same(got.load, want.load)
                        && same(got.overqualification, want.overqualification)
                        && same(got.other, want.other)
                        && same(got.total, want.total + got.time),
                    "breakdown of {}/{}: {:?} vs {:?}\n{}", t.id, c.engineer, got, want, source
                );
            }
            for r in &one.rejected {
                let e = fleet.get(&r.engineer).expect("listed engineers exist");
                let x = policy.explain(&t, e, now()).expect("explain");
                // Refused by a rule, full, or short of time (the time model is not a rule).
                prop_assert!(
                    !x.eligible || e.remaining_capacity() == 0 || r.violation.constraint() == dispatchkit::Constraint::Time,
                    "{} listed as rejected ({:?}) but accepted", r.engineer, r.violation
                );
            }
            // Skill rejections report the engineer's own level in the category triage asks for,
            // and the level it requires (`HARDER` raises it for gold customers), read from the
            // prepared fleet's skill table or from the engineer in a one-shot ranking.
            let triage = policy.triage(&t, now()).expect("triage");
            for r in &one.rejected {
                if let dispatchkit::Violation::Skill { skill, level, required } = &r.violation {
                    let e = fleet.get(&r.engineer).expect("listed engineers exist");
                    prop_assert_eq!(&**skill, triage.category.as_str());
                    prop_assert_eq!(*level, e.skill_level(&triage.category));
                    prop_assert_eq!(*required, triage.min_level);
                }
            }
        }
    }
}

/// The time model prices a pair with the ticket as triage left it: a derive that sets the SLA due
/// time and raises the priority costs the same lateness as a ticket that came with them.
#[test]
fn the_time_model_reads_the_ticket_after_triage() {
    use chrono::Duration;
    use dispatchkit::{Customer, Engineer, LatLon, Priority, Shift, Ticket, Tier};

    let rules = "require reach: travel <= 100km\npenalize distance 1 per km: travel\n";
    let plain = Policy::parse(
        "plain.policy",
        &format!("policy \"plain\" version 1\n{rules}"),
    )
    .expect("valid");
    let rush = Policy::parse(
        "rush.policy",
        &format!(
            "policy \"rush\" version 1\n\
             derive rush when ticket.customer.tier == vip {{\n\
                 ticket.sla_due = now() + 20min\n\
                 ticket.priority = P1\n\
             }}\n{rules}"
        ),
    )
    .expect("valid");
    // One engineer about 33 km north: more than 20 minutes away at any default speed.
    let mut e = Engineer::new("E1", LatLon::new(52.3, 4.0), 3);
    e.shift = Some(Shift {
        start: now() - Duration::hours(1),
        end: now() + Duration::hours(8),
    });
    let fleet = Fleet::new(vec![e]).expect("fleet");
    let mut t =
        Ticket::new("T1", LatLon::new(52.0, 4.0), "network", now()).with_priority(Priority::P3);
    t.customer = Some(Customer {
        id: "C1".into(),
        tier: Tier::Vip,
        last_engineer: None,
        excluded_engineers: vec![],
    });
    let time_of = |policy: &Policy, t: &Ticket| {
        let d = Dispatcher::with_policy(Config::default(), policy.clone());
        let r = d.candidates(&fleet, t, now()).expect("ranking");
        assert_eq!(r.eligible.len(), 1, "{r:?}");
        r.eligible[0].cost.time
    };
    let mut given = t.clone();
    given.sla_due = Some(now() + Duration::minutes(20));
    given.priority = Priority::P1;
    let derived = time_of(&rush, &t);
    assert!(derived > 0.0, "a 20-minute SLA 33 km away is late");
    assert_eq!(derived, time_of(&plain, &given));
    // Without the derive the ticket has no due time, so nothing is late.
    assert_eq!(time_of(&plain, &t), 0.0);
}

/// A prepared fleet is shared by threads ranking at once (each takes its own scratch from the
/// pool) and answers each of them as it answers one caller.
#[test]
fn a_prepared_fleet_ranks_from_several_threads_at_once() {
    fn shared<T: Send + Sync>(_: &T) {}
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let fleet = Fleet::new(policy_gen::engineers(&mut rng, 300, now())).expect("fleet");
    let tickets: Vec<_> = (0..40)
        .map(|i| policy_gen::ticket(&mut rng, i, now(), fleet.engineers()))
        .collect();
    let d = Dispatcher::new(Config::default().max_candidates(4));
    let prepared = d.prepare(&fleet, now()).expect("prepare");
    shared(&prepared);
    let alone: Vec<_> = tickets
        .iter()
        .map(|t| prepared.candidates(t).expect("ranking"))
        .collect();
    assert!(alone.iter().any(|r| !r.eligible.is_empty()));
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    tickets
                        .iter()
                        .map(|t| prepared.candidates(t).expect("ranking"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for run in runs {
            assert_eq!(run.join().expect("thread"), alone);
        }
    });
}
