//! Candidate generation: which engineers may take a ticket, at what cost, and why the others may not.
//!
//! Every rule comes from the dispatcher's [`Policy`](crate::rules::Policy) (the default one when the
//! host gives none): the spatial index looks only at engineers within the policy's reach (its first
//! unguarded `require ...: travel <= X`), nearest first; the policy's compiled pair program screens
//! and scores them; and its per-engineer limits give each engineer's room. Each rejected engineer is
//! counted against the first rule it fails, so when a ticket ends with no candidate, the rule that
//! removed the last one is known. The typed [`Constraint`]s are the default policy's rules by name.
//!
//! After the policy, the time model ([`TimeConfig`](super::TimeConfig)) checks that the engineer can
//! arrive inside the ticket's appointment window and finish within its shift plus overtime (and, with
//! hard deadlines, before the SLA is due); a pair that cannot is rejected as `time`, and the others
//! pay their overtime and predicted lateness on top of the policy's cost.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::Config;
use super::time::{self, StopTimes, TimeLimit};
use crate::error::Error;
use crate::fleet::{Fleet, SkillTable};
use crate::geo::{BandGrid, GridWalk, Keep, Neighbor};
use crate::model::{Engineer, EngineerId, Priority, Shift, Ticket};
use crate::rules::{Evaluator, Policy, PreparedTicket, Program, ScreenScratch, Triage};

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
    /// Any other rule of the dispatcher's policy (see [`Violation::Rule`] and
    /// [`Screening::rules`]).
    Rule,
    /// Can arrive inside the appointment window and finish within its shift (plus overtime), and,
    /// with hard deadlines, before the SLA is due; see [`TimeConfig`](super::TimeConfig).
    Time,
}

impl Constraint {
    /// The filters after reach, in the order they are checked.
    pub const FILTERS: [Constraint; 3] =
        [Constraint::Skill, Constraint::Shift, Constraint::Capacity];
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
        /// The skill (the ticket's category; shared by a ranking's rejections).
        skill: Arc<str>,
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
    /// A policy rule that is not one of the built-in ones.
    Rule {
        /// The rule's name.
        rule: String,
        /// What would have to change, when the rule says.
        counterfactual: Option<String>,
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
            Violation::Rule { .. } => Constraint::Rule,
            Violation::Time { .. } => Constraint::Time,
        }
    }
}

/// The cost of giving a ticket to an engineer, term by term, in points: the policy's scores. The
/// default policy's `distance`, `busy` and `overqualified` scores have their own fields; every other
/// score adds to `other` (see [`Policy::explain`](crate::rules::Policy::explain) for each rule).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// The `distance` score (travel distance times its weight).
    pub travel: f64,
    /// The `busy` score (tickets already held times their weight).
    pub load: f64,
    /// The `overqualified` score (skill levels above the minimum times their weight).
    pub overqualification: f64,
    /// Every other score of the policy.
    #[serde(default)]
    pub other: f64,
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

/// The [`CostBreakdown`] field a score adds to, by the score's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Term {
    Travel,
    Load,
    Overqualification,
    Other,
}

impl Term {
    pub(crate) fn of(name: &str) -> Term {
        match name {
            "distance" => Term::Travel,
            "busy" => Term::Load,
            "overqualified" => Term::Overqualification,
            _ => Term::Other,
        }
    }
}

impl CostBreakdown {
    pub(crate) fn from_terms(terms: &[(String, f64)]) -> Self {
        let mut c = CostBreakdown::default();
        for (name, points) in terms {
            c.add(Term::of(name), *points);
        }
        c
    }

    /// Adds one score's points (scores are added in policy order).
    pub(crate) fn add(&mut self, term: Term, points: f64) {
        match term {
            Term::Travel => self.travel += points,
            Term::Load => self.load += points,
            Term::Overqualification => self.overqualification += points,
            Term::Other => self.other += points,
        }
        self.total += points;
    }

    /// Adds the first-stop time cost of a pair.
    pub(crate) fn with_time(mut self, points: f64) -> Self {
        self.time = points;
        self.total += points;
        self
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

/// How many engineers one rule rejected.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RuleCount {
    /// The rule (a `require`, or a `limit` for engineers with no room left).
    pub rule: String,
    /// Engineers it rejected first.
    pub rejected: u32,
}

/// How many engineers each rule removed for one ticket (or summed over a run).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Screening {
    /// Engineers within reach (before the filters).
    pub in_reach: u32,
    /// Removed by the default policy's `skill` rule.
    pub skill: u32,
    /// Removed by the default policy's `on_shift` rule.
    pub shift: u32,
    /// Removed by the default policy's `capacity` limit (no room left).
    pub capacity: u32,
    /// Removed by time (window, shift end, hard deadline, route).
    #[serde(default)]
    pub time: u32,
    /// Removed by each rule, in evaluation order (requires, then limits); rules that removed none
    /// are left out.
    pub rules: Vec<RuleCount>,
}

impl Constraint {
    /// The built-in constraint a default-policy rule stands for.
    pub fn from_rule(name: &str) -> Option<Constraint> {
        Some(match name {
            "reach" => Constraint::Reach,
            "skill" => Constraint::Skill,
            "on_shift" => Constraint::Shift,
            "capacity" => Constraint::Capacity,
            "time" => Constraint::Time,
            _ => return None,
        })
    }
}

