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
