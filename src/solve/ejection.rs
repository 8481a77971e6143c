//! Ejection chains for hour-budget models: cyclic and path exchanges found in an improvement graph
//! (the cyclic-exchange neighbourhood of Thompson and Orlin, with the ejection chains of Yagiura,
//! Ibaraki and Glover for the Generalized Assignment Problem as its paths).
//!
//! The graph has a node per assigned ticket and a "room" node per engineer. An arc `v → u` says
//! that `v`'s ticket moves to `u`'s engineer and pushes `u`'s ticket out (a room node moves
//! nothing, and as the head of an arc pushes nothing out): its cost is what the move and the ejection
//! change, and it exists only when `u`'s engineer stays within its minutes after exactly that one
//! ticket in and that one out. A cycle whose nodes all sit at different engineers is then a
//! feasible exchange — every engineer on it gains one ticket (or none) and loses one (or none) — of
//! the cycle's cost. Through a room node it is a path (an ejection chain that ends at an engineer
//! with room, or starts at one that only loses a ticket); two nodes make the shift and swap moves.
//!
//! The search for a negative cycle is the usual label-correcting heuristic: paths grow from every
//! node one arc per level, up to a given length, keeping at each node and level only the cheapest
//! path and only paths whose cost is negative (every negative cycle has a rotation whose partial
//! sums are all negative), and skipping nodes at an engineer the path already visits. It may miss
//! a negative cycle; one it reports is checked again from scratch (minutes and cost). Integers
//! throughout; no randomness, so the result is a function of the plan.

/// One usable arc of a ticket: engineer, cost, minutes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arc {
    pub(crate) engineer: usize,
    pub(crate) cost: i64,
    pub(crate) minutes: u64,
}

/// An improving exchange: tickets and the engineers they move to, and the change of the cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub(crate) moves: Vec<(usize, usize)>,
    pub(crate) delta: i64,
}

/// The model as the search reads it.
pub(crate) struct Chains {
    m: usize,
    /// `table[t·m + e]`: ticket `t`'s arc to engineer `e` (cost, minutes), if usable.
    table: Vec<Option<(i64, u64)>>,
    /// Each ticket's engineers, in arc order.
    engineers: Vec<Vec<usize>>,
    budget: Vec<u64>,
}

/// A path of the search: its last node, its first node, the label before it, its cost.
#[derive(Clone, Copy)]
struct Label {
    node: usize,
    root: usize,
    pred: usize,
    cost: i64,
}

const NO_LABEL: usize = usize::MAX;

impl Chains {
    /// The search over each ticket's usable `arcs` and each engineer's `budget` (minutes).
    pub(crate) fn new(m: usize, arcs: &[Vec<Arc>], budget: Vec<u64>) -> Chains {
        let mut table = vec![None; arcs.len() * m];
        let mut engineers = Vec::with_capacity(arcs.len());
        for (t, list) in arcs.iter().enumerate() {
            let mut es = Vec::with_capacity(list.len());
            for a in list {
                if a.engineer < m && table[t * m + a.engineer].is_none() {
                    table[t * m + a.engineer] = Some((a.cost, a.minutes));
                    es.push(a.engineer);
                }
            }
            engineers.push(es);
        }
        Chains {
            m,
            table,
            engineers,
            budget,
        }
    }

    fn arc(&self, t: usize, e: usize) -> Option<(i64, u64)> {
        self.table[t * self.m + e]
    }

