//! Re-planning during the day: apply what happened since the last plan, move as little as needed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::planner::{Context, Planner, SeqRoute, build_route, timing};
use super::schedule::{Route, Stop, TimedPlan};
use super::sequence::Sequencer;
use crate::error::{Entity, Error, ErrorKind};
use crate::fleet::Fleet;
use crate::model::{EngineerId, LatLon, Shift, Ticket, TicketId, validate_tickets};
use crate::solve::time::minutes_since;
use crate::solve::{Assignment, Constraint, Reason, Screening, Unassigned};

/// Something that happened since the last plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // a handful of changes per call; boxing would only add noise
pub enum Change {
    /// A ticket came in.
    NewTicket {
        /// The ticket.
        ticket: Ticket,
    },
    /// A ticket was cancelled: it leaves the plan.
    Cancelled {
        /// The ticket.
        ticket: TicketId,
    },
    /// A ticket was finished: it leaves the plan and its time counts as the engineer's work today.
    Finished {
        /// The ticket.
        ticket: TicketId,
    },
    /// An engineer stopped working (its shift ends now): its tickets not yet started go to others.
    OffShift {
        /// The engineer.
        engineer: EngineerId,
    },
    /// An engineer is somewhere new: its route is re-planned from there.
    Moved {
        /// The engineer.
        engineer: EngineerId,
        /// Where it is now.
        location: LatLon,
    },
}

/// Why a ticket changed hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveReason {
    /// A new ticket was placed.
    NewTicket,
    /// The ticket was cancelled.
    Cancelled,
    /// The ticket was finished.
    Finished,
    /// Its engineer went off shift.
    EngineerOffShift,
    /// Its engineer's route could no longer take it in time (after a move, or re-timing).
    NoLongerFits,
    /// A full re-optimisation ([`Planner::reoptimize`]) found it worth the disruption penalty.
    Reoptimized,
}

/// One ticket that changed hands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    /// The ticket.
    pub ticket: TicketId,
    /// The engineer it had, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<EngineerId>,
    /// The engineer it has now, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<EngineerId>,
    /// Why.
    pub why: MoveReason,
}

/// What a re-plan did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReplanReport {
    /// Tickets that changed hands, in the order they were handled.
    pub moves: Vec<Move>,
    /// Engineers whose routes were re-sequenced or re-timed, by id.
    pub rerouted: Vec<EngineerId>,
}

/// A day's plan that can be re-planned: the fleet, the open tickets and their timed plan, and the
/// minutes each engineer has worked today.
#[derive(Debug, Clone)]
pub struct DayPlan {
    fleet: Fleet,
    tickets: Vec<Ticket>,
    timed: TimedPlan,
    worked_min: BTreeMap<EngineerId, f64>,
    index: HashMap<TicketId, usize>,
}

impl DayPlan {
    /// The fleet as of the last (re)plan.
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// The open tickets, in plan order.
    pub fn tickets(&self) -> &[Ticket] {
        &self.tickets
    }

    /// The timed plan.
    pub fn timed(&self) -> &TimedPlan {
        &self.timed
    }

    /// Minutes of finished work per engineer today (from [`Change::Finished`]).
    pub fn worked_min(&self) -> &BTreeMap<EngineerId, f64> {
        &self.worked_min
    }

    fn reindex(&mut self) {
        self.index = index(&self.tickets);
    }
}

fn index(tickets: &[Ticket]) -> HashMap<TicketId, usize> {
    tickets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.clone(), i))
        .collect()
}

fn bad(index: usize, entity: Entity, id: &str, problem: &'static str) -> Error {
    ErrorKind::InvalidChange {
        index,
        entity,
        id: id.to_string(),
        problem,
    }
    .into()
}

