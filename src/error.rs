//! The run-time error: which input is wrong, and where.
//!
//! [`Error`] is small and opaque (one `Box` inside) so that new kinds can be added without breaking
//! users; match on [`Error::kind`] to react to a particular problem.

use std::fmt;

/// An error from validating input, reading a document or instance file, or running a solver backend.
///
/// Messages are lowercase, name the offending item (`ticket "T-17": latitude 123 is out of range`) and,
/// for text input, the line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: Box<ErrorKind>,
}

/// Which kind of item an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// A service ticket.
    Ticket,
    /// An engineer of the fleet.
    Engineer,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Ticket => "ticket",
            Entity::Engineer => "engineer",
        })
    }
}

/// What went wrong. New kinds may be added in minor releases.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An id is the empty string (or only whitespace).
    EmptyId {
        /// Ticket or engineer.
        entity: Entity,
        /// Position of the item in its input list (0-based).
        index: usize,
    },
    /// Two items share an id.
    DuplicateId {
        /// Ticket or engineer.
        entity: Entity,
        /// The repeated id.
        id: String,
        /// Position of the first occurrence (0-based).
        first: usize,
        /// Position of the repeat (0-based).
        second: usize,
    },
    /// A latitude or longitude is NaN, infinite, or outside [-90, 90] / [-180, 180].
    InvalidCoordinate {
        /// Ticket or engineer.
        entity: Entity,
        /// The item's id.
        id: String,
        /// `latitude` or `longitude`.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count that must not be negative is negative (`capacity`, `open_tickets`).
    NegativeCount {
        /// The engineer's id.
        engineer: String,
        /// The field name.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A count (`capacity`, `open_tickets`) is above [`MAX_COUNT`](crate::model::MAX_COUNT).
    CountTooLarge {
        /// The engineer's id.
        engineer: String,
        /// The field name.
        field: &'static str,
        /// The value given.
        value: i64,
        /// The largest allowed.
        max: i64,
    },
    /// A custom attribute that a policy declares is missing, of the wrong type or out of its
    /// declared range.
    Attribute {
        /// Ticket or engineer.
        entity: Entity,
        /// The item's id.
        id: String,
        /// The attribute's name.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A skill level (engineer skill or ticket minimum level) is outside 0..=5.
    SkillLevelOutOfRange {
        /// Ticket or engineer.
        entity: Entity,
        /// The item's id.
        id: String,
        /// The skill's name.
        skill: String,
        /// The level given.
        level: u32,
    },
    /// A shift ends before it starts.
    InvalidShift {
        /// The engineer's id.
        engineer: String,
    },
    /// A numeric setting is NaN, infinite or negative where it must not be.
    InvalidNumber {
        /// Ticket, engineer, or `None` for a configuration value.
        entity: Option<Entity>,
        /// The item's id, or the configuration field.
        id: String,
        /// The field name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A ticket refers to an engineer that is not in the fleet.
    UnknownEngineer {
        /// The ticket's id.
        ticket: String,
        /// The field holding the reference (`customer.last_engineer`, `pinned_engineer`).
        field: &'static str,
        /// The engineer id that was not found.
        engineer: String,
    },
    /// A JSON document could not be read.
    Json {
        /// What was being read (`tickets`, `engineers`, `plan`).
        document: &'static str,
        /// 1-based line of the problem (0 when unknown, e.g. at end of input).
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What was wrong, as the JSON reader put it.
        message: String,
    },
    /// An instance file (sparse assignment or OR-Library format) has a bad line.
    Instance {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// An instance's numbers do not fit together (an arc to an engineer that does not exist, ...).
    InvalidInstance {
        /// What is wrong.
        message: String,
    },
    /// The configured weights make costs too large to represent exactly (the solver works in integer
    /// thousandths of a point, bounded by `MAX_COST`).
    CostOverflow {
        /// The largest cost in points.
        points: f64,
    },
    /// A side limit of the configuration names a team or engineer the fleet does not have.
    InvalidLimit {
        /// Position of the limit in `Config::limits` (0-based).
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// The LP backend failed to solve a model it was given.
    LpSolver {
        /// The backend's own words.
        message: String,
    },
    /// A simulation scenario does not fit together (a ticket created outside the simulated period,
    /// a period that ends before it starts).
    InvalidScenario {
        /// The ticket concerned, if any.
        ticket: Option<String>,
        /// What is wrong.
        problem: &'static str,
    },
    /// A simulation policy made a decision the simulator cannot carry out.
    InvalidDecision {
        /// The policy's name.
        policy: String,
        /// Position of the decision in the policy's answer (0-based).
        index: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A simulation was cancelled by its progress callback.
    Cancelled,
    /// A ticket's appointment window ends before it starts.
    InvalidWindow {
        /// The ticket's id.
        ticket: String,
    },
    /// A business calendar or SLA policy is inconsistent (opening hours that close before they open,
    /// an offset out of range, ...).
    InvalidCalendar {
        /// Where in the calendar or policy (`hours[2]`, `utc_offset_min`, `targets[0]`).
        field: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A re-planning change names a ticket or engineer that the plan does not know, or adds a ticket
    /// whose id it already has.
    InvalidChange {
        /// Position of the change in its list (0-based).
        index: usize,
        /// Ticket or engineer.
        entity: Entity,
        /// The id named.
        id: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A run has more tickets or engineers than the configuration allows
    /// ([`Config::max_tickets`](crate::Config::max_tickets),
    /// [`Config::max_engineers`](crate::Config::max_engineers)).
    TooMany {
        /// Tickets or engineers.
        entity: Entity,
        /// How many were given.
        count: usize,
        /// The largest allowed.
        max: usize,
    },
}

impl Error {
    /// The kind of problem, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Consumes the error and returns its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.kind
    }

    /// The 1-based line the error points at, for errors about text input.
    pub fn line(&self) -> Option<usize> {
        match &*self.kind {
            ErrorKind::Json { line, .. } | ErrorKind::Instance { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The 1-based column the error points at, for errors about JSON text (instance files are
    /// read line by line and report the line only).
    pub fn column(&self) -> Option<usize> {
        match &*self.kind {
            ErrorKind::Json { column, .. } => Some(*column),
            _ => None,
        }
    }

    pub(crate) fn json(document: &'static str, err: &serde_json::Error) -> Error {
        // serde_json's message ends with " at line L column C"; keep only the description.
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(at) => full[..at].to_string(),
            None => full,
        };
        ErrorKind::Json {
            document,
            line: err.line(),
            column: err.column(),
            message,
        }
        .into()
    }

    pub(crate) fn instance(line: usize, message: impl Into<String>) -> Error {
        ErrorKind::Instance {
            line,
            message: message.into(),
        }
        .into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            ErrorKind::EmptyId { entity, index } => write!(f, "{entity} #{index}: id is empty"),
            ErrorKind::DuplicateId {
                entity,
                id,
                first,
                second,
            } => write!(
                f,
                "{entity} {id:?}: id appears twice (positions {first} and {second})"
            ),
            ErrorKind::InvalidCoordinate {
                entity,
                id,
                field,
                value,
            } => {
                write!(f, "{entity} {id:?}: {field} {value} is out of range")
            }
            ErrorKind::NegativeCount {
                engineer,
                field,
                value,
            } => {
                write!(f, "engineer {engineer:?}: {field} {value} is negative")
            }
            ErrorKind::CountTooLarge {
                engineer,
                field,
                value,
                max,
            } => write!(
                f,
                "engineer {engineer:?}: {field} {value} is above the limit {max}"
            ),
            ErrorKind::Attribute {
                entity,
                id,
                field,
                problem,
            } => write!(f, "{entity} {id:?}: attribute {field:?} {problem}"),
            ErrorKind::SkillLevelOutOfRange {
                entity,
                id,
                skill,
                level,
            } => write!(
                f,
                "{entity} {id:?}: level {level} of skill `{skill}` is outside 0..=5"
            ),
            ErrorKind::InvalidShift { engineer } => {
                write!(f, "engineer {engineer:?}: shift ends before it starts")
            }
            ErrorKind::InvalidNumber {
                entity: Some(entity),
                id,
                field,
                value,
            } => {
                write!(f, "{entity} {id:?}: {field} {value} is not a valid value")
            }
            ErrorKind::InvalidNumber {
                entity: None,
                id,
                field,
                value,
            } => {
                write!(
                    f,
                    "configuration `{id}`: {field} {value} is not a valid value"
                )
            }
            ErrorKind::UnknownEngineer {
                ticket,
                field,
                engineer,
            } => write!(
                f,
                "ticket {ticket:?}: {field} refers to unknown engineer {engineer:?}"
            ),
            ErrorKind::Json {
                document,
                line,
                column,
                message,
            } => {
                write!(
                    f,
                    "{document} document, line {line} column {column}: {message}"
                )
            }
            ErrorKind::Instance { line, message } => write!(f, "instance line {line}: {message}"),
            ErrorKind::InvalidInstance { message } => write!(f, "invalid instance: {message}"),
            ErrorKind::CostOverflow { points } => write!(
                f,
                "configuration `weights`: costs reach {points} points, too large to solve exactly; lower the weights"
            ),
            ErrorKind::LpSolver { message } => write!(f, "lp backend failed: {message}"),
            ErrorKind::InvalidScenario {
                ticket: Some(ticket),
                problem,
            } => write!(f, "scenario, ticket {ticket:?}: {problem}"),
            ErrorKind::InvalidScenario {
                ticket: None,
                problem,
            } => write!(f, "scenario: {problem}"),
            ErrorKind::InvalidDecision {
                policy,
                index,
                problem,
            } => write!(f, "policy `{policy}`, decision #{index}: {problem}"),
            ErrorKind::Cancelled => f.write_str("simulation cancelled"),
            ErrorKind::InvalidWindow { ticket } => {
                write!(f, "ticket {ticket:?}: appointment ends before it starts")
            }
            ErrorKind::InvalidCalendar { field, problem } => {
                write!(f, "calendar `{field}`: {problem}")
            }
            ErrorKind::InvalidChange {
                index,
                entity,
                id,
                problem,
            } => write!(f, "change #{index}: {entity} {id:?} {problem}"),
            ErrorKind::InvalidLimit { index, message } => {
                write!(f, "configuration `limits[{index}]`: {message}")
            }
            ErrorKind::TooMany { entity, count, max } => write!(
                f,
                "{count} {entity}s in one run, above the limit {max} (configuration `max_{entity}s`)"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_item() {
        let e: Error = ErrorKind::InvalidCoordinate {
            entity: Entity::Ticket,
            id: "T-17".into(),
            field: "latitude",
            value: 123.0,
        }
        .into();
        assert_eq!(
            e.to_string(),
            r#"ticket "T-17": latitude 123 is out of range"#
        );
    }

    #[test]
    fn json_errors_keep_line_and_column() {
        let err = serde_json::from_str::<Vec<u32>>("[1,\n 2,\n x]").unwrap_err();
        let e = Error::json("tickets", &err);
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.column(), Some(2));
        assert!(
            e.to_string()
                .starts_with("tickets document, line 3 column 2"),
            "{e}"
        );
        let bad_line = Error::instance(7, "bad arc");
        assert_eq!((bad_line.line(), bad_line.column()), (Some(7), None));
    }
}
