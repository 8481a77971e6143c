//! A seeded synthetic city: engineers and tickets around a centre, shared by examples and benches.
//!
//! Include it with `#[path = "common/city.rs"] mod city;` (examples) or
//! `#[path = "../examples/common/city.rs"] mod city;` (benches). The same [`CityParams`] always give
//! the same city: everything is drawn in a fixed order from one `ChaCha8Rng` seeded with
//! [`CityParams::seed`].
//!
//! - Tickets: a share [`CityParams::cluster_share`] falls in a few gaussian-ish hot spots (each with its
//!   own spread and weight), the rest uniformly over the disc of [`CityParams::radius_km`].
//! - Engineers: the same clusters with a smaller share (they live near the demand, but not only there).
//! - Categories [`CATEGORIES`]; each engineer has 1–3 distinct skills at levels 1–5 (a missing skill is
//!   level 0); each ticket needs level 1–4 in its category.
//! - Priorities P1–P4 with weights [`CityParams::priority_weights`] (10/20/40/30 % by default), capacity
//!   and open tickets in [`CityParams::capacity`] / [`CityParams::open_tickets`] (3–8 and 0–2), teams,
//!   territories (ring × compass sector around the centre), shifts (about 9 in 10 engineers are on
//!   shift at [`now`]), `created_at` within the day before [`now`] (2025-03-03T12:00:00Z), SLA due by
//!   priority (4 h, 8 h, 24 h, 72 h after creation), durations 30–180 minutes in 15-minute steps, and a
//!   customer with a service tier.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use dispatchkit::{Customer, Engineer, LatLon, Priority, Shift, Ticket, Tier};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The ticket categories, which are also the skill names.
pub const CATEGORIES: [&str; 5] = ["network", "hvac", "electrical", "plumbing", "security"];

/// Boston city centre.
pub const BOSTON: LatLon = LatLon::new(42.36, -71.06);

/// Kilometres per degree of latitude (mean Earth radius).
const KM_PER_DEG: f64 = 111.195;

/// The fixed "now" of every generated city: 2025-03-03T12:00:00Z.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
}

/// What city to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct CityParams {
    /// Seed of the random generator.
    pub seed: u64,
    /// Number of tickets.
    pub tickets: usize,
    /// Number of engineers.
    pub engineers: usize,
    /// Centre of the city.
    pub center: LatLon,
    /// Radius of the city disc, in km.
    pub radius_km: f64,
    /// Number of demand hot spots.
    pub clusters: usize,
    /// Share of tickets drawn from the hot spots (the rest are uniform over the disc).
    pub cluster_share: f64,
    /// Share of engineers drawn from the hot spots.
    pub engineer_cluster_share: f64,
    /// Spread (standard deviation, km) of a hot spot is drawn from this range.
    pub cluster_sigma_km: (f64, f64),
    /// Relative frequency of P1, P2, P3, P4.
    pub priority_weights: [u32; 4],
    /// Engineer capacity range (inclusive).
    pub capacity: (i32, i32),
    /// Range of tickets an engineer already holds (inclusive).
    pub open_tickets: (i32, i32),
    /// Number of teams.
    pub teams: usize,
}

impl Default for CityParams {
    /// 1,000 tickets and 200 engineers around Boston, seed 1.
    fn default() -> CityParams {
        CityParams::new(1, 1_000, 200)
    }
}

impl CityParams {
    /// A Boston-like city (25 km radius, 6 hot spots holding 70 % of the tickets) with the given seed
    /// and sizes.
    pub fn new(seed: u64, tickets: usize, engineers: usize) -> CityParams {
        CityParams {
            seed,
            tickets,
            engineers,
            center: BOSTON,
            radius_km: 25.0,
            clusters: 6,
            cluster_share: 0.7,
            engineer_cluster_share: 0.4,
            cluster_sigma_km: (1.5, 4.0),
            priority_weights: [10, 20, 40, 30],
            capacity: (3, 8),
            open_tickets: (0, 2),
            teams: 8,
        }
    }
}

/// A hot spot: centre, spread and relative weight.
#[derive(Debug, Clone, Copy)]
struct Cluster {
    center: LatLon,
    sigma_km: f64,
    weight: f64,
}

/// The position `(east_km, north_km)` away from `origin` (flat-earth offset; fine at city scale).
pub fn offset(origin: LatLon, east_km: f64, north_km: f64) -> LatLon {
    let lat = origin.lat + north_km / KM_PER_DEG;
    let lon = origin.lon + east_km / (KM_PER_DEG * origin.lat.to_radians().cos());
    LatLon::new(lat.clamp(-90.0, 90.0), wrap_lon(lon))
}

fn wrap_lon(lon: f64) -> f64 {
    if lon > 180.0 {
        lon - 360.0
    } else if lon < -180.0 {
        lon + 360.0
    } else {
        lon
    }
}

/// A standard normal pair (Box–Muller).
fn gaussian_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let a = std::f64::consts::TAU * u2;
    (r * a.cos(), r * a.sin())
}

/// A uniform point of the disc of radius `radius_km` around `center`.
fn uniform_in_disc(rng: &mut ChaCha8Rng, center: LatLon, radius_km: f64) -> LatLon {
    let r = radius_km * rng.random::<f64>().sqrt();
    let a = std::f64::consts::TAU * rng.random::<f64>();
    offset(center, r * a.cos(), r * a.sin())
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    let mut x = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if x < w {
            return i;
        }
        x -= w;
        last = i;
    }
    last
}

