//! The Boston replay: real service requests and neighbourhood polygons turned into a simulation
//! scenario with a generated crew. Shared by `examples/boston_replay.rs` and `benches/sim.rs`.
//!
//! Include it with `#[path = "common/boston.rs"] mod boston;` (examples) or
//! `#[path = "../examples/common/boston.rs"] mod boston;` (benches).
//!
//! Assumptions (the data has positions, open and SLA due times, types and neighbourhoods; the rest
//! is ours):
//! - **One busy day**: every request keeps its time of day and its SLA window (SLA target − open
//!   time) and is created on [`ReplayParams::day`]; the 2,424 requests of five months arrive in one
//!   day. The crew then works that day and the following days ([`ReplayParams::days`] in all) to
//!   clear the backlog, so the 24-hour "make safe" windows can be missed or met.
//! - **Work**: make safe 45 min (level 1), street-light outage 40 min (level 1), knock-down 120 min
//!   (level 3, P1), sidewalk repair 120 min (level 2), anything else 60 min (level 1). Priority from
//!   the SLA window: up to 26 h P2, up to 80 h P3, longer P4.
//! - **Crew**: [`ReplayParams::crew`] people per day. Home bases are spread over the neighbourhoods
//!   in proportion to their requests (largest remainder), each a seeded random point inside the
//!   neighbourhood's polygon. 70 % are sidewalk crews (sidewalk level 3, street lights 1), 30 %
//!   street-light crews (the other way round); every third one is a senior (level 4 in the trade).
//!   Shifts 04–12, 08–16 and 12–20 in turn, which follow the arrival profile of the file's clock
//!   (requests peak 03–14). Each person appears once per day as `E-017/d1`, `E-017/d2`, ...; each
//!   may hold 2 tickets at once.
//! - Requests without a position (2 of 2,424) are left out and counted.
//! - With [`ReplayParams::calendar`] the requests keep their real open times instead (the file's
//!   clock read as UTC) over the real five months, plus [`ReplayParams::days`] days to finish; the
//!   crew works every day of that period.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use dispatchkit::api::{Home, replay_crew};
use dispatchkit::sim::Scenario;
use dispatchkit::{AttrValue, LatLon, Priority, Ticket};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The data files, relative to the project root.
pub const CSV: &str = "../shared/data/boston/service_requests_2025.csv";
/// The neighbourhood polygons.
pub const GEOJSON: &str = "../shared/data/boston/neighborhoods.geojson";

/// One request of the CSV file (the columns used).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Request {
    /// The case id.
    pub case_enquiry_id: String,
    /// When it was opened (`2025-01-24 03:24:56`).
    pub open_dt: String,
    /// The SLA target, if any.
    pub sla_target_dt: String,
    /// The request type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Latitude (empty when unknown).
    pub latitude: Option<f64>,
    /// Longitude (empty when unknown).
    pub longitude: Option<f64>,
}

/// Reads the requests; returns them with the number of rows left out for lack of a position.
pub fn read_requests(path: &str) -> Result<(Vec<Request>, usize), String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, row) in reader.deserialize::<Request>().enumerate() {
        let r = row.map_err(|e| format!("{path}: row {}: {e}", i + 2))?;
        if r.latitude.is_some() && r.longitude.is_some() {
            out.push(r);
        } else {
            skipped += 1;
        }
    }
    Ok((out, skipped))
}

/// Named (multi)polygons: each district is a list of rings of `[lon, lat]`.
#[derive(Debug, Clone)]
pub struct Districts {
    /// District names.
    pub names: Vec<String>,
    /// Rings of each district (outer rings and holes together; even-odd rule).
    pub rings: Vec<Vec<Vec<[f64; 2]>>>,
}

