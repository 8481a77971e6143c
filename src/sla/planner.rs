//! The time planner: assignment and sequencing together, with predicted lateness fed back.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
#[cfg(feature = "parallel")]
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::schedule::{Route, Schedule, Stop, TimedPlan};
use super::sequence::{Job, Sequencer, Start, Timed};
use crate::error::Error;
use crate::fleet::Fleet;
use crate::model::{LatLon, Ticket};
use crate::rules::Policy;
use crate::solve::time::{at_minutes, minutes_since};
use crate::solve::{Config, Dispatcher, PairHook, Plan, Reason, Unassigned};

/// Settings of the [`Planner`] beyond the dispatcher's [`Config`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlannerConfig {
    /// Assignment ↔ sequencing rounds after the first assignment. In each round, tickets that an
    /// engineer's route could not take are kept away from that engineer, and (with
    /// `lateness_feedback`) the lateness that sequencing predicts is added to the arc cost. The best
    /// round is kept. Default 4.
    pub rounds: u32,
    /// Feed the lateness predicted by sequencing back into the next round's arc costs (instead of
    /// only the first-stop lateness the assignment sees by itself). Default on.
    pub lateness_feedback: bool,
    /// Fairness over the day: points per hour of work the engineer already has today (done, and
    /// planned in the previous round), added to every arc of the engineer. Default 0 (off).
    pub fairness_per_hour: f64,
    /// Re-planning: points for moving a ticket away from the engineer the previous plan gave it to.
    /// Default 20.
    pub disruption_per_move: f64,
    /// Passes of inter-route relocation after the rounds: a ticket moves to another eligible
    /// engineer's route (best feasible position) when that lowers arc plus route costs. Costs one
    /// candidate ranking per assigned ticket and pass, so it is off by default. Default 0.
    pub relocate_passes: u32,
}

impl Default for PlannerConfig {
    fn default() -> PlannerConfig {
        PlannerConfig {
            rounds: 4,
            lateness_feedback: true,
            fairness_per_hour: 0.0,
            disruption_per_move: 20.0,
            relocate_passes: 0,
        }
    }
}

/// Plans with time: assigns tickets (exact min-cost flow with time feasibility and costs), orders
/// each engineer's tickets into a route, and gives every ticket an ETA, a predicted completion and
/// its SLA slack. Immutable and `Send + Sync`.
///
/// # Examples
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use dispatchkit::sla::{Planner, PlannerConfig};
/// use dispatchkit::{Config, Engineer, Fleet, LatLon, Shift, Ticket};
/// let now = Utc.with_ymd_and_hms(2025, 3, 3, 8, 0, 0).unwrap();
/// let mut ana = Engineer::new("ana", LatLon::new(42.36, -71.06), 5).with_skill("network", 3);
/// ana.shift = Some(Shift { start: now, end: now + Duration::hours(8) });
/// let fleet = Fleet::new(vec![ana])?;
/// let tickets = vec![
///     Ticket::new("T-1", LatLon::new(42.37, -71.05), "network", now)
///         .with_appointment(now + Duration::hours(2), now + Duration::hours(3)),
///     Ticket::new("T-2", LatLon::new(42.35, -71.07), "network", now)
///         .with_sla_due(now + Duration::hours(1) + Duration::minutes(30)),
/// ];
/// let timed = Planner::new(Config::default(), PlannerConfig::default()).plan(&fleet, &tickets, now)?;
/// let route = &timed.schedule.routes[0];
/// // T-2 first (due soon), then T-1 inside its window.
/// assert_eq!(route.stops[0].ticket.as_str(), "T-2");
/// assert!(!route.stops[0].breached);
/// assert_eq!(route.stops[1].start, now + Duration::hours(2));
/// # Ok::<(), dispatchkit::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Planner {
    pub(crate) dispatcher: Dispatcher,
    pub(crate) config: PlannerConfig,
}

/// What a run knows beyond the tickets: per engineer, where and when its route starts and the
/// minutes it has worked today; per ticket, the engineer it had before (re-planning).
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// Per engineer (fleet position): route start overriding the engineer's position and `now`
    /// (minutes since now).
    pub start: Vec<Option<(LatLon, f64)>>,
    /// Per engineer: minutes worked today before this plan.
    pub worked_min: Vec<f64>,
    /// Per ticket: the engineer it had (fleet position).
    pub previous: Vec<Option<u32>>,
    /// Points for moving a ticket off its previous engineer.
    pub move_cost: f64,
}

