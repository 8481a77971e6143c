//! Random well-formed policies and fleets for property tests and fuzzing oracles.

use chrono::{DateTime, Duration, Utc};
use dispatchkit::{Customer, Engineer, EngineerId, LatLon, Shift, Ticket, Tier};
use rand::{Rng, RngExt};

/// A random expression of a kind.
pub struct Gen<'r, R: Rng> {
    pub rng: &'r mut R,
}

impl<R: Rng> Gen<'_, R> {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.random_range(0..xs.len())]
    }

    pub fn num(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.rng.random_range(0..3) == 0;
        if leaf {
            return match self.rng.random_range(0..7) {
                0 => format!("{}", self.rng.random_range(0..6)),
                1 => "engineer.open_tickets".into(),
                2 => "engineer.skill(ticket.category)".into(),
                3 => format!("engineer.skill(\"{}\")", self.pick(&["a", "b", "c"])),
                4 => "ticket.min_level".into(),
                5 => "engineer.capacity".into(),
                _ => format!("{}.5", self.rng.random_range(0..4)),
            };
        }
        let d = depth - 1;
        match self.rng.random_range(0..8) {
            0 => format!("{} + {}", self.num(d), self.num(d)),
            1 => format!("({} - {})", self.num(d), self.num(d)),
            2 => format!("{} * {}", self.num(d), self.num(d)),
            3 => format!("min({}, {})", self.num(d), self.num(d)),
            4 => format!(
                "if {} then {} else {}",
                self.boolean(d),
                self.num(d),
                self.num(d)
            ),
            5 => format!(
                "match ticket.customer.tier {{ vip => {}, gold | standard => {} }}",
                self.num(d),
                self.num(d)
            ),
            6 => format!("abs({} / {})", self.num(d), self.num(d)),
            _ => format!("max({}, -{})", self.num(d), self.num(d)),
        }
    }

    pub fn dist(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.random_range(0..2) == 0 {
            return match self.rng.random_range(0..3) {
                0 => "travel".into(),
                1 => format!("{}km", self.rng.random_range(0..60)),
                _ => format!("{}m", self.rng.random_range(0..60_000)),
            };
        }
        let d = depth - 1;
        match self.rng.random_range(0..3) {
            0 => format!("{} + {}", self.dist(d), self.dist(d)),
            1 => format!("{} * {}", self.dist(d), self.num(d)),
            _ => format!("min({}, {})", self.dist(d), self.dist(d)),
        }
    }

    pub fn boolean(&mut self, depth: u32) -> String {
        let cmp = ["<", "<=", ">", ">=", "==", "!="];
        if depth == 0 || self.rng.random_range(0..3) == 0 {
            return match self.rng.random_range(0..10) {
                0 => format!("{} {} {}", self.num(0), self.pick(&cmp), self.num(0)),
                1 => format!(
                    "travel {} {}km",
                    self.pick(&cmp),
                    self.rng.random_range(0..60)
                ),
                2 => "engineer.on_shift(now() + travel_time)".into(),
                3 => "engineer.id in ticket.customer.excluded_engineers".into(),
                4 => "ticket.category in engineer.skills".into(),
                5 => "exists(engineer.team)".into(),
                6 => format!(
                    "engineer.team ?? \"x\" == \"{}\"",
                    self.pick(&["red", "blue", "x"])
                ),
                7 => format!(
                    "ticket.priority <= {}",
                    self.pick(&["P1", "P2", "P3", "P4"])
                ),
                8 => "(engineer.territory ?? \"\") == (ticket.region ?? \"\")".into(),
                _ => "ticket.customer.last_engineer ?? \"\" == engineer.id".into(),
            };
        }
        let d = depth - 1;
        match self.rng.random_range(0..6) {
            0 => format!("{} && {}", self.boolean(d), self.boolean(d)),
            1 => format!("({} || {})", self.boolean(d), self.boolean(d)),
            2 => format!("!({})", self.boolean(d)),
            3 => format!("{} {} {}", self.num(d), self.pick(&cmp), self.num(d)),
            4 => format!(
                "{} {} {}",
                self.dist(d),
                self.pick(&["<", ">="]),
                self.dist(d)
            ),
            _ => format!(
                "exists(engineer.team) && engineer.team == \"{}\"",
                self.pick(&["red", "blue"])
            ),
        }
    }

    /// A policy with `requires` hard rules and `scores` soft ones.
    pub fn policy(&mut self, requires: usize, scores: usize, depth: u32) -> String {
        let mut s = String::from("policy \"random\" version 1\n");
        s.push_str(
            "region \"west\": polygon [(51.0, 3.0), (53.0, 3.0), (53.0, 4.5), (51.0, 4.5)]\n",
        );
        s.push_str("derive vip when ticket.customer.tier == vip { ticket.priority = P1 }\n");
        for i in 0..requires {
            let guard = if self.rng.random_range(0..4) == 0 {
                format!(" when {}", self.boolean(1))
            } else {
                String::new()
            };
            s.push_str(&format!("require r{i}{guard}: {}\n", self.boolean(depth)));
        }
        for i in 0..scores {
            let w = self.rng.random_range(1..20);
            let guard = if self.rng.random_range(0..4) == 0 {
                format!(" when {}", self.boolean(1))
            } else {
                String::new()
            };
            let line = match self.rng.random_range(0..4) {
                0 => format!("prefer s{i} {w}{guard}: {}", self.boolean(depth)),
                1 => format!(
                    "penalize s{i} {w}{guard}: scale {} from 0 to 5",
                    self.num(depth)
                ),
                2 => format!(
                    "penalize s{i} {w} per km{guard}: min({}, 500km)",
                    self.dist(depth)
                ),
                _ => format!(
                    "prefer s{i} {w}{guard}: min(max({}, -100), 100)",
                    self.num(depth)
                ),
            };
            s.push_str(&line);
            s.push('\n');
        }
        s
    }
}

