//! The solvers against each other and against an independent oracle.
//!
//! On tiny random networks (at most 6 tickets and 4 engineers) a brute force enumerates every
//! assignment; the flow solver and the LP must both reach its optimum, every answer must be feasible
//! with the objective it claims, and the greedy baseline must never beat it. The OR-Library assignment
//! instances check the exact solvers against published optima.

use std::fs::File;
use std::io::BufReader;

use dispatchkit::solve::{Network, NetworkSolution, flow, greedy, lp};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// A fixed seed keeps every run on the same cases.
const SEED: u64 = 0x0d15_7a7c_4b17;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Convex load costs for the given capacities: a start in `start`, then steps of 0 to 20.
fn load_costs(
    capacity: Vec<u32>,
    start: std::ops::RangeInclusive<i64>,
) -> impl Strategy<Value = Vec<Vec<i64>>> {
    let per_engineer: Vec<_> = capacity
        .into_iter()
        .map(|c| {
            (start.clone(), vec(0..=20i64, c as usize)).prop_map(|(first, steps)| {
                steps
                    .iter()
                    .scan(first, |cost, step| {
                        let this = *cost;
                        *cost += step;
                        Some(this)
                    })
                    .collect()
            })
        })
        .collect();
    per_engineer
}

/// Tiny networks: up to 6 tickets, 4 engineers of capacity 0 to 3, each (ticket, engineer) pair an arc
/// with probability 0.6 and a cost in `cost`, penalties 0 to 200, and load costs starting in
/// `load_start` when given.
fn networks(
    cost: std::ops::RangeInclusive<i64>,
    load_start: Option<std::ops::RangeInclusive<i64>>,
) -> impl Strategy<Value = Network> {
    (0..=6usize, 0..=4usize)
        .prop_flat_map(move |(n, m)| {
            (
                vec(0..=3u32, m),
                vec(0..=200i64, n),
                vec(option::weighted(0.6, cost.clone()), n * m),
            )
        })
        .prop_flat_map(move |(capacity, penalty, arcs)| {
            let load = match &load_start {
                Some(start) => load_costs(capacity.clone(), start.clone())
                    .prop_map(Some)
                    .boxed(),
                None => Just(None).boxed(),
            };
            (Just(capacity), Just(penalty), Just(arcs), load)
        })
        .prop_map(|(capacity, penalty, arcs, load)| {
            let m = capacity.len();
            let arcs = arcs
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.map(|c| ((i / m) as u32, (i % m) as u32, c)))
                .collect();
            let net = Network::new(capacity, penalty, arcs).unwrap();
            match load {
                Some(load) => net.with_load_costs(load).unwrap(),
                None => net,
            }
        })
}

/// The optimum by enumerating every assignment (each ticket to nothing or to one of its arcs, within
/// capacity). Shares no code with the solvers or with `Network::evaluate`.
fn brute_force(net: &Network) -> i64 {
    fn go(net: &Network, t: usize, load: &mut [u32], cost: i64) -> i64 {
        if t == net.tickets() {
            let load_cost: i64 = match net.load_costs() {
                Some(costs) => (0..net.engineers())
                    .map(|e| costs[e][..load[e] as usize].iter().sum::<i64>())
                    .sum(),
                None => 0,
            };
            return cost + load_cost;
        }
        let mut best = go(net, t + 1, load, cost + net.penalty(t));
        for (e, c) in net.arcs_of(t) {
            let e = e as usize;
            if load[e] < net.capacity(e) {
                load[e] += 1;
                best = best.min(go(net, t + 1, load, cost + c));
                load[e] -= 1;
            }
        }
        best
    }
    go(net, 0, &mut vec![0; net.engineers()], 0)
}

/// Every ticket accounted for once, the solution feasible and its objective what it claims.
fn check_solution(net: &Network, sol: &NetworkSolution) -> Result<(), TestCaseError> {
    prop_assert_eq!(sol.assignment.len(), net.tickets());
    prop_assert_eq!(net.evaluate(&sol.assignment), Ok(sol.objective));
    Ok(())
}

