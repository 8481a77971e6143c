//! Dispatch settings: reach, candidate list size, cost weights, load balancing, solver, time.

use serde::{Deserialize, Serialize};

use super::mip::{Limit, MipBackend};
use super::time::TimeConfig;
use crate::error::{Entity, Error, ErrorKind};
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
    /// The general model with hours and side limits (see [`mip`](super::mip)): used automatically
    /// when hour budgets or limits can bind, whatever [`Config::solver`] says.
    Mip,
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
    /// Which solver to use for a pure network model. Default [`SolverKind::Flow`]. A model whose
    /// hour budgets or limits can bind always goes to [`SolverKind::Mip`].
    pub solver: SolverKind,
    /// Travel time, appointment windows, shift ends, overtime and SLA lateness. Default
    /// [`TimeConfig::default`].
    pub time: TimeConfig,
    /// Derive an engineer's hour budget from its shift: the minutes from `now` (or the shift start,
    /// if later) to the shift end, or `available_min` if that is smaller. Default off (only
    /// `available_min` limits hours).
    pub shift_hours: bool,
    /// Side limits per team or per engineer, on tickets or minutes. Default none.
    pub limits: Vec<Limit>,
    /// Wall-clock budget of the MIP solve, in seconds. Default 10.
    pub mip_time_limit_s: f64,
    /// The MIP stops once its relative gap to the proven bound is at most this. Default 0.
    pub mip_rel_gap: f64,
    /// The exact MIP backend. Default HiGHS when built with the `highs` feature, microlp otherwise.
    pub mip_backend: MipBackend,
    /// Models with more candidate arcs than this use only the Lagrangian heuristic (with its bound),
    /// not the exact backend. Default 20,000.
    pub mip_exact_max_arcs: usize,
    /// Most tickets in one run ([`Dispatcher::plan`](crate::Dispatcher::plan),
    /// [`Dispatcher::candidate_set`](crate::Dispatcher::candidate_set)); more is
    /// [`ErrorKind::TooMany`]. Default 1,000,000.
    pub max_tickets: usize,
    /// Most engineers in the fleet of one run or ranking; more is [`ErrorKind::TooMany`].
    /// Default 1,000,000.
    pub max_engineers: usize,
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
            shift_hours: false,
            limits: Vec::new(),
            mip_time_limit_s: 10.0,
            mip_rel_gap: 0.0,
            mip_backend: MipBackend::default(),
            mip_exact_max_arcs: 20_000,
            max_tickets: 1_000_000,
            max_engineers: 1_000_000,
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

    /// Sets [`Config::shift_hours`].
    pub fn shift_hours(mut self, on: bool) -> Config {
        self.shift_hours = on;
        self
    }

    /// Sets [`Config::limits`].
    pub fn limits(mut self, limits: Vec<Limit>) -> Config {
        self.limits = limits;
        self
    }

    /// Sets [`Config::mip_time_limit_s`].
    pub fn mip_time_limit_s(mut self, seconds: f64) -> Config {
        self.mip_time_limit_s = seconds;
        self
    }

    /// Sets [`Config::mip_rel_gap`].
    pub fn mip_rel_gap(mut self, gap: f64) -> Config {
        self.mip_rel_gap = gap;
        self
    }

    /// Sets [`Config::mip_backend`].
    pub fn mip_backend(mut self, backend: MipBackend) -> Config {
        self.mip_backend = backend;
        self
    }

    /// Sets [`Config::max_tickets`].
    pub fn max_tickets(mut self, n: usize) -> Config {
        self.max_tickets = n;
        self
    }

    /// Sets [`Config::max_engineers`].
    pub fn max_engineers(mut self, n: usize) -> Config {
        self.max_engineers = n;
        self
    }

    /// Checks a run's size against [`Config::max_tickets`] and [`Config::max_engineers`].
    ///
    /// # Errors
    /// [`ErrorKind::TooMany`] naming tickets or engineers.
    pub fn check_run_size(&self, engineers: usize, tickets: usize) -> Result<(), Error> {
        for (entity, count, max) in [
            (Entity::Engineer, engineers, self.max_engineers),
            (Entity::Ticket, tickets, self.max_tickets),
        ] {
            if count > max {
                return Err(ErrorKind::TooMany { entity, count, max }.into());
            }
        }
        Ok(())
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
            ("mip_time_limit_s", self.mip_time_limit_s),
            ("mip_rel_gap", self.mip_rel_gap),
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