/// A random fleet around (52, 4).
pub fn engineers<R: Rng>(rng: &mut R, n: usize, now: DateTime<Utc>) -> Vec<Engineer> {
    (0..n)
        .map(|i| {
            let mut e = Engineer::new(
                format!("e{i:03}"),
                LatLon::new(
                    52.0 + rng.random_range(-0.4..0.4),
                    4.0 + rng.random_range(-0.6..0.6),
                ),
                rng.random_range(0..8),
            );
            e.open_tickets = rng.random_range(0..e.capacity.max(1));
            for skill in ["a", "b", "c"] {
                if rng.random_range(0..3) > 0 {
                    e.skills.insert(skill.into(), rng.random_range(0..6));
                }
            }
            if rng.random_range(0..3) > 0 {
                e.team = Some(["red", "blue"][rng.random_range(0..2)].into());
            }
            if rng.random_range(0..2) == 0 {
                e.territory = Some("west".into());
            }
            if rng.random_range(0..2) == 0 {
                let start = now - Duration::minutes(rng.random_range(0..600));
                e.shift = Some(Shift {
                    start,
                    end: start + Duration::minutes(rng.random_range(1..700)),
                });
            }
            e
        })
        .collect()
}

/// A random ticket around (52, 4).
pub fn ticket<R: Rng>(rng: &mut R, i: usize, now: DateTime<Utc>, engineers: &[Engineer]) -> Ticket {
    let mut t = Ticket::new(
        format!("t{i:03}"),
        LatLon::new(
            52.0 + rng.random_range(-0.4..0.4),
            4.0 + rng.random_range(-0.6..0.6),
        ),
        ["a", "b", "c"][rng.random_range(0..3)],
        now - Duration::minutes(rng.random_range(0..300)),
    )
    .with_min_level(rng.random_range(0..5));
    if rng.random_range(0..2) == 0 && !engineers.is_empty() {
        let pick =
            |rng: &mut R| EngineerId(engineers[rng.random_range(0..engineers.len())].id.0.clone());
        t.customer = Some(Customer {
            id: format!("c{}", rng.random_range(0..5)),
            tier: [Tier::Standard, Tier::Gold, Tier::Vip][rng.random_range(0..3)],
            last_engineer: (rng.random_range(0..2) == 0).then(|| pick(rng)),
            excluded_engineers: (0..rng.random_range(0..7)).map(|_| pick(rng)).collect(),
        });
    }
    t
}
