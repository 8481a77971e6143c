//! The general (hours and limits) model against independent oracles.
//!
//! On tiny random instances (at most 6 tickets and 3 engineers, with minutes per arc, hour budgets,
//! load costs and a side limit) a brute force enumerates every assignment; the MIP must reach its
//! optimum, prove it, and return a feasible assignment whose objective is what it claims. With every
//! duration 1 and the count capacities written as hour budgets instead, the MIP must agree with the
//! exact flow solver on the plain network. The published GAP optima of `gap1.txt` close the loop on
//! real data.

use std::time::Duration;

use dispatchkit::solve::mip::{self, Measure, MipModel, MipOptions, MipStatus, SideLimit};
use dispatchkit::solve::{Network, flow, gap};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// A fixed seed keeps every run on the same cases.
const SEED: u64 = 0x006a_94e1_10b5;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A tiny instance, kept as plain data so the brute force shares nothing with the model.
#[derive(Debug, Clone)]
struct Tiny {
    capacity: Vec<u32>,
    penalty: Vec<i64>,
    /// `(ticket, engineer, cost, minutes)`.
    arcs: Vec<(u32, u32, i64, u64)>,
    budget: Vec<Option<u64>>,
    /// Convex load costs per engineer (`capacity` entries each), when set.
    load: Option<Vec<Vec<i64>>>,
    limit: Option<(Vec<u32>, Measure, u64)>,
}

impl Tiny {
    fn model(&self) -> MipModel {
        let arcs = self.arcs.iter().map(|&(t, e, c, _)| (t, e, c)).collect();
        let mut net = Network::new(self.capacity.clone(), self.penalty.clone(), arcs).unwrap();
        if let Some(load) = &self.load {
            net = net.with_load_costs(load.clone()).unwrap();
        }
        let minutes = |t: usize, e: u32| {
            self.arcs
                .iter()
                .find(|a| a.0 as usize == t && a.1 == e)
                .map(|a| a.3)
                .unwrap()
        };
        let model = MipModel::new(net, minutes, self.budget.clone()).unwrap();
        let limits = self
            .limit
            .iter()
            .map(|(engineers, measure, max)| SideLimit {
                engineers: engineers.clone(),
                measure: *measure,
                max: *max,
            })
            .collect();
        model.with_limits(limits).unwrap()
    }

    /// The optimum by enumerating every assignment.
    fn brute_force(&self) -> i64 {
        let n = self.penalty.len();
        let m = self.capacity.len();
        let mut choice: Vec<Option<usize>> = vec![None; n];
        let mut best = i64::MAX;
        self.go(0, &mut choice, &mut best, m);
        best
    }

    fn go(&self, t: usize, choice: &mut Vec<Option<usize>>, best: &mut i64, m: usize) {
        if t == choice.len() {
            if let Some(v) = self.value(choice, m) {
                *best = (*best).min(v);
            }
            return;
        }
        choice[t] = None;
        self.go(t + 1, choice, best, m);
        for (i, a) in self.arcs.iter().enumerate() {
            if a.0 as usize == t {
                choice[t] = Some(i);
                self.go(t + 1, choice, best, m);
            }
        }
        choice[t] = None;
    }

    /// The objective of a choice of arcs, or `None` when it breaks a constraint.
    fn value(&self, choice: &[Option<usize>], m: usize) -> Option<i64> {
        let mut count = vec![0u32; m];
        let mut minutes = vec![0u64; m];
        let mut total = 0i64;
        for (t, c) in choice.iter().enumerate() {
            match *c {
                None => total += self.penalty[t],
                Some(i) => {
                    let (_, e, cost, mins) = self.arcs[i];
                    count[e as usize] += 1;
                    minutes[e as usize] += mins;
                    total += cost;
                }
            }
        }
        for e in 0..m {
            if count[e] > self.capacity[e] || self.budget[e].is_some_and(|b| minutes[e] > b) {
                return None;
            }
            if let Some(load) = &self.load {
                total += load[e][..count[e] as usize].iter().sum::<i64>();
            }
        }
        if let Some((engineers, measure, max)) = &self.limit {
            let used: u64 = engineers
                .iter()
                .map(|&e| match measure {
                    Measure::Tickets => u64::from(count[e as usize]),
                    Measure::Minutes => minutes[e as usize],
                })
                .sum();
            if used > *max {
                return None;
            }
        }
        Some(total)
    }
}

