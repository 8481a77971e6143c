//! Candidate generation: which engineers may take a ticket, at what cost, and why the others may not.
//!
//! The built-in hard constraints are checked in a fixed order — **reach** (great-circle distance within
//! [`Config::max_travel_km`], answered by the R-tree), then **skill** (the engineer's level in the
//! ticket's category at least the ticket's minimum), **shift** (on shift at `now`) and **capacity**
//! (room for one more ticket) and **time** (arrival inside the appointment window, finish within the
//! shift plus overtime; see [`TimeConfig`](super::TimeConfig)). Each rejected engineer is counted against the first constraint it
//! fails, so when a ticket ends with no candidate, the constraint that removed the last one is known.
//! Shift and capacity depend on the engineer only and are computed once per run (a mask).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::{Config, CostWeights};
use super::time::{self, TimeLimit};
use crate::fleet::Fleet;
use crate::geo::Neighbor;
use crate::model::{Engineer, EngineerId, Shift, Ticket};

/// Thousandths of a point: the solver's integer cost unit.
pub(crate) const UNITS_PER_POINT: f64 = 1000.0;

/// A built-in hard constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// Within the maximum travel distance.
    Reach,
    /// Has the ticket's skill at its minimum level.
    Skill,
    /// On shift now.
    Shift,
    /// Has room for another ticket.
    Capacity,
    /// Can arrive inside the appointment window and finish within its shift (plus overtime), and,
    /// with hard deadlines, before the SLA is due; see [`TimeConfig`](super::TimeConfig).
    Time,
}

impl Constraint {
    /// The filters after reach, in the order they are checked.
    pub const FILTERS: [Constraint; 4] = [
        Constraint::Skill,
        Constraint::Shift,
        Constraint::Capacity,
        Constraint::Time,
    ];
}

/// What an engineer near a ticket fails, with the numbers that make it fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "constraint", rename_all = "snake_case")]
pub enum Violation {
    /// Too far away.
    Reach {
        /// The engineer's distance.
        distance_km: f64,
        /// The limit.
        max_travel_km: f64,
    },
    /// Skill level too low (0 when the engineer lacks the skill).
    Skill {
        /// The skill (the ticket's category).
        skill: String,
        /// The engineer's level.
        level: u8,
        /// The level the ticket needs.
        required: u8,
    },
    /// Not working at `now`.
    Shift {
        /// The engineer's shift.
        shift: Option<Shift>,
    },
    /// No room for another ticket.
    Capacity {
        /// The engineer's capacity.
        capacity: i32,
        /// Tickets already held.
        open_tickets: i32,
    },
    /// Cannot do the ticket in time.
    Time {
        /// The limit it would break.
        limit: TimeLimit,
    },
}

impl Violation {
    /// The constraint violated.
    pub fn constraint(&self) -> Constraint {
        match self {
            Violation::Reach { .. } => Constraint::Reach,
            Violation::Skill { .. } => Constraint::Skill,
            Violation::Shift { .. } => Constraint::Shift,
            Violation::Capacity { .. } => Constraint::Capacity,
            Violation::Time { .. } => Constraint::Time,
        }
    }
}

/// The cost of giving a ticket to an engineer, term by term, in points.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// Travel distance times its weight.
    pub travel: f64,
    /// Tickets already held times their weight.
    pub load: f64,
    /// Skill levels above the minimum times their weight.
    pub overqualification: f64,
    /// Convex load-balancing cost of this ticket's slot (0 unless load balancing is on).
    pub load_balance: f64,
    /// Overtime and predicted SLA lateness if the ticket were the engineer's next stop
    /// ([`TimeConfig`](super::TimeConfig)); left out of the document when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time: f64,
    /// Set by the time planner ([`sla`](crate::sla)): lateness that sequencing predicts beyond the
    /// first stop, fairness over the day, and the disruption penalty of moving a ticket when
    /// re-planning; left out of the document when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub adjustment: f64,
    /// The sum of the terms.
    pub total: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl CostBreakdown {
    pub(crate) fn new(
        w: &CostWeights,
        engineer: &Engineer,
        ticket: &Ticket,
        distance_km: f64,
    ) -> Self {
        let travel = w.travel_per_km * distance_km;
        let load = w.load_per_open_ticket * f64::from(engineer.open_tickets.max(0));
        let over = engineer
            .skill_level(&ticket.category)
            .saturating_sub(ticket.min_level);
        let overqualification = w.overqualification_per_level * f64::from(over);
        CostBreakdown {
            travel,
            load,
            overqualification,
            load_balance: 0.0,
            time: 0.0,
            adjustment: 0.0,
            total: travel + load + overqualification,
        }
    }

    /// The full arc cost of a pair: distance terms, then the first-stop time cost. `None` when the
    /// pair is infeasible in time.
    pub(crate) fn for_pair(
        config: &Config,
        engineer: &Engineer,
        ticket: &Ticket,
        distance_km: f64,
        now: DateTime<Utc>,
    ) -> Result<Self, TimeLimit> {
        let mut c = CostBreakdown::new(&config.weights, engineer, ticket, distance_km);
        let stop = time::first_stop(&config.time, engineer, ticket, distance_km, now)?;
        c.time = stop.cost(&config.time, ticket.priority);
        c.total += c.time;
        Ok(c)
    }

    pub(crate) fn with_adjustment(mut self, points: f64) -> Self {
        self.adjustment = points;
        self.total += points;
        self
    }

    pub(crate) fn with_load_balance(mut self, points: f64) -> Self {
        self.load_balance = points;
        self.total += points;
        self
    }
}

