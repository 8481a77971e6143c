//! Helpers shared by the integration tests (each test file uses some of them).
#![allow(dead_code)]

use dispatchkit::{Plan, Ticket};

pub mod policy_gen;

/// Asserts that every input ticket appears exactly once in the plan, assigned or unassigned.
pub fn assert_each_ticket_once(plan: &Plan, tickets: &[Ticket]) {
    let mut seen: Vec<&str> = plan
        .assignments()
        .iter()
        .map(|a| a.ticket.as_str())
        .chain(plan.unassigned().iter().map(|u| u.ticket.as_str()))
        .collect();
    seen.sort_unstable();
    let mut want: Vec<&str> = tickets.iter().map(|t| t.id.as_str()).collect();
    want.sort_unstable();
    assert_eq!(seen, want, "every ticket exactly once");
}
