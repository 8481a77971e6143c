//! A seeded scenario generator: one day of a city with districts, a crew with skills, teams and
//! shifts, and tickets arriving by hour of day and category, with durations, priorities, SLA due
//! times and customers (tiers and history).
//!
//! Everything is drawn in a fixed order from one ChaCha8 stream seeded with [`CityParams::seed`], so
//! the same parameters give the same scenario on every platform (including wasm32).
//!
//! - **Districts**: a centre disc (35 % of the radius) and eight compass sectors of the outer ring
//!   (`centre`, `north`, `north-east`, ...), each with a demand weight drawn from 0.5–2.0.
//! - **Crew**: each engineer lives in a district (drawn by weight), is in that district's team and
//!   territory, has 1–3 skills at levels 1–5 (the first skill cycles through the categories, so every
//!   category has engineers) and works an early (06–14, 35 %), day (09–17, 40 %) or late (13–21,
//!   25 %) shift, or the whole day with [`CityParams::always_on_shift`].
//! - **Tickets**: the hour of creation follows [`CityParams::hourly_profile`], the category
//!   [`CityParams::categories`] (each with its duration range, in 5-minute steps), the district its
//!   weight; minimum level 1–3; priority by [`CityParams::priority_weights`]; a VIP customer's ticket
//!   is one priority higher; SLA due [`CityParams::sla_hours`] after creation by priority.
//! - **Customers**: a pool of `tickets / 3` customers, each with a tier (5 % VIP, 15 % gold); with
//!   probability [`CityParams::history_pct`] % the customer was served before by a qualified
//!   engineer (`last_engineer`).
//! - Each ticket carries its district in the `district` attribute (for rules and reports).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::scenario::Scenario;
use crate::model::{Customer, Engineer, LatLon, Priority, Shift, Ticket, Tier};

/// Kilometres per degree of latitude (mean Earth radius).
const KM_PER_DEG: f64 = 111.195;

/// The district names: the centre, then the outer sectors clockwise from north.
pub const DISTRICTS: [&str; 9] = [
    "centre",
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
];

/// A ticket category (also the skill's name) with its share of tickets and duration range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Name, also the skill name.
    pub name: String,
    /// Relative frequency.
    pub weight: f64,
    /// Shortest and longest time on site, in minutes (drawn in 5-minute steps).
    pub duration_min: (u32, u32),
}

/// What city and day to generate. [`CityParams::new`] gives sensible defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CityParams {
    /// Seed of the random stream.
    pub seed: u64,
    /// Number of tickets in the day.
    pub tickets: usize,
    /// Number of engineers.
    pub engineers: usize,
    /// Start of the simulated day.
    pub day: DateTime<Utc>,
    /// Centre of the city.
    pub center: LatLon,
    /// Radius of the city, in km.
    pub radius_km: f64,
    /// Relative ticket arrivals per hour of day, 00–01 first.
    pub hourly_profile: [f64; 24],
    /// Ticket categories.
    pub categories: Vec<Category>,
    /// Relative frequency of P1, P2, P3, P4.
    pub priority_weights: [f64; 4],
    /// SLA due, hours after creation, for P1..P4.
    pub sla_hours: [u32; 4],
    /// Tickets an engineer may hold at once (the one in hand plus queued).
    pub capacity: i32,
    /// Share of tickets, in %, whose customer was served before (has a `last_engineer`).
    pub history_pct: f64,
    /// Everyone works the whole day (no shifts).
    pub always_on_shift: bool,
}

impl CityParams {
    /// A Boston-sized city (15 km radius) on 2025-03-03 with the given seed and sizes: arrivals
    /// peaking 08–12 and 13–16, five categories, priorities 10/20/40/30 %, SLA 4/8/12/24 hours,
    /// capacity 2, 30 % of customers with history, three shifts.
    pub fn new(seed: u64, tickets: usize, engineers: usize) -> CityParams {
        let cat = |name: &str, weight: f64, lo: u32, hi: u32| Category {
            name: name.to_string(),
            weight,
            duration_min: (lo, hi),
        };
        CityParams {
            seed,
            tickets,
            engineers,
            day: Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap(),
            center: LatLon::new(42.36, -71.06),
            radius_km: 15.0,
            hourly_profile: [
                0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 3.2, 3.0, 2.8, 2.4, 2.6, 2.8, 2.6,
                2.2, 1.8, 1.2, 0.8, 0.6, 0.4, 0.3, 0.2,
            ],
            categories: vec![
                cat("network", 3.0, 20, 60),
                cat("electrical", 2.0, 30, 90),
                cat("plumbing", 2.0, 30, 90),
                cat("hvac", 1.5, 45, 120),
                cat("security", 1.0, 20, 45),
            ],
            priority_weights: [10.0, 20.0, 40.0, 30.0],
            sla_hours: [4, 8, 12, 24],
            capacity: 2,
            history_pct: 30.0,
            always_on_shift: false,
        }
    }
}