/// Reads a GeoJSON feature collection of (multi)polygons with a `name` property.
pub fn read_districts(path: &str) -> Result<Districts, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let gj: geojson::GeoJson = text.parse().map_err(|e| format!("{path}: {e}"))?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(format!("{path}: not a feature collection"));
    };
    let mut d = Districts {
        names: Vec::new(),
        rings: Vec::new(),
    };
    for (i, f) in fc.features.iter().enumerate() {
        let name = f
            .property("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{path}: feature {i} has no name"))?;
        let polygons = match f.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::GeometryValue::Polygon { coordinates }) => vec![coordinates.clone()],
            Some(geojson::GeometryValue::MultiPolygon { coordinates }) => coordinates.clone(),
            _ => return Err(format!("{path}: feature {name:?} is not a polygon")),
        };
        let rings = polygons
            .iter()
            .flatten()
            .map(|ring| ring.iter().map(|p| [p[0], p[1]]).collect())
            .collect();
        d.names.push(name.to_string());
        d.rings.push(rings);
    }
    Ok(d)
}

impl Districts {
    /// The district containing `p`, if any (first match).
    ///
    /// Even-odd ray casting over all rings of a district, which handles holes and multipolygons;
    /// written here rather than pulling in `geo`, which would add seven versions of `rstar` to the
    /// build for one point-in-polygon test.
    pub fn locate(&self, p: LatLon) -> Option<usize> {
        (0..self.names.len()).find(|&d| self.contains(d, p))
    }

