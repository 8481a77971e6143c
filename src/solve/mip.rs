//! The general assignment model: ticket durations against engineer hours, count capacities, side
//! limits per engineer or per team, and the unassignment penalties of the network model. Solved
//! exactly as a MIP through good_lp (pure-Rust microlp by default, HiGHS with the `highs` feature),
//! or, for large instances, by a Lagrangian heuristic that reports its own lower bound.
//!
//! With hour budgets this is the Generalized Assignment Problem (NP-hard), so a solve has a time
//! limit and reports the best assignment found, a proven lower bound and their gap, never nothing.
//!
//! # The model
//! Binary `x(t,e)` per candidate arc (load slots `y(e,k)` in `[0, 1]` as in [`lp`](super::lp) when the
//! network has convex load costs):
//! ```text
//! minimise   Σ c(t,e)·x(t,e) + Σ_t penalty(t)·(1 − Σ_e x(t,e)) + Σ_e Σ_k load(e,k)·y(e,k)
//! subject to Σ_e x(t,e) ≤ 1                          each ticket t
//!            Σ_t x(t,e) ≤ capacity(e)                 each engineer e (ticket count)
//!            Σ_t minutes(t,e)·x(t,e) ≤ budget(e)      each engineer e with an hour budget
//!            Σ_{e in L} Σ_t w_L(t,e)·x(t,e) ≤ max(L)  each side limit L (w = 1 or minutes)
//! ```
//! An arc whose minutes exceed its engineer's budget is left out of the model before solving (it can
//! never be used); [`MipModel::fits`] tells which.
//!
//! # How a solve proceeds
//! 1. **Lagrangian bound and heuristic.** The hour and limit rows are moved into the objective with
//!    multipliers `λ ≥ 0`; what remains is the network model with arc costs `c + Σ λ·w`, solved exactly
//!    by the [`flow`] solver, so each iteration gives a valid lower bound
//!    `flow optimum − Σ λ·max`, which is at least the LP relaxation's bound. Multipliers follow the
//!    subgradient method. Each subproblem solution is repaired into a feasible assignment (drop the
//!    tickets that free the most time per unit of objective lost until every row holds, then insert the
//!    left-out tickets, most important first, at their cheapest engineer with room).
//!    The multipliers live on a grid of `1/S` cost units so the flow works on exact integers.
//! 2. **Exact search** (when the model has at most [`MipOptions::exact_max_arcs`] arcs), warm-started
//!    with step 1's assignment. Models without load costs or limits whose count capacities cannot
//!    bind (Generalized Assignment models) first get a penalty local search from step 1's plan
//!    (shift and swap moves that may overload engineers at an adaptive price per minute; step 1
//!    then has a tenth of the time instead of a fifth), then reduced-cost fixing from the knapsack
//!    Lagrangian bound against the incumbent, then a branch and bound on that bound (pure Rust, see
//!    the private `bb` and `penalty_search` modules), which also fixes arcs at every node.
//!    Where the fixing keeps at most four fifths of the arcs, a short large-neighbourhood search
//!    (private `lns` module: the tickets of two to eight engineers at a time re-solved exactly by
//!    the knapsack search; at most 0.4 of the time left, and it stops after two cycles through
//!    its subset sizes without a better plan) brings the plan to or near the optimum first, and
//!    the fixing runs again against it, which the knapsack search's proof needs. Where it keeps
//!    more (the plan is too far from the bound for a proof in time), with
//!    [`MipBackend::Highs`] and fewer than 20 engineers HiGHS runs first, over the arcs left, on
//!    a third of the remaining time, and the fixing runs again when HiGHS found a better plan. The
//!    knapsack search then gets a quarter of the time left when the fixing still keeps more than
//!    four fifths of the arcs, three quarters otherwise, and when it has not finished, the
//!    large-neighbourhood search improves the best plan in the rest.
//!    Other models go to the backend as the MIP above, with the remaining time
//!    and the relative gap (`microlp` or HiGHS). Every stage's plan and proven bound are combined:
//!    the best plan, the highest bound. The relative gap stops HiGHS and microlp early; the
//!    knapsack search always aims at a proof.
//!
//! The result is [`MipStatus::Optimal`] when the incumbent is within one cost unit of the bound (costs
//! are integers) and [`MipStatus::Feasible`] otherwise.

use std::time::Duration;

use web_time::Instant;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, variable,
};
use serde::{Deserialize, Serialize};

use super::{MAX_COST, Network, NetworkSolution, flow};
use crate::error::{Error, ErrorKind};
use crate::model::EngineerId;

/// The most minutes one arc may take (about 1,900 years), so that sums over a million tickets stay
/// far from overflow.
pub const MAX_MINUTES: u64 = 1_000_000_000;

/// What a side limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The number of tickets.
    Tickets,
    /// The summed `duration_min` of the tickets.
    Minutes,
}

/// A side limit of the model: the tickets (or minutes) given in this run to a set of engineers are at
/// most `max`. A per-engineer limit has one engineer; a team limit has the team's engineers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideLimit {
    /// Engineer indices (0-based, as in the [`Network`]) the limit covers.
    pub engineers: Vec<u32>,
    /// What is counted.
    pub measure: Measure,
    /// The largest total allowed.
    pub max: u64,
}

/// Whose work a [`Limit`] bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    /// Every engineer whose `team` is this name, together.
    Team(String),
    /// One engineer.
    Engineer(EngineerId),
}

/// A side limit of a dispatch run, as the rule language's `limit` rows produce it: the tickets (or
/// minutes) given in this run to a team or an engineer are at most `max`. Set in
/// [`Config::limits`](crate::Config::limits); the dispatcher turns each into a [`SideLimit`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limit {
    /// Team or engineer.
    pub scope: LimitScope,
    /// Tickets or minutes.
    pub measure: Measure,
    /// The largest total allowed in this run.
    pub max: u64,
}

/// Which backend proves the exact MIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MipBackend {
    /// good_lp's pure-Rust microlp branch and bound (works everywhere, including wasm32).
    Microlp,
    /// HiGHS (native; only with the `highs` cargo feature, otherwise microlp is used).
    Highs,
}

impl Default for MipBackend {
    /// HiGHS when built with the `highs` feature, microlp otherwise.
    fn default() -> MipBackend {
        if cfg!(feature = "highs") {
            MipBackend::Highs
        } else {
            MipBackend::Microlp
        }
    }
}

impl MipBackend {
    /// The backend that will actually run: [`MipBackend::Highs`] only when the `highs` feature is on.
    pub fn effective(self) -> MipBackend {
        if cfg!(feature = "highs") {
            self
        } else {
            MipBackend::Microlp
        }
    }
}

/// Limits of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct MipOptions {
    /// Wall-clock budget of the whole solve (heuristic and exact stage). Default 10 s.
    pub time_limit: Duration,
    /// Stop once `(objective − bound) / max(1, |objective|)` is at most this. Default 0 (prove
    /// optimality).
    pub rel_gap: f64,
    /// The exact backend.
    pub backend: MipBackend,
    /// Models with more arcs than this skip the exact stage and return the Lagrangian heuristic's
    /// result with its bound. Default 20,000.
    pub exact_max_arcs: usize,
    /// Most subgradient iterations of the Lagrangian stage. Default 200.
    pub lagrangian_iterations: usize,
}

