//! The discrete-event engine: a priority queue of timed events over simulated seconds.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

use chrono::{DateTime, Duration, Utc};
#[cfg(feature = "parallel")]
use rayon::prelude::*;

use super::kpi::{BacklogSample, EventCounts, HourKpis, Kpis, SimReport, SlaCounts, TimeStats};
use super::policy::{Decision, DispatchView, EngineerView, Policy, TravelModel};
use super::scenario::{Scenario, SimConfig, Trigger};
use crate::error::{Error, ErrorKind};
use crate::model::{Engineer, LatLon, Priority, Ticket, TicketId};

/// Where a run is, reported to the progress callback of [`simulate_with`] at every backlog sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Simulated time.
    pub now: DateTime<Utc>,
    /// Share of the period simulated, 0..=1.
    pub fraction: f64,
    /// Original tickets resolved so far.
    pub resolved: usize,
    /// Original tickets open now.
    pub open: usize,
}

/// What the progress callback wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop the run; [`simulate_with`] returns [`ErrorKind::Cancelled`].
    Cancel,
}

/// Runs `policy` over `scenario` and measures the KPIs. See the [module docs](super) for the
/// events. `O(E log E)` for `E` events, plus the policy's work at each cycle.
///
/// # Errors
/// An invalid scenario or setting, an error from the policy, or a decision the simulator cannot
/// carry out ([`ErrorKind::InvalidDecision`]).
///
/// # Examples
/// ```
/// use dispatchkit::sim::{NearestAvailable, SimConfig, generate::{CityParams, generate}};
/// let scenario = generate(&CityParams::new(7, 60, 6));
/// let report = dispatchkit::sim::simulate(&scenario, &SimConfig::default(), &mut NearestAvailable)?;
/// assert_eq!(report.kpis.tickets, 60);
/// assert!(report.kpis.resolved > 0);
/// # Ok::<(), dispatchkit::Error>(())
/// ```
pub fn simulate(
    scenario: &Scenario,
    config: &SimConfig,
    policy: &mut dyn Policy,
) -> Result<SimReport, Error> {
    simulate_with(scenario, config, policy, &mut |_| Flow::Continue)
}

/// [`simulate`] with a progress callback, called at every backlog sample; returning
/// [`Flow::Cancel`] stops the run.
///
/// # Errors
/// As [`simulate`], and [`ErrorKind::Cancelled`] when the callback cancels.
pub fn simulate_with(
    scenario: &Scenario,
    config: &SimConfig,
    policy: &mut dyn Policy,
    progress: &mut dyn FnMut(&Progress) -> Flow,
) -> Result<SimReport, Error> {
    config.validate()?;
    scenario.validate()?;
    policy.reset();
    let mut engine = Engine::new(scenario, config);
    engine.run(policy, progress)?;
    Ok(engine.report(policy.name()))
}

/// Runs every policy over the same scenario (in parallel with the `parallel` feature) and returns
/// the reports in the order of `policies`. Each run is independent and deterministic, so the result
/// does not depend on the thread count.
///
/// # Errors
/// The first error in policy order.
pub fn compare(
    scenario: &Scenario,
    config: &SimConfig,
    policies: &mut [Box<dyn Policy>],
) -> Result<Vec<SimReport>, Error> {
    #[cfg(feature = "parallel")]
    let reports: Vec<_> = policies
        .par_iter_mut()
        .map(|p| simulate(scenario, config, p.as_mut()))
        .collect();
    #[cfg(not(feature = "parallel"))]
    let reports: Vec<_> = policies
        .iter_mut()
        .map(|p| simulate(scenario, config, p.as_mut()))
        .collect();
    reports.into_iter().collect()
}

/// Event kinds; the order is the tie-break at equal times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Created(u32),
    Arrive(u32),
    Done(u32),
    ShiftStart(u32),
    ShiftEnd(u32),
    Cycle,
    Sample,
}