impl Planner {
    /// Plans a day from scratch ([`Planner::plan`]), keeping what re-planning needs.
    ///
    /// # Errors
    /// As [`Planner::plan`].
    pub fn plan_day(
        &self,
        fleet: Fleet,
        tickets: Vec<Ticket>,
        now: DateTime<Utc>,
    ) -> Result<DayPlan, Error> {
        let timed = self.plan(&fleet, &tickets, now)?;
        let index = index(&tickets);
        Ok(DayPlan {
            fleet,
            tickets,
            timed,
            worked_min: BTreeMap::new(),
            index,
        })
    }

    /// Re-plans after `changes`, moving as little as possible.
    ///
    /// - **Pinned** tickets never change hands: work in progress (a stop whose predicted start is
    ///   at or before `now`) and tickets with `pinned_engineer`.
    /// - A new ticket goes where it costs least: its arc cost plus the extra route cost of
    ///   inserting it into that engineer's route (which must stay feasible in time), among the
    ///   eligible engineers with room ([`Dispatcher::candidates`](crate::Dispatcher::candidates)).
    /// - Cancelled and finished tickets leave their routes, which are re-timed (not reordered).
    /// - An engineer going off shift releases its tickets not yet started; they are placed like
    ///   new ones. An engineer that moved gets its route re-sequenced from its new position;
    ///   tickets that no longer fit are placed elsewhere.
    /// - Everything else stays exactly as it was, times included: routes that no change touches
    ///   are not re-timed (report a [`Change::Moved`] to refresh an engineer's ETAs).
    ///
    /// Tickets that cannot be placed are unassigned with a reason. Tickets that were already
    /// unassigned are not retried here (that would rank candidates for every one of them); use
    /// [`Planner::reoptimize`] when capacity has been freed.
    ///
    /// Cost: `O(k · (log m + c · s²))` for `k` tickets to place, `c` candidates and `s` stops per
    /// route, plus `O(n)` when tickets leave the plan and `O(m log m)` when engineers change.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidChange`] for a change naming an unknown ticket or engineer or a new
    /// ticket whose id is taken; an invalid new ticket, as [`Dispatcher::plan`](crate::Dispatcher::plan).
    /// Nothing is changed when an error is returned (the previous plan is consumed, so clone it
    /// first if you need it back).
    pub fn replan(
        &self,
        previous: DayPlan,
        changes: &[Change],
        now: DateTime<Utc>,
    ) -> Result<(DayPlan, ReplanReport), Error> {
        let mut day = previous;
        self.check_changes(&day, changes)?;
        let mut report = ReplanReport::default();
        let mut engineers: Option<Vec<crate::model::Engineer>> = None;
        let mut dirty: BTreeSet<EngineerId> = BTreeSet::new();
        let mut leaving: BTreeSet<TicketId> = BTreeSet::new();
        // (ticket, previous engineer, why)
        let mut to_place: Vec<(TicketId, Option<EngineerId>, MoveReason)> = Vec::new();
        let mut reorder = false;

        for change in changes {
            match change {
                Change::NewTicket { ticket } => {
                    day.index.insert(ticket.id.clone(), day.tickets.len());
                    day.tickets.push(ticket.clone());
                    to_place.push((ticket.id.clone(), None, MoveReason::NewTicket));
                }
                Change::Cancelled { ticket } | Change::Finished { ticket } => {
                    let why = if matches!(change, Change::Finished { .. }) {
                        MoveReason::Finished
                    } else {
                        MoveReason::Cancelled
                    };
                    let from = day
                        .timed
                        .plan
                        .assignment_of(ticket)
                        .map(|a| a.engineer.clone());
                    if let Some(e) = &from {
                        if why == MoveReason::Finished {
                            let t = &day.tickets[day.index[ticket]];
                            *day.worked_min.entry(e.clone()).or_default() +=
                                f64::from(timing(self.policy(), t, now).duration_min);
                        }
                        dirty.insert(e.clone());
                    }
                    leaving.insert(ticket.clone());
                    to_place.retain(|p| &p.0 != ticket);
                    report.moves.push(Move {
                        ticket: ticket.clone(),
                        from,
                        to: None,
                        why,
                    });
                }
                Change::OffShift { engineer } | Change::Moved { engineer, .. } => {
                    let list = engineers.get_or_insert_with(|| day.fleet.engineers().to_vec());
                    let e = list
                        .binary_search_by(|x| x.id.cmp(engineer))
                        .expect("checked");
                    match change {
                        Change::OffShift { .. } => {
                            let start = list[e].shift.map_or(now, |s| s.start.min(now));
                            list[e].shift = Some(Shift { start, end: now });
                            // Tickets not started go to others.
                            if let Some(r) = day.timed.schedule.route_of(engineer) {
                                for s in r.stops.iter().filter(|s| s.start > now) {
                                    let t = &day.tickets[day.index[&s.ticket]];
                                    let known = leaving.contains(&s.ticket)
                                        || to_place.iter().any(|p| p.0 == s.ticket);
                                    if t.pinned_engineer.is_none() && !known {
                                        to_place.push((
                                            s.ticket.clone(),
                                            Some(engineer.clone()),
                                            MoveReason::EngineerOffShift,
                                        ));
                                    }
                                }
                            }
                        }
                        Change::Moved { location, .. } => list[e].location = *location,
                        _ => unreachable!(),
                    }
                    dirty.insert(engineer.clone());
                }
            }
        }
        if let Some(list) = engineers {
            day.fleet = Fleet::new(list)?;
        }
        // Released tickets leave their routes (they are placed again below).
        let released: BTreeSet<TicketId> = to_place
            .iter()
            .filter(|p| p.1.is_some())
            .map(|p| p.0.clone())
            .collect();
        if !leaving.is_empty() || !released.is_empty() {
            reorder = true;
            let gone = |id: &TicketId| leaving.contains(id) || released.contains(id);
            day.timed.plan.assignments.retain(|a| !gone(&a.ticket));
            day.timed
                .plan
                .unassigned
                .retain(|u| !leaving.contains(&u.ticket));
            for r in &mut day.timed.schedule.routes {
                r.stops.retain(|s| !gone(&s.ticket));
            }
            if !leaving.is_empty() {
                day.tickets.retain(|t| !leaving.contains(&t.id));
                day.reindex();
            }
        }
        // New tickets that were unassigned before are placed again; drop their old entries.
        let placing: BTreeSet<&TicketId> = to_place.iter().map(|p| &p.0).collect();
        if day
            .timed
            .plan
            .unassigned
            .iter()
            .any(|u| placing.contains(&u.ticket))
        {
            day.timed
                .plan
                .unassigned
                .retain(|u| !placing.contains(&u.ticket));
            reorder = true;
        }
        // Re-sequence the routes that changed.
        for e in &dirty {
            let (dropped, pinned) = self.reroute(&mut day, e, now, true);
            for t in pinned {
                reorder = true;
                report.moves.push(Move {
                    ticket: t,
                    from: Some(e.clone()),
                    to: None,
                    why: MoveReason::NoLongerFits,
                });
            }
            for t in dropped {
                day.timed.plan.assignments.retain(|a| a.ticket != t);
                reorder = true;
                to_place.push((t, Some(e.clone()), MoveReason::NoLongerFits));
            }
        }
        report.rerouted.extend(dirty.iter().cloned());
        // Place tickets: most urgent first, then by id.
        let policy = self.policy();
        let urgency = |id: &TicketId| timing(policy, &day.tickets[day.index[id]], now).priority;
        to_place.sort_by_cached_key(|p| (urgency(&p.0), p.0.clone()));
        for (id, from, why) in to_place {
            let to = self.place(&mut day, &id, from.as_ref(), now)?;
            if to.is_none() || to != from {
                report.moves.push(Move {
                    ticket: id,
                    from,
                    to,
                    why,
                });
            }
        }
        if reorder {
            let position = &day.index;
            day.timed
                .plan
                .assignments
                .sort_by_key(|a| position[&a.ticket]);
            day.timed
                .plan
                .unassigned
                .sort_by_key(|u| position[&u.ticket]);
        }
        day.timed.schedule.routes.retain(|r| !r.stops.is_empty());
        report.rerouted.sort();
        report.rerouted.dedup();
        Ok((day, report))
    }

