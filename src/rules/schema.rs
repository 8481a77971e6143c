//! What a policy can read and write: the built-in fields of tickets and engineers, the declared
//! custom fields, the enums, and the types and ranges the checker reasons with.

use std::fmt;

use super::ast::{Subject, TypeExpr, Unit};

/// Physical dimension of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dim {
    /// A plain number (counts, levels, ratios).
    Scalar,
    /// A distance, in km.
    Length,
    /// A duration, in minutes.
    Duration,
    /// A speed, in km/h.
    Speed,
}

/// The type of a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    Bool,
    Num(Dim),
    Str,
    /// An enum, by its index in [`Schema::enums`].
    Enum(usize),
    Set,
    /// A point in time, in minutes since 1970-01-01T00:00Z.
    Time,
    Opt(Box<Ty>),
}

impl Ty {
    pub(crate) fn is_opt(&self) -> bool {
        matches!(self, Ty::Opt(_))
    }

    pub(crate) fn strip(&self) -> &Ty {
        match self {
            Ty::Opt(t) => t,
            t => t,
        }
    }

    pub(crate) fn opt(self) -> Ty {
        match self {
            Ty::Opt(_) => self,
            t => Ty::Opt(Box::new(t)),
        }
    }
}

/// Base-unit factor and dimension of a unit: km, minutes, km/h.
pub(crate) fn unit_info(u: Unit) -> (Dim, f64) {
    match u {
        Unit::Km => (Dim::Length, 1.0),
        Unit::M => (Dim::Length, 0.001),
        Unit::Min => (Dim::Duration, 1.0),
        Unit::H => (Dim::Duration, 60.0),
        Unit::D => (Dim::Duration, 1440.0),
        Unit::KmH => (Dim::Speed, 1.0),
    }
}

/// How a field gets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A built-in field of the model.
    Builtin(Builtin),
    /// A declared attribute.
    Attribute,
}

/// The built-in fields of tickets and engineers (`Id`, `Team` and `Region` name either's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Id,
    Category,
    MinLevel,
    Priority,
    CreatedAt,
    SlaDue,
    Duration,
    Team,
    Escalated,
    CustomerId,
    CustomerTier,
    LastEngineer,
    ExcludedEngineers,
    PinnedEngineer,
    Region,
    Territory,
    Capacity,
    OpenTickets,
    ShiftStart,
    ShiftEnd,
    LastAssignedAt,
    Skills,
}

impl Builtin {
    /// The field's name in the rule language.
    fn name(self) -> &'static str {
        match self {
            Builtin::Id => "id",
            Builtin::Category => "category",
            Builtin::MinLevel => "min_level",
            Builtin::Priority => "priority",
            Builtin::CreatedAt => "created_at",
            Builtin::SlaDue => "sla_due",
            Builtin::Duration => "duration",
            Builtin::Team => "team",
            Builtin::Escalated => "escalated",
            Builtin::CustomerId => "customer.id",
            Builtin::CustomerTier => "customer.tier",
            Builtin::LastEngineer => "customer.last_engineer",
            Builtin::ExcludedEngineers => "customer.excluded_engineers",
            Builtin::PinnedEngineer => "pinned_engineer",
            Builtin::Region => "region",
            Builtin::Territory => "territory",
            Builtin::Capacity => "capacity",
            Builtin::OpenTickets => "open_tickets",
            Builtin::ShiftStart => "shift_start",
            Builtin::ShiftEnd => "shift_end",
            Builtin::LastAssignedAt => "last_assigned_at",
            Builtin::Skills => "skills",
        }
    }
}

/// One readable field.
#[derive(Debug, Clone)]
pub(crate) struct FieldInfo {
    /// `category`, `customer.tier`, `district`.
    pub name: String,
    pub ty: Ty,
    /// Smallest and largest value (numbers, in base units).
    pub range: (f64, f64),
    /// Whether a derive may write it (tickets only).
    pub writable: bool,
    pub source: Source,
    /// For attributes: the unit factor values are given in.
    pub factor: f64,
}

/// Enums: priority, tier, and the declared ones.
#[derive(Debug, Clone)]
pub(crate) struct EnumInfo {
    pub name: String,
    pub variants: Vec<String>,
}