/// One visit to do: an original ticket or a follow-up.
struct Job {
    ticket: Ticket,
    origin: u32,
    /// 0 for the original ticket, 1 for the first follow-up, ...
    visit: u32,
    created: i64,
    due: Option<i64>,
}

/// The life of an original ticket, in seconds since the start.
#[derive(Clone)]
struct Origin {
    id: TicketId,
    created: i64,
    due: Option<i64>,
    assigned: Option<i64>,
    arrived: Option<i64>,
    resolved: Option<i64>,
    first_fixed: Option<bool>,
}

#[derive(Clone, Copy)]
enum Phase {
    Travel { until: i64 },
    Work { until: i64 },
}

struct Crew {
    position: LatLon,
    queue: VecDeque<u32>,
    active: Option<(u32, Phase)>,
    /// The shift in seconds since the start, clipped to the period; `None` = always.
    shift: Option<(i64, i64)>,
    travel_km: f64,
    visits: u32,
}

impl Crew {
    fn on_shift(&self, t: i64) -> bool {
        self.shift.is_none_or(|(a, b)| a <= t && t < b)
    }

    fn held(&self) -> u32 {
        self.queue.len() as u32 + u32::from(self.active.is_some())
    }
}

/// Waiting-list key: priority, due (none last), creation, job index.
type WaitKey = (Priority, i64, i64, u32);

struct Engine<'a> {
    scenario_name: &'a str,
    start: DateTime<Utc>,
    end: i64,
    config: SimConfig,
    travel: TravelModel,
    engineers: Vec<&'a Engineer>,
    crew: Vec<Crew>,
    jobs: Vec<Job>,
    origins: Vec<Origin>,
    waiting: BTreeSet<WaitKey>,
    events: BinaryHeap<Reverse<(i64, Event, u64)>>,
    seq: u64,
    counts: EventCounts,
    backlog: Vec<BacklogSample>,
    /// Busy seconds per hour of the period.
    busy_by_hour: Vec<i64>,
    open: usize,
    resolved: usize,
}

/// Seconds from `start` to `t`.
fn secs(start: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    (t - start).num_seconds()
}