impl Default for MipOptions {
    fn default() -> MipOptions {
        MipOptions {
            time_limit: Duration::from_secs(10),
            rel_gap: 0.0,
            backend: MipBackend::default(),
            exact_max_arcs: 20_000,
            lagrangian_iterations: 200,
        }
    }
}

/// Whether a solve proved its answer optimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MipStatus {
    /// The objective equals the proven bound.
    Optimal,
    /// A feasible assignment, with a gap to the bound (time limit, gap limit, or heuristic only).
    Feasible,
}

/// Which method produced the returned assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MipMethod {
    /// The model had no usable arc: every ticket unassigned, no backend called.
    Trivial,
    /// The Lagrangian heuristic, or the penalty local search after it (its assignment was not
    /// improved by an exact stage, or none ran), or the large-neighbourhood search that ends a
    /// solve whose knapsack bound stays far from the plans (it improved the exact stages' plan).
    Lagrangian,
    /// The exact backend's incumbent.
    Exact(MipBackend),
    /// The pure-Rust knapsack-bound branch and bound's incumbent.
    KnapsackSearch,
}

/// The result of [`solve`].
#[derive(Debug, Clone, PartialEq)]
pub struct MipSolution {
    /// `assignment[t]` is the engineer ticket `t` goes to, if any.
    pub assignment: Vec<Option<u32>>,
    /// Arc costs + unassignment penalties + load costs of `assignment`.
    pub objective: i64,
    /// A proven lower bound on the optimum (`≤ objective`).
    pub bound: i64,
    /// Optimal or feasible.
    pub status: MipStatus,
    /// Where the assignment comes from.
    pub method: MipMethod,
    /// Set when the exact backend failed (its message); the answer is then the heuristic's.
    pub note: Option<String>,
}

impl MipSolution {
    /// `(objective − bound) / max(1, |objective|)`: 0 when optimal.
    pub fn gap(&self) -> f64 {
        (self.objective - self.bound) as f64 / (self.objective.abs().max(1) as f64)
    }

    /// Number of assigned tickets.
    pub fn assigned(&self) -> usize {
        self.assignment.iter().filter(|a| a.is_some()).count()
    }
}

/// The general model: a [`Network`] (count capacities, penalties, arcs, load costs) plus minutes per
/// arc, an hour budget per engineer and side limits. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MipModel {
    net: Network,
    /// Minutes of each arc, in the network's arc order.
    minutes: Vec<u64>,
    /// Per engineer, the minutes it may still work in this run (`None`: no hour limit).
    budget: Vec<Option<u64>>,
    limits: Vec<SideLimit>,
}

fn invalid(message: String) -> Error {
    ErrorKind::InvalidInstance { message }.into()
}

impl MipModel {
    /// Builds a model from a network, the minutes of each arc (`minutes(ticket, engineer)`, called
    /// once per arc), and each engineer's budget in minutes (`None` for no hour limit).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`] when `budget` does not have one entry per engineer or an arc
    /// takes more than [`MAX_MINUTES`].
    pub fn new(
        net: Network,
        mut minutes: impl FnMut(usize, u32) -> u64,
        budget: Vec<Option<u64>>,
    ) -> Result<MipModel, Error> {
        if budget.len() != net.engineers() {
            return Err(invalid(format!(
                "{} hour budgets for {} engineers",
                budget.len(),
                net.engineers()
            )));
        }
        let mut arc_minutes = Vec::with_capacity(net.arcs());
        for t in 0..net.tickets() {
            for (e, _) in net.arcs_of(t) {
                let m = minutes(t, e);
                if m > MAX_MINUTES {
                    return Err(invalid(format!(
                        "arc ({t}, {e}) takes {m} minutes, beyond the limit of {MAX_MINUTES}"
                    )));
                }
                arc_minutes.push(m);
            }
        }
        Ok(MipModel {
            net,
            minutes: arc_minutes,
            budget,
            limits: Vec::new(),
        })
    }

    /// Adds side limits.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`] for a limit naming an engineer that does not exist or naming one
    /// twice.
    pub fn with_limits(mut self, limits: Vec<SideLimit>) -> Result<MipModel, Error> {
        for (i, l) in limits.iter().enumerate() {
            let mut seen = l.engineers.clone();
            seen.sort_unstable();
            if let Some(&e) = seen.iter().find(|&&e| e as usize >= self.net.engineers()) {
                return Err(invalid(format!(
                    "limit {i} names engineer {e} beyond {} engineers",
                    self.net.engineers()
                )));
            }
            if seen.windows(2).any(|w| w[0] == w[1]) {
                return Err(invalid(format!("limit {i} names an engineer twice")));
            }
        }
        self.limits = limits;
        Ok(self)
    }

    /// The underlying network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The side limits.
    pub fn limits(&self) -> &[SideLimit] {
        &self.limits
    }

    /// Engineer `e`'s hour budget in minutes, if it has one.
    pub fn budget(&self, e: usize) -> Option<u64> {
        self.budget[e]
    }

    /// The minutes ticket `t` takes at engineer `e`, if there is such an arc. `O(d)`.
    pub fn minutes_of(&self, t: usize, e: u32) -> Option<u64> {
        self.net
            .arc_range(t)
            .find(|&a| self.net.arc_engineer()[a] == e)
            .map(|a| self.minutes[a])
    }

    /// Whether arc `a` can ever be used: the engineer has a ticket slot, and its minutes fit the hour
    /// budget and every minutes limit on its engineer (a limit on tickets needs `max ≥ 1`).
    fn arc_fits(&self, a: usize, limits_of: &[Vec<usize>]) -> bool {
        let e = self.net.arc_engineer()[a] as usize;
        let m = self.minutes[a];
        self.net.capacity(e) > 0
            && self.budget[e].is_none_or(|b| m <= b)
            && limits_of[e].iter().all(|&l| {
                let lim = &self.limits[l];
                match lim.measure {
                    Measure::Tickets => lim.max >= 1,
                    Measure::Minutes => m <= lim.max,
                }
            })
    }

    /// Whether ticket `t` may go to engineer `e` at all (an arc exists and fits, see the
    /// [module docs](self)).
    pub fn fits(&self, t: usize, e: u32) -> bool {
        let limits_of = self.limits_of();
        self.net
            .arc_range(t)
            .find(|&a| self.net.arc_engineer()[a] == e)
            .is_some_and(|a| self.arc_fits(a, &limits_of))
    }

    /// Whether the model is a pure network: no hour budget or side limit can ever bind (each is at
    /// least the total over the arcs it covers), so the [`flow`] solver is exact for it.
    pub fn is_network(&self) -> bool {
        let mut hours = vec![0u64; self.net.engineers()];
        let mut count = vec![0u64; self.net.engineers()];
        for t in 0..self.net.tickets() {
            for a in self.net.arc_range(t) {
                let e = self.net.arc_engineer()[a] as usize;
                hours[e] = hours[e].saturating_add(self.minutes[a]);
                count[e] += 1;
            }
        }
        let budgets_slack = self
            .budget
            .iter()
            .zip(&hours)
            .all(|(b, &h)| b.is_none_or(|b| h <= b));
        budgets_slack
            && self.limits.iter().all(|l| {
                let total: u64 = l
                    .engineers
                    .iter()
                    .map(|&e| match l.measure {
                        Measure::Tickets => count[e as usize],
                        Measure::Minutes => hours[e as usize],
                    })
                    .fold(0u64, u64::saturating_add);
                total <= l.max
            })
    }

