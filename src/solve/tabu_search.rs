//! A longer primal heuristic for hour-budget models where the exact stages cannot close the gap in
//! time: tabu search over shift and swap moves in the space where engineers may be overloaded at an
//! adaptive price per overloaded minute (strategic oscillation, after Díaz and Fernández's and
//! Yagiura, Ibaraki and Glover's searches for the Generalized Assignment Problem).
//!
//! Unlike the [penalty search](super::penalty_search), which descends to a local optimum and then
//! kicks, every iteration here takes the best move of the whole neighbourhood that is not tabu, even
//! when it is worse: a ticket that leaves an engineer may not go back to it for a few iterations
//! (unless that gives a feasible assignment better than the best so far). The price of each
//! engineer's overload rises while it is overloaded and falls while the assignment is feasible, so
//! the search oscillates around the feasibility boundary, where the good assignments are. After
//! many iterations without a better assignment it restarts from the best one with a small random
//! perturbation and the prices reset.
//!
//! Applies to the models of [`bb::applicable`](super::bb::applicable) (a ticket's cost depends on
//! its own arc only, an engineer's feasibility on its minutes only) whose ticket × engineer table
//! has at most [`MAX_TABLE`] entries.
//!
//! The search stops at its deadline or after [`MAX_ITERATIONS`] iterations; the result is the same
//! for a given input and number of iterations, so it is deterministic when it stops on the
//! iteration limit and time-bounded otherwise.

use web_time::Instant;

use super::mip::MipModel;
use super::penalty_search::{Arc, Arcs, Rng};

/// The largest ticket × engineer table (dense arc lookup and tabu list) the search builds.
pub(crate) const MAX_TABLE: usize = 1 << 22;

/// The most iterations (moves) one call makes.
pub(crate) const MAX_ITERATIONS: u64 = 2_000_000;

const NO_ARC: u32 = u32::MAX;

/// A move: shift ticket `t` to arc `to` (`None`: unassigned), or swap the engineers of `t` and `u`
/// (`t` takes arc `j`, `u` takes arc `l`).
#[derive(Debug, Clone, Copy)]
enum Move {
    Shift {
        t: usize,
        to: Option<usize>,
    },
    Swap {
        t: usize,
        j: usize,
        u: usize,
        l: usize,
    },
}

struct Search {
    n: usize,
    m: usize,
    arcs: Vec<Vec<Arc>>,
    /// `lookup[t·m + e]`: the index of ticket `t`'s arc to engineer `e` in `arcs[t]`, or `NO_ARC`.
    lookup: Vec<u32>,
    penalty: Vec<i64>,
    budget: Vec<u64>,
    weight: Vec<f64>,
    /// Per ticket: the index into its arc list, or `None` (unassigned, paying its penalty).
    at: Vec<Option<usize>>,
    load: Vec<u64>,
    /// Tickets held by each engineer, and each ticket's position in its engineer's list.
    held: Vec<Vec<usize>>,
    slot: Vec<usize>,
    cost: i64,
    /// Total overloaded minutes.
    excess: u64,
    /// `tabu[t·m + e]`: ticket `t` may not return to engineer `e` before this iteration.
    tabu: Vec<u64>,
}

impl Search {
    fn arc_to(&self, t: usize, e: usize) -> Option<usize> {
        let i = self.lookup[t * self.m + e];
        (i != NO_ARC).then_some(i as usize)
    }

    fn cost_of(&self, t: usize, i: Option<usize>) -> i64 {
        i.map_or(self.penalty[t], |i| self.arcs[t][i].cost)
    }

    fn over(&self, e: usize, load: u64) -> u64 {
        load.saturating_sub(self.budget[e])
    }

    /// Change of engineer `e`'s overload when its load moves by `+add − sub`.
    fn excess_change(&self, e: usize, add: u64, sub: u64) -> i64 {
        let before = self.load[e];
        self.over(e, before + add - sub) as i64 - self.over(e, before) as i64
    }

