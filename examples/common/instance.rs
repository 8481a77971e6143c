//! The benchmark instances: a seeded city of size S, M, L or XL turned into a
//! [`Network`](dispatchkit::solve::Network), shared by `gen_instance` and the benches so both build
//! exactly the same instance from (size, seed).
//!
//! Include it next to the city generator, which it uses as `super::city`:
//!
//! ```text
//! #[path = "common/city.rs"] mod city;          // examples
//! #[path = "common/instance.rs"] mod instance;
//!
//! #[path = "../examples/common/city.rs"] mod city;          // benches
//! #[path = "../examples/common/instance.rs"] mod instance;
//! ```
//!
//! # The instance
//! - Positions, priorities, skills and capacities come from the seeded city generator
//!   (`examples/common/city.rs`): clustered tickets around Boston, engineers spread similarly.
//! - Candidates: the [`CANDIDATES`] (30) engineers nearest to each ticket (`EngineerIndex::nearest`),
//!   whatever their skills.
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
#![allow(dead_code)]

use dispatchkit::geo::EngineerIndex;
use dispatchkit::solve::Network;

use super::city;

/// Candidate engineers per ticket.
pub const CANDIDATES: usize = 30;

/// Extra cost per missing skill level (2 km in 10-metre units).
pub const MISMATCH_PER_LEVEL: i64 = 200;

/// An instance size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 1,000 tickets × 200 engineers.
    S,
    /// 10,000 tickets × 2,000 engineers.
    M,
    /// 100,000 tickets × 10,000 engineers.
    L,
    /// 1,000,000 tickets × 50,000 engineers.
    Xl,
}

impl Size {
    /// Every size, smallest first.
    pub const ALL: [Size; 4] = [Size::S, Size::M, Size::L, Size::Xl];

    /// `S`, `M`, `L` or `XL`, in any case.
    pub fn parse(s: &str) -> Option<Size> {
        match s.to_ascii_uppercase().as_str() {
            "S" => Some(Size::S),
            "M" => Some(Size::M),
            "L" => Some(Size::L),
            "XL" => Some(Size::Xl),
            _ => None,
        }
    }

    /// The size's name: `S`, `M`, `L` or `XL`.
    pub fn name(self) -> &'static str {
        match self {
            Size::S => "S",
            Size::M => "M",
            Size::L => "L",
            Size::Xl => "XL",
        }
    }

    /// (tickets, engineers).
    pub fn dims(self) -> (usize, usize) {
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
    pub fn capacity(self) -> (i32, i32) {
        match self {
            Size::S | Size::M => (3, 8),
            Size::L => (8, 14),
            Size::Xl => (18, 24),
        }
    }

    /// The city parameters of this size: the default city with the size's counts and capacity range.
    pub fn city_params(self, seed: u64) -> city::CityParams {
        let (tickets, engineers) = self.dims();
        let mut params = city::CityParams::new(seed, tickets, engineers);
        params.capacity = self.capacity();
        params
    }
}

/// Builds the network of a city of the given size and seed. Deterministic.
pub fn build(size: Size, seed: u64) -> Network {
    let (engineers, tickets) = city::generate(&size.city_params(seed));
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
