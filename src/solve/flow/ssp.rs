//! Successive shortest paths, one ticket at a time (Hungarian / Jonker–Volgenant style).
//!
//! Tickets are added one by one. For each new ticket a Dijkstra search over the residual graph, with
//! reduced costs `c(u,v) + π(u) − π(v) ≥ 0`, finds the cheapest way to fit it in: directly to an
//! engineer with spare capacity, through a chain of re-assignments (`t0 → e1 ⇝ t1 → e2 ⇝ … → spare`),
//! or by bumping some ticket to "unassigned" (possibly the new one itself). The search stops as soon
//! as the cheapest way is known (`D`), so it only touches the neighbourhood it needs; the potentials of
//! the settled nodes then move by `d(v) − D`, which keeps every reduced cost non-negative.
//!
//! INVARIANT: after each ticket is added, the partial assignment is optimal for the tickets added so
//! far (reduced-cost optimality holds on every residual arc). So after the last ticket it is optimal.
//! Unassigned tickets have no residual arc into them except from the sink, so a bumped ticket is never
//! reconsidered; that is exactly what the shortest-path order guarantees is safe.
//!
//! Tickets are added in decreasing order of penalty (most urgent first), which keeps bumping rare.
//! Cost: `O(n · (k log k))` where `k` is the part of the graph a search settles: small when capacity
//! is plentiful, growing as engineers fill up. All arithmetic is in `i64` (costs are bounded by
//! [`MAX_COST`](crate::solve::MAX_COST)).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::solve::{Network, NetworkSolution};

const NONE: u32 = u32::MAX;

/// Solves `net` exactly (minimum objective) by successive shortest paths. Deterministic.
pub fn solve(net: &Network) -> NetworkSolution {
    let mut solver = Solver::new(net);
    let mut order: Vec<u32> = (0..net.tickets() as u32).collect();
    order.sort_by_key(|&t| (Reverse(net.penalty(t as usize)), t));
    for t in order {
        solver.insert(t);
    }
    let assignment = solver
        .ticket_engineer
        .iter()
        .map(|&e| (e != NONE).then_some(e))
        .collect::<Vec<_>>();
    let objective = net
        .evaluate(&assignment)
        .expect("the flow solution is feasible by construction");
    NetworkSolution {
        assignment,
        objective,
    }
}

/// Where a search ends: an engineer's next free slot, or a ticket's "unassigned" option.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    Engineer(u32),
    Unassign(u32),
}