    /// Re-plans after `changes` ([`Planner::replan`]), then re-optimises the whole day: every
    /// ticket that is neither in progress nor pinned may change engineer, at
    /// [`PlannerConfig::disruption_per_move`](super::PlannerConfig::disruption_per_move) points per
    /// move on top of the usual costs, so the plan changes only where that pays. Runs the full
    /// planner (assignment ↔ sequencing rounds) on the tickets not in progress; engineers with
    /// work in progress start after it, with their capacity reduced by it.
    ///
    /// # Errors
    /// As [`Planner::replan`] and [`Planner::plan`].
    pub fn reoptimize(
        &self,
        previous: DayPlan,
        changes: &[Change],
        now: DateTime<Utc>,
    ) -> Result<(DayPlan, ReplanReport), Error> {
        let (mut day, mut report) = self.replan(previous, changes, now)?;
        let m = day.fleet.len();
        let mut engineers = day.fleet.engineers().to_vec();
        let mut ctx = Context {
            start: vec![None; m],
            worked_min: engineers
                .iter()
                .map(|e| day.worked_min.get(&e.id).copied().unwrap_or(0.0))
                .collect(),
            previous: Vec::new(),
            move_cost: self.config.disruption_per_move.max(0.001),
        };
        let mut fixed: BTreeMap<EngineerId, Vec<Stop>> = BTreeMap::new();
        let mut fixed_ids: BTreeSet<TicketId> = BTreeSet::new();
        for r in &day.timed.schedule.routes {
            let f: Vec<Stop> = r.stops.iter().filter(|s| s.start <= now).cloned().collect();
            if let (Some(last), Some(e)) = (f.last(), day.fleet.position(&r.engineer)) {
                engineers[e as usize].open_tickets += f.len() as i32;
                ctx.start[e as usize] =
                    Some((last.location, minutes_since(now, last.completion).max(0.0)));
                fixed_ids.extend(f.iter().map(|s| s.ticket.clone()));
                fixed.insert(r.engineer.clone(), f);
            }
        }
        let fleet = Fleet::new(engineers)?;
        let batch: Vec<Ticket> = day
            .tickets
            .iter()
            .filter(|t| !fixed_ids.contains(&t.id))
            .cloned()
            .collect();
        ctx.previous = batch
            .iter()
            .map(|t| {
                day.timed
                    .plan
                    .assignment_of(&t.id)
                    .and_then(|a| fleet.position(&a.engineer))
            })
            .collect();
        let timed = self.run(&fleet, &batch, now, &ctx)?;
        // Report what changed hands.
        for (t, prev) in batch.iter().zip(&ctx.previous) {
            let to = timed.plan.assignment_of(&t.id).map(|a| a.engineer.clone());
            let from = prev.map(|e| fleet.engineers()[e as usize].id.clone());
            if to != from {
                report.moves.push(Move {
                    ticket: t.id.clone(),
                    from,
                    to,
                    why: MoveReason::Reoptimized,
                });
            }
        }
        // Merge: work in progress first, then the new routes.
        let mut assignments: Vec<Assignment> = day
            .timed
            .plan
            .assignments
            .iter()
            .filter(|a| fixed_ids.contains(&a.ticket))
            .cloned()
            .collect();
        let mut plan = timed.plan;
        assignments.append(&mut plan.assignments);
        let position = &day.index;
        assignments.sort_by_key(|a| position[&a.ticket]);
        plan.assignments = assignments;
        let mut routes: BTreeMap<EngineerId, Route> = timed
            .schedule
            .routes
            .into_iter()
            .map(|r| (r.engineer.clone(), r))
            .collect();
        for (e, stops) in fixed {
            let old = day.timed.schedule.route_of(&e).cloned().expect("a route");
            let route = match routes.remove(&e) {
                Some(r) => merge(r, stops),
                None => {
                    let end = stops.last().map_or(old.end, |s| s.completion);
                    Route {
                        travel_km: stops.iter().map(|s| s.leg_km).sum(),
                        end,
                        overtime_min: fleet
                            .get(&e)
                            .and_then(|x| x.shift)
                            .map_or(0.0, |s| (minutes_since(s.end, end)).max(0.0)),
                        stops: stops
                            .into_iter()
                            .map(|mut s| {
                                s.in_progress = true;
                                s
                            })
                            .collect(),
                        ..old
                    }
                }
            };
            routes.insert(e, route);
        }
        let mut rerouted: Vec<EngineerId> = routes
            .iter()
            .filter(|(e, r)| day.timed.schedule.route_of(e) != Some(*r))
            .map(|(e, _)| e.clone())
            .collect();
        report.rerouted.append(&mut rerouted);
        report.rerouted.sort();
        report.rerouted.dedup();
        day.timed = TimedPlan {
            plan,
            schedule: super::schedule::Schedule {
                now: Some(now),
                routes: routes.into_values().collect(),
            },
        };
        Ok((day, report))
    }