/// Per-pair costs and bans the planner hands the dispatcher.
struct Feedback {
    forbidden: HashSet<(u32, u32)>,
    extra: HashMap<(u32, u32), f64>,
    per_engineer: Vec<f64>,
    previous: Vec<Option<u32>>,
    move_cost: f64,
}

impl PairHook for Feedback {
    fn allowed(&self, t: usize, e: u32) -> bool {
        !self.forbidden.contains(&(t as u32, e))
    }
    fn extra(&self, t: usize, e: u32) -> f64 {
        let moved = self.previous[t].is_some_and(|p| p != e);
        self.per_engineer.get(e as usize).copied().unwrap_or(0.0)
            + self.extra.get(&(t as u32, e)).copied().unwrap_or(0.0)
            + if moved { self.move_cost } else { 0.0 }
    }
}

/// One engineer's sequenced route, in ticket positions.
#[derive(Debug, Clone)]
pub(crate) struct SeqRoute {
    pub engineer: u32,
    pub order: Vec<usize>,
    pub dropped: Vec<usize>,
    pub times: Vec<Timed>,
    pub start: Start,
    pub cost: f64,
    pub return_km: f64,
    pub return_min: f64,
}

/// Tiny cost (1 solver unit) that keeps a ticket where the previous round put it when nothing else
/// differs, so rounds converge instead of reshuffling ties.
const STICK: f64 = 0.001;

impl Planner {
    /// A planner with these settings.
    pub fn new(config: Config, planner: PlannerConfig) -> Planner {
        Planner {
            dispatcher: Dispatcher::new(config),
            config: planner,
        }
    }

    /// A planner whose assignments run `policy` instead of the default one (see
    /// [`Dispatcher::with_policy`]); sequencing and lateness read each ticket as the policy's
    /// triage leaves it (its priority, SLA due time and duration).
    pub fn with_policy(config: Config, planner: PlannerConfig, policy: Policy) -> Planner {
        Planner {
            dispatcher: Dispatcher::with_policy(config, policy),
            config: planner,
        }
    }

    /// The dispatcher settings.
    pub fn dispatch_config(&self) -> &Config {
        self.dispatcher.config()
    }

    /// The planner settings.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    /// Plans a batch with time: the assignment, then every engineer's route. Every assigned ticket
    /// is exactly one stop of its engineer's route, and every stop respects its appointment window
    /// and the engineer's shift plus overtime; a ticket that no route could take within the rounds
    /// is unassigned with [`Reason::NoTimeInRoute`].
    ///
    /// Cost: `rounds + 1` dispatcher runs, plus sequencing (`O(k³)` per pass for `k` stops per
    /// engineer).
    ///
    /// # Errors
    /// As [`Dispatcher::plan`].
    pub fn plan(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
    ) -> Result<TimedPlan, Error> {
        let ctx = Context {
            previous: vec![None; tickets.len()],
            ..Context::default()
        };
        self.run(fleet, tickets, now, &ctx)
    }

    /// Sequences a plan made elsewhere (e.g. by [`Dispatcher::plan`]): every engineer's route with
    /// ETAs, completions and slack, without changing who does what. Tickets a route cannot take
    /// in time move to `unassigned` with [`Reason::NoTimeInRoute`].
    ///
    /// Cost: `O(Σ k³)` per improvement pass over routes of `k` stops (parallel over engineers
    /// with `parallel`).
    ///
    /// # Errors
    /// None today: assignments naming an engineer or ticket that is not given are ignored. The
    /// `Result` leaves room to validate plans from other sources.
    pub fn schedule(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        plan: Plan,
        now: DateTime<Utc>,
    ) -> Result<TimedPlan, Error> {
        let ctx = Context::default();
        let assignment = assignment_vector(fleet, tickets, &plan);
        let routes = self.sequence_all(fleet, tickets, now, &ctx, &assignment);
        Ok(finish(self.policy(), fleet, tickets, now, plan, &routes))
    }

    /// The dispatcher's policy (its triage decides the tickets' timing: [`timing`]).
    pub(crate) fn policy(&self) -> &Policy {
        self.dispatcher.policy()
    }

