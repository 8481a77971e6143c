//! ε-scaling auction for the capacitated assignment with optional tickets (Bertsekas), exact on
//! integer costs.
//!
//! # The model as an auction
//! Tickets are bidders; engineer `e` offers `capacity[e]` slots, slot `k` carrying the extra load cost
//! `m_k`; each ticket also has a private "unassigned" option that costs its penalty and never changes
//! price. Every ticket must hold exactly one option; slots may stay free.
//!
//! # The method
//! Costs are multiplied by `n + 1`. In a phase with step `ε`, each ticket without an option finds its best
//! option (arc cost + slot price + `m_k`) and the second best, and bids for the best slot, raising its
//! price by the difference plus `ε`; the slot's previous holder becomes unassigned and bids again.
//! A phase ends when every ticket holds an option; then every ticket is within `ε` of its best
//! (ε-complementary slackness). Phases divide `ε` by `ALPHA` (4) down to 1, so each phase starts from
//! nearly right prices and needs few bids.
//!
//! INVARIANT (at the end of every phase): each ticket is within `ε` of its best option, and every free
//! slot has price 0. The second part is what makes slots optional (the dual variables of
//! `≤ capacity` rows are non-negative and positive only on full rows). A free slot that kept a
//! positive price from an earlier phase bids for tickets itself (reverse auction), lowering its price
//! just enough to attract the ticket that gains most, or to 0 when none does.
//! With `ε = 1` on costs scaled by `n + 1`, the total is within `n / (n + 1) < 1` of the optimum in
//! original units, hence optimal, since costs are integers.
//!
//! Unlike one-at-a-time shortest paths, bidding handles shortage well: when many tickets compete for
//! few slots, prices rise in steps of `ε` for all of them at once, and the tickets that cannot afford
//! a slot settle on "unassigned" without a search over the whole region.

use std::collections::VecDeque;

use super::{Reverse, Scaled};
use crate::solve::{Network, NetworkSolution};

/// The factor by which `ε` shrinks between phases.
const ALPHA: i64 = 4;

const NONE: u32 = u32::MAX;
/// `ticket_slot` value of a ticket that holds its "unassigned" option.
const DUMMY: u32 = u32::MAX - 1;

/// Solves `net` exactly, or returns `None` when the scaled costs could overflow `i64` or there are
/// more than `u32::MAX` arcs (the caller then uses shortest paths). Deterministic.
pub fn solve(net: &Network) -> Option<NetworkSolution> {
    let mut a = Auction::new(net)?;
    let mut eps = (a.max_abs / ALPHA).max(1);
    loop {
        a.phase(eps);
        if eps == 1 {
            break;
        }
        eps = (eps / ALPHA).max(1);
    }
    let assignment: Vec<Option<u32>> = a
        .ticket_slot
        .iter()
        .map(|&s| (s != DUMMY).then(|| a.slot_engineer[s as usize]))
        .collect();
    let objective = net.evaluate(&assignment).ok()?;
    Some(NetworkSolution {
        assignment,
        objective,
    })
}

struct Auction<'a> {
    net: &'a Network,
    arc_engineer: &'a [u32],
    /// Arc costs × (n + 1).
    arc_cost: Vec<i64>,
    /// Penalties × (n + 1).
    penalty: Vec<i64>,
    /// The largest absolute scaled cost, penalty or load cost.
    max_abs: i64,
    /// Slots of engineer `e` are `slot_start[e]..slot_start[e + 1]`.
    slot_start: Vec<usize>,
    slot_engineer: Vec<u32>,
    /// Scaled load cost of each slot.
    slot_extra: Vec<i64>,
    /// Price of each slot.
    slot_price: Vec<i64>,
    slot_holder: Vec<u32>,
    /// Per engineer: the cheapest slot (price + load cost), its value, and the second cheapest value.
    best_slot: Vec<u32>,
    best_q: Vec<i64>,
    second_q: Vec<i64>,
    /// The option each ticket holds: a slot index, `DUMMY`, or `NONE` while bidding.
    ticket_slot: Vec<u32>,
    queue: VecDeque<u32>,
    /// Tickets with an arc to each engineer (built on first need).
    reverse: Option<Reverse>,
    /// What each ticket pays for the option it holds (arc + load cost + slot price at the time it
    /// took the slot, or its penalty). A held slot's price only changes when someone outbids the
    /// holder, so this stays exact while the ticket holds the option.
    value: Vec<i64>,
}

