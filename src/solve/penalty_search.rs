//! A primal heuristic for hour-budget models: local search with shift and swap moves that may
//! overload engineers, paying a weight per overloaded minute, with the weights adapted at every
//! local optimum (raised where engineers are overloaded, lowered where they are not). This lets the
//! search cross infeasible ground between good feasible assignments, which plain feasible-only moves
//! (the repair's local search) cannot; on Generalized Assignment instances it finds much better
//! assignments than the Lagrangian stage's repair, and a good incumbent is what lets the exact
//! stages prune.
//!
//! Applies to the models of [`bb::applicable`](super::bb::applicable): no load costs, no side
//! limits, count capacities that cannot bind, so a ticket's cost depends on its own arc only and an
//! engineer's feasibility on its minutes only.
//!
//! The result is deterministic for a given input when the search stops on its own (after
//! [`STALL_ROUNDS`] rounds without a better assignment) rather than at the deadline.

use web_time::Instant;

use super::mip::MipModel;

/// Rounds (descents to a local optimum) without a better feasible assignment before the search
/// gives up.
const STALL_ROUNDS: usize = 1_000;

/// One arc of a ticket: engineer, cost, minutes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arc {
    pub(crate) engineer: usize,
    pub(crate) cost: i64,
    pub(crate) minutes: u64,
}

/// Small deterministic generator for kicks and perturbations (splitmix64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// What the local search reads of a model.
pub(crate) struct Arcs {
    /// Each ticket's arcs that fit, in the network's order.
    pub(crate) arcs: Vec<Vec<Arc>>,
    /// Each engineer's minutes (all of its arcs' minutes when it has no budget).
    pub(crate) budget: Vec<u64>,
    /// Each ticket's unassignment penalty.
    pub(crate) penalty: Vec<i64>,
    /// A typical cost per minute: the starting price of an overloaded minute.
    pub(crate) base_weight: f64,
}

impl Arcs {
    /// The arcs of `model` whose `fits` entry (in the network's arc order) is set; `None` when
    /// none does.
    pub(crate) fn of(model: &MipModel, fits: &[bool]) -> Option<Arcs> {
        let net = model.network();
        let n = net.tickets();
        let m = net.engineers();
        let mut arcs: Vec<Vec<Arc>> = vec![Vec::new(); n];
        let mut a = 0usize;
        let mut total_minutes = vec![0u64; m];
        for (t, list) in arcs.iter_mut().enumerate() {
            for (e, cost) in net.arcs_of(t) {
                if fits[a] {
                    let minutes = model.minutes_of(t, e).unwrap_or(0);
                    total_minutes[e as usize] += minutes;
                    list.push(Arc {
                        engineer: e as usize,
                        cost,
                        minutes,
                    });
                }
                a += 1;
            }
        }
        if arcs.iter().all(Vec::is_empty) {
            return None;
        }
        let budget: Vec<u64> = (0..m)
            .map(|e| model.budget(e).unwrap_or(total_minutes[e]))
            .collect();
        let penalty: Vec<i64> = (0..n).map(|t| net.penalty(t)).collect();
        let (mut cost_sum, mut minute_sum, mut count) = (0f64, 0f64, 0f64);
        for arc in arcs.iter().flatten() {
            cost_sum += arc.cost.abs() as f64;
            minute_sum += arc.minutes as f64;
            count += 1.0;
        }
        let base_weight = (cost_sum / minute_sum.max(1.0)).max(1.0 / count.max(1.0));
        Some(Arcs {
            arcs,
            budget,
            penalty,
            base_weight,
        })
    }
}

struct State {
    /// Per ticket: the index into its arc list, or `None` (unassigned, paying its penalty).
    at: Vec<Option<usize>>,
    load: Vec<u64>,
    /// Tickets held by each engineer.
    held: Vec<Vec<usize>>,
    cost: i64,
}

struct Search {
    arcs: Vec<Vec<Arc>>,
    penalty: Vec<i64>,
    budget: Vec<u64>,
    weight: Vec<f64>,
}

impl Search {
    fn excess(&self, e: usize, load: u64) -> f64 {
        load.saturating_sub(self.budget[e]) as f64
    }

    fn cost_of(&self, t: usize, i: Option<usize>) -> i64 {
        i.map_or(self.penalty[t], |i| self.arcs[t][i].cost)
    }

    /// The change of the penalised objective when engineer `e`'s load moves by `+add − sub`.
    fn load_delta(&self, state: &State, e: usize, add: u64, sub: u64) -> f64 {
        let before = state.load[e];
        let after = before + add - sub;
        self.weight[e] * (self.excess(e, after) - self.excess(e, before))
    }

