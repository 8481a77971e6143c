//! A large-neighbourhood search for hour-budget models that re-solves small sub-problems exactly:
//! pick a few engineers, free every ticket they hold (and the unassigned tickets that could go to
//! them), and solve that sub-model (those tickets × those engineers, each engineer's whole budget)
//! with the knapsack-bound branch and bound of [`bb`](super::bb). This is the very large-scale
//! neighbourhood search of Mitrovic-Minic and Punnen for the Generalized Assignment Problem (their
//! "agent subset" neighbourhood): one step moves any number of tickets among the chosen engineers
//! at once, which the shift and swap moves of the [penalty search](super::penalty_search) (and
//! of the tabu search this replaced) cannot.
//!
//! The sub-model keeps the general model's semantics: a freed ticket may stay unassigned at its
//! penalty (in the GAP models the penalty is larger than any assignment, so it never does when the
//! tickets fit). A sub-solution is taken when it is no worse than the current one (equal moves
//! change the plan and so the next sub-problems); the subset grows from two engineers up to
//! [`MAX_SUBSET`] (and at most half of them) after a round of subsets (one per engineer as the
//! seed) brings nothing, and falls back to two after an improvement. The engineers joining a seed
//! are drawn at random, weighted by how cheaply tickets could move between them and the engineers
//! already chosen. A subset whose plan was proven optimal is not solved again until one of its
//! engineers' tickets (or the unassigned tickets) change.
//!
//! Applies to the models of [`bb::applicable`](super::bb::applicable) (no load costs, no side
//! limits, count capacities that cannot bind). Each sub-problem stops after [`MAX_NODES`] nodes, so
//! the result is the same for a given input and number of iterations unless the deadline cuts it
//! short; costs and minutes stay integers throughout, and the model's own evaluation judges the
//! final plan.

use std::collections::BTreeMap;

use web_time::Instant;

use super::Network;
use super::bb;
use super::mip::MipModel;
use super::penalty_search::Rng;

/// The most sub-problems one call solves.
pub(crate) const MAX_ITERATIONS: u64 = 1_000_000;

/// The most branch-and-bound nodes per sub-problem.
pub(crate) const MAX_NODES: usize = 200;

/// Draws per seed for a subset that is not solved already.
const DRAWS: usize = 4;

/// The most engineers in one sub-problem.
pub(crate) const MAX_SUBSET: usize = 8;

/// One usable arc of a ticket.
#[derive(Debug, Clone, Copy)]
struct Arc {
    engineer: usize,
    cost: i64,
    minutes: u64,
}

/// A sub-problem's answer: the freed tickets, their new engineers, and the objective's change.
struct Change {
    tickets: Vec<usize>,
    assignment: Vec<Option<u32>>,
    delta: i64,
}

struct Search<'a> {
    model: &'a MipModel,
    /// Each ticket's usable arcs.
    arcs: Vec<Vec<Arc>>,
    penalty: Vec<i64>,
    /// Current plan: each ticket's engineer, each engineer's tickets (in ticket order).
    at: Vec<Option<usize>>,
    held: Vec<Vec<usize>>,
    cost: i64,
    /// The knapsack bound's multipliers per ticket (a warm start for the sub-problems).
    multipliers: Option<&'a [f64]>,
    /// How far above a ticket's current cost an arc still counts as a cheap move.
    reach: i64,
    max_nodes: usize,
    /// Bumped whenever an engineer's tickets change (per engineer), or the unassigned tickets do.
    version: Vec<u64>,
    free_version: u64,
}

