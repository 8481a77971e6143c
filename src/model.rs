//! The domain model: tickets, engineers, customers, skills, priorities, positions and shifts.
//!
//! Everything here is plain data with serde, JSON first. Field names in JSON are the Rust field names
//! (`snake_case`); optional fields may be omitted. Validation lives in [`validate_engineers`] and
//! [`validate_tickets`] (called by [`Fleet::new`](crate::Fleet::new) and
//! [`Dispatcher::plan`](crate::Dispatcher::plan)), and reports the first problem with the item's id.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Entity, Error, ErrorKind};

/// The highest skill level; levels run from 0 (none) to 5 (expert).
pub const MAX_SKILL_LEVEL: u8 = 5;

/// The largest `capacity` or `open_tickets` an engineer may have.
pub const MAX_COUNT: i32 = 100_000;

/// A ticket's id: the host system's own string, shared (a clone is a reference count, not a
/// copy: plans, rankings and explanations name tickets and engineers often). Build one with
/// `TicketId::from("T-1")` or `"T-1".into()`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub Arc<str>);

/// An engineer's id: the host system's own string, shared like [`TicketId`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EngineerId(pub Arc<str>);

macro_rules! id_impls {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<&str> for $t {
            fn from(s: &str) -> $t {
                $t(Arc::from(s))
            }
        }
        impl From<String> for $t {
            fn from(s: String) -> $t {
                $t(Arc::from(s))
            }
        }
        impl $t {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
id_impls!(TicketId);
id_impls!(EngineerId);

/// A position in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

impl LatLon {
    /// A position from latitude and longitude in degrees (not validated here).
    pub const fn new(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    fn check(&self, entity: Entity, id: &str) -> Result<(), Error> {
        for (field, value, limit) in [("latitude", self.lat, 90.0), ("longitude", self.lon, 180.0)]
        {
            if !value.is_finite() || value.abs() > limit {
                return Err(ErrorKind::InvalidCoordinate {
                    entity,
                    id: id.to_string(),
                    field,
                    value,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// A ticket's urgency, `P1` (most urgent) to `P4`.
///
/// Priority is lexicographic in the solver: a higher-priority ticket is never left unassigned so that
/// a lower-priority one can be served, when swapping them is feasible.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Priority {
    /// Critical.
    P1,
    /// High.
    P2,
    /// Normal.
    #[default]
    P3,
    /// Low.
    P4,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// 0 for P1 up to 3 for P4.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.index() + 1)
    }
}

/// A customer's service tier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The ordinary contract.
    #[default]
    Standard,
    /// A paid-up contract with faster targets.
    Gold,
    /// Very important customer.
    Vip,
}

/// The customer a ticket is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Customer {
    /// The host system's customer id.
    pub id: String,
    /// Service tier.
    #[serde(default)]
    pub tier: Tier,
    /// The engineer who last served this customer, if known (must be in the fleet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_engineer: Option<EngineerId>,
    /// Engineers this customer does not want sent (rules read it as
    /// `ticket.customer.excluded_engineers`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_engineers: Vec<EngineerId>,
}

/// A free-form typed attribute value (the rule language declares and checks their types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string (also times and enum values, typed by the policy's declarations).
    Str(String),
    /// A set of strings.
    Set(Vec<String>),
}

/// Free-form attributes, ordered by name so output is deterministic.
pub type Attributes = BTreeMap<String, AttrValue>;

/// A service ticket to dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Unique, non-empty id.
    pub id: TicketId,
    /// Where the work is.
    pub location: LatLon,
    /// The category, which is also the required skill's name (`network`, `hvac`, ...).
    pub category: String,
    /// The minimum level of that skill an engineer needs (0..=5).
    #[serde(default)]
    pub min_level: u8,
    /// Urgency.
    #[serde(default)]
    pub priority: Priority,
    /// When the ticket was opened.
    pub created_at: DateTime<Utc>,
    /// When the service level agreement expects it resolved, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_due: Option<DateTime<Utc>>,
    /// Estimated time on site, in minutes.
    #[serde(default = "default_duration_min")]
    pub duration_min: u32,
    /// The customer, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// An engineer this ticket must go to (already in progress, or pinned by a user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_engineer: Option<EngineerId>,
    /// Custom attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    /// When the customer expects the engineer: work must start inside this window (an engineer who
    /// arrives early waits). `None`: any time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment: Option<TimeWindow>,
}

/// A window of time, both ends included: an appointment slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Earliest start.
    pub start: DateTime<Utc>,
    /// Latest start.
    pub end: DateTime<Utc>,
}

fn default_duration_min() -> u32 {
    60
}

impl Ticket {
    /// A ticket with the required fields; the rest take their defaults (P3, level 0, 60 minutes).
    pub fn new(
        id: impl Into<TicketId>,
        location: LatLon,
        category: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Ticket {
        Ticket {
            id: id.into(),
            location,
            category: category.into(),
            min_level: 0,
            priority: Priority::default(),
            created_at,
            sla_due: None,
            duration_min: default_duration_min(),
            customer: None,
            pinned_engineer: None,
            attributes: Attributes::new(),
            appointment: None,
        }
    }

    /// Sets the appointment window (chainable).
    pub fn with_appointment(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Ticket {
        self.appointment = Some(TimeWindow { start, end });
        self
    }

    /// Sets the estimated time on site (chainable).
    pub fn with_duration_min(mut self, minutes: u32) -> Ticket {
        self.duration_min = minutes;
        self
    }

    /// Sets the SLA due time (chainable).
    pub fn with_sla_due(mut self, due: DateTime<Utc>) -> Ticket {
        self.sla_due = Some(due);
        self
    }

    /// Sets the priority (chainable).
    pub fn with_priority(mut self, priority: Priority) -> Ticket {
        self.priority = priority;
        self
    }

    /// Sets the minimum skill level (chainable).
    pub fn with_min_level(mut self, level: u8) -> Ticket {
        self.min_level = level;
        self
    }
}

/// A working period. An engineer is on shift at `t` when `start <= t < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Start of the shift.
    pub start: DateTime<Utc>,
    /// End of the shift (exclusive).
    pub end: DateTime<Utc>,
}

impl Shift {
    /// Whether `t` falls inside the shift.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// A field engineer (or helpdesk agent) who can take tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engineer {
    /// Unique, non-empty id.
    pub id: EngineerId,
    /// Where the engineer is now.
    pub location: LatLon,
    /// Skill levels by skill name, each 0..=5; a missing skill is level 0.
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    /// Team name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Territory (district) name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    /// How many open tickets the engineer may hold at once (must be ≥ 0).
    pub capacity: i32,
    /// Tickets the engineer holds already (must be ≥ 0); remaining capacity is `capacity - open_tickets`.
    #[serde(default)]
    pub open_tickets: i32,
    /// Working hours; `None` means always available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<Shift>,
    /// When the engineer was last given a ticket (rules use it for round-robin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Custom attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    /// Minutes of work the engineer can still take on in this run (must be ≥ 0); `None` means no
    /// hour limit. Tickets use their `duration_min` of it. See `Config::shift_hours` for deriving it
    /// from the shift instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_min: Option<i32>,
}

impl Engineer {
    /// An engineer with the required fields; no skills, no shift limits, no open tickets.
    pub fn new(id: impl Into<EngineerId>, location: LatLon, capacity: i32) -> Engineer {
        Engineer {
            id: id.into(),
            location,
            skills: BTreeMap::new(),
            team: None,
            territory: None,
            capacity,
            open_tickets: 0,
            shift: None,
            last_assigned_at: None,
            attributes: Attributes::new(),
            available_min: None,
        }
    }

    /// Sets the minutes the engineer can still work in this run (chainable).
    pub fn with_available_min(mut self, minutes: i32) -> Engineer {
        self.available_min = Some(minutes);
        self
    }

    /// Adds a skill at a level (chainable).
    pub fn with_skill(mut self, skill: impl Into<String>, level: u8) -> Engineer {
        self.skills.insert(skill.into(), level);
        self
    }

    /// The engineer's level in `skill` (0 when absent).
    pub fn skill_level(&self, skill: &str) -> u8 {
        self.skills.get(skill).copied().unwrap_or(0)
    }

    /// Tickets the engineer can still take (0 when already at or over capacity).
    pub fn remaining_capacity(&self) -> u32 {
        u32::try_from(self.capacity.saturating_sub(self.open_tickets)).unwrap_or(0)
    }

    /// Whether the engineer works at `t` (always, when no shift is given).
    pub fn on_shift(&self, t: DateTime<Utc>) -> bool {
        self.shift.is_none_or(|s| s.contains(t))
    }
}

fn check_ids<'a>(
    entity: Entity,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<&'a str, usize>, Error> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, id) in ids.enumerate() {
        if id.trim().is_empty() {
            return Err(ErrorKind::EmptyId { entity, index }.into());
        }
        if let Some(&first) = seen.get(id) {
            return Err(ErrorKind::DuplicateId {
                entity,
                id: id.to_string(),
                first,
                second: index,
            }
            .into());
        }
        seen.insert(id, index);
    }
    Ok(seen)
}

/// Checks a list of engineers: ids non-empty and unique, coordinates valid, counts non-negative, skill
/// levels 0..=5, shifts ordered.
///
/// # Errors
/// The first problem found, naming the engineer.
pub fn validate_engineers(engineers: &[Engineer]) -> Result<(), Error> {
    check_ids(Entity::Engineer, engineers.iter().map(|e| e.id.as_str()))?;
    for e in engineers {
        let id = e.id.as_str();
        e.location.check(Entity::Engineer, id)?;
        for (field, value) in [
            ("capacity", e.capacity),
            ("open_tickets", e.open_tickets),
            ("available_min", e.available_min.unwrap_or(0)),
        ] {
            if value < 0 {
                return Err(ErrorKind::NegativeCount {
                    engineer: id.to_string(),
                    field,
                    value: value.into(),
                }
                .into());
            }
            if value > MAX_COUNT {
                return Err(ErrorKind::CountTooLarge {
                    engineer: id.to_string(),
                    field,
                    value: value.into(),
                    max: MAX_COUNT.into(),
                }
                .into());
            }
        }
        if let Some((skill, &level)) = e.skills.iter().find(|(_, l)| **l > MAX_SKILL_LEVEL) {
            return Err(ErrorKind::SkillLevelOutOfRange {
                entity: Entity::Engineer,
                id: id.to_string(),
                skill: skill.clone(),
                level: level.into(),
            }
            .into());
        }
        if e.shift.is_some_and(|s| s.end < s.start) {
            return Err(ErrorKind::InvalidShift {
                engineer: id.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// Checks a list of tickets against a fleet's engineer ids: ids non-empty and unique, coordinates valid,
/// minimum level 0..=5, `duration_min` at most [`MAX_MINUTES`](crate::solve::mip::MAX_MINUTES),
/// appointment windows ordered, every referenced engineer known.
///
/// # Errors
/// The first problem found, naming the ticket.
pub fn validate_tickets(
    tickets: &[Ticket],
    engineer_known: impl Fn(&EngineerId) -> bool,
) -> Result<(), Error> {
    check_ids(Entity::Ticket, tickets.iter().map(|t| t.id.as_str()))?;
    for t in tickets {
        let id = t.id.as_str();
        t.location.check(Entity::Ticket, id)?;
        if t.min_level > MAX_SKILL_LEVEL {
            return Err(ErrorKind::SkillLevelOutOfRange {
                entity: Entity::Ticket,
                id: id.to_string(),
                skill: t.category.clone(),
                level: t.min_level.into(),
            }
            .into());
        }
        // The solvers bound one ticket's minutes so that sums cannot overflow.
        if u64::from(t.duration_min) > crate::solve::mip::MAX_MINUTES {
            return Err(ErrorKind::InvalidNumber {
                entity: Some(Entity::Ticket),
                id: id.to_string(),
                field: "duration_min",
                value: f64::from(t.duration_min),
            }
            .into());
        }
        if t.appointment.is_some_and(|w| w.end < w.start) {
            return Err(ErrorKind::InvalidWindow {
                ticket: id.to_string(),
            }
            .into());
        }
        let references = [
            (
                "customer.last_engineer",
                t.customer.as_ref().and_then(|c| c.last_engineer.as_ref()),
            ),
            ("pinned_engineer", t.pinned_engineer.as_ref()),
        ];
        for (field, engineer) in references {
            if let Some(engineer) = engineer.filter(|e| !engineer_known(e)) {
                return Err(ErrorKind::UnknownEngineer {
                    ticket: id.to_string(),
                    field,
                    engineer: engineer.to_string(),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Reads a JSON array of tickets.
///
/// # Errors
/// [`ErrorKind::Json`] with line and column when the text is not a valid ticket list. The tickets are
/// not validated here.
pub fn tickets_from_json(text: &str) -> Result<Vec<Ticket>, Error> {
    serde_json::from_str(text).map_err(|e| Error::json("tickets", &e))
}

/// Reads a JSON array of engineers.
///
/// # Errors
/// [`ErrorKind::Json`] with line and column when the text is not a valid engineer list. The engineers
/// are not validated here (that is [`Fleet::new`](crate::Fleet::new)'s job).
pub fn engineers_from_json(text: &str) -> Result<Vec<Engineer>, Error> {
    serde_json::from_str(text).map_err(|e| Error::json("engineers", &e))
}

/// Reads a JSON array of tickets from bytes (a file or a network buffer, not yet known to be
/// UTF-8).
///
/// # Errors
/// [`ErrorKind::Json`] with line and column, also for invalid UTF-8 and NUL bytes outside strings.
/// The tickets are not validated here.
pub fn tickets_from_slice(bytes: &[u8]) -> Result<Vec<Ticket>, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::json("tickets", &e))
}

/// Reads a JSON array of engineers from bytes (see [`tickets_from_slice`]).
///
/// # Errors
/// [`ErrorKind::Json`] with line and column, also for invalid UTF-8. The engineers are not validated
/// here.
pub fn engineers_from_slice(bytes: &[u8]) -> Result<Vec<Engineer>, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::json("engineers", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eng(id: &str) -> Engineer {
        Engineer::new(id, LatLon::new(42.36, -71.06), 4)
    }

    fn kind(r: Result<(), Error>) -> ErrorKind {
        r.unwrap_err().into_kind()
    }

    #[test]
    fn engineer_validation_names_the_problem() {
        assert!(validate_engineers(&[eng("a"), eng("b")]).is_ok());
        assert!(matches!(
            kind(validate_engineers(&[eng("a"), eng("a")])),
            ErrorKind::DuplicateId {
                first: 0,
                second: 1,
                ..
            }
        ));
        assert!(matches!(
            kind(validate_engineers(&[eng(" ")])),
            ErrorKind::EmptyId {
                entity: Entity::Engineer,
                index: 0
            }
        ));
        let mut e = eng("a");
        e.location.lat = f64::NAN;
        assert!(matches!(
            kind(validate_engineers(&[e])),
            ErrorKind::InvalidCoordinate {
                field: "latitude",
                ..
            }
        ));
        let mut e = eng("a");
        e.location.lon = 181.0;
        assert!(matches!(
            kind(validate_engineers(&[e])),
            ErrorKind::InvalidCoordinate {
                field: "longitude",
                ..
            }
        ));
        let mut e = eng("a");
        e.capacity = -1;
        let err = validate_engineers(&[e]).unwrap_err();
        assert_eq!(err.to_string(), r#"engineer "a": capacity -1 is negative"#);
        let e = eng("a").with_skill("network", 6);
        assert!(matches!(
            kind(validate_engineers(&[e])),
            ErrorKind::SkillLevelOutOfRange { level: 6, .. }
        ));
    }

    #[test]
    fn ticket_validation_checks_references() {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut t = Ticket::new("T-1", LatLon::new(42.0, -71.0), "network", now);
        t.customer = Some(Customer {
            id: "c".into(),
            tier: Tier::Vip,
            last_engineer: Some("ghost".into()),
            excluded_engineers: Vec::new(),
        });
        let err = validate_tickets(&[t], |e| e.as_str() == "a").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"ticket "T-1": customer.last_engineer refers to unknown engineer "ghost""#
        );
    }

    #[test]
    fn json_round_trip_and_defaults() {
        let text = r#"[{"id":"T-1","location":{"lat":42.3,"lon":-71.0},"category":"network",
            "created_at":"2025-01-06T09:00:00Z","priority":"P1",
            "customer":{"id":"c1","tier":"vip"},"attributes":{"floor":3,"vip":true}}]"#;
        let tickets = tickets_from_json(text).unwrap();
        assert_eq!(tickets[0].priority, Priority::P1);
        assert_eq!(tickets[0].duration_min, 60);
        assert_eq!(tickets[0].attributes["floor"], AttrValue::Int(3));
        let again = tickets_from_json(&serde_json::to_string(&tickets).unwrap()).unwrap();
        assert_eq!(again, tickets);
        let err = tickets_from_json("[{\"id\": 3}]").unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Json { line: 1, .. }),
            "{err}"
        );
    }
}