    fn limits_of(&self) -> Vec<Vec<usize>> {
        let mut of = vec![Vec::new(); self.net.engineers()];
        for (i, l) in self.limits.iter().enumerate() {
            for &e in &l.engineers {
                of[e as usize].push(i);
            }
        }
        of
    }

    /// Checks that `assignment` is feasible (arcs exist, count, hours and limits respected) and
    /// returns its objective.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`] naming the first violated constraint.
    pub fn evaluate(&self, assignment: &[Option<u32>]) -> Result<i64, Error> {
        let objective = self.net.evaluate(assignment)?;
        let mut used = vec![0u64; self.net.engineers()];
        let mut count = vec![0u64; self.net.engineers()];
        for (t, a) in assignment.iter().enumerate() {
            if let Some(e) = *a {
                let m = self.minutes_of(t, e).unwrap_or(0);
                used[e as usize] += m;
                count[e as usize] += 1;
            }
        }
        for (e, b) in self.budget.iter().enumerate() {
            if let Some(b) = *b {
                if used[e] > b {
                    return Err(invalid(format!(
                        "engineer {e} works {} minutes, over its budget of {b}",
                        used[e]
                    )));
                }
            }
        }
        for (i, l) in self.limits.iter().enumerate() {
            let total: u64 = l
                .engineers
                .iter()
                .map(|&e| match l.measure {
                    Measure::Tickets => count[e as usize],
                    Measure::Minutes => used[e as usize],
                })
                .sum();
            if total > l.max {
                return Err(invalid(format!(
                    "limit {i} reaches {total}, over its maximum of {}",
                    l.max
                )));
            }
        }
        Ok(objective)
    }
}

/// What an assignment uses of each engineer and limit, to tell whether a ticket still fits.
#[derive(Debug, Clone)]
pub(crate) struct Usage {
    count: Vec<u32>,
    minutes: Vec<u64>,
    limit: Vec<u64>,
    limits_of: Vec<Vec<usize>>,
}

impl Usage {
    /// The usage of `assignment` (assumed to name existing arcs). `O(n · d)`.
    pub(crate) fn new(model: &MipModel, assignment: &[Option<u32>]) -> Usage {
        let m = model.net.engineers();
        let mut usage = Usage {
            count: vec![0; m],
            minutes: vec![0; m],
            limit: vec![0; model.limits.len()],
            limits_of: model.limits_of(),
        };
        for (t, e) in assignment.iter().enumerate() {
            if let Some(e) = *e {
                let mins = model.minutes_of(t, e).unwrap_or(0);
                usage.count[e as usize] += 1;
                usage.minutes[e as usize] += mins;
                for &l in &usage.limits_of[e as usize] {
                    usage.limit[l] += match model.limits[l].measure {
                        Measure::Tickets => 1,
                        Measure::Minutes => mins,
                    };
                }
            }
        }
        usage
    }

    /// Whether engineer `e` has room for ticket `t` on top of this usage: a ticket slot, the hours
    /// and every limit. `false` when there is no such arc.
    pub(crate) fn room(&self, model: &MipModel, t: usize, e: u32) -> bool {
        let Some(mins) = model.minutes_of(t, e) else {
            return false;
        };
        let ei = e as usize;
        self.count[ei] < model.net.capacity(ei)
            && model.budget[ei].is_none_or(|b| self.minutes[ei] + mins <= b)
            && self.limits_of[ei].iter().all(|&l| {
                let lim = &model.limits[l];
                let w = match lim.measure {
                    Measure::Tickets => 1,
                    Measure::Minutes => mins,
                };
                self.limit[l] + w <= lim.max
            })
    }
}

/// A relaxed row: hours of one engineer, or a side limit.
struct Row {
    engineers: Vec<u32>,
    measure: Measure,
    max: u64,
}

/// The rows the Lagrangian stage relaxes, with the arcs each covers (by weight).
struct Relaxed {
    rows: Vec<Row>,
    /// Per engineer, the rows covering it.
    rows_of: Vec<Vec<usize>>,
}

impl Relaxed {
    fn new(model: &MipModel) -> Relaxed {
        let mut rows = Vec::new();
        for (e, b) in model.budget.iter().enumerate() {
            if let Some(b) = *b {
                rows.push(Row {
                    engineers: vec![e as u32],
                    measure: Measure::Minutes,
                    max: b,
                });
            }
        }
        for l in &model.limits {
            rows.push(Row {
                engineers: l.engineers.clone(),
                measure: l.measure,
                max: l.max,
            });
        }
        let mut rows_of = vec![Vec::new(); model.net.engineers()];
        for (i, r) in rows.iter().enumerate() {
            for &e in &r.engineers {
                rows_of[e as usize].push(i);
            }
        }
        Relaxed { rows, rows_of }
    }

    fn weight(&self, r: usize, minutes: u64) -> u64 {
        match self.rows[r].measure {
            Measure::Tickets => 1,
            Measure::Minutes => minutes,
        }
    }
}