struct Solver<'a> {
    net: &'a Network,
    arc_engineer: &'a [u32],
    arc_cost: &'a [i64],
    /// Potentials of engineers and tickets (the sink's stays 0).
    pi_engineer: Vec<i64>,
    pi_ticket: Vec<i64>,
    /// Current engineer of each ticket (`NONE` = not assigned, or not yet inserted).
    ticket_engineer: Vec<u32>,
    /// Arc index of each assigned ticket's arc.
    ticket_arc: Vec<usize>,
    /// Tickets held by each engineer.
    held: Vec<Vec<u32>>,
    // Search state, reset after each search (only the touched entries).
    dist: Vec<i64>,
    /// The ticket whose arc gave each engineer its label.
    pred: Vec<u32>,
    /// The arc that label came through.
    pred_arc: Vec<usize>,
    settled: Vec<bool>,
    touched: Vec<u32>,
    settled_engineers: Vec<u32>,
    settled_tickets: Vec<(u32, i64)>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl<'a> Solver<'a> {
    fn new(net: &'a Network) -> Solver<'a> {
        let m = net.engineers();
        // Non-negative reduced costs on the engineers' first sink arcs even for negative load costs.
        let pi_engineer: Vec<i64> = (0..m)
            .map(|e| {
                if net.capacity(e) > 0 {
                    (-net.load_cost(e, 0)).max(0)
                } else {
                    0
                }
            })
            .collect();
        Solver {
            net,
            arc_engineer: net.arc_engineer(),
            arc_cost: net.arc_cost(),
            pi_engineer,
            pi_ticket: vec![0; net.tickets()],
            ticket_engineer: vec![NONE; net.tickets()],
            ticket_arc: vec![usize::MAX; net.tickets()],
            held: vec![Vec::new(); m],
            dist: vec![i64::MAX; m],
            pred: vec![NONE; m],
            pred_arc: vec![usize::MAX; m],
            settled: vec![false; m],
            touched: Vec::new(),
            settled_engineers: Vec::new(),
            settled_tickets: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Relaxes the arcs out of ticket `t`, reached at distance `dt` (reduced-cost distance); labels
    /// that cannot beat `best`, the cheapest way found so far, are not recorded.
    fn relax_from(&mut self, t: u32, dt: i64, best: i64) {
        let range = self.net.arc_range(t as usize);
        let pit = self.pi_ticket[t as usize];
        let current = self.ticket_engineer[t as usize];
        let base = dt + pit;
        let engineers = &self.arc_engineer[range.clone()];
        let costs = &self.arc_cost[range.clone()];
        let (dist, pi, pred, pred_arc) = (
            &mut self.dist,
            &self.pi_engineer,
            &mut self.pred,
            &mut self.pred_arc,
        );
        for (i, (&e, &c)) in engineers.iter().zip(costs).enumerate() {
            let eu = e as usize;
            let d = base + c - pi[eu];
            let slot = &mut dist[eu];
            // Settled engineers have labels no larger than `dt`, so `d < slot` already skips them.
            if d < *slot && d < best && e != current {
                if *slot == i64::MAX {
                    self.touched.push(e);
                }
                *slot = d;
                pred[eu] = t;
                pred_arc[eu] = range.start + i;
                self.heap.push(Reverse((d, e)));
            }
        }
    }

    /// Adds ticket `t0` and re-optimises.
    fn insert(&mut self, t0: u32) {
        // The new ticket's own potential is free to choose: 0 makes its direct options plain costs.
        self.pi_ticket[t0 as usize] = 0;
        let mut best = self.net.penalty(t0 as usize);
        let mut end = End::Unassign(t0);
        self.settled_tickets.push((t0, 0));
        self.relax_from(t0, 0, best);

        while let Some(Reverse((d, e))) = self.heap.pop() {
            if d >= best {
                break;
            }
            let eu = e as usize;
            if self.settled[eu] || d > self.dist[eu] {
                continue;
            }
            self.settled[eu] = true;
            self.settled_engineers.push(e);
            let load = self.held[eu].len();
            if load < self.net.capacity(eu) as usize {
                let to_sink = d + self.net.load_cost(eu, load) + self.pi_engineer[eu];
                if to_sink < best {
                    best = to_sink;
                    end = End::Engineer(e);
                }
                if best <= d {
                    // Nothing still in the heap can be cheaper.
                    break;
                }
            }
            // Re-route any ticket this engineer holds: reverse arc e → t, then t's own options.
            for i in 0..self.held[eu].len() {
                let t = self.held[eu][i];
                let tu = t as usize;
                let dt = d - self.arc_cost[self.ticket_arc[tu]] + self.pi_engineer[eu]
                    - self.pi_ticket[tu];
                self.settled_tickets.push((t, dt));
                let unassign = dt + self.net.penalty(tu) + self.pi_ticket[tu];
                if unassign < best {
                    best = unassign;
                    end = End::Unassign(t);
                }
                self.relax_from(t, dt, best);
            }
        }

        self.update_potentials(best);
        self.augment(t0, end);
        self.reset();
    }

    /// `π(v) += d(v) − D` for every node settled before the search ended at distance `D`.
    fn update_potentials(&mut self, best: i64) {
        for &e in &self.settled_engineers {
            let d = self.dist[e as usize];
            if d < best {
                self.pi_engineer[e as usize] += d - best;
            }
        }
        for &(t, d) in &self.settled_tickets {
            if d < best {
                self.pi_ticket[t as usize] += d - best;
            }
        }
    }

    /// Shifts tickets along the path found: walking back from its end, each engineer takes the
    /// ticket that reached it and that ticket leaves its previous engineer.
    fn augment(&mut self, t0: u32, end: End) {
        let mut e = match end {
            End::Engineer(e) => e,
            End::Unassign(t) => {
                let old = self.detach(t);
                self.ticket_engineer[t as usize] = NONE;
                if t == t0 {
                    return;
                }
                old
            }
        };
        loop {
            let t = self.pred[e as usize];
            let arc = self.pred_arc[e as usize];
            let old = if t == t0 { NONE } else { self.detach(t) };
            self.ticket_engineer[t as usize] = e;
            self.ticket_arc[t as usize] = arc;
            self.held[e as usize].push(t);
            if t == t0 {
                return;
            }
            e = old;
        }
    }

    /// Removes ticket `t` from its engineer's list; returns that engineer.
    fn detach(&mut self, t: u32) -> u32 {
        let e = self.ticket_engineer[t as usize];
        if e != NONE {
            let list = &mut self.held[e as usize];
            let at = list.iter().position(|&x| x == t).expect("held ticket");
            list.remove(at);
        }
        e
    }

    fn reset(&mut self) {
        for &e in &self.touched {
            self.dist[e as usize] = i64::MAX;
            self.settled[e as usize] = false;
        }
        self.touched.clear();
        self.settled_engineers.clear();
        self.settled_tickets.clear();
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(cap: Vec<u32>, pen: Vec<i64>, arcs: Vec<(u32, u32, i64)>) -> Network {
        Network::new(cap, pen, arcs).unwrap()
    }

    #[test]
    fn chain_of_reassignments() {
        // t0 prefers e0; t1 can only use e0; the optimum moves t0 to e1.
        let n = net(
            vec![1, 1],
            vec![100, 100],
            vec![(0, 0, 1), (0, 1, 3), (1, 0, 2)],
        );
        let s = solve(&n);
        assert_eq!(s.assignment, vec![Some(1), Some(0)]);
        assert_eq!(s.objective, 5);
    }

    #[test]
    fn bumps_the_cheaper_ticket() {
        // One slot, two tickets: the higher penalty wins it.
        let n = net(vec![1], vec![10, 50], vec![(0, 0, 1), (1, 0, 5)]);
        let s = solve(&n);
        assert_eq!(s.assignment, vec![None, Some(0)]);
        assert_eq!(s.objective, 15);
    }

    #[test]
    fn leaves_unassigned_when_arcs_cost_more_than_the_penalty() {
        let n = net(vec![1], vec![3], vec![(0, 0, 7)]);
        assert_eq!(solve(&n).assignment, vec![None]);
        let empty = net(vec![], vec![4, 5], vec![]);
        assert_eq!(solve(&empty).objective, 9);
    }

    #[test]
    fn convex_load_costs_spread_the_work() {
        // Two engineers, both at cost 0; load costs make the second ticket on one engineer dearer.
        let n = net(
            vec![2, 2],
            vec![100, 100],
            vec![(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 1)],
        )
        .with_load_costs(vec![vec![0, 10], vec![0, 10]])
        .unwrap();
        let s = solve(&n);
        assert_eq!(s.objective, 1);
        assert_ne!(s.assignment[0], s.assignment[1]);
    }

    #[test]
    fn negative_costs_are_fine() {
        let n = net(
            vec![1, 1],
            vec![-5, 0],
            vec![(0, 0, -20), (1, 0, -30), (1, 1, -1)],
        );
        let s = solve(&n);
        // Best: t1 takes e0 (-30) and t0 stays unassigned (-5).
        assert_eq!(s.objective, -35);
        assert_eq!(s.objective, n.evaluate(&s.assignment).unwrap());
    }
}