fn tiny() -> impl Strategy<Value = Tiny> {
    (0..=6usize, 1..=3usize)
        .prop_flat_map(|(n, m)| {
            (
                vec(0..=3u32, m),
                vec(0..=200i64, n),
                vec(option::weighted(0.7, (0..=60i64, 0..=6u64)), n * m),
                vec(option::weighted(0.7, 0..=10u64), m),
                any::<bool>(),
                option::weighted(0.5, (vec(any::<bool>(), m), any::<bool>(), 0..=8u64)),
            )
        })
        .prop_flat_map(|(capacity, penalty, arcs, budget, with_load, limit)| {
            let load = if with_load {
                capacity
                    .iter()
                    .map(|&c| {
                        (0..=10i64, vec(0..=15i64, c as usize)).prop_map(|(first, steps)| {
                            steps
                                .iter()
                                .scan(first, |cost, step| {
                                    let this = *cost;
                                    *cost += step;
                                    Some(this)
                                })
                                .collect::<Vec<i64>>()
                        })
                    })
                    .collect::<Vec<_>>()
                    .prop_map(Some)
                    .boxed()
            } else {
                Just(None).boxed()
            };
            (
                Just(capacity),
                Just(penalty),
                Just(arcs),
                Just(budget),
                load,
                Just(limit),
            )
        })
        .prop_map(|(capacity, penalty, arcs, budget, load, limit)| {
            let m = capacity.len();
            let arcs = arcs
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.map(|(c, mins)| ((i / m) as u32, (i % m) as u32, c, mins)))
                .collect();
            let limit = limit.and_then(|(members, minutes, max)| {
                let engineers: Vec<u32> = members
                    .iter()
                    .enumerate()
                    .filter(|&(_, &on)| on)
                    .map(|(e, _)| e as u32)
                    .collect();
                let measure = if minutes {
                    Measure::Minutes
                } else {
                    Measure::Tickets
                };
                (!engineers.is_empty()).then_some((engineers, measure, max))
            });
            Tiny {
                capacity,
                penalty,
                arcs,
                budget,
                load,
                limit,
            }
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// The MIP proves the brute-force optimum, and its answer is feasible with the objective it
    /// claims.
    #[test]
    fn mip_reaches_the_brute_force_optimum(case in tiny()) {
        let model = case.model();
        let optimum = case.brute_force();
        let sol = mip::solve(&model, &MipOptions::default()).unwrap();
        prop_assert_eq!(model.evaluate(&sol.assignment), Ok(sol.objective));
        prop_assert_eq!(sol.objective, optimum);
        prop_assert_eq!(sol.bound, optimum);
        prop_assert_eq!(sol.status, MipStatus::Optimal);
        prop_assert_eq!(sol.note, None);
    }

    /// With no time at all the answer is still feasible, and the bound is a true lower bound.
    #[test]
    fn without_time_the_answer_is_feasible_and_bounded(case in tiny()) {
        let model = case.model();
        let optimum = case.brute_force();
        let options = MipOptions { time_limit: Duration::ZERO, ..MipOptions::default() };
        let sol = mip::solve(&model, &options).unwrap();
        prop_assert_eq!(model.evaluate(&sol.assignment), Ok(sol.objective));
        prop_assert!(sol.bound <= optimum && optimum <= sol.objective);
        prop_assert_eq!(sol.status == MipStatus::Optimal, sol.objective == sol.bound);
    }

    /// Durations all 1 and the count capacities moved into hour budgets: the same problem as the
    /// plain network, which the flow solver answers exactly.
    #[test]
    fn unit_durations_agree_with_the_flow_solver(case in tiny()) {
        let arcs: Vec<(u32, u32, i64)> = case.arcs.iter().map(|&(t, e, c, _)| (t, e, c)).collect();
        let net = Network::new(case.capacity.clone(), case.penalty.clone(), arcs.clone()).unwrap();
        let by_flow = flow::solve(&net);
        let n = case.penalty.len() as u32;
        let unlimited = Network::new(vec![n; case.capacity.len()], case.penalty.clone(), arcs).unwrap();
        let budget = case.capacity.iter().map(|&c| Some(u64::from(c))).collect();
        let model = MipModel::new(unlimited, |_, _| 1, budget).unwrap();
        let sol = mip::solve(&model, &MipOptions::default()).unwrap();
        prop_assert_eq!(sol.objective, by_flow.objective);
        prop_assert_eq!(sol.status, MipStatus::Optimal);
        prop_assert_eq!(net.evaluate(&sol.assignment), Ok(sol.objective));
    }
}

/// Published maximisation optima of `gap1.txt` (OR-Library), reached and proven.
#[test]
fn gap1_reaches_the_published_optima() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/gap/gap1.txt");
    let file = std::fs::File::open(path).expect("../shared/data/gap/gap1.txt is present");
    let instances = gap::read(std::io::BufReader::new(file)).unwrap();
    let published = [336, 327, 339, 341, 326];
    assert_eq!(instances.len(), published.len());
    for (instance, expected) in instances.iter().zip(published) {
        let model = instance.model(true).unwrap();
        let options = MipOptions {
            time_limit: Duration::from_secs(60),
            ..MipOptions::default()
        };
        let sol = mip::solve(&model, &options).unwrap();
        assert_eq!(sol.assigned(), instance.jobs);
        assert_eq!(instance.cost_of(&sol.assignment), expected);
        assert_eq!(instance.objective(true, sol.objective), expected);
        assert_eq!(instance.objective(true, sol.bound), expected);
        assert_eq!(sol.status, MipStatus::Optimal);
    }
}

/// Rejected inputs are typed errors, not panics.
#[test]
fn bad_models_are_errors() {
    let net = Network::new(vec![1], vec![5], vec![(0, 0, 1)]).unwrap();
    assert!(MipModel::new(net.clone(), |_, _| 1, vec![]).is_err());
    let model = MipModel::new(net, |_, _| 1, vec![Some(3)]).unwrap();
    let far = SideLimit {
        engineers: vec![7],
        measure: Measure::Tickets,
        max: 1,
    };
    assert!(model.clone().with_limits(vec![far]).is_err());
    let options = MipOptions {
        rel_gap: f64::NAN,
        ..MipOptions::default()
    };
    assert!(mip::solve(&model, &options).is_err());
}