    pub(crate) fn run(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        ctx: &Context,
    ) -> Result<TimedPlan, Error> {
        let m = fleet.len();
        let fair = |e: usize, planned: f64| {
            let worked = ctx.worked_min.get(e).copied().unwrap_or(0.0);
            self.config.fairness_per_hour * (worked + planned) / 60.0
        };
        let mut fb = Feedback {
            forbidden: HashSet::new(),
            extra: HashMap::new(),
            per_engineer: (0..m).map(|e| fair(e, 0.0)).collect(),
            previous: ctx.previous.clone(),
            move_cost: ctx.move_cost,
        };
        let mut best: Option<(Score, TimedPlan, Vec<SeqRoute>)> = None;
        let mut last_assignment: Option<Vec<Option<u32>>> = None;
        for round in 0..=self.config.rounds {
            let plan = self.dispatcher.plan_with(fleet, tickets, now, Some(&fb))?;
            let assignment = assignment_vector(fleet, tickets, &plan);
            let routes = self.sequence_all(fleet, tickets, now, ctx, &assignment);
            let dropped: usize = routes.iter().map(|r| r.dropped.len()).sum();
            let timed = finish(self.policy(), fleet, tickets, now, plan.clone(), &routes);
            let score = score(&timed, &routes);
            if best.as_ref().is_none_or(|(b, _, _)| score < *b) {
                best = Some((score, timed, routes.clone()));
            }
            let converged = dropped == 0
                && (!self.config.lateness_feedback
                    || last_assignment.as_ref() == Some(&assignment));
            if converged || round == self.config.rounds {
                break;
            }
            // Feed the routes back.
            let time = &self.dispatcher.config().time;
            for r in &routes {
                for &t in &r.dropped {
                    fb.forbidden.insert((t as u32, r.engineer));
                }
                let mut planned = 0.0;
                for (&t, times) in r.order.iter().zip(&r.times) {
                    planned += times.finish - times.arrival;
                    if ctx.move_cost == 0.0 {
                        fb.previous[t] = Some(r.engineer);
                    }
                    if self.config.lateness_feedback {
                        let ticket = timing(self.policy(), &tickets[t], now);
                        let due = ticket.sla_due.map(|d| minutes_since(now, d));
                        let late = due.map_or(0.0, |d| (times.finish - d).max(0.0));
                        let first = first_stop_late(fleet, r.engineer, &ticket, now, self);
                        let added = time.lateness_cost(ticket.priority, late - first);
                        if added > 0.0 {
                            fb.extra.insert((t as u32, r.engineer), added);
                        }
                    }
                }
                fb.per_engineer[r.engineer as usize] = fair(r.engineer as usize, planned);
            }
            if ctx.move_cost == 0.0 {
                fb.move_cost = STICK;
            }
            last_assignment = Some(assignment);
        }
        let (_, mut timed, mut routes) = best.expect("at least one round");
        if self.config.relocate_passes > 0 {
            let moved = self.relocate(fleet, tickets, now, ctx, &mut routes, &mut timed)?;
            if moved {
                timed.schedule.routes = routes
                    .iter()
                    .filter(|r| !r.order.is_empty())
                    .map(|r| build_route(self.policy(), fleet, tickets, now, r))
                    .collect();
            }
        }
        Ok(timed)
    }