/// Solves the model: Lagrangian bound and heuristic, then the exact backend when the model is small
/// enough (see the [module docs](self)). Deterministic except where the time limit cuts a stage short.
///
/// Cost: each Lagrangian iteration is one [`flow`] solve on the model's network; the exact
/// stage is a branch and bound, exponential in the worst case, stopped by the time limit.
///
/// # Errors
/// [`ErrorKind::InvalidNumber`] for a negative or non-finite `rel_gap`; [`ErrorKind::LpSolver`] when
/// an exact backend fails in a way other than running out of time (its assignment disagreeing with the
/// model, an internal error).
///
/// # Examples
/// ```
/// use dispatchkit::solve::Network;
/// use dispatchkit::solve::mip::{self, MipModel, MipOptions, MipStatus};
///
/// // Two 90-minute tickets, one engineer with 2 ticket slots but 120 minutes: only one fits, and the
/// // one with the higher penalty gets it.
/// let net = Network::new(vec![2], vec![10, 50], vec![(0, 0, 3), (1, 0, 4)])?;
/// let model = MipModel::new(net, |_, _| 90, vec![Some(120)])?;
/// let sol = mip::solve(&model, &MipOptions::default())?;
/// assert_eq!(sol.assignment, vec![None, Some(0)]);
/// assert_eq!((sol.objective, sol.bound, sol.status), (14, 14, MipStatus::Optimal));
/// # Ok::<(), dispatchkit::Error>(())
/// ```
pub fn solve(model: &MipModel, options: &MipOptions) -> Result<MipSolution, Error> {
    if !(options.rel_gap.is_finite() && options.rel_gap >= 0.0) {
        return Err(ErrorKind::InvalidNumber {
            entity: None,
            id: "mip_rel_gap".to_string(),
            field: "value",
            value: options.rel_gap,
        }
        .into());
    }
    let started = Instant::now();
    let deadline = started + options.time_limit;
    let reduced = Reduced::new(model);

    if reduced.usable == 0 {
        let assignment = vec![None; model.net.tickets()];
        let objective = model.net.evaluate(&assignment)?;
        return Ok(MipSolution {
            assignment,
            objective,
            bound: objective,
            status: MipStatus::Optimal,
            method: MipMethod::Trivial,
            note: None,
        });
    }

    let exact = model.net.arcs() <= options.exact_max_arcs;
    let knapsack_search = super::bb::applicable(model);
    // The heuristic gets the whole budget when it is the answer, a fifth of it otherwise (a tenth
    // where the penalty search and the knapsack bound follow: its bound is weak there).
    let lagrangian_deadline = if !exact {
        deadline
    } else if knapsack_search {
        started + options.time_limit / 10
    } else {
        started + options.time_limit / 5
    };
    let mut best = lagrangian(model, &reduced, options, lagrangian_deadline);
    if best.status == MipStatus::Optimal || !exact || best.gap() <= options.rel_gap {
        return Ok(best);
    }

    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Ok(best);
    }
    let gap_met = |best: &MipSolution| {
        best.bound >= best.objective || best.objective - best.bound <= allowed(best, options)
    };
    // Where the knapsack bound applies: a better incumbent from the penalty search, then
    // reduced-cost fixing against it, so that both exact stages see only the arcs that can still
    // be in a better assignment.
    let mut exact_fixing: Option<Fixing> = None;
    let fix_deadline = || deadline.min(Instant::now() + options.time_limit / 10);
    // Whether the fixing kept more than four fifths of the arcs: the incumbent is then too far
    // from the bound for the knapsack search to prove it in time, and a large-neighbourhood
    // search from the best plan gets the last three quarters of its time.
    let mut far_from_bound = false;
    if knapsack_search {
        let search_deadline = deadline.min(Instant::now() + options.time_limit / 10);
        if let Some((assignment, objective)) = super::penalty_search::improve(
            model,
            &reduced.fits,
            &best.assignment,
            best.objective,
            search_deadline,
        ) {
            best.assignment = assignment;
            best.objective = objective;
        }
        let relaxed = Relaxed::new(model);
        let polish = |x: &[Option<u32>]| {
            let repaired = repair(model, &reduced, &relaxed, x, true);
            model.evaluate(&repaired).ok().map(|obj| (repaired, obj))
        };
        let mut fixing = Fixing {
            fits: reduced.fits.clone(),
            multipliers: None,
            incumbent: best.objective,
        };
        if fixing.refix(model, &mut best, fix_deadline(), &polish) || gap_met(&best) {
            best.status = status(best.objective, best.bound);
            return Ok(best);
        }
        // Not far from the bound: a short large-neighbourhood search first, so that the fixing
        // (again, against its plan) and both exact stages start from a plan at or near the
        // optimum, which the proof needs. Far from the bound its plans lead the knapsack
        // search's dives into worse places than the penalty search's (measured on gapd, type E).
        if 5 * fixing.usable() <= 4 * reduced.usable {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Some((assignment, objective)) = super::lns::improve(
                model,
                &fixing.fits,
                &best.assignment,
                best.objective,
                Instant::now() + left.mul_f64(EARLY_SEARCH_SHARE),
                fixing.multipliers.as_deref(),
                super::lns::Limits::brief(model.network().engineers()),
            ) {
                best.assignment = assignment;
                best.objective = objective;
                best.method = MipMethod::Lagrangian;
                if fixing.refix(model, &mut best, fix_deadline(), &polish) || gap_met(&best) {
                    best.status = status(best.objective, best.bound);
                    return Ok(best);
                }
            }
        }
        far_from_bound = 5 * fixing.usable() > 4 * reduced.usable;
        exact_fixing = Some(fixing);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let backend = options.backend.effective();
    // microlp's LP-based search stalls on hour-budget models; the knapsack-bound search (`bb`) proves
    // them in pure Rust. HiGHS finds better plans sooner but proves more slowly on some of them, so
    // with HiGHS the time is shared where the incumbent is still far from the bound: HiGHS first (a
    // third of what is left), then `bb` from HiGHS's plan, keeping the better plan and the higher
    // of the two proven bounds. Near the bound (after the early large-neighbourhood search) the
    // knapsack search proves sooner on its own; with 20 or more engineers HiGHS's third too often
    // ends without a plan ([`HIGHS_MAX_ENGINEERS`]).
    let highs_share = if !knapsack_search {
        Some(remaining)
    } else if backend == MipBackend::Highs
        && far_from_bound
        && model.network().engineers() < HIGHS_MAX_ENGINEERS
    {
        Some(remaining / 3)
    } else {
        None
    };
    if let Some(share) = highs_share {
        let fits = exact_fixing.as_ref().map_or(&reduced.fits, |f| &f.fits);
        let exact_reduced = Reduced {
            fits: fits.clone(),
            usable: fits.iter().filter(|&&f| f).count(),
        };
        match exact_solve(
            model,
            &exact_reduced,
            &best,
            backend,
            share,
            options.rel_gap,
        ) {
            Ok(Some(found)) => {
                best.bound = best.bound.max(found.bound);
                if found.objective < best.objective {
                    // A backend's incumbent cut short by the time limit may leave easy insertions
                    // or moves on the table: the same repair as the heuristic's (never worse).
                    let relaxed = Relaxed::new(model);
                    let polished = repair(model, &reduced, &relaxed, &found.assignment, true);
                    let (assignment, objective) = match model.evaluate(&polished) {
                        Ok(obj) if obj < found.objective => (polished, obj),
                        _ => (found.assignment, found.objective),
                    };
                    best.assignment = assignment;
                    best.objective = objective;
                    best.method = MipMethod::Exact(backend);
                }
            }
            Ok(None) => {}
            Err(e) => best.note = Some(e.to_string()),
        }
    }
    if let Some(mut fixing) = exact_fixing.filter(|_| !gap_met(&best) && Instant::now() < deadline)
    {
        let relaxed = Relaxed::new(model);
        let polish = |x: &[Option<u32>]| {
            let repaired = repair(model, &reduced, &relaxed, x, true);
            model.evaluate(&repaired).ok().map(|obj| (repaired, obj))
        };
        // HiGHS's plan may be much closer to the bound than the one the fixing had: fix again
        // against it, and judge "far from the bound" by what that keeps.
        if far_from_bound && fixing.incumbent != best.objective {
            if fixing.refix(model, &mut best, fix_deadline(), &polish) || gap_met(&best) {
                best.bound = best.bound.min(best.objective);
                best.status = status(best.objective, best.bound);
                return Ok(best);
            }
            far_from_bound = 5 * fixing.usable() > 4 * reduced.usable;
        }
        // The knapsack search has a quarter of the time left where the plan is far from the
        // bound ([`FAR_KNAPSACK_SHARE`]), three quarters otherwise (enough for the proofs of
        // gapa–gapc), and the large-neighbourhood search the rest when it did not finish.
        let left = deadline.saturating_duration_since(Instant::now());
        let search_deadline = Instant::now()
            + if far_from_bound {
                left.mul_f64(FAR_KNAPSACK_SHARE)
            } else {
                left * 3 / 4
            };
        let found = super::bb::solve(
            model,
            &fixing.fits,
            &best.assignment,
            best.objective,
            search_deadline,
            &polish,
            fixing.multipliers.as_deref(),
        );
        if found.objective < best.objective {
            best.assignment = found.assignment;
            best.objective = found.objective;
            best.method = MipMethod::KnapsackSearch;
        }
        best.bound = best.bound.max(found.bound);
        // The knapsack search's dives (repaired knapsack solutions) find good plans early but
        // rarely improve them late; the large-neighbourhood search re-solves a few engineers at a
        // time from the best of them.
        if !gap_met(&best) {
            if let Some((assignment, objective)) = super::lns::improve(
                model,
                &fixing.fits,
                &best.assignment,
                best.objective,
                deadline,
                fixing.multipliers.as_deref(),
                super::lns::Limits::full(model.network().engineers()),
            ) {
                best.assignment = assignment;
                best.objective = objective;
                best.method = MipMethod::Lagrangian;
            }
        }
    }
    best.bound = best.bound.min(best.objective);
    best.status = status(best.objective, best.bound);
    Ok(best)
}

