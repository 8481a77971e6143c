//! Time in the assignment: travel time, appointment windows, shifts with overtime, and SLA lateness.
//!
//! Each (ticket, engineer) pair is judged as if the ticket were the engineer's next stop: the
//! engineer leaves its position at `now` (or at the start of its shift, if later), drives there
//! (travel time from [`TravelProfile`]), waits for the appointment window to open, and works
//! `duration_min`. The pair is infeasible (constraint [`Constraint::Time`](super::Constraint::Time))
//! when the engineer would arrive after the window closes, finish later than the end of its shift
//! plus [`TimeConfig::max_overtime_min`] (plus the way back when
//! [`TimeConfig::return_to_start`] is set), or, with [`TimeConfig::hard_deadlines`], after the
//! ticket's `sla_due`. A feasible pair costs overtime and predicted lateness on top of the distance
//! terms; the lateness priced is the part this engineer causes, beyond what an engineer already on
//! site at `now` would incur (a ticket already overdue is late for everyone, and that constant
//! would only inflate every cost of the run and slow the solver). The order of several tickets given to one engineer is the job of
//! [`sla::sequence`](crate::sla::sequence), which sees the same rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::geo::TravelProfile;
use crate::model::{Engineer, Priority, Ticket};

/// Settings for time: travel speeds, overtime, lateness costs, hard deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeConfig {
    /// How long trips take. Default [`TravelProfile::default`].
    pub travel: TravelProfile,
    /// Minutes an engineer may work past the end of its shift. Default 0.
    pub max_overtime_min: u32,
    /// Points per minute of overtime. Default 1.
    pub overtime_per_min: f64,
    /// Points per minute of predicted completion after `sla_due`, for P1, P2, P3, P4.
    /// Default `[8, 4, 2, 1]`.
    pub lateness_per_min: [f64; 4],
    /// When set, finishing after `sla_due` is not allowed at all (the pair is infeasible) instead of
    /// costing lateness. Default off.
    pub hard_deadlines: bool,
    /// When set, an engineer must also be back at its starting position by the end of its shift (plus
    /// overtime), and routes are costed as round trips. Default off.
    pub return_to_start: bool,
}

impl Default for TimeConfig {
    fn default() -> TimeConfig {
        TimeConfig {
            travel: TravelProfile::default(),
            max_overtime_min: 0,
            overtime_per_min: 1.0,
            lateness_per_min: [8.0, 4.0, 2.0, 1.0],
            hard_deadlines: false,
            return_to_start: false,
        }
    }
}

impl TimeConfig {
    /// The lateness cost of finishing `late_min` minutes after due, in points.
    pub fn lateness_cost(&self, priority: Priority, late_min: f64) -> f64 {
        self.lateness_per_min[priority.index()] * late_min.max(0.0)
    }

    /// The first invalid number, as (field, value).
    pub(crate) fn invalid(&self) -> Option<(&'static str, f64)> {
        if let Some((field, value)) = self.travel.validate() {
            let field = match field {
                "urban_speed_kmh" => "time.travel.urban_speed_kmh",
                "rural_speed_kmh" => "time.travel.rural_speed_kmh",
                "detour_factor" => "time.travel.detour_factor",
                _ => "time.travel.urban_km",
            };
            return Some((field, value));
        }
        let fields = [
            ("time.overtime_per_min", self.overtime_per_min),
            ("time.lateness_per_min[0]", self.lateness_per_min[0]),
            ("time.lateness_per_min[1]", self.lateness_per_min[1]),
            ("time.lateness_per_min[2]", self.lateness_per_min[2]),
            ("time.lateness_per_min[3]", self.lateness_per_min[3]),
        ];
        fields.into_iter().find(|(_, v)| !(0.0..=1e6).contains(v))
    }
}

/// Minutes from `origin` to `t`, as a float (sub-second precision is kept).
pub(crate) fn minutes_since(origin: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (t - origin).num_milliseconds() as f64 / 60_000.0
}

/// The instant `minutes` after `origin`, rounded to the second.
pub(crate) fn at_minutes(origin: DateTime<Utc>, minutes: f64) -> DateTime<Utc> {
    origin + chrono::Duration::seconds((minutes * 60.0).round() as i64)
}

/// What going straight from an engineer to a ticket looks like, in minutes since `now`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FirstStop {
    /// Overtime of this stop alone, minutes.
    pub overtime_min: f64,
    /// Completion after due, minutes (0 when on time or no due).
    pub late_min: f64,
    /// The part of `late_min` that an engineer already on site could have avoided.
    pub avoidable_late_min: f64,
}