    /// Inter-route relocation: moves single tickets between routes while that lowers the total of
    /// arc costs (with the disruption and fairness terms of `ctx`) and route costs, keeping every
    /// route feasible and every engineer within capacity and eligible. Returns whether anything
    /// moved; `timed.plan`'s assignments follow the moves.
    fn relocate(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        ctx: &Context,
        routes: &mut Vec<SeqRoute>,
        timed: &mut TimedPlan,
    ) -> Result<bool, Error> {
        let cfg = self.dispatcher.config();
        let mut route_of: HashMap<u32, usize> = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.engineer, i))
            .collect();
        let cost_of = |e: u32, ts: &[usize]| -> Option<(SeqRoute, f64)> {
            let (start, jobs) = self.route_input(fleet, tickets, now, ctx, e, ts);
            let seq = Sequencer::new(&cfg.time, cfg.weights.travel_per_km, start, &jobs);
            let idx: Vec<usize> = (0..ts.len()).collect();
            let (viol, cost) = seq.score(&idx);
            if viol > 1e-9 {
                return None;
            }
            let return_km = seq.return_km(&idx);
            let r = SeqRoute {
                engineer: e,
                order: ts.to_vec(),
                dropped: Vec::new(),
                times: seq.timeline(&idx),
                start,
                cost,
                return_km,
                return_min: cfg.time.travel.minutes(return_km),
            };
            Some((r, cost))
        };
        let extra = |t: usize, e: u32| {
            let moved = ctx
                .previous
                .get(t)
                .copied()
                .flatten()
                .is_some_and(|p| p != e);
            if moved { ctx.move_cost } else { 0.0 }
        };
        let mut any = false;
        for _ in 0..self.config.relocate_passes {
            let mut improved = false;
            let order: Vec<(usize, u32)> = routes
                .iter()
                .flat_map(|r| r.order.iter().map(move |&t| (t, r.engineer)))
                .collect();
            for (t, from) in order {
                let ticket = &tickets[t];
                if ticket.pinned_engineer.is_some() {
                    continue;
                }
                let ranking = self.dispatcher.candidates(fleet, ticket, now)?;
                let from_id = &fleet.engineers()[from as usize].id;
                let Some(own) = ranking.eligible.iter().find(|c| &c.engineer == from_id) else {
                    continue;
                };
                let a = route_of[&from];
                let without: Vec<usize> = routes[a]
                    .order
                    .iter()
                    .copied()
                    .filter(|&x| x != t)
                    .collect();
                let Some((a_new, a_cost)) = cost_of(from, &without) else {
                    continue;
                };
                let base = own.cost.total + extra(t, from) + routes[a].cost - a_cost;
                let mut best: Option<(f64, u32, SeqRoute, usize)> = None;
                for (rank, c) in ranking.eligible.iter().enumerate() {
                    let Some(e) = fleet.position(&c.engineer) else {
                        continue;
                    };
                    if e == from {
                        continue;
                    }
                    let b_order: Vec<usize> = route_of
                        .get(&e)
                        .map_or(Vec::new(), |&b| routes[b].order.clone());
                    if b_order.len() as u32 >= fleet.engineers()[e as usize].remaining_capacity() {
                        continue;
                    }
                    let b_cost = route_of.get(&e).map_or(0.0, |&b| routes[b].cost);
                    let mut ts = b_order.clone();
                    ts.push(t);
                    let (start, jobs) = self.route_input(fleet, tickets, now, ctx, e, &ts);
                    let seq = Sequencer::new(&cfg.time, cfg.weights.travel_per_km, start, &jobs);
                    let mut idx: Vec<usize> = (0..b_order.len()).collect();
                    if !seq.insert_best(&mut idx, b_order.len()) {
                        continue;
                    }
                    let new_order: Vec<usize> = idx.iter().map(|&j| ts[j]).collect();
                    let Some((b_new, b_new_cost)) = cost_of(e, &new_order) else {
                        continue;
                    };
                    let gain = base - (c.cost.total + extra(t, e) + b_new_cost - b_cost);
                    if gain > 1e-6 && best.as_ref().is_none_or(|b| gain > b.0 + 1e-9) {
                        best = Some((gain, e, b_new, rank));
                    }
                }
                let Some((_, e, b_new, rank)) = best else {
                    continue;
                };
                routes[a] = a_new;
                match route_of.get(&e) {
                    Some(&b) => routes[b] = b_new,
                    None => {
                        route_of.insert(e, routes.len());
                        routes.push(b_new);
                    }
                }
                let c = &ranking.eligible[rank];
                if let Some(x) = timed
                    .plan
                    .assignments
                    .iter_mut()
                    .find(|x| x.ticket == ticket.id)
                {
                    x.engineer = c.engineer.clone();
                    x.distance_km = c.distance_km;
                    x.cost = c.cost.with_adjustment(extra(t, e));
                    x.candidate_rank = rank as u32;
                }
                improved = true;
                any = true;
            }
            if !improved {
                break;
            }
        }
        routes.sort_by_key(|r| r.engineer);
        Ok(any)
    }

    /// Sequences every engineer's tickets (parallel over engineers with `parallel`).
    pub(crate) fn sequence_all(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        ctx: &Context,
        assignment: &[Option<u32>],
    ) -> Vec<SeqRoute> {
        let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (t, e) in assignment.iter().enumerate() {
            if let Some(e) = e {
                groups.entry(*e).or_default().push(t);
            }
        }
        let groups: Vec<(u32, Vec<usize>)> = groups.into_iter().collect();
        let one = |(e, ts): &(u32, Vec<usize>)| self.sequence_one(fleet, tickets, now, ctx, *e, ts);
        #[cfg(feature = "parallel")]
        return groups.par_iter().map(one).collect();
        #[cfg(not(feature = "parallel"))]
        return groups.iter().map(one).collect();
    }

    /// Sequences one engineer's tickets `ts` (ticket positions) from scratch.
    pub(crate) fn sequence_one(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        ctx: &Context,
        e: u32,
        ts: &[usize],
    ) -> SeqRoute {
        let (start, jobs) = self.route_input(fleet, tickets, now, ctx, e, ts);
        let cfg = self.dispatcher.config();
        let seq = Sequencer::new(&cfg.time, cfg.weights.travel_per_km, start, &jobs);
        let (order, dropped) = seq.solve();
        let times = seq.timeline(&order);
        let cost = seq.score(&order).1;
        let return_km = seq.return_km(&order);
        let return_min = cfg.time.travel.minutes(return_km);
        SeqRoute {
            engineer: e,
            order: order.iter().map(|&j| ts[j]).collect(),
            dropped: dropped.iter().map(|&j| ts[j]).collect(),
            times,
            start,
            cost,
            return_km,
            return_min,
        }
    }

    /// The start and jobs of engineer `e` for tickets `ts`.
    pub(crate) fn route_input(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        ctx: &Context,
        e: u32,
        ts: &[usize],
    ) -> (Start, Vec<Job>) {
        let engineer = &fleet.engineers()[e as usize];
        let time = &self.dispatcher.config().time;
        let (loc, t0) = ctx
            .start
            .get(e as usize)
            .copied()
            .flatten()
            .unwrap_or((engineer.location, 0.0));
        let shift_start = engineer.shift.map_or(0.0, |s| minutes_since(now, s.start));
        let start = Start {
            loc,
            time: t0.max(shift_start).max(0.0),
            shift_end: engineer
                .shift
                .map_or(f64::INFINITY, |s| minutes_since(now, s.end)),
        };
        let policy = self.policy();
        let jobs = ts
            .iter()
            .map(|&t| job(policy, &tickets[t], now, time))
            .collect();
        (start, jobs)
    }
}

