//! The dispatcher: one run from tickets to a plan, and real-time ranking for one ticket.

use std::sync::Mutex;

use web_time::Instant;

use chrono::{DateTime, Utc};
#[cfg(feature = "parallel")]
use rayon::prelude::*;

use super::candidates::{
    Constraint, CostBreakdown, Ranking, Screener, Screening, UNITS_PER_POINT, merge_set_aside,
    units,
};
use super::config::{Config, SolverKind};
use super::mip::{self, LimitScope, Measure, MipModel, MipOptions, MipSolution, SideLimit, Usage};
use super::plan::{Assignment, Plan, PlanStats, Reason, StageTimings, Unassigned};
use super::{MAX_COST, Network, NetworkSolution, flow, greedy, lp};
use crate::error::{Error, ErrorKind};
use crate::fleet::Fleet;
use crate::geo::{Keep, Neighbor, distance_km, morton_order};
use crate::model::{LatLon, Priority, Ticket, validate_tickets};
use crate::rules::{LimitMeasure, Policy, ScreenScratch};

/// Per-pair adjustments that the time planner ([`sla`](crate::sla)) gives a run: pairs it keeps apart
/// (counted as [`Constraint::Time`](super::Constraint::Time)) and extra points on the others.
/// `t` is the ticket's position in the run, `e` the engineer's position in the fleet.
pub(crate) trait PairHook: Sync {
    /// Whether ticket `t` may go to engineer `e`.
    fn allowed(&self, t: usize, e: u32) -> bool;
    /// Extra points for giving ticket `t` to engineer `e`.
    fn extra(&self, t: usize, e: u32) -> f64;
}

/// Decides which engineer takes which ticket, by a routing [`Policy`]. Immutable and `Send + Sync`:
/// one dispatcher serves any number of runs, from any number of threads.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    config: Config,
    policy: Policy,
}

impl Default for Dispatcher {
    fn default() -> Dispatcher {
        Dispatcher::new(Config::default())
    }
}

/// The candidates of one ticket in a run.
#[derive(Debug, Clone)]
struct TicketCandidates {
    /// Eligible engineers, nearest first.
    eligible: Vec<Neighbor>,
    /// Integer arc cost of each, same order.
    cost: Vec<i64>,
    screening: Screening,
    /// Priority after the policy's triage.
    priority: Priority,
}

/// The candidate stage's output for a whole run: the sparse assignment model and what it came from.
///
/// Returned by [`Dispatcher::candidate_set`] so hosts (and benchmarks) can inspect or export the
/// model; [`Dispatcher::plan`] builds one internally.
#[derive(Debug, Clone)]
pub struct CandidateSet {
    /// Each ticket's candidates, in the order they were screened (see `build_candidates`): they
    /// are freed in the order they were made, which in the tickets' order took twice as long.
    per_ticket: Vec<TicketCandidates>,
    /// Where each ticket's candidates are in `per_ticket`, by ticket.
    at: Vec<u32>,
    network: Network,
    penalties: [i64; 4],
    /// Extra cost of engineer e's k-th ticket in this run, in units (empty without load balancing).
    load_marginal: Vec<Vec<i64>>,
}

impl CandidateSet {
    /// The sparse assignment model (tickets in input order, engineers in fleet order).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Number of candidate (ticket, engineer) pairs.
    pub fn len(&self) -> usize {
        self.network.arcs()
    }

    /// Whether there is no candidate pair at all.
    pub fn is_empty(&self) -> bool {
        self.network.arcs() == 0
    }

    /// The unassignment penalty of P1..P4 tickets in thousandths of a point.
    pub fn penalties(&self) -> [i64; 4] {
        self.penalties
    }

    /// The candidates of ticket `t`.
    fn of(&self, t: usize) -> &TicketCandidates {
        &self.per_ticket[self.at[t] as usize]
    }
}

/// What each engineer took in a run: how many tickets, and the most urgent priority among them.
struct Taken<'a> {
    count: &'a [u32],
    best: &'a [Option<Priority>],
    /// With the general model: the model and what the plan uses of hours and limits.
    general: Option<(&'a MipModel, &'a Usage)>,
}

