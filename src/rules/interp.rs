//! The reference interpreter: walks the typed tree for one (ticket, engineer) pair. It serves
//! `explain`, the embedded tests, ticket-only and engineer-only precomputation, and is the oracle
//! the compiled fast path is tested against.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::ast::Subject;
use super::check::{Checked, Op, TExpr, TK};
use super::schema::{Builtin, Source, Ty};
use super::value::Value;
use crate::error::{Entity, Error, ErrorKind};
use crate::model::{AttrValue, Engineer, EngineerId, LatLon, Ticket};

/// Minutes since the Unix epoch: the one conversion both evaluation paths use.
pub(crate) fn minutes(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 60_000.0
}

/// Travel time in minutes for a distance in km at `speed` km/h: the distance times the minutes
/// per km, a product (the quotient is the same for every lane, so a loop divides once).
pub(crate) fn travel_minutes(km: f64, speed_kmh: f64) -> f64 {
    km * (60.0 / speed_kmh)
}

/// The grade of `scale v from f to t`.
pub(crate) fn grade(v: f64, f: f64, t: f64) -> f64 {
    let d = t - f;
    if d == 0.0 {
        return f64::from(u8::from(v >= t));
    }
    ((v - f) / d).clamp(0.0, 1.0)
}

/// `a / b`, with `x / 0 = 0` (the language is total).
pub(crate) fn div(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// Whether `p` lies inside the polygon (corners as (lat, lon)); even-odd rule.
pub(crate) fn in_polygon(p: LatLon, poly: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let n = poly.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (yi, xi) = poly[i];
        let (yj, xj) = poly[j];
        if (yi > p.lat) != (yj > p.lat) && p.lon < (xj - xi) * (p.lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// An engineer as the rules see it.
#[derive(Debug, Clone)]
pub(crate) struct EngView<'e> {
    pub values: Vec<Value>,
    pub skills: &'e BTreeMap<String, u8>,
    pub location: LatLon,
}

/// Everything one evaluation may read.
pub(crate) struct Env<'a> {
    pub checked: &'a Checked,
    pub ticket: &'a [Value],
    pub ticket_location: LatLon,
    pub engineer: Option<&'a EngView<'a>>,
    pub travel_km: f64,
    pub now: f64,
}

fn region_of(checked: &Checked, p: LatLon) -> Value {
    checked
        .regions
        .iter()
        .find(|(_, poly)| in_polygon(p, poly))
        .map_or(Value::Missing, |(n, _)| Value::Str(n.clone()))
}

fn attr_error(entity: Entity, id: &str, field: &str, problem: String) -> Error {
    ErrorKind::Attribute {
        entity,
        id: id.to_string(),
        field: field.to_string(),
        problem,
    }
    .into()
}

fn attribute(
    checked: &Checked,
    entity: Entity,
    id: &str,
    info: &super::schema::FieldInfo,
    value: Option<&AttrValue>,
) -> Result<Value, Error> {
    let fail = |p: String| Err(attr_error(entity, id, &info.name, p));
    let Some(v) = value else {
        return if info.ty.is_opt() {
            Ok(Value::Missing)
        } else {
            fail("is declared but missing".into())
        };
    };
    let ty = info.ty.strip();
    let out = match (ty, v) {
        (Ty::Bool, AttrValue::Bool(b)) => Value::Bool(*b),
        (Ty::Num(_), AttrValue::Int(i)) => Value::Num(*i as f64 * info.factor),
        (Ty::Num(_), AttrValue::Float(x)) if x.is_finite() => Value::Num(x * info.factor),
        (Ty::Str, AttrValue::Str(s)) => Value::Str(Arc::from(s.as_str())),
        (Ty::Set, AttrValue::Set(items)) => set_value(items.iter().map(|s| Arc::from(s.as_str()))),
        (Ty::Enum(e), AttrValue::Str(s)) => {
            let variants = &checked.schema.enums[*e].variants;
            match variants.iter().position(|v| v == s) {
                Some(k) => Value::Num(k as f64),
                None => return fail(format!("\"{s}\" is not one of {}", variants.join(", "))),
            }
        }
        (Ty::Time, AttrValue::Str(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Value::Num(minutes(t.with_timezone(&Utc))),
            Err(e) => return fail(format!("\"{s}\" is not an RFC 3339 time ({e})")),
        },
        _ => {
            return fail(format!(
                "should be {}, found {v:?}",
                checked.schema.describe(ty)
            ));
        }
    };
    if let Value::Num(x) = out {
        if x < info.range.0 || x > info.range.1 {
            return fail(format!(
                "{} is outside the declared range {}..{}",
                x / info.factor,
                info.range.0 / info.factor,
                info.range.1 / info.factor
            ));
        }
    }
    Ok(out)
}

/// A set value: its members sorted, without repeats.
pub(crate) fn set_value(items: impl Iterator<Item = Arc<str>>) -> Value {
    let mut v: Vec<Arc<str>> = items.collect();
    v.sort();
    v.dedup();
    Value::Set(v.into())
}

/// An optional engineer id, sharing its string.
fn opt_id(id: Option<&EngineerId>) -> Value {
    id.map_or(Value::Missing, |e| Value::Str(e.0.clone()))
}

fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Missing, |s| Value::Str(Arc::from(s)))
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Missing, |t| Value::Num(minutes(t)))
}

