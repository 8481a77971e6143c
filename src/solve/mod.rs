//! Assignment: the network model, its exact min-cost-flow solver, the LP oracle and a greedy baseline.
//!
//! Only [`lp`] uses the LP library; none of its types appear in the public API.

pub mod flow;
pub mod greedy;
pub mod lp;
mod network;

pub use network::{MAX_COST, Network, NetworkSolution};