/// Unassignment penalties that make priority lexicographic.
///
/// With `G` = one more than the largest arc cost plus load cost, P4 costs `G` (so a ticket with a free
/// candidate is always assigned), and each level above costs `4G` more. A direct swap — leaving a
/// higher-priority ticket out to serve a lower one at the same engineer — changes arc costs by less
/// than `G`, so it never pays; the factor 4 extends that to chains of up to four re-assignments.
/// Pinned tickets rank above P1.
///
/// # Errors
/// [`ErrorKind::CostOverflow`] when the pinned penalty would exceed [`MAX_COST`] (weights so large
/// that costs cannot be represented exactly).
fn penalties(max_arc: i64, max_load: i64) -> Result<([i64; 4], i64), Error> {
    let g = max_arc
        .max(0)
        .saturating_add(max_load.max(0))
        .saturating_add(1);
    let pinned = g.saturating_mul(17);
    if pinned > MAX_COST {
        let points = g.max(max_arc) as f64 / UNITS_PER_POINT;
        return Err(ErrorKind::CostOverflow { points }.into());
    }
    let level = |k: i64| g * (1 + 4 * k);
    Ok(([level(3), level(2), level(1), level(0)], pinned))
}

impl Dispatcher {
    /// A dispatcher with these settings and the default policy written from them
    /// ([`Config::default_policy`]).
    pub fn new(config: Config) -> Dispatcher {
        let policy = config.default_policy();
        Dispatcher { config, policy }
    }

    /// A dispatcher that runs `policy`. The policy decides reach, rules and costs; the settings
    /// still give the candidate list size, load balancing and the solver.
    pub fn with_policy(config: Config, policy: Policy) -> Dispatcher {
        Dispatcher { config, policy }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The routing policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Finds and costs every ticket's candidates and builds the assignment model: stages 1–2 of a run.
    /// Parallel over tickets with the `parallel` feature; the result does not depend on the thread
    /// count. Tickets are screened in Morton order of their positions (neighbouring tickets read
    /// the same engineers, still in cache); the set is in the tickets' order. `O(n · (log m + k))`
    /// for `n` tickets, `m` engineers and `k` engineers examined per ticket.
    ///
    /// # Errors
    /// An invalid configuration value, or the first invalid ticket (empty or duplicate id, bad
    /// coordinates, minimum level above 5, unknown engineer referenced, a declared attribute
    /// missing or mistyped).
    pub fn candidate_set(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
    ) -> Result<CandidateSet, Error> {
        self.config.validate()?;
        self.config.check_run_size(fleet.len(), tickets.len())?;
        validate_tickets(tickets, |id| fleet.get(id).is_some())?;
        let screener = Screener::new(fleet, &self.policy, &self.config, now, tickets.len())?;
        self.build_candidates(&screener, fleet, tickets, None)
    }

    fn build_candidates(
        &self,
        screener: &Screener<'_>,
        fleet: &Fleet,
        tickets: &[Ticket],
        hook: Option<&dyn PairHook>,
    ) -> Result<CandidateSet, Error> {
        let config = &self.config;
        let policy = &self.policy;
        // Costs are shifted by the policy's floor so that no arc is negative; every assignment
        // shifts by the same amount.
        let floor = policy.cost_floor();
        let one = |scratch: &mut ScreenScratch, (t, ticket): (usize, &Ticket)| {
            let allowed = |e: u32| hook.is_none_or(|h| h.allowed(t, e));
            let allowed: &(dyn Fn(u32) -> bool + Sync) = &allowed;
            let s = screener.screen(
                ticket,
                config.max_candidates,
                scratch,
                hook.map(|_| allowed),
                None,
            )?;
            let cost = s
                .eligible
                .iter()
                .zip(&s.cost)
                .map(|(n, &c)| {
                    let extra = hook.map_or(0.0, |h| h.extra(t, n.index));
                    units(c - floor + extra)
                })
                .collect();
            Ok(TicketCandidates {
                eligible: s.eligible,
                cost,
                screening: s.screening,
                priority: s.priority,
            })
        };
        // Tickets are screened in Morton order of their positions: consecutive tickets then walk
        // the same part of the grid and read the same engineers, still in cache (12–15 % less
        // time on the generated city L than in the tickets' own order). The candidates stay in
        // that order, with each ticket's place in `at`; the error reported is the first bad
        // ticket's in the input.
        let positions: Vec<LatLon> = tickets.iter().map(|t| t.location).collect();
        let order = morton_order(&positions);
        let screen = |scratch: &mut ScreenScratch, &i: &u32| {
            one(scratch, (i as usize, &tickets[i as usize]))
        };
        #[cfg(feature = "parallel")]
        let screened: Vec<Result<TicketCandidates, Error>> = order
            .par_iter()
            .map_init(ScreenScratch::default, screen)
            .collect();
        #[cfg(not(feature = "parallel"))]
        let screened: Vec<Result<TicketCandidates, Error>> = {
            let mut scratch = ScreenScratch::default();
            order.iter().map(|i| screen(&mut scratch, i)).collect()
        };
        if let Some((_, e)) = (order.iter().zip(&screened))
            .filter_map(|(&t, r)| r.as_ref().err().map(|e| (t, e)))
            .min_by_key(|&(t, _)| t)
        {
            return Err(e.clone());
        }
        let per_ticket: Vec<TicketCandidates> = screened.into_iter().flatten().collect();
        let mut at = vec![0u32; tickets.len()];
        for (k, &t) in (0u32..).zip(&order) {
            at[t as usize] = k;
        }
        let room = |e: usize| screener.room_of(e as u32);

        let load_marginal: Vec<Vec<i64>> = match config.load_balancing_per_ticket {
            None => Vec::new(),
            Some(w) => fleet
                .engineers()
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let open = f64::from(e.open_tickets.max(0));
                    (0..room(i))
                        .map(|k| units(w * (open + f64::from(k))))
                        .collect()
                })
                .collect(),
        };
        let max_arc = per_ticket
            .iter()
            .flat_map(|c| c.cost.iter().copied())
            .max()
            .unwrap_or(0);
        let max_load = load_marginal
            .iter()
            .filter_map(|m| m.last().copied())
            .max()
            .unwrap_or(0);
        let (levels, pinned) = penalties(max_arc, max_load)?;