impl Screening {
    /// Counts `n` engineers removed by `rule`.
    pub(crate) fn count_many(&mut self, rule: &str, n: u32) {
        if n == 0 {
            return;
        }
        match Constraint::from_rule(rule) {
            Some(Constraint::Skill) => self.skill += n,
            Some(Constraint::Shift) => self.shift += n,
            Some(Constraint::Capacity) => self.capacity += n,
            Some(Constraint::Time) => self.time += n,
            _ => {}
        }
        match self.rules.iter_mut().find(|r| r.rule == rule) {
            Some(r) => r.rejected += n,
            None => self.rules.push(RuleCount {
                rule: rule.to_string(),
                rejected: n,
            }),
        }
    }

    pub(crate) fn count(&mut self, rule: &str) {
        match Constraint::from_rule(rule) {
            Some(Constraint::Skill) => self.skill += 1,
            Some(Constraint::Shift) => self.shift += 1,
            Some(Constraint::Capacity) => self.capacity += 1,
            Some(Constraint::Time) => self.time += 1,
            _ => {}
        }
        match self.rules.iter_mut().find(|r| r.rule == rule) {
            Some(r) => r.rejected += 1,
            None => self.rules.push(RuleCount {
                rule: rule.to_string(),
                rejected: 1,
            }),
        }
    }

    /// The rule that removed the last engineer in reach, if none survived (`reach` when no
    /// engineer was in reach at all).
    pub fn last_rule(&self) -> Option<&str> {
        if self.in_reach == 0 {
            return Some("reach");
        }
        let removed: u32 = self.rules.iter().map(|r| r.rejected).sum();
        if removed < self.in_reach {
            return None;
        }
        self.rules.last().map(|r| r.rule.as_str())
    }

    /// The built-in constraint that removed the last engineer in reach, if none survived and the
    /// rule is one of the default policy's.
    pub fn last_removed_by(&self) -> Option<Constraint> {
        self.last_rule().and_then(Constraint::from_rule)
    }

    pub(crate) fn add(&mut self, other: &Screening) {
        self.in_reach += other.in_reach;
        self.skill += other.skill;
        self.shift += other.shift;
        self.capacity += other.capacity;
        self.time += other.time;
        for r in &other.rules {
            match self.rules.iter_mut().find(|x| x.rule == r.rule) {
                Some(x) => x.rejected += r.rejected,
                None => self.rules.push(r.clone()),
            }
        }
    }
}

/// What screening found for one ticket.
pub(crate) struct Screened {
    /// Eligible engineers, nearest first (at most `max_candidates`).
    pub eligible: Vec<Neighbor>,
    /// The policy's cost of each, in points (same order).
    pub cost: Vec<f64>,
    /// The time model's first-stop cost of each, in points, included in `cost` (same order).
    pub time: Vec<f64>,
    pub screening: Screening,
    /// The ticket's priority after triage.
    pub priority: Priority,
    /// The ticket as the evaluator prepared it (for the ranking's breakdown).
    pub ticket: PreparedTicket,
}

/// What a screening has found so far.
#[derive(Default)]
struct Found {
    in_reach: u32,
    eligible: Vec<Neighbor>,
    cost: Vec<f64>,
    time: Vec<f64>,
}

/// A rejected engineer: where it is, and the rule (index into [`Screener::rule_names`]).
pub(crate) type Rejected = (Neighbor, usize);

/// Which engineers a ticket may go to beyond the policy and the time model (`false`: counted as
/// `time`, limit [`TimeLimit::Route`]), and extra points on the others. Set by the time planner.
pub(crate) type Allowed<'a> = Option<&'a (dyn Fn(u32) -> bool + Sync)>;

/// Where a screening takes its engineers from, nearest first.
enum Source<'w> {
    /// A subset, sorted, with evaluator lanes.
    Subset(std::vec::IntoIter<(Neighbor, usize)>),
    /// The fleet's grid walk (lane = fleet position).
    Walk(GridWalk<'w>),
    /// The walk of a skill's holders ([`SkillGrid`]), whose positions map to the fleet's.
    Holders(GridWalk<'w>, &'w [u32]),
}

impl Iterator for Source<'_> {
    type Item = (Neighbor, usize);

    fn next(&mut self) -> Option<(Neighbor, usize)> {
        match self {
            Source::Subset(v) => v.next(),
            Source::Walk(w) => w.next().map(|n| (n, n.index as usize)),
            Source::Holders(w, fleet_at) => w.next().map(|n| {
                let index = fleet_at[n.index as usize];
                let n = Neighbor {
                    index,
                    distance_km: n.distance_km,
                };
                (n, index as usize)
            }),
        }
    }
}

/// One skill's engineers in two grids of their own, for the skill gate's walks in a long run
/// (see [`Screener::skill_grids`]): the holders (level above 0), with their fleet positions and
/// levels, and everyone else, who fails the gate whatever the ticket's minimum level (above 0).
/// A walk over the holders meets only the engineers the gate may keep (about a third of a
/// generated city's, against every engineer in reach for a walk over the fleet), and the others
/// within the distance examined are counted in one pass over their own grid.
struct SkillGrid {
    holders: BandGrid,
    /// Position in the fleet of each holder, by position in `holders`.
    fleet_at: Vec<u32>,
    /// Each holder's level, by position in `holders`.
    levels: Vec<u8>,
    others: BandGrid,
}

