//! Dispatch policies: who decides, at each cycle, which waiting ticket goes to which engineer.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fleet::Fleet;
use crate::geo::distance_km;
use crate::model::{Engineer, LatLon, Priority, Ticket};
use crate::solve::{Config, Dispatcher, SolverKind};

/// How engineers move: great-circle distance times a road factor, at a constant speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TravelModel {
    /// Driving speed in km/h.
    pub speed_kmh: f64,
    /// Road distance over great-circle distance.
    pub road_factor: f64,
}

impl TravelModel {
    /// Road kilometres from `a` to `b`.
    pub fn road_km(&self, a: LatLon, b: LatLon) -> f64 {
        distance_km(a, b) * self.road_factor
    }

    /// Driving time from `a` to `b` in whole seconds (rounded).
    pub fn seconds(&self, a: LatLon, b: LatLon) -> i64 {
        (self.road_km(a, b) / self.speed_kmh * 3600.0).round() as i64
    }
}

/// An engineer as a policy sees it at a dispatch cycle.
#[derive(Debug, Clone)]
pub struct EngineerView<'a> {
    /// The engineer's static data (id, skills, team, shift, capacity, home base).
    pub engineer: &'a Engineer,
    /// Where the engineer will be when free: the last queued ticket, the ticket in hand, or where
    /// the engineer is now.
    pub position: LatLon,
    /// When the engineer will be free, if the tickets held take as long as estimated.
    pub free_at: DateTime<Utc>,
    /// Tickets held: the one in hand plus the queued ones.
    pub held: u32,
    /// Visits completed so far in the run.
    pub visits: u32,
    /// Whether the engineer is on shift now and may be given tickets.
    pub on_shift: bool,
}

impl EngineerView<'_> {
    /// Room for more tickets: `capacity − held` (0 when off shift).
    pub fn room(&self) -> u32 {
        if !self.on_shift {
            return 0;
        }
        u32::try_from(self.engineer.capacity.max(0))
            .unwrap_or(0)
            .saturating_sub(self.held)
    }

    /// Whether the engineer has the skill level the ticket needs.
    pub fn qualified(&self, ticket: &Ticket) -> bool {
        self.engineer.skill_level(&ticket.category) >= ticket.min_level
    }
}

/// What a policy sees at a dispatch cycle.
#[derive(Debug, Clone)]
pub struct DispatchView<'a> {
    /// The simulated time of the cycle.
    pub now: DateTime<Utc>,
    /// Waiting tickets, most urgent first: priority, then SLA due (none last), then creation, then
    /// id. Follow-up visits have ids ending in `#2`, `#3`, ...
    pub pending: &'a [&'a Ticket],
    /// Every engineer of the scenario, sorted by id.
    pub engineers: &'a [EngineerView<'a>],
    /// How engineers move.
    pub travel: TravelModel,
}

/// A policy's decision: give `pending[ticket]` to `engineers[engineer]` (indices into the
/// [`DispatchView`]). The engineer must be on shift, qualified and have room; each ticket at most once
/// per cycle. A ticket left out stays waiting for the next cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Decision {
    /// Index into [`DispatchView::pending`].
    pub ticket: usize,
    /// Index into [`DispatchView::engineers`].
    pub engineer: usize,
}