/// Why an engineer cannot do a ticket in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeLimit {
    /// It would arrive after the appointment window closes.
    Window,
    /// It would finish after the end of its shift plus the allowed overtime.
    Shift,
    /// It would finish after `sla_due`, and deadlines are hard.
    Deadline,
    /// Sequencing could not fit the ticket into the engineer's route (windows and shift), or
    /// re-planning keeps the ticket away from the engineer.
    Route,
}

/// What [`first_stop`] needs of a ticket, in minutes since `now`: computed once per ticket when
/// many engineers are judged for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StopTimes {
    /// The appointment window (start, end).
    window: Option<(f64, f64)>,
    duration: f64,
    due: Option<f64>,
    /// Lateness no engineer could avoid (work starting now, or when the window opens): the same
    /// for every candidate, so it is not priced (it would only inflate every cost of the run).
    unavoidable: f64,
}

impl StopTimes {
    /// The ticket's times relative to `now`.
    pub(crate) fn new(ticket: &Ticket, now: DateTime<Utc>) -> StopTimes {
        StopTimes::with(ticket, ticket.sla_due, ticket.duration_min, now)
    }

    /// The ticket's times with its SLA due time and duration as a policy's triage set them (the
    /// appointment window is the ticket's own: triage cannot change it).
    pub(crate) fn with(
        ticket: &Ticket,
        sla_due: Option<DateTime<Utc>>,
        duration_min: u32,
        now: DateTime<Utc>,
    ) -> StopTimes {
        let window = ticket
            .appointment
            .map(|w| (minutes_since(now, w.start), minutes_since(now, w.end)));
        let duration = f64::from(duration_min);
        let due = sla_due.map(|d| minutes_since(now, d));
        let earliest_finish = window.map_or(0.0, |(start, _)| start.max(0.0)) + duration;
        StopTimes {
            window,
            duration,
            due,
            unavoidable: due.map_or(0.0, |d| (earliest_finish - d).max(0.0)),
        }
    }
}

/// An engineer's shift in minutes since `now` (start, end), as [`first_stop_at`] reads it.
pub(crate) fn shift_minutes(engineer: &Engineer, now: DateTime<Utc>) -> Option<(f64, f64)> {
    engineer
        .shift
        .map(|s| (minutes_since(now, s.start), minutes_since(now, s.end)))
}

/// The ticket as the engineer's next stop: `Err` when infeasible. `O(1)`.
pub(crate) fn first_stop(
    cfg: &TimeConfig,
    engineer: &Engineer,
    ticket: &Ticket,
    distance_km: f64,
    now: DateTime<Utc>,
) -> Result<FirstStop, TimeLimit> {
    first_stop_at(
        cfg,
        shift_minutes(engineer, now),
        &StopTimes::new(ticket, now),
        distance_km,
    )
}

/// [`first_stop`] from the engineer's shift ([`shift_minutes`]) and the ticket's times.
pub(crate) fn first_stop_at(
    cfg: &TimeConfig,
    shift: Option<(f64, f64)>,
    ticket: &StopTimes,
    distance_km: f64,
) -> Result<FirstStop, TimeLimit> {
    let leave = shift.map_or(0.0, |(start, _)| start.max(0.0));
    let drive = cfg.travel.minutes(distance_km);
    let arrival = leave + drive;
    let mut start = arrival;
    if let Some((open, close)) = ticket.window {
        if arrival > close + 1e-9 {
            return Err(TimeLimit::Window);
        }
        start = start.max(open);
    }
    let finish = start + ticket.duration;
    let mut overtime_min = 0.0;
    if let Some((_, end)) = shift {
        let back = if cfg.return_to_start { drive } else { 0.0 };
        let over = finish + back - end;
        if over > f64::from(cfg.max_overtime_min) + 1e-9 {
            return Err(TimeLimit::Shift);
        }
        overtime_min = over.max(0.0);
    }
    let late_min = ticket.due.map_or(0.0, |d| (finish - d).max(0.0));
    if cfg.hard_deadlines && late_min > 1e-9 {
        return Err(TimeLimit::Deadline);
    }
    Ok(FirstStop {
        overtime_min,
        late_min,
        avoidable_late_min: (late_min - ticket.unavoidable).max(0.0),
    })
}

impl FirstStop {
    /// Overtime and lateness cost in points.
    pub(crate) fn cost(&self, cfg: &TimeConfig, priority: Priority) -> f64 {
        cfg.overtime_per_min * self.overtime_min
            + cfg.lateness_cost(priority, self.avoidable_late_min)
    }
}
