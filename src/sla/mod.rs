//! Time: SLA deadlines on business calendars, routes with ETAs, escalation alerts and re-planning.
//!
//! - [`BusinessCalendar`] and [`SlaPolicy`] compute due times ("4 business hours" across weekends,
//!   holidays and daylight-saving changes).
//! - [`Planner`] plans a batch with time: the dispatcher's assignment (which already screens pairs
//!   by appointment window and shift end, see [`TimeConfig`](crate::solve::TimeConfig)), then each
//!   engineer's route ([`sequence`]), with predicted lateness fed back into the assignment for a
//!   bounded number of rounds. The result is a [`TimedPlan`]: the [`Plan`](crate::Plan) and its
//!   [`Schedule`].

mod alerts;
mod calendar;
mod planner;
mod policy;
mod replan;
mod schedule;
pub mod sequence;

pub use alerts::{Action, Alert, AlertConfig, AlertKind};
pub use calendar::{BusinessCalendar, DstRule, OpenHours};
pub use planner::{Planner, PlannerConfig};
pub use policy::{SlaDue, SlaPolicy, SlaTarget};
pub use replan::{Change, DayPlan, Move, MoveReason, ReplanReport};
pub use schedule::{Route, Schedule, Stop, TimedPlan};