        // Each ticket's arcs `(ticket, engineer, cost)`, cheapest first (ties by engineer), written
        // into its own slice of the list: on every thread, as each ticket's sort is independent.
        type TicketArc = (u32, u32, i64);
        let mut arcs: Vec<TicketArc> =
            vec![(0, 0, 0); per_ticket.iter().map(|c| c.eligible.len()).sum()];
        // The slices in the tickets' order, then handed out in the order of `per_ticket`.
        let mut slices: Vec<&mut [TicketArc]> = Vec::with_capacity(per_ticket.len());
        let mut rest = arcs.as_mut_slice();
        for &k in &at {
            let (head, tail) = rest.split_at_mut(per_ticket[k as usize].eligible.len());
            slices.push(head);
            rest = tail;
        }
        let jobs: Vec<(u32, &mut [TicketArc], &TicketCandidates)> = (order.iter().zip(&per_ticket))
            .map(|(&t, c)| (t, std::mem::take(&mut slices[t as usize]), c))
            .collect();
        let fill = |(t, slice, c): (u32, &mut [TicketArc], &TicketCandidates)| {
            for (a, (n, &cost)) in slice.iter_mut().zip(c.eligible.iter().zip(&c.cost)) {
                *a = (t, n.index, cost);
            }
            slice.sort_unstable_by_key(|a| (a.2, a.1));
        };
        #[cfg(feature = "parallel")]
        jobs.into_par_iter().for_each(fill);
        #[cfg(not(feature = "parallel"))]
        jobs.into_iter().for_each(fill);
        let capacity = (0..fleet.len()).map(room).collect();
        let penalty = tickets
            .iter()
            .zip(&at)
            .map(|(t, &k)| {
                if t.pinned_engineer.is_some() {
                    pinned
                } else {
                    levels[per_ticket[k as usize].priority.index()]
                }
            })
            .collect();
        // Arcs name real tickets and engineers, and every cost is below the pinned penalty, which
        // `penalties` checked against MAX_COST; load costs are non-decreasing in k.
        let mut network = Network::new(capacity, penalty, arcs)?;
        if !load_marginal.is_empty() {
            network = network.with_load_costs(load_marginal.clone())?;
        }
        Ok(CandidateSet {
            per_ticket,
            at,
            network,
            penalties: levels,
            load_marginal,
        })
    }

    /// Plans a batch: every ticket comes back assigned (with its cost breakdown) or unassigned with
    /// the reason. Deterministic: the same input gives the same plan, whatever the thread count.
    ///
    /// Cost: candidate generation `O(n · (log m + k))`, then the solver (see
    /// [`flow`](super::flow) for the default).
    ///
    /// # Errors
    /// An invalid configuration value or ticket (see [`Dispatcher::candidate_set`]). A ticket that
    /// cannot be placed is not an error: it is in [`Plan::unassigned`].
    ///
    /// # Examples
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dispatchkit::{Config, Dispatcher, Engineer, Fleet, LatLon, Priority, Ticket};
    /// let now = Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap();
    /// let fleet = Fleet::new(vec![
    ///     Engineer::new("ana", LatLon::new(42.36, -71.06), 1).with_skill("network", 4),
    ///     Engineer::new("ben", LatLon::new(42.30, -71.10), 1).with_skill("network", 2),
    /// ])?;
    /// let tickets = vec![
    ///     Ticket::new("T-1", LatLon::new(42.35, -71.05), "network", now).with_min_level(3),
    ///     Ticket::new("T-2", LatLon::new(42.31, -71.09), "network", now).with_priority(Priority::P1),
    /// ];
    /// let plan = Dispatcher::new(Config::default()).plan(&fleet, &tickets, now)?;
    /// assert_eq!(plan.assignments().len(), 2);
    /// assert_eq!(plan.assignment_of(&"T-1".into()).unwrap().engineer.as_str(), "ana");
    /// # Ok::<(), dispatchkit::Error>(())
    /// ```
    pub fn plan(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
    ) -> Result<Plan, Error> {
        self.plan_with(fleet, tickets, now, None)
    }

    /// [`Dispatcher::plan`] with per-pair adjustments from the time planner.
    pub(crate) fn plan_with(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        hook: Option<&dyn PairHook>,
    ) -> Result<Plan, Error> {
        let clock = Instant::now();
        self.config.validate()?;
        self.config.check_run_size(fleet.len(), tickets.len())?;
        validate_tickets(tickets, |id| fleet.get(id).is_some())?;
        let mut timings = StageTimings {
            validate: clock.elapsed(),
            ..StageTimings::default()
        };

        let clock = Instant::now();
        // The policy prepared over the fleet once, for the candidates, the limits and the reasons.
        let screener = Screener::new(fleet, &self.policy, &self.config, now, tickets.len())?;
        let set = self.build_candidates(&screener, fleet, tickets, hook)?;
        timings.candidates = clock.elapsed();

        let clock = Instant::now();
        let general = self.general_model(&screener, fleet, tickets, &set, now)?;
        let (solution, solver, fallback, mip_solution) = match &general {
            Some(model) => {
                let sol = mip::solve(model, &self.mip_options())?;
                let network_solution = NetworkSolution {
                    assignment: sol.assignment.clone(),
                    objective: sol.objective,
                };
                let note = sol.note.clone();
                (network_solution, SolverKind::Mip, note, Some(sol))
            }
            None => {
                let (solution, solver, fallback) = self.solve(&set.network);
                (solution, solver, fallback, None)
            }
        };
        timings.solve = clock.elapsed();

        let clock = Instant::now();
        let usage = general
            .as_ref()
            .map(|m| Usage::new(m, &solution.assignment));
        let general_view = general.as_ref().zip(usage.as_ref());
        let (assignments, unassigned) = self.assemble(
            &screener,
            fleet,
            tickets,
            &set,
            &solution,
            hook,
            general_view,
        )?;
        let mut screening = Screening::default();
        // In the tickets' order (a rule first met earlier is listed first).
        for t in 0..tickets.len() {
            screening.add(&set.of(t).screening);
        }
        timings.assemble = clock.elapsed();

        let stats = PlanStats {
            policy: self.policy.name().to_string(),
            policy_version: self.policy.version(),
            solver,
            fallback,
            objective: solution.objective,
            tickets: tickets.len(),
            engineers: fleet.len(),
            candidates: set.network.arcs(),
            screening,
            penalties: set.penalties,
            bound: mip_solution.as_ref().map(|s| s.bound),
            gap: mip_solution.as_ref().map(MipSolution::gap),
            mip_method: mip_solution.as_ref().map(|s| s.method),
            timings,
        };
        Ok(Plan {
            assignments,
            unassigned,
            stats,
        })
    }

    /// Runs the configured solver; an LP backend failure falls back to the flow solver (which cannot
    /// fail) and says so.
    fn solve(&self, net: &Network) -> (NetworkSolution, SolverKind, Option<String>) {
        match self.config.solver {
            SolverKind::Flow => (flow::solve(net), SolverKind::Flow, None),
            SolverKind::Greedy => (greedy::solve(net), SolverKind::Greedy, None),
            // `plan` sends every run to the general model when `Mip` is asked for.
            SolverKind::Mip => (flow::solve(net), SolverKind::Flow, None),
            SolverKind::Lp => lp_or_flow(net, lp::solve(net)),
        }
    }

    /// The MIP settings of the configuration.
    fn mip_options(&self) -> MipOptions {
        MipOptions {
            time_limit: std::time::Duration::from_secs_f64(self.config.mip_time_limit_s),
            rel_gap: self.config.mip_rel_gap,
            backend: self.config.mip_backend,
            exact_max_arcs: self.config.mip_exact_max_arcs,
            ..MipOptions::default()
        }
    }

    /// The general model of a run, or `None` when it is a pure network (no hour budget or limit can
    /// bind), which the network solvers answer exactly; always the model when [`SolverKind::Mip`] is
    /// configured.
    ///
    /// An engineer's budget is `available_min`, and with [`Config::shift_hours`] at most the minutes
    /// left in its shift at `now`. Each ticket takes its `duration_min` at any engineer.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLimit`] for a limit naming a team or engineer the fleet does not have.
    fn general_model(
        &self,
        screener: &Screener<'_>,
        fleet: &Fleet,
        tickets: &[Ticket],
        set: &CandidateSet,
        now: DateTime<Utc>,
    ) -> Result<Option<MipModel>, Error> {
        let engineers = fleet.engineers();
        // The policy's hour limits per engineer and its team limits join the configured ones.
        let eval = screener.evaluator();
        let policy_minutes: Vec<Option<u64>> = (0..engineers.len())
            .map(|i| eval.minutes_room(i).map(|m| m.floor().min(1e15) as u64))
            .collect();
        let budget: Vec<Option<u64>> = engineers
            .iter()
            .zip(policy_minutes)
            .map(|(e, policy)| {
                let own = e.available_min.map(|m| u64::try_from(m).unwrap_or(0));
                let own = match (own, policy) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let shift = e
                    .shift
                    .filter(|_| self.config.shift_hours)
                    .map(|s| u64::try_from((s.end - now.max(s.start)).num_minutes()).unwrap_or(0));
                match (own, shift) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            })
            .collect();
        let mut limits = Vec::with_capacity(self.config.limits.len());
        for (index, limit) in self.config.limits.iter().enumerate() {
            let members: Vec<u32> = match &limit.scope {
                LimitScope::Team(team) => engineers
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.team.as_deref() == Some(team.as_str()))
                    .map(|(i, _)| i as u32)
                    .collect(),
                LimitScope::Engineer(id) => engineers
                    .iter()
                    .position(|e| &e.id == id)
                    .map(|i| vec![i as u32])
                    .unwrap_or_default(),
            };
            if members.is_empty() {
                let message = match &limit.scope {
                    LimitScope::Team(team) => {
                        format!("no engineer of the fleet is in team `{team}`")
                    }
                    LimitScope::Engineer(id) => format!("engineer `{id}` is not in the fleet"),
                };
                return Err(ErrorKind::InvalidLimit { index, message }.into());
            }
            limits.push(SideLimit {
                engineers: members,
                measure: limit.measure,
                max: limit.max,
            });
        }
        for (team, measure, max) in self.policy.team_limits() {
            let members: Vec<u32> = engineers
                .iter()
                .enumerate()
                .filter(|(_, e)| e.team.as_deref() == Some(team.as_str()))
                .map(|(i, _)| i as u32)
                .collect();
            // A team with no engineer in this fleet has nothing to limit.
            if !members.is_empty() {
                limits.push(SideLimit {
                    engineers: members,
                    measure: match measure {
                        LimitMeasure::Tickets => Measure::Tickets,
                        LimitMeasure::Hours => Measure::Minutes,
                    },
                    max,
                });
            }
        }
        let asked = self.config.solver == SolverKind::Mip;
        if !asked && budget.iter().all(Option::is_none) && limits.is_empty() {
            return Ok(None);
        }
        let model = MipModel::new(
            set.network.clone(),
            |t, _| u64::from(tickets[t].duration_min),
            budget,
        )?
        .with_limits(limits)?;
        Ok((asked || !model.is_network()).then_some(model))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        &self,
        screener: &Screener<'_>,
        fleet: &Fleet,
        tickets: &[Ticket],
        set: &CandidateSet,
        solution: &NetworkSolution,
        hook: Option<&dyn PairHook>,
        general: Option<(&MipModel, &Usage)>,
    ) -> Result<(Vec<Assignment>, Vec<Unassigned>), Error> {
        let engineers = fleet.engineers();
        let mut load = vec![0u32; engineers.len()];
        // The most urgent priority each engineer took in this run, for the reasons below.
        let mut best_taken: Vec<Option<Priority>> = vec![None; engineers.len()];
        let mut taken = vec![0u32; engineers.len()];
        for (t, e) in solution.assignment.iter().enumerate() {
            if let Some(e) = *e {
                taken[e as usize] += 1;
                let p = set.of(t).priority;
                let slot = &mut best_taken[e as usize];
                *slot = Some(slot.map_or(p, |q| q.min(p)));
            }
        }
        // Each assigned pair's cost by rule: the policy's scores again for that one pair, the
        // costly part of assembling, independent per ticket (so on every thread). Collected whole
        // and read in ticket order, so that an error is always the first ticket's.
        let breakdown = |(t, ticket): (usize, &Ticket)| -> Option<Result<CostBreakdown, Error>> {
            let e = solution.assignment[t]?;
            let n = set.of(t).eligible.iter().find(|n| n.index == e)?;
            Some(screener.breakdown(ticket, e, n.distance_km))
        };
        #[cfg(feature = "parallel")]
        let breakdowns: Vec<_> = tickets.par_iter().enumerate().map(breakdown).collect();
        #[cfg(not(feature = "parallel"))]
        let breakdowns: Vec<_> = tickets.iter().enumerate().map(breakdown).collect();
        let mut assignments = Vec::with_capacity(solution.assigned());
        let mut unassigned = Vec::new();
        for ((t, ticket), breakdown) in tickets.iter().enumerate().zip(breakdowns) {
            let cand = set.of(t);
            match solution.assignment[t] {
                Some(e) => {
                    let rank = cand
                        .eligible
                        .iter()
                        .position(|n| n.index == e)
                        .expect("assigned to a candidate");
                    let distance_km = cand.eligible[rank].distance_km;
                    let engineer = &engineers[e as usize];
                    let k = load[e as usize] as usize;
                    load[e as usize] += 1;
                    let balance = set.load_marginal.get(e as usize).map_or(0, |m| m[k]);
                    let extra = hook.map_or(0.0, |h| h.extra(t, e));
                    let cost = breakdown
                        .expect("an assigned ticket has its breakdown")?
                        .with_adjustment(extra)
                        .with_load_balance(balance as f64 / UNITS_PER_POINT);
                    assignments.push(Assignment {
                        ticket: ticket.id.clone(),
                        engineer: engineer.id.clone(),
                        priority: cand.priority,
                        distance_km,
                        cost,
                        candidate_rank: rank as u32,
                    });
                }
                None => {
                    let taken = Taken {
                        count: &taken,
                        best: &best_taken,
                        general,
                    };
                    let reason = self.reason(fleet, ticket, cand, &set.network, &taken, t);
                    unassigned.push(Unassigned {
                        ticket: ticket.id.clone(),
                        priority: cand.priority,
                        reason,
                    });
                }
            }
        }
        Ok((assignments, unassigned))
    }

    /// Why ticket `t` was left out, from what the run did.
    fn reason(
        &self,
        fleet: &Fleet,
        ticket: &Ticket,
        cand: &TicketCandidates,
        net: &Network,
        taken: &Taken<'_>,
        t: usize,
    ) -> Reason {
        if cand.eligible.is_empty() {
            return match cand.screening.last_rule() {
                Some("reach") | None => Reason::NoEngineerInReach {
                    max_travel_km: self.policy.reach_km().unwrap_or(f64::INFINITY),
                    nearest_km: fleet
                        .index()
                        .nearest(ticket.location, 1)
                        .first()
                        .map(|n| n.distance_km),
                },
                Some(rule) => Reason::NoEligibleEngineer {
                    constraint: Constraint::from_rule(rule).unwrap_or(Constraint::Rule),
                    rule: rule.to_string(),
                    screening: cand.screening.clone(),
                },
            };
        }
        if let Some((model, _)) = taken.general {
            if cand.eligible.iter().all(|n| !model.fits(t, n.index)) {
                let most_available_min = cand
                    .eligible
                    .iter()
                    .map(|n| model.budget(n.index as usize).unwrap_or(u64::MAX))
                    .max()
                    .unwrap_or(0);
                return Reason::NotEnoughHours {
                    duration_min: ticket.duration_min,
                    most_available_min,
                };
            }
        }
        let full = |e: u32| match taken.general {
            Some((model, usage)) => !usage.room(model, t, e),
            None => taken.count[e as usize] >= net.capacity(e as usize),
        };
        if cand.eligible.iter().all(|n| full(n.index)) {
            let took_higher_priority = cand
                .eligible
                .iter()
                .filter(|n| taken.best[n.index as usize].is_some_and(|p| p < cand.priority))
                .count() as u32;
            Reason::CandidatesFull {
                candidates: cand.eligible.len() as u32,
                took_higher_priority,
            }
        } else {
            let cheapest = cand.cost.iter().copied().min().unwrap_or(0);
            Reason::NotWorthAssigning {
                cheapest_cost: cheapest as f64 / UNITS_PER_POINT,
                penalty: net.penalty(t) as f64 / UNITS_PER_POINT,
            }
        }
    }

    /// Ranks the eligible engineers for one ticket — the [`Config::max_candidates`] nearest, as in a
    /// run — cheapest first, with the cost breakdown, and lists the nearby engineers examined on the
    /// way that are not eligible, with the constraint they fail. For real-time
    /// routing: looks only at the engineers near the ticket (no per-run mask), `O(log m + k)`.
    ///
    /// # Errors
    /// The ticket is invalid (see [`Dispatcher::candidate_set`]) or the configuration is.
    pub fn candidates(
        &self,
        fleet: &Fleet,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<Ranking, Error> {
        self.config.validate()?;
        self.config.check_run_size(fleet.len(), 1)?;
        validate_tickets(std::slice::from_ref(ticket), |id| fleet.get(id).is_some())?;
        // Only the engineers near the ticket are prepared, no per-run work: the nearest `want`
        // (and any tied with the last of them), twice as many while too few are eligible.
        let cap = self.config.max_candidates;
        let reach = self.policy.reach_km().unwrap_or(f64::INFINITY);
        let engineers = fleet.engineers();
        let mut near: Vec<Neighbor> = match &ticket.pinned_engineer {
            Some(p) => (fleet.position(p).into_iter())
                .map(|index| Neighbor {
                    index,
                    distance_km: distance_km(ticket.location, engineers[index as usize].location),
                })
                .collect(),
            None => Vec::new(),
        };
        let mut want = (4 * cap).max(64);
        // The policy's skill gate (as in a prepared fleet): an engineer in reach without the
        // ticket's level fails the gate's rule first, so it is set aside unprepared and listed
        // against that rule; `want` counts the engineers prepared.
        let gate = match (&ticket.pinned_engineer, self.policy.skill_gate()) {
            (None, Some(rule)) => self
                .policy
                .skill_gate_of(ticket, now)?
                .map(|(category, min)| (rule, category, min)),
            _ => None,
        };
        if gate.is_some() {
            // Most engineers that pass the gate are eligible (the rest are off shift, full or
            // short of time), so fewer are prepared at first: half again as many as wanted.
            // (Preparing is most of a one-shot ranking's cost, and a second round prepares
            // twice as many from scratch; on the generated cities 1.5x costs least among
            // 1.25x, 1.375x, 1.5x, 1.75x and 2x.)
            want = (3 * cap / 2).max(24);
        }
        // The gate's skill by number: its levels as the fleet's byte column (or a lookup in each
        // engineer's numbered skills), read per engineer walked rather than by name.
        let skills = fleet.skills();
        let skill = (gate.as_ref())
            .map(|(_, category, min)| (category.as_deref().and_then(|c| skills.id(c)), *min));
        let passes = |e: u32| skill.is_none_or(|(id, min)| f64::from(skills.level(e, id)) >= min);
        // The walk sets aside the engineers the gate rejects (listed below, as far as examined).
        let (hint, keep) = match skill {
            Some((id, min)) => (
                (7 * cap).max(32),
                Some(
                    (skills.levels(id))
                        .map_or(Keep::Fn(&passes), |levels| Keep::Levels(levels, min)),
                ),
            ),
            None => ((4 * cap).max(64), None),
        };
        let mut nearest = fleet
            .index()
            .nearest_iter_filtered(ticket.location, reach, hint, keep);
        // A ticket with a pinned engineer screens that engineer only: no walk.
        let mut next = match ticket.pinned_engineer {
            None => nearest.next(),
            Some(_) => None,
        };
        let mut scratch = ScreenScratch::default();
        let (screener, screened, mut rejected, everyone) = loop {
            let mut everyone = ticket.pinned_engineer.is_some();
            if !everyone {
                let mut last = f64::NAN;
                while near.len() < want || next.is_some_and(|n| n.distance_km == last) {
                    let Some(n) = next else {
                        everyone = true;
                        break;
                    };
                    last = n.distance_km;
                    near.push(n);
                    next = nearest.next();
                }
            }
            let screener = Screener::subset(fleet, &self.policy, &self.config, now, &near)?;
            let mut rejected = Vec::new();
            let screened = screener.screen(ticket, cap, &mut scratch, None, Some(&mut rejected))?;
            if everyone || screened.eligible.len() >= cap {
                break (screener, screened, rejected, everyone);
            }
            want = want.saturating_mul(2);
        };
        if let Some((rule, ..)) = gate {
            // Set aside up to the distance examined: the last eligible engineer kept, or, with
            // fewer than `cap` eligible (then every engineer in reach was walked), all of them.
            let examined = match screened.eligible.get(cap.saturating_sub(1)) {
                Some(n) if screened.eligible.len() >= cap => n.distance_km,
                _ => {
                    debug_assert!(everyone);
                    reach
                }
            };
            let mut aside = Vec::new();
            nearest.excluded_within(examined, Some(&mut aside));
            merge_set_aside(&mut rejected, aside, rule);
        }
        screener.ranking(ticket, screened, rejected, &mut scratch)
    }

    /// Prepares the policy over the whole fleet at `now` (the engineer-only work, once) for many
    /// real-time rankings: [`Prepared::candidates`] gives the same answer as
    /// [`Dispatcher::candidates`] without preparing the engineers near each ticket again.
    ///
    /// # Errors
    /// The configuration is invalid, or an engineer's attribute does not fit the policy's
    /// declaration.
    pub fn prepare<'a>(
        &'a self,
        fleet: &'a Fleet,
        now: DateTime<Utc>,
    ) -> Result<Prepared<'a>, Error> {
        self.config.validate()?;
        let screener = Screener::new(fleet, &self.policy, &self.config, now, usize::MAX)?;
        Ok(Prepared {
            fleet,
            cap: self.config.max_candidates,
            screener,
            scratch: Mutex::new(Vec::new()),
        })
    }
}

