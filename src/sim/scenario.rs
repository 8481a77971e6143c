//! What a simulation runs on: the scenario (period, engineers, tickets) and the settings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::model::{Engineer, Ticket, validate_engineers, validate_tickets};

/// The input of a simulation: a period, the crew and the stream of tickets.
///
/// Engineers start each shift at their `location` (the home base); `capacity` is how many tickets an
/// engineer may hold at once (the one in hand plus the queued ones) and `open_tickets` is ignored
/// (everyone starts empty). An engineer without a shift works the whole period. Tickets arrive at
/// their `created_at`, which must fall inside the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// A name for reports.
    pub name: String,
    /// Start of the simulated period.
    pub start: DateTime<Utc>,
    /// End of the simulated period (exclusive); the run stops there.
    pub end: DateTime<Utc>,
    /// The crew.
    pub engineers: Vec<Engineer>,
    /// The tickets, in any order.
    pub tickets: Vec<Ticket>,
}

impl Scenario {
    /// Checks the scenario: engineers and tickets valid (see [`Fleet::new`](crate::Fleet::new) and
    /// [`Dispatcher::plan`](crate::Dispatcher::plan)), the period not empty, every ticket created
    /// inside it, and no ticket id ending in a follow-up suffix (`#2`, `#3`, ...), which the
    /// simulator uses for follow-up visits.
    ///
    /// # Errors
    /// The first problem found, naming the ticket or engineer.
    pub fn validate(&self) -> Result<(), Error> {
        if self.end <= self.start {
            return Err(ErrorKind::InvalidScenario {
                ticket: None,
                problem: "the period ends before it starts",
            }
            .into());
        }
        validate_engineers(&self.engineers)?;
        let known: std::collections::HashSet<&str> =
            self.engineers.iter().map(|e| e.id.as_str()).collect();
        validate_tickets(&self.tickets, |id| known.contains(id.as_str()))?;
        for t in &self.tickets {
            if t.created_at < self.start || t.created_at >= self.end {
                return Err(ErrorKind::InvalidScenario {
                    ticket: Some(t.id.to_string()),
                    problem: "created outside the simulated period",
                }
                .into());
            }
            if t.id.as_str().rsplit_once('#').is_some() {
                return Err(ErrorKind::InvalidScenario {
                    ticket: Some(t.id.to_string()),
                    problem: "`#` is reserved for follow-up visits",
                }
                .into());
            }
        }
        Ok(())
    }

    /// The scenario as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Reads a scenario document (not validated here; [`simulate`](super::simulate) does that).
    ///
    /// # Errors
    /// [`ErrorKind::Json`] with line and column.
    pub fn from_json(text: &str) -> Result<Scenario, Error> {
        serde_json::from_str(text).map_err(|e| Error::json("scenario", &e))
    }
}

/// When dispatch cycles run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Trigger {
    /// Every `minutes` minutes from the start of the period (batch dispatch).
    Every {
        /// Minutes between cycles (at least 1).
        minutes: u32,
    },
    /// After every event that can change a decision: a ticket created, work done, a shift starting
    /// or ending (real-time dispatch).
    OnEvent,
}

/// How likely a visit is to fix the problem, from the engineer's level in the ticket's category
/// against the ticket's minimum level.
///
/// A visit fixes the problem with probability `min(max_pct, base_pct + per_level_above_pct · (level −
/// min_level)) / 100`. The draw is a hash of [`SimConfig::seed`], the original ticket's id and the
/// visit number, so every policy meets the same luck on the same ticket (common random numbers):
/// differences between policies come from their decisions, not from the dice. The `max_visits`-th
/// visit always fixes it (the part is on the van by then).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FixModel {
    /// Chance in % that an engineer exactly at the required level fixes it. Default 75.
    pub base_pct: f64,
    /// Extra chance in % per level above the required one. Default 7.
    pub per_level_above_pct: f64,
    /// Ceiling in %. Default 97.
    pub max_pct: f64,
    /// Visits after which the problem is always fixed (at least 1). Default 3.
    pub max_visits: u32,
}