/// The schema a policy is checked against.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub ticket: Vec<FieldInfo>,
    pub engineer: Vec<FieldInfo>,
    pub enums: Vec<EnumInfo>,
}

/// Index of the priority enum.
pub(crate) const PRIORITY: usize = 0;
/// Index of the customer tier enum.
pub(crate) const TIER: usize = 1;

/// Counts (capacity, open tickets) are at most this (checked by validation).
pub(crate) const MAX_COUNT: f64 = 100_000.0;
/// The longest great-circle distance on Earth, km.
pub(crate) const MAX_TRAVEL_KM: f64 = 20_016.0;

const INF: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

fn builtin(b: Builtin, ty: Ty, range: (f64, f64), writable: bool) -> FieldInfo {
    FieldInfo {
        name: b.name().to_string(),
        ty,
        range,
        writable,
        source: Source::Builtin(b),
        factor: 1.0,
    }
}

impl Schema {
    /// Built-in fields only.
    pub(crate) fn builtin() -> Schema {
        let opt = |t: Ty| t.opt();
        Schema {
            ticket: vec![
                builtin(Builtin::Id, Ty::Str, INF, false),
                builtin(Builtin::Category, Ty::Str, INF, true),
                builtin(Builtin::MinLevel, Ty::Num(Dim::Scalar), (0.0, 5.0), true),
                builtin(Builtin::Priority, Ty::Enum(PRIORITY), (0.0, 3.0), true),
                builtin(Builtin::CreatedAt, Ty::Time, INF, false),
                builtin(Builtin::SlaDue, opt(Ty::Time), INF, true),
                builtin(
                    Builtin::Duration,
                    Ty::Num(Dim::Duration),
                    (0.0, f64::from(u32::MAX)),
                    true,
                ),
                builtin(Builtin::Team, opt(Ty::Str), INF, true),
                builtin(Builtin::Escalated, Ty::Bool, (0.0, 1.0), true),
                builtin(Builtin::CustomerId, opt(Ty::Str), INF, false),
                builtin(Builtin::CustomerTier, Ty::Enum(TIER), (0.0, 2.0), false),
                builtin(Builtin::LastEngineer, opt(Ty::Str), INF, false),
                builtin(Builtin::ExcludedEngineers, Ty::Set, INF, false),
                builtin(Builtin::PinnedEngineer, opt(Ty::Str), INF, false),
                builtin(Builtin::Region, opt(Ty::Str), INF, false),
            ],
            engineer: vec![
                builtin(Builtin::Id, Ty::Str, INF, false),
                builtin(Builtin::Team, opt(Ty::Str), INF, false),
                builtin(Builtin::Territory, opt(Ty::Str), INF, false),
                builtin(
                    Builtin::Capacity,
                    Ty::Num(Dim::Scalar),
                    (0.0, MAX_COUNT),
                    false,
                ),
                builtin(
                    Builtin::OpenTickets,
                    Ty::Num(Dim::Scalar),
                    (0.0, MAX_COUNT),
                    false,
                ),
                builtin(Builtin::ShiftStart, opt(Ty::Time), INF, false),
                builtin(Builtin::ShiftEnd, opt(Ty::Time), INF, false),
                builtin(Builtin::LastAssignedAt, opt(Ty::Time), INF, false),
                builtin(Builtin::Skills, Ty::Set, INF, false),
                builtin(Builtin::Region, opt(Ty::Str), INF, false),
            ],
            enums: vec![
                EnumInfo {
                    name: "priority".into(),
                    variants: ["P1", "P2", "P3", "P4"].map(String::from).to_vec(),
                },
                EnumInfo {
                    name: "tier".into(),
                    variants: ["standard", "gold", "vip"].map(String::from).to_vec(),
                },
            ],
        }
    }

    pub(crate) fn fields(&self, s: Subject) -> &[FieldInfo] {
        match s {
            Subject::Ticket => &self.ticket,
            Subject::Engineer => &self.engineer,
        }
    }

    pub(crate) fn field(&self, s: Subject, name: &str) -> Option<usize> {
        self.fields(s).iter().position(|f| f.name == name)
    }