/// The policy prepared over a whole fleet at one moment, for real-time rankings (see
/// [`Dispatcher::prepare`]). Prepare again when the fleet changes or time moves on.
pub struct Prepared<'a> {
    fleet: &'a Fleet,
    cap: usize,
    screener: Screener<'a>,
    /// The pair program's lanes, kept between rankings (one per thread ranking at once): a fresh
    /// one zeroes about 60 KB, a third of a ranking's instructions.
    scratch: Mutex<Vec<ScreenScratch>>,
}

impl Prepared<'_> {
    /// [`Dispatcher::candidates`] for one ticket, on the prepared fleet.
    ///
    /// # Errors
    /// The ticket is invalid (see [`Dispatcher::candidate_set`]).
    pub fn candidates(&self, ticket: &Ticket) -> Result<Ranking, Error> {
        validate_tickets(std::slice::from_ref(ticket), |id| {
            self.fleet.get(id).is_some()
        })?;
        // About 120 engineers are listed as rejected per ranking in the generated cities.
        let mut rejected = Vec::with_capacity(256);
        // A poisoned lock only means another ranking panicked; the scratch holds no state.
        let pooled = |s: &Mutex<Vec<ScreenScratch>>| match s.lock() {
            Ok(mut v) => v.pop(),
            Err(e) => e.into_inner().pop(),
        };
        let mut scratch = pooled(&self.scratch).unwrap_or_default();
        let ranking = self
            .screener
            .screen(ticket, self.cap, &mut scratch, None, Some(&mut rejected))
            .and_then(|screened| {
                self.screener
                    .ranking(ticket, screened, rejected, &mut scratch)
            });
        match self.scratch.lock() {
            Ok(mut v) => v.push(scratch),
            Err(e) => e.into_inner().push(scratch),
        }
        ranking
    }
}