/// The ticket's fields, before triage.
pub(crate) fn ticket_view(checked: &Checked, t: &Ticket) -> Result<Vec<Value>, Error> {
    ticket_fields(checked, t, &checked.ticket_reads)
}

/// Every field of the ticket, read by a rule or not (for the embedded tests' expectations).
pub(crate) fn full_ticket_view(checked: &Checked, t: &Ticket) -> Result<Vec<Value>, Error> {
    ticket_fields(checked, t, &vec![true; checked.schema.ticket.len()])
}

/// The ticket's fields: the built-ins where `read` (by slot) says so (the others stay missing:
/// cloning an id no rule reads touched its count, a cache miss a ticket), and every declared
/// attribute, always checked.
fn ticket_fields(checked: &Checked, t: &Ticket, read: &[bool]) -> Result<Vec<Value>, Error> {
    let fields = &checked.schema.ticket;
    // Every slot starts missing and each value is written into its slot where it is made (a
    // value chosen by one `match` and then pushed crossed the stack, and its reload stalled).
    let mut out = vec![Value::Missing; fields.len()];
    for ((slot, f), &read) in out.iter_mut().zip(fields).zip(read) {
        match f.source {
            Source::Builtin(_) if !read => {}
            Source::Attribute => {
                *slot = attribute(
                    checked,
                    Entity::Ticket,
                    t.id.as_str(),
                    f,
                    t.attributes.get(&f.name),
                )?;
            }
            Source::Builtin(b) => match b {
                Builtin::Id => *slot = Value::Str(t.id.0.clone()),
                Builtin::Category => *slot = Value::Str(Arc::from(t.category.as_str())),
                Builtin::MinLevel => *slot = Value::Num(f64::from(t.min_level)),
                Builtin::Priority => *slot = Value::Num(t.priority.index() as f64),
                Builtin::CreatedAt => *slot = Value::Num(minutes(t.created_at)),
                Builtin::SlaDue => *slot = opt_time(t.sla_due),
                Builtin::Duration => *slot = Value::Num(f64::from(t.duration_min)),
                Builtin::Escalated => *slot = Value::Bool(false),
                Builtin::CustomerId => {
                    *slot = opt_str(t.customer.as_ref().map(|c| c.id.as_str()));
                }
                Builtin::CustomerTier => {
                    *slot = Value::Num(t.customer.as_ref().map_or(0.0, |c| c.tier as u8 as f64));
                }
                Builtin::LastEngineer => {
                    *slot = opt_id(t.customer.as_ref().and_then(|c| c.last_engineer.as_ref()));
                }
                // (Ids share their strings.)
                Builtin::ExcludedEngineers => {
                    *slot = set_value(
                        (t.customer.iter())
                            .flat_map(|c| c.excluded_engineers.iter().map(|e| e.0.clone())),
                    );
                }
                Builtin::PinnedEngineer => *slot = opt_id(t.pinned_engineer.as_ref()),
                Builtin::Region => *slot = region_of(checked, t.location),
                // The team comes from triage only.
                _ => {}
            },
        }
    }
    Ok(out)
}

