#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
mod error;
mod fleet;
pub mod geo;
pub mod model;
pub mod rules;
pub mod sim;
pub mod sla;
pub mod solve;

pub use error::{Entity, Error, ErrorKind};
pub use fleet::Fleet;
pub use model::{
    AttrValue, Attributes, Customer, Engineer, EngineerId, LatLon, Priority, Shift, Ticket,
    TicketId, Tier, TimeWindow,
};
pub use solve::{
    Assignment, Candidate, CandidateSet, Config, Constraint, CostBreakdown, CostWeights,
    Dispatcher, Plan, PlanStats, Prepared, Ranking, Reason, Rejection, Screening, SolverKind,
    StageTimings, TimeConfig, TimeLimit, Unassigned, Violation,
};
