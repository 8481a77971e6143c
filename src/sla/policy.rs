//! SLA policies: response and resolution targets per priority, customer tier and category, counted
//! in business time on a [`BusinessCalendar`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::BusinessCalendar;
use crate::error::{Error, ErrorKind};
use crate::model::{Priority, Ticket, Tier};

/// One row of a policy: the targets for tickets that match its filters. A filter left out matches
/// every ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    /// Only tickets of this priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Only tickets of customers in this tier (a ticket without a customer is `standard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Only tickets of this category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Minutes from creation to the first response (the engineer on site).
    pub response_min: u32,
    /// Minutes from creation to resolution (work finished).
    pub resolution_min: u32,
    /// Whether the minutes are business minutes of the policy's calendar (default) or wall-clock.
    #[serde(default = "yes")]
    pub business_hours: bool,
}

fn yes() -> bool {
    true
}

impl SlaTarget {
    /// A target for every ticket, in business minutes.
    pub fn new(response_min: u32, resolution_min: u32) -> SlaTarget {
        SlaTarget {
            priority: None,
            tier: None,
            category: None,
            response_min,
            resolution_min,
            business_hours: true,
        }
    }

    /// Restricts the target to a priority (chainable).
    pub fn for_priority(mut self, p: Priority) -> SlaTarget {
        self.priority = Some(p);
        self
    }

    /// Restricts the target to a customer tier (chainable).
    pub fn for_tier(mut self, t: Tier) -> SlaTarget {
        self.tier = Some(t);
        self
    }

    /// Restricts the target to a category (chainable).
    pub fn for_category(mut self, c: impl Into<String>) -> SlaTarget {
        self.category = Some(c.into());
        self
    }

    /// Counts wall-clock minutes instead of business minutes (chainable); for 24/7 contracts.
    pub fn around_the_clock(mut self) -> SlaTarget {
        self.business_hours = false;
        self
    }

    /// How many filters it sets, or `None` when it does not match the ticket.
    fn specificity(&self, t: &Ticket) -> Option<u32> {
        let tier = t.customer.as_ref().map_or(Tier::Standard, |c| c.tier);
        let checks = [
            self.priority.map(|p| p == t.priority),
            self.tier.map(|x| x == tier),
            self.category.as_ref().map(|c| *c == t.category),
        ];
        let mut n = 0;
        for c in checks.into_iter().flatten() {
            if !c {
                return None;
            }
            n += 1;
        }
        Some(n)
    }
}

/// When a ticket's response and resolution are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaDue {
    /// First response due (engineer on site).
    pub response: DateTime<Utc>,
    /// Resolution due (work finished).
    pub resolution: DateTime<Utc>,
}

/// A service-level policy: targets and the calendar they count on.
///
/// The target that applies to a ticket is the matching one with the most filters set (priority,
/// tier, category); among equally specific ones, the first listed.
///
/// # Examples
/// ```
/// use chrono::{TimeZone, Utc};
/// use dispatchkit::sla::{BusinessCalendar, DstRule, SlaPolicy, SlaTarget};
/// use dispatchkit::{LatLon, Priority, Ticket, Tier};
/// let policy = SlaPolicy::new(
///     BusinessCalendar::weekdays(9, 17, 0, DstRule::None),
///     vec![
///         SlaTarget::new(480, 1440),                                   // everyone: 1 and 3 days
///         SlaTarget::new(60, 240).for_priority(Priority::P1),          // P1: 1 h and 4 h
///         SlaTarget::new(30, 120).for_priority(Priority::P1).for_tier(Tier::Vip).around_the_clock(),
///     ],
/// );
/// // A P1 opened on Friday at 16:00: due Monday 12:00 (1 business hour Friday, 3 on Monday).
/// let friday = Utc.with_ymd_and_hms(2025, 3, 7, 16, 0, 0).unwrap();
/// let t = Ticket::new("T-1", LatLon::new(51.5, -0.1), "network", friday).with_priority(Priority::P1);
/// let due = policy.due(&t)?.unwrap();
/// assert_eq!(due.response, Utc.with_ymd_and_hms(2025, 3, 7, 17, 0, 0).unwrap());
/// assert_eq!(due.resolution, Utc.with_ymd_and_hms(2025, 3, 10, 12, 0, 0).unwrap());
/// # Ok::<(), dispatchkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// The calendar business minutes are counted on.
    pub calendar: BusinessCalendar,
    /// The targets; see the type's documentation for which applies.
    pub targets: Vec<SlaTarget>,
}