impl<'a> Auction<'a> {
    fn new(net: &'a Network) -> Option<Auction<'a>> {
        let n = net.tickets();
        let scaled = Scaled::new(net)?;
        let mut slot_start = Vec::with_capacity(net.engineers() + 1);
        let mut slot_engineer = Vec::new();
        let mut slot_extra = Vec::new();
        slot_start.push(0);
        for e in 0..net.engineers() {
            for k in 0..net.capacity(e) as usize {
                slot_engineer.push(e as u32);
                slot_extra.push(net.load_cost(e, k).checked_mul(scaled.scale)?);
            }
            slot_start.push(slot_engineer.len());
        }
        let max_abs = scaled.max_abs(&slot_extra)?;
        let Scaled {
            arc_cost, penalty, ..
        } = scaled;
        let slots = slot_engineer.len();
        let m = net.engineers();
        let mut a = Auction {
            net,
            arc_engineer: net.arc_engineer(),
            arc_cost,
            penalty,
            max_abs,
            slot_start,
            slot_engineer,
            slot_extra,
            slot_price: vec![0; slots],
            slot_holder: vec![NONE; slots],
            best_slot: vec![NONE; m],
            best_q: vec![i64::MAX; m],
            second_q: vec![i64::MAX; m],
            ticket_slot: vec![NONE; n],
            queue: VecDeque::with_capacity(n),
            reverse: None,
            value: vec![0; n],
        };
        for e in 0..m {
            a.refresh(e);
        }
        Some(a)
    }

    /// Recomputes engineer `e`'s cheapest and second-cheapest slot values. `O(capacity)`.
    fn refresh(&mut self, e: usize) {
        let (mut b, mut bq, mut sq) = (NONE, i64::MAX, i64::MAX);
        for s in self.slot_start[e]..self.slot_start[e + 1] {
            let q = self.slot_price[s] + self.slot_extra[s];
            if q < bq {
                sq = bq;
                bq = q;
                b = s as u32;
            } else if q < sq {
                sq = q;
            }
        }
        self.best_slot[e] = b;
        self.best_q[e] = bq;
        self.second_q[e] = sq;
    }

    /// What ticket `t` pays now for the option it holds.
    fn held_value(&self, t: usize) -> i64 {
        self.value[t]
    }

    /// The cheapest option of ticket `t` at the current prices.
    fn best_value(&self, t: usize) -> i64 {
        self.net
            .arc_range(t)
            .map(|a| self.arc_cost[a].saturating_add(self.best_q[self.arc_engineer[a] as usize]))
            .fold(self.penalty[t], i64::min)
    }

    /// One bid of ticket `t`.
    fn bid(&mut self, t: u32, eps: i64) {
        let tu = t as usize;
        let (mut best_v, mut best_e, mut second_v) = (self.penalty[tu], NONE, i64::MAX);
        let mut best_arc_cost = 0;
        for a in self.net.arc_range(tu) {
            let e = self.arc_engineer[a] as usize;
            let bq = self.best_q[e];
            if bq == i64::MAX {
                continue; // no slots
            }
            let v = self.arc_cost[a] + bq;
            if v < best_v {
                second_v = best_v.min(self.arc_cost[a].saturating_add(self.second_q[e]));
                best_v = v;
                best_e = e as u32;
                best_arc_cost = self.arc_cost[a];
            } else if v < second_v {
                second_v = v;
            }
        }
        if best_e == NONE {
            self.ticket_slot[tu] = DUMMY;
            self.value[tu] = self.penalty[tu];
            return;
        }
        let e = best_e as usize;
        let s = self.best_slot[e] as usize;
        // second_v is finite: the ticket's own "unassigned" option is always an alternative.
        self.slot_price[s] += second_v - best_v + eps;
        self.value[tu] = best_arc_cost + self.slot_extra[s] + self.slot_price[s];
        let previous = std::mem::replace(&mut self.slot_holder[s], t);
        if previous != NONE {
            self.ticket_slot[previous as usize] = NONE;
            self.queue.push_back(previous);
        }
        self.ticket_slot[tu] = s as u32;
        self.refresh(e);
    }

    fn run_queue(&mut self, eps: i64) {
        while let Some(t) = self.queue.pop_front() {
            self.bid(t, eps);
        }
    }

    /// One ε-phase: tickets no longer within the new `ε` of their best option give it up and bid
    /// against the current prices (forward auction), then free slots with a positive price bid for
    /// tickets (reverse auction) until none is left.
    fn phase(&mut self, eps: i64) {
        for t in 0..self.net.tickets() {
            if self.ticket_slot[t] != NONE && self.held_value(t) > self.best_value(t) + eps {
                let s = self.ticket_slot[t];
                if s != DUMMY {
                    self.slot_holder[s as usize] = NONE;
                    self.refresh(self.slot_engineer[s as usize] as usize);
                }
                self.ticket_slot[t] = NONE;
            }
            if self.ticket_slot[t] == NONE {
                self.queue.push_back(t as u32);
            }
        }
        self.run_queue(eps);
        self.reverse_bids(eps);
    }

    /// Reverse auction: each free slot with a positive price lowers it to attract the ticket that
    /// gains most from it, just enough that every other ticket stays within `ε` of its best (the
    /// second-best gain minus `ε`), or to 0 when no ticket gains from it. A ticket that moves frees its
    /// old slot, which bids in turn. Prices only fall here and no ticket is left without an option,
    /// so no forward bidding is needed afterwards.
    fn reverse_bids(&mut self, eps: i64) {
        let mut free: Vec<u32> = (0..self.slot_price.len() as u32)
            .filter(|&s| self.slot_holder[s as usize] == NONE && self.slot_price[s as usize] > 0)
            .collect();
        if free.is_empty() {
            return;
        }
        let reverse = self
            .reverse
            .take()
            .unwrap_or_else(|| Reverse::new(self.net, &self.arc_cost));
        while let Some(s) = free.pop() {
            let su = s as usize;
            if self.slot_holder[su] != NONE || self.slot_price[su] == 0 {
                continue;
            }
            let e = self.slot_engineer[su] as usize;
            let extra = self.slot_extra[su];
            // Gain of ticket t from taking this slot at price 0: what it pays now minus arc + load.
            let (mut g1, mut g2, mut who) = (i64::MIN, i64::MIN, NONE);
            let (tickets, costs) = reverse.of(e);
            for (&t, &cost) in tickets.iter().zip(costs) {
                let gain = self.value[t as usize] - cost - extra;
                if gain > g1 {
                    g2 = g1;
                    g1 = gain;
                    who = t;
                } else if gain > g2 {
                    g2 = gain;
                }
            }
            if who == NONE || g1 - eps < 0 {
                // Nobody gains from it even for free: a free slot at price 0.
                self.slot_price[su] = 0;
                self.refresh(e);
                continue;
            }
            self.slot_price[su] = (g2.saturating_sub(eps)).max(0);
            let wu = who as usize;
            let old = std::mem::replace(&mut self.ticket_slot[wu], s);
            let (tickets, costs) = reverse.of(e);
            let cost = tickets
                .iter()
                .zip(costs)
                .find(|&(&t, _)| t == who)
                .map(|(_, &c)| c)
                .expect("arc");
            self.value[wu] = cost + extra + self.slot_price[su];
            self.slot_holder[su] = who;
            self.refresh(e);
            if old != DUMMY {
                let ou = old as usize;
                self.slot_holder[ou] = NONE;
                self.refresh(self.slot_engineer[ou] as usize);
                if self.slot_price[ou] > 0 {
                    free.push(old);
                }
            }
        }
        self.reverse = Some(reverse);
    }
}