    fn check_changes(&self, day: &DayPlan, changes: &[Change]) -> Result<(), Error> {
        let mut new_ids: BTreeSet<&TicketId> = BTreeSet::new();
        for (i, c) in changes.iter().enumerate() {
            match c {
                Change::NewTicket { ticket } => {
                    if day.index.contains_key(&ticket.id) || !new_ids.insert(&ticket.id) {
                        return Err(bad(
                            i,
                            Entity::Ticket,
                            ticket.id.as_str(),
                            "is already in the plan",
                        ));
                    }
                    validate_tickets(std::slice::from_ref(ticket), |id| {
                        day.fleet.get(id).is_some()
                    })?;
                }
                Change::Cancelled { ticket } | Change::Finished { ticket } => {
                    if !day.index.contains_key(ticket) && !new_ids.contains(ticket) {
                        return Err(bad(
                            i,
                            Entity::Ticket,
                            ticket.as_str(),
                            "is not in the plan",
                        ));
                    }
                }
                Change::OffShift { engineer } | Change::Moved { engineer, .. } => {
                    if day.fleet.get(engineer).is_none() {
                        return Err(bad(
                            i,
                            Entity::Engineer,
                            engineer.as_str(),
                            "is not in the fleet",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Where engineer `e`'s route starts at `now`: after its work in progress, or from its position.
    /// Returns the in-progress stops too.
    fn route_start(&self, day: &DayPlan, e: u32, now: DateTime<Utc>) -> (Context, Vec<Stop>) {
        let engineer = &day.fleet.engineers()[e as usize];
        let mut ctx = Context {
            start: vec![None; day.fleet.len()],
            ..Context::default()
        };
        let fixed: Vec<Stop> = day
            .timed
            .schedule
            .route_of(&engineer.id)
            .map(|r| r.stops.iter().filter(|s| s.start <= now).cloned().collect())
            .unwrap_or_default();
        let start = match fixed.last() {
            Some(s) => (s.location, minutes_since(now, s.completion).max(0.0)),
            None => (engineer.location, 0.0),
        };
        ctx.start[e as usize] = Some(start);
        (ctx, fixed)
    }

    /// Re-sequences (or only re-times) engineer `id`'s route at `now`; returns the tickets it could
    /// not keep, and the pinned ones among them, which become unassigned instead of moving.
    fn reroute(
        &self,
        day: &mut DayPlan,
        id: &EngineerId,
        now: DateTime<Utc>,
        resequence: bool,
    ) -> (Vec<TicketId>, Vec<TicketId>) {
        let Some(e) = day.fleet.position(id) else {
            return (Vec::new(), Vec::new());
        };
        let (ctx, fixed) = self.route_start(day, e, now);
        let open: Vec<usize> = day
            .timed
            .schedule
            .route_of(id)
            .map(|r| {
                r.stops
                    .iter()
                    .filter(|s| s.start > now)
                    .map(|s| day.index[&s.ticket])
                    .collect()
            })
            .unwrap_or_default();
        let seq = if resequence {
            self.sequence_one(&day.fleet, &day.tickets, now, &ctx, e, &open)
        } else {
            self.time_in_order(day, &ctx, e, &open, now)
        };
        let (mut out, mut pinned) = (Vec::new(), Vec::new());
        for &t in &seq.dropped {
            let ticket = &day.tickets[t];
            if ticket.pinned_engineer.is_some() {
                pinned.push(ticket.id.clone());
                day.timed.plan.assignments.retain(|a| a.ticket != ticket.id);
                day.timed.plan.unassigned.push(Unassigned {
                    ticket: ticket.id.clone(),
                    priority: timing(self.policy(), ticket, now).priority,
                    reason: Reason::NoTimeInRoute {
                        engineer: id.clone(),
                    },
                });
            } else {
                out.push(ticket.id.clone());
            }
        }
        let route = merge(
            build_route(self.policy(), &day.fleet, &day.tickets, now, &seq),
            fixed,
        );
        put_route(day, route);
        (out, pinned)
    }

    /// Times `order` as given (no reordering).
    fn time_in_order(
        &self,
        day: &DayPlan,
        ctx: &Context,
        e: u32,
        order: &[usize],
        now: DateTime<Utc>,
    ) -> SeqRoute {
        let (start, jobs) = self.route_input(&day.fleet, &day.tickets, now, ctx, e, order);
        let cfg = self.dispatcher.config();
        let seq = Sequencer::new(&cfg.time, cfg.weights.travel_per_km, start, &jobs);
        let idx: Vec<usize> = (0..order.len()).collect();
        let times = seq.timeline(&idx);
        let return_km = seq.return_km(&idx);
        SeqRoute {
            engineer: e,
            order: order.to_vec(),
            dropped: Vec::new(),
            cost: seq.score(&idx).1,
            times,
            start,
            return_km,
            return_min: cfg.time.travel.minutes(return_km),
        }
    }

    /// Places one ticket at the cheapest feasible insertion; returns its new engineer, or `None`
    /// after recording it as unassigned.
    fn place(
        &self,
        day: &mut DayPlan,
        id: &TicketId,
        from: Option<&EngineerId>,
        now: DateTime<Utc>,
    ) -> Result<Option<EngineerId>, Error> {
        let t = day.index[id];
        let ticket = day.tickets[t].clone();
        // The priority as triage leaves it, as in the dispatcher's plans.
        let priority = timing(self.policy(), &ticket, now).priority;
        let ranking = self.dispatcher.candidates(&day.fleet, &ticket, now)?;
        let cfg = self.dispatcher.config();
        // (total points, candidate rank, new order, start context, fixed stops)
        let mut best: Option<(f64, usize, Vec<usize>)> = None;
        let mut full = 0u32;
        for (rank, c) in ranking.eligible.iter().enumerate() {
            if from == Some(&c.engineer) {
                continue; // it is leaving this engineer
            }
            let Some(e) = day.fleet.position(&c.engineer) else {
                continue;
            };
            let engineer = &day.fleet.engineers()[e as usize];
            let route = day.timed.schedule.route_of(&c.engineer);
            let held = route.map_or(0, |r| r.stops.len());
            if held as u32 >= engineer.remaining_capacity() {
                full += 1;
                continue;
            }
            let (ctx, _) = self.route_start(day, e, now);
            let mut open: Vec<usize> = route
                .map(|r| {
                    r.stops
                        .iter()
                        .filter(|s| s.start > now)
                        .map(|s| day.index[&s.ticket])
                        .collect()
                })
                .unwrap_or_default();
            open.push(t);
            let (start, jobs) = self.route_input(&day.fleet, &day.tickets, now, &ctx, e, &open);
            let seq = Sequencer::new(&cfg.time, cfg.weights.travel_per_km, start, &jobs);
            let mut order: Vec<usize> = (0..open.len() - 1).collect();
            let before = seq.score(&order).1;
            if !seq.insert_best(&mut order, open.len() - 1) {
                continue;
            }
            let added = seq.score(&order).1 - before;
            // Fairness over the day: hours worked (finished today) and planned (this route).
            let planned: f64 = jobs.iter().map(|j| j.duration).sum();
            let worked = day.worked_min.get(&c.engineer).copied().unwrap_or(0.0);
            let fair = self.config.fairness_per_hour * (worked + planned) / 60.0;
            let total = c.cost.total + added + fair;
            if best.as_ref().is_none_or(|b| total < b.0 - 1e-9) {
                let order = order.iter().map(|&j| open[j]).collect();
                best = Some((total, rank, order));
            }
        }
        let Some((_, rank, order)) = best else {
            let reason = unplaced_reason(&ranking, full, &self.dispatcher.config().max_travel_km);
            day.timed.plan.unassigned.push(Unassigned {
                ticket: id.clone(),
                priority,
                reason,
            });
            return Ok(None);
        };
        let c = &ranking.eligible[rank];
        let e = day.fleet.position(&c.engineer).expect("a fleet engineer");
        let (ctx, fixed) = self.route_start(day, e, now);
        let seq = self.time_in_order(day, &ctx, e, &order, now);
        let route = merge(
            build_route(self.policy(), &day.fleet, &day.tickets, now, &seq),
            fixed,
        );
        put_route(day, route);
        day.timed.plan.assignments.push(Assignment {
            ticket: id.clone(),
            engineer: c.engineer.clone(),
            priority,
            distance_km: c.distance_km,
            cost: c.cost,
            candidate_rank: rank as u32,
        });
        Ok(Some(c.engineer.clone()))
    }
}

/// Why a ticket could not be placed, from its candidate ranking.
fn unplaced_reason(ranking: &crate::solve::Ranking, full: u32, max_travel_km: &f64) -> Reason {
    if let Some(first) = ranking.eligible.first() {
        if full as usize == ranking.eligible.len() {
            return Reason::CandidatesFull {
                candidates: full,
                took_higher_priority: 0,
            };
        }
        return Reason::NoTimeInRoute {
            engineer: first.engineer.clone(),
        };
    }
    if ranking.rejected.is_empty() {
        return Reason::NoEngineerInReach {
            max_travel_km: *max_travel_km,
            nearest_km: None,
        };
    }
    let mut screening = Screening {
        in_reach: ranking.rejected.len() as u32,
        ..Screening::default()
    };
    let mut last = Constraint::Reach;
    let mut last_rule = "reach".to_string();
    for r in &ranking.rejected {
        last = r.violation.constraint();
        last_rule = match (&r.violation, last) {
            (crate::Violation::Rule { rule, .. }, _) => rule.clone(),
            (_, Constraint::Skill) => "skill".into(),
            (_, Constraint::Shift) => "on_shift".into(),
            (_, Constraint::Capacity) => "capacity".into(),
            (_, Constraint::Time) => "time".into(),
            _ => "reach".into(),
        };
        screening.count(&last_rule);
    }
    Reason::NoEligibleEngineer {
        constraint: screening.last_removed_by().unwrap_or(last),
        rule: screening.last_rule().map_or(last_rule, str::to_string),
        screening,
    }
}

/// The route with the in-progress stops in front.
fn merge(mut route: Route, fixed: Vec<Stop>) -> Route {
    if fixed.is_empty() {
        return route;
    }
    route.travel_km += fixed.iter().map(|s| s.leg_km).sum::<f64>();
    let mut stops: Vec<Stop> = fixed
        .into_iter()
        .map(|mut s| {
            s.in_progress = true;
            s
        })
        .collect();
    stops.append(&mut route.stops);
    route.stops = stops;
    route
}

/// Replaces (or inserts) an engineer's route, keeping routes sorted by engineer id.
fn put_route(day: &mut DayPlan, route: Route) {
    let routes = &mut day.timed.schedule.routes;
    match routes.binary_search_by(|r| r.engineer.cmp(&route.engineer)) {
        Ok(i) => routes[i] = route,
        Err(i) => routes.insert(i, route),
    }
}
