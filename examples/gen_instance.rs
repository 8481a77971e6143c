//! Writes a city-like sparse assignment instance (the format of `dispatchkit::solve::Network`).
//!
//! ```text
//! cargo run --release --example gen_instance -- SIZE [--seed N] [--out FILE]
//! ```
//! SIZE is `S` (1,000 tickets × 200 engineers), `M` (10,000 × 2,000), `L` (100,000 × 10,000) or `XL`
//! (1,000,000 × 50,000). The seed defaults to 1; without `--out` the instance goes to stdout.
//! A summary (counts, total capacity, time) goes to stderr.
//!
//! # The instance
//! - Positions, priorities, skills and capacities come from the seeded city generator
//!   (`examples/common/city.rs`): clustered tickets around Boston, engineers spread similarly.
//! - Candidates: the 30 engineers nearest to each ticket (`EngineerIndex::nearest`), whatever their
//!   skills.
//! - Arc cost: `round(distance_km × 100)` (10-metre units) plus a skill-mismatch term of
//!   [`MISMATCH_PER_LEVEL`] (2 km) for each level the engineer lacks below the ticket's minimum.
//! - Capacity: the engineer's remaining capacity (capacity − open tickets). Capacity ranges are chosen
//!   per size so that the total capacity is 0.9–1.0 × the tickets (see [`Size::capacity`]): together
//!   with the clustered demand, every size leaves tickets unassigned and priorities matter.
//! - Unassignment penalty by priority level `l` (0 for P1 … 3 for P4):
//!   `penalty = base + gap · (3 − l)` with `base = max arc cost + 1` and
//!   `gap = max arc cost − min arc cost + 1`, both computed from the arcs of the instance. `base` above
//!   every arc cost means a ticket with a free candidate engineer is always worth assigning; `gap`
//!   above the whole arc-cost range means that giving an engineer's slot to a lower-priority ticket
//!   instead of a higher-priority one never pays, whatever the two arc costs. (A strict guarantee
//!   against longer exchange chains, which also move `k` other tickets, would need
//!   `gap > (k + 1) × range`; the chosen gap keeps costs small, which also suits the float-based SciPy
//!   peer, and candidate lists are local, so such chains rarely pay.)
//!
//! The file starts with `c` comment lines naming the size and seed, then `Network::write`'s output.
#![forbid(unsafe_code)]

#[path = "common/city.rs"]
mod city;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use dispatchkit::geo::EngineerIndex;
use dispatchkit::solve::Network;

/// Candidate engineers per ticket.
const CANDIDATES: usize = 30;

/// Extra cost per missing skill level (2 km in 10-metre units).
const MISMATCH_PER_LEVEL: i64 = 200;

#[derive(Debug, Clone, Copy)]
enum Size {
    S,
    M,
    L,
    Xl,
}

impl Size {
    fn parse(s: &str) -> Option<Size> {
        match s.to_ascii_uppercase().as_str() {
            "S" => Some(Size::S),
            "M" => Some(Size::M),
            "L" => Some(Size::L),
            "XL" => Some(Size::Xl),
            _ => None,
        }
    }

    /// (tickets, engineers).
    fn dims(self) -> (usize, usize) {
        match self {
            Size::S => (1_000, 200),
            Size::M => (10_000, 2_000),
            Size::L => (100_000, 10_000),
            Size::Xl => (1_000_000, 50_000),
        }
    }

    /// Engineer capacity range; open tickets are 0–2 (mean 1) everywhere, so the mean remaining
    /// capacity is 4.5 for S and M (0.9 × the 5 tickets per engineer), 10 for L (1.0 × 10) and 20 for
    /// XL (1.0 × 20).
    fn capacity(self) -> (i32, i32) {
        match self {
            Size::S | Size::M => (3, 8),
            Size::L => (8, 14),
            Size::Xl => (18, 24),
        }
    }
}

struct Args {
    size: Size,
    size_name: String,
    seed: u64,
    out: Option<String>,
}

