//! The pure-Rust exact stage for hour-budget models: branch and bound on a Lagrangian bound that
//! relaxes the "each ticket at most once" rows, so each engineer's subproblem is a 0/1 knapsack over
//! its minutes (solved exactly by dynamic programming). That bound is at least the LP relaxation's and
//! usually much closer to the optimum on Generalized Assignment instances, which is what lets a small
//! search prove optimality where an LP-based branch and bound does not.
//!
//! Applies to models without load costs or side limits whose count capacities cannot bind and whose
//! budgets are small enough for the dynamic program; [`applicable`] says which.
//!
//! # The bound
//! With multipliers `u(t) ≥ 0` on `Σ_e x(t,e) ≤ 1`:
//! ```text
//! L(u) = fixed cost + Σ_{free t} (penalty(t) − u(t))
//!        + Σ_e min { Σ_t (c(t,e) − penalty(t) + u(t))·x(t,e) : Σ_t minutes(t,e)·x(t,e) ≤ residual(e) }
//! ```
//! `L(u) ≤` the optimum of the node for every `u ≥ 0`; the multipliers follow the subgradient method
//! and children start from their parent's. A node whose knapsack solutions give every free ticket
//! exactly one engineer (or none, at `u = 0`) is solved: that assignment is feasible and optimal for
//! the node. Otherwise the search branches on a ticket taken twice (or left out with `u > 0`):
//! first "ticket → engineer", then "not this engineer". Depth first; the incumbent comes from the
//! caller's heuristic and from repairing every node's knapsack solution.
//!
//! INVARIANT: every node on the stack carries a valid lower bound of its subtree (its parent's
//! bound), so the minimum over the stack and the incumbent is a proven bound when time runs out.

use rustc_hash::FxHashSet;
use web_time::Instant;

use super::mip::MipModel;

/// The largest knapsack capacity the dynamic program accepts (minutes per engineer).
const MAX_BUDGET: u64 = 100_000;

/// One candidate arc as the search sees it.
#[derive(Debug, Clone, Copy)]
struct Arc {
    ticket: u32,
    engineer: u32,
    cost: i64,
    minutes: u64,
}

/// What the search found: the best assignment, its objective, and a proven lower bound.
pub(crate) struct BbResult {
    pub(crate) assignment: Vec<Option<u32>>,
    pub(crate) objective: i64,
    pub(crate) bound: i64,
}

/// Whether the search applies (see the [module docs](self)).
pub(crate) fn applicable(model: &MipModel) -> bool {
    let net = model.network();
    if net.load_costs().is_some() || !model.limits().is_empty() {
        return false;
    }
    let mut arcs_of = vec![0u64; net.engineers()];
    let mut minutes = vec![0u64; net.engineers()];
    for t in 0..net.tickets() {
        for (e, _) in net.arcs_of(t) {
            arcs_of[e as usize] += 1;
            minutes[e as usize] += model.minutes_of(t, e).unwrap_or(0);
        }
    }
    // The knapsack's capacity is the smaller of the budget and the minutes there are to take.
    (0..net.engineers()).all(|e| {
        u64::from(net.capacity(e)) >= arcs_of[e]
            && model.budget(e).unwrap_or(u64::MAX).min(minutes[e]) <= MAX_BUDGET
    })
}

/// A node of the search: fixings, forbidden arcs, and the multipliers to start from.
#[derive(Clone)]
struct Node {
    /// Per ticket: `Some(e)` fixed to engineer `e`, `Some(NONE)` fixed unassigned, `None` free.
    fixed: Vec<Option<u32>>,
    forbidden: Vec<bool>,
    residual: Vec<u64>,
    fixed_cost: i64,
    u: Vec<f64>,
    /// A lower bound of this node's subtree (its parent's bound).
    bound: f64,
}

const NONE: u32 = u32::MAX;

/// Turns any assignment into a feasible one with its objective (or `None`).
pub(crate) type Polish<'a> = &'a dyn Fn(&[Option<u32>]) -> Option<(Vec<Option<u32>>, i64)>;

fn ceil_bound(value: f64) -> i64 {
    (value - 1e-6 * value.abs().max(1.0)).ceil() as i64
}