impl SkillGrid {
    fn new(fleet: &Fleet, table: &SkillTable, id: u32) -> SkillGrid {
        let (mut fleet_at, mut levels, mut held, mut other) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (e, engineer) in (0u32..).zip(fleet.engineers()) {
            match table.level(e, Some(id)) {
                0 => other.push(engineer.location),
                level => {
                    fleet_at.push(e);
                    levels.push(level);
                    held.push(engineer.location);
                }
            }
        }
        // Each grid's bands as high as the fleet's at its own density (the fleet's band height is
        // about the distance to the 32nd nearest engineer, which grows as one over the square
        // root of the density).
        let n = fleet.len() as f64;
        let band = |k: usize| fleet.index().band_deg() * (n / k.max(1) as f64).sqrt();
        SkillGrid {
            holders: BandGrid::new(&held, band(held.len())),
            others: BandGrid::new(&other, band(other.len())),
            fleet_at,
            levels,
        }
    }
}

/// Whether a full-fleet run of about `tickets` tickets over `engineers` engineers with `skills`
/// skill names walks per-skill grids: building a skill's two grids costs about what they save
/// on a number of its tickets a fourteenth of the fleet's size (generated city L: 12 M
/// instructions against 17 k a ticket), so a run needs about a tenth of the fleet's size in
/// tickets for each skill name.
fn skill_grids_pay(tickets: usize, engineers: usize, skills: usize) -> bool {
    tickets >= 64 && tickets.saturating_mul(10) >= engineers.saturating_mul(skills)
}