    /// The slot of a built-in field (as [`Schema::field`] by its name, without comparing names).
    pub(crate) fn builtin_slot(&self, s: Subject, b: Builtin) -> Option<usize> {
        self.fields(s)
            .iter()
            .position(|f| f.source == Source::Builtin(b))
    }

    /// Adds a declared field; `Err` with a message when the name is taken or the type is bad.
    pub(crate) fn declare(
        &mut self,
        s: Subject,
        name: &str,
        ty: &TypeExpr,
        enum_name: &str,
    ) -> Result<(), String> {
        if self.field(s, name).is_some() {
            return Err(format!("`{}.{name}` is already a field", s.as_str()));
        }
        let (ty, range, factor) = self.declared_type(ty, enum_name)?;
        let list = match s {
            Subject::Ticket => &mut self.ticket,
            Subject::Engineer => &mut self.engineer,
        };
        list.push(FieldInfo {
            name: name.to_string(),
            ty,
            range,
            writable: s == Subject::Ticket,
            source: Source::Attribute,
            factor,
        });
        Ok(())
    }

    fn declared_type(
        &mut self,
        t: &TypeExpr,
        enum_name: &str,
    ) -> Result<(Ty, (f64, f64), f64), String> {
        Ok(match t {
            TypeExpr::Bool => (Ty::Bool, (0.0, 1.0), 1.0),
            TypeExpr::Int { range } => {
                let r = match range {
                    Some((lo, hi)) if lo > hi => {
                        return Err(format!("empty range {lo}..{hi}"));
                    }
                    Some((lo, hi)) => (*lo as f64, *hi as f64),
                    None => INF,
                };
                (Ty::Num(Dim::Scalar), r, 1.0)
            }
            TypeExpr::Float { unit, range } => {
                let (dim, factor) = unit.map_or((Dim::Scalar, 1.0), unit_info);
                let r = match range {
                    Some((lo, hi))
                        if lo.partial_cmp(hi) != Some(std::cmp::Ordering::Less) && lo != hi =>
                    {
                        return Err(format!("empty range {lo}..{hi}"));
                    }
                    Some((lo, hi)) => (lo * factor, hi * factor),
                    None => INF,
                };
                (Ty::Num(dim), r, factor)
            }
            TypeExpr::String => (Ty::Str, INF, 1.0),
            TypeExpr::Set => (Ty::Set, INF, 1.0),
            TypeExpr::Time => (Ty::Time, INF, 1.0),
            TypeExpr::Duration => (Ty::Num(Dim::Duration), INF, 1.0),
            TypeExpr::Enum { variants } => {
                if variants.is_empty() {
                    return Err("an enum needs at least one variant".into());
                }
                for (i, v) in variants.iter().enumerate() {
                    if variants[..i].contains(v) {
                        return Err(format!("variant `{v}` is listed twice"));
                    }
                }
                self.enums.push(EnumInfo {
                    name: enum_name.to_string(),
                    variants: variants.clone(),
                });
                (
                    Ty::Enum(self.enums.len() - 1),
                    (0.0, (variants.len() - 1) as f64),
                    1.0,
                )
            }
            TypeExpr::Optional { inner } => {
                if matches!(**inner, TypeExpr::Optional { .. }) {
                    return Err("`??` is not a type: one `?` makes a field optional".into());
                }
                let (ty, r, f) = self.declared_type(inner, enum_name)?;
                (ty.opt(), r, f)
            }
        })
    }

    /// A type, in words, for messages.
    pub(crate) fn describe(&self, t: &Ty) -> String {
        match t {
            Ty::Bool => "bool".into(),
            Ty::Num(Dim::Scalar) => "number".into(),
            Ty::Num(Dim::Length) => "distance (km)".into(),
            Ty::Num(Dim::Duration) => "duration (min)".into(),
            Ty::Num(Dim::Speed) => "speed (km/h)".into(),
            Ty::Str => "string".into(),
            Ty::Enum(i) => format!("enum {}", self.enums[*i].name),
            Ty::Set => "set".into(),
            Ty::Time => "time".into(),
            Ty::Opt(t) => format!("optional {}", self.describe(t)),
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dim::Scalar => "",
            Dim::Length => "km",
            Dim::Duration => "min",
            Dim::Speed => "km/h",
        })
    }
}