/// The 0/1 knapsack of one engineer's Lagrangian subproblem: items `(arc, r, minutes)` with
/// `r < 0`, minimise the sum of `r` within `cap` minutes. Exact dynamic program over capacities,
/// bounded by the items seen so far: before item `i`, no capacity beyond the minutes of items
/// `0..i` (at most `cap`) can be worth more than that sum, so row `i` only computes capacities up
/// to `min(cap, W_i)` and the table above it stays flat (`dp[c] = dp[W_i]`). When every item fits
/// (`W ≤ cap`) and no table is needed, all items are taken without a table. Bounded from below too
/// when only the best sum at `cap` is wanted (no table): the answer reads row `i` only at capacities
/// `cap − (minutes of some items after i)`, never below `cap − R_i` (`R_i` the minutes of all items
/// after `i`), and row `i` reads row `i − 1` at `c − w_i ≥ cap − R_{i−1}`, so rows skip the
/// capacities under that. The values and the choice of items are those of the plain table over
/// all capacities (same additions, same comparisons, in the same item order).
#[derive(Default)]
struct Knapsack {
    /// `dp[c]`: the best sum within `c` minutes, over all items (valid for `0..=cap` after a
    /// `solve` with `table`).
    dp: Vec<f64>,
    /// The row being computed; swapped with `dp` after each item.
    next: Vec<f64>,
    /// Row `i`, capacity `c` (`w_i ≤ c ≤ high[i]`, and without a table `c ≥ cap − R_i`): item `i`
    /// is in the best choice of items `0..=i` within `c` minutes. Cells outside that range are
    /// never read (and not cleared).
    keep: Vec<bool>,
    /// The highest capacity row `i` computes.
    high: Vec<usize>,
    /// The items (indices into the slice given to `solve`) of the best choice, in reverse order.
    chosen: Vec<usize>,
}

impl Knapsack {
    /// The best sum of `r` within `cap`; the items in [`Knapsack::chosen`]. With `table`,
    /// [`Knapsack::dp`] holds the best sum for every capacity `0..=cap`.
    ///
    /// Each row reads the previous one and writes a second buffer (the two are swapped after the
    /// row), so the update of a row is a loop over three slices without bounds checks or aliasing,
    /// which the compiler vectorises.
    fn solve(&mut self, items: &[(usize, f64, usize)], cap: usize, table: bool) -> f64 {
        self.chosen.clear();
        let total: usize = items.iter().map(|&(_, _, w)| w).sum();
        if total <= cap && !table {
            // Every item fits: all of them, summed in the table's order.
            self.chosen.extend((0..items.len()).rev());
            return items.iter().fold(0.0, |sum, &(_, r, _)| sum + r);
        }
        let stride = cap + 1;
        self.dp.clear();
        self.dp.resize(stride, 0.0);
        self.next.clear();
        self.next.resize(stride, 0.0);
        if self.keep.len() < items.len() * stride {
            self.keep.resize(items.len() * stride, false);
        }
        self.high.clear();
        let mut reach = 0usize;
        let mut rest = total;
        for (i, &(_, r, w)) in items.iter().enumerate() {
            let high = (reach + w).min(cap);
            // The minutes of the items after this one.
            rest -= w;
            let low = if table { 0 } else { cap.saturating_sub(rest) };
            let flat = self.dp[reach];
            self.dp[reach + 1..=high].fill(flat);
            let (prev, next) = (&self.dp[..=high], &mut self.next[..=high]);
            let start = low.max(w);
            if low < start {
                let end = start.min(high + 1);
                next[low..end].copy_from_slice(&prev[low..end]);
            }
            if start <= high {
                let row = &mut self.keep[i * stride + start..=i * stride + high];
                relax_row(
                    &prev[start - w..=high - w],
                    &prev[start..],
                    &mut next[start..],
                    row,
                    r,
                );
            }
            std::mem::swap(&mut self.dp, &mut self.next);
            self.high.push(high);
            reach = high;
        }
        let best = self.dp[reach];
        if table {
            self.dp[reach + 1..=cap].fill(best);
        }
        let mut c = reach;
        for (i, &(_, _, w)) in items.iter().enumerate().rev() {
            c = c.min(self.high[i]);
            if c >= w && self.keep[i * stride + c] {
                self.chosen.push(i);
                c -= w;
            }
        }
        best
    }
}