/// The LP backend's answer, or, when it failed, the flow solver's (which cannot fail) with the
/// reason: a failing backend never loses a ticket.
fn lp_or_flow(
    net: &Network,
    lp: Result<NetworkSolution, Error>,
) -> (NetworkSolution, SolverKind, Option<String>) {
    match lp {
        Ok(s) => (s, SolverKind::Lp, None),
        Err(e) => (
            flow::solve(net),
            SolverKind::Flow,
            Some(format!("lp failed ({e}); used flow")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_lp_backend_falls_back_to_flow_and_says_so() {
        let net = Network::new(
            vec![1, 2],
            vec![50, 40, 30, 20],
            vec![(0, 0, 3), (1, 0, 1), (1, 1, 5), (2, 1, 2), (3, 1, 9)],
        )
        .unwrap();
        let failed: Error = ErrorKind::LpSolver {
            message: "the lp is infeasible".into(),
        }
        .into();
        let (solution, solver, note) = lp_or_flow(&net, Err(failed));
        assert_eq!(solver, SolverKind::Flow);
        assert_eq!(
            note.as_deref(),
            Some("lp failed (lp backend failed: the lp is infeasible); used flow")
        );
        // One answer per ticket, feasible, and optimal (what the LP would have given).
        assert_eq!(solution.assignment.len(), net.tickets());
        assert_eq!(net.evaluate(&solution.assignment), Ok(solution.objective));
        let (lp_solution, solver, note) = lp_or_flow(&net, lp::solve(&net));
        assert_eq!((solver, note), (SolverKind::Lp, None));
        assert_eq!(lp_solution.objective, solution.objective);
    }
}