/// Uniform draws over the ChaCha stream.
struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    fn int(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        let span = u64::from(hi - lo) + 1;
        lo + (self.0.next_u64() % span) as u32
    }

    /// An index drawn by weight (the last one when the weights are all zero).
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// The position `(east_km, north_km)` from `origin` (flat-earth offset; fine at city scale).
fn offset(origin: LatLon, east_km: f64, north_km: f64) -> LatLon {
    let lat = origin.lat + north_km / KM_PER_DEG;
    let lon = origin.lon + east_km / (KM_PER_DEG * origin.lat.to_radians().cos());
    LatLon::new(lat.clamp(-89.9, 89.9), lon.clamp(-180.0, 180.0))
}

/// A uniform point in district `d` of the city.
fn point_in(draw: &mut Draw, p: &CityParams, d: usize) -> LatLon {
    let inner = 0.35 * p.radius_km;
    let (r, bearing) = if d == 0 {
        (inner * draw.unit().sqrt(), 360.0 * draw.unit())
    } else {
        // Uniform by area in the annulus sector: r² uniform between inner² and radius².
        let r2 = inner * inner + draw.unit() * (p.radius_km.powi(2) - inner * inner);
        let bearing = 45.0 * (d as f64 - 1.0) - 22.5 + 45.0 * draw.unit();
        (r2.sqrt(), bearing)
    };
    let b = bearing.to_radians();
    offset(p.center, r * b.sin(), r * b.cos())
}