/// One row of the knapsack table: `next[k] = min(old[k], from[k] + r)` (the old value unless the
/// new one is strictly better), `keep[k]` where the item is taken. Plain slices zipped, so no bounds
/// checks and no aliasing: the compiler vectorises it.
fn relax_row(from: &[f64], old: &[f64], next: &mut [f64], keep: &mut [bool], r: f64) {
    for (((out, keep), &from), &old) in next.iter_mut().zip(keep).zip(from).zip(old) {
        let with = from + r;
        let better = with < old;
        *out = if better { with } else { old };
        *keep = better;
    }
}

struct Search<'a> {
    arcs: Vec<Arc>,
    /// Arc indices per engineer and per ticket.
    by_engineer: Vec<Vec<usize>>,
    by_ticket: Vec<Vec<usize>>,
    penalty: Vec<i64>,
    best: Vec<Option<u32>>,
    best_objective: i64,
    polish: Polish<'a>,
    /// The knapsack dynamic program and its scratch.
    knapsack: Knapsack,
    /// Scratch: one engineer's knapsack items `(arc, r, minutes)`.
    items: Vec<(usize, f64, usize)>,
    /// Candidates already repaired (forgotten all at once at [`MAX_OFFERED`]).
    offered: FxHashSet<Vec<Option<u32>>>,
}

/// The most repaired candidates [`Search`] remembers.
const MAX_OFFERED: usize = 4096;

/// The most tickets over all remembered candidates (about 32 MB): large models remember fewer.
const MAX_OFFERED_CELLS: usize = 1 << 22;

/// The Lagrangian subproblem at one node for multipliers `u`: its value and, per ticket, the
/// engineers whose knapsack took it.
struct Sub {
    value: f64,
    taken: Vec<Vec<u32>>,
}