impl Search<'_> {
    fn cost_of(&self, t: usize) -> i64 {
        match self.at[t] {
            None => self.penalty[t],
            Some(e) => self.arcs[t]
                .iter()
                .find(|a| a.engineer == e)
                .map_or(self.penalty[t], |a| a.cost),
        }
    }

    /// The seed engineer and `k − 1` more, each drawn with a weight of 1 plus how cheaply tickets
    /// could move between it and the engineers already chosen. Sorted.
    fn subset(&self, seed: usize, k: usize, rng: &mut Rng) -> Vec<usize> {
        let m = self.held.len();
        let mut member = vec![false; m];
        member[seed] = true;
        let mut members = vec![seed];
        let mut score = vec![0i64; m];
        while members.len() < k.min(m) {
            score.iter_mut().for_each(|s| *s = 1);
            for (t, arcs) in self.arcs.iter().enumerate() {
                let here = self.at[t];
                let inside = here.is_some_and(|e| member[e]);
                let c = self.cost_of(t);
                for a in arcs {
                    let gain = (self.reach - (a.cost - c)).max(0);
                    if inside && !member[a.engineer] {
                        // A chosen engineer's ticket could move to this one.
                        score[a.engineer] += gain;
                    } else if member[a.engineer] {
                        if let Some(e) = here.filter(|&e| !member[e]) {
                            // This engineer's ticket could move to a chosen one.
                            score[e] += gain;
                        }
                    }
                }
            }
            let total: i64 = (0..m).filter(|&e| !member[e]).map(|e| score[e]).sum();
            let mut r = (rng.next() % total.max(1) as u64) as i64;
            let mut pick = None;
            for e in (0..m).filter(|&e| !member[e]) {
                pick = Some(e);
                if r < score[e] {
                    break;
                }
                r -= score[e];
            }
            let e = pick.expect("k is at most the number of engineers");
            member[e] = true;
            members.push(e);
        }
        members.sort_unstable();
        members
    }

    /// What the sub-problem of `members` depends on: its engineers' versions and the unassigned
    /// tickets' version.
    fn snapshot(&self, members: &[usize]) -> Vec<u64> {
        let mut v: Vec<u64> = members.iter().map(|&e| self.version[e]).collect();
        v.push(self.free_version);
        v
    }

    /// Re-solves the tickets of `members` (and the unassigned ones that could go to them) exactly,
    /// within `max_nodes` nodes. Returns a different plan for them that is no worse, or `None`, and
    /// whether the search was exhaustive (then the plan, new or current, is optimal for them).
    fn solve_subset(&self, members: &[usize], deadline: Instant) -> (Option<Change>, bool) {
        self.solve_subset_inner(members, deadline)
            .unwrap_or((None, false))
    }

    fn solve_subset_inner(
        &self,
        members: &[usize],
        deadline: Instant,
    ) -> Option<(Option<Change>, bool)> {
        let net = self.model.network();
        let m = self.held.len();
        let k = members.len();
        let mut local = vec![usize::MAX; m];
        for (j, &e) in members.iter().enumerate() {
            local[e] = j;
        }
        let tickets: Vec<usize> = (0..self.arcs.len())
            .filter(|&t| match self.at[t] {
                Some(e) => local[e] != usize::MAX,
                None => self.arcs[t].iter().any(|a| local[a.engineer] != usize::MAX),
            })
            .collect();
        if tickets.is_empty() {
            return Some((None, true));
        }
        let mut arcs = Vec::new();
        let mut minutes = vec![0u64; tickets.len() * k];
        for (i, &t) in tickets.iter().enumerate() {
            for a in &self.arcs[t] {
                let j = local[a.engineer];
                if j != usize::MAX {
                    arcs.push((i as u32, j as u32, a.cost));
                    minutes[i * k + j] = a.minutes;
                }
            }
        }
        let sub_net = Network::new(
            members.iter().map(|&e| net.capacity(e)).collect(),
            tickets.iter().map(|&t| self.penalty[t]).collect(),
            arcs,
        )
        .ok()?;
        let sub = MipModel::new(
            sub_net,
            |i, j| minutes[i * k + j as usize],
            members.iter().map(|&e| self.model.budget(e)).collect(),
        )
        .ok()?;
        let start: Vec<Option<u32>> = tickets
            .iter()
            .map(|&t| self.at[t].map(|e| local[e] as u32))
            .collect();
        let start_objective = sub.evaluate(&start).ok()?;
        let fits = vec![true; sub.network().arcs()];
        let polish = |x: &[Option<u32>]| repair(&sub, x);
        let warm: Option<Vec<f64>> = self
            .multipliers
            .map(|u| tickets.iter().map(|&t| u[t]).collect());
        // One above the current value, so that an equally good different plan is taken too.
        let found = bb::solve_limited(
            &sub,
            &fits,
            &start,
            start_objective + 1,
            deadline,
            &polish,
            warm.as_deref(),
            self.max_nodes,
        );
        // Exhaustive: the bound reached the incumbent (see `bb::solve`).
        let proven = found.bound >= found.objective;
        if found.objective > start_objective || found.assignment == start {
            return Some((None, proven));
        }
        // The search's plans come from `repair`, which evaluates them; checked once more here.
        let objective = sub.evaluate(&found.assignment).ok()?;
        let change = (objective <= start_objective).then(|| Change {
            assignment: found
                .assignment
                .iter()
                .map(|e| e.map(|j| members[j as usize] as u32))
                .collect(),
            tickets,
            delta: objective - start_objective,
        });
        Some((change, proven))
    }

    fn apply(&mut self, members: &[usize], change: &Change) {
        for (&t, &e) in change.tickets.iter().zip(&change.assignment) {
            if self.at[t].is_none() != e.is_none() {
                self.free_version += 1;
            }
            self.at[t] = e.map(|e| e as usize);
        }
        for &e in members {
            self.version[e] += 1;
        }
        for &e in members {
            self.held[e].clear();
        }
        for &t in &change.tickets {
            if let Some(e) = self.at[t] {
                self.held[e].push(t);
            }
        }
        self.cost += change.delta;
    }
}