/// A 64-bit mix (SplitMix64's finaliser): decorrelates nearby inputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from the seed, a ticket id and a visit number (FNV-1a over the id).
fn draw(seed: u64, id: &TicketId, visit: u32) -> f64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in id.as_str().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    let x = mix(mix(seed ^ h) ^ u64::from(visit));
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl<'a> Engine<'a> {
    fn new(scenario: &'a Scenario, config: &SimConfig) -> Engine<'a> {
        let start = scenario.start;
        let end = secs(start, scenario.end);
        let mut engineers: Vec<&Engineer> = scenario.engineers.iter().collect();
        engineers.sort_by(|a, b| a.id.cmp(&b.id));
        let crew = engineers
            .iter()
            .map(|e| Crew {
                position: e.location,
                queue: VecDeque::new(),
                active: None,
                shift: e
                    .shift
                    .map(|s| (secs(start, s.start).max(0), secs(start, s.end).min(end))),
                travel_km: 0.0,
                visits: 0,
            })
            .collect();
        let mut engine = Engine {
            scenario_name: &scenario.name,
            start,
            end,
            config: *config,
            travel: TravelModel {
                speed_kmh: config.speed_kmh,
                road_factor: config.road_factor,
            },
            engineers,
            crew,
            jobs: Vec::with_capacity(scenario.tickets.len()),
            origins: Vec::with_capacity(scenario.tickets.len()),
            waiting: BTreeSet::new(),
            events: BinaryHeap::new(),
            seq: 0,
            counts: EventCounts::default(),
            backlog: Vec::new(),
            busy_by_hour: vec![0; ((end + 3599) / 3600) as usize],
            open: 0,
            resolved: 0,
        };
        // Tickets in creation order (ties by id), so job indices do not depend on input order.
        let mut tickets: Vec<&Ticket> = scenario.tickets.iter().collect();
        tickets.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        for t in tickets {
            let created = secs(start, t.created_at);
            let origin = engine.origins.len() as u32;
            engine.origins.push(Origin {
                id: t.id.clone(),
                created,
                due: t.sla_due.map(|d| secs(start, d)),
                assigned: None,
                arrived: None,
                resolved: None,
                first_fixed: None,
            });
            engine.add_job(t.clone(), origin, 0, created);
        }
        for e in 0..engine.crew.len() {
            if let Some((a, b)) = engine.crew[e].shift {
                if a < b {
                    engine.push(a, Event::ShiftStart(e as u32));
                    engine.push(b, Event::ShiftEnd(e as u32));
                }
            }
        }
        if let Trigger::Every { minutes } = config.trigger {
            let step = i64::from(minutes) * 60;
            let mut t = 0;
            while t < end {
                engine.push(t, Event::Cycle);
                t += step;
            }
        }
        let step = i64::from(config.sample_min) * 60;
        let mut t = 0;
        while t < end {
            engine.push(t, Event::Sample);
            t += step;
        }
        engine
    }

    fn add_job(&mut self, ticket: Ticket, origin: u32, visit: u32, created: i64) {
        let job = self.jobs.len() as u32;
        let due = ticket.sla_due.map(|d| secs(self.start, d));
        self.jobs.push(Job {
            ticket,
            origin,
            visit,
            created,
            due,
        });
        self.push(created, Event::Created(job));
    }

    fn push(&mut self, t: i64, event: Event) {
        self.seq += 1;
        self.events.push(Reverse((t, event, self.seq)));
    }

    fn at(&self, t: i64) -> DateTime<Utc> {
        self.start + Duration::seconds(t)
    }

    fn wait_key(&self, job: u32) -> WaitKey {
        let j = &self.jobs[job as usize];
        (j.ticket.priority, j.due.unwrap_or(i64::MAX), j.created, job)
    }

    /// Adds busy time `[a, b)` (clipped to the period) to the hourly totals.
    fn add_busy(&mut self, a: i64, b: i64) {
        let (mut a, b) = (a.max(0), b.min(self.end));
        while a < b {
            let hour = a / 3600;
            let next = ((hour + 1) * 3600).min(b);
            self.busy_by_hour[hour as usize] += next - a;
            a = next;
        }
    }

    fn run(
        &mut self,
        policy: &mut dyn Policy,
        progress: &mut dyn FnMut(&Progress) -> Flow,
    ) -> Result<(), Error> {
        let on_event = self.config.trigger == Trigger::OnEvent;
        while let Some(&Reverse((now, _, _))) = self.events.peek() {
            if now >= self.end {
                break;
            }
            let mut dirty = false;
            // Every event at this instant, then (real-time mode) one cycle.
            while let Some(&Reverse((t, event, _))) = self.events.peek() {
                if t != now {
                    break;
                }
                self.events.pop();
                match event {
                    Event::Created(job) => {
                        self.counts.created += 1;
                        if self.jobs[job as usize].visit == 0 {
                            self.open += 1;
                        }
                        let key = self.wait_key(job);
                        self.waiting.insert(key);
                        dirty = true;
                    }
                    Event::Arrive(e) => self.arrive(e as usize, now),
                    Event::Done(e) => {
                        self.done(e as usize, now);
                        dirty = true;
                    }
                    Event::ShiftStart(e) => {
                        self.counts.shift_starts += 1;
                        let e = e as usize;
                        self.crew[e].position = self.engineers[e].location;
                        self.start_next(e, now);
                        dirty = true;
                    }
                    Event::ShiftEnd(e) => {
                        self.counts.shift_ends += 1;
                        let queued: Vec<u32> = self.crew[e as usize].queue.drain(..).collect();
                        self.counts.returned += queued.len();
                        for job in queued {
                            let key = self.wait_key(job);
                            self.waiting.insert(key);
                        }
                        dirty = true;
                    }
                    Event::Cycle => self.cycle(policy, now)?,
                    Event::Sample => {
                        self.sample(now);
                        let p = Progress {
                            now: self.at(now),
                            fraction: now as f64 / self.end as f64,
                            resolved: self.resolved,
                            open: self.open,
                        };
                        if progress(&p) == Flow::Cancel {
                            return Err(ErrorKind::Cancelled.into());
                        }
                    }
                }
            }
            if on_event && dirty {
                self.cycle(policy, now)?;
            }
        }
        self.sample(self.end);
        Ok(())
    }

    fn sample(&mut self, t: i64) {
        self.backlog.push(BacklogSample {
            minute: (t / 60) as u32,
            open: self.open,
            waiting: self.waiting.len(),
        });
    }

    fn view(&self, now: i64) -> Vec<EngineerView<'a>> {
        self.engineers
            .iter()
            .zip(&self.crew)
            .map(|(&engineer, c)| {
                let (mut free, mut position) = (now, c.position);
                if let Some((job, phase)) = c.active {
                    let j = &self.jobs[job as usize];
                    free = match phase {
                        Phase::Travel { until } => until + i64::from(j.ticket.duration_min) * 60,
                        Phase::Work { until } => until,
                    };
                    position = j.ticket.location;
                }
                for &job in &c.queue {
                    let t = &self.jobs[job as usize].ticket;
                    free +=
                        self.travel.seconds(position, t.location) + i64::from(t.duration_min) * 60;
                    position = t.location;
                }
                EngineerView {
                    engineer,
                    position,
                    free_at: self.at(free),
                    held: c.held(),
                    visits: c.visits,
                    on_shift: c.on_shift(now),
                }
            })
            .collect()
    }

    fn cycle(&mut self, policy: &mut dyn Policy, now: i64) -> Result<(), Error> {
        self.counts.cycles += 1;
        // Nothing to decide without a waiting ticket or an engineer with room (at night, or when
        // everyone is busy): the policy is not asked.
        let room = self
            .crew
            .iter()
            .zip(&self.engineers)
            .any(|(c, e)| c.on_shift(now) && i64::from(c.held()) < i64::from(e.capacity));
        if self.waiting.is_empty() || !room {
            return Ok(());
        }
        let order: Vec<u32> = self.waiting.iter().map(|k| k.3).collect();
        let decisions = {
            let pending: Vec<&Ticket> = order
                .iter()
                .map(|&j| &self.jobs[j as usize].ticket)
                .collect();
            let engineers = self.view(now);
            let view = DispatchView {
                now: self.at(now),
                pending: &pending,
                engineers: &engineers,
                travel: self.travel,
            };
            policy.decide(&view)?
        };
        let mut given = vec![false; order.len()];
        for (index, &Decision { ticket, engineer }) in decisions.iter().enumerate() {
            let invalid = |problem| -> Error {
                ErrorKind::InvalidDecision {
                    policy: policy.name().to_string(),
                    index,
                    problem,
                }
                .into()
            };
            if ticket >= order.len() {
                return Err(invalid("ticket index out of range"));
            }
            if engineer >= self.crew.len() {
                return Err(invalid("engineer index out of range"));
            }
            if given[ticket] {
                return Err(invalid("ticket given twice"));
            }
            let job = order[ticket];
            let e = engineer;
            let t = &self.jobs[job as usize].ticket;
            if !self.crew[e].on_shift(now) {
                return Err(invalid("engineer is off shift"));
            }
            if self.engineers[e].skill_level(&t.category) < t.min_level {
                return Err(invalid("engineer lacks the skill level"));
            }
            if i64::from(self.crew[e].held()) >= i64::from(self.engineers[e].capacity) {
                return Err(invalid("engineer has no room"));
            }
            given[ticket] = true;
            self.counts.decisions += 1;
            let key = self.wait_key(job);
            self.waiting.remove(&key);
            let origin = &mut self.origins[self.jobs[job as usize].origin as usize];
            origin.assigned.get_or_insert(now);
            self.crew[e].queue.push_back(job);
            if self.crew[e].active.is_none() {
                self.start_next(e, now);
            }
        }
        Ok(())
    }

    /// Starts the next queued ticket: the engineer drives there (travel start).
    fn start_next(&mut self, e: usize, now: i64) {
        if self.crew[e].active.is_some() || !self.crew[e].on_shift(now) {
            return;
        }
        let Some(job) = self.crew[e].queue.pop_front() else {
            return;
        };
        let to = self.jobs[job as usize].ticket.location;
        let from = self.crew[e].position;
        let km = self.travel.road_km(from, to);
        let until = now + self.travel.seconds(from, to);
        self.counts.travel_starts += 1;
        self.crew[e].travel_km += km;
        self.crew[e].active = Some((job, Phase::Travel { until }));
        self.add_busy(now, until);
        self.push(until, Event::Arrive(e as u32));
    }

    fn arrive(&mut self, e: usize, now: i64) {
        let Some((job, Phase::Travel { .. })) = self.crew[e].active else {
            unreachable!("an arrival follows a trip");
        };
        self.counts.arrivals += 1;
        let j = &self.jobs[job as usize];
        let until = now + i64::from(j.ticket.duration_min) * 60;
        self.crew[e].position = j.ticket.location;
        self.origins[j.origin as usize].arrived.get_or_insert(now);
        self.crew[e].active = Some((job, Phase::Work { until }));
        self.add_busy(now, until);
        self.push(until, Event::Done(e as u32));
    }

    fn done(&mut self, e: usize, now: i64) {
        let Some((job, Phase::Work { .. })) = self.crew[e].active.take() else {
            unreachable!("work done follows an arrival");
        };
        self.counts.work_done += 1;
        self.crew[e].visits += 1;
        let j = &self.jobs[job as usize];
        let (origin, visit) = (j.origin as usize, j.visit);
        let level = self.engineers[e].skill_level(&j.ticket.category);
        let above = level.saturating_sub(j.ticket.min_level);
        let fix = self.config.fix;
        let fixed = visit + 1 >= fix.max_visits
            || draw(self.config.seed, &self.origins[origin].id, visit) < fix.probability(above);
        if visit == 0 {
            self.origins[origin].first_fixed = Some(fixed);
        }
        if fixed {
            self.origins[origin].resolved = Some(now);
            self.open -= 1;
            self.resolved += 1;
        } else {
            let mut follow = self.jobs[job as usize].ticket.clone();
            follow.id = TicketId::from(format!("{}#{}", self.origins[origin].id, visit + 2));
            follow.created_at = self.at(now);
            follow.pinned_engineer = None;
            self.add_job(follow, origin as u32, visit + 1, now);
        }
        if self.crew[e].on_shift(now) {
            self.start_next(e, now);
        }
    }

    fn report(&self, policy: &str) -> SimReport {
        let end = self.end;
        let o = &self.origins;
        let assign: Vec<i64> = o
            .iter()
            .filter_map(|x| x.assigned.map(|a| a - x.created))
            .collect();
        let arrival: Vec<i64> = o
            .iter()
            .filter_map(|x| x.arrived.map(|a| a - x.created))
            .collect();
        let resolution: Vec<i64> = o
            .iter()
            .filter_map(|x| x.resolved.map(|a| a - x.created))
            .collect();
        let sla_of = |x: &Origin| -> Option<bool> {
            let due = x.due?;
            match x.resolved {
                Some(r) => Some(r <= due),
                None if due < end => Some(false),
                None => None,
            }
        };
        let mut sla = SlaCounts::default();
        for x in o.iter().filter(|x| x.due.is_some()) {
            match sla_of(x) {
                Some(true) => sla.met += 1,
                Some(false) => sla.missed += 1,
                None => sla.pending += 1,
            }
        }
        sla.attainment_pct = pct(sla.met, sla.met + sla.missed);
        let first: Vec<bool> = o.iter().filter_map(|x| x.first_fixed).collect();
        let shift_secs = |from: i64, to: i64| -> i64 {
            self.crew
                .iter()
                .map(|c| {
                    let (a, b) = c.shift.unwrap_or((0, end));
                    (b.min(to) - a.max(from)).max(0)
                })
                .sum()
        };
        let busy: i64 = self.busy_by_hour.iter().sum();
        let rostered: Vec<f64> = self
            .crew
            .iter()
            .filter(|c| c.shift.is_none_or(|(a, b)| a < b))
            .map(|c| f64::from(c.visits))
            .collect();
        let visits: usize = self.counts.work_done;
        let travel_km: f64 = self.crew.iter().map(|c| c.travel_km).sum();
        let resolved = o.iter().filter(|x| x.resolved.is_some()).count();
        let kpis = Kpis {
            tickets: o.len(),
            resolved,
            open_at_end: o.len() - resolved,
            never_assigned: o.iter().filter(|x| x.assigned.is_none()).count(),
            follow_ups: self.jobs.iter().filter(|j| j.visit > 0).count(),
            visits,
            response_assign: TimeStats::from_seconds(assign),
            response_arrival: TimeStats::from_seconds(arrival),
            resolution: TimeStats::from_seconds(resolution),
            sla,
            first_time_fix_pct: pct(first.iter().filter(|&&f| f).count(), first.len()),
            utilisation_pct: ratio_pct(busy, shift_secs(0, end)),
            travel_km,
            travel_km_per_ticket: if visits == 0 {
                0.0
            } else {
                travel_km / visits as f64
            },
            tickets_per_engineer_mean: if rostered.is_empty() {
                0.0
            } else {
                rostered.iter().sum::<f64>() / rostered.len() as f64
            },
            tickets_per_engineer_max: self.crew.iter().map(|c| c.visits).max().unwrap_or(0),
            tickets_per_engineer_gini: super::kpi::gini(&rostered),
        };
        let hours = self.busy_by_hour.len();
        let hour_of = |t: i64| (t / 3600) as usize;
        let mut hourly: Vec<HourKpis> = (0..hours)
            .map(|h| HourKpis {
                start: self.at(h as i64 * 3600),
                ..HourKpis::default()
            })
            .collect();
        let mut assign_sum = vec![(0i64, 0usize); hours];
        for x in o {
            let h = &mut hourly[hour_of(x.created)];
            h.created += 1;
            match sla_of(x) {
                Some(true) => h.sla_met += 1,
                Some(false) => h.sla_missed += 1,
                None => {}
            }
            if let Some(a) = x.assigned {
                let s = &mut assign_sum[hour_of(x.created)];
                s.0 += a - x.created;
                s.1 += 1;
            }
            if let Some(r) = x.resolved {
                hourly[hour_of(r).min(hours - 1)].resolved += 1;
            }
        }
        let mut open = 0i64;
        for (h, k) in hourly.iter_mut().enumerate() {
            open += k.created as i64 - k.resolved as i64;
            k.open_at_end = open as usize;
            let (sum, n) = assign_sum[h];
            k.response_assign_mean_min = (n > 0).then(|| sum as f64 / n as f64 / 60.0);
            let on = shift_secs(h as i64 * 3600, ((h as i64 + 1) * 3600).min(end));
            k.utilisation_pct = (on > 0).then(|| ratio_pct(self.busy_by_hour[h], on));
        }
        SimReport {
            scenario: self.scenario_name.to_string(),
            policy: policy.to_string(),
            start: self.start,
            end: self.at(end),
            config: self.config,
            kpis,
            hourly,
            backlog: self.backlog.clone(),
            events: self.counts,
        }
    }
}

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn ratio_pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}
