//! Exact min-cost flow for the sparse capacitated assignment model.
//!
//! # The network
//! `source → ticket` (capacity 1), `ticket → engineer` for each candidate arc (capacity 1, its cost),
//! `ticket → sink` (capacity 1, the unassignment penalty: the "unassigned" option), and
//! `engineer → sink` as `capacity` parallel unit arcs whose costs are the convex load costs (0 without
//! them). Every ticket sends one unit; the min-cost flow of value `tickets` is the optimal plan.
//!
//! # Three exact methods
//! - [`transport`]: ε-scaling auction with one price per engineer. Robust when engineers are scarce:
//!   the default when there are no load costs.
//! - [`auction`]: ε-scaling auction with one price per engineer place, which handles convex load
//!   costs (places of one engineer then differ): the default with load balancing.
//! - [`ssp`]: successive shortest paths with potentials, one ticket at a time, each search stopping as
//!   soon as the cheapest fit is known. Fast when capacity is plentiful, slow under shortage (a search
//!   may have to cover the whole congested region to prove a ticket stays out); the fallback when the
//!   auctions' scaled costs would overflow.
//!
//! Both are exact on integer costs, and the tests hold them to each other, to the LP and to brute force.
//! BENCHMARKS.md has the measurements behind the default.

pub mod auction;
pub mod ssp;
pub mod transport;

use super::{Network, NetworkSolution};

/// Solves `net` exactly (minimum objective). Deterministic.
///
/// Uses [`transport::solve`], or [`auction::solve`] when there are load costs, and [`ssp::solve`] when
/// both decline (costs too large to scale). Cost: about `O(phases · arcs)` on city-like instances, with
/// `phases ≈ log₁₆((n + 1) · C)` for the largest cost `C`.
///
/// # Examples
/// ```
/// use dispatchkit::solve::{Network, flow};
/// // Two tickets, one engineer with one slot: the ticket with the higher penalty gets it.
/// let net = Network::new(vec![1], vec![10, 50], vec![(0, 0, 1), (1, 0, 5)])?;
/// let solution = flow::solve(&net);
/// assert_eq!(solution.assignment, vec![None, Some(0)]);
/// assert_eq!(solution.objective, 15);
/// # Ok::<(), dispatchkit::Error>(())
/// ```
pub fn solve(net: &Network) -> NetworkSolution {
    transport::solve(net)
        .or_else(|| auction::solve(net))
        .unwrap_or_else(|| ssp::solve(net))
}

/// Arc costs and penalties multiplied by `n + 1`, the scaling that makes an auction's `ε = 1` exact.
struct Scaled {
    arc_cost: Vec<i64>,
    penalty: Vec<i64>,
    /// `n + 1`.
    scale: i64,
}

impl Scaled {
    /// `None` when a scaled value would overflow, or there are more than `u32::MAX` arcs.
    fn new(net: &Network) -> Option<Scaled> {
        u32::try_from(net.arcs()).ok()?;
        let scale = i64::try_from(net.tickets()).ok()?.checked_add(1)?;
        let arc_cost = net
            .arc_cost()
            .iter()
            .map(|&c| c.checked_mul(scale))
            .collect::<Option<_>>()?;
        let penalty = (0..net.tickets())
            .map(|t| net.penalty(t).checked_mul(scale))
            .collect::<Option<_>>()?;
        Some(Scaled {
            arc_cost,
            penalty,
            scale,
        })
    }

    /// The largest absolute scaled value among these and `more`, or `None` when prices could come
    /// near overflow (they climb to about the cost range plus a few ε).
    fn max_abs(&self, more: &[i64]) -> Option<i64> {
        let max = self
            .arc_cost
            .iter()
            .chain(&self.penalty)
            .chain(more)
            .map(|c| c.abs())
            .max()
            .unwrap_or(0);
        (max <= i64::MAX / 16).then_some(max)
    }
}

/// For each engineer, the tickets with an arc to it and the arcs' scaled costs (CSR), for reverse
/// bids. `O(arcs)` time and memory; the auctions build it on first need.
struct Reverse {
    start: Vec<usize>,
    tickets: Vec<u32>,
    costs: Vec<i64>,
}

impl Reverse {
    fn new(net: &Network, arc_cost: &[i64]) -> Reverse {
        let mut start = vec![0usize; net.engineers() + 1];
        for &e in net.arc_engineer() {
            start[e as usize + 1] += 1;
        }
        for e in 0..net.engineers() {
            start[e + 1] += start[e];
        }
        let mut fill = start.clone();
        let mut tickets = vec![0u32; net.arcs()];
        let mut costs = vec![0i64; net.arcs()];
        for t in 0..net.tickets() {
            for a in net.arc_range(t) {
                let e = net.arc_engineer()[a] as usize;
                tickets[fill[e]] = t as u32;
                costs[fill[e]] = arc_cost[a];
                fill[e] += 1;
            }
        }
        Reverse {
            start,
            tickets,
            costs,
        }
    }

    /// The tickets with an arc to engineer `e`, and those arcs' scaled costs.
    fn of(&self, e: usize) -> (&[u32], &[i64]) {
        let r = self.start[e]..self.start[e + 1];
        (&self.tickets[r.clone()], &self.costs[r])
    }
}
