//! ε-scaling auction with one price per engineer (the transportation form of the auction), exact on
//! integer costs.
//!
//! # The model as an auction
//! Tickets are bidders. Engineer `e` sells up to `capacity[e]` places at one price `λ_e ≥ 0` that all
//! its tickets pay; each ticket also has a private "unassigned" option at its penalty. Every ticket
//! holds exactly one option.
//!
//! # The method
//! Costs are multiplied by `n + 1`. In a phase with step `ε`, a ticket without an option finds its
//! best option (arc cost + price) and the value of its second best `w`; the most it would pay at its
//! best engineer is its *reservation* `r = w − arc cost`. An engineer with room takes it at the
//! current price. A full engineer takes it only by raising its price just above the lowest
//! reservation among its holders and the bidder: the weakest one leaves and bids again. Raising one
//! price for all places at once avoids the "price war" of pricing each place separately, where a
//! bidder's second best is usually another place of the same engineer.
//!
//! INVARIANT (at the end of every phase): each ticket is within `ε` of its best option, and every
//! engineer with room has price 0 (the dual of an optional place is zero unless the place is used).
//! Engineers with room and a positive price left over from an earlier phase lower it (a reverse bid)
//! just enough to attract the ticket that gains most, or to 0 when none does. With `ε = 1` on costs
//! scaled by `n + 1` the total is within `n / (n + 1) < 1` of the optimum, hence optimal.
//!
//! Reservations are remembered from the moment of the bid and lowered when a reverse bid makes
//! another engineer cheaper for the ticket; every phase still ends with a check of every ticket, and
//! the ones outside `ε` bid again.

use std::collections::VecDeque;

use super::{Reverse, Scaled};
use crate::solve::{Network, NetworkSolution};

/// The factor by which `ε` shrinks between phases (measured on the M and L instances: 4, 8, 16, 32
/// and 64 were tried; 16 was fastest on both).
const ALPHA: i64 = 16;

const NONE: u32 = u32::MAX;
/// Holder value of a ticket on its "unassigned" option.
const DUMMY: u32 = u32::MAX - 1;

/// Rounds of "check every ticket, re-bid the ones outside ε" per phase before giving up.
const MAX_CHECK_ROUNDS: usize = 64;

/// Solves `net` exactly, or returns `None` when it has load costs (engineer places are not all alike),
/// when scaled costs could overflow, or when a phase does not settle (the caller then uses shortest
/// paths). Deterministic.
pub fn solve(net: &Network) -> Option<NetworkSolution> {
    if net.load_costs().is_some() {
        return None;
    }
    let mut a = Transport::new(net)?;
    let mut eps = (a.max_abs / ALPHA).max(1);
    loop {
        a.phase(eps)?;
        if eps == 1 {
            break;
        }
        eps = (eps / ALPHA).max(1);
    }
    let assignment: Vec<Option<u32>> = a
        .holder
        .iter()
        .map(|&e| (e != DUMMY && e != NONE).then_some(e))
        .collect();
    let objective = net.evaluate(&assignment).ok()?;
    Some(NetworkSolution {
        assignment,
        objective,
    })
}

struct Transport<'a> {
    net: &'a Network,
    arc_engineer: &'a [u32],
    /// Arc costs × (n + 1).
    arc_cost: Vec<i64>,
    /// Penalties × (n + 1).
    penalty: Vec<i64>,
    max_abs: i64,
    capacity: Vec<u32>,
    price: Vec<i64>,
    /// Per engineer, its tickets, unordered (capacities are
    /// small, so a scan beats a heap here).
    held: Vec<Vec<u32>>,
    /// Each held ticket's reservation at its engineer: the most it would pay there.
    reserve: Vec<i64>,
    /// The engineer each ticket holds, `DUMMY`, or `NONE` while it bids.
    holder: Vec<u32>,
    /// Scaled arc cost of the held engineer (the ticket pays it plus the engineer's price).
    held_cost: Vec<i64>,
    queue: VecDeque<u32>,
    reverse: Option<Reverse>,
}