    /// Change of the penalised objective and of the total overload for a move.
    fn delta(&self, mv: Move) -> (f64, i64, i64) {
        match mv {
            Move::Shift { t, to } => {
                let from = self.at[t];
                let dc = self.cost_of(t, to) - self.cost_of(t, from);
                let (mut dp, mut dx) = (0.0, 0i64);
                // `from` and `to` are arcs to different engineers (one arc per pair).
                if let Some(i) = from {
                    let a = self.arcs[t][i];
                    let x = self.excess_change(a.engineer, 0, a.minutes);
                    dp += self.weight[a.engineer] * x as f64;
                    dx += x;
                }
                if let Some(j) = to {
                    let b = self.arcs[t][j];
                    let x = self.excess_change(b.engineer, b.minutes, 0);
                    dp += self.weight[b.engineer] * x as f64;
                    dx += x;
                }
                (dc as f64 + dp, dc, dx)
            }
            Move::Swap { t, j, u, l } => {
                let (i, k) = (self.at[t].expect("assigned"), self.at[u].expect("assigned"));
                let (a, b, c, d) = (
                    self.arcs[t][i],
                    self.arcs[t][j],
                    self.arcs[u][k],
                    self.arcs[u][l],
                );
                let dc = b.cost + d.cost - a.cost - c.cost;
                let x1 = self.excess_change(a.engineer, d.minutes, a.minutes);
                let x2 = self.excess_change(c.engineer, b.minutes, c.minutes);
                let dp = self.weight[a.engineer] * x1 as f64 + self.weight[c.engineer] * x2 as f64;
                (dc as f64 + dp, dc, x1 + x2)
            }
        }
    }

    fn shift(&mut self, t: usize, to: Option<usize>) {
        let from = self.at[t];
        self.cost += self.cost_of(t, to) - self.cost_of(t, from);
        if let Some(i) = from {
            let a = self.arcs[t][i];
            let before = self.over(a.engineer, self.load[a.engineer]);
            self.load[a.engineer] -= a.minutes;
            self.excess = self.excess - before + self.over(a.engineer, self.load[a.engineer]);
            let list = &mut self.held[a.engineer];
            let p = self.slot[t];
            list.swap_remove(p);
            if let Some(&moved) = list.get(p) {
                self.slot[moved] = p;
            }
        }
        if let Some(j) = to {
            let b = self.arcs[t][j];
            let before = self.over(b.engineer, self.load[b.engineer]);
            self.load[b.engineer] += b.minutes;
            self.excess = self.excess - before + self.over(b.engineer, self.load[b.engineer]);
            self.slot[t] = self.held[b.engineer].len();
            self.held[b.engineer].push(t);
        }
        self.at[t] = to;
    }

    fn tabu(&self, t: usize, to: Option<usize>, iteration: u64) -> bool {
        to.is_some_and(|j| self.tabu[t * self.m + self.arcs[t][j].engineer] > iteration)
    }

    /// The best admissible move at `iteration`: not tabu, or leading to a feasible assignment
    /// cheaper than `best_cost`. Ties go to the first found (tickets in order).
    fn best_move(&self, iteration: u64, best_cost: i64) -> Option<Move> {
        let mut best: Option<(f64, Move)> = None;
        let mut consider = |d: (f64, i64, i64), tabu: bool, mv: Move| {
            if best.is_some_and(|b| d.0 >= b.0) {
                return;
            }
            let aspires = (self.excess as i64 + d.2) == 0 && self.cost + d.1 < best_cost;
            if !tabu || aspires {
                best = Some((d.0, mv));
            }
        };
        for t in 0..self.n {
            let from = self.at[t];
            for to in (0..self.arcs[t].len()).map(Some).chain([None]) {
                if to == from {
                    continue;
                }
                let mv = Move::Shift { t, to };
                consider(self.delta(mv), self.tabu(t, to, iteration), mv);
            }
            let Some(i) = from else { continue };
            let e1 = self.arcs[t][i].engineer;
            for (j, b) in self.arcs[t].iter().enumerate() {
                let e2 = b.engineer;
                if e2 == e1 {
                    continue;
                }
                for &u in &self.held[e2] {
                    if u < t {
                        continue;
                    }
                    let Some(l) = self.arc_to(u, e1) else {
                        continue;
                    };
                    let mv = Move::Swap { t, j, u, l };
                    let tabu = self.tabu(t, Some(j), iteration) || self.tabu(u, Some(l), iteration);
                    consider(self.delta(mv), tabu, mv);
                }
            }
        }
        best.map(|b| b.1)
    }