/// Makes any assignment of a (sub-)model feasible: drops tickets from engineers over their budget or
/// ticket count (those losing the least per minute freed first), then inserts the unassigned
/// tickets, the ones with the most to lose first, at their cheapest engineer with room. Exact
/// integer arithmetic throughout; the model's evaluation gives the objective.
fn repair(model: &MipModel, x: &[Option<u32>]) -> Option<(Vec<Option<u32>>, i64)> {
    let net = model.network();
    let m = net.engineers();
    let mut x = x.to_vec();
    let mut load = vec![0u64; m];
    let mut count = vec![0u32; m];
    let mut held: Vec<Vec<(usize, i64, u64)>> = vec![Vec::new(); m];
    for (t, e) in x.iter_mut().enumerate() {
        let Some(ei) = *e else { continue };
        match (model.minutes_of(t, ei), net.arc_cost_of(t, ei)) {
            (Some(mins), Some(cost)) => {
                load[ei as usize] += mins;
                count[ei as usize] += 1;
                held[ei as usize].push((t, net.penalty(t) - cost, mins));
            }
            _ => *e = None,
        }
    }
    for e in 0..m {
        let budget = model.budget(e).unwrap_or(u64::MAX);
        let slots = net.capacity(e);
        // Least loss per minute first: loss_a · minutes_b < loss_b · minutes_a.
        held[e].sort_by(|a, b| {
            (i128::from(a.1) * i128::from(b.2.max(1)))
                .cmp(&(i128::from(b.1) * i128::from(a.2.max(1))))
                .then(a.0.cmp(&b.0))
        });
        let mut i = 0;
        while load[e] > budget || count[e] > slots {
            let (t, _, mins) = held[e][i];
            x[t] = None;
            load[e] -= mins;
            count[e] -= 1;
            i += 1;
        }
    }
    let mut order: Vec<(i64, usize)> = (0..x.len())
        .filter(|&t| x[t].is_none())
        .filter_map(|t| {
            let cheapest = net.arcs_of(t).map(|(_, c)| c).min()?;
            Some((net.penalty(t) - cheapest, t))
        })
        .collect();
    order.sort_unstable_by_key(|&(gain, t)| (std::cmp::Reverse(gain), t));
    for (_, t) in order {
        let best = net
            .arcs_of(t)
            .filter(|&(e, c)| c < net.penalty(t) && count[e as usize] < net.capacity(e as usize))
            .filter_map(|(e, c)| {
                let mins = model.minutes_of(t, e)?;
                let room = model
                    .budget(e as usize)
                    .is_none_or(|b| load[e as usize] + mins <= b);
                room.then_some((c, e, mins))
            })
            .min();
        if let Some((_, e, mins)) = best {
            x[t] = Some(e);
            load[e as usize] += mins;
            count[e as usize] += 1;
        }
    }
    let objective = model.evaluate(&x).ok()?;
    Some((x, objective))
}