/// The flow and the LP both reach the brute-force optimum; greedy is feasible and not better.
fn check_all(net: &Network) -> Result<(), TestCaseError> {
    let optimum = brute_force(net);
    let by_flow = flow::solve(net);
    check_solution(net, &by_flow)?;
    prop_assert_eq!(by_flow.objective, optimum, "flow");
    // Both exact flow methods, separately: the default may pick either.
    let by_ssp = flow::ssp::solve(net);
    check_solution(net, &by_ssp)?;
    prop_assert_eq!(by_ssp.objective, optimum, "shortest paths");
    let by_auction = flow::auction::solve(net).expect("small costs scale");
    check_solution(net, &by_auction)?;
    prop_assert_eq!(by_auction.objective, optimum, "auction");
    if net.load_costs().is_none() {
        let by_transport = flow::transport::solve(net).expect("small costs scale");
        check_solution(net, &by_transport)?;
        prop_assert_eq!(by_transport.objective, optimum, "transport");
    } else {
        prop_assert!(
            flow::transport::solve(net).is_none(),
            "transport declines load costs"
        );
    }
    let by_lp = lp::solve(net).unwrap();
    check_solution(net, &by_lp)?;
    prop_assert_eq!(by_lp.objective, optimum, "lp");
    let by_greedy = greedy::solve(net);
    check_solution(net, &by_greedy)?;
    prop_assert!(by_greedy.objective >= optimum, "greedy beats the optimum");
    Ok(())
}

/// The LP and greedy alone against the brute force (independent of the flow solver).
fn check_lp_and_greedy(net: &Network) -> Result<(), TestCaseError> {
    let optimum = brute_force(net);
    let by_lp = lp::solve(net).unwrap();
    check_solution(net, &by_lp)?;
    prop_assert_eq!(by_lp.objective, optimum, "lp");
    let by_greedy = greedy::solve(net);
    check_solution(net, &by_greedy)?;
    prop_assert!(by_greedy.objective >= optimum, "greedy beats the optimum");
    Ok(())
}

/// Networks whose tickets have priority levels 0 (highest) to 3, with penalty
/// `base + gap·(3 − level)` and `gap` larger than the spread of arc costs (0 to 50), so that serving a
/// higher level always outweighs any difference in arc cost. Optionally with load costs.
fn prioritised(with_load: bool) -> impl Strategy<Value = (Network, Vec<u8>)> {
    const GAP: i64 = 51;
    (0..=6usize, 0..=4usize)
        .prop_flat_map(move |(n, m)| {
            (
                vec(0..=3u32, m),
                vec(0..=3u8, n),
                0..=20i64,
                vec(option::weighted(0.6, 0..=50i64), n * m),
            )
        })
        .prop_flat_map(move |(capacity, levels, base, arcs)| {
            let load = if with_load {
                load_costs(capacity.clone(), 0..=30).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            (Just(capacity), Just(levels), Just(base), Just(arcs), load)
        })
        .prop_map(|(capacity, levels, base, arcs, load)| {
            let m = capacity.len();
            let penalty = levels
                .iter()
                .map(|&l| base + GAP * (3 - i64::from(l)))
                .collect();
            let arcs = arcs
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.map(|c| ((i / m) as u32, (i % m) as u32, c)))
                .collect();
            let mut net = Network::new(capacity, penalty, arcs).unwrap();
            if let Some(load) = load {
                net = net.with_load_costs(load).unwrap();
            }
            (net, levels)
        })
}

