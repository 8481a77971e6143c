//! Exact min-cost flow for the sparse capacitated assignment model.
//!
//! # The network
//! `source → ticket` (capacity 1), `ticket → engineer` for each candidate arc (capacity 1, its cost),
//! `ticket → sink` (capacity 1, the unassignment penalty: the "unassigned" option), and
//! `engineer → sink` as `capacity` parallel unit arcs whose costs are the convex load costs (0 without
//! them). Every ticket sends one unit; the min-cost flow of value `tickets` is the optimal plan.
//!
//! # Two exact methods
//! - [`auction`]: ε-scaling auction (a cost-scaling method). Robust when engineers are scarce: the
//!   default.
//! - [`ssp`]: successive shortest paths with potentials, one ticket at a time, each search stopping as
//!   soon as the cheapest fit is known. Fast when capacity is plentiful, slow under shortage (a search
//!   may have to cover the whole congested region to prove a ticket stays out); also the fallback when
//!   the auction's scaled costs would overflow.
//!
//! Both are exact on integer costs, and the tests hold them to each other, to the LP and to brute force.
//! BENCHMARKS.md has the measurements behind the default.

pub mod auction;
pub mod ssp;

use super::{Network, NetworkSolution};

/// Solves `net` exactly (minimum objective). Deterministic.
///
/// Uses [`auction::solve`], and [`ssp::solve`] when the auction declines (costs too large to scale).
/// Cost: about `O(phases · arcs)` on city-like instances, `phases ≈ log₆((n + 1) · C)`.
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
    auction::solve(net).unwrap_or_else(|| ssp::solve(net))
}