/// The engineer's fields.
pub(crate) fn engineer_view<'e>(checked: &Checked, e: &'e Engineer) -> Result<EngView<'e>, Error> {
    let fields = &checked.schema.engineer;
    // Written into their slots as the ticket's.
    let mut values = vec![Value::Missing; fields.len()];
    let slots = values.iter_mut().zip(fields).zip(&checked.engineer_reads);
    for ((slot, f), &read) in slots {
        match f.source {
            // Built-ins no rule reads are not built.
            Source::Builtin(_) if !read => {}
            // Declared attributes are always checked.
            Source::Attribute => {
                *slot = attribute(
                    checked,
                    Entity::Engineer,
                    e.id.as_str(),
                    f,
                    e.attributes.get(&f.name),
                )?;
            }
            Source::Builtin(b) => match b {
                Builtin::Id => *slot = Value::Str(e.id.0.clone()),
                Builtin::Team => *slot = opt_str(e.team.as_deref()),
                Builtin::Territory => *slot = opt_str(e.territory.as_deref()),
                Builtin::Capacity => *slot = Value::Num(f64::from(e.capacity)),
                Builtin::OpenTickets => *slot = Value::Num(f64::from(e.open_tickets)),
                Builtin::ShiftStart => *slot = opt_time(e.shift.map(|s| s.start)),
                Builtin::ShiftEnd => *slot = opt_time(e.shift.map(|s| s.end)),
                Builtin::LastAssignedAt => *slot = opt_time(e.last_assigned_at),
                Builtin::Skills => {
                    *slot = set_value(e.skills.keys().map(|s| Arc::from(s.as_str())));
                }
                Builtin::Region => *slot = region_of(checked, e.location),
                _ => {}
            },
        }
    }
    Ok(EngView {
        values,
        skills: &e.skills,
        location: e.location,
    })
}

/// Runs the derives on a ticket view, in order. Returns the names of the derives that applied.
pub(crate) fn triage(
    checked: &Checked,
    view: &mut [Value],
    location: LatLon,
    now: f64,
) -> Vec<usize> {
    let mut applied = Vec::new();
    for (k, d) in checked.derives.iter().enumerate() {
        let env = Env {
            checked,
            ticket: view,
            ticket_location: location,
            engineer: None,
            travel_km: 0.0,
            now,
        };
        if let Some(g) = &d.guard {
            if !eval(g, &env).truth() {
                continue;
            }
        }
        let values: Vec<(usize, Value)> = d
            .assigns
            .iter()
            .map(|(slot, e)| (*slot, eval(e, &env)))
            .collect();
        for (slot, v) in values {
            view[slot] = v;
        }
        applied.push(k);
    }
    applied
}

/// The outcome of all pair rules for one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PairOutcome {
    /// The first require (in order) that rejects the pair.
    pub first_fail: Option<usize>,
    /// The sum of the score contributions, in points.
    pub cost: f64,
}

/// Runs every require and score on one pair.
pub(crate) fn run_pair(env: &Env<'_>) -> PairOutcome {
    let checked = env.checked;
    let mut first_fail = None;
    for (i, r) in checked.requires.iter().enumerate() {
        let applies = r.guard.as_ref().is_none_or(|g| eval(g, env).truth());
        if applies && !eval(&r.cond, env).truth() {
            first_fail = Some(i);
            break;
        }
    }
    let mut cost = 0.0;
    for s in &checked.scores {
        if s.guard.as_ref().is_none_or(|g| eval(g, env).truth()) {
            cost += s.factor * eval(&s.value, env).num();
        }
    }
    PairOutcome { first_fail, cost }
}

/// Evaluates one expression.
/// The value a constant or a field holds, read in place (a string's count is not touched); `None`
/// for an expression that computes (see [`eval`]).
pub(crate) fn read<'a>(e: &'a TExpr, env: &Env<'a>) -> Option<&'a Value> {
    match &e.kind {
        TK::Const(v) => Some(v),
        TK::Field(Subject::Ticket, slot) => Some(&env.ticket[*slot]),
        TK::Field(Subject::Engineer, slot) => env.engineer.map(|g| &g.values[*slot]),
        _ => None,
    }
}

/// [`eval`] handed to `use_value` by reference: constants and fields (and whether they exist)
/// are read in place, without building a value.
pub(crate) fn with_value<'a, R>(
    e: &'a TExpr,
    env: &Env<'a>,
    use_value: impl FnOnce(&Value) -> R,
) -> R {
    if let Some(v) = read(e, env) {
        return use_value(v);
    }
    if let TK::Exists(a) = &e.kind {
        if let Some(v) = read(a, env) {
            return use_value(&Value::Bool(!v.is_missing()));
        }
    }
    use_value(&eval(e, env))
}