impl Search<'_> {
    fn subproblem(&mut self, node: &Node, u: &[f64]) -> Sub {
        self.subproblem_with(node, u, None)
    }

    /// [`Search::subproblem`], also writing into `delta` (per arc) a lower bound on how much taking
    /// that arc raises the node's Lagrangian value: engineer `e`'s knapsack with the arc forced in
    /// costs at least `r + dp[cap − minutes]`, since the best knapsack of the smaller capacity over
    /// all items is no worse than the one without this item. Arcs that cannot be taken get infinity.
    fn subproblem_with(&mut self, node: &Node, u: &[f64], mut delta: Option<&mut [f64]>) -> Sub {
        let n = self.penalty.len();
        let mut value = node.fixed_cost as f64;
        for ((fixed, &p), &ut) in node.fixed.iter().zip(&self.penalty).zip(u) {
            if fixed.is_none() {
                value += p as f64 - ut;
            }
        }
        let mut taken: Vec<Vec<u32>> = vec![Vec::new(); n];
        for e in 0..self.by_engineer.len() {
            let cap = node.residual[e] as usize;
            let mut items = std::mem::take(&mut self.items);
            items.clear();
            items.extend(
                self.by_engineer[e]
                    .iter()
                    .filter(|&&a| {
                        let arc = self.arcs[a];
                        !node.forbidden[a]
                            && node.fixed[arc.ticket as usize].is_none()
                            && arc.minutes as usize <= cap
                    })
                    .filter_map(|&a| {
                        let arc = self.arcs[a];
                        let t = arc.ticket as usize;
                        let r = (arc.cost - self.penalty[t]) as f64 + u[t];
                        (r < 0.0).then_some((a, r, arc.minutes as usize))
                    }),
            );
            if items.is_empty() {
                self.items = items;
                if let Some(delta) = delta.as_deref_mut() {
                    self.deltas_of(e, node, u, &[0.0], 0, delta);
                    // With no item the knapsack is empty at every capacity.
                    for &a in &self.by_engineer[e] {
                        let arc = self.arcs[a];
                        if delta[a].is_finite() {
                            let r = (arc.cost - self.penalty[arc.ticket as usize]) as f64
                                + u[arc.ticket as usize];
                            delta[a] = r.max(0.0);
                        }
                    }
                }
                continue;
            }
            let sum = self.knapsack.solve(&items, cap, delta.is_some());
            value += sum;
            if let Some(delta) = delta.as_deref_mut() {
                let knapsack = std::mem::take(&mut self.knapsack);
                self.deltas_of(e, node, u, &knapsack.dp, cap, delta);
                self.knapsack = knapsack;
            }
            for &i in &self.knapsack.chosen {
                taken[self.arcs[items[i].0].ticket as usize].push(e as u32);
            }
            self.items = items;
        }
        Sub { value, taken }
    }

    /// Fills `delta` for engineer `e`'s arcs from its knapsack table `dp` (capacity `cap`).
    fn deltas_of(
        &self,
        e: usize,
        node: &Node,
        u: &[f64],
        dp: &[f64],
        cap: usize,
        delta: &mut [f64],
    ) {
        for &a in &self.by_engineer[e] {
            let arc = self.arcs[a];
            let t = arc.ticket as usize;
            delta[a] = if node.forbidden[a] || node.fixed[t].is_some() || arc.minutes as usize > cap
            {
                f64::INFINITY
            } else {
                let r = (arc.cost - self.penalty[t]) as f64 + u[t];
                (r + dp[cap - arc.minutes as usize] - dp[cap]).max(0.0)
            };
        }
    }

    /// Forbids at `node` every free arc that cannot be in an assignment better than the incumbent:
    /// `value + delta ≥ incumbent` (see [`Search::subproblem_with`]). Returns how many it forbade.
    fn fix_by_reduced_cost(
        &self,
        node: &mut Node,
        value: f64,
        delta: &[f64],
        keep: &[bool],
    ) -> usize {
        let mut count = 0;
        for (a, &d) in delta.iter().enumerate() {
            let t = self.arcs[a].ticket as usize;
            if node.forbidden[a] || node.fixed[t].is_some() || keep.get(a).copied().unwrap_or(false)
            {
                continue;
            }
            if d.is_infinite() || ceil_bound(value + d) >= self.best_objective {
                node.forbidden[a] = true;
                count += 1;
            }
        }
        count
    }

    /// Subgradient ascent on the node's multipliers (starting from `node.u`): the best value, the
    /// multipliers that gave it, and whether a subproblem solution was feasible (then offered, and
    /// the node is solved).
    fn ascend(
        &mut self,
        node: &Node,
        iterations: usize,
        mut mu: f64,
        deadline: Instant,
    ) -> (f64, Vec<f64>, bool) {
        let n = self.penalty.len();
        let mut best_value = f64::NEG_INFINITY;
        let mut best_u = node.u.clone();
        let mut u = node.u.clone();
        let mut stale = 0;
        for it in 0..iterations {
            let sub = self.subproblem(node, &u);
            // Subgradient of the relaxed rows, at free tickets.
            let mut g = vec![0.0f64; n];
            let mut norm = 0.0;
            for t in 0..n {
                if node.fixed[t].is_none() {
                    let v = sub.taken[t].len() as f64 - 1.0;
                    let v = if u[t] <= 0.0 && v < 0.0 { 0.0 } else { v };
                    g[t] = v;
                    norm += v * v;
                }
            }
            if sub.value > best_value {
                best_value = sub.value;
                best_u.clone_from(&u);
                stale = 0;
            } else {
                stale += 1;
                if stale >= 5 {
                    mu /= 2.0;
                    stale = 0;
                }
            }
            if norm == 0.0 {
                // Every free ticket taken once (or left out at u = 0): feasible and optimal here.
                self.offer(node, &sub);
                return (best_value, best_u, true);
            }
            if it % 10 == 0 {
                self.offer(node, &sub);
            }
            if ceil_bound(best_value) >= self.best_objective || Instant::now() >= deadline {
                break;
            }
            let gap = (self.best_objective as f64 - sub.value).max(1.0);
            let step = mu * gap / norm;
            for t in 0..n {
                u[t] = (u[t] + step * g[t]).max(0.0);
            }
        }
        (best_value, best_u, false)
    }

    /// Offers the knapsack solution (fixings, plus the cheapest engineer of each free ticket taken) to
    /// the caller's repair; keeps it if it beats the incumbent.
    fn offer(&mut self, node: &Node, sub: &Sub) {
        let candidate: Vec<Option<u32>> = (0..self.penalty.len())
            .map(|t| match node.fixed[t] {
                Some(NONE) => None,
                Some(e) => Some(e),
                None => sub.taken[t]
                    .iter()
                    .copied()
                    .min_by_key(|&e| (self.cost(t, e), e)),
            })
            .collect();
        // The repair is a function of the candidate, and the incumbent only gets better: a
        // candidate offered before cannot beat it now.
        if self.offered.contains(&candidate) {
            return;
        }
        if let Some((assignment, objective)) = (self.polish)(&candidate) {
            if objective < self.best_objective {
                self.best_objective = objective;
                self.best = assignment;
            }
        }
        if self.offered.len() >= MAX_OFFERED
            || (self.offered.len() + 1) * candidate.len() > MAX_OFFERED_CELLS
        {
            self.offered.clear();
        }
        self.offered.insert(candidate);
    }

    fn cost(&self, t: usize, e: u32) -> i64 {
        self.by_ticket[t]
            .iter()
            .map(|&a| self.arcs[a])
            .find(|a| a.engineer == e)
            .map_or(i64::MAX, |a| a.cost)
    }

    /// Fixes unassigned every free ticket with no arc left that fits (it can only pay its penalty).
    fn settle(&self, node: &mut Node) {
        for t in 0..self.penalty.len() {
            if node.fixed[t].is_some() {
                continue;
            }
            let possible = self.by_ticket[t].iter().any(|&a| {
                let arc = self.arcs[a];
                !node.forbidden[a] && arc.minutes <= node.residual[arc.engineer as usize]
            });
            if !possible {
                node.fixed[t] = Some(NONE);
                node.fixed_cost += self.penalty[t];
                node.u[t] = 0.0;
            }
        }
    }
}