const USAGE: &str = "usage: gen_instance SIZE [--seed N] [--out FILE]   (SIZE: S, M, L or XL)";

fn parse_args() -> Result<Args, String> {
    let mut size = None;
    let mut seed = 1u64;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => {
                let v = args.next().ok_or("--seed needs a value")?;
                seed = v.parse().map_err(|_| format!("bad seed `{v}`"))?;
            }
            "--out" => out = Some(args.next().ok_or("--out needs a file")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if size.is_none() && !s.starts_with('-') => {
                let parsed = Size::parse(s).ok_or(format!("unknown size `{s}`"))?;
                size = Some((parsed, s.to_ascii_uppercase()));
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    let (size, name) = size.ok_or(USAGE)?;
    Ok(Args {
        size,
        size_name: name,
        seed,
        out,
    })
}

/// Builds the network of a city of the given size and seed.
fn build(size: Size, seed: u64) -> Network {
    let (tickets, engineers) = size.dims();
    let mut params = city::CityParams::new(seed, tickets, engineers);
    params.capacity = size.capacity();
    let (engineers, tickets) = city::generate(&params);
    let index = EngineerIndex::new(&city::engineer_positions(&engineers));
    let capacity: Vec<u32> = engineers.iter().map(|e| e.remaining_capacity()).collect();

    let mut arcs: Vec<(u32, u32, i64)> = Vec::with_capacity(tickets.len() * CANDIDATES);
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let mut row: Vec<(u32, i64)> = Vec::with_capacity(CANDIDATES);
    for (t, ticket) in tickets.iter().enumerate() {
        row.clear();
        for n in index.nearest(ticket.location, CANDIDATES) {
            let e = &engineers[n.index as usize];
            let lacking = ticket
                .min_level
                .saturating_sub(e.skill_level(&ticket.category));
            let cost =
                (n.distance_km * 100.0).round() as i64 + MISMATCH_PER_LEVEL * i64::from(lacking);
            lo = lo.min(cost);
            hi = hi.max(cost);
            row.push((n.index, cost));
        }
        // Network keeps a ticket's arcs cheapest first; arcs already in that order skip its sort.
        row.sort_unstable_by_key(|&(e, c)| (c, e));
        arcs.extend(row.iter().map(|&(e, c)| (t as u32, e, c)));
    }
    if arcs.is_empty() {
        (lo, hi) = (0, 0);
    }
    let base = hi + 1;
    let gap = hi - lo + 1;
    let penalty: Vec<i64> = tickets
        .iter()
        .map(|t| base + gap * (3 - t.priority.index() as i64))
        .collect();
    drop(tickets);
    Network::new(capacity, penalty, arcs).expect("generated arcs are valid")
}

fn run(args: &Args) -> io::Result<()> {
    let started = Instant::now();
    let net = build(args.size, args.seed);
    let built = started.elapsed().as_secs_f64();
    let header = format!(
        "c dispatchkit gen_instance size {} seed {}\n\
         c costs: distance in 10 m units + {MISMATCH_PER_LEVEL} per missing skill level; \
         penalty = base + gap * (3 - priority level)\n",
        args.size_name, args.seed
    );
    match &args.out {
        Some(path) => {
            let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
            w.write_all(header.as_bytes())?;
            net.write(&mut w)?;
            w.flush()?;
        }
        None => {
            let mut w = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            w.write_all(header.as_bytes())?;
            net.write(&mut w)?;
            w.flush()?;
        }
    }
    let total_capacity: u64 = (0..net.engineers())
        .map(|e| u64::from(net.capacity(e)))
        .sum();
    eprintln!(
        "{}: {} tickets, {} engineers, {} arcs, capacity {} ({:.2} x tickets); built in {built:.2} s, \
         total {:.2} s",
        args.size_name,
        net.tickets(),
        net.engineers(),
        net.arcs(),
        total_capacity,
        total_capacity as f64 / net.tickets().max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_instance: {e}");
            ExitCode::FAILURE
        }
    }
}