/// Far from the bound, HiGHS runs only on models with fewer engineers than this: with 20
/// engineers its third of the time often ends without a better plan under load (gapd#6 at
/// 12,419–12,421 after it in three runs at load 3.6–4.1, against 12,303 without it in pure Rust).
const HIGHS_MAX_ENGINEERS: usize = 20;

/// The share of the time left (after HiGHS) that the knapsack search gets where the plan is far
/// from the bound; the large-neighbourhood search has the rest. Far from the bound the search's
/// dives find their plans in the first second or not at all (gapd#5: 6,079 → 6,042 within about
/// 45 nodes, then 1–5 units in the next 600), and on 200 tickets a node takes about 0.2 s (gapd#4,
/// gapd#6: 9–10 nodes in 2.3 s, nothing found), while the large-neighbourhood search still
/// improves when its time ends.
const FAR_KNAPSACK_SHARE: f64 = 0.25;

/// The share of the time left that the early large-neighbourhood search (before the exact
/// stages, where the fixing keeps at most four fifths of the arcs) may use at most; it stops
/// sooner when it stalls ([`lns::Limits::brief`](super::lns::Limits::brief)).
const EARLY_SEARCH_SHARE: f64 = 0.4;

/// The arcs reduced-cost fixing has left, the incumbent it fixed against, and the multipliers of
/// its bound (a warm start for the next fixing and the knapsack search).
struct Fixing {
    fits: Vec<bool>,
    multipliers: Option<Vec<f64>>,
    incumbent: i64,
}

impl Fixing {
    fn usable(&self) -> usize {
        self.fits.iter().filter(|&&f| f).count()
    }

    /// Reduced-cost fixing of the arcs left against `best` (whose plan, bound and objective it
    /// may improve). Returns whether `best` is proven optimal.
    fn refix(
        &mut self,
        model: &MipModel,
        best: &mut MipSolution,
        deadline: Instant,
        polish: super::bb::Polish<'_>,
    ) -> bool {
        let r = super::bb::reduce(
            model,
            &self.fits,
            &best.assignment,
            best.objective,
            deadline,
            polish,
            self.multipliers.as_deref(),
        );
        if r.objective < best.objective {
            best.assignment = r.assignment;
            best.objective = r.objective;
            best.method = MipMethod::KnapsackSearch;
        }
        best.bound = best.bound.max(r.bound).min(best.objective);
        self.fits = r.fits;
        self.multipliers = Some(r.multipliers);
        self.incumbent = best.objective;
        best.bound >= best.objective
    }
}

/// The absolute gap `rel_gap` allows at the current objective.
fn allowed(best: &MipSolution, options: &MipOptions) -> i64 {
    (options.rel_gap * best.objective.abs().max(1) as f64).floor() as i64
}

fn status(objective: i64, bound: i64) -> MipStatus {
    if objective <= bound {
        MipStatus::Optimal
    } else {
        MipStatus::Feasible
    }
}

/// The model without arcs that can never be used.
struct Reduced {
    /// Whether each arc (network order) is usable.
    fits: Vec<bool>,
    usable: usize,
}

impl Reduced {
    fn new(model: &MipModel) -> Reduced {
        let limits_of = model.limits_of();
        let fits: Vec<bool> = (0..model.net.arcs())
            .map(|a| model.arc_fits(a, &limits_of))
            .collect();
        let usable = fits.iter().filter(|&&f| f).count();
        Reduced { fits, usable }
    }
}

/// Keeps rows and counts feasible while tickets are moved: the primal side of the Lagrangian stage.
struct Loads<'a> {
    model: &'a MipModel,
    relaxed: &'a Relaxed,
    count: Vec<u32>,
    /// Usage of each relaxed row.
    usage: Vec<u64>,
}

impl<'a> Loads<'a> {
    fn new(model: &'a MipModel, relaxed: &'a Relaxed) -> Loads<'a> {
        Loads {
            model,
            relaxed,
            count: vec![0; model.net.engineers()],
            usage: vec![0; relaxed.rows.len()],
        }
    }

    fn room(&self, e: usize, minutes: u64) -> bool {
        self.count[e] < self.model.net.capacity(e)
            && self.relaxed.rows_of[e].iter().all(|&r| {
                self.usage[r] + self.relaxed.weight(r, minutes) <= self.relaxed.rows[r].max
            })
    }

    fn add(&mut self, e: usize, minutes: u64) {
        self.count[e] += 1;
        for &r in &self.relaxed.rows_of[e] {
            self.usage[r] += self.relaxed.weight(r, minutes);
        }
    }

    fn remove(&mut self, e: usize, minutes: u64) {
        self.count[e] -= 1;
        for &r in &self.relaxed.rows_of[e] {
            self.usage[r] -= self.relaxed.weight(r, minutes);
        }
    }

    /// The extra load cost of engineer `e`'s next ticket.
    fn next_load_cost(&self, e: usize) -> i64 {
        self.model.net.load_cost(e, self.count[e] as usize)
    }
}

