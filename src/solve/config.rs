//! Dispatch settings: reach, candidate list size, cost weights, load balancing, solver, time.

use serde::{Deserialize, Serialize};

use super::time::TimeConfig;
use crate::error::{Error, ErrorKind};
use crate::rules::Policy;

/// Which solver assigns tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SolverKind {
    /// The exact min-cost-flow solver (the default).
    #[default]
    Flow,
    /// The same model as an LP (exact; slower; the independent oracle).
    Lp,
    /// Priority-then-cheapest greedy (fast, not optimal: a baseline).
    Greedy,
}

/// Weights of the cost of giving a ticket to an engineer, in cost points.
///
/// The cost of an arc is `travel_per_km · km + load_per_open_ticket · open_tickets +
/// overqualification_per_level · (engineer level − required level)`; the solver works on it in
/// integer thousandths of a point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CostWeights {
    /// Points per km of great-circle travel.
    pub travel_per_km: f64,
    /// Points per ticket the engineer already holds.
    pub load_per_open_ticket: f64,
    /// Points per skill level above the ticket's minimum (keeps experts for hard tickets).
    pub overqualification_per_level: f64,
}

impl Default for CostWeights {
    fn default() -> CostWeights {
        CostWeights {
            travel_per_km: 1.0,
            load_per_open_ticket: 2.0,
            overqualification_per_level: 0.5,
        }
    }
}

/// Settings of a [`Dispatcher`](crate::Dispatcher). Build with [`Config::default`] and the chainable
/// setters; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Hard limit on great-circle travel from engineer to ticket, in km. Default 50.
    pub max_travel_km: f64,
    /// How many eligible engineers, nearest first, each ticket keeps as candidates. Default 32.
    /// Keeps the model sparse; the optimum is exact over this candidate set.
    pub max_candidates: usize,
    /// Cost weights.
    pub weights: CostWeights,
    /// Convex load balancing: when set, the `k`-th ticket given to an engineer in this run costs
    /// `w · (open_tickets + k)` extra points (total load cost grows quadratically). Default off.
    pub load_balancing_per_ticket: Option<f64>,
    /// Which solver to use. Default [`SolverKind::Flow`].
    pub solver: SolverKind,
    /// Travel time, appointment windows, shift ends, overtime and SLA lateness. Default
    /// [`TimeConfig::default`].
    pub time: TimeConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_travel_km: 50.0,
            max_candidates: 32,
            weights: CostWeights::default(),
            load_balancing_per_ticket: None,
            solver: SolverKind::Flow,
            time: TimeConfig::default(),
        }
    }
}

impl Config {
    /// Sets [`Config::max_travel_km`].
    pub fn max_travel_km(mut self, km: f64) -> Config {
        self.max_travel_km = km;
        self
    }

    /// Sets [`Config::max_candidates`].
    pub fn max_candidates(mut self, n: usize) -> Config {
        self.max_candidates = n;
        self
    }

    /// Sets [`Config::weights`].
    pub fn weights(mut self, weights: CostWeights) -> Config {
        self.weights = weights;
        self
    }

    /// Sets [`Config::load_balancing_per_ticket`].
    pub fn load_balancing(mut self, per_ticket: Option<f64>) -> Config {
        self.load_balancing_per_ticket = per_ticket;
        self
    }

    /// Sets [`Config::solver`].
    pub fn solver(mut self, solver: SolverKind) -> Config {
        self.solver = solver;
        self
    }

    /// The default policy with this configuration's numbers: reach [`Config::max_travel_km`], the
    /// skill at the ticket's level, on shift now, room for one more ticket, and the three
    /// [`CostWeights`] as `distance`, `busy` and `overqualified` scores. With the default settings
    /// it is the shipped `examples/policies/default.policy` (without its test).
    pub fn default_policy(&self) -> Policy {
        if (self.max_travel_km == 50.0 && self.weights == CostWeights::default())
            || self.validate().is_err()
        {
            return Policy::builtin();
        }
        let w = &self.weights;
        let text = format!(
            "policy \"default\" version 1\n\
             require reach: travel <= {}km\n\
             require skill: engineer.skill(ticket.category) >= ticket.min_level\n\
             require on_shift: engineer.on_shift(now())\n\
             limit capacity: engineer.open_tickets + assigned <= engineer.capacity\n\
             penalize distance {} per km: travel\n\
             penalize busy {} per ticket: min(engineer.open_tickets, 100)\n\
             penalize overqualified {} per level: engineer.skill(ticket.category) - ticket.min_level\n",
            self.max_travel_km,
            w.travel_per_km,
            w.load_per_open_ticket,
            w.overqualification_per_level
        );
        Policy::parse("default.policy", &text).unwrap_or_else(|_| Policy::builtin())
    }

    /// Sets [`Config::time`].
    pub fn time(mut self, time: TimeConfig) -> Config {
        self.time = time;
        self
    }

    /// Checks that every number is finite and non-negative, and that tickets may have candidates.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidNumber`] naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        if self.max_candidates == 0 {
            return Err(ErrorKind::InvalidNumber {
                entity: None,
                id: "max_candidates".to_string(),
                field: "value",
                value: 0.0,
            }
            .into());
        }
        if let Some((field, value)) = self.time.invalid() {
            return Err(ErrorKind::InvalidNumber {
                entity: None,
                id: field.to_string(),
                field: "value",
                value,
            }
            .into());
        }
        let w = &self.weights;
        let fields = [
            ("max_travel_km", self.max_travel_km),
            ("weights.travel_per_km", w.travel_per_km),
            ("weights.load_per_open_ticket", w.load_per_open_ticket),
            (
                "weights.overqualification_per_level",
                w.overqualification_per_level,
            ),
            (
                "load_balancing_per_ticket",
                self.load_balancing_per_ticket.unwrap_or(0.0),
            ),
        ];
        for (field, value) in fields {
            // Large finite values would overflow the integer costs; 1e6 points per unit is plenty.
            if !(0.0..=1e6).contains(&value) || (field == "max_travel_km" && value > 20_100.0) {
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