    fn shift_delta(&self, state: &State, t: usize, to: Option<usize>) -> f64 {
        let from = state.at[t];
        let mut d = (self.cost_of(t, to) - self.cost_of(t, from)) as f64;
        if let Some(i) = from {
            let a = self.arcs[t][i];
            d += self.load_delta(state, a.engineer, 0, a.minutes);
        }
        if let Some(j) = to {
            let b = self.arcs[t][j];
            d += self.load_delta(state, b.engineer, b.minutes, 0);
        }
        d
    }

    fn apply_shift(&self, state: &mut State, t: usize, to: Option<usize>) {
        let from = state.at[t];
        state.cost += self.cost_of(t, to) - self.cost_of(t, from);
        if let Some(i) = from {
            let a = self.arcs[t][i];
            state.load[a.engineer] -= a.minutes;
            state.held[a.engineer].retain(|&u| u != t);
        }
        if let Some(j) = to {
            let b = self.arcs[t][j];
            state.load[b.engineer] += b.minutes;
            state.held[b.engineer].push(t);
        }
        state.at[t] = to;
    }

    fn feasible(&self, state: &State) -> bool {
        state.load.iter().zip(&self.budget).all(|(&l, &b)| l <= b)
    }

    /// One sweep of best-improvement moves per ticket (shift, then swap); whether anything moved.
    fn sweep(&self, state: &mut State) -> bool {
        const EPS: f64 = 1e-9;
        let mut moved = false;
        for t in 0..self.arcs.len() {
            // Best shift (to another arc or out).
            let mut best: (f64, Option<usize>) = (-EPS, state.at[t]);
            let options = (0..self.arcs[t].len()).map(Some).chain([None]);
            for to in options {
                if to == state.at[t] {
                    continue;
                }
                let d = self.shift_delta(state, t, to);
                if d < best.0 {
                    best = (d, to);
                }
            }
            if best.1 != state.at[t] {
                self.apply_shift(state, t, best.1);
                moved = true;
                continue;
            }
            // Best swap with a ticket `u` of another engineer that can take `t`.
            let Some(i) = state.at[t] else { continue };
            let a = self.arcs[t][i];
            let mut best_swap: Option<(f64, usize, usize, usize)> = None;
            for (j, b) in self.arcs[t].iter().enumerate() {
                let e1 = b.engineer;
                if e1 == a.engineer {
                    continue;
                }
                for &u in &state.held[e1] {
                    let Some(k) = state.at[u] else { continue };
                    let c = self.arcs[u][k];
                    let Some(l) = self.arcs[u].iter().position(|x| x.engineer == a.engineer) else {
                        continue;
                    };
                    let d_arc = self.arcs[u][l];
                    let mut d = (b.cost + d_arc.cost - a.cost - c.cost) as f64;
                    d += self.load_delta(state, a.engineer, d_arc.minutes, a.minutes);
                    d += self.load_delta(state, e1, b.minutes, c.minutes);
                    if d < best_swap.map_or(-EPS, |s| s.0) {
                        best_swap = Some((d, j, u, l));
                    }
                }
            }
            if let Some((_, j, u, l)) = best_swap {
                self.apply_shift(state, u, None);
                self.apply_shift(state, t, Some(j));
                self.apply_shift(state, u, Some(l));
                moved = true;
            }
        }
        moved
    }
}

