//! The timed side of a plan: each engineer's route with ETAs, predicted completions, SLA slack and
//! predicted breaches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{EngineerId, LatLon, Priority, TicketId};
use crate::solve::Plan;

/// One visit of a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// The ticket.
    pub ticket: TicketId,
    /// Its priority.
    pub priority: Priority,
    /// Where the work is.
    pub location: LatLon,
    /// Great-circle km from the previous position (the engineer's, for the first stop).
    pub leg_km: f64,
    /// Predicted arrival (the ETA).
    pub arrival: DateTime<Utc>,
    /// Predicted start of work: the arrival, or the opening of the appointment window if later.
    pub start: DateTime<Utc>,
    /// Predicted completion.
    pub completion: DateTime<Utc>,
    /// When the SLA is due, if the ticket has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// Minutes from predicted completion to due (negative when late); absent without a due time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_min: Option<f64>,
    /// Predicted SLA breach: completion after due. Exactly when `slack_min` is negative.
    pub breached: bool,
    /// Work started before the plan was made, so the stop is fixed (re-planning never moves it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_progress: bool,
}

/// One engineer's day from now: its stops in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The engineer.
    pub engineer: EngineerId,
    /// Where the route starts (the engineer's position, or where its work in progress is).
    pub start_location: LatLon,
    /// When the engineer leaves for its first stop that is not in progress.
    pub departure: DateTime<Utc>,
    /// The stops in visiting order.
    pub stops: Vec<Stop>,
    /// Great-circle km driven, with the way back when routes return to start.
    pub travel_km: f64,
    /// When the route ends: the last completion, or the return to start.
    pub end: DateTime<Utc>,
    /// Minutes worked past the end of the shift.
    pub overtime_min: f64,
}

/// Every engineer's route: the plan's timed side.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Schedule {
    /// When the schedule was computed.
    pub now: Option<DateTime<Utc>>,
    /// Routes of the engineers who have stops, by engineer id.
    pub routes: Vec<Route>,
}

impl Schedule {
    /// The route and stop of a ticket, if it is scheduled. `O(stops)`.
    pub fn stop_of(&self, ticket: &TicketId) -> Option<(&Route, &Stop)> {
        self.routes
            .iter()
            .find_map(|r| r.stops.iter().find(|s| &s.ticket == ticket).map(|s| (r, s)))
    }

    /// The route of an engineer, if it has stops. `O(log routes)`.
    pub fn route_of(&self, engineer: &EngineerId) -> Option<&Route> {
        self.routes
            .binary_search_by(|r| r.engineer.cmp(engineer))
            .ok()
            .map(|i| &self.routes[i])
    }

    /// Every stop predicted to finish after its due time, route by route.
    pub fn breaches(&self) -> impl Iterator<Item = (&Route, &Stop)> {
        self.routes
            .iter()
            .flat_map(|r| r.stops.iter().filter(|s| s.breached).map(move |s| (r, s)))
    }

    /// Total great-circle km of all routes.
    pub fn travel_km(&self) -> f64 {
        self.routes.iter().map(|r| r.travel_km).sum()
    }

    /// Number of scheduled stops.
    pub fn stops(&self) -> usize {
        self.routes.iter().map(|r| r.stops.len()).sum()
    }
}

/// A plan with its schedule: who takes what, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedPlan {
    /// The assignment (every ticket assigned or unassigned with a reason).
    pub plan: Plan,
    /// The routes of the assigned tickets: every assignment appears as exactly one stop.
    pub schedule: Schedule,
}

impl TimedPlan {
    /// The document as pretty JSON (deterministic).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a timed plan always serialises")
    }

    /// Reads a timed plan document.
    ///
    /// # Errors
    /// [`ErrorKind::Json`](crate::ErrorKind::Json) with line and column.
    pub fn from_json(text: &str) -> Result<TimedPlan, Error> {
        serde_json::from_str(text).map_err(|e| Error::json("plan", &e))
    }
}