/// Turns any assignment that respects ticket ≤ 1 and the count capacities into a feasible one, then
/// inserts and moves tickets greedily. Returns the repaired assignment (objective via `evaluate`).
fn repair(
    model: &MipModel,
    reduced: &Reduced,
    relaxed: &Relaxed,
    x: &[Option<u32>],
    local_search: bool,
) -> Vec<Option<u32>> {
    let net = &model.net;
    let n = net.tickets();
    // The arc index of each assigned ticket.
    let mut arc: Vec<Option<usize>> = vec![None; n];
    let mut loads = Loads::new(model, relaxed);
    for (t, e) in x.iter().enumerate() {
        if let Some(e) = *e {
            if let Some(a) = net
                .arc_range(t)
                .find(|&a| net.arc_engineer()[a] == e && reduced.fits[a])
            {
                arc[t] = Some(a);
                loads.add(e as usize, model.minutes[a]);
            }
        }
    }
    // Drop tickets from violated rows: those losing the least objective per unit freed go first.
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); net.engineers()];
    for (t, a) in arc.iter().enumerate() {
        if let Some(a) = *a {
            held[net.arc_engineer()[a] as usize].push(t);
        }
    }
    for r in 0..relaxed.rows.len() {
        if loads.usage[r] <= relaxed.rows[r].max {
            continue;
        }
        let mut victims: Vec<(f64, usize)> = relaxed.rows[r]
            .engineers
            .iter()
            .flat_map(|&e| held[e as usize].iter().copied())
            .filter_map(|t| {
                let a = arc[t]?;
                let w = relaxed.weight(r, model.minutes[a]).max(1) as f64;
                let loss = (net.penalty(t) - net.arc_cost()[a]) as f64;
                Some((loss / w, t))
            })
            .collect();
        victims.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, t) in victims {
            if loads.usage[r] <= relaxed.rows[r].max {
                break;
            }
            let a = arc[t].take().expect("victims are assigned");
            loads.remove(net.arc_engineer()[a] as usize, model.minutes[a]);
        }
    }
    // Insert left-out tickets, highest penalty first, at the cheapest engineer with room.
    let mut order: Vec<usize> = (0..n).filter(|&t| arc[t].is_none()).collect();
    order.sort_by_key(|&t| (std::cmp::Reverse(net.penalty(t)), t));
    for t in order {
        let best = net
            .arc_range(t)
            .filter(|&a| reduced.fits[a])
            .filter(|&a| loads.room(net.arc_engineer()[a] as usize, model.minutes[a]))
            .map(|a| {
                let e = net.arc_engineer()[a] as usize;
                (net.arc_cost()[a] + loads.next_load_cost(e), a)
            })
            .min();
        if let Some((cost, a)) = best {
            if cost < net.penalty(t) {
                arc[t] = Some(a);
                loads.add(net.arc_engineer()[a] as usize, model.minutes[a]);
            }
        }
    }
    if local_search && net.load_costs().is_none() {
        improve(model, reduced, &mut loads, &mut arc);
    }
    arc.iter()
        .map(|a| a.map(|a| net.arc_engineer()[a]))
        .collect()
}

/// The most (ticket, engineer) cells of [`improve`]'s arc table.
const ARC_TABLE_MAX: usize = 1 << 22;

/// Local search on a feasible assignment without load costs: moves a ticket to a cheaper engineer
/// with room, or swaps the engineers of two tickets when that is cheaper and both fit, until no such
/// move is left (at most 50 passes). Every move keeps the assignment feasible and lowers the
/// objective, so the result is never worse than the input.
fn improve(model: &MipModel, reduced: &Reduced, loads: &mut Loads<'_>, arc: &mut [Option<usize>]) {
    let net = &model.net;
    let eng = |a: usize| net.arc_engineer()[a] as usize;
    let cost = |a: usize| net.arc_cost()[a];
    let minutes = |a: usize| model.minutes[a];
    // Tickets held by each engineer.
    let mut at: Vec<Vec<usize>> = vec![Vec::new(); net.engineers()];
    for (t, a) in arc.iter().enumerate() {
        if let Some(a) = *a {
            at[eng(a)].push(t);
        }
    }
    // The first usable arc of each (ticket, engineer), as a table where it is small enough (the
    // swaps look it up for every pair they try), else by a scan of the ticket's arcs.
    let m = net.engineers();
    let table: Option<Vec<usize>> = (arc.len().saturating_mul(m) <= ARC_TABLE_MAX).then(|| {
        let mut table = vec![usize::MAX; arc.len() * m];
        for (u, row) in table.chunks_mut(m.max(1)).enumerate().take(arc.len()) {
            for b in net.arc_range(u).rev() {
                if reduced.fits[b] {
                    row[eng(b)] = b;
                }
            }
        }
        table
    });
    let arc_to = |u: usize, e: usize| match &table {
        Some(table) => Some(table[u * m + e]).filter(|&b| b != usize::MAX),
        None => net.arc_range(u).find(|&b| eng(b) == e && reduced.fits[b]),
    };
    for _ in 0..50 {
        let mut improved = false;
        for t in 0..arc.len() {
            let Some(cur) = arc[t] else { continue };
            let e0 = eng(cur);
            loads.remove(e0, minutes(cur));
            // Shift: the cheapest engineer with room, if cheaper than the current one.
            let shift = net
                .arc_range(t)
                .filter(|&a| reduced.fits[a] && cost(a) < cost(cur) && eng(a) != e0)
                .filter(|&a| loads.room(eng(a), minutes(a)))
                .min_by_key(|&a| (cost(a), a));
            if let Some(a) = shift {
                loads.add(eng(a), minutes(a));
                at[e0].retain(|&u| u != t);
                at[eng(a)].push(t);
                arc[t] = Some(a);
                improved = true;
                continue;
            }
            // Swap with a ticket `u` of another candidate engineer `e1`.
            let mut swapped = false;
            'arcs: for a in net.arc_range(t) {
                let e1 = eng(a);
                if e1 == e0 || !reduced.fits[a] {
                    continue;
                }
                for i in 0..at[e1].len() {
                    let u = at[e1][i];
                    let Some(ucur) = arc[u] else { continue };
                    let Some(b) = arc_to(u, e0) else { continue };
                    if cost(a) + cost(b) >= cost(cur) + cost(ucur) {
                        continue;
                    }
                    loads.remove(e1, minutes(ucur));
                    if loads.room(e1, minutes(a)) {
                        loads.add(e1, minutes(a));
                        if loads.room(e0, minutes(b)) {
                            loads.add(e0, minutes(b));
                            arc[t] = Some(a);
                            arc[u] = Some(b);
                            at[e1][i] = t;
                            let pos = at[e0].iter().position(|&v| v == t).expect("t is at e0");
                            at[e0][pos] = u;
                            swapped = true;
                            break 'arcs;
                        }
                        loads.remove(e1, minutes(a));
                    }
                    loads.add(e1, minutes(ucur));
                }
            }
            if swapped {
                improved = true;
            } else {
                loads.add(e0, minutes(cur));
            }
        }
        if !improved {
            break;
        }
    }
}