/// A dispatch policy. The simulator calls [`Policy::reset`] once at the start of a run, then
/// [`Policy::decide`] at every dispatch cycle that has waiting tickets and an engineer on shift with
/// room.
///
/// A policy must be deterministic for the simulation to be: same view, same decisions (break ties
/// by index, never by hash-map order or the clock).
///
/// # Examples
/// A policy that gives each ticket to the first qualified engineer with room:
/// ```
/// use dispatchkit::Error;
/// use dispatchkit::sim::{Decision, DispatchView, Policy};
///
/// struct FirstFit;
/// impl Policy for FirstFit {
///     fn name(&self) -> &str {
///         "first fit"
///     }
///     fn decide(&mut self, view: &DispatchView<'_>) -> Result<Vec<Decision>, Error> {
///         let mut room: Vec<u32> = view.engineers.iter().map(|e| e.room()).collect();
///         let mut out = Vec::new();
///         for (t, ticket) in view.pending.iter().enumerate() {
///             let found = view.engineers.iter().enumerate()
///                 .find(|(e, v)| room[*e] > 0 && v.qualified(ticket));
///             if let Some((e, _)) = found {
///                 room[e] -= 1;
///                 out.push(Decision { ticket: t, engineer: e });
///             }
///         }
///         Ok(out)
///     }
/// }
///
/// use dispatchkit::sim::{SimConfig, generate::{CityParams, generate}, simulate};
/// let scenario = generate(&CityParams::new(1, 50, 10));
/// let report = simulate(&scenario, &SimConfig::default(), &mut FirstFit)?;
/// assert_eq!(report.policy, "first fit");
/// assert!(report.kpis.resolved > 0);
/// # Ok::<(), dispatchkit::Error>(())
/// ```
pub trait Policy: Send {
    /// The name shown in reports.
    fn name(&self) -> &str;