    fn make_tabu(&mut self, t: usize, from: Option<usize>, until: u64) {
        if let Some(i) = from {
            let e = self.arcs[t][i].engineer;
            self.tabu[t * self.m + e] = until;
        }
    }

    fn apply(&mut self, mv: Move, until: u64) {
        match mv {
            Move::Shift { t, to } => {
                self.make_tabu(t, self.at[t], until);
                self.shift(t, to);
            }
            Move::Swap { t, j, u, l } => {
                self.make_tabu(t, self.at[t], until);
                self.make_tabu(u, self.at[u], until);
                self.shift(u, None);
                self.shift(t, Some(j));
                self.shift(u, Some(l));
            }
        }
    }

    fn reset_to(&mut self, at: &[Option<usize>]) {
        for (t, &i) in at.iter().enumerate() {
            if self.at[t] != i {
                self.shift(t, None);
            }
        }
        for (t, &i) in at.iter().enumerate() {
            if self.at[t] != i {
                self.shift(t, i);
            }
        }
    }
}

/// Runs the search from the feasible assignment `start` (objective `start_objective`) over the arcs
/// marked in `fits` (network order) until `deadline` or [`MAX_ITERATIONS`]. Returns a feasible
/// assignment strictly better than the start, with its objective, or `None` when it found none (or
/// the model's table is larger than [`MAX_TABLE`]).
pub(crate) fn improve(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
) -> Option<(Vec<Option<u32>>, i64)> {
    improve_for(
        model,
        fits,
        start,
        start_objective,
        deadline,
        MAX_ITERATIONS,
    )
}

