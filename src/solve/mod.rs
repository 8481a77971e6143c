//! Assignment: the network model, its exact min-cost-flow solver, the LP oracle, a greedy baseline,
//! and the general model with hours and side limits ([`mip`]).
//!
//! Only [`lp`] and [`mip`] use the LP library; none of its types appear in the public API.

mod bb;
mod candidates;
mod config;
mod dispatcher;
pub mod flow;
pub mod gap;
pub mod greedy;
mod lns;
pub mod lp;
pub mod mip;
pub mod network;
mod penalty_search;
mod plan;
pub(crate) mod time;

pub use candidates::{
    Candidate, Constraint, CostBreakdown, Ranking, Rejection, Screening, Violation,
};
pub use config::{Config, CostWeights, SolverKind};
pub(crate) use dispatcher::PairHook;
pub use dispatcher::{CandidateSet, Dispatcher, Prepared};
pub use network::{MAX_COST, Network, NetworkSolution};
pub use plan::{Assignment, Plan, PlanStats, Reason, StageTimings, Unassigned};
pub use time::{TimeConfig, TimeLimit};