/// A position: from a hot spot with probability `share`, else uniform over the disc. Hot-spot draws
/// that land beyond 1.2 × the radius are redrawn, so the city stays compact.
fn position(rng: &mut ChaCha8Rng, p: &CityParams, clusters: &[Cluster], share: f64) -> LatLon {
    if clusters.is_empty() || rng.random::<f64>() >= share {
        return uniform_in_disc(rng, p.center, p.radius_km);
    }
    let c = clusters[pick_weighted(rng, clusters.iter().map(|c| c.weight))];
    loop {
        let (dx, dy) = gaussian_pair(rng);
        let pos = offset(c.center, dx * c.sigma_km, dy * c.sigma_km);
        if dispatchkit::geo::distance_km(p.center, pos) <= 1.2 * p.radius_km {
            return pos;
        }
    }
}

/// Territory name of a position: ring (`inner` within 40 % of the radius, else `outer`) and compass
/// sector (`n`, `ne`, ... for the outer ring; the inner ring is split in four).
pub fn territory(p: &CityParams, pos: LatLon) -> String {
    let north = (pos.lat - p.center.lat) * KM_PER_DEG;
    let east = (pos.lon - p.center.lon) * KM_PER_DEG * p.center.lat.to_radians().cos();
    let r = north.hypot(east);
    // Bearing clockwise from north, in [0, 360).
    let bearing = east.atan2(north).to_degrees().rem_euclid(360.0);
    if r <= 0.4 * p.radius_km {
        const INNER: [&str; 4] = ["n", "e", "s", "w"];
        format!("inner-{}", INNER[((bearing + 45.0) / 90.0) as usize % 4])
    } else {
        const OUTER: [&str; 8] = ["n", "ne", "e", "se", "s", "sw", "w", "nw"];
        format!("outer-{}", OUTER[((bearing + 22.5) / 45.0) as usize % 8])
    }
}

fn range_incl(rng: &mut ChaCha8Rng, (lo, hi): (i32, i32)) -> i32 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

/// Generates the city: `(engineers, tickets)`, ids `E-000001`… and `T-0000001`….
///
/// # Panics
/// When `p.priority_weights` are all zero.
pub fn generate(p: &CityParams) -> (Vec<Engineer>, Vec<Ticket>) {
    assert!(
        p.priority_weights.iter().any(|&w| w > 0),
        "some priority must have a weight"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let clusters: Vec<Cluster> = (0..p.clusters)
        .map(|_| Cluster {
            center: uniform_in_disc(&mut rng, p.center, 0.7 * p.radius_km),
            sigma_km: rng.random_range(p.cluster_sigma_km.0..=p.cluster_sigma_km.1),
            weight: rng.random_range(0.5..=2.0),
        })
        .collect();
    let now = now();

    let engineers = (0..p.engineers)
        .map(|i| {
            let location = position(&mut rng, p, &clusters, p.engineer_cluster_share);
            let capacity = range_incl(&mut rng, p.capacity);
            let mut e = Engineer::new(format!("E-{:06}", i + 1), location, capacity);
            e.open_tickets = range_incl(&mut rng, p.open_tickets).min(capacity);
            let skills = rng.random_range(1..=3usize);
            while e.skills.len() < skills {
                let cat = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
                let level = rng.random_range(1..=5u8);
                e.skills.entry(cat.to_string()).or_insert(level);
            }
            if p.teams > 0 {
                e.team = Some(format!("team-{}", rng.random_range(0..p.teams) + 1));
            }
            e.territory = Some(territory(p, location));
            // Shifts start 06:00–11:00 and last 8 or 10 hours; 1 in 10 starts in the afternoon.
            let start_hour = if rng.random_bool(0.1) {
                rng.random_range(13..=15)
            } else {
                rng.random_range(6..=11)
            };
            let start = now - Duration::hours(12) + Duration::hours(start_hour);
            let hours = if rng.random_bool(0.5) { 8 } else { 10 };
            e.shift = Some(Shift {
                start,
                end: start + Duration::hours(hours),
            });
            e
        })
        .collect();

    let weights = p.priority_weights.map(f64::from);
    let tickets = (0..p.tickets)
        .map(|i| {
            let location = position(&mut rng, p, &clusters, p.cluster_share);
            let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
            let created_at = now - Duration::seconds(rng.random_range(1..=86_400));
            let priority = Priority::ALL[pick_weighted(&mut rng, weights.iter().copied())];
            let mut t = Ticket::new(format!("T-{:07}", i + 1), location, category, created_at)
                .with_priority(priority)
                .with_min_level(rng.random_range(1..=4u8));
            let sla_hours = [4, 8, 24, 72][priority.index()];
            t.sla_due = Some(created_at + Duration::hours(sla_hours));
            t.duration_min = 15 * rng.random_range(2..=12u32);
            let tier = match rng.random_range(0..100u32) {
                0..5 => Tier::Vip,
                5..20 => Tier::Gold,
                _ => Tier::Standard,
            };
            t.customer = Some(Customer {
                id: format!(
                    "C-{:06}",
                    rng.random_range(1..=(p.tickets as u32 / 2).max(1))
                ),
                tier,
                last_engineer: None,
                excluded_engineers: Vec::new(),
            });
            t
        })
        .collect();
    (engineers, tickets)
}

/// The positions of the engineers (for a spatial index).
pub fn engineer_positions(engineers: &[Engineer]) -> Vec<LatLon> {
    engineers.iter().map(|e| e.location).collect()
}