/// No higher-priority ticket is left out while a lower-priority one holds an engineer it could use.
fn check_lexicographic(
    net: &Network,
    levels: &[u8],
    sol: &NetworkSolution,
) -> Result<(), TestCaseError> {
    for (t1, a1) in sol.assignment.iter().enumerate() {
        if a1.is_some() {
            continue;
        }
        for (t2, a2) in sol.assignment.iter().enumerate() {
            if let Some(e) = *a2 {
                prop_assert!(
                    !(levels[t1] < levels[t2] && net.arc_cost_of(t1, e).is_some()),
                    "ticket {} (level {}) is unassigned while ticket {} (level {}) holds engineer {}",
                    t1,
                    levels[t1],
                    t2,
                    levels[t2],
                    e
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn flow_and_lp_reach_the_brute_force_optimum(net in networks(0..=50, None)) {
        check_all(&net)?;
    }

    #[test]
    fn flow_and_lp_reach_the_brute_force_optimum_with_load_costs(
        net in networks(0..=50, Some(0..=30)),
    ) {
        check_all(&net)?;
    }

    /// Costs and load costs may be negative within the model's limits.
    #[test]
    fn flow_and_lp_reach_the_brute_force_optimum_with_negative_costs(
        net in networks(-20..=50, Some(-15..=30)),
    ) {
        check_all(&net)?;
    }

    #[test]
    fn lp_and_greedy_against_brute_force(net in networks(0..=50, None)) {
        check_lp_and_greedy(&net)?;
    }

    #[test]
    fn lp_and_greedy_against_brute_force_with_load_costs(
        net in networks(-20..=50, Some(-15..=30)),
    ) {
        check_lp_and_greedy(&net)?;
    }

    #[test]
    fn flow_priority_is_lexicographic((net, levels) in prioritised(false)) {
        check_lexicographic(&net, &levels, &flow::solve(&net))?;
    }

    #[test]
    fn flow_priority_is_lexicographic_with_load_costs((net, levels) in prioritised(true)) {
        check_lexicographic(&net, &levels, &flow::solve(&net))?;
    }

    /// The property holds for every optimum, so the LP must satisfy it too.
    #[test]
    fn lp_priority_is_lexicographic((net, levels) in prioritised(true)) {
        check_lexicographic(&net, &levels, &lp::solve(&net).unwrap())?;
    }
}

/// Networks of 20–60 tickets and 3–12 engineers, each ticket with up to 6 arcs, costs on a coarse
/// grid (many ties) and total capacity from far below to above the tickets: large enough for several
/// ε-scaling phases, so the transportation auction's price lowering between phases runs.
fn mid_networks() -> impl Strategy<Value = Network> {
    (20..=60usize, 3..=12usize)
        .prop_flat_map(|(n, m)| {
            (
                vec(0..=5u32, m),
                vec(0..=40i64, n),
                vec(vec((0..m as u32, 0..=40i64), 0..=6), n),
            )
        })
        .prop_map(|(capacity, penalty, rows)| {
            let penalty = penalty.iter().map(|p| p * 25).collect();
            let mut arcs = Vec::new();
            for (t, row) in rows.iter().enumerate() {
                let mut seen = Vec::new();
                for &(e, c) in row {
                    if !seen.contains(&e) {
                        seen.push(e);
                        arcs.push((t as u32, e, c * 25));
                    }
                }
            }
            Network::new(capacity, penalty, arcs).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..config() })]

    /// The transportation auction (several phases, prices lowered between them) against successive
    /// shortest paths, an exact method that shares nothing with it, which the tests above hold to
    /// brute force.
    #[test]
    fn transport_matches_shortest_paths_on_mid_sized_networks(net in mid_networks()) {
        let by_transport = flow::transport::solve(&net).expect("small costs scale");
        check_solution(&net, &by_transport)?;
        let by_ssp = flow::ssp::solve(&net);
        check_solution(&net, &by_ssp)?;
        prop_assert_eq!(by_transport.objective, by_ssp.objective);
    }
}

fn or_library(name: &str) -> Network {
    let path = format!(
        "{}/../shared/data/assign/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = File::open(&path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    Network::read(BufReader::new(file)).unwrap()
}

#[test]
fn lp_reaches_the_published_optimum_of_assign100() {
    let net = or_library("assign100.txt");
    let sol = lp::solve(&net).unwrap();
    assert_eq!(sol.assigned(), 100);
    assert_eq!(sol.objective, 305);
}

#[test]
fn flow_reaches_the_published_optimum_of_assign100() {
    let net = or_library("assign100.txt");
    let sol = flow::solve(&net);
    assert_eq!(sol.assigned(), 100);
    assert_eq!(net.evaluate(&sol.assignment), Ok(305));
    assert_eq!(sol.objective, 305);
}

#[test]
fn flow_reaches_the_published_optimum_of_assign200() {
    let net = or_library("assign200.txt");
    let sol = flow::solve(&net);
    assert_eq!(sol.assigned(), 200);
    assert_eq!(net.evaluate(&sol.assignment), Ok(475));
    assert_eq!(sol.objective, 475);
}

/// The simplex on 40,000 columns takes about 70 s in a release build and over 8 minutes in debug.
#[test]
#[ignore = "slow: run with `cargo test --release --test oracle -- --ignored`"]
fn lp_reaches_the_published_optimum_of_assign200() {
    let net = or_library("assign200.txt");
    let sol = lp::solve(&net).unwrap();
    assert_eq!(sol.assigned(), 200);
    assert_eq!(sol.objective, 475);
}