    /// Decides which waiting tickets go to which engineers now.
    ///
    /// # Errors
    /// Whatever the policy cannot get past; the simulation stops with it.
    fn decide(&mut self, view: &DispatchView<'_>) -> Result<Vec<Decision>, Error>;

    /// Forgets any state from a previous run. The default does nothing.
    fn reset(&mut self) {}
}

/// Picks, for each waiting ticket in urgency order, the engineer with room and the skill that
/// has the smallest `key` (ties keep the lower index).
fn one_by_one<K: PartialOrd>(
    view: &DispatchView<'_>,
    mut key: impl FnMut(&EngineerView<'_>, &Ticket, u32) -> K,
) -> Vec<Decision> {
    let mut room: Vec<u32> = view.engineers.iter().map(EngineerView::room).collect();
    let mut taken: Vec<u32> = vec![0; view.engineers.len()];
    let mut left: u32 = room.iter().sum();
    let mut out = Vec::new();
    for (t, ticket) in view.pending.iter().enumerate() {
        if left == 0 {
            break;
        }
        let mut best: Option<(K, usize)> = None;
        for (e, v) in view.engineers.iter().enumerate() {
            if room[e] == 0 || !v.qualified(ticket) {
                continue;
            }
            let k = key(v, ticket, taken[e]);
            if best.as_ref().is_none_or(|(b, _)| k < *b) {
                best = Some((k, e));
            }
        }
        if let Some((_, e)) = best {
            room[e] -= 1;
            taken[e] += 1;
            left -= 1;
            out.push(Decision {
                ticket: t,
                engineer: e,
            });
        }
    }
    out
}

/// Round-robin: tickets in urgency order, each to the next qualified engineer with room in a
/// rotation over all engineers (by id), whatever the distance. The rotation carries over between
/// cycles.
#[derive(Debug, Clone, Default)]
pub struct RoundRobin {
    next: usize,
}

impl RoundRobin {
    /// A rotation starting at the first engineer.
    pub fn new() -> RoundRobin {
        RoundRobin::default()
    }
}

impl Policy for RoundRobin {
    fn name(&self) -> &str {
        "round-robin"
    }

    fn decide(&mut self, view: &DispatchView<'_>) -> Result<Vec<Decision>, Error> {
        let n = view.engineers.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut room: Vec<u32> = view.engineers.iter().map(EngineerView::room).collect();
        let mut left: u32 = room.iter().sum();
        let mut cursor = self.next % n;
        let mut out = Vec::new();
        for (t, ticket) in view.pending.iter().enumerate() {
            if left == 0 {
                break;
            }
            let pick = (0..n)
                .map(|step| (cursor + step) % n)
                .find(|&e| room[e] > 0 && view.engineers[e].qualified(ticket));
            if let Some(e) = pick {
                room[e] -= 1;
                left -= 1;
                cursor = (e + 1) % n;
                out.push(Decision {
                    ticket: t,
                    engineer: e,
                });
            }
        }
        self.next = cursor;
        Ok(out)
    }

    fn reset(&mut self) {
        self.next = 0;
    }
}

/// Nearest available: tickets in urgency order, each to the qualified engineer with room who is
/// nearest by road from where that engineer will be free (ties by id). Ignores how long the engineer
/// is still busy.
#[derive(Debug, Clone, Copy, Default)]
pub struct NearestAvailable;

impl Policy for NearestAvailable {
    fn name(&self) -> &str {
        "nearest available"
    }

    fn decide(&mut self, view: &DispatchView<'_>) -> Result<Vec<Decision>, Error> {
        Ok(one_by_one(view, |v, t, _| {
            distance_km(v.position, t.location)
        }))
    }
}

/// Least loaded: tickets in urgency order, each to the qualified engineer with room holding the
/// fewest tickets (counting those given in this cycle), then with the fewest visits so far, then by
/// id. Ignores distance.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeastLoaded;

impl Policy for LeastLoaded {
    fn name(&self) -> &str {
        "least loaded"
    }

    fn decide(&mut self, view: &DispatchView<'_>) -> Result<Vec<Decision>, Error> {
        Ok(one_by_one(view, |v, _, taken| (v.held + taken, v.visits)))
    }
}

/// A policy that hands each cycle to the library's [`Dispatcher`]: the exact optimiser
/// ([`SolverKind::Flow`]) or the greedy baseline, with whatever [`Config`] and routing policy
/// ([`crate::rules::Policy`]; see [`DispatcherPolicy::with_rules`]) the dispatcher was built with.
///
/// At each cycle the waiting tickets are the batch and the engineers the fleet, each placed where
/// it will be free, with `open_tickets` = tickets held (so the capacity rule and the load cost see
/// the queue). Two knobs make the batch time-aware without changing the dispatcher:
/// - **escalation**: a ticket whose SLA is due within `escalate_within_min` minutes (or overdue) is
///   planned as P1, so that it wins over less urgent ones when engineers are short;
/// - **batch limit**: only the `batch_per_slot × free slots` most urgent tickets that some free
///   engineer is qualified for are planned, which bounds the work per cycle when a backlog builds
///   up.
#[derive(Debug, Clone)]
pub struct DispatcherPolicy {
    name: String,
    dispatcher: Dispatcher,
    escalate_within_min: Option<u32>,
    batch_per_slot: Option<usize>,
}

impl DispatcherPolicy {
    /// A policy named `name` running `dispatcher` at each cycle, with escalation 60 minutes before
    /// the SLA is due and a batch of at most 8 tickets per free slot.
    pub fn new(name: impl Into<String>, dispatcher: Dispatcher) -> DispatcherPolicy {
        DispatcherPolicy {
            name: name.into(),
            dispatcher,
            escalate_within_min: Some(60),
            batch_per_slot: Some(8),
        }
    }

    /// The exact optimiser ([`SolverKind::Flow`]) with the library's default [`Config`].
    pub fn optimiser() -> DispatcherPolicy {
        DispatcherPolicy::new("optimiser", Dispatcher::new(sim_config(SolverKind::Flow)))
    }

    /// The exact optimiser running `rules`, a policy of the rule language, instead of the default
    /// one, with the same simulator settings as [`DispatcherPolicy::optimiser`]: each cycle the
    /// policy triages the waiting tickets (`derive`), filters the pairs (`require`), prices them
    /// (its scores are the cost) and bounds the plan (`limit`). With
    /// [`Config::default_policy`] as `rules` it plans exactly as [`DispatcherPolicy::optimiser`].
    /// A policy that reads a declared field the scenario's tickets or engineers lack makes the
    /// run fail with that error at the first cycle.
    pub fn with_rules(name: impl Into<String>, rules: crate::rules::Policy) -> DispatcherPolicy {
        DispatcherPolicy::new(
            name,
            Dispatcher::with_policy(sim_config(SolverKind::Flow), rules),
        )
    }

    /// The greedy baseline ([`SolverKind::Greedy`]) with the same cost as
    /// [`DispatcherPolicy::optimiser`].
    pub fn greedy() -> DispatcherPolicy {
        DispatcherPolicy::new("greedy", Dispatcher::new(sim_config(SolverKind::Greedy)))
    }

    /// Sets the escalation window (`None`: plan every ticket at its own priority).
    pub fn escalate_within_min(mut self, minutes: Option<u32>) -> DispatcherPolicy {
        self.escalate_within_min = minutes;
        self
    }

    /// Sets the batch limit per free slot (`None`: plan every waiting ticket).
    pub fn batch_per_slot(mut self, per_slot: Option<usize>) -> DispatcherPolicy {
        self.batch_per_slot = per_slot;
        self
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }
}

impl Policy for DispatcherPolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn decide(&mut self, view: &DispatchView<'_>) -> Result<Vec<Decision>, Error> {
        let slots: usize = view.engineers.iter().map(|e| e.room() as usize).sum();
        if slots == 0 || view.pending.is_empty() {
            return Ok(Vec::new());
        }
        let limit = self
            .batch_per_slot
            .map_or(usize::MAX, |k| k.saturating_mul(slots));
        let escalate = self
            .escalate_within_min
            .map(|m| view.now + Duration::minutes(i64::from(m)));
        // Only engineers with room can take a ticket, so the others are left out of the fleet:
        // the plan is the same, and the cycle costs what the free engineers cost, not the roster.
        let engineers: Vec<Engineer> = view
            .engineers
            .iter()
            .filter(|v| v.room() > 0)
            .map(|v| {
                let mut e = v.engineer.clone();
                e.location = v.position;
                e.open_tickets = i32::try_from(v.held).unwrap_or(i32::MAX);
                e
            })
            .collect();
        let present =
            |id: &crate::model::EngineerId| engineers.binary_search_by(|e| e.id.cmp(id)).is_ok();
        // The best level among the free engineers, per skill: a ticket no free engineer is
        // qualified for would only take a place in the batch.
        let mut best_level: BTreeMap<&str, u8> = BTreeMap::new();
        for e in &engineers {
            for (skill, &level) in &e.skills {
                let best = best_level.entry(skill.as_str()).or_insert(0);
                *best = (*best).max(level);
            }
        }
        // (position in the view's waiting list, the ticket as planned)
        let (positions, batch): (Vec<usize>, Vec<Ticket>) = view
            .pending
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.min_level == 0
                    || best_level
                        .get(t.category.as_str())
                        .is_some_and(|&l| l >= t.min_level)
            })
            // A ticket pinned to an engineer without room waits for that engineer.
            .filter(|(_, t)| t.pinned_engineer.as_ref().is_none_or(present))
            .take(limit)
            .map(|(i, &t)| {
                let mut t = t.clone();
                if t.sla_due.zip(escalate).is_some_and(|(due, by)| due <= by) {
                    t.priority = Priority::P1;
                }
                // The customer's last engineer may be busy or off shift: not in this fleet.
                if let Some(c) = t.customer.as_mut() {
                    if c.last_engineer.as_ref().is_some_and(|e| !present(e)) {
                        c.last_engineer = None;
                    }
                }
                (i, t)
            })
            .unzip();
        let fleet = Fleet::new(engineers)?;
        let plan = self.dispatcher.plan(&fleet, &batch, view.now)?;
        let ticket_index: HashMap<&str, usize> = batch
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let mut out: Vec<Decision> = plan
            .assignments()
            .iter()
            .map(|a| {
                let engineer = view
                    .engineers
                    .binary_search_by(|v| v.engineer.id.cmp(&a.engineer))
                    .expect("the plan names an engineer of the view");
                Decision {
                    ticket: positions[ticket_index[a.ticket.as_str()]],
                    engineer,
                }
            })
            .collect();
        out.sort_unstable();
        Ok(out)
    }
}

/// The optimiser's settings in the simulator: the default policy and solver, with the dispatcher's
/// time model (lateness price, shift-end check) switched off. The simulator has its own clock: it
/// escalates tickets close to their SLA itself ([`DispatcherPolicy::escalate_within_min`]) and
/// finishes work in hand at shift end, so the comparison with the baselines is on the same cost
/// (travel and load).
fn sim_config(solver: SolverKind) -> Config {
    let mut config = Config::default().solver(solver);
    config.time.lateness_per_min = [0.0; 4];
    config.time.max_overtime_min = 24 * 60;
    config.time.overtime_per_min = 0.0;
    config
}