/// Converts points to the solver's integer units.
pub(crate) fn units(points: f64) -> i64 {
    (points * UNITS_PER_POINT).round() as i64
}

/// An engineer who may take the ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The engineer.
    pub engineer: EngineerId,
    /// Great-circle distance to the ticket.
    pub distance_km: f64,
    /// The cost of the assignment.
    pub cost: CostBreakdown,
}

/// A nearby engineer who may not take the ticket, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// The engineer.
    pub engineer: EngineerId,
    /// Great-circle distance to the ticket.
    pub distance_km: f64,
    /// The first constraint it fails, with the numbers.
    pub violation: Violation,
}

/// Every eligible engineer for one ticket ranked by cost, and the nearby ones that are not eligible.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ranking {
    /// Eligible engineers, cheapest first (ties: nearer, then id).
    pub eligible: Vec<Candidate>,
    /// Engineers within reach that fail a constraint, nearest first (ties by id).
    pub rejected: Vec<Rejection>,
}

/// How many engineers each constraint removed for one ticket (or summed over a run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Screening {
    /// Engineers within reach (before the filters).
    pub in_reach: u32,
    /// Removed by skill.
    pub skill: u32,
    /// Removed by shift.
    pub shift: u32,
    /// Removed by capacity.
    pub capacity: u32,
    /// Removed by time (window, shift end, hard deadline, route).
    #[serde(default)]
    pub time: u32,
}

impl Screening {
    pub(crate) fn count(&mut self, c: Constraint) {
        match c {
            Constraint::Reach => {}
            Constraint::Skill => self.skill += 1,
            Constraint::Shift => self.shift += 1,
            Constraint::Capacity => self.capacity += 1,
            Constraint::Time => self.time += 1,
        }
    }

    /// The constraint that removed the last engineer in reach, if none survived the filters.
    pub fn last_removed_by(&self) -> Option<Constraint> {
        if self.in_reach == 0 {
            return Some(Constraint::Reach);
        }
        let mut left = self.in_reach;
        for (c, n) in
            Constraint::FILTERS
                .into_iter()
                .zip([self.skill, self.shift, self.capacity, self.time])
        {
            left -= n;
            if left == 0 {
                return Some(c);
            }
        }
        None
    }

    pub(crate) fn add(&mut self, other: &Screening) {
        self.in_reach += other.in_reach;
        self.skill += other.skill;
        self.shift += other.shift;
        self.capacity += other.capacity;
        self.time += other.time;
    }
}

/// Engineer-only facts for one run: the first engineer-only constraint each engineer fails.
///
/// A whole run computes it once for every engineer; a single-ticket query computes it for the few
/// engineers it looks at.
pub(crate) struct Mask {
    now: DateTime<Utc>,
    blocked: Option<Vec<Option<Constraint>>>,
}

impl Mask {
    /// Precomputed for every engineer. `O(engineers)`.
    pub(crate) fn new(fleet: &Fleet, now: DateTime<Utc>) -> Mask {
        let blocked = fleet
            .engineers()
            .iter()
            .map(|e| engineer_block(e, now))
            .collect();
        Mask {
            now,
            blocked: Some(blocked),
        }
    }

    /// Computed on demand, for queries that look at a handful of engineers.
    pub(crate) fn lazy(now: DateTime<Utc>) -> Mask {
        Mask { now, blocked: None }
    }

    fn blocked(&self, fleet: &Fleet, e: u32) -> Option<Constraint> {
        match &self.blocked {
            Some(b) => b[e as usize],
            None => engineer_block(&fleet.engineers()[e as usize], self.now),
        }
    }
}

fn engineer_block(e: &Engineer, now: DateTime<Utc>) -> Option<Constraint> {
    if !e.on_shift(now) {
        Some(Constraint::Shift)
    } else if e.remaining_capacity() == 0 {
        Some(Constraint::Capacity)
    } else {
        None
    }
}

/// Which engineers a ticket may go to beyond the built-in constraints (`false`: counted as
/// [`Constraint::Time`], limit [`TimeLimit::Route`]). Set by the time planner.
pub(crate) type Allowed<'a> = Option<&'a (dyn Fn(u32) -> bool + Sync)>;