/// One run's screening state: the policy prepared over the fleet.
pub(crate) struct Screener<'a> {
    fleet: &'a Fleet,
    policy: &'a Policy,
    eval: Evaluator<'a>,
    /// Positions (in the fleet) of the engineers the evaluator covers, when not all of them.
    subset: Option<Vec<u32>>,
    /// A subset's distances to the one ticket it was prepared for ([`Screener::subset`]).
    subset_km: Vec<f64>,
    /// The subset's `(fleet position, lane)` pairs sorted by position, so a lane is found in
    /// `O(log n)` (a linear search made a ranking with a million engineers in reach quadratic).
    lanes: Vec<(u32, u32)>,
    /// Tickets each engineer may still take under the policy's per-engineer limits.
    room: Vec<u32>,
    /// Requires, then the limit that removes engineers with no room, then `time`.
    pub rule_names: Vec<String>,
    /// For each rule, the first rule with the same name (counts go there, so a name counts once,
    /// at its first place in evaluation order).
    first_of: Vec<usize>,
    /// Each score's [`CostBreakdown`] field and its program alone, in policy order.
    scores: Vec<(Term, &'a Program)>,
    config: &'a Config,
    now: DateTime<Utc>,
    /// The skill gate's rule and the fleet's skills, for full-fleet screeners of a policy with a
    /// gate: engineers without the level are counted against the rule without the pair program.
    gate: Option<(usize, &'a SkillTable)>,
    /// Per skill id of the gate's table, its [`SkillGrid`], built by the first ticket that needs
    /// it; empty when the run is too short for them to pay ([`skill_grids_pay`]). Used by
    /// screenings that list no rejected engineer (a ranking lists them, and walks the fleet).
    skill_grids: Vec<OnceLock<SkillGrid>>,
    /// The fleet's ids, copied side by side by the first ranking of a full-fleet screener (a
    /// ranking clones the ~150 ids it lists: from here each is one cache line, the engineers' own
    /// are scattered over the fleet's memory; a run never needs them).
    ids: OnceLock<Vec<EngineerId>>,
    /// Each engineer's shift in minutes since `now`, for full-fleet screeners (a subset's few
    /// engineers are read as they come).
    shifts: Option<Vec<Option<(f64, f64)>>>,
}

impl<'a> Screener<'a> {
    /// Prepares the policy over the whole fleet (engineer-only work once). `max_tickets` caps each
    /// engineer's room: no one can take more tickets than the run has.
    pub(crate) fn new(
        fleet: &'a Fleet,
        policy: &'a Policy,
        config: &'a Config,
        now: DateTime<Utc>,
        max_tickets: usize,
    ) -> Result<Screener<'a>, Error> {
        let eval = policy.evaluator(fleet.engineers(), now)?;
        Ok(Screener::finish(
            fleet,
            policy,
            config,
            now,
            eval,
            None,
            max_tickets,
        ))
    }

    /// Prepares the policy over a few engineers only, those `near` one ticket with their
    /// distances to it (a real-time query): the screener screens that ticket only.
    pub(crate) fn subset(
        fleet: &'a Fleet,
        policy: &'a Policy,
        config: &'a Config,
        now: DateTime<Utc>,
        near: &[Neighbor],
    ) -> Result<Screener<'a>, Error> {
        let engineers = fleet.engineers();
        let eval = policy.evaluator_of(near.iter().map(|n| &engineers[n.index as usize]), now)?;
        let mut screener = Screener::finish(
            fleet,
            policy,
            config,
            now,
            eval,
            Some(near.iter().map(|n| n.index).collect()),
            usize::MAX,
        );
        screener.subset_km = near.iter().map(|n| n.distance_km).collect();
        Ok(screener)
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        fleet: &'a Fleet,
        policy: &'a Policy,
        config: &'a Config,
        now: DateTime<Utc>,
        eval: Evaluator<'a>,
        subset: Option<Vec<u32>>,
        max_tickets: usize,
    ) -> Screener<'a> {
        let n = subset.as_ref().map_or(fleet.len(), Vec::len);
        let cap = u32::try_from(max_tickets).unwrap_or(u32::MAX);
        let room = (0..n)
            .map(|i| {
                eval.room(i).map_or(cap, |r| {
                    u32::try_from(r.max(0)).unwrap_or(u32::MAX).min(cap)
                })
            })
            .collect();
        let mut rule_names: Vec<String> = policy
            .require_names()
            .into_iter()
            .map(String::from)
            .collect();
        rule_names.push(
            policy
                .limits()
                .into_iter()
                .find(|l| l.team.is_none())
                .map_or_else(|| "limit".to_string(), |l| l.name),
        );
        rule_names.push("time".to_string());
        let first_of = (0..rule_names.len())
            .map(|i| {
                rule_names
                    .iter()
                    .position(|r| *r == rule_names[i])
                    .unwrap_or(i)
            })
            .collect();
        let scores = policy
            .score_programs()
            .into_iter()
            .map(|(name, program)| (Term::of(name), program))
            .collect();
        let mut lanes: Vec<(u32, u32)> = subset
            .iter()
            .flatten()
            .enumerate()
            .map(|(lane, &e)| (e, lane as u32))
            .collect();
        lanes.sort_unstable();
        let gate = match (&subset, policy.skill_gate()) {
            (None, Some(rule)) => Some((rule, fleet.skills())),
            _ => None,
        };
        let skill_grids = match &gate {
            Some((_, table)) if skill_grids_pay(max_tickets, fleet.len(), table.ids.len()) => {
                table.ids.values().map(|_| OnceLock::new()).collect()
            }
            _ => Vec::new(),
        };
        let shifts = subset.is_none().then(|| {
            fleet
                .engineers()
                .iter()
                .map(|e| time::shift_minutes(e, now))
                .collect()
        });
        Screener {
            gate,
            skill_grids,
            ids: OnceLock::new(),
            shifts,
            first_of,
            scores,
            fleet,
            policy,
            eval,
            subset,
            subset_km: Vec::new(),
            lanes,
            room,
            rule_names,
            config,
            now,
        }
    }

    /// The time model's verdict on a pair that passed the policy: `Err` with the limit it breaks,
    /// or the first-stop time cost in points.
    fn time_cost(
        &self,
        priority: Priority,
        times: &StopTimes,
        n: Neighbor,
        allowed: Allowed<'_>,
    ) -> Result<f64, TimeLimit> {
        let shift = match &self.shifts {
            Some(shifts) => shifts[n.index as usize],
            None => time::shift_minutes(&self.fleet.engineers()[n.index as usize], self.now),
        };
        let stop = time::first_stop_at(&self.config.time, shift, times, n.distance_km)?;
        if allowed.is_some_and(|ok| !ok(n.index)) {
            return Err(TimeLimit::Route);
        }
        Ok(stop.cost(&self.config.time, priority))
    }

    /// The policy prepared over the screened engineers.
    pub(crate) fn evaluator(&self) -> &Evaluator<'a> {
        &self.eval
    }

    /// The room of fleet engineer `e` (only for full-fleet screeners).
    pub(crate) fn room_of(&self, e: u32) -> u32 {
        self.room[e as usize]
    }

    /// The id of fleet engineer `e`.
    fn id_of(&self, e: u32) -> EngineerId {
        match &self.subset {
            // A subset's few ids are read from the engineers.
            Some(_) => self.fleet.engineers()[e as usize].id.clone(),
            None => self.ids.get_or_init(|| {
                (self.fleet.engineers().iter())
                    .map(|g| EngineerId::from(g.id.as_str()))
                    .collect()
            })[e as usize]
                .clone(),
        }
    }

    /// Evaluator lane of fleet engineer `e`.
    fn lane(&self, e: u32) -> Option<u32> {
        match &self.subset {
            None => Some(e),
            // The first lane of `e` (as a linear search would find it).
            Some(_) => {
                let at = self.lanes.partition_point(|&(x, _)| x < e);
                self.lanes
                    .get(at)
                    .filter(|&&(x, _)| x == e)
                    .map(|&(_, l)| l)
            }
        }
    }

    /// Screens one ticket: eligible engineers (at most `cap`, nearest first), their costs and the
    /// screening counts. A pinned ticket's only engineer is its pinned one, wherever it is, and the
    /// pin overrides the `require` rules (the engineer's limits still apply).
    pub(crate) fn screen(
        &self,
        ticket: &Ticket,
        cap: usize,
        scratch: &mut ScreenScratch,
        allowed: Allowed<'_>,
        mut rejected: Option<&mut Vec<Rejected>>,
    ) -> Result<Screened, Error> {
        let mut prepared = self.eval.ticket(ticket)?;
        let (priority, times) = triaged_times(ticket, &prepared, self.now);
        // Engineers removed by each rule (at the first rule of that name), in evaluation order.
        let mut counts = vec![0u32; self.rule_names.len()];
        let mut out = Found {
            eligible: Vec::with_capacity(cap.min(4096)),
            cost: Vec::with_capacity(cap.min(4096)),
            time: Vec::with_capacity(cap.min(4096)),
            ..Found::default()
        };
        let limit_rule = self.rule_names.len() - 2;
        let time_rule = self.rule_names.len() - 1;
        if let Some(pinned) = &ticket.pinned_engineer {
            // Validation guarantees the pinned engineer exists.
            if let (Some(e), Some(lane)) = (
                self.fleet.position(pinned),
                self.fleet.position(pinned).and_then(|e| self.lane(e)),
            ) {
                let n = Neighbor {
                    index: e,
                    distance_km: crate::geo::distance_km(
                        ticket.location,
                        self.fleet.engineers()[e as usize].location,
                    ),
                };
                out.in_reach = 1;
                if self.room[lane as usize] == 0 {
                    counts[self.first_of[limit_rule]] += 1;
                    if let Some(r) = rejected.as_deref_mut() {
                        r.push((n, limit_rule));
                    }
                } else {
                    match self.time_cost(priority, &times, n, allowed) {
                        Ok(time) => {
                            let (_, cost) = self.eval.interpret(&prepared, lane, n.distance_km);
                            out.eligible.push(n);
                            out.cost.push(cost + time);
                            out.time.push(time);
                        }
                        Err(_) => {
                            counts[self.first_of[time_rule]] += 1;
                            if let Some(r) = rejected.as_deref_mut() {
                                r.push((n, time_rule));
                            }
                        }
                    }
                }
            }
            return Ok(self.screened(out, &counts, priority, prepared));
        }
        // The engineers to screen, nearest first, with their evaluator lanes: a lazy walk of the
        // R-tree over the whole fleet (only as far as the windows below need), or the subset sorted.
        let reach = self.policy.reach_km().unwrap_or(f64::INFINITY);
        // The skill gate for this ticket (full-fleet screeners): engineers without the level are
        // set aside by the walk and counted against the gate's rule afterwards.
        let gate = self.gate.as_ref().and_then(|(rule, table)| {
            let (category, min) = self.eval.skill_gate(&prepared)?;
            let id = category.and_then(|c| table.id(&c));
            Some((*rule, table, id, min))
        });
        // A dense skill table gives the walk the skill's level column; a sparse one, a lookup.
        let level_of =
            gate.map(|(_, table, id, min)| move |e: u32| f64::from(table.level(e, id)) >= min);
        let keep = gate
            .zip(level_of.as_ref())
            .map(|((_, table, id, min), level_of)| {
                table
                    .levels(id)
                    .map_or(Keep::Fn(level_of), |levels| Keep::Levels(levels, min))
            });
        // A skill's own grids, when the run has them and the ticket's minimum level is above 0
        // (at 0 every engineer passes the gate).
        let grids = match gate {
            Some((_, table, Some(id), min)) if min > 0.0 && rejected.is_none() => {
                (self.skill_grids.get(id as usize))
                    .map(|g| (g.get_or_init(|| SkillGrid::new(self.fleet, table, id)), min))
            }
            _ => None,
        };
        let mut neighbors = match &self.subset {
            Some(s) => {
                let mut v: Vec<(Neighbor, usize)> = (s.iter().zip(&self.subset_km))
                    .zip(0..)
                    .map(|((&index, &distance_km), lane)| (Neighbor { index, distance_km }, lane))
                    .filter(|(n, _)| n.distance_km <= reach)
                    .collect();
                sort_pairs(&mut v);
                Source::Subset(v.into_iter())
            }
            None => match grids {
                // Most holders pass the gate: a smaller first ring.
                Some((g, min)) => Source::Holders(
                    g.holders.walk_filtered(
                        ticket.location,
                        reach,
                        (3 * cap).max(32),
                        Some(Keep::Levels(&g.levels, min)),
                    ),
                    &g.fleet_at,
                ),
                None => Source::Walk(self.fleet.index().nearest_iter_filtered(
                    ticket.location,
                    reach,
                    (7 * cap).max(32),
                    keep,
                )),
            },
        };
        // Screen in windows, nearest first, until `cap` engineers are eligible; engineers
        // tied in distance with the last one kept are examined too, so ties break by id.
        let mut boundary = f64::INFINITY;
        let mut window = (2 * cap).max(32);
        let mut batch: Vec<Neighbor> = Vec::with_capacity(window);
        let mut idx = Vec::with_capacity(window);
        let mut travel = Vec::with_capacity(window);
        let mut ff = Vec::with_capacity(window);
        let mut cost = Vec::with_capacity(window);
        'windows: loop {
            batch.clear();
            idx.clear();
            for (n, lane) in neighbors.by_ref().take(window) {
                batch.push(n);
                idx.push(lane as u32);
            }
            if batch.is_empty() {
                break;
            }
            travel.clear();
            travel.extend(batch.iter().map(|n| n.distance_km));
            ff.resize(batch.len(), 0);
            cost.resize(batch.len(), 0.0);
            self.eval
                .screen(&mut prepared, &idx, &travel, &mut ff, &mut cost, scratch);
            for (k, n) in batch.iter().enumerate() {
                if n.distance_km > boundary {
                    break 'windows;
                }
                out.in_reach += 1;
                let mut time = 0.0;
                let rule = if ff[k] != u16::MAX {
                    Some(ff[k] as usize)
                } else if self.room[idx[k] as usize] == 0 {
                    Some(limit_rule)
                } else {
                    match self.time_cost(priority, &times, *n, allowed) {
                        Ok(t) => {
                            time = t;
                            None
                        }
                        Err(_) => Some(time_rule),
                    }
                };
                match rule {
                    None => {
                        out.eligible.push(*n);
                        out.cost.push(cost[k] + time);
                        out.time.push(time);
                        if out.eligible.len() == cap {
                            boundary = n.distance_km;
                        }
                    }
                    Some(r) => {
                        counts[self.first_of[r]] += 1;
                        if let Some(v) = rejected.as_deref_mut() {
                            v.push((*n, r));
                        }
                    }
                }
            }
            // The next window: what the eligible share so far says the rest needs, a quarter more.
            let (found, seen) = (out.eligible.len(), out.in_reach as usize);
            let need = cap.saturating_sub(found) * (seen + 1) / (found + 1);
            window = (need + need / 4).clamp(16, 2 * window);
        }
        // The engineers the gate set aside, within the distance examined: everyone up to the last
        // eligible engineer kept, or everyone in reach.
        let walk = match &neighbors {
            Source::Walk(walk) | Source::Holders(walk, _) => Some(walk),
            Source::Subset(_) => None,
        };
        if let (Some(walk), Some((rule, ..))) = (walk, gate) {
            let examined = if boundary.is_finite() {
                boundary
            } else {
                reach
            };
            let mut listed = Vec::new();
            let mut n = walk.excluded_within(examined, rejected.is_some().then_some(&mut listed));
            // Walking a skill's holders, the engineers without the skill were never met.
            if let Some((g, _)) = grids {
                n += g.others.count_within(ticket.location, examined);
            }
            out.in_reach += n;
            counts[self.first_of[rule]] += n;
            if let Some(v) = rejected {
                merge_set_aside(v, listed, rule);
            }
        }
        if out.eligible.len() > cap {
            out.eligible.truncate(cap);
            out.cost.truncate(cap);
            out.time.truncate(cap);
        }
        Ok(self.screened(out, &counts, priority, prepared))
    }

    /// The screening's outcome, with the counts by rule name (rules that removed no one left out).
    fn screened(
        &self,
        found: Found,
        counts: &[u32],
        priority: Priority,
        ticket: PreparedTicket,
    ) -> Screened {
        let mut screening = Screening {
            in_reach: found.in_reach,
            ..Screening::default()
        };
        for (rule, &n) in self.rule_names.iter().zip(counts) {
            screening.count_many(rule, n);
        }
        Screened {
            eligible: found.eligible,
            cost: found.cost,
            time: found.time,
            screening,
            priority,
            ticket,
        }
    }

    /// The cost of fleet engineer `e` for `ticket`: the policy's scores (by rule) and the time
    /// model's first-stop cost.
    pub(crate) fn breakdown(
        &self,
        ticket: &Ticket,
        e: u32,
        km: f64,
    ) -> Result<CostBreakdown, Error> {
        let prepared = self.eval.ticket(ticket)?;
        let lane = self.lane(e).unwrap_or(0);
        let terms = self.eval.terms(&prepared, lane, km);
        let n = Neighbor {
            index: e,
            distance_km: km,
        };
        let (priority, times) = triaged_times(ticket, &prepared, self.now);
        let time = self.time_cost(priority, &times, n, None).unwrap_or(0.0);
        Ok(CostBreakdown::from_terms(&terms).with_time(time))
    }

    /// The ranking of a screened ticket: eligible engineers with their cost breakdown, cheapest
    /// first, and the rejected ones with the constraint each fails, nearest first. The breakdown
    /// runs each score's compiled program over the eligible engineers (the same points as the
    /// interpreter's [`Evaluator::terms`], added in the same order).
    pub(crate) fn ranking(
        &self,
        ticket: &Ticket,
        screened: Screened,
        mut rejected: Vec<Rejected>,
        scratch: &mut ScreenScratch,
    ) -> Result<Ranking, Error> {
        let engineers = self.fleet.engineers();
        let Screened {
            eligible: found,
            time,
            ticket: mut prepared,
            ..
        } = screened;
        let mut costs = vec![CostBreakdown::default(); found.len()];
        if !found.is_empty() {
            let idx: Vec<u32> = found
                .iter()
                .map(|n| self.lane(n.index).unwrap_or(0))
                .collect();
            let travel: Vec<f64> = found.iter().map(|n| n.distance_km).collect();
            let mut ff = vec![0u16; found.len()];
            let mut points = vec![0.0; found.len()];
            for (term, program) in &self.scores {
                self.eval.run_program(
                    program,
                    &mut prepared,
                    &idx,
                    &travel,
                    &mut ff,
                    &mut points,
                    scratch,
                );
                for (c, &p) in costs.iter_mut().zip(&points) {
                    c.add(*term, p);
                }
            }
        }
        let mut eligible: Vec<Candidate> = found
            .iter()
            .zip(costs)
            .zip(&time)
            .map(|((n, cost), &time)| Candidate {
                engineer: self.id_of(n.index),
                distance_km: n.distance_km,
                cost: cost.with_time(time),
            })
            .collect();
        // Sorted by (cost, distance, id); the candidates arrive sorted by (distance, id) and the sort
        // is stable, so equal costs keep that order.
        eligible.sort_by(|a, b| a.cost.total.total_cmp(&b.cost.total));
        if !rejected.is_sorted_by(|a, b| pair_order(a, b).is_le()) {
            sort_pairs(&mut rejected);
        }
        let kinds: Vec<Option<Constraint>> = self
            .rule_names
            .iter()
            .map(|r| Constraint::from_rule(r))
            .collect();
        // What the ticket asks for after triage (a derive may change the skill or the level).
        let triage = prepared.triage();
        // The skill rule's level from the fleet's numbered skills (not by name per engineer).
        let skills = self.fleet.skills();
        let skill = skills.id(&triage.category);
        let skill_name: Arc<str> = Arc::from(triage.category.as_str());
        let rejected = rejected
            .into_iter()
            .map(|(n, r)| {
                let engineer = &engineers[n.index as usize];
                let violation = match kinds[r] {
                    // Most rejections: one skill name shared by all.
                    Some(Constraint::Skill) => Violation::Skill {
                        skill: skill_name.clone(),
                        level: skills.level(n.index, skill),
                        required: triage.min_level,
                    },
                    kind => self.violation(
                        engineer,
                        (ticket, triage),
                        (kind, &self.rule_names[r]),
                        n.distance_km,
                    ),
                };
                Rejection {
                    engineer: self.id_of(n.index),
                    distance_km: n.distance_km,
                    violation,
                }
            })
            .collect();
        Ok(Ranking { eligible, rejected })
    }
}