/// The search over the arcs marked in `fits` (network order) with its root node; arc indices of
/// the search per network arc (`None` for arcs left out).
fn setup<'a>(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    polish: Polish<'a>,
) -> (Search<'a>, Node, Vec<Option<usize>>) {
    let net = model.network();
    let n = net.tickets();
    let m = net.engineers();
    let mut arcs = Vec::new();
    let mut by_engineer = vec![Vec::new(); m];
    let mut by_ticket = vec![Vec::new(); n];
    let mut index = vec![None; fits.len()];
    let mut a = 0usize;
    let mut total_minutes = vec![0u64; m];
    for (t, ticket_arcs) in by_ticket.iter_mut().enumerate() {
        for (e, cost) in net.arcs_of(t) {
            if fits[a] {
                let minutes = model.minutes_of(t, e).unwrap_or(0);
                let i = arcs.len();
                index[a] = Some(i);
                arcs.push(Arc {
                    ticket: t as u32,
                    engineer: e,
                    cost,
                    minutes,
                });
                by_engineer[e as usize].push(i);
                ticket_arcs.push(i);
                total_minutes[e as usize] += minutes;
            }
            a += 1;
        }
    }
    let penalty: Vec<i64> = (0..n).map(|t| net.penalty(t)).collect();
    let residual: Vec<u64> = (0..m)
        .map(|e| {
            model
                .budget(e)
                .unwrap_or(total_minutes[e])
                .min(total_minutes[e])
        })
        .collect();
    // Start each ticket's multiplier where its second-cheapest arc just pays.
    let u: Vec<f64> = (0..n)
        .map(|t| {
            let mut costs: Vec<i64> = by_ticket[t].iter().map(|&a| arcs[a].cost).collect();
            costs.sort_unstable();
            let c = costs.get(1).or(costs.first()).copied().unwrap_or(0);
            ((penalty[t] - c) as f64).max(0.0)
        })
        .collect();
    let arc_count = arcs.len();
    let search = Search {
        arcs,
        by_engineer,
        by_ticket,
        penalty,
        best: start.to_vec(),
        best_objective: start_objective,
        polish,
        knapsack: Knapsack::default(),
        items: Vec::new(),
        offered: FxHashSet::default(),
    };
    let mut root = Node {
        fixed: vec![None; n],
        forbidden: vec![false; arc_count],
        residual,
        fixed_cost: 0,
        u,
        bound: f64::NEG_INFINITY,
    };
    search.settle(&mut root);
    (search, root, index)
}

/// Starts the root's free tickets at `multipliers` (one per ticket, from an earlier ascent) and
/// returns the root's number of subgradient iterations: warm multipliers need fewer.
fn warm_start(root: &mut Node, multipliers: Option<&[f64]>) -> usize {
    match multipliers {
        Some(u) if u.len() == root.fixed.len() => {
            for (t, &v) in u.iter().enumerate() {
                if root.fixed[t].is_none() {
                    root.u[t] = v;
                }
            }
            100
        }
        _ => 400,
    }
}