    /// The most negative exchange the search finds from the feasible plan `at` (each ticket's
    /// engineer), with cycles of at most `max_len` nodes; `None` when it finds none (or `at` does
    /// not fit the model).
    pub(crate) fn find(&self, at: &[Option<usize>], max_len: usize) -> Option<Exchange> {
        let n = at.len();
        let m = self.m;
        if n * m != self.table.len() || max_len < 2 {
            return None;
        }
        let mut load = vec![0u64; m];
        let mut held: Vec<Vec<usize>> = vec![Vec::new(); m];
        for (t, e) in at.iter().enumerate() {
            if let Some(e) = *e {
                if e >= m {
                    return None;
                }
                load[e] += self.arc(t, e)?.1;
                held[e].push(t);
            }
        }
        // Nodes: tickets 0..n (assigned ones only), rooms n..n + m.
        let engineer_of = |v: usize| if v < n { at[v] } else { Some(v - n) };
        // Moving node `v`'s ticket into engineer `e` with node `u` (at `e`) pushed out: the cost, if
        // `e` stays within its minutes.
        let step = |v: usize, u: usize, e: usize| -> Option<i64> {
            if v >= n && u >= n {
                return None;
            }
            let (cin, win) = if v < n { self.arc(v, e)? } else { (0, 0) };
            let (cout, wout) = if u < n { self.arc(u, e)? } else { (0, 0) };
            (load[e] - wout + win <= self.budget[e]).then_some(cin - cout)
        };
        let mut labels: Vec<Label> = Vec::new();
        let mut level: Vec<usize> = Vec::new();
        for v in 0..n + m {
            if engineer_of(v).is_some() {
                level.push(labels.len());
                labels.push(Label {
                    node: v,
                    root: v,
                    pred: NO_LABEL,
                    cost: 0,
                });
            }
        }
        let mut best: Option<(i64, usize, usize)> = None;
        let mut on_path = vec![false; m];
        let mut at_level = vec![NO_LABEL; n + m];
        // `level` holds the paths of `depth` nodes.
        for depth in 1..=max_len {
            let mut next: Vec<usize> = Vec::new();
            for &l in &level {
                let label = labels[l];
                // The engineers on the path.
                let mut p = l;
                while p != NO_LABEL {
                    if let Some(e) = engineer_of(labels[p].node) {
                        on_path[e] = true;
                    }
                    p = labels[p].pred;
                }
                let v = label.node;
                let targets: Vec<usize> = if v < n {
                    self.engineers[v].clone()
                } else {
                    (0..m).collect()
                };
                if depth < max_len {
                    for e in targets {
                        if on_path[e] {
                            continue;
                        }
                        for u in held[e].iter().copied().chain(std::iter::once(n + e)) {
                            let Some(c) = step(v, u, e) else { continue };
                            let cost = label.cost + c;
                            // Closing the cycle: `u`'s ticket moves to the root's engineer, pushing
                            // the root's ticket out.
                            let root = label.root;
                            if let Some(close) = engineer_of(root).and_then(|r| step(u, root, r)) {
                                let total = cost + close;
                                if total < 0 && best.is_none_or(|(b, _, _)| total < b) {
                                    best = Some((total, l, u));
                                }
                            }
                            if cost >= 0 || depth + 1 >= max_len {
                                continue;
                            }
                            let slot = at_level[u];
                            if slot != NO_LABEL && labels[slot].cost <= cost {
                                continue;
                            }
                            let new = Label {
                                node: u,
                                root: label.root,
                                pred: l,
                                cost,
                            };
                            if slot != NO_LABEL {
                                labels[slot] = new;
                            } else {
                                at_level[u] = labels.len();
                                next.push(labels.len());
                                labels.push(new);
                            }
                        }
                    }
                }
                on_path.iter_mut().for_each(|x| *x = false);
            }
            for &l in &next {
                at_level[labels[l].node] = NO_LABEL;
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        let (delta, last, closing) = best?;
        // The cycle's nodes, first to last.
        let mut nodes = vec![closing];
        let mut p = last;
        while p != NO_LABEL {
            nodes.push(labels[p].node);
            p = labels[p].pred;
        }
        nodes.reverse();
        let mut moves = Vec::new();
        for (i, &v) in nodes.iter().enumerate() {
            let u = nodes[(i + 1) % nodes.len()];
            if v < n {
                moves.push((v, engineer_of(u)?));
            }
        }
        // Checked from scratch: every engineer within its minutes, and the cost change.
        let mut after: Vec<Option<usize>> = at.to_vec();
        for &(t, e) in &moves {
            after[t] = Some(e);
        }
        let mut new_load = vec![0u64; m];
        let mut change = 0i64;
        for t in 0..n {
            if let Some(e) = after[t] {
                let (c, w) = self.arc(t, e)?;
                new_load[e] += w;
                change += c;
            }
            if let Some(e) = at[t] {
                change -= self.arc(t, e)?.0;
            }
        }
        let fits = (0..m).all(|e| new_load[e] <= self.budget[e]);
        (fits && change == delta && delta < 0).then_some(Exchange { moves, delta })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;
    use crate::solve::mip::MipModel;
    use crate::solve::penalty_search::tests::{brute_force, tiny};

    fn config() -> Config {
        Config {
            cases: 256,
            rng_seed: RngSeed::Fixed(0xec_5eed),
            failure_persistence: None,
            ..Config::default()
        }
    }

    fn chains_of(model: &MipModel) -> Chains {
        let net = model.network();
        let m = net.engineers();
        let arcs: Vec<Vec<Arc>> = (0..net.tickets())
            .map(|t| {
                net.arcs_of(t)
                    .map(|(e, cost)| Arc {
                        engineer: e as usize,
                        cost,
                        minutes: model.minutes_of(t, e).unwrap_or(0),
                    })
                    .collect()
            })
            .collect();
        let budget = (0..m)
            .map(|e| model.budget(e).unwrap_or(u64::MAX))
            .collect();
        Chains::new(m, &arcs, budget)
    }

    /// A plan from arbitrary picks (`picks[t] mod (engineers + 1)`, the last meaning unassigned);
    /// `None` when it does not fit.
    fn plan_of(model: &MipModel, picks: &[usize]) -> Option<Vec<Option<u32>>> {
        let m = model.network().engineers();
        let x: Vec<Option<u32>> = (0..model.network().tickets())
            .map(|t| {
                let i = picks[t] % (m + 1);
                (i < m).then_some(i as u32)
            })
            .collect();
        model.evaluate(&x).ok().map(|_| x)
    }

    /// The best change of one shift (an assigned ticket to another engineer) or one swap (two
    /// assigned tickets at different engineers trade places) that keeps the plan feasible,
    /// judged by the model's own evaluation.
    fn best_shift_or_swap(model: &MipModel, x: &[Option<u32>]) -> i64 {
        let m = model.network().engineers() as u32;
        let now = model.evaluate(x).unwrap();
        let mut best = 0;
        let mut y = x.to_vec();
        for t in 0..x.len() {
            let Some(et) = x[t] else { continue };
            for e in (0..m).filter(|&e| e != et) {
                y[t] = Some(e);
                if let Ok(v) = model.evaluate(&y) {
                    best = best.min(v - now);
                }
                y[t] = x[t];
            }
            for u in t + 1..x.len() {
                let Some(eu) = x[u] else { continue };
                if eu == et {
                    continue;
                }
                y[t] = Some(eu);
                y[u] = Some(et);
                if let Ok(v) = model.evaluate(&y) {
                    best = best.min(v - now);
                }
                y[t] = x[t];
                y[u] = x[u];
            }
        }
        best
    }

    proptest! {
        #![proptest_config(config())]

        /// An exchange the search reports is feasible, its change is the model's own difference of
        /// objectives and negative, it is never better than the brute-force optimum, and it is at
        /// least as good as the best shift or swap (which a cycle of two nodes covers); with an
        /// improving shift or swap it always finds something.
        #[test]
        fn exchange_is_feasible_exact_and_covers_shifts_and_swaps(
            model in tiny(),
            picks in proptest::collection::vec(0usize..4, 6),
            max_len in 2usize..6,
        ) {
            let Some(x) = plan_of(&model, &picks) else { return Ok(()) };
            let now = model.evaluate(&x).unwrap();
            let at: Vec<Option<usize>> = x.iter().map(|e| e.map(|e| e as usize)).collect();
            let chains = chains_of(&model);
            let found = chains.find(&at, max_len);
            let local = best_shift_or_swap(&model, &x);
            let optimum = brute_force(&model, &vec![true; model.network().arcs()]);
            match &found {
                Some(ex) => {
                    let mut y = x.clone();
                    for &(t, e) in &ex.moves {
                        prop_assert!(x[t].is_some());
                        y[t] = Some(e as u32);
                    }
                    let after = model.evaluate(&y);
                    prop_assert_eq!(after, Ok(now + ex.delta));
                    prop_assert!(ex.delta < 0);
                    prop_assert!(now + ex.delta >= optimum);
                    prop_assert!(ex.delta <= local);
                }
                None => prop_assert_eq!(local, 0),
            }
            prop_assert_eq!(chains.find(&at, max_len), found);
        }
    }
}