/// Runs the search from the feasible assignment `start` (objective `start_objective`) until
/// `deadline`, over the arcs marked in `fits` (network order). Returns a feasible assignment that is
/// strictly better than the start, with its objective, or `None` when it found none.
pub(crate) fn improve(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
) -> Option<(Vec<Option<u32>>, i64)> {
    let net = model.network();
    let n = net.tickets();
    let m = net.engineers();
    let Arcs {
        arcs,
        budget,
        penalty,
        base_weight: base,
    } = Arcs::of(model, fits)?;
    let mut search = Search {
        arcs,
        penalty,
        budget,
        weight: vec![base; m],
    };
    let mut state = State {
        at: vec![None; n],
        load: vec![0; m],
        held: vec![Vec::new(); m],
        cost: search.penalty.iter().sum(),
    };
    for (t, e) in start.iter().enumerate() {
        if let Some(e) = *e {
            if let Some(i) = search.arcs[t].iter().position(|a| a.engineer == e as usize) {
                search.apply_shift(&mut state, t, Some(i));
            }
        }
    }
    let mut best_cost = start_objective;
    let mut best: Option<Vec<Option<usize>>> = None;
    let mut rng = Rng(0x5EED ^ n as u64 ^ ((m as u64) << 32));
    // Stop at the deadline, or once many rounds in a row found nothing better.
    let mut since_best = 0usize;
    while Instant::now() < deadline && since_best < STALL_ROUNDS {
        since_best += 1;
        while search.sweep(&mut state) {
            if search.feasible(&state) && state.cost < best_cost {
                best_cost = state.cost;
                best = Some(state.at.clone());
                since_best = 0;
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        if search.feasible(&state) {
            if state.cost < best_cost {
                best_cost = state.cost;
                best = Some(state.at.clone());
                since_best = 0;
            }
            // A feasible local optimum: kick a few tickets to random engineers.
            for _ in 0..2 {
                let t = rng.below(n);
                let k = search.arcs[t].len();
                if k > 0 {
                    let to = rng.below(k);
                    search.apply_shift(&mut state, t, Some(to));
                }
            }
        }
        // Adapt the weights: at an infeasible local optimum the overloaded engineers cost more; at
        // a feasible one every weight drops a little, so the search dares to overload again.
        let feasible = search.feasible(&state);
        for e in 0..m {
            if state.load[e] > search.budget[e] {
                search.weight[e] = (search.weight[e] * 1.2).min(base * 1e4);
            } else if feasible {
                search.weight[e] = (search.weight[e] * 0.95).max(base * 0.01);
            }
        }
    }
    let at = best?;
    let assignment: Vec<Option<u32>> = at
        .iter()
        .enumerate()
        .map(|(t, i)| i.map(|i| search.arcs[t][i].engineer as u32))
        .collect();
    // The model's own evaluation is the judge (it also checks every budget).
    let objective = model.evaluate(&assignment).ok()?;
    (objective < start_objective).then_some((assignment, objective))
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};
    use web_time::{Duration, Instant};

    use super::*;
    use crate::solve::Network;

    /// A tiny Generalized-Assignment-like model (no load costs, no limits, count capacities that
    /// cannot bind) with its usable-arc mask: every engineer may take every ticket.
    pub(crate) fn tiny() -> impl Strategy<Value = MipModel> {
        (1usize..=6, 1usize..=3).prop_flat_map(|(n, m)| {
            (
                proptest::collection::vec(0i64..30, n * m),
                proptest::collection::vec(1u64..=8, n * m),
                proptest::collection::vec(0u64..=14, m),
                proptest::collection::vec(20i64..60, n),
            )
                .prop_map(move |(cost, minutes, budget, penalty)| {
                    let arcs = (0..n)
                        .flat_map(|t| (0..m).map(move |e| (t, e)))
                        .map(|(t, e)| (t as u32, e as u32, cost[t * m + e]))
                        .collect();
                    let net = Network::new(vec![n as u32; m], penalty, arcs).unwrap();
                    MipModel::new(
                        net,
                        |t, e| minutes[t * m + e as usize],
                        budget.iter().map(|&b| Some(b)).collect(),
                    )
                    .unwrap()
                })
        })
    }

    /// The best objective over every assignment that uses only the arcs in `fits` (network order).
    pub(crate) fn brute_force(model: &MipModel, fits: &[bool]) -> i64 {
        let net = model.network();
        let n = net.tickets();
        let mut options: Vec<Vec<Option<u32>>> = Vec::new();
        let mut a = 0;
        for t in 0..n {
            let mut o = vec![None];
            for (e, _) in net.arcs_of(t) {
                if fits[a] {
                    o.push(Some(e));
                }
                a += 1;
            }
            options.push(o);
        }
        let mut best = i64::MAX;
        let mut pick = vec![0usize; n];
        loop {
            let x: Vec<Option<u32>> = (0..n).map(|t| options[t][pick[t]]).collect();
            if let Ok(v) = model.evaluate(&x) {
                best = best.min(v);
            }
            let mut t = 0;
            while t < n && pick[t] + 1 == options[t].len() {
                pick[t] = 0;
                t += 1;
            }
            if t == n {
                return best;
            }
            pick[t] += 1;
        }
    }

    fn config() -> Config {
        Config {
            cases: 128,
            rng_seed: RngSeed::Fixed(0x0005_ea4c_4000),
            failure_persistence: None,
            ..Config::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// From the all-unassigned start, the search returns either nothing or a feasible
        /// assignment strictly better than the start, with the objective it claims, and never
        /// better than the brute-force optimum.
        #[test]
        fn plan_is_feasible_and_better_than_its_start(model in tiny()) {
            let fits = vec![true; model.network().arcs()];
            let start = vec![None; model.network().tickets()];
            let start_objective = model.evaluate(&start).unwrap();
            let deadline = Instant::now() + Duration::from_millis(20);
            if let Some((x, obj)) = improve(&model, &fits, &start, start_objective, deadline) {
                prop_assert_eq!(model.evaluate(&x), Ok(obj));
                prop_assert!(obj < start_objective);
                prop_assert!(obj >= brute_force(&model, &fits));
            }
        }
    }
}