/// The cycles through every subset size without a better plan after which
/// [`Limits::brief`] stops.
const STALL_CYCLES: u64 = 2;

/// How long [`improve`] runs and how large its subsets get.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most sub-problems (subset draws) in one call.
    pub(crate) iterations: u64,
    /// The most engineers in one subset.
    pub(crate) subset: usize,
    /// Stop after this many sub-problems in a row without a better plan.
    pub(crate) patience: u64,
}

impl Limits {
    /// The full search for `m` engineers: [`MAX_ITERATIONS`] sub-problems, subsets of up to
    /// [`MAX_SUBSET`] engineers but at most half of them (a larger sub-problem is most of the
    /// model again), no patience limit.
    pub(crate) fn full(m: usize) -> Limits {
        Limits {
            iterations: MAX_ITERATIONS,
            subset: MAX_SUBSET.min((m / 2).max(2)),
            patience: u64::MAX,
        }
    }

    /// The full search that also stops after two cycles through every subset size (a round of
    /// one subset per engineer at each size) without a better plan: a short search for a plan
    /// near the optimum before the exact stages.
    pub(crate) fn brief(m: usize) -> Limits {
        let full = Limits::full(m);
        let sizes = full.subset.min(m).saturating_sub(2) + 1;
        Limits {
            patience: STALL_CYCLES * (m * sizes) as u64,
            ..full
        }
    }
}

/// Runs the search from the feasible assignment `start` (objective `start_objective`) over the arcs
/// marked in `fits` (network order; the start's own arcs are always kept) until `deadline` or
/// `limits` stop it. `multipliers` (one per ticket) warm-start the sub-problems'
/// bounds. Returns a feasible assignment strictly better than the start, with its objective, or
/// `None` when it found none (or the model is not one of [`bb::applicable`]).
pub(crate) fn improve(
    model: &MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    start_objective: i64,
    deadline: Instant,
    multipliers: Option<&[f64]>,
    limits: Limits,
) -> Option<(Vec<Option<u32>>, i64)> {
    let net = model.network();
    let n = net.tickets();
    let m = net.engineers();
    let max_iterations = limits.iterations;
    if n == 0 || m == 0 || start.len() != n || !bb::applicable(model) {
        return None;
    }
    let mut search = setup(model, fits, start, multipliers)?;
    let mut rng = Rng(0x1A5 ^ n as u64 ^ ((m as u64) << 32));
    let mut order: Vec<usize> = (0..m).collect();
    let mut next = m;
    let smallest = 2.min(m);
    let largest = limits.subset.clamp(smallest, m);
    let mut k = smallest;
    let mut idle = 0usize;
    let mut iteration = 0u64;
    let mut since_better = 0u64;
    // Subsets whose plan is proven optimal, with the snapshot it was proven at.
    let mut solved: BTreeMap<Vec<usize>, Vec<u64>> = BTreeMap::new();
    while iteration < max_iterations && since_better < limits.patience && Instant::now() < deadline
    {
        iteration += 1;
        if next == m {
            // A new round: every engineer seeds one subset, in a random order.
            for i in (1..m).rev() {
                order.swap(i, rng.below(i + 1));
            }
            next = 0;
        }
        let seed = order[next];
        next += 1;
        // A few draws around the seed for a subset not already solved as it is now.
        let members = (0..DRAWS)
            .map(|_| search.subset(seed, k, &mut rng))
            .find(|s| solved.get(s) != Some(&search.snapshot(s)));
        let Some(members) = members else {
            since_better += 1;
            idle += 1;
            if idle >= m {
                k = if k >= largest { smallest } else { k + 1 };
                idle = 0;
            }
            continue;
        };
        let (change, proven) = search.solve_subset(&members, deadline);
        let improved = change.as_ref().is_some_and(|c| c.delta < 0);
        since_better = if improved { 0 } else { since_better + 1 };
        if let Some(change) = change {
            search.apply(&members, &change);
        }
        if proven {
            solved.insert(members.clone(), search.snapshot(&members));
        }
        if improved {
            k = smallest;
            idle = 0;
        } else {
            idle += 1;
            if idle >= m {
                // A round without improvement: larger subsets (back to the smallest after the
                // largest).
                k = if k >= largest { smallest } else { k + 1 };
                idle = 0;
            }
        }
    }
    let assignment: Vec<Option<u32>> = search.at.iter().map(|e| e.map(|e| e as u32)).collect();
    // The model's own evaluation is the judge (it also checks every budget).
    let objective = model.evaluate(&assignment).ok()?;
    debug_assert_eq!(objective, search.cost);
    (objective < start_objective).then_some((assignment, objective))
}

