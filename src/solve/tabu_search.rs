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

/// The most shifts in one ejection chain.
const CHAIN_DEPTH: usize = 3;

/// How many arcs of each ticket its candidate list holds: the targets an ejection chain may move
/// it to (its cheapest arcs at the current prices of a minute).
const CANDIDATES: usize = 4;

/// Iterations between two rebuilds of the candidate lists.
const CANDIDATE_REFRESH: u64 = 64;

const NO_ARC: u32 = u32::MAX;

/// A move's change of the penalised objective, of the cost and of the total overload.
type Delta = (f64, i64, i64);

/// A move: shift ticket `t` to arc `to` (`None`: unassigned), swap the engineers of `t` and `u`
/// (`t` takes arc `j`, `u` takes arc `l`), or an ejection chain.
#[derive(Debug, Clone, Copy)]
enum Move {
    /// An ejection chain of `len` (2..=[`CHAIN_DEPTH`]) shifts of distinct assigned tickets:
    /// `steps[k] = (ticket, arc)`, and each step's ticket is held by the engineer the previous
    /// step's arc goes to (it is pushed out to make room). The last arc may go anywhere, back to
    /// the first ticket's engineer included (a cycle).
    Chain {
        steps: [(usize, usize); CHAIN_DEPTH],
        len: usize,
    },
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

#[derive(Clone)]
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
    /// Whether [`Move::Chain`] is searched.
    chains: bool,
    /// Per ticket: the indices of its [`CANDIDATES`] cheapest arcs at the prices of the last
    /// refresh (cost plus price × minutes), cheapest first.
    candidates: Vec<Vec<usize>>,
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
            Move::Chain { steps, len } => self.chain_delta(&steps[..len]),
        }
    }

    /// [`Search::delta`] of the chain of shifts `steps` (distinct assigned tickets).
    fn chain_delta(&self, steps: &[(usize, usize)]) -> (f64, i64, i64) {
        // Net load change of every engineer the chain touches (at most two per step).
        let mut touched = [(usize::MAX, 0i64); 2 * CHAIN_DEPTH];
        let mut count = 0;
        let mut add = |e: usize, minutes: i64| {
            if let Some(slot) = touched[..count].iter_mut().find(|s| s.0 == e) {
                slot.1 += minutes;
            } else {
                touched[count] = (e, minutes);
                count += 1;
            }
        };
        let mut dc = 0i64;
        for &(t, j) in steps {
            let i = self.at[t].expect("chains move assigned tickets");
            let (a, b) = (self.arcs[t][i], self.arcs[t][j]);
            dc += b.cost - a.cost;
            add(a.engineer, -(a.minutes as i64));
            add(b.engineer, b.minutes as i64);
        }
        let (mut dp, mut dx) = (0.0, 0i64);
        for &(e, change) in &touched[..count] {
            let before = self.load[e];
            let after = before
                .checked_add_signed(change)
                .expect("loads stay non-negative");
            let x = self.over(e, after) as i64 - self.over(e, before) as i64;
            dp += self.weight[e] * x as f64;
            dx += x;
        }
        (dc as f64 + dp, dc, dx)
    }

    /// Rebuilds every ticket's candidate list at the current prices.
    fn refresh_candidates(&mut self) {
        for t in 0..self.n {
            let arcs = &self.arcs[t];
            let weight = &self.weight;
            let score =
                |i: usize| arcs[i].cost as f64 + weight[arcs[i].engineer] * arcs[i].minutes as f64;
            let list = &mut self.candidates[t];
            list.clear();
            list.extend(0..arcs.len());
            // Ties by arc index (stable sort), so the lists are deterministic.
            list.sort_by(|&x, &y| score(x).total_cmp(&score(y)));
            list.truncate(CANDIDATES);
        }
    }

    /// The best ejection chain that starts by shifting `t` to its arc `j` (greedy: each step takes
    /// the best extension of the chain so far among the tickets held by the engineer the last step
    /// went to and their candidate arcs; steps that would be tabu are not taken). Calls `consider`
    /// with every prefix of two steps or more.
    fn chains_from(
        &self,
        t: usize,
        j: usize,
        iteration: u64,
        mut consider: impl FnMut((f64, i64, i64), bool, Move),
    ) {
        let mut steps = [(t, j); CHAIN_DEPTH];
        let tabu = self.tabu(t, Some(j), iteration);
        for len in 1..CHAIN_DEPTH {
            let (last_t, last_j) = steps[len - 1];
            let into = self.arcs[last_t][last_j].engineer;
            // How far the chain so far overloads `into`: the next step ejects a ticket that
            // frees at least that much; the chain ends where nothing is overloaded.
            let mut change = 0i64;
            for &(u, l) in &steps[..len] {
                let (a, b) = (self.arcs[u][self.at[u].expect("assigned")], self.arcs[u][l]);
                if a.engineer == into {
                    change -= a.minutes as i64;
                }
                if b.engineer == into {
                    change += b.minutes as i64;
                }
            }
            let over = self.load[into] as i64 + change - self.budget[into] as i64;
            if over <= 0 {
                return;
            }
            let mut best: Option<(Delta, (usize, usize))> = None;
            for &u in &self.held[into] {
                let i = self.at[u].expect("held tickets are assigned");
                if (self.arcs[u][i].minutes as i64) < over || steps[..len].iter().any(|s| s.0 == u)
                {
                    continue;
                }
                for &l in &self.candidates[u] {
                    if self.arcs[u][l].engineer == into || self.tabu(u, Some(l), iteration) {
                        continue;
                    }
                    steps[len] = (u, l);
                    let d = self.chain_delta(&steps[..=len]);
                    if best.is_none_or(|b| d.0 < b.0.0) {
                        best = Some((d, (u, l)));
                    }
                }
            }
            let Some((d, step)) = best else { return };
            steps[len] = step;
            consider(
                d,
                tabu,
                Move::Chain {
                    steps,
                    len: len + 1,
                },
            );
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
        let best = std::cell::Cell::new(None::<(f64, Move)>);
        let consider = |d: (f64, i64, i64), tabu: bool, mv: Move| {
            if best.get().is_some_and(|b| d.0 >= b.0) {
                return;
            }
            let aspires = (self.excess as i64 + d.2) == 0 && self.cost + d.1 < best_cost;
            if !tabu || aspires {
                best.set(Some((d.0, mv)));
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
        // Ejection chains where no shift or swap improves the penalised objective (they cost
        // several times a sweep of the shifts and swaps).
        if self.chains && best.get().is_none_or(|b| b.0 >= 0.0) {
            for t in 0..self.n {
                let Some(i) = self.at[t] else { continue };
                let e1 = self.arcs[t][i].engineer;
                for &j in &self.candidates[t] {
                    if self.arcs[t][j].engineer != e1 {
                        self.chains_from(t, j, iteration, consider);
                    }
                }
            }
        }
        best.get().map(|b| b.1)
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
            Move::Chain { steps, len } => {
                for &(t, j) in &steps[..len] {
                    self.make_tabu(t, self.at[t], until);
                    self.shift(t, Some(j));
                }
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

impl Search {
    /// The search state over the arcs of `model` marked in `fits`, at the assignment `start`
    /// (restricted to those arcs), with every price at the starting one, which is returned too.
    fn new(
        model: &MipModel,
        fits: &[bool],
        start: &[Option<u32>],
        chains: bool,
    ) -> Option<(Search, f64)> {
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
            chains,
            candidates: vec![Vec::new(); n],
        };
        for (t, e) in start.iter().enumerate() {
            if let Some(e) = *e {
                if let Some(i) = s.arc_to(t, e as usize) {
                    s.shift(t, Some(i));
                }
            }
        }
        Some((s, base))
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
    search(
        model,
        fits,
        start,
        start_objective,
        deadline,
        max_iterations,
        true,
    )
}

/// [`improve_for`], with ejection chains in the neighbourhood or not.
fn search(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
    max_iterations: u64,
    chains: bool,
) -> Option<(Vec<Option<u32>>, i64)> {
    let (mut s, base) = Search::new(model, fits, start, chains)?;
    let (n, m) = (s.n, s.m);
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
        if s.chains && iteration % CANDIDATE_REFRESH == 1 {
            s.refresh_candidates();
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
    use crate::solve::Network;
    use crate::solve::penalty_search::tests::{brute_force, tiny};

    /// A complete model: `cost[t][e]`, `minutes[t][e]`, budgets, and a penalty above any plan.
    fn model_of(cost: &[Vec<i64>], minutes: &[Vec<u64>], budget: &[u64]) -> MipModel {
        let m = budget.len();
        let arcs = (0..cost.len())
            .flat_map(|t| (0..m).map(move |e| (t, e)))
            .map(|(t, e)| (t as u32, e as u32, cost[t][e]))
            .collect();
        let net = Network::new(vec![cost.len() as u32; m], vec![1_000; cost.len()], arcs).unwrap();
        MipModel::new(
            net,
            |t, e| minutes[t][e as usize],
            budget.iter().map(|&b| Some(b)).collect(),
        )
        .unwrap()
    }

    /// Like [`tiny`] but with up to four engineers, so that chains of three shifts are more than
    /// swaps, and an assignment of every ticket (`pick[t] % m`), which may overload engineers.
    fn small() -> impl Strategy<Value = (MipModel, Vec<Option<u32>>)> {
        (1usize..=6, 1usize..=4).prop_flat_map(|(n, m)| {
            (
                proptest::collection::vec(proptest::collection::vec(0i64..30, m), n),
                proptest::collection::vec(proptest::collection::vec(1u64..=8, m), n),
                proptest::collection::vec(0u64..=14, m),
                proptest::collection::vec(0u32..4, n),
            )
                .prop_map(move |(cost, minutes, budget, pick)| {
                    let start = pick.iter().map(|&p| Some(p % m as u32)).collect();
                    (model_of(&cost, &minutes, &budget), start)
                })
        })
    }

    /// Cost, total overload and penalised objective of the search's assignment, from scratch.
    fn recomputed(s: &Search) -> (i64, u64, f64) {
        let mut load = vec![0u64; s.m];
        let mut cost = 0;
        for t in 0..s.n {
            cost += s.cost_of(t, s.at[t]);
            if let Some(i) = s.at[t] {
                load[s.arcs[t][i].engineer] += s.arcs[t][i].minutes;
            }
        }
        let over: Vec<u64> = (0..s.m).map(|e| s.over(e, load[e])).collect();
        let penalised = cost as f64 + (0..s.m).map(|e| s.weight[e] * over[e] as f64).sum::<f64>();
        (cost, over.iter().sum(), penalised)
    }

    /// A three-cycle (`x` to B, `y` pushed from B to C, `z` pushed from C to A) where every swap
    /// and every shift is worse or overloads: one chain move reaches the optimum, the search
    /// without chains cannot in one move.
    #[test]
    fn a_three_cycle_is_one_chain_move() {
        let cost = vec![vec![10, 0, 100], vec![100, 10, 0], vec![0, 100, 10]];
        let minutes = vec![vec![2; 3]; 3];
        let model = model_of(&cost, &minutes, &[2, 2, 2]);
        let fits = vec![true; 9];
        let start = vec![Some(0), Some(1), Some(2)];
        let start_objective = model.evaluate(&start).unwrap();
        let far = Instant::now() + Duration::from_secs(30);
        let with = search(&model, &fits, &start, start_objective, far, 1, true);
        assert_eq!(with, Some((vec![Some(1), Some(2), Some(0)], 0)));
        let without = search(&model, &fits, &start, start_objective, far, 1, false);
        assert_eq!(without, None);
    }

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

        /// Every ejection chain the search considers from an arbitrary (possibly overloaded)
        /// assignment at arbitrary prices is well formed (distinct tickets, each pushed out of the
        /// engineer the step before went to, no tabu step at iteration 0), and applying it changes
        /// the cost, the total overload and the penalised objective exactly as its delta says;
        /// the assignment it leaves is feasible for the model's own evaluation exactly when the
        /// search counts no overload, with the same objective.
        #[test]
        fn chain_deltas_match_the_applied_chain_and_feasibility_is_the_models(
            (model, start) in small(),
            prices in proptest::collection::vec(0.01f64..50.0, 4),
        ) {
            let fits = vec![true; model.network().arcs()];
            let (mut s, _) = Search::new(&model, &fits, &start, true).unwrap();
            for (w, p) in s.weight.iter_mut().zip(&prices) {
                *w = *p;
            }
            s.refresh_candidates();
            let mut chains = Vec::new();
            for t in 0..s.n {
                let e1 = s.arcs[t][s.at[t].unwrap()].engineer;
                for &j in &s.candidates[t] {
                    if s.arcs[t][j].engineer != e1 {
                        s.chains_from(t, j, 0, |d, tabu, mv| chains.push((d, tabu, mv)));
                    }
                }
            }
            let before = recomputed(&s);
            for (d, tabu, mv) in chains {
                prop_assert!(!tabu);
                let Move::Chain { steps, len } = mv else {
                    panic!("chains_from offers chains only");
                };
                prop_assert!((2..=CHAIN_DEPTH).contains(&len));
                for k in 1..len {
                    let (prev_t, prev_j) = steps[k - 1];
                    let (t, _) = steps[k];
                    prop_assert!(steps[..k].iter().all(|p| p.0 != t));
                    let into = s.arcs[prev_t][prev_j].engineer;
                    prop_assert_eq!(s.arcs[t][s.at[t].unwrap()].engineer, into);
                }
                let mut c = s.clone();
                c.apply(mv, 1);
                let after = recomputed(&c);
                prop_assert_eq!((c.cost, c.excess), (after.0, after.1));
                prop_assert_eq!(after.0 - before.0, d.1);
                prop_assert_eq!(after.1 as i64 - before.1 as i64, d.2);
                prop_assert!((after.2 - before.2 - d.0).abs() <= 1e-6 * (1.0 + d.0.abs()));
                let x: Vec<Option<u32>> = (0..c.n)
                    .map(|t| c.at[t].map(|i| c.arcs[t][i].engineer as u32))
                    .collect();
                match model.evaluate(&x) {
                    Ok(v) => {
                        prop_assert_eq!(c.excess, 0);
                        prop_assert_eq!(v, c.cost);
                    }
                    Err(_) => prop_assert!(c.excess > 0),
                }
            }
        }
    }

    proptest! {
        #![proptest_config(Config { cases: 40, ..config() })]

        /// With up to four engineers (where chains are more than swaps), the search from an
        /// arbitrary assignment returns a feasible plan whose objective is the model's own
        /// evaluation and equals the brute-force optimum (or nothing, when the start is optimal
        /// already), with chains and without.
        #[test]
        fn search_with_chains_reaches_the_brute_force_optimum((model, start) in small()) {
            let fits = vec![true; model.network().arcs()];
            let optimum = brute_force(&model, &fits);
            let empty = vec![None; model.network().tickets()];
            let empty_objective = model.evaluate(&empty).unwrap();
            let far = Instant::now() + Duration::from_secs(30);
            for chains in [true, false] {
                let found = search(&model, &fits, &start, empty_objective, far, 3_000, chains);
                match &found {
                    Some((x, obj)) => {
                        prop_assert_eq!(model.evaluate(x), Ok(*obj));
                        prop_assert_eq!(*obj, optimum);
                    }
                    // Nothing better than the start: the start was the optimum already.
                    None => prop_assert!(
                        empty_objective == optimum || model.evaluate(&start) == Ok(optimum)
                    ),
                }
            }
        }
    }
}

#[cfg(test)]
mod trace {
    use web_time::{Duration, Instant};

    use super::*;
    use crate::solve::gap;

    /// Tabu search with and without ejection chains from the penalty search's plan on the gapd and
    /// type E instances, for `TABU_SECONDS` (default 3) each.
    #[test]
    #[ignore = "experiment over the OR-Library files, minutes long"]
    fn chains_against_no_chains_on_gapd_and_e() {
        let secs: f64 = std::env::var("TABU_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3.0);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/gap/");
        let files = std::env::var("TABU_FILES")
            .unwrap_or("gapd e05100 e05200 e10100 e10200 e20100 e20200".to_string());
        for name in files.split_whitespace() {
            let text = std::fs::read(format!("{dir}{name}.txt")).unwrap();
            for (k, instance) in gap::read(&text[..]).unwrap().iter().enumerate() {
                let model = instance.model(false).unwrap();
                let fits = vec![true; model.network().arcs()];
                let empty = vec![None; instance.jobs];
                let empty_obj = model.evaluate(&empty).unwrap();
                let far = Instant::now() + Duration::from_secs(5);
                let (start, start_obj) =
                    crate::solve::penalty_search::improve(&model, &fits, &empty, empty_obj, far)
                        .unwrap();
                let mut line = format!(
                    "{name}#{} start={}",
                    k + 1,
                    instance.objective(false, start_obj)
                );
                let iterations: u64 = std::env::var("TABU_ITERATIONS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u64::MAX);
                for chains in [false, true] {
                    let began = Instant::now();
                    let deadline = began + Duration::from_secs_f64(secs);
                    let got = search(
                        &model, &fits, &start, start_obj, deadline, iterations, chains,
                    )
                    .map_or(start_obj, |r| r.1);
                    line += &format!(
                        " chains={chains}:{} ({:.2} s)",
                        instance.objective(false, got),
                        began.elapsed().as_secs_f64()
                    );
                }
                println!("{line}");
            }
        }
    }
}