/// The ticket as the policy's triage leaves it, for timing: its priority, SLA due time and
/// duration after the `derive`s (the dispatcher prices the first stop with these too). Borrowed
/// when triage changes none of them; the ticket as given when triage fails (a declared
/// attribute missing: the dispatcher reports that error when it screens the ticket).
pub(crate) fn timing<'t>(
    policy: &Policy,
    ticket: &'t Ticket,
    now: DateTime<Utc>,
) -> Cow<'t, Ticket> {
    if policy.checked().derives.is_empty() {
        return Cow::Borrowed(ticket);
    }
    let Ok(t) = policy.triage(ticket, now) else {
        return Cow::Borrowed(ticket);
    };
    if (t.priority, t.sla_due, t.duration_min)
        == (ticket.priority, ticket.sla_due, ticket.duration_min)
    {
        return Cow::Borrowed(ticket);
    }
    let mut owned = ticket.clone();
    owned.priority = t.priority;
    owned.sla_due = t.sla_due;
    owned.duration_min = t.duration_min;
    Cow::Owned(owned)
}

/// A ticket as a sequencing job, in minutes since `now`, as the policy's triage leaves it
/// ([`timing`]).
pub(crate) fn job(
    policy: &Policy,
    ticket: &Ticket,
    now: DateTime<Utc>,
    time: &crate::solve::TimeConfig,
) -> Job {
    let ticket = &*timing(policy, ticket, now);
    let duration = f64::from(ticket.duration_min);
    let due = ticket
        .sla_due
        .map_or(f64::INFINITY, |d| minutes_since(now, d));
    let mut latest = ticket
        .appointment
        .map_or(f64::INFINITY, |w| minutes_since(now, w.end));
    if time.hard_deadlines {
        latest = latest.min(due - duration);
    }
    Job {
        loc: ticket.location,
        earliest: ticket
            .appointment
            .map_or(f64::NEG_INFINITY, |w| minutes_since(now, w.start)),
        latest,
        duration,
        due,
        late_weight: time.lateness_per_min[ticket.priority.index()],
        rank: if ticket.pinned_engineer.is_some() {
            0
        } else {
            1 + ticket.priority.index() as u8
        },
    }
}

/// The lateness the assignment already priced: the ticket as the engineer's first stop.
fn first_stop_late(fleet: &Fleet, e: u32, ticket: &Ticket, now: DateTime<Utc>, p: &Planner) -> f64 {
    let engineer = &fleet.engineers()[e as usize];
    let km = crate::geo::distance_km(engineer.location, ticket.location);
    crate::solve::time::first_stop(&p.dispatcher.config().time, engineer, ticket, km, now)
        .map_or(0.0, |s| s.late_min)
}

