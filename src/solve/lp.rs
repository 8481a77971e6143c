//! The network model as an LP through good_lp.

use super::{Network, NetworkSolution};
use crate::Error;

/// Solves `net` as an LP.
///
/// # Errors
/// When the backend fails.
pub fn solve(net: &Network) -> Result<NetworkSolution, Error> {
    let _ = net;
    todo!()
}