/// [`improve`] with an explicit iteration limit.
pub(crate) fn improve_for(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
    max_iterations: u64,
) -> Option<(Vec<Option<u32>>, i64)> {
    let net = model.network();
    let n = net.tickets();
    let m = net.engineers();
    if n == 0 || m == 0 || n.checked_mul(m).is_none_or(|s| s > MAX_TABLE) {
        return None;
    }
    let Arcs {
        mut arcs,
        budget,
        penalty,
        base_weight: base,
    } = Arcs::of(model, fits)?;
    // One arc per (ticket, engineer): the first, as the dense lookup can name only one.
    let mut lookup = vec![NO_ARC; n * m];
    for (t, list) in arcs.iter_mut().enumerate() {
        let mut kept = 0u32;
        list.retain(|arc| {
            let slot = &mut lookup[t * m + arc.engineer];
            if *slot != NO_ARC {
                return false;
            }
            *slot = kept;
            kept += 1;
            true
        });
    }
    let mut s = Search {
        n,
        m,
        arcs,
        lookup,
        cost: penalty.iter().sum(),
        penalty,
        budget,
        weight: vec![base; m],
        at: vec![None; n],
        load: vec![0; m],
        held: vec![Vec::new(); m],
        slot: vec![0; n],
        excess: 0,
        tabu: vec![0; n * m],
    };
    for (t, e) in start.iter().enumerate() {
        if let Some(e) = *e {
            if let Some(i) = s.arc_to(t, e as usize) {
                s.shift(t, Some(i));
            }
        }
    }
    // The start restricted to `fits` (normally the start itself).
    let mut best_cost = if s.excess == 0 {
        s.cost.min(start_objective)
    } else {
        start_objective
    };
    let mut best_at: Option<Vec<Option<usize>>> = None;
    let anchor = s.at.clone();
    let mut rng = Rng(0x7AB0 ^ n as u64 ^ ((m as u64) << 32));
    // Tenure around half the square root of the table size, drawn at random per move.
    // Tenure around half the square root of the table size, drawn at random per move.
    let tenure = ((n * m) as f64).sqrt() as u64 / 2 + 3;
    let restart_after = (20 * n as u64).max(2_000);
    let mut last_better = 0u64;
    let mut iteration = 0u64;
    while iteration < max_iterations {
        // Check the clock every few iterations (a sweep is cheap on small models).
        if iteration % 8 == 0 && Instant::now() >= deadline {
            break;
        }
        iteration += 1;
        if iteration - last_better > restart_after {
            // Restart from the best assignment, perturbed, with the prices reset.
            s.reset_to(best_at.as_deref().unwrap_or(&anchor));
            for _ in 0..(n / 20).max(2) {
                let t = rng.below(n);
                let k = s.arcs[t].len();
                if k > 0 {
                    s.shift(t, Some(rng.below(k)));
                }
            }
            s.weight.iter_mut().for_each(|w| *w = base);
            s.tabu.iter_mut().for_each(|v| *v = 0);
            last_better = iteration;
        }
        let Some(mv) = s.best_move(iteration, best_cost) else {
            // Every move is tabu: wait for the oldest to expire.
            continue;
        };
        let until = iteration + tenure / 2 + rng.below(tenure as usize + 1) as u64;
        s.apply(mv, until);
        if s.excess == 0 && s.cost < best_cost {
            best_cost = s.cost;
            best_at = Some(s.at.clone());
            last_better = iteration;
        }
        // Prices: up where overloaded, down everywhere while feasible.
        if s.excess > 0 {
            for e in 0..m {
                if s.load[e] > s.budget[e] {
                    s.weight[e] = (s.weight[e] * 1.1).min(base * 1e4);
                }
            }
        } else {
            for w in &mut s.weight {
                *w = (*w * 0.9).max(base * 0.01);
            }
        }
    }
    let at = best_at?;
    let assignment: Vec<Option<u32>> = at
        .iter()
        .enumerate()
        .map(|(t, i)| i.map(|i| s.arcs[t][i].engineer as u32))
        .collect();
    // The model's own evaluation is the judge (it also checks every budget).
    let objective = model.evaluate(&assignment).ok()?;
    (objective < start_objective).then_some((assignment, objective))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};
    use web_time::{Duration, Instant};

    use super::*;
    use crate::solve::penalty_search::tests::{brute_force, tiny};

    fn config() -> Config {
        Config {
            cases: 128,
            rng_seed: RngSeed::Fixed(0x7ab0_5eed),
            failure_persistence: None,
            ..Config::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// From the all-unassigned start, the search (stopped by its iteration limit) returns either
        /// nothing or a feasible assignment strictly better than the start whose objective is the
        /// model's own evaluation, never better than the brute-force optimum; on these tiny models
        /// a few thousand iterations reach the optimum. Two runs give the same answer.
        #[test]
        fn plan_is_feasible_optimal_on_tiny_models_and_repeatable(model in tiny()) {
            let fits = vec![true; model.network().arcs()];
            let start = vec![None; model.network().tickets()];
            let start_objective = model.evaluate(&start).unwrap();
            let far = Instant::now() + Duration::from_secs(30);
            let optimum = brute_force(&model, &fits);
            let found = improve_for(&model, &fits, &start, start_objective, far, 3_000);
            match &found {
                Some((x, obj)) => {
                    prop_assert_eq!(model.evaluate(x), Ok(*obj));
                    prop_assert!(*obj < start_objective);
                    prop_assert_eq!(*obj, optimum);
                }
                None => prop_assert_eq!(start_objective, optimum),
            }
            let again = improve_for(&model, &fits, &start, start_objective, far, 3_000);
            prop_assert_eq!(found, again);
        }
    }
}
