//! The rule language: 20 rules over a million (ticket, engineer) pairs on one core, and compiling
//! a 200-rule policy.

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use dispatchkit::geo::distance_km;
use dispatchkit::rules::{Policy, ScreenScratch};
use dispatchkit::{Customer, Engineer, EngineerId, LatLon, Priority, Shift, Ticket, Tier};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 8 requires and 12 scores, the mix a real service desk writes.
const TWENTY_RULES: &str = r#"
policy "bench" version 1
region "north": polygon [(52.0, 3.5), (52.6, 3.5), (52.6, 4.5), (52.0, 4.5)]

require reach:        travel <= 60km
require skill:        engineer.skill(ticket.category) >= ticket.min_level
require on_shift:     engineer.on_shift(now() + travel_time)
require team when exists(ticket.team): engineer.team ?? "" == ticket.team
require not_excluded: !(engineer.id in ticket.customer.excluded_engineers)
require room:         engineer.open_tickets < engineer.capacity
require territory when exists(ticket.region): engineer.territory ?? "" == ticket.region
require quick when ticket.priority == P1: travel_time <= 45min

penalize distance      1 per km:     travel
penalize busy          2 per ticket: min(engineer.open_tickets, 50)
penalize overqualified 0.5 per level: engineer.skill(ticket.category) - ticket.min_level
prefer   continuity   20 when exists(ticket.customer.last_engineer): ticket.customer.last_engineer == engineer.id
prefer   expertise     4: scale engineer.skill(ticket.category) from 3 to 5
prefer   idle          3: engineer.open_tickets == 0
prefer   rotation      2: scale now() - (engineer.last_assigned_at ?? now() - 24h) from 0h to 24h
penalize eta         0.1 per min: min(travel_time, 120min)
prefer   senior        5 when exists(engineer.team): engineer.team == "senior" && ticket.priority <= P2
penalize far_vip       3 per km when ticket.customer.tier == vip: min(travel, 60km)
prefer   home          2 when exists(engineer.region): engineer.region == ticket.region ?? ""
penalize shallow       1: scale engineer.skill(ticket.category) from 5 to 0
"#;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_445_600, 0).expect("time")
}

fn fleet(n: usize, rng: &mut ChaCha8Rng) -> Vec<Engineer> {
    (0..n)
        .map(|i| {
            let mut e = Engineer::new(
                format!("E{i:05}"),
                LatLon::new(
                    52.0 + rng.random_range(-0.5..0.5),
                    4.0 + rng.random_range(-0.7..0.7),
                ),
                rng.random_range(2..9),
            );
            e.open_tickets = rng.random_range(0..e.capacity);
            for s in ["network", "printers", "hvac", "power"] {
                if rng.random_range(0..3) > 0 {
                    e.skills.insert(s.into(), rng.random_range(1..6));
                }
            }
            e.team = Some(["senior", "regular", "field"][i % 3].into());
            e.territory = (i % 2 == 0).then(|| "north".into());
            e.shift = Some(Shift {
                start: now() - Duration::hours(2),
                end: now() + Duration::hours(rng.random_range(1..9)),
            });
            e.last_assigned_at =
                (i % 4 != 0).then(|| now() - Duration::minutes(rng.random_range(0..900)));
            e
        })
        .collect()
}

fn tickets(n: usize, rng: &mut ChaCha8Rng, engineers: &[Engineer]) -> Vec<Ticket> {
    (0..n)
        .map(|i| {
            let mut t = Ticket::new(
                format!("T{i:05}"),
                LatLon::new(
                    52.0 + rng.random_range(-0.5..0.5),
                    4.0 + rng.random_range(-0.7..0.7),
                ),
                ["network", "printers", "hvac", "power"][i % 4],
                now() - Duration::minutes(rng.random_range(0..600)),
            )
            .with_min_level(rng.random_range(1..4))
            .with_priority(Priority::ALL[i % 4]);
            let pick = |rng: &mut ChaCha8Rng| {
                EngineerId(engineers[rng.random_range(0..engineers.len())].id.0.clone())
            };
            t.customer = Some(Customer {
                id: format!("C{}", i % 97),
                tier: [Tier::Standard, Tier::Gold, Tier::Vip][i % 3],
                last_engineer: Some(pick(rng)),
                excluded_engineers: vec![pick(rng), pick(rng)],
            });
            t
        })
        .collect()
}

fn million_pairs(c: &mut Criterion) {
    let policy = Policy::parse("bench.policy", TWENTY_RULES).expect("valid policy");
    assert_eq!(policy.require_names().len(), 8);
    assert_eq!(policy.rules().len(), 20);
    eprintln!("{:?}", policy.program_stats());
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let engineers = fleet(1000, &mut rng);
    let tickets = tickets(1000, &mut rng, &engineers);
    let idx: Vec<u32> = (0..engineers.len() as u32).collect();
    let travel: Vec<Vec<f64>> = tickets
        .iter()
        .map(|t| {
            engineers
                .iter()
                .map(|e| distance_km(t.location, e.location))
                .collect()
        })
        .collect();
    let mut ff = vec![0u16; idx.len()];
    let mut cost = vec![0.0; idx.len()];
    let mut scratch = ScreenScratch::default();
    let mut group = c.benchmark_group("rules");
    group.sample_size(20);
    group.bench_function("20 rules x 1M pairs (1 thread)", |b| {
        b.iter(|| {
            let eval = policy.evaluator(&engineers, now()).expect("evaluator");
            let mut eligible = 0usize;
            for (t, d) in tickets.iter().zip(&travel) {
                let mut p = eval.ticket(t).expect("ticket");
                eval.screen(&mut p, &idx, d, &mut ff, &mut cost, &mut scratch);
                eligible += ff.iter().filter(|&&f| f == u16::MAX).count();
            }
            eligible
        })
    });
    let mut many = String::from(
        "policy \"many\" version 1\nfield ticket.contract: enum { standard, gold, vip }\n",
    );
    for i in 0..100 {
        many.push_str(&format!(
            "require r{i} when ticket.contract == vip: engineer.skill(\"s{}\") >= {} || travel <= {}km\n",
            i % 7,
            i % 5,
            10 + i
        ));
        many.push_str(&format!(
            "prefer p{i} {}: scale engineer.open_tickets from 0 to {}\n",
            1 + i % 9,
            5 + i % 11
        ));
    }
    assert_eq!(
        Policy::parse("many.policy", &many)
            .expect("valid")
            .rules()
            .len(),
        200
    );
    group.bench_function("compile 200 rules", |b| {
        b.iter(|| {
            Policy::parse("many.policy", &many)
                .expect("valid")
                .rules()
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, million_pairs);
criterion_main!(benches);