impl SlaPolicy {
    /// A policy from its calendar and targets.
    pub fn new(calendar: BusinessCalendar, targets: Vec<SlaTarget>) -> SlaPolicy {
        SlaPolicy { calendar, targets }
    }

    /// The target that applies to a ticket, if any. `O(targets)`.
    pub fn target_for(&self, ticket: &Ticket) -> Option<&SlaTarget> {
        let mut best: Option<(u32, &SlaTarget)> = None;
        for target in &self.targets {
            if let Some(n) = target.specificity(ticket) {
                if best.is_none_or(|(b, _)| n > b) {
                    best = Some((n, target));
                }
            }
        }
        best.map(|(_, t)| t)
    }

    /// When the ticket's response and resolution are due, counted from `created_at`; `None` when no
    /// target applies.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCalendar`] when the calendar is invalid, or when the resolution target
    /// is shorter than the response target.
    pub fn due(&self, ticket: &Ticket) -> Result<Option<SlaDue>, Error> {
        let Some(target) = self.target_for(ticket) else {
            return Ok(None);
        };
        if target.resolution_min < target.response_min {
            let index = self
                .targets
                .iter()
                .position(|t| std::ptr::eq(t, target))
                .unwrap_or(0);
            return Err(ErrorKind::InvalidCalendar {
                field: format!("targets[{index}]"),
                problem: "resolution is due before response",
            }
            .into());
        }
        let add = |m: u32| {
            if target.business_hours {
                self.calendar.add_business_minutes(ticket.created_at, m)
            } else {
                self.calendar.validate()?;
                Ok(ticket.created_at + chrono::Duration::minutes(m.into()))
            }
        };
        Ok(Some(SlaDue {
            response: add(target.response_min)?,
            resolution: add(target.resolution_min)?,
        }))
    }

    /// Sets `sla_due` (the resolution due time) on every ticket that has none and that a target
    /// applies to; tickets with a due time keep it. Returns how many were set.
    ///
    /// # Errors
    /// As [`SlaPolicy::due`]; tickets before the failing one are already updated.
    pub fn apply(&self, tickets: &mut [Ticket]) -> Result<usize, Error> {
        let mut set = 0;
        for t in tickets.iter_mut().filter(|t| t.sla_due.is_none()) {
            if let Some(due) = self.due(t)? {
                t.sla_due = Some(due.resolution);
                set += 1;
            }
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Customer, LatLon};
    use chrono::TimeZone;

    #[test]
    fn most_specific_target_wins_and_serde_round_trips() {
        let policy = SlaPolicy::new(
            BusinessCalendar::always(),
            vec![
                SlaTarget::new(100, 1000),
                SlaTarget::new(50, 500).for_category("hvac"),
                SlaTarget::new(40, 400).for_priority(Priority::P1),
                SlaTarget::new(10, 100)
                    .for_priority(Priority::P1)
                    .for_tier(Tier::Gold),
                SlaTarget::new(5, 50).for_priority(Priority::P2), // first among equals below
                SlaTarget::new(6, 60).for_priority(Priority::P2),
            ],
        );
        let now = Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap();
        let mk = |p, cat: &str, tier: Option<Tier>| {
            let mut t = Ticket::new("t", LatLon::new(0.0, 0.0), cat, now).with_priority(p);
            t.customer = tier.map(|tier| Customer {
                id: "c".into(),
                tier,
                last_engineer: None,
                excluded_engineers: Vec::new(),
            });
            t
        };
        let resolution = |t: &Ticket| policy.target_for(t).map(|x| x.resolution_min);
        assert_eq!(resolution(&mk(Priority::P3, "network", None)), Some(1000));
        assert_eq!(resolution(&mk(Priority::P3, "hvac", None)), Some(500));
        assert_eq!(resolution(&mk(Priority::P1, "network", None)), Some(400));
        assert_eq!(
            resolution(&mk(Priority::P1, "hvac", Some(Tier::Gold))),
            Some(100)
        );
        assert_eq!(resolution(&mk(Priority::P2, "network", None)), Some(50));
        let mut tickets = vec![mk(Priority::P1, "x", None)];
        assert_eq!(policy.apply(&mut tickets).unwrap(), 1);
        assert_eq!(
            tickets[0].sla_due,
            Some(now + chrono::Duration::minutes(400))
        );
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(serde_json::from_str::<SlaPolicy>(&json).unwrap(), policy);
        let bad = SlaPolicy::new(BusinessCalendar::always(), vec![SlaTarget::new(10, 5)]);
        let err = bad.due(&mk(Priority::P3, "x", None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "calendar `targets[0]`: resolution is due before response"
        );
    }
}