/// Generates the day: engineers `E-0001`…, tickets `T-00001`… in creation order. The scenario runs
/// from [`CityParams::day`] for 24 hours.
///
/// # Examples
/// ```
/// use dispatchkit::sim::generate::{CityParams, generate};
/// let a = generate(&CityParams::new(3, 200, 20));
/// assert_eq!(a.tickets.len(), 200);
/// assert_eq!(a, generate(&CityParams::new(3, 200, 20)));
/// assert!(a.validate().is_ok());
/// ```
pub fn generate(p: &CityParams) -> Scenario {
    let mut draw = Draw(ChaCha8Rng::seed_from_u64(p.seed));
    let district_weight: Vec<f64> = (0..DISTRICTS.len())
        .map(|_| 0.5 + 1.5 * draw.unit())
        .collect();
    let names: Vec<&str> = p.categories.iter().map(|c| c.name.as_str()).collect();
    let engineers: Vec<Engineer> = (0..p.engineers)
        .map(|i| {
            let d = draw.weighted(&district_weight);
            let mut e = Engineer::new(format!("E-{:04}", i + 1), point_in(&mut draw, p, d), 0);
            e.capacity = p.capacity;
            if !names.is_empty() {
                let skills = draw.int(1, 3) as usize;
                e.skills
                    .insert(names[i % names.len()].to_string(), draw.int(1, 5) as u8);
                for _ in 1..skills {
                    let c = names[draw.int(0, names.len() as u32 - 1) as usize];
                    let level = draw.int(1, 5) as u8;
                    e.skills.entry(c.to_string()).or_insert(level);
                }
            }
            e.team = Some(format!("team-{}", DISTRICTS[d]));
            e.territory = Some(DISTRICTS[d].to_string());
            let (from, to) = match draw.weighted(&[35.0, 40.0, 25.0]) {
                0 => (6, 14),
                1 => (9, 17),
                _ => (13, 21),
            };
            if !p.always_on_shift {
                e.shift = Some(Shift {
                    start: p.day + Duration::hours(from),
                    end: p.day + Duration::hours(to),
                });
            }
            e
        })
        .collect();

    let customers = (p.tickets / 3).max(1);
    let tiers: Vec<Tier> = (0..customers)
        .map(|_| match draw.int(0, 99) {
            0..5 => Tier::Vip,
            5..20 => Tier::Gold,
            _ => Tier::Standard,
        })
        .collect();
    let category_weight: Vec<f64> = p.categories.iter().map(|c| c.weight).collect();
    let mut tickets: Vec<Ticket> = (0..p.tickets)
        .map(|_| {
            let hour = draw.weighted(&p.hourly_profile) as i64;
            let second = i64::from(draw.int(0, 3599));
            let created = p.day + Duration::seconds(hour * 3600 + second);
            let d = draw.weighted(&district_weight);
            let location = point_in(&mut draw, p, d);
            let c = &p.categories[draw.weighted(&category_weight)];
            let mut t = Ticket::new("", location, c.name.clone(), created)
                .with_min_level(draw.int(1, 3) as u8);
            let (lo, hi) = c.duration_min;
            t.duration_min = 5 * draw.int(lo.div_ceil(5), hi / 5).max(1);
            let customer = draw.int(0, customers as u32 - 1) as usize;
            let mut priority = Priority::ALL[draw.weighted(&p.priority_weights)];
            if tiers[customer] == Tier::Vip && priority > Priority::P1 {
                priority = Priority::ALL[priority.index() - 1];
            }
            t.priority = priority;
            t.sla_due = Some(created + Duration::hours(i64::from(p.sla_hours[priority.index()])));
            let last_engineer = if draw.unit() * 100.0 < p.history_pct && !engineers.is_empty() {
                // A qualified engineer served this customer before (if there is one).
                let first = draw.int(0, engineers.len() as u32 - 1) as usize;
                (0..engineers.len())
                    .map(|k| &engineers[(first + k) % engineers.len()])
                    .find(|e| e.skill_level(&t.category) >= t.min_level)
                    .map(|e| e.id.clone())
            } else {
                None
            };
            t.customer = Some(Customer {
                id: format!("C-{:05}", customer + 1),
                tier: tiers[customer],
                last_engineer,
                excluded_engineers: Vec::new(),
            });
            t.attributes.insert(
                "district".to_string(),
                crate::model::AttrValue::Str(DISTRICTS[d].to_string()),
            );
            t
        })
        .collect();
    // Stable: equal times keep draw order.
    tickets.sort_by_key(|t| t.created_at);
    for (i, t) in tickets.iter_mut().enumerate() {
        t.id = format!("T-{:05}", i + 1).into();
    }
    Scenario {
        name: format!(
            "city seed {} ({} tickets, {} engineers)",
            p.seed, p.tickets, p.engineers
        ),
        start: p.day,
        end: p.day + Duration::hours(24),
        engineers,
        tickets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance_km;

    #[test]
    fn follows_the_parameters() {
        let p = CityParams::new(11, 3000, 100);
        let s = generate(&p);
        s.validate().unwrap();
        assert_eq!((s.tickets.len(), s.engineers.len()), (3000, 100));
        for t in &s.tickets {
            assert!(distance_km(p.center, t.location) <= p.radius_km + 0.1);
            let c = p.categories.iter().find(|c| c.name == t.category).unwrap();
            assert!((c.duration_min.0..=c.duration_min.1).contains(&t.duration_min));
            assert!((1..=3).contains(&t.min_level));
            let hours = p.sla_hours[t.priority.index()];
            assert_eq!(
                t.sla_due,
                Some(t.created_at + Duration::hours(hours.into()))
            );
        }
        // The first skill cycles through the categories, so each has engineers.
        for c in &p.categories {
            assert!(s.engineers.iter().any(|e| e.skill_level(&c.name) > 0));
        }
        // The hourly profile shows: far more tickets at 09 than at 02.
        let at = |h: u32| {
            s.tickets
                .iter()
                .filter(|t| (t.created_at - p.day).num_hours() == i64::from(h))
                .count()
        };
        assert!(at(9) > 10 * at(2).max(1), "{} vs {}", at(9), at(2));
        let with_history = s
            .tickets
            .iter()
            .filter(|t| t.customer.as_ref().unwrap().last_engineer.is_some())
            .count();
        assert!((600..1200).contains(&with_history), "{with_history}");
    }

    #[test]
    fn seeds_differ_and_repeat() {
        let a = generate(&CityParams::new(1, 50, 5));
        let b = generate(&CityParams::new(2, 50, 5));
        assert_ne!(a.tickets, b.tickets);
        assert_eq!(a, generate(&CityParams::new(1, 50, 5)));
        let empty = generate(&CityParams::new(1, 0, 0));
        assert!(empty.tickets.is_empty() && empty.engineers.is_empty());
    }
}
