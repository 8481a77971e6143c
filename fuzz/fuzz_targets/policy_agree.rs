//! Arbitrary policies on a fixed small fleet: the compiled fast path must agree with the reference
//! interpreter on every pair (first failing rule, and the cost of every accepted pair).
#![no_main]

use chrono::{DateTime, Duration, Utc};
use dispatchkit::rules::{Limits, Options, Policy, ScreenScratch};
use dispatchkit::{Customer, Engineer, LatLon, Shift, Ticket, Tier, geo::distance_km};
use libfuzzer_sys::fuzz_target;

fn fleet(now: DateTime<Utc>) -> Vec<Engineer> {
    (0..9)
        .map(|i| {
            let f = f64::from(i);
            let mut e = Engineer::new(
                format!("e{i}"),
                LatLon::new(52.0 + f * 0.03, 4.0 - f * 0.02),
                i % 4,
            );
            e.open_tickets = i % 3;
            if i % 3 != 0 {
                e.skills.insert("a".into(), (i % 6) as u8);
            }
            if i % 2 == 0 {
                e.skills.insert("b".into(), 3);
                e.team = Some(["red", "blue"][(i / 2 % 2) as usize].into());
            }
            if i % 4 == 1 {
                e.territory = Some("west".into());
                e.shift = Some(Shift {
                    start: now - Duration::hours(1),
                    end: now + Duration::minutes(i64::from(i) * 20),
                });
            }
            if i % 5 == 2 {
                e.last_assigned_at = Some(now - Duration::minutes(i64::from(i) * 37));
            }
            e
        })
        .collect()
}

fn tickets(now: DateTime<Utc>) -> Vec<Ticket> {
    (0..4)
        .map(|i| {
            let f = f64::from(i);
            let mut t = Ticket::new(
                format!("t{i}"),
                LatLon::new(52.05 + f * 0.02, 3.98 + f * 0.01),
                ["a", "b"][i as usize % 2],
                now - Duration::minutes(i64::from(i) * 45),
            );
            t.min_level = (i % 4) as u8;
            if i % 2 == 1 {
                t.customer = Some(Customer {
                    id: format!("c{i}"),
                    tier: [Tier::Standard, Tier::Gold, Tier::Vip][i as usize % 3],
                    last_engineer: Some("e3".into()),
                    excluded_engineers: vec!["e1".into(), "e4".into()],
                });
                t.sla_due = Some(now + Duration::minutes(i64::from(i) * 50));
            }
            t
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = Options {
        limits: Limits {
            max_source_bytes: 16 << 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    let Ok(policy) = Policy::parse_with("fuzz.policy", text, &options) else {
        return;
    };
    let now: DateTime<Utc> = DateTime::from_timestamp(1_772_445_600, 0).expect("time");
    let engineers = fleet(now);
    let Ok(eval) = policy.evaluator(&engineers, now) else {
        return;
    };
    let mut scratch = ScreenScratch::default();
    let idx: Vec<u32> = (0..engineers.len() as u32).collect();
    for t in tickets(now) {
        let Ok(mut prepared) = eval.ticket(&t) else {
            continue;
        };
        let travel: Vec<f64> = engineers
            .iter()
            .map(|e| distance_km(t.location, e.location))
            .collect();
        let mut ff = vec![0u16; idx.len()];
        let mut cost = vec![0.0; idx.len()];
        eval.screen(
            &mut prepared,
            &idx,
            &travel,
            &mut ff,
            &mut cost,
            &mut scratch,
        );
        for (k, &e) in idx.iter().enumerate() {
            let (want_ff, want_cost) = eval.interpret(&prepared, e, travel[k]);
            let got_ff = (ff[k] != u16::MAX).then_some(usize::from(ff[k]));
            assert_eq!(
                got_ff, want_ff,
                "first failing rule differs for {} / e{e}:\n{text}",
                t.id
            );
            if want_ff.is_none() {
                assert!(
                    cost[k].to_bits() == want_cost.to_bits() || cost[k] == want_cost,
                    "cost {} vs {} for {} / e{e}:\n{text}",
                    cost[k],
                    want_cost,
                    t.id
                );
            }
        }
    }
});