/// The ticket's priority and times for the time model, as the policy's triage left them (a derive
/// may raise the priority, set the SLA due time or the duration).
fn triaged_times(
    ticket: &Ticket,
    prepared: &PreparedTicket,
    now: DateTime<Utc>,
) -> (Priority, StopTimes) {
    let t = prepared.triage();
    (
        t.priority,
        StopTimes::with(ticket, t.sla_due, t.duration_min, now),
    )
}

/// Sorts rejected engineers by (distance, engineer position): nearest first, ties by id.
pub(crate) fn sort_pairs(v: &mut [Rejected]) {
    v.sort_unstable_by(pair_order);
}

/// The order of [`sort_pairs`].
fn pair_order(a: &Rejected, b: &Rejected) -> std::cmp::Ordering {
    a.0.distance_km
        .total_cmp(&b.0.distance_km)
        .then(a.0.index.cmp(&b.0.index))
}

/// Sorts neighbours by (distance, index). Distances are never negative (haversine), so their bits
/// order them as `total_cmp` does, with a cheaper key.
fn sort_neighbors_by_bits(v: &mut [Neighbor]) {
    v.sort_unstable_by_key(|n| (n.distance_km.to_bits(), n.index));
}

/// Adds the engineers a walk set aside (`listed`, in no order, all rejected by `rule`) to the
/// rejected ones `v`, which arrive nearest first: sorted, then merged, so that the list stays in
/// (distance, index) order for the ranking.
pub(crate) fn merge_set_aside(v: &mut Vec<Rejected>, mut listed: Vec<Neighbor>, rule: usize) {
    sort_neighbors_by_bits(&mut listed);
    merge_rejected(v, listed, rule);
}

