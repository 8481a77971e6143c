//! Run-time values of the reference interpreter.

use std::sync::Arc;

/// A value. Numbers carry base units (km, minutes, km/h); times are minutes since the Unix epoch;
/// enums are their variant's index; booleans are separate so that mistakes show.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// An optional value that is not there.
    Missing,
    Bool(bool),
    Num(f64),
    Str(Arc<str>),
    Set(Arc<[Arc<str>]>),
}

impl Value {
    pub(crate) fn num(&self) -> f64 {
        match self {
            Value::Num(x) => *x,
            Value::Bool(b) => f64::from(u8::from(*b)),
            _ => f64::NAN,
        }
    }

    pub(crate) fn truth(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub(crate) fn is_missing(&self) -> bool {
        match self {
            Value::Missing => true,
            Value::Num(x) => x.is_nan(),
            _ => false,
        }
    }
}