/// The first constraint engineer `e` fails for `ticket` (reach excluded), or `None` when eligible.
/// A pinned ticket skips the skill check: the user's pin overrides it.
/// `skill` is the fleet's number for the ticket's category (`None`: no engineer has it).
fn check(
    fleet: &Fleet,
    mask: &Mask,
    config: &Config,
    ticket: &Ticket,
    skill: Option<u32>,
    n: Neighbor,
    allowed: Allowed<'_>,
) -> Option<Constraint> {
    let e = n.index;
    if ticket.pinned_engineer.is_none() && fleet.level(e, skill) < ticket.min_level {
        return Some(Constraint::Skill);
    }
    if let Some(c) = mask.blocked(fleet, e) {
        return Some(c);
    }
    if time_limit(fleet, mask, config, ticket, n, allowed).is_some() {
        return Some(Constraint::Time);
    }
    None
}

/// The time limit engineer `n` breaks for `ticket`, if any.
fn time_limit(
    fleet: &Fleet,
    mask: &Mask,
    config: &Config,
    ticket: &Ticket,
    n: Neighbor,
    allowed: Allowed<'_>,
) -> Option<TimeLimit> {
    let engineer = &fleet.engineers()[n.index as usize];
    if let Err(limit) = time::first_stop(&config.time, engineer, ticket, n.distance_km, mask.now) {
        return Some(limit);
    }
    if allowed.is_some_and(|ok| !ok(n.index)) {
        return Some(TimeLimit::Route);
    }
    None
}

/// The engineers within reach of one ticket: eligible ones (at most `max_candidates`, nearest first)
/// and the screening counts. A pinned ticket's only engineer is its pinned one, wherever it is.
pub(crate) fn screen(
    fleet: &Fleet,
    mask: &Mask,
    config: &Config,
    ticket: &Ticket,
    allowed: Allowed<'_>,
    mut rejected: Option<&mut Vec<(Neighbor, Constraint)>>,
) -> (Vec<Neighbor>, Screening) {
    let mut screening = Screening::default();
    let mut eligible: Vec<Neighbor> = Vec::new();
    let skill = fleet.skill_id(&ticket.category);
    if let Some(pinned) = &ticket.pinned_engineer {
        // Validation guarantees the pinned engineer exists.
        if let Some(e) = fleet.position(pinned) {
            let n = Neighbor {
                index: e,
                distance_km: crate::geo::distance_km(
                    ticket.location,
                    fleet.engineers()[e as usize].location,
                ),
            };
            screening.in_reach = 1;
            match check(fleet, mask, config, ticket, skill, n, allowed) {
                None => eligible.push(n),
                Some(c) => {
                    screening.count(c);
                    if let Some(r) = rejected.as_deref_mut() {
                        r.push((n, c));
                    }
                }
            }
        }
        return (eligible, screening);
    }
    let cap = config.max_candidates;
    let mut boundary = f64::INFINITY;
    fleet
        .index()
        .visit_nearest(ticket.location, config.max_travel_km, |n| {
            if n.distance_km > boundary {
                return false;
            }
            screening.in_reach += 1;
            match check(fleet, mask, config, ticket, skill, n, allowed) {
                None => {
                    eligible.push(n);
                    if eligible.len() == cap {
                        // Keep going only for engineers tied at this distance, so ties break by id.
                        boundary = n.distance_km;
                    }
                }
                Some(c) => {
                    screening.count(c);
                    if let Some(r) = rejected.as_deref_mut() {
                        r.push((n, c));
                    }
                }
            }
            cap > 0
        });
    crate::geo::sort_neighbors(&mut eligible);
    eligible.truncate(cap);
    (eligible, screening)
}

/// Sorts rejected engineers by (distance, engineer position): nearest first, ties by id.
pub(crate) fn sort_pairs(v: &mut [(Neighbor, Constraint)]) {
    v.sort_unstable_by(|a, b| {
        a.0.distance_km
            .total_cmp(&b.0.distance_km)
            .then(a.0.index.cmp(&b.0.index))
    });
}

/// The full violation record for a rejected engineer.
pub(crate) fn violation(
    engineer: &Engineer,
    ticket: &Ticket,
    c: Constraint,
    config: &Config,
    km: f64,
    now: DateTime<Utc>,
) -> Violation {
    match c {
        Constraint::Reach => Violation::Reach {
            distance_km: km,
            max_travel_km: config.max_travel_km,
        },
        Constraint::Skill => Violation::Skill {
            skill: ticket.category.clone(),
            level: engineer.skill_level(&ticket.category),
            required: ticket.min_level,
        },
        Constraint::Shift => Violation::Shift {
            shift: engineer.shift,
        },
        Constraint::Capacity => Violation::Capacity {
            capacity: engineer.capacity,
            open_tickets: engineer.open_tickets,
        },
        Constraint::Time => Violation::Time {
            limit: time::first_stop(&config.time, engineer, ticket, km, now)
                .err()
                .unwrap_or(TimeLimit::Route),
        },
    }
}