/// The Lagrangian stage (see the [module docs](self)): returns the best repaired assignment and the
/// best bound found before `deadline` or the iteration limit.
fn lagrangian(
    model: &MipModel,
    reduced: &Reduced,
    options: &MipOptions,
    deadline: Instant,
) -> MipSolution {
    let net = &model.net;
    let relaxed = Relaxed::new(model);
    let n = net.tickets();

    // Usable arcs only, costs multiplied by the grid scale `s` so that a multiplier of `k` grid steps
    // adds exactly `k · weight` integer units.
    let max_abs = (0..n)
        .map(|t| net.penalty(t).abs())
        .chain(net.arc_cost().iter().map(|c| c.abs()))
        .chain(
            net.load_costs()
                .into_iter()
                .flatten()
                .flatten()
                .map(|c| c.abs()),
        )
        .max()
        .unwrap_or(0)
        .max(1);
    // A finer grid adds auction phases to every flow solve for little gain in the bound.
    let s: i64 = (1_000_000_000 / max_abs).clamp(1, 1_000);
    let cap_cost = s.saturating_mul(max_abs).saturating_mul(2).min(MAX_COST);
    let usable_arcs: Vec<usize> = (0..net.arcs()).filter(|&a| reduced.fits[a]).collect();
    let arc_ticket: Vec<u32> = {
        let mut v = vec![0u32; net.arcs()];
        for t in 0..n {
            for a in net.arc_range(t) {
                v[a] = t as u32;
            }
        }
        v
    };
    let penalty_s: Vec<i64> = (0..n).map(|t| net.penalty(t) * s).collect();
    let load_s: Option<Vec<Vec<i64>>> = net.load_costs().map(|l| {
        l.iter()
            .map(|v| v.iter().map(|c| c * s).collect())
            .collect()
    });

    // Local search in every iteration is affordable on small models; large ones polish only the
    // final assignment.
    let local_search = net.arcs() <= 50_000;
    // Multipliers in grid steps (units of 1/s cost unit per weight unit).
    let mut lambda = vec![0i64; relaxed.rows.len()];
    let mut best_bound = i64::MIN;
    let mut best_assignment = vec![None; n];
    let mut best_objective = net.evaluate(&best_assignment).unwrap_or(i64::MAX);
    let mut mu = 2.0f64;
    let mut since_improved = 0usize;
    let mut iterations = 0usize;
    loop {
        iterations += 1;
        let arcs: Vec<(u32, u32, i64)> = usable_arcs
            .iter()
            .map(|&a| {
                let e = net.arc_engineer()[a] as usize;
                let m = model.minutes[a];
                let extra: i64 = relaxed.rows_of[e]
                    .iter()
                    .map(|&r| lambda[r].saturating_mul(relaxed.weight(r, m) as i64))
                    .fold(0i64, i64::saturating_add);
                let c = (net.arc_cost()[a] * s).saturating_add(extra).min(cap_cost);
                (arc_ticket[a], e as u32, c)
            })
            .collect();
        let mut sub = Network::new(
            (0..net.engineers()).map(|e| net.capacity(e)).collect(),
            penalty_s.clone(),
            arcs,
        )
        .expect("the scaled model stays within MAX_COST");
        if let Some(l) = &load_s {
            sub = sub
                .with_load_costs(l.clone())
                .expect("scaled load costs stay convex");
        }
        let sol: NetworkSolution = flow::solve(&sub);
        // Exact Lagrangian value in grid units: flow optimum − Σ λ·max; a valid lower bound after
        // dividing by s (rounded up, since the true optimum is an integer).
        let relief: i128 = lambda
            .iter()
            .zip(&relaxed.rows)
            .map(|(&l, r)| i128::from(l) * i128::from(r.max))
            .sum();
        let value = i128::from(sol.objective) - relief;
        let bound = i64::try_from(
            value.div_euclid(i128::from(s)) + i128::from(value.rem_euclid(i128::from(s)) != 0),
        )
        .unwrap_or(i64::MIN);

        // Primal side.
        let repaired = repair(model, reduced, &relaxed, &sol.assignment, local_search);
        if let Ok(obj) = model.evaluate(&repaired) {
            if obj < best_objective {
                best_objective = obj;
                best_assignment = repaired;
            }
        }
        if bound > best_bound {
            best_bound = bound;
            since_improved = 0;
        } else {
            since_improved += 1;
            if since_improved >= 10 {
                mu /= 2.0;
                since_improved = 0;
            }
        }
        if best_bound >= best_objective
            || iterations >= options.lagrangian_iterations
            || mu < 1e-4
            || Instant::now() >= deadline
        {
            break;
        }

        // Subgradient: usage − max of each row under the subproblem's assignment.
        let mut usage = vec![0i64; relaxed.rows.len()];
        for (t, e) in sol.assignment.iter().enumerate() {
            if let Some(e) = *e {
                let m = model.minutes_of(t, e).unwrap_or(0);
                for &r in &relaxed.rows_of[e as usize] {
                    usage[r] += relaxed.weight(r, m) as i64;
                }
            }
        }
        let g: Vec<f64> = usage
            .iter()
            .zip(&relaxed.rows)
            .zip(&lambda)
            .map(|((&u, r), &l)| {
                let g = (u as f64) - (r.max as f64);
                // A row at λ = 0 that is slack cannot move λ below 0: it does not count.
                if l == 0 && g < 0.0 { 0.0 } else { g }
            })
            .collect();
        let norm: f64 = g.iter().map(|v| v * v).sum();
        if norm == 0.0 {
            // The subproblem's solution satisfies every row with complementary slackness: optimal.
            break;
        }
        let target = (best_objective as f64 - best_bound as f64).max(1.0) * s as f64;
        let step = mu * target / norm;
        for (l, gv) in lambda.iter_mut().zip(&g) {
            let next = (*l as f64 + step * gv).round();
            *l = if next.is_finite() && next > 0.0 {
                (next as i64).min(cap_cost)
            } else {
                0
            };
        }
    }
    if !local_search {
        let polished = repair(model, reduced, &relaxed, &best_assignment, true);
        if let Ok(obj) = model.evaluate(&polished) {
            if obj < best_objective {
                best_objective = obj;
                best_assignment = polished;
            }
        }
    }
    let bound = best_bound.min(best_objective);
    MipSolution {
        objective: best_objective,
        bound,
        status: status(best_objective, bound),
        assignment: best_assignment,
        method: MipMethod::Lagrangian,
        note: None,
    }
}

/// What an exact backend found.
struct Found {
    assignment: Vec<Option<u32>>,
    objective: i64,
    bound: i64,
}

/// Integer lower bound from a float bound: rounded up after a small tolerance for the backend's
/// floating-point rounding.
fn integer_bound(bound: f64) -> i64 {
    let tol = 1e-6 * bound.abs().max(1.0);
    (bound - tol).ceil() as i64
}