impl<'a> Transport<'a> {
    fn new(net: &'a Network) -> Option<Transport<'a>> {
        let n = net.tickets();
        let scaled = Scaled::new(net)?;
        let max_abs = scaled.max_abs(&[])?;
        let Scaled {
            arc_cost, penalty, ..
        } = scaled;
        let m = net.engineers();
        Some(Transport {
            net,
            arc_engineer: net.arc_engineer(),
            arc_cost,
            penalty,
            max_abs,
            capacity: (0..m).map(|e| net.capacity(e)).collect(),
            price: vec![0; m],
            held: vec![Vec::new(); m],
            reserve: vec![0; n],
            holder: vec![NONE; n],
            held_cost: vec![0; n],
            queue: VecDeque::with_capacity(n),
            reverse: None,
        })
    }

    /// What ticket `t` pays now for the option it holds.
    fn value(&self, t: usize) -> i64 {
        match self.holder[t] {
            DUMMY => self.penalty[t],
            e => self.held_cost[t] + self.price[e as usize],
        }
    }

    /// Best option of `t` as (value, engineer or NONE for "unassigned", arc cost) and the value of the
    /// second best. `skip` leaves one engineer out.
    fn options(&self, t: usize, skip: u32) -> (i64, u32, i64, i64) {
        let (mut best_v, mut best_e, mut best_c, mut second_v) =
            (self.penalty[t], NONE, 0, i64::MAX);
        for a in self.net.arc_range(t) {
            let e = self.arc_engineer[a];
            if e == skip || self.capacity[e as usize] == 0 {
                continue;
            }
            let v = self.arc_cost[a] + self.price[e as usize];
            if v < best_v {
                second_v = best_v;
                best_v = v;
                best_e = e;
                best_c = self.arc_cost[a];
            } else if v < second_v {
                second_v = v;
            }
        }
        (best_v, best_e, best_c, second_v)
    }

    fn detach(&mut self, t: u32) {
        let e = self.holder[t as usize];
        if e != DUMMY && e != NONE {
            let list = &mut self.held[e as usize];
            let at = list.iter().position(|&x| x == t).expect("held ticket");
            list.swap_remove(at);
        }
        self.holder[t as usize] = NONE;
    }

    /// One bid of ticket `t`.
    fn bid(&mut self, t: u32, eps: i64) {
        let tu = t as usize;
        let (_, e, c, second_v) = self.options(tu, NONE);
        if e == NONE {
            self.holder[tu] = DUMMY;
            return;
        }
        let eu = e as usize;
        // second_v is finite: the ticket's own "unassigned" option is always an alternative.
        let r = second_v - c;
        if (self.held[eu].len() as u32) < self.capacity[eu] {
            self.held[eu].push(t);
            self.reserve[tu] = r;
            self.holder[tu] = e;
            self.held_cost[tu] = c;
            return;
        }
        // Full: the weakest of the holders and the bidder leaves, the price rises above its
        // reservation (and no higher than the next weakest one's, so the others stay within ε).
        let list = &self.held[eu];
        let (mut w1, mut w2) = ((i64::MAX, NONE), i64::MAX);
        let mut at = 0;
        for (i, &x) in list.iter().enumerate() {
            let rr = self.reserve[x as usize];
            if (rr, x) < w1 {
                w2 = w1.0;
                w1 = (rr, x);
                at = i;
            } else if rr < w2 {
                w2 = rr;
            }
        }
        if (r, t) < w1 {
            // The bidder is the weakest: it is priced out and bids again elsewhere.
            self.price[eu] = self.price[eu].max(r + eps);
            self.queue.push_back(t);
            return;
        }
        // The weakest holder (reservation w1.0) leaves; the price rises as far as the others allow:
        // ε above the next weakest reservation among the bidder and the remaining holders.
        self.price[eu] = self.price[eu].max(r.min(w2) + eps);
        let out = w1.1;
        self.held[eu].swap_remove(at);
        self.holder[out as usize] = NONE;
        self.queue.push_back(out);
        self.held[eu].push(t);
        self.reserve[tu] = r;
        self.holder[tu] = e;
        self.held_cost[tu] = c;
    }

    fn run_queue(&mut self, eps: i64) {
        while let Some(t) = self.queue.pop_front() {
            self.bid(t, eps);
        }
    }

    /// Queues every ticket not within `ε` of its best option; returns how many.
    fn requeue_outside(&mut self, eps: i64) -> usize {
        let mut count = 0;
        for t in 0..self.net.tickets() {
            if self.holder[t] != NONE {
                let (best, ..) = self.options(t, NONE);
                if self.value(t) <= best + eps {
                    continue;
                }
                self.detach(t as u32);
            }
            self.queue.push_back(t as u32);
            count += 1;
        }
        count
    }

    fn phase(&mut self, eps: i64) -> Option<()> {
        self.requeue_outside(eps);
        for _ in 0..MAX_CHECK_ROUNDS {
            self.run_queue(eps);
            self.reverse_bids(eps);
            if self.requeue_outside(eps) == 0 {
                return Some(());
            }
        }
        None
    }

    /// Engineers with room and a positive price lower it to attract the ticket that gains most (to
    /// just below the second best gain, so every other ticket stays within `ε`), or to 0.
    fn reverse_bids(&mut self, eps: i64) {
        let mut free: Vec<u32> = (0..self.capacity.len() as u32)
            .filter(|&e| {
                self.price[e as usize] > 0
                    && (self.held[e as usize].len() as u32) < self.capacity[e as usize]
            })
            .collect();
        if free.is_empty() {
            return;
        }
        let reverse = self
            .reverse
            .take()
            .unwrap_or_else(|| Reverse::new(self.net, &self.arc_cost));
        while let Some(e) = free.pop() {
            let eu = e as usize;
            if self.price[eu] == 0 || self.held[eu].len() as u32 >= self.capacity[eu] {
                continue;
            }
            let (tickets, costs) = reverse.of(eu);
            let (mut g1, mut g2, mut who, mut who_cost) = (i64::MIN, i64::MIN, NONE, 0);
            for (&t, &c) in tickets.iter().zip(costs) {
                if self.holder[t as usize] == e {
                    continue;
                }
                let gain = self.value(t as usize) - c;
                if gain > g1 {
                    g2 = g1;
                    g1 = gain;
                    who = t;
                    who_cost = c;
                } else if gain > g2 {
                    g2 = gain;
                }
            }
            if who == NONE || g1 - eps < 0 {
                self.price[eu] = 0;
                continue;
            }
            self.price[eu] = self.price[eu].min(g2.saturating_sub(eps).max(0));
            // A cheaper `e` may lower the second-best value of tickets held elsewhere: keep their
            // reservations exact upper bounds.
            let price = self.price[eu];
            for (&t, &c) in tickets.iter().zip(costs) {
                let h = self.holder[t as usize];
                if h == e || h == DUMMY || h == NONE || t == who {
                    continue;
                }
                let cap = c + price - self.held_cost[t as usize];
                let r = &mut self.reserve[t as usize];
                *r = (*r).min(cap);
            }
            let old = self.holder[who as usize];
            self.detach(who);
            // Its reservation here: its best value anywhere else.
            let (w, ..) = self.options(who as usize, e);
            self.held[eu].push(who);
            self.reserve[who as usize] = w - who_cost;
            self.holder[who as usize] = e;
            self.held_cost[who as usize] = who_cost;
            if self.price[eu] > 0 && (self.held[eu].len() as u32) < self.capacity[eu] {
                free.push(e);
            }
            if old != DUMMY && self.price[old as usize] > 0 {
                free.push(old);
            }
        }
        self.reverse = Some(reverse);
    }
}