pub(crate) fn eval(e: &TExpr, env: &Env<'_>) -> Value {
    match &e.kind {
        TK::Const(v) => v.clone(),
        TK::Field(Subject::Ticket, slot) => env.ticket[*slot].clone(),
        TK::Field(Subject::Engineer, slot) => env
            .engineer
            .map_or(Value::Missing, |g| g.values[*slot].clone()),
        TK::Travel => Value::Num(env.travel_km),
        TK::TravelTime => Value::Num(travel_minutes(env.travel_km, env.checked.speed_kmh)),
        TK::Now => Value::Num(env.now),
        TK::Assigned | TK::AssignedHours => Value::Num(0.0),
        TK::Skill(k) => {
            let level = match (eval(k, env), env.engineer) {
                (Value::Str(s), Some(g)) => g.skills.get(&*s).copied().unwrap_or(0),
                _ => 0,
            };
            Value::Num(f64::from(level))
        }
        TK::OnShift(t) => {
            let t = eval(t, env).num();
            Value::Bool(
                env.engineer
                    .is_some_and(|g| on_shift(&g.values, env.checked, t)),
            )
        }
        TK::InRegion(s, i) => {
            let p = match s {
                Subject::Ticket => env.ticket_location,
                Subject::Engineer => match env.engineer {
                    Some(g) => g.location,
                    None => return Value::Bool(false),
                },
            };
            Value::Bool(in_polygon(p, &env.checked.regions[*i].1))
        }
        TK::Exists(a) => Value::Bool(!eval(a, env).is_missing()),
        TK::Not(a) => Value::Bool(!eval(a, env).truth()),
        TK::Neg(a) => Value::Num(-eval(a, env).num()),
        TK::Abs(a) => Value::Num(eval(a, env).num().abs()),
        TK::Scale(v, f, t) => Value::Num(grade(
            eval(v, env).num(),
            eval(f, env).num(),
            eval(t, env).num(),
        )),
        TK::If(c, a, b) => {
            if eval(c, env).truth() {
                eval(a, env)
            } else {
                eval(b, env)
            }
        }
        TK::Bin(op, a, b) => {
            match op {
                Op::And => return Value::Bool(eval(a, env).truth() && eval(b, env).truth()),
                Op::Or => return Value::Bool(eval(a, env).truth() || eval(b, env).truth()),
                Op::Coalesce => {
                    let x = eval(a, env);
                    return if x.is_missing() { eval(b, env) } else { x };
                }
                // Compared by reference (a field's string is not cloned to be compared).
                Op::In | Op::Eq | Op::Ne => {
                    return Value::Bool(with_value(a, env, |x| {
                        with_value(b, env, |y| match (op, x, y) {
                            (Op::In, Value::Str(s), Value::Set(set)) => {
                                set.binary_search(s).is_ok()
                            }
                            (Op::In, ..) => false,
                            (Op::Eq, ..) => same(x, y),
                            _ => !same(x, y),
                        })
                    }));
                }
                _ => {}
            }
            let (x, y) = (eval(a, env).num(), eval(b, env).num());
            match op {
                Op::Lt => Value::Bool(x < y),
                Op::Le => Value::Bool(x <= y),
                Op::Gt => Value::Bool(x > y),
                Op::Ge => Value::Bool(x >= y),
                Op::Add => Value::Num(x + y),
                Op::Sub => Value::Num(x - y),
                Op::Mul => Value::Num(x * y),
                Op::Div => Value::Num(div(x, y)),
                Op::Min => Value::Num(x.min(y)),
                _ => Value::Num(x.max(y)),
            }
        }
    }
}

fn same(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Missing, _) | (_, Value::Missing) => false,
        _ => x.num() == y.num(),
    }
}

/// Whether an engineer (by its view) works at `t` minutes: always, when it has no shift.
pub(crate) fn on_shift(values: &[Value], checked: &Checked, t: f64) -> bool {
    let slot = |n: &str| {
        checked
            .schema
            .field(Subject::Engineer, n)
            .map(|i| values[i].num())
    };
    match (slot("shift_start"), slot("shift_end")) {
        (Some(s), Some(e)) if !s.is_nan() => s <= t && t < e,
        _ => true,
    }
}