/// Builds the MIP (see the [module docs](self)) and runs the backend with a warm start. Returns
/// `None` when the backend found nothing better within the time (its bound is then unknown).
fn exact_solve(
    model: &MipModel,
    reduced: &Reduced,
    start: &MipSolution,
    backend: MipBackend,
    time_limit: Duration,
    rel_gap: f64,
) -> Result<Option<Found>, Error> {
    let net = &model.net;
    let n = net.tickets();
    let m = net.engineers();
    let penalty_total: i64 = (0..n).map(|t| net.penalty(t)).sum();

    let mut vars = ProblemVariables::new();
    // Each arc's variable and its column (creation order, which is also the backends' column order).
    let mut x: Vec<Option<usize>> = vec![None; net.arcs()];
    let mut columns = 0usize;
    let mut objective = Expression::with_capacity(reduced.usable);
    let mut rows = Vec::new();
    let mut warm: Vec<(Variable, f64)> = Vec::new();
    let mut eng_sum: Vec<Expression> = vec![Expression::default(); m];
    let mut eng_minutes: Vec<Expression> = vec![Expression::default(); m];
    let mut eng_arcs = vec![0usize; m];
    let mut eng_total_minutes = vec![0u64; m];
    for t in 0..n {
        let mut row = Expression::default();
        let mut used = 0;
        for a in net.arc_range(t) {
            if !reduced.fits[a] {
                continue;
            }
            let e = net.arc_engineer()[a];
            let v = vars.add(variable().binary());
            x[a] = Some(columns);
            columns += 1;
            objective.add_mul((net.arc_cost()[a] - net.penalty(t)) as f64, v);
            row.add_mul(1.0, v);
            let ei = e as usize;
            eng_sum[ei].add_mul(1.0, v);
            eng_minutes[ei].add_mul(model.minutes[a] as f64, v);
            eng_arcs[ei] += 1;
            eng_total_minutes[ei] += model.minutes[a];
            warm.push((
                v,
                if start.assignment[t] == Some(e) {
                    1.0
                } else {
                    0.0
                },
            ));
            used += 1;
        }
        if used > 1 {
            rows.push(row.leq(1.0));
        }
    }
    if vars.is_empty() {
        return Ok(None);
    }
    let mut start_count = vec![0usize; m];
    for e in start.assignment.iter().flatten() {
        start_count[*e as usize] += 1;
    }
    for e in 0..m {
        if eng_arcs[e] == 0 {
            continue;
        }
        let capacity = net.capacity(e) as usize;
        match net.load_costs() {
            Some(load) => {
                let mut slots = Expression::default();
                for (k, &cost) in load[e][..capacity.min(eng_arcs[e])].iter().enumerate() {
                    let y = vars.add(variable().min(0).max(1));
                    objective.add_mul(cost as f64, y);
                    slots.add_mul(1.0, y);
                    warm.push((y, if k < start_count[e] { 1.0 } else { 0.0 }));
                }
                rows.push(slots.eq(eng_sum[e].clone()));
            }
            None if eng_arcs[e] > capacity => rows.push(eng_sum[e].clone().leq(capacity as f64)),
            None => {}
        }
        if let Some(b) = model.budget[e] {
            if eng_total_minutes[e] > b {
                rows.push(eng_minutes[e].clone().leq(b as f64));
            }
        }
    }
    for l in &model.limits {
        let mut expr = Expression::default();
        let mut total = 0u64;
        for &e in &l.engineers {
            let e = e as usize;
            match l.measure {
                Measure::Tickets => {
                    expr += eng_sum[e].clone();
                    total += eng_arcs[e] as u64;
                }
                Measure::Minutes => {
                    expr += eng_minutes[e].clone();
                    total += eng_total_minutes[e];
                }
            }
        }
        if total > l.max {
            rows.push(expr.leq(l.max as f64));
        }
    }

    let secs = time_limit.as_secs_f64();
    // Costs are integers, so an incumbent less than one unit above the bound is optimal. microlp
    // measures its gap relative to its own incumbent (without the penalty constant), which moves as
    // the incumbent improves: half a unit relative to the warm start keeps a margin below one.
    let allowed = (rel_gap * start.objective.abs() as f64).max(0.5);
    let internal = (start.objective - penalty_total).abs().max(1) as f64;
    let microlp_gap = allowed / internal;
    let outcome = match backend {
        MipBackend::Microlp => run_microlp(vars, objective.clone(), rows, warm, secs, microlp_gap)?,
        MipBackend::Highs => run_highs(vars, objective.clone(), rows, &warm, secs, rel_gap)?,
    };
    let Some((values, bound)) = outcome else {
        return Ok(None);
    };

    let mut assignment = vec![None; n];
    for (t, slot) in assignment.iter_mut().enumerate() {
        for a in net.arc_range(t) {
            if let Some(col) = x[a] {
                if values[col] > 0.5 {
                    *slot = Some(net.arc_engineer()[a]);
                }
            }
        }
    }
    let objective = model.evaluate(&assignment).map_err(|e| {
        lp_error(format!(
            "the backend's assignment is not feasible for the model: {e}"
        ))
    })?;
    Ok(Some(Found {
        assignment,
        objective,
        bound: bound.map_or(i64::MIN, |b| integer_bound(b + penalty_total as f64)),
    }))
}

/// Values of every variable in creation order and the proven bound (without the constant), or `None`
/// when the time ran out before a solution.
type BackendOutcome = Option<(Vec<f64>, Option<f64>)>;

fn run_microlp(
    vars: ProblemVariables,
    objective: Expression,
    rows: Vec<good_lp::Constraint>,
    warm: Vec<(Variable, f64)>,
    secs: f64,
    rel_gap: f64,
) -> Result<BackendOutcome, Error> {
    use good_lp::{WithInitialSolution, WithMipGap, WithTimeLimit};
    let all: Vec<Variable> = vars.iter_variables_with_def().map(|(v, _)| v).collect();
    let mut problem = vars
        .minimise(objective)
        .using(good_lp::microlp)
        .with_all(rows)
        .with_time_limit(secs)
        .with_initial_solution(warm);
    if rel_gap > 0.0 {
        problem = problem
            .with_mip_gap(rel_gap as f32)
            .map_err(|e| lp_error(e.to_string()))?;
    }
    match problem.solve() {
        Ok(sol) => {
            let values = all.iter().map(|&v| sol.value(v)).collect();
            let stats = sol.into_inner().stats();
            Ok(Some((values, stats.best_bound)))
        }
        // Out of time before any solution (the warm start was not accepted): nothing to add.
        Err(ResolutionError::Other(s)) if s.starts_with("Time limit") => Ok(None),
        Err(e) => Err(lp_error(backend_message(e))),
    }
}

#[cfg(feature = "highs")]
fn run_highs(
    vars: ProblemVariables,
    objective: Expression,
    rows: Vec<good_lp::Constraint>,
    warm: &[(Variable, f64)],
    secs: f64,
    rel_gap: f64,
) -> Result<BackendOutcome, Error> {
    use highs::{HighsModelStatus, HighsSolutionStatus};
    let columns = vars.len();
    let problem = vars
        .minimise(objective)
        .using(good_lp::solvers::highs::highs)
        .with_all(rows);
    let mut model = problem
        .try_into_inner()
        .map_err(|e| lp_error(backend_message(e)))?;
    model.make_quiet();
    model.set_option("time_limit", secs);
    model.set_option("mip_rel_gap", rel_gap);
    // Costs are integers: a solution less than one unit above the bound is optimal.
    model.set_option("mip_abs_gap", 1.0 - 1e-6);
    // The warm start lists every variable in creation order, which is HiGHS's column order.
    let start: Vec<f64> = warm.iter().map(|w| w.1).collect();
    debug_assert_eq!(start.len(), columns);
    let _ = model.try_set_solution(Some(&start), None, None, None);
    let solved = model
        .try_solve()
        .map_err(|e| lp_error(format!("highs: {e:?}")))?;
    match solved.status() {
        HighsModelStatus::Optimal
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget
        | HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedSolutionLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedMemoryLimit => {}
        other => return Err(lp_error(format!("highs stopped with status {other:?}"))),
    }
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite());
    if solved.primal_solution_status() != HighsSolutionStatus::Feasible {
        return Ok(None);
    }
    let values = solved.get_solution().columns().to_vec();
    Ok(Some((values, bound)))
}

#[cfg(not(feature = "highs"))]
fn run_highs(
    vars: ProblemVariables,
    objective: Expression,
    rows: Vec<good_lp::Constraint>,
    warm: &[(Variable, f64)],
    secs: f64,
    rel_gap: f64,
) -> Result<BackendOutcome, Error> {
    // `MipBackend::effective` never selects HiGHS without the feature.
    let _ = (vars, objective, rows, warm, secs, rel_gap);
    Err(lp_error(
        "this build has no highs backend (the `highs` feature is off)".to_string(),
    ))
}

fn lp_error(message: String) -> Error {
    ErrorKind::LpSolver { message }.into()
}

fn backend_message(e: ResolutionError) -> String {
    match e {
        ResolutionError::Unbounded => "the model is unbounded".to_string(),
        ResolutionError::Infeasible => "the model is infeasible".to_string(),
        ResolutionError::Other(s) => s.to_string(),
        ResolutionError::Str(s) => s,
    }
}