/// What [`reduce`] found: the arcs that may still be in an assignment better than the incumbent,
/// and the root's Lagrangian bound.
pub(crate) struct Reduction {
    /// Per network arc: still usable.
    pub(crate) fits: Vec<bool>,
    /// A proven lower bound of the model's optimum.
    pub(crate) bound: i64,
    /// The incumbent, possibly improved by the repairs of the subproblems' solutions.
    pub(crate) assignment: Vec<Option<u32>>,
    /// Its objective.
    pub(crate) objective: i64,
    /// The root multipliers that gave the bound (a warm start for [`solve`]).
    pub(crate) multipliers: Vec<f64>,
}

/// Reduced-cost fixing at the root: runs the knapsack bound's subgradient ascent and drops every
/// arc (network order, among `fits`) whose use would raise the bound to the incumbent or above, so
/// no assignment better than the incumbent uses it. The incumbent's own arcs are kept, so it stays
/// a feasible start for the model over the remaining arcs.
pub(crate) fn reduce(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
    polish: Polish<'_>,
    multipliers: Option<&[f64]>,
) -> Reduction {
    let net = model.network();
    let (mut search, mut root, index) = setup(model, fits, start, start_objective, polish);
    let iterations = warm_start(&mut root, multipliers);
    let (value, u, solved) = search.ascend(&root, iterations, 2.0, deadline);
    let mut delta = vec![0.0; search.arcs.len()];
    let sub = search.subproblem_with(&root, &u, Some(&mut delta));
    search.offer(&root, &sub);
    if value == f64::NEG_INFINITY {
        // Out of time before the first subproblem: nothing is known.
        return Reduction {
            fits: fits.to_vec(),
            bound: i64::MIN,
            assignment: search.best,
            objective: search.best_objective,
            multipliers: u,
        };
    }
    let bound = if solved {
        search.best_objective
    } else {
        ceil_bound(value).min(search.best_objective)
    };
    // Keep the arcs of the (possibly improved) incumbent.
    let mut keep = vec![false; search.arcs.len()];
    for (t, e) in search.best.iter().enumerate() {
        if let Some(e) = *e {
            if let Some(&a) = search.by_ticket[t]
                .iter()
                .find(|&&a| search.arcs[a].engineer == e)
            {
                keep[a] = true;
            }
        }
    }
    let mut node = root;
    search.fix_by_reduced_cost(&mut node, value, &delta, &keep);
    let mut reduced = fits.to_vec();
    let mut a = 0usize;
    for t in 0..net.tickets() {
        for _ in net.arcs_of(t) {
            if let Some(i) = index[a] {
                reduced[a] = !node.forbidden[i];
            }
            a += 1;
        }
    }
    Reduction {
        fits: reduced,
        bound,
        assignment: search.best,
        objective: search.best_objective,
        multipliers: u,
    }
}

/// Runs the search until it is exhaustive or `deadline` passes. `fits` marks the usable arcs (network
/// order); `start` is a feasible assignment with objective `start_objective`; `polish` turns any
/// assignment into a feasible one with its objective (or `None`).
pub(crate) fn solve(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
    polish: Polish<'_>,
    multipliers: Option<&[f64]>,
) -> BbResult {
    solve_limited(
        model,
        fits,
        start,
        start_objective,
        deadline,
        polish,
        multipliers,
        usize::MAX,
    )
}

