//! The plan a dispatch run returns: assignments with their cost, unassigned tickets with a reason,
//! and statistics.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::candidates::{Constraint, CostBreakdown, Screening};
use super::config::SolverKind;
use super::mip::MipMethod;
use crate::error::Error;
use crate::model::{EngineerId, Priority, TicketId};

/// A ticket given to an engineer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The ticket.
    pub ticket: TicketId,
    /// The engineer who takes it.
    pub engineer: EngineerId,
    /// The ticket's priority.
    pub priority: Priority,
    /// Great-circle distance from the engineer to the ticket.
    pub distance_km: f64,
    /// The cost of this assignment, term by term.
    pub cost: CostBreakdown,
    /// The engineer's place (0-based) in the ticket's candidate list, nearest first.
    pub candidate_rank: u32,
}

/// Why a ticket was not assigned: computed from what happened, never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// No engineer at all within the maximum travel distance.
    NoEngineerInReach {
        /// The limit: infinite (`null` in JSON) when the policy has no reach rule.
        #[serde(with = "unbounded")]
        max_travel_km: f64,
        /// Distance to the nearest engineer, if the fleet has any.
        nearest_km: Option<f64>,
    },
    /// Engineers were in reach, but the filters removed every one; `constraint` removed the last.
    /// `skill` means no one in reach has the skill; `capacity` that every capable engineer was full
    /// before the run started.
    NoEligibleEngineer {
        /// The constraint that removed the last engineer in reach ([`Constraint::Rule`] for a
        /// policy rule that is not a built-in one).
        constraint: Constraint,
        /// The policy rule that removed the last engineer in reach.
        rule: String,
        /// Counts per constraint.
        screening: Screening,
    },
    /// The ticket had candidates, but every one of them was filled by other tickets of this run
    /// (of higher priority, or cheaper to serve).
    CandidatesFull {
        /// Number of candidates it had.
        candidates: u32,
        /// How many of those engineers took a ticket of higher priority in this run.
        took_higher_priority: u32,
    },
    /// A candidate had room, but leaving the ticket unassigned was cheaper for the objective. The
    /// built-in penalties exceed every assignment cost, so no built-in solver produces this; it exists
    /// so that the reason is always computed from the plan, never assumed.
    NotWorthAssigning {
        /// The cheapest candidate's cost in points.
        cheapest_cost: f64,
        /// The unassignment penalty in points.
        penalty: f64,
    },
    /// Set by the time planner ([`sla`](crate::sla)): the assignment gave the ticket to `engineer`,
    /// but its route could not take it within appointment windows and shift (plus overtime), and
    /// the planner's assignment ↔ sequencing rounds ran out before another engineer was found.
    NoTimeInRoute {
        /// The engineer whose route could not take it.
        engineer: EngineerId,
    },
    /// The ticket had candidates, but none of them has enough time for it in this run: its duration
    /// exceeds every candidate's hour budget (or a minutes limit on them), before any other ticket is
    /// counted.
    NotEnoughHours {
        /// The ticket's `duration_min`.
        duration_min: u32,
        /// The largest budget among its candidates, in minutes.
        most_available_min: u64,
    },
}

/// An `f64` that may be infinite, as JSON: infinity is `null` (JSON has no infinity), and `null`
/// reads back as infinity, so a plan document always reads back.
mod unbounded {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            s.serialize_f64(*value)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}

/// A ticket that was not assigned, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unassigned {
    /// The ticket.
    pub ticket: TicketId,
    /// Its priority.
    pub priority: Priority,
    /// Why.
    pub reason: Reason,
}

/// Wall-clock time per stage of a run. Not serialised, so plan documents stay byte-identical across
/// runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageTimings {
    /// Validating the tickets.
    pub validate: Duration,
    /// Finding and costing candidates.
    pub candidates: Duration,
    /// Solving the assignment.
    pub solve: Duration,
    /// Assembling the plan (breakdowns, reasons).
    pub assemble: Duration,
}

impl StageTimings {
    /// The sum of the stages.
    pub fn total(&self) -> Duration {
        self.validate + self.candidates + self.solve + self.assemble
    }
}

/// Figures about a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStats {
    /// The name of the policy the plan was made with.
    pub policy: String,
    /// Its version.
    pub policy_version: u32,
    /// The solver that produced the assignment.
    pub solver: SolverKind,
    /// The solver used instead, with the reason, when the requested one failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// The objective in thousandths of a point: assignment costs + unassignment penalties + load
    /// balancing costs.
    pub objective: i64,
    /// Tickets in the run.
    pub tickets: usize,
    /// Engineers in the fleet.
    pub engineers: usize,
    /// Candidate (ticket, engineer) pairs given to the solver.
    pub candidates: usize,
    /// Engineers examined and rejected, per constraint, summed over all tickets.
    pub screening: Screening,
    /// The unassignment penalty of P1..P4 tickets, in thousandths of a point.
    pub penalties: [i64; 4],
    /// With the MIP solver: a proven lower bound on the objective (thousandths of a point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<i64>,
    /// With the MIP solver: `(objective − bound) / max(1, |objective|)`, 0 when proven optimal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<f64>,
    /// With the MIP solver: how the answer was found (`lagrangian`, `exact`, ...), and the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mip_method: Option<MipMethod>,
    /// Time per stage (not serialised).
    #[serde(skip)]
    pub timings: StageTimings,
}

/// The result of a dispatch run: every ticket appears exactly once, in `assignments` or in
/// `unassigned`, both in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub(crate) assignments: Vec<Assignment>,
    pub(crate) unassigned: Vec<Unassigned>,
    pub(crate) stats: PlanStats,
}

impl Plan {
    /// Tickets given to an engineer, in input order.
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    /// Tickets left unassigned, with their reason, in input order.
    pub fn unassigned(&self) -> &[Unassigned] {
        &self.unassigned
    }

    /// Figures about the run.
    pub fn stats(&self) -> &PlanStats {
        &self.stats
    }

    /// The assignment of a ticket, if it was assigned. `O(n)`.
    pub fn assignment_of(&self, ticket: &TicketId) -> Option<&Assignment> {
        self.assignments.iter().find(|a| &a.ticket == ticket)
    }

    /// The plan as a JSON document (deterministic: same input, same bytes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serialises")
    }

    /// Reads a plan document.
    ///
    /// # Errors
    /// [`ErrorKind::Json`](crate::ErrorKind::Json) with line and column.
    pub fn from_json(text: &str) -> Result<Plan, Error> {
        serde_json::from_str(text).map_err(|e| Error::json("plan", &e))
    }
}