impl Default for FixModel {
    fn default() -> FixModel {
        FixModel {
            base_pct: 75.0,
            per_level_above_pct: 7.0,
            max_pct: 97.0,
            max_visits: 3,
        }
    }
}

impl FixModel {
    /// A model where every visit fixes the problem.
    pub fn always() -> FixModel {
        FixModel {
            base_pct: 100.0,
            per_level_above_pct: 0.0,
            max_pct: 100.0,
            max_visits: 1,
        }
    }

    /// The chance (0..=1) that an engineer `levels_above` the required level fixes it.
    pub fn probability(&self, levels_above: u8) -> f64 {
        let pct = self.base_pct + self.per_level_above_pct * f64::from(levels_above);
        (pct.min(self.max_pct) / 100.0).clamp(0.0, 1.0)
    }
}

/// Settings of a simulation run. Every field has a documented default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// When dispatch cycles run. Default every 5 minutes.
    pub trigger: Trigger,
    /// Driving speed in km/h. Default 30 (city traffic).
    pub speed_kmh: f64,
    /// Road distance over great-circle distance. Default 1.3.
    pub road_factor: f64,
    /// The first-time-fix model.
    pub fix: FixModel,
    /// Seed of the fix draws. Default 0.
    pub seed: u64,
    /// Minutes between backlog samples (and progress reports). Default 15.
    pub sample_min: u32,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            trigger: Trigger::Every { minutes: 5 },
            speed_kmh: 30.0,
            road_factor: 1.3,
            fix: FixModel::default(),
            seed: 0,
            sample_min: 15,
        }
    }
}

impl SimConfig {
    /// Sets [`SimConfig::trigger`].
    pub fn trigger(mut self, trigger: Trigger) -> SimConfig {
        self.trigger = trigger;
        self
    }

    /// Sets [`SimConfig::fix`].
    pub fn fix(mut self, fix: FixModel) -> SimConfig {
        self.fix = fix;
        self
    }

    /// Sets [`SimConfig::seed`].
    pub fn seed(mut self, seed: u64) -> SimConfig {
        self.seed = seed;
        self
    }

    /// Sets [`SimConfig::speed_kmh`].
    pub fn speed_kmh(mut self, speed_kmh: f64) -> SimConfig {
        self.speed_kmh = speed_kmh;
        self
    }

    /// Checks every number.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidNumber`] naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let minutes = match self.trigger {
            Trigger::Every { minutes } => f64::from(minutes),
            Trigger::OnEvent => 1.0,
        };
        let f = &self.fix;
        let checks = [
            ("trigger.minutes", minutes, minutes >= 1.0),
            (
                "speed_kmh",
                self.speed_kmh,
                self.speed_kmh.is_finite() && self.speed_kmh > 0.0 && self.speed_kmh <= 1e4,
            ),
            (
                "road_factor",
                self.road_factor,
                (1.0..=10.0).contains(&self.road_factor),
            ),
            (
                "fix.base_pct",
                f.base_pct,
                (0.0..=100.0).contains(&f.base_pct),
            ),
            (
                "fix.per_level_above_pct",
                f.per_level_above_pct,
                (0.0..=100.0).contains(&f.per_level_above_pct),
            ),
            ("fix.max_pct", f.max_pct, (0.0..=100.0).contains(&f.max_pct)),
            ("fix.max_visits", f64::from(f.max_visits), f.max_visits >= 1),
            (
                "sample_min",
                f64::from(self.sample_min),
                self.sample_min >= 1,
            ),
        ];
        for (field, value, ok) in checks {
            if !ok {
                return Err(ErrorKind::InvalidNumber {
                    entity: None,
                    id: field.to_string(),
                    field: "value",
                    value,
                }
                .into());
            }
        }
        Ok(())
    }
}