    fn contains(&self, d: usize, p: LatLon) -> bool {
        let (x, y) = (p.lon, p.lat);
        let mut inside = false;
        for ring in &self.rings[d] {
            for k in 0..ring.len() {
                let [x1, y1] = ring[k];
                let [x2, y2] = ring[(k + 1) % ring.len()];
                if (y1 > y) != (y2 > y) && x < x1 + (y - y1) / (y2 - y1) * (x2 - x1) {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// A seeded random point inside district `d` (rejection sampling in its bounding box).
    fn sample(&self, d: usize, rng: &mut ChaCha8Rng) -> LatLon {
        let pts = self.rings[d].iter().flatten();
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for [x, y] in pts {
            (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y));
        }
        loop {
            let p = LatLon::new(rng.random_range(y0..=y1), rng.random_range(x0..=x1));
            if self.contains(d, p) {
                return p;
            }
        }
    }
}

/// How to build the replay.
#[derive(Debug, Clone, Copy)]
pub struct ReplayParams {
    /// People on shift each day.
    pub crew: usize,
    /// Days simulated (the requests all arrive on the first).
    pub days: u32,
    /// Seed of the crew's home bases.
    pub seed: u64,
    /// The replayed day.
    pub day: NaiveDate,
    /// Replay the real calendar instead: every request at its real open time, the period from the
    /// first request's day to [`ReplayParams::days`] days after the last one's.
    pub calendar: bool,
}

impl Default for ReplayParams {
    /// 80 people a day, 3 days, seed 1, on 2025-03-05.
    fn default() -> ReplayParams {
        ReplayParams {
            crew: 80,
            days: 3,
            seed: 1,
            day: NaiveDate::from_ymd_opt(2025, 3, 5).unwrap(),
            calendar: false,
        }
    }
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()
}

/// (category, duration, minimum level, fixed priority) of a request type.
fn work(kind: &str) -> (&'static str, u32, u8, Option<Priority>) {
    match kind {
        "Sidewalk Repair (Make Safe)" => ("sidewalk", 45, 1, None),
        "Sidewalk Repair" => ("sidewalk", 120, 2, None),
        "Street Light Outages" => ("street_light", 40, 1, None),
        "Street Light Knock Downs" => ("street_light", 120, 3, Some(Priority::P1)),
        _ => ("general", 60, 1, None),
    }
}

/// Builds the scenario (see the module docs for the assumptions).
pub fn scenario(
    requests: &[Request],
    districts: &Districts,
    p: ReplayParams,
) -> Result<Scenario, String> {
    let opens: Vec<NaiveDateTime> = requests
        .iter()
        .map(|r| {
            parse_time(&r.open_dt)
                .ok_or_else(|| format!("case {}: bad open_dt `{}`", r.case_enquiry_id, r.open_dt))
        })
        .collect::<Result<_, _>>()?;
    let midnight = |t: NaiveDateTime| t.date().and_hms_opt(0, 0, 0).unwrap();
    let (start, days): (DateTime<Utc>, u32) =
        match (p.calendar, opens.iter().min(), opens.iter().max()) {
            (true, Some(&first), Some(&last)) => {
                let span = (midnight(last) - midnight(first)).num_days() as u32 + 1;
                (midnight(first).and_utc(), span + p.days)
            }
            _ => (p.day.and_hms_opt(0, 0, 0).unwrap().and_utc(), p.days),
        };
    let mut per_district = vec![0usize; districts.names.len()];
    let mut tickets = Vec::with_capacity(requests.len());
    for (r, &open) in requests.iter().zip(&opens) {
        let created = if p.calendar {
            open.and_utc()
        } else {
            start + (open - midnight(open))
        };
        let location = LatLon::new(r.latitude.unwrap(), r.longitude.unwrap());
        let (category, duration, level, fixed) = work(&r.kind);
        let window = parse_time(&r.sla_target_dt).map(|sla| (sla - open).max(Duration::zero()));
        let mut t = Ticket::new(
            format!("BOS-{}", r.case_enquiry_id),
            location,
            category,
            created,
        )
        .with_min_level(level);
        t.duration_min = duration;
        t.sla_due = window.map(|w| created + w);
        t.priority = fixed.unwrap_or(match window.map(|w| w.num_hours()) {
            Some(h) if h <= 26 => Priority::P2,
            Some(h) if h <= 80 => Priority::P3,
            _ => Priority::P4,
        });
        let district = districts.locate(location);
        if let Some(d) = district {
            per_district[d] += 1;
        }
        let name = district.map_or("outside", |d| districts.names[d].as_str());
        t.attributes
            .insert("district".into(), AttrValue::Str(name.to_string()));
        t.attributes
            .insert("type".into(), AttrValue::Str(r.kind.clone()));
        tickets.push(t);
    }
    // Home districts: largest remainder over the request counts, ties by district order.
    let total: usize = per_district.iter().sum::<usize>().max(1);
    let mut seats: Vec<usize> = per_district.iter().map(|n| n * p.crew / total).collect();
    let mut order: Vec<usize> = (0..seats.len()).collect();
    order.sort_by_key(|&d| std::cmp::Reverse((per_district[d] * p.crew) % total));
    let short = p.crew - seats.iter().sum::<usize>();
    for &d in order.iter().take(short) {
        seats[d] += 1;
    }
    let homes: Vec<usize> = seats
        .iter()
        .enumerate()
        .flat_map(|(d, &n)| std::iter::repeat_n(d, n))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let homes: Vec<Home> = homes
        .iter()
        .map(|&d| Home {
            location: districts.sample(d, &mut rng),
            district: districts.names[d].clone(),
        })
        .collect();
    let engineers = replay_crew(&homes, days, start);
    Ok(Scenario {
        name: if p.calendar {
            format!(
                "Boston calendar replay ({} requests, {} crew a day, {} days)",
                tickets.len(),
                p.crew,
                days
            )
        } else {
            format!(
                "Boston {} replay ({} requests, {} crew a day, {} days)",
                p.day,
                tickets.len(),
                p.crew,
                days
            )
        },
        start,
        end: start + Duration::days(days.into()),
        engineers,
        tickets,
    })
}

/// Reads both files and builds the scenario; also returns the rows left out.
pub fn load(p: ReplayParams) -> Result<(Scenario, usize), String> {
    let (requests, skipped) = read_requests(CSV)?;
    let districts = read_districts(GEOJSON)?;
    Ok((scenario(&requests, &districts, p)?, skipped))
}
