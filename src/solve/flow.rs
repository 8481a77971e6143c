//! Exact min-cost flow for the sparse capacitated assignment model.

use super::{Network, NetworkSolution};

/// Solves `net` exactly.
pub fn solve(net: &Network) -> NetworkSolution {
    let _ = net;
    todo!()
}