/// The search's state for the feasible `start`; `None` when the start does not evaluate.
fn setup<'a>(
    model: &'a MipModel,
    fits: &[bool],
    start: &[Option<u32>],
    multipliers: Option<&'a [f64]>,
) -> Option<Search<'a>> {
    let net = model.network();
    let n = net.tickets();
    let m = net.engineers();
    let cost = model.evaluate(start).ok()?;
    let mut arcs: Vec<Vec<Arc>> = vec![Vec::new(); n];
    let mut a = 0usize;
    let (mut low, mut high) = (i64::MAX, i64::MIN);
    for (t, list) in arcs.iter_mut().enumerate() {
        for (e, c) in net.arcs_of(t) {
            if fits.get(a).copied().unwrap_or(false) || start[t] == Some(e) {
                list.push(Arc {
                    engineer: e as usize,
                    cost: c,
                    minutes: model.minutes_of(t, e).unwrap_or(0),
                });
                low = low.min(c);
                high = high.max(c);
            }
            a += 1;
        }
    }
    let mut held = vec![Vec::new(); m];
    for (t, e) in start.iter().enumerate() {
        if let Some(e) = *e {
            held[e as usize].push(t);
        }
    }
    Some(Search {
        model,
        penalty: (0..n).map(|t| net.penalty(t)).collect(),
        at: start.iter().map(|e| e.map(|e| e as usize)).collect(),
        held,
        cost,
        multipliers: multipliers.filter(|u| u.len() == n),
        reach: if low <= high { (high - low) / 4 + 1 } else { 1 },
        arcs,
        max_nodes: MAX_NODES,
        version: vec![0; m],
        free_version: 0,
    })
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
            rng_seed: RngSeed::Fixed(0x1a5_5eed),
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// A feasible start from arbitrary picks: ticket `t` takes its `picks[t] mod (arcs + 1)`-th
    /// option (the last is "unassigned"), then `repair` makes it feasible.
    fn start_of(model: &MipModel, picks: &[usize]) -> Vec<Option<u32>> {
        let net = model.network();
        let x: Vec<Option<u32>> = (0..net.tickets())
            .map(|t| {
                let options: Vec<u32> = net.arcs_of(t).map(|(e, _)| e).collect();
                let i = picks[t] % (options.len() + 1);
                options.get(i).copied()
            })
            .collect();
        repair(model, &x).expect("repair gives a feasible plan").0
    }

    /// What a search of the whole model starts from: every arc allowed, a feasible start from
    /// `picks` (see [`start_of`]) and its objective, a deadline far enough not to matter, and the
    /// brute-force optimum to compare with.
    struct Whole {
        all: Vec<bool>,
        start: Vec<Option<u32>>,
        start_objective: i64,
        far: Instant,
        optimum: i64,
    }

    fn whole(model: &MipModel, picks: &[usize]) -> Whole {
        let all = vec![true; model.network().arcs()];
        let start = start_of(model, picks);
        let start_objective = model.evaluate(&start).unwrap();
        let optimum = brute_force(model, &all);
        Whole {
            all,
            start,
            start_objective,
            far: Instant::now() + Duration::from_secs(30),
            optimum,
        }
    }

    /// The arcs (network order) a sub-problem of `members` may use from `start`: the freed
    /// tickets' arcs to the members, every other ticket's current arc.
    fn sub_mask(model: &MipModel, start: &[Option<u32>], members: &[usize]) -> Vec<bool> {
        let net = model.network();
        let inside = |e: u32| members.contains(&(e as usize));
        let mut mask = Vec::new();
        for (t, &now) in start.iter().enumerate() {
            let freed = match now {
                Some(e) => inside(e),
                None => net.arcs_of(t).any(|(e, _)| inside(e)),
            };
            for (e, _) in net.arcs_of(t) {
                mask.push(if freed { inside(e) } else { now == Some(e) });
            }
        }
        mask
    }

    proptest! {
        #![proptest_config(config())]

        /// The sub-problem solver's plan is feasible for the whole model and reaches the brute-force
        /// optimum over the plans that change only the freed tickets among the chosen engineers.
        #[test]
        fn subset_optimum_equals_brute_force(
            model in tiny(),
            picks in proptest::collection::vec(0usize..4, 6),
            chosen in proptest::collection::vec(any::<bool>(), 3),
        ) {
            let net = model.network();
            let all = vec![true; net.arcs()];
            let start = start_of(&model, &picks);
            let start_objective = model.evaluate(&start).unwrap();
            let members: Vec<usize> = (0..net.engineers()).filter(|&e| chosen[e]).collect();
            prop_assume!(!members.is_empty());
            let mut search = setup(&model, &all, &start, None).unwrap();
            search.max_nodes = usize::MAX;
            let far = Instant::now() + Duration::from_secs(30);
            let optimum = brute_force(&model, &sub_mask(&model, &start, &members));
            let (change, proven) = search.solve_subset(&members, far);
            prop_assert!(proven);
            let reached = match change {
                Some(change) => {
                    prop_assert!(change.delta <= 0);
                    search.apply(&members, &change);
                    let x: Vec<Option<u32>> =
                        search.at.iter().map(|e| e.map(|e| e as u32)).collect();
                    prop_assert_eq!(model.evaluate(&x), Ok(start_objective + change.delta));
                    start_objective + change.delta
                }
                None => start_objective,
            };
            prop_assert_eq!(reached, optimum);
        }

        /// The search never returns a worse or infeasible plan; allowed subsets of every engineer,
        /// it grows to them after rounds without improvement, so it reaches the brute-force
        /// optimum of the whole model. Two runs give the same answer.
        #[test]
        fn plan_is_feasible_no_worse_and_optimal_with_every_engineer(
            model in tiny(),
            picks in proptest::collection::vec(0usize..4, 6),
        ) {
            let net = model.network();
            let Whole { all, start, start_objective, far, optimum } = whole(&model, &picks);
            // Rounds of m subsets at k = 2, then at k = 3: all engineers within 3m + 1.
            let limits = Limits { iterations: 200, subset: net.engineers(), patience: u64::MAX };
            let found = improve(&model, &all, &start, start_objective, far, None, limits);
            match &found {
                Some((x, obj)) => {
                    prop_assert_eq!(model.evaluate(x), Ok(*obj));
                    prop_assert!(*obj < start_objective);
                    prop_assert_eq!(*obj, optimum);
                }
                None => prop_assert_eq!(start_objective, optimum),
            }
            let again = improve(&model, &all, &start, start_objective, far, None, limits);
            prop_assert_eq!(found, again);
        }

        /// The short search before the exact stages: never a worse or infeasible plan, never
        /// better than the brute-force optimum, the same answer twice; and with a patience of
        /// zero sub-problems it stops at once (the start stays).
        #[test]
        fn brief_search_is_feasible_no_worse_and_stops(
            model in tiny(),
            picks in proptest::collection::vec(0usize..4, 6),
        ) {
            let net = model.network();
            let Whole { all, start, start_objective, far, optimum } = whole(&model, &picks);
            let found = improve(&model, &all, &start, start_objective, far, None, Limits::brief(net.engineers()));
            if let Some((x, obj)) = &found {
                prop_assert_eq!(model.evaluate(x), Ok(*obj));
                prop_assert!(*obj < start_objective);
                prop_assert!(*obj >= optimum);
            }
            let again = improve(&model, &all, &start, start_objective, far, None, Limits::brief(net.engineers()));
            prop_assert_eq!(found, again);
            let limits = Limits { iterations: 200, subset: net.engineers(), patience: 0 };
            let none = improve(&model, &all, &start, start_objective, far, None, limits);
            prop_assert_eq!(none, None);
        }
    }
}