/// Merges `more` (sorted, all rejected by `rule`) into `v` (sorted), keeping (distance, index)
/// order.
fn merge_rejected(v: &mut Vec<Rejected>, more: Vec<Neighbor>, rule: usize) {
    if more.is_empty() {
        return;
    }
    let mine = std::mem::take(v);
    v.reserve(mine.len() + more.len());
    let mut more = more.into_iter().map(|n| (n, rule)).peekable();
    for r in mine {
        while let Some(m) = more.next_if(|m| pair_order(m, &r).is_lt()) {
            v.push(m);
        }
        v.push(r);
    }
    v.extend(more);
}

impl Screener<'_> {
    /// The violation record for a rejected engineer: the built-in kinds for the default policy's
    /// rules, the rule and its counterfactual otherwise. `ticket` comes with its triage, `rule`
    /// with its kind ([`Constraint::from_rule`]).
    fn violation(
        &self,
        engineer: &Engineer,
        (ticket, triage): (&Ticket, &Triage),
        (kind, rule): (Option<Constraint>, &str),
        km: f64,
    ) -> Violation {
        let (policy, config, now) = (self.policy, self.config, self.now);
        let explained = || {
            policy
                .explain(ticket, engineer, now)
                .ok()
                .and_then(|x| x.rules.into_iter().find(|v| v.rule == rule))
                .and_then(|v| v.counterfactual)
        };
        match kind {
            Some(Constraint::Reach) => Violation::Reach {
                distance_km: km,
                max_travel_km: policy.reach_km().unwrap_or(f64::INFINITY),
            },
            Some(Constraint::Skill) => Violation::Skill {
                skill: Arc::from(triage.category.as_str()),
                level: engineer.skill_level(&triage.category),
                required: triage.min_level,
            },
            Some(Constraint::Shift) => Violation::Shift {
                shift: engineer.shift,
            },
            Some(Constraint::Capacity) => Violation::Capacity {
                capacity: engineer.capacity,
                open_tickets: engineer.open_tickets,
            },
            Some(Constraint::Time) => Violation::Time {
                limit: time::first_stop_at(
                    &config.time,
                    time::shift_minutes(engineer, now),
                    &StopTimes::with(ticket, triage.sla_due, triage.duration_min, now),
                    km,
                )
                .err()
                .unwrap_or(TimeLimit::Route),
            },
            None | Some(Constraint::Rule) => Violation::Rule {
                rule: rule.to_string(),
                counterfactual: explained(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LatLon, Shift};
    use crate::solve::Dispatcher;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
    }

    /// Engineers on a small lattice (ties), with one or two skills, some full, some off shift, some
    /// whose shift ends too soon for the time model; tickets in the two categories.
    #[allow(clippy::type_complexity)]
    fn crowd() -> impl Strategy<Value = (Vec<Engineer>, Vec<Ticket>, usize)> {
        let eng = (
            (0..6u8, 0..6u8),
            (0..6u8, 0..6u8),
            (0..4i32, 0..2i32),
            0..4u8,
        );
        let tic = (0..6u8, 0..6u8, 0..6u8, any::<bool>());
        (
            prop::collection::vec(eng, 0..150),
            prop::collection::vec(tic, 1..6),
            1..6usize,
        )
            .prop_map(|(es, ts, cap)| {
                let at = |x: u8, y: u8| {
                    LatLon::new(42.3 + f64::from(y) / 111.0, -71.1 + f64::from(x) / 82.2)
                };
                let engineers = es
                    .into_iter()
                    .enumerate()
                    .map(|(i, ((x, y), (net, hvac), (capacity, open), shift))| {
                        let mut e = Engineer::new(format!("E{i:03}"), at(x, y), capacity)
                            .with_skill("network", net);
                        if hvac > 2 {
                            e = e.with_skill("hvac", hvac);
                        }
                        e.open_tickets = open;
                        e.shift = match shift {
                            0 => None,
                            1 => Some(Shift {
                                start: now() + Duration::hours(1),
                                end: now() + Duration::hours(9),
                            }),
                            2 => Some(Shift {
                                start: now() - Duration::hours(8),
                                end: now() + Duration::minutes(5),
                            }),
                            _ => Some(Shift {
                                start: now() - Duration::hours(1),
                                end: now() + Duration::hours(7),
                            }),
                        };
                        e
                    })
                    .collect();
                let tickets = ts
                    .into_iter()
                    .enumerate()
                    .map(|(i, (x, y, level, hvac))| {
                        let category = if hvac { "hvac" } else { "network" };
                        Ticket::new(format!("T{i}"), at(x, y), category, now())
                            .with_min_level(level.min(5))
                    })
                    .collect();
                (engineers, tickets, cap)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Screening a ticket over the whole fleet (the grid walk, with the default policy's skill
        /// gate deciding engineers without the level) agrees with a brute force over every
        /// engineer: the `cap` nearest eligible ones, and, among every engineer up to the last of
        /// them (or every one in reach), how many each rule rejected first, and which.
        #[test]
        fn screening_matches_a_brute_force((engineers, tickets, cap) in crowd()) {
            let fleet = Fleet::new(engineers).unwrap();
            let d = Dispatcher::new(Config::default().max_travel_km(4.0).max_candidates(cap));
            let screener = Screener::new(&fleet, d.policy(), d.config(), now(), tickets.len()).unwrap();
            prop_assert!(screener.gate.is_some(), "the default policy has a skill gate");
            prop_assert!(screener.skill_grids.is_empty(), "a few tickets walk the fleet");
            // A run as long as this walks each skill's own grids (when it lists no rejected
            // engineer). Its rooms are capped higher, which changes no verdict here: a room is
            // 0 only for an engineer with none left.
            let long = Screener::new(&fleet, d.policy(), d.config(), now(), 1 << 20).unwrap();
            let skills = long.gate.as_ref().map_or(0, |(_, table)| table.ids.len());
            prop_assert_eq!(long.skill_grids.len(), skills);
            let reach = d.policy().reach_km().unwrap();
            let limit = &screener.rule_names[screener.rule_names.len() - 2];
            for t in &tickets {
                // Every engineer in reach with the rule it fails first (`None`: eligible).
                let mut all: Vec<(f64, u32, Option<String>)> = fleet
                    .engineers()
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let km = crate::geo::distance_km(t.location, e.location);
                        let x = d.policy().explain(t, e, now()).unwrap();
                        let rule = if !x.eligible {
                            x.rejected_by.clone()
                        } else if e.remaining_capacity() == 0 {
                            Some(limit.clone())
                        } else if time::first_stop(&d.config().time, e, t, km, now()).is_err() {
                            Some("time".to_string())
                        } else {
                            None
                        };
                        (km, i as u32, rule)
                    })
                    .filter(|x| x.0 <= reach)
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut eligible: Vec<u32> = Vec::new();
                let mut bound = reach;
                for (km, i, rule) in &all {
                    if rule.is_none() && eligible.len() < cap {
                        eligible.push(*i);
                        if eligible.len() == cap {
                            bound = *km;
                        }
                    }
                }
                let examined: Vec<_> = all.iter().filter(|x| x.0 <= bound).collect();
                let mut want_rejected: Vec<(u32, String)> = examined
                    .iter()
                    .filter_map(|(_, i, r)| r.clone().map(|r| (*i, r)))
                    .collect();
                want_rejected.sort();
                let mut counts: BTreeMap<String, u32> = BTreeMap::new();
                for (_, r) in &want_rejected {
                    *counts.entry(r.clone()).or_default() += 1;
                }

                let mut rejected = Vec::new();
                let s = screener
                    .screen(t, cap, &mut ScreenScratch::default(), None, Some(&mut rejected))
                    .unwrap();
                let got: Vec<u32> = s.eligible.iter().map(|n| n.index).collect();
                prop_assert_eq!(&got, &eligible, "eligible for {}", t.id);
                prop_assert_eq!(s.screening.in_reach as usize, examined.len(), "in reach for {}", t.id);
                let got_counts: BTreeMap<String, u32> =
                    s.screening.rules.iter().map(|r| (r.rule.clone(), r.rejected)).collect();
                prop_assert_eq!(&got_counts, &counts, "counts for {}", t.id);
                prop_assert_eq!(s.screening.skill, counts.get("skill").copied().unwrap_or(0));
                let mut got_rejected: Vec<(u32, String)> = rejected
                    .iter()
                    .map(|(n, r)| (n.index, screener.rule_names[*r].clone()))
                    .collect();
                got_rejected.sort();
                prop_assert_eq!(&got_rejected, &want_rejected, "rejected for {}", t.id);

                let s = long.screen(t, cap, &mut ScreenScratch::default(), None, None).unwrap();
                let got: Vec<u32> = s.eligible.iter().map(|n| n.index).collect();
                prop_assert_eq!(&got, &eligible, "eligible for {} (skill grids)", t.id);
                prop_assert_eq!(s.screening.in_reach as usize, examined.len());
                let got_counts: BTreeMap<String, u32> =
                    s.screening.rules.iter().map(|r| (r.rule.clone(), r.rejected)).collect();
                prop_assert_eq!(&got_counts, &counts, "counts for {} (skill grids)", t.id);
            }
        }
    }
}