/// Each ticket's engineer (fleet position) in a plan.
pub(crate) fn assignment_vector(
    fleet: &Fleet,
    tickets: &[Ticket],
    plan: &Plan,
) -> Vec<Option<u32>> {
    let mut by_ticket: HashMap<&str, u32> = HashMap::with_capacity(plan.assignments.len());
    for a in &plan.assignments {
        if let Some(e) = fleet.position(&a.engineer) {
            by_ticket.insert(a.ticket.as_str(), e);
        }
    }
    tickets
        .iter()
        .map(|t| by_ticket.get(t.id.as_str()).copied())
        .collect()
}

/// (unassigned per priority, route cost): lower is better, the most urgent priority first.
type Score = ([usize; 4], f64);

/// The score of a round.
fn score(timed: &TimedPlan, routes: &[SeqRoute]) -> Score {
    let mut unassigned = [0usize; 4];
    for u in &timed.plan.unassigned {
        unassigned[u.priority.index()] += 1;
    }
    let cost = routes.iter().map(|r| r.cost).sum();
    (unassigned, cost)
}

/// The plan with dropped tickets moved to `unassigned`, and its schedule.
pub(crate) fn finish(
    policy: &Policy,
    fleet: &Fleet,
    tickets: &[Ticket],
    now: DateTime<Utc>,
    mut plan: Plan,
    routes: &[SeqRoute],
) -> TimedPlan {
    let mut dropped: HashMap<&str, u32> = HashMap::new();
    for r in routes {
        for &t in &r.dropped {
            dropped.insert(tickets[t].id.as_str(), r.engineer);
        }
    }
    if !dropped.is_empty() {
        let position: HashMap<&str, usize> = tickets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let mut moved = Vec::new();
        plan.assignments
            .retain(|a| match dropped.get(a.ticket.as_str()) {
                Some(&e) => {
                    moved.push(Unassigned {
                        ticket: a.ticket.clone(),
                        priority: a.priority,
                        reason: Reason::NoTimeInRoute {
                            engineer: fleet.engineers()[e as usize].id.clone(),
                        },
                    });
                    false
                }
                None => true,
            });
        plan.unassigned.extend(moved);
        plan.unassigned.sort_by_key(|u| {
            position
                .get(u.ticket.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
    }
    let routes = routes
        .iter()
        .filter(|r| !r.order.is_empty())
        .map(|r| build_route(policy, fleet, tickets, now, r))
        .collect();
    TimedPlan {
        plan,
        schedule: Schedule {
            now: Some(now),
            routes,
        },
    }
}

/// The public route of a sequenced one.
pub(crate) fn build_route(
    policy: &Policy,
    fleet: &Fleet,
    tickets: &[Ticket],
    now: DateTime<Utc>,
    r: &SeqRoute,
) -> Route {
    let engineer = &fleet.engineers()[r.engineer as usize];
    let stops: Vec<Stop> = r
        .order
        .iter()
        .zip(&r.times)
        .map(|(&t, times)| stop(&timing(policy, &tickets[t], now), now, times))
        .collect();
    let travel_km = r.times.iter().map(|x| x.leg_km).sum::<f64>() + r.return_km;
    let last = r.times.last().map_or(r.start.time, |x| x.finish);
    let end_min = last + r.return_min;
    Route {
        engineer: engineer.id.clone(),
        start_location: r.start.loc,
        departure: at_minutes(now, r.start.time),
        stops,
        travel_km,
        end: at_minutes(now, end_min),
        overtime_min: (end_min - r.start.shift_end).max(0.0),
    }
}

/// A stop from its ticket (as triage leaves it: [`timing`]) and times.
pub(crate) fn stop(ticket: &Ticket, now: DateTime<Utc>, times: &Timed) -> Stop {
    let completion = at_minutes(now, times.finish);
    let slack_min = ticket
        .sla_due
        .map(|d| (d - completion).num_seconds() as f64 / 60.0);
    Stop {
        ticket: ticket.id.clone(),
        priority: ticket.priority,
        location: ticket.location,
        leg_km: times.leg_km,
        arrival: at_minutes(now, times.arrival),
        start: at_minutes(now, times.start),
        completion,
        due: ticket.sla_due,
        slack_min,
        breached: ticket.sla_due.is_some_and(|d| completion > d),
        in_progress: false,
    }
}