/// [`solve`] that also stops after `max_nodes` nodes (then deterministic for a given input, unless
/// the deadline comes first).
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_limited(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
    polish: Polish<'_>,
    multipliers: Option<&[f64]>,
    max_nodes: usize,
) -> BbResult {
    let n = model.network().tickets();
    let (mut search, mut root, _) = setup(model, fits, start, start_objective, polish);
    let root_iterations = warm_start(&mut root, multipliers);
    let mut stack = vec![root];
    let mut first = true;
    let mut exhausted = true;
    let mut nodes = 0usize;
    while let Some(mut node) = stack.pop() {
        if ceil_bound(node.bound) >= search.best_objective {
            continue;
        }
        if nodes >= max_nodes || Instant::now() >= deadline {
            stack.push(node);
            exhausted = false;
            break;
        }
        nodes += 1;
        let (iterations, mu) = if first {
            (root_iterations, 2.0)
        } else {
            (40, 0.5)
        };
        first = false;
        let (best_value, best_u, solved) = search.ascend(&node, iterations, mu, deadline);
        let node_bound = best_value.max(node.bound);
        if solved || ceil_bound(node_bound) >= search.best_objective {
            continue;
        }
        // Branch on the knapsack solution at the best multipliers.
        // Reduced-cost fixing: arcs that cannot be in a better assignment of this subtree go.
        let mut delta = vec![0.0; search.arcs.len()];
        let mut sub = search.subproblem_with(&node, &best_u, Some(&mut delta));
        search.offer(&node, &sub);
        if search.fix_by_reduced_cost(&mut node, best_value, &delta, &[]) > 0 {
            search.settle(&mut node);
            sub = search.subproblem(&node, &best_u);
            search.offer(&node, &sub);
        }
        let branch = (0..n)
            .filter(|&t| node.fixed[t].is_none() && sub.taken[t].len() >= 2)
            .max_by_key(|&t| (sub.taken[t].len(), std::cmp::Reverse(t)))
            .map(|t| {
                let e = sub.taken[t]
                    .iter()
                    .copied()
                    .min_by_key(|&e| (search.cost(t, e), e))
                    .expect("taken twice");
                (t, e)
            })
            .or_else(|| {
                (0..n)
                    .filter(|&t| {
                        node.fixed[t].is_none() && sub.taken[t].is_empty() && best_u[t] > 0.0
                    })
                    .max_by(|&a, &b| best_u[a].total_cmp(&best_u[b]).then(b.cmp(&a)))
                    .and_then(|t| {
                        search.by_ticket[t]
                            .iter()
                            .map(|&a| search.arcs[a])
                            .enumerate()
                            .filter(|&(i, arc)| {
                                !node.forbidden[search.by_ticket[t][i]]
                                    && arc.minutes <= node.residual[arc.engineer as usize]
                            })
                            .min_by_key(|&(_, arc)| (arc.cost, arc.engineer))
                            .map(|(_, arc)| (t, arc.engineer))
                    })
            });
        let Some((t, e)) = branch else {
            // The subproblem at the best multipliers is feasible (its ticket counts are all 0 or
            // 1); offered above, so this node is done.
            continue;
        };
        let a = *search.by_ticket[t]
            .iter()
            .find(|&&a| search.arcs[a].engineer == e)
            .expect("the branching arc exists");
        node.u = best_u;
        node.bound = node_bound;
        let mut forbid = node.clone();
        forbid.forbidden[a] = true;
        search.settle(&mut forbid);
        let mut fix = node;
        fix.fixed[t] = Some(e);
        fix.fixed_cost += search.arcs[a].cost;
        fix.residual[e as usize] -= search.arcs[a].minutes;
        fix.u[t] = 0.0;
        search.settle(&mut fix);
        stack.push(forbid);
        stack.push(fix);
    }

    let bound = if exhausted {
        search.best_objective
    } else {
        stack
            .iter()
            .map(|node| ceil_bound(node.bound))
            .min()
            .unwrap_or(search.best_objective)
            .min(search.best_objective)
    };
    BbResult {
        assignment: search.best,
        objective: search.best_objective,
        bound,
    }
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
            rng_seed: RngSeed::Fixed(0x0b0b_f1c5),
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// The plain table over every capacity that the bounded one replaced: the value, the best sum
    /// at every capacity, and the chosen items (in reverse order).
    fn plain_knapsack(items: &[(usize, f64, usize)], cap: usize) -> (f64, Vec<f64>, Vec<usize>) {
        let mut dp = vec![0.0f64; cap + 1];
        let mut keep = vec![false; items.len() * (cap + 1)];
        for (i, &(_, r, w)) in items.iter().enumerate() {
            for c in (w..=cap).rev() {
                let with = dp[c - w] + r;
                if with < dp[c] {
                    dp[c] = with;
                    keep[i * (cap + 1) + c] = true;
                }
            }
        }
        let mut chosen = Vec::new();
        let mut c = cap;
        for (i, &(_, _, w)) in items.iter().enumerate().rev() {
            if keep[i * (cap + 1) + c] {
                chosen.push(i);
                c -= w;
            }
        }
        (dp[cap], dp, chosen)
    }

    /// Items `(index, r < 0, 1..=w_max minutes)` with `r` on a grid (ties happen) and a capacity.
    fn knapsack_items() -> impl Strategy<Value = (Vec<(usize, f64, usize)>, usize)> {
        (1usize..=12, 1usize..=40).prop_flat_map(|(len, w_max)| {
            (
                proptest::collection::vec((1i32..=40, 1..=w_max), len).prop_map(|v| {
                    v.into_iter()
                        .enumerate()
                        .map(|(i, (r, w))| (i, -f64::from(r) * 0.25, w))
                        .collect::<Vec<_>>()
                }),
                0usize..=(len * w_max),
            )
        })
    }

    proptest! {
        #![proptest_config(config())]

        /// The bounded knapsack table gives the brute-force optimum over all subsets, and exactly
        /// the plain table's value, table and choice of items (the search's results do not change).
        #[test]
        fn knapsack_matches_brute_force_and_the_plain_table(
            (items, cap) in knapsack_items(),
            table in any::<bool>(),
        ) {
            let fits: Vec<&(usize, f64, usize)> = items.iter().filter(|i| i.2 <= cap).collect();
            let items: Vec<(usize, f64, usize)> = fits.into_iter().copied().collect();
            prop_assume!(!items.is_empty());
            // Brute force over every subset (exact: the sums are multiples of 1/4).
            let mut best = 0.0f64;
            for mask in 0u32..(1 << items.len()) {
                let (mut r, mut w) = (0.0, 0);
                for (i, item) in items.iter().enumerate() {
                    if mask >> i & 1 == 1 {
                        r += item.1;
                        w += item.2;
                    }
                }
                if w <= cap && r < best {
                    best = r;
                }
            }
            let mut k = Knapsack::default();
            // Twice, so that the second call reads a table the first one left behind.
            for _ in 0..2 {
                let value = k.solve(&items, cap, table);
                prop_assert_eq!(value, best);
                let (plain, plain_dp, plain_chosen) = plain_knapsack(&items, cap);
                prop_assert_eq!(value, plain);
                prop_assert_eq!(&k.chosen, &plain_chosen);
                let weight: usize = k.chosen.iter().map(|&i| items[i].2).sum();
                let sum: f64 = k.chosen.iter().map(|&i| items[i].1).sum();
                prop_assert!(weight <= cap);
                prop_assert_eq!(sum, value);
                if table {
                    prop_assert_eq!(&k.dp[..=cap], &plain_dp[..]);
                }
            }
        }

        /// Reduced-cost fixing never removes the optimum: the best assignment over the arcs left
        /// equals the best over all arcs, for an incumbent that is the empty assignment or a
        /// brute-forced optimum, and the root bound is at most the optimum.
        #[test]
        fn fixing_keeps_the_optimum(model in tiny(), use_empty in any::<bool>()) {
            let all = vec![true; model.network().arcs()];
            let optimum = brute_force(&model, &all);
            let empty = vec![None; model.network().tickets()];
            // The incumbent: the empty assignment (always feasible) or an optimal one from the
            // search itself (checked against the brute force).
            let polish: Polish<'_> = &|x: &[Option<u32>]| {
                model.evaluate(x).ok().map(|v| (x.to_vec(), v))
            };
            let start = if use_empty {
                empty.clone()
            } else {
                let far = Instant::now() + Duration::from_secs(5);
                let found = solve(&model, &all, &empty, model.evaluate(&empty).unwrap(), far, polish, None);
                prop_assert_eq!(found.objective, optimum);
                found.assignment
            };
            let start_objective = model.evaluate(&start).unwrap();
            let deadline = Instant::now() + Duration::from_secs(5);
            let r = reduce(&model, &all, &start, start_objective, deadline, polish, None);
            prop_assert!(r.bound <= optimum);
            prop_assert_eq!(model.evaluate(&r.assignment), Ok(r.objective));
            prop_assert_eq!(brute_force(&model, &r.fits), optimum);
            // Fixing again over the arcs left, warm-started with the multipliers, against the
            // optimum found by a search over them: still keeps the optimum.
            let far = Instant::now() + Duration::from_secs(5);
            let found = solve(&model, &r.fits, &r.assignment, r.objective, far, polish, Some(&r.multipliers));
            prop_assert_eq!(found.objective, optimum);
            let again = reduce(
                &model, &r.fits, &found.assignment, found.objective, far, polish, Some(&r.multipliers),
            );
            prop_assert!(again.bound <= optimum);
            prop_assert_eq!(model.evaluate(&again.assignment), Ok(again.objective));
            prop_assert_eq!(again.objective, optimum);
            prop_assert!(again.fits.iter().zip(&r.fits).all(|(&now, &before)| !now || before));
            prop_assert_eq!(brute_force(&model, &again.fits), optimum);
        }
    }
}
