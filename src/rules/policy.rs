//! The compiled policy: an immutable value made once from source text, then used for any number of
//! dispatch runs; plus triage, explanations and the embedded tests.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Options;
use super::ast::{Expect, Literal, PolicyAst, ScoreKind, Subject, TestBlock};
use super::check::{self, Checked, LimitMeasure, Op, TExpr, TK, fmt_num};
use super::compile::{self, Columns, Program, Scratch, TicketCtx};
use super::diag::{Diagnostic, Diagnostics, Span};
use super::interp::{self, EngView, Env, PairOutcome, minutes};
use super::parser;
use super::print;
use super::schema::{Builtin, Dim, Ty};
use super::value::Value;
use crate::error::Error;
use crate::geo::distance_km;
use crate::model::{
    AttrValue, Customer, Engineer, EngineerId, LatLon, Priority, Shift, Ticket, TicketId, Tier,
};

/// The default policy: the core's built-in constraints and costs, written in the language.
pub const DEFAULT_POLICY: &str = include_str!("../../examples/policies/default.policy");

/// A checked, compiled routing policy. Cheap to clone (shared); never changes after it is made, so
/// a host can swap policies between runs ("hot reload") and every plan records the one it used.
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

struct Inner {
    ast: PolicyAst,
    origin: String,
    source: String,
    checked: Checked,
    program: Program,
    /// Each score's program alone ([`Policy::score_programs`]), made on first use.
    score_programs: OnceLock<Vec<Program>>,
    warnings: Diagnostics,
    tests_passed: usize,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.inner.ast.name)
            .field("version", &self.inner.ast.version)
            .finish_non_exhaustive()
    }
}

/// The size of a compiled pair program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramStats {
    /// Instructions run per chunk of lanes.
    pub instructions: usize,
    /// Lane registers.
    pub registers: usize,
    /// Engineer-only values computed once per engineer.
    pub columns: usize,
    /// Ticket-only values computed once per ticket.
    pub scalars: usize,
    /// Pair sub-expressions with no columnar form, run by the interpreter per lane.
    pub interpreted: usize,
}

/// Kinds of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Ticket-only triage.
    Derive,
    /// Hard filter.
    Require,
    /// Lowers the cost.
    Prefer,
    /// Raises the cost.
    Penalize,
    /// Solver constraint.
    Limit,
}

/// A limit handed to the solver, evaluated for one engineer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitSpec {
    /// The limit's name.
    pub name: String,
    /// The team the limit is on, or `None` for a per-engineer limit.
    pub team: Option<String>,
    /// Tickets or hours.
    pub measure: LimitMeasure,
}

/// The outcome of triage for one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// The priority after the derives.
    pub priority: Priority,
    /// The required skill.
    pub category: String,
    /// The required level.
    pub min_level: u8,
    /// The team the ticket was routed to, if any.
    pub team: Option<String>,
    /// Whether a derive escalated it.
    pub escalated: bool,
    /// SLA due time.
    pub sla_due: Option<DateTime<Utc>>,
    /// Expected work, minutes.
    pub duration_min: u32,
    /// The derives that applied, in order.
    pub applied: Vec<String>,
}

/// One rule's verdict on one (ticket, engineer) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleVerdict {
    /// The rule.
    pub rule: String,
    /// Its kind.
    pub kind: RuleKind,
    /// Whether its guard held (always true without a guard).
    pub applies: bool,
    /// For requires: whether the pair passed.
    pub passed: Option<bool>,
    /// For scores: the points added to the cost (negative for `prefer`).
    pub points: f64,
    /// For a failed require: what would have to change.
    pub counterfactual: Option<String>,
}

/// Why an engineer may or may not take a ticket, rule by rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The policy's name.
    pub policy: String,
    /// Its version.
    pub version: u32,
    /// The ticket.
    pub ticket: TicketId,
    /// The engineer.
    pub engineer: EngineerId,
    /// Great-circle distance, km.
    pub travel_km: f64,
    /// The derives that applied to the ticket.
    pub triage: Vec<String>,
    /// Whether every require passed.
    pub eligible: bool,
    /// The first require that failed.
    pub rejected_by: Option<String>,
    /// Every rule's verdict, in evaluation order (requires, then scores).
    pub rules: Vec<RuleVerdict>,
    /// The sum of the score points.
    pub cost: f64,
}

impl Policy {
    /// Parses, checks and compiles a policy, and runs its embedded tests, with default [`Options`].
    ///
    /// # Errors
    /// Every problem found, with positions (see [`Diagnostics::render`]).
    pub fn parse(origin: &str, source: &str) -> Result<Policy, Diagnostics> {
        Policy::parse_with(origin, source, &Options::default())
    }

    /// [`Policy::parse_with`] on bytes not yet known to be UTF-8 (a file as read from disk or the
    /// network).
    ///
    /// # Errors
    /// Invalid UTF-8 is an error at the line and column of the first bad byte (the size limit is
    /// checked first); otherwise as [`Policy::parse_with`].
    pub fn parse_bytes(
        origin: &str,
        bytes: &[u8],
        options: &Options,
    ) -> Result<Policy, Diagnostics> {
        match std::str::from_utf8(bytes) {
            Ok(source) => Policy::parse_with(origin, source, options),
            // Too large: the size error, whatever the bytes are.
            Err(_) if bytes.len() > options.limits.max_source_bytes => {
                Policy::parse_with(origin, &String::from_utf8_lossy(bytes), options)
            }
            Err(e) => {
                // The lossy text is the same up to the bad byte, so line and column are right.
                let at = e.valid_up_to();
                let text = String::from_utf8_lossy(bytes);
                Err(Diagnostics::new(
                    origin,
                    &text,
                    vec![Diagnostic::error(
                        format!("byte {at} is not valid UTF-8; a policy is UTF-8 text"),
                        Span::new(at, at + 1),
                    )],
                ))
            }
        }
    }

    /// [`Policy::parse`] with limits and host-given regions.
    ///
    /// # Errors
    /// Every problem found, with positions.
    pub fn parse_with(
        origin: &str,
        source: &str,
        options: &Options,
    ) -> Result<Policy, Diagnostics> {
        let ast = parser::parse(source, &options.limits)
            .map_err(|d| Diagnostics::new(origin, source, d))?;
        let regions: Vec<check::Region> = options
            .regions
            .iter()
            .map(|r| {
                (
                    Arc::from(r.name.as_str()),
                    r.polygon.iter().map(|p| (p.lat, p.lon)).collect(),
                )
            })
            .collect();
        let (checked, mut diags) = check::check(&ast, &regions);
        let Some(checked) = checked else {
            return Err(Diagnostics::new(origin, source, diags));
        };
        let program = compile::compile(&checked);
        let mut policy = Policy {
            inner: Arc::new(Inner {
                ast,
                origin: origin.to_string(),
                source: source.to_string(),
                checked,
                program,
                score_programs: OnceLock::new(),
                warnings: Diagnostics::new(origin, source, Vec::new()),
                tests_passed: 0,
            }),
        };
        let mut passed = 0;
        for item in &policy.inner.ast.items {
            if let super::ast::Item::Test(t) = item {
                match policy.run_test(t) {
                    Ok(()) => passed += 1,
                    Err(d) => diags.extend(d),
                }
            }
        }
        let diags = Diagnostics::new(origin, source, diags);
        if diags.has_errors() {
            return Err(diags);
        }
        // Still the only owner: the tests borrowed it and are done.
        if let Some(inner) = Arc::get_mut(&mut policy.inner) {
            inner.warnings = diags;
            inner.tests_passed = passed;
        }
        Ok(policy)
    }

    /// Makes a policy from a syntax tree (for example one stored as JSON): prints it and parses the
    /// text, so it goes through every check.
    ///
    /// # Errors
    /// Every problem found, positioned in the printed text.
    pub fn from_ast(ast: &PolicyAst, options: &Options) -> Result<Policy, Diagnostics> {
        let text = print::print(ast);
        Policy::parse_with(&format!("{}.policy", ast.name), &text, options)
    }

    /// The default policy ([`DEFAULT_POLICY`]): reach 50 km, skill at the ticket's level, on shift
    /// now, room for one more ticket; cost 1 point per km, 2 per open ticket, 0.5 per level of
    /// over-qualification.
    pub fn builtin() -> Policy {
        static DEFAULT: OnceLock<Policy> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Policy::parse("default.policy", DEFAULT_POLICY)
                    .unwrap_or_else(|d| panic!("the shipped default policy is invalid:\n{d}"))
            })
            .clone()
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.inner.ast.name
    }

    /// The policy's version.
    pub fn version(&self) -> u32 {
        self.inner.ast.version
    }

    /// The name the source was known by.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The syntax tree (serialisable with serde).
    pub fn ast(&self) -> &PolicyAst {
        &self.inner.ast
    }

    /// The syntax tree as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.inner.ast).unwrap_or_default()
    }

    /// The canonical source text.
    pub fn print(&self) -> String {
        print::print(&self.inner.ast)
    }

    /// Warnings found while checking (the policy was accepted).
    pub fn warnings(&self) -> &Diagnostics {
        &self.inner.warnings
    }

    /// How many embedded tests passed (all of them, or the policy would have been rejected).
    pub fn tests_passed(&self) -> usize {
        self.inner.tests_passed
    }

    /// Every rule's name and kind, derives first (in run order), then requires, scores, limits.
    pub fn rules(&self) -> Vec<(String, RuleKind)> {
        let c = &self.inner.checked;
        let mut out: Vec<(String, RuleKind)> = c
            .derives
            .iter()
            .map(|d| (d.name.clone(), RuleKind::Derive))
            .collect();
        out.extend(
            c.requires
                .iter()
                .map(|r| (r.name.clone(), RuleKind::Require)),
        );
        out.extend(c.scores.iter().map(|s| {
            let k = match s.kind {
                ScoreKind::Prefer => RuleKind::Prefer,
                ScoreKind::Penalize => RuleKind::Penalize,
            };
            (s.name.clone(), k)
        }));
        out.extend(c.limits.iter().map(|l| (l.name.clone(), RuleKind::Limit)));
        out
    }

    /// The names of the requires, in evaluation order (indices match rejection counters).
    pub fn require_names(&self) -> Vec<&str> {
        self.inner
            .checked
            .requires
            .iter()
            .map(|r| r.name.as_str())
            .collect()
    }

    /// The travel bound of the first unguarded `require ...: travel <= X`, in km: the radius the
    /// spatial index searches. `None` means every engineer is looked at.
    pub fn reach_km(&self) -> Option<f64> {
        self.inner.checked.reach_km
    }

    /// The limits handed to the solver.
    pub fn limits(&self) -> Vec<LimitSpec> {
        self.inner
            .checked
            .limits
            .iter()
            .map(|l| LimitSpec {
                name: l.name.clone(),
                team: l.team.clone(),
                measure: l.measure,
            })
            .collect()
    }

    /// `bound − used` of each per-engineer limit on `measure` for one engineer (NaN as 0), with
    /// whether the limit is strict.
    fn engineer_rooms<'s>(
        &'s self,
        view: &'s EngView<'_>,
        now: f64,
        measure: LimitMeasure,
    ) -> impl Iterator<Item = (f64, bool)> + 's {
        let c = &self.inner.checked;
        let env = Env {
            checked: c,
            ticket: &[],
            ticket_location: view.location,
            engineer: Some(view),
            travel_km: 0.0,
            now,
        };
        c.limits
            .iter()
            .filter(move |l| l.team.is_none() && l.measure == measure)
            .map(move |l| {
                let bound = interp::eval(&l.bound, &env).num();
                let used = l.used.as_ref().map_or(0.0, |u| interp::eval(u, &env).num());
                let room = bound - used;
                (if room.is_nan() { 0.0 } else { room }, l.strict)
            })
    }

    /// For each engineer limit on tickets, the number of tickets the engineer may still be given
    /// (the smallest over all such limits; `None` when there is none).
    pub(crate) fn engineer_ticket_room(&self, view: &EngView<'_>, now: f64) -> Option<i64> {
        self.engineer_rooms(view, now, LimitMeasure::Tickets)
            .map(|(room, strict)| {
                let room = if strict {
                    room.ceil() - 1.0
                } else {
                    room.floor()
                };
                room.clamp(0.0, 1e12) as i64
            })
            .min()
    }

    /// For each engineer limit on hours, the minutes of work the engineer may still be given (the
    /// smallest over all such limits; `None` when there is none).
    pub(crate) fn engineer_minutes_room(&self, view: &EngView<'_>, now: f64) -> Option<f64> {
        self.engineer_rooms(view, now, LimitMeasure::Hours)
            .map(|(room, _)| room.max(0.0))
            .reduce(f64::min)
    }

    /// Team limits: (team, tickets or hours, the most tickets — or minutes — in this run).
    pub(crate) fn team_limits(&self) -> Vec<(String, LimitMeasure, u64)> {
        let c = &self.inner.checked;
        let empty: [Value; 0] = [];
        let env = Env {
            checked: c,
            ticket: &empty,
            ticket_location: LatLon::new(0.0, 0.0),
            engineer: None,
            travel_km: 0.0,
            now: 0.0,
        };
        c.limits
            .iter()
            .filter_map(|l| {
                let team = l.team.clone()?;
                let b = interp::eval(&l.bound, &env).num();
                let b = if l.strict { b.ceil() - 1.0 } else { b.floor() };
                Some((team, l.measure, b.clamp(0.0, 1e12) as u64))
            })
            .collect()
    }

    /// The size of the compiled pair program: (instructions, lane registers, engineer columns,
    /// per-ticket scalars, sub-expressions left to the interpreter).
    pub fn program_stats(&self) -> ProgramStats {
        let p = &self.inner.program;
        ProgramStats {
            instructions: p.instrs.len(),
            registers: p.registers,
            columns: p.columns.len(),
            scalars: p.scalars.len(),
            interpreted: p.fallbacks.len(),
        }
    }

    pub(crate) fn checked(&self) -> &Checked {
        &self.inner.checked
    }

    pub(crate) fn program(&self) -> &Program {
        &self.inner.program
    }

    /// Runs the derives on one ticket.
    ///
    /// # Errors
    /// When a declared attribute is missing or has the wrong type.
    pub fn triage(&self, ticket: &Ticket, now: DateTime<Utc>) -> Result<Triage, Error> {
        let c = &self.inner.checked;
        let mut view = interp::ticket_view(c, ticket)?;
        let applied = interp::triage(c, &mut view, ticket.location, minutes(now));
        Ok(self.triage_of(&view, ticket, &applied))
    }

    pub(crate) fn triage_of(&self, view: &[Value], ticket: &Ticket, applied: &[usize]) -> Triage {
        let c = &self.inner.checked;
        let get = |b: Builtin| c.schema.builtin_slot(Subject::Ticket, b).map(|i| &view[i]);
        let str_of = |v: Option<&Value>| match v {
            // A plain copy (`to_string` would go through the formatter).
            Some(Value::Str(s)) => Some(String::from(&**s)),
            _ => None,
        };
        let num = |b: Builtin| get(b).map_or(f64::NAN, Value::num);
        let p = num(Builtin::Priority);
        let priority = Priority::ALL
            .get(if p.is_nan() { 2 } else { p as usize })
            .copied()
            .unwrap_or(ticket.priority);
        let sla = num(Builtin::SlaDue);
        Triage {
            priority,
            category: str_of(get(Builtin::Category)).unwrap_or_else(|| ticket.category.clone()),
            min_level: num(Builtin::MinLevel).clamp(0.0, 5.0) as u8,
            team: str_of(get(Builtin::Team)),
            escalated: get(Builtin::Escalated).is_some_and(Value::truth),
            sla_due: if sla.is_nan() {
                None
            } else {
                DateTime::from_timestamp_millis((sla * 60_000.0).round() as i64)
            },
            duration_min: num(Builtin::Duration).clamp(0.0, f64::from(u32::MAX)) as u32,
            applied: applied.iter().map(|&k| c.derives[k].name.clone()).collect(),
        }
    }

    /// Every rule's verdict on one pair, with counterfactuals for failed requires. Uses the
    /// reference interpreter.
    ///
    /// # Errors
    /// When a declared attribute is missing or has the wrong type.
    pub fn explain(
        &self,
        ticket: &Ticket,
        engineer: &Engineer,
        now: DateTime<Utc>,
    ) -> Result<Explanation, Error> {
        let c = &self.inner.checked;
        let now = minutes(now);
        let mut view = interp::ticket_view(c, ticket)?;
        let applied = interp::triage(c, &mut view, ticket.location, now);
        let g = interp::engineer_view(c, engineer)?;
        let travel = distance_km(ticket.location, engineer.location);
        let env = Env {
            checked: c,
            ticket: &view,
            ticket_location: ticket.location,
            engineer: Some(&g),
            travel_km: travel,
            now,
        };
        let mut rules = Vec::new();
        let mut rejected_by = None;
        for r in &c.requires {
            let applies = r
                .guard
                .as_ref()
                .is_none_or(|g| interp::eval(g, &env).truth());
            let passed = !applies || interp::eval(&r.cond, &env).truth();
            let counterfactual = (!passed).then(|| self.counterfactual(&r.cond, &r.name, &env));
            if !passed && rejected_by.is_none() {
                rejected_by = Some(r.name.clone());
            }
            rules.push(RuleVerdict {
                rule: r.name.clone(),
                kind: RuleKind::Require,
                applies,
                passed: Some(passed),
                points: 0.0,
                counterfactual,
            });
        }
        let mut cost = 0.0;
        for s in &c.scores {
            let applies = s
                .guard
                .as_ref()
                .is_none_or(|g| interp::eval(g, &env).truth());
            let points = if applies {
                s.factor * interp::eval(&s.value, &env).num()
            } else {
                0.0
            };
            if applies {
                cost += points;
            }
            rules.push(RuleVerdict {
                rule: s.name.clone(),
                kind: match s.kind {
                    ScoreKind::Prefer => RuleKind::Prefer,
                    ScoreKind::Penalize => RuleKind::Penalize,
                },
                applies,
                passed: None,
                points,
                counterfactual: None,
            });
        }
        Ok(Explanation {
            policy: self.name().to_string(),
            version: self.version(),
            ticket: ticket.id.clone(),
            engineer: engineer.id.clone(),
            travel_km: travel,
            triage: applied.iter().map(|&k| c.derives[k].name.clone()).collect(),
            eligible: rejected_by.is_none(),
            rejected_by,
            rules,
            cost,
        })
    }

    fn text(&self, span: Span) -> &str {
        let s = &self.inner.source;
        s.get(span.start as usize..span.end as usize).unwrap_or("?")
    }

    /// What would have to change for `cond` to hold.
    fn counterfactual(&self, cond: &TExpr, rule: &str, env: &Env<'_>) -> String {
        match &cond.kind {
            TK::Bin(Op::And, a, b) => {
                if interp::eval(a, env).truth() {
                    self.counterfactual(b, rule, env)
                } else {
                    self.counterfactual(a, rule, env)
                }
            }
            TK::Bin(op @ (Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Eq | Op::Ne), a, b) => {
                let sym = match op {
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                    Op::Eq => "==",
                    _ => "!=",
                };
                let va = self.show(&interp::eval(a, env), &a.ty);
                let vb = self.show(&interp::eval(b, env), &b.ty);
                format!(
                    "`{}` is {va}; `{rule}` needs it {sym} {vb}",
                    self.text(a.span)
                )
            }
            TK::Bin(Op::In, a, b) => {
                let va = self.show(&interp::eval(a, env), &a.ty);
                format!("{va} is not in `{}`, as `{rule}` needs", self.text(b.span))
            }
            TK::Not(a) => match &a.kind {
                TK::Bin(Op::In, x, set) => {
                    let vx = self.show(&interp::eval(x, env), &x.ty);
                    format!(
                        "{vx} is in `{}`; `{rule}` needs it not to be",
                        self.text(set.span)
                    )
                }
                _ => format!("`{}` is true; `{rule}` needs it false", self.text(a.span)),
            },
            _ => format!(
                "`{}` is false; `{rule}` needs it true",
                self.text(cond.span)
            ),
        }
    }

    fn show(&self, v: &Value, ty: &Ty) -> String {
        let c = &self.inner.checked;
        match (v, ty.strip()) {
            (Value::Missing, _) => "missing".into(),
            (Value::Num(x), Ty::Num(Dim::Length)) => format!("{} km", fmt_num(*x)),
            (Value::Num(x), Ty::Num(Dim::Duration)) => format!("{} min", fmt_num(*x)),
            (Value::Num(x), Ty::Num(Dim::Speed)) => format!("{} km/h", fmt_num(*x)),
            (Value::Num(x), Ty::Enum(e)) => c.schema.enums[*e]
                .variants
                .get(*x as usize)
                .cloned()
                .unwrap_or_else(|| fmt_num(*x)),
            (Value::Num(x), Ty::Time) => DateTime::from_timestamp_millis((x * 60_000.0) as i64)
                .map_or_else(|| fmt_num(*x), |t| t.to_rfc3339()),
            (Value::Num(x), _) => fmt_num(*x),
            (Value::Bool(b), _) => b.to_string(),
            (Value::Str(s), _) => format!("\"{s}\""),
            (Value::Set(items), _) => {
                format!("{:?}", items.iter().map(|s| &**s).collect::<Vec<_>>())
            }
        }
    }

    /// Prepares a run over `engineers`: engineer-only work is done here, once.
    ///
    /// # Errors
    /// When a declared engineer attribute is missing or has the wrong type.
    pub fn evaluator<'e>(
        &'e self,
        engineers: &'e [Engineer],
        now: DateTime<Utc>,
    ) -> Result<Evaluator<'e>, Error> {
        let c = &self.inner.checked;
        let views = engineers
            .iter()
            .map(|e| interp::engineer_view(c, e))
            .collect::<Result<Vec<_>, _>>()?;
        let now = minutes(now);
        let cols = Columns::new(&self.inner.program, c, views, now);
        Ok(Evaluator {
            policy: self,
            cols,
            now,
        })
    }

    /// Prepares a run over some engineers only (lanes are their positions in the iterator).
    ///
    /// # Errors
    /// When a declared engineer attribute is missing or has the wrong type.
    pub fn evaluator_of<'e>(
        &'e self,
        engineers: impl Iterator<Item = &'e Engineer>,
        now: DateTime<Utc>,
    ) -> Result<Evaluator<'e>, Error> {
        let c = &self.inner.checked;
        let views = engineers
            .map(|e| interp::engineer_view(c, e))
            .collect::<Result<Vec<_>, _>>()?;
        let now = minutes(now);
        let cols = Columns::new(&self.inner.program, c, views, now);
        Ok(Evaluator {
            policy: self,
            cols,
            now,
        })
    }

    /// The lowest total a pair's scores can reach (the sum of the negative ends of every score's
    /// range): the solver adds its opposite to every cost so that costs are never negative.
    pub fn cost_floor(&self) -> f64 {
        self.inner
            .checked
            .scores
            .iter()
            .map(|s| s.points.0.min(0.0))
            .sum()
    }

    fn run_test(&self, t: &TestBlock) -> Result<(), Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let now = match &t.at {
            Some(at) => match DateTime::parse_from_rfc3339(&at.text) {
                Ok(x) => x.with_timezone(&Utc),
                Err(e) => {
                    return Err(vec![Diagnostic::error(
                        format!("not an RFC 3339 time: {e}"),
                        at.span,
                    )]);
                }
            },
            None => DateTime::from_timestamp(1_767_258_000, 0).unwrap_or_default(),
        };
        let mut tickets: Vec<(String, Ticket)> = Vec::new();
        let mut engineers: Vec<(String, Engineer)> = Vec::new();
        for e in &t.entities {
            match e.subject {
                Subject::Ticket => match test_ticket(e, now, &self.inner.checked) {
                    Ok(x) => tickets.push((e.name.text.clone(), x)),
                    Err(d) => diags.push(d),
                },
                Subject::Engineer => match test_engineer(e, &self.inner.checked) {
                    Ok(x) => engineers.push((e.name.text.clone(), x)),
                    Err(d) => diags.push(d),
                },
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let find_t = |n: &super::ast::Name| {
            tickets
                .iter()
                .find(|(k, _)| *k == n.text)
                .map(|(_, t)| t)
                .ok_or_else(|| {
                    Diagnostic::error(format!("no ticket `{}` in this test", n.text), n.span)
                })
        };
        let find_e = |n: &super::ast::Name| {
            engineers
                .iter()
                .find(|(k, _)| *k == n.text)
                .map(|(_, e)| e)
                .ok_or_else(|| {
                    Diagnostic::error(format!("no engineer `{}` in this test", n.text), n.span)
                })
        };
        let fail = |span: Span, what: String| {
            Diagnostic::error(format!("test \"{}\" failed: {what}", t.name.text), span)
        };
        for x in &t.expects {
            let r = (|| -> Result<(), Diagnostic> {
                match x {
                    Expect::Rejected {
                        engineer,
                        ticket,
                        by,
                    } => {
                        if let Some(by) = by {
                            if !self
                                .inner
                                .checked
                                .requires
                                .iter()
                                .any(|r| r.name == by.text)
                            {
                                let mut d = Diagnostic::error(
                                    format!("no require rule named `{}`", by.text),
                                    by.span,
                                );
                                if let Some(s) =
                                    super::diag::suggest(&by.text, self.require_names())
                                {
                                    d = d.help(format!("did you mean `{s}`?"));
                                }
                                return Err(d);
                            }
                        }
                        let ex = self
                            .explain(find_t(ticket)?, find_e(engineer)?, now)
                            .map_err(|e| fail(engineer.span, e.to_string()))?;
                        match (&ex.rejected_by, by) {
                            (None, _) => Err(fail(
                                engineer.span,
                                format!("`{}` was accepted for `{}`", engineer.text, ticket.text),
                            )),
                            (Some(r), Some(by)) if *r != by.text => Err(fail(
                                by.span,
                                format!(
                                    "`{}` was rejected by `{r}`, not `{}`",
                                    engineer.text, by.text
                                ),
                            )),
                            _ => Ok(()),
                        }
                    }
                    Expect::Accepted { engineer, ticket } => {
                        let ex = self
                            .explain(find_t(ticket)?, find_e(engineer)?, now)
                            .map_err(|e| fail(engineer.span, e.to_string()))?;
                        match ex.rules.iter().find(|v| v.passed == Some(false)) {
                            Some(v) => Err(fail(
                                engineer.span,
                                format!(
                                    "`{}` was rejected by `{}`: {}",
                                    engineer.text,
                                    v.rule,
                                    v.counterfactual.clone().unwrap_or_default()
                                ),
                            )),
                            None => Ok(()),
                        }
                    }
                    Expect::Preferred {
                        better,
                        worse,
                        ticket,
                    } => {
                        let tk = find_t(ticket)?;
                        let a = self
                            .explain(tk, find_e(better)?, now)
                            .map_err(|e| fail(better.span, e.to_string()))?;
                        let b = self
                            .explain(tk, find_e(worse)?, now)
                            .map_err(|e| fail(worse.span, e.to_string()))?;
                        if a.cost < b.cost {
                            Ok(())
                        } else {
                            Err(fail(
                                better.span,
                                format!(
                                    "`{}` costs {} points and `{}` {}",
                                    better.text,
                                    fmt_num(a.cost),
                                    worse.text,
                                    fmt_num(b.cost)
                                ),
                            ))
                        }
                    }
                    Expect::Derived {
                        ticket,
                        field,
                        value,
                    } => {
                        let c = &self.inner.checked;
                        let tk = find_t(ticket)?;
                        let slot =
                            c.schema
                                .field(Subject::Ticket, &field.text)
                                .ok_or_else(|| {
                                    let mut d = Diagnostic::error(
                                        format!("unknown field `ticket.{}`", field.text),
                                        field.span,
                                    );
                                    if let Some(s) = super::diag::suggest(
                                        &field.text,
                                        c.schema.ticket.iter().map(|f| f.name.as_str()),
                                    ) {
                                        d = d.help(format!("did you mean `{s}`?"));
                                    }
                                    d
                                })?;
                        let mut view = interp::full_ticket_view(c, tk)
                            .map_err(|e| fail(ticket.span, e.to_string()))?;
                        interp::triage(c, &mut view, tk.location, minutes(now));
                        let ty = c.schema.ticket[slot].ty.clone();
                        let want = literal_value(value, &ty, c)
                            .map_err(|m| Diagnostic::error(m, field.span))?;
                        let got = &view[slot];
                        let same = match (&want, got) {
                            (Value::Num(a), Value::Num(b)) => a == b,
                            (a, b) => a == b,
                        };
                        if same {
                            Ok(())
                        } else {
                            Err(fail(
                                field.span,
                                format!(
                                    "`{}.{}` is {}, expected {}",
                                    ticket.text,
                                    field.text,
                                    self.show(got, &ty),
                                    self.show(&want, &ty)
                                ),
                            ))
                        }
                    }
                }
            })();
            if let Err(d) = r {
                diags.push(d);
            }
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }
}

/// A policy prepared for one run over a fleet: engineer-only work is done.
pub struct Evaluator<'e> {
    policy: &'e Policy,
    cols: Columns<'e>,
    now: f64,
}

/// A ticket prepared for screening: triage done, ticket-only work done.
pub struct PreparedTicket {
    ctx: TicketCtx,
    triage: Triage,
}

impl PreparedTicket {
    /// The outcome of triage.
    pub fn triage(&self) -> &Triage {
        &self.triage
    }
}

/// Per-thread scratch space for [`Evaluator::screen`].
///
/// Besides the lanes, it keeps the fleet-wide outcomes of the rules that read the ticket only
/// through ticket-only values (computed once such a value has come back often enough, at most
/// 64 MiB), for the evaluator it last ran with: reuse one scratch for the tickets of an
/// evaluator.
#[derive(Debug, Default)]
pub struct ScreenScratch(Scratch);

#[cfg(test)]
impl ScreenScratch {
    /// How many fleet-wide outcomes this scratch has computed.
    pub(crate) fn computed_columns(&self) -> usize {
        self.0.computed_columns()
    }

    /// How many keys this scratch counts.
    pub(crate) fn counted_keys(&self) -> usize {
        self.0.counted_keys()
    }

    /// How many lookups this scratch's table of hot keys answered.
    pub(crate) fn hot_hits(&self) -> usize {
        self.0.hot_hits()
    }
}

impl<'e> Evaluator<'e> {
    /// Triages a ticket and computes its ticket-only parts.
    ///
    /// # Errors
    /// When a declared ticket attribute is missing or has the wrong type.
    pub fn ticket(&self, ticket: &Ticket) -> Result<PreparedTicket, Error> {
        let c = self.policy.checked();
        let mut view = interp::ticket_view(c, ticket)?;
        let applied = interp::triage(c, &mut view, ticket.location, self.now);
        let triage = self.policy.triage_of(&view, ticket, &applied);
        let ctx = TicketCtx::new(
            self.policy.program(),
            c,
            &self.cols,
            view,
            ticket.location,
            self.now,
        );
        Ok(PreparedTicket { ctx, triage })
    }

    /// Runs the pair rules (compiled fast path) on engineers `idx` (positions in the fleet slice)
    /// at distances `travel`: `first_fail[i]` is the index of the first require that rejects lane
    /// `i` (`u16::MAX` when none does) and `cost[i]` its score in points.
    pub fn screen(
        &self,
        t: &mut PreparedTicket,
        idx: &[u32],
        travel: &[f64],
        first_fail: &mut [u16],
        cost: &mut [f64],
        scratch: &mut ScreenScratch,
    ) {
        let program = self.policy.program();
        self.run_program(program, t, idx, travel, first_fail, cost, scratch);
    }

    /// [`Evaluator::screen`] with another program compiled from the same policy (such as one of
    /// [`Policy::score_programs`]): the same columns and ticket scalars, so its lanes read what
    /// the policy's own program reads.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_program(
        &self,
        program: &Program,
        t: &mut PreparedTicket,
        idx: &[u32],
        travel: &[f64],
        first_fail: &mut [u16],
        cost: &mut [f64],
        scratch: &mut ScreenScratch,
    ) {
        program.run(
            self.policy.checked(),
            &self.cols,
            &mut t.ctx,
            idx,
            travel,
            first_fail,
            cost,
            &mut scratch.0,
        );
    }

    /// The same verdict by the reference interpreter (for tests and audits).
    pub fn interpret(
        &self,
        t: &PreparedTicket,
        engineer: u32,
        travel_km: f64,
    ) -> (Option<usize>, f64) {
        let env = Env {
            checked: self.policy.checked(),
            ticket: &t.ctx.view,
            ticket_location: t.ctx.location,
            engineer: Some(&self.cols.views[engineer as usize]),
            travel_km,
            now: self.now,
        };
        let PairOutcome { first_fail, cost } = interp::run_pair(&env);
        (first_fail, cost)
    }

    /// Each score's points for one pair (by the interpreter), in policy order.
    pub fn terms(&self, t: &PreparedTicket, engineer: u32, travel_km: f64) -> Vec<(String, f64)> {
        let c = self.policy.checked();
        let env = Env {
            checked: c,
            ticket: &t.ctx.view,
            ticket_location: t.ctx.location,
            engineer: Some(&self.cols.views[engineer as usize]),
            travel_km,
            now: self.now,
        };
        c.scores
            .iter()
            .map(|s| {
                let applies = s
                    .guard
                    .as_ref()
                    .is_none_or(|g| interp::eval(g, &env).truth());
                let points = if applies {
                    s.factor * interp::eval(&s.value, &env).num()
                } else {
                    0.0
                };
                (s.name.clone(), points)
            })
            .collect()
    }

    /// How many more minutes of work engineer `i` may take under the policy's per-engineer hour
    /// limits.
    pub fn minutes_room(&self, i: usize) -> Option<f64> {
        self.policy
            .engineer_minutes_room(&self.cols.views[i], self.now)
    }

    /// How many more tickets engineer `i` may take under the policy's per-engineer limits.
    pub fn room(&self, i: usize) -> Option<i64> {
        self.policy
            .engineer_ticket_room(&self.cols.views[i], self.now)
    }
}

fn lit_err(name: &super::ast::Name, m: impl Into<String>) -> Diagnostic {
    Diagnostic::error(m, name.span)
}

fn lit_str(name: &super::ast::Name, v: &Literal) -> Result<String, Diagnostic> {
    match v {
        Literal::Str(s) | Literal::Word(s) => Ok(s.clone()),
        _ => Err(lit_err(name, format!("`{}` needs a string", name.text))),
    }
}

fn lit_num(name: &super::ast::Name, v: &Literal) -> Result<f64, Diagnostic> {
    match v {
        Literal::Number(q) => Ok(q.value * q.unit.map_or(1.0, |u| super::schema::unit_info(u).1)),
        _ => Err(lit_err(name, format!("`{}` needs a number", name.text))),
    }
}

fn lit_time(name: &super::ast::Name, v: &Literal) -> Result<DateTime<Utc>, Diagnostic> {
    let s = lit_str(name, v)?;
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| lit_err(name, format!("`{}`: not an RFC 3339 time ({e})", name.text)))
}

fn lit_point(name: &super::ast::Name, v: &Literal) -> Result<LatLon, Diagnostic> {
    match v {
        Literal::Point(lat, lon) => Ok(LatLon::new(*lat, *lon)),
        _ => Err(lit_err(
            name,
            format!("`{}` needs a position `(lat, lon)`", name.text),
        )),
    }
}

fn lit_attr(name: &super::ast::Name, v: &Literal) -> Result<AttrValue, Diagnostic> {
    Ok(match v {
        Literal::Bool(b) => AttrValue::Bool(*b),
        Literal::Number(q)
            if q.unit.is_none() && q.value.fract() == 0.0 && q.value.abs() < 9e15 =>
        {
            AttrValue::Int(q.value as i64)
        }
        Literal::Number(q) => AttrValue::Float(q.value),
        Literal::Str(s) | Literal::Word(s) => AttrValue::Str(s.clone()),
        Literal::List(items) => AttrValue::Set(
            items
                .iter()
                .map(|i| lit_str(name, i))
                .collect::<Result<_, _>>()?,
        ),
        _ => {
            return Err(lit_err(
                name,
                format!("`{}`: this value cannot be an attribute", name.text),
            ));
        }
    })
}

fn test_ticket(
    e: &super::ast::TestEntity,
    now: DateTime<Utc>,
    c: &Checked,
) -> Result<Ticket, Diagnostic> {
    let mut t = Ticket::new(e.name.text.as_str(), LatLon::new(0.0, 0.0), "", now);
    for (name, v) in &e.fields {
        match name.text.as_str() {
            "location" => t.location = lit_point(name, v)?,
            "category" => t.category = lit_str(name, v)?,
            "min_level" => t.min_level = lit_num(name, v)?.clamp(0.0, 5.0) as u8,
            "priority" => {
                let s = lit_str(name, v)?;
                t.priority = Priority::ALL
                    .into_iter()
                    .find(|p| format!("{p:?}") == s)
                    .ok_or_else(|| lit_err(name, "priority is P1, P2, P3 or P4"))?;
            }
            "created_at" => t.created_at = lit_time(name, v)?,
            "sla_due" => t.sla_due = Some(lit_time(name, v)?),
            "duration" => t.duration_min = lit_num(name, v)?.clamp(0.0, 1e9) as u32,
            "pinned_engineer" => t.pinned_engineer = Some(EngineerId::from(lit_str(name, v)?)),
            "customer" => {
                let Literal::Map(fields) = v else {
                    return Err(lit_err(
                        name,
                        "`customer` needs `{ id: .., tier: .., last_engineer: .. }`",
                    ));
                };
                let mut cu = Customer {
                    id: String::new(),
                    tier: Tier::Standard,
                    last_engineer: None,
                    excluded_engineers: Vec::new(),
                };
                for (k, v) in fields {
                    let kn = super::ast::Name::new(k.clone(), name.span);
                    match k.as_str() {
                        "id" => cu.id = lit_str(&kn, v)?,
                        "tier" => {
                            cu.tier = match lit_str(&kn, v)?.as_str() {
                                "standard" => Tier::Standard,
                                "gold" => Tier::Gold,
                                "vip" => Tier::Vip,
                                _ => return Err(lit_err(name, "tier is standard, gold or vip")),
                            }
                        }
                        "last_engineer" => {
                            cu.last_engineer = Some(EngineerId::from(lit_str(&kn, v)?))
                        }
                        "excluded_engineers" => {
                            let Literal::List(items) = v else {
                                return Err(lit_err(name, "`excluded_engineers` needs a list"));
                            };
                            cu.excluded_engineers = items
                                .iter()
                                .map(|i| lit_str(&kn, i).map(EngineerId::from))
                                .collect::<Result<_, _>>()?;
                        }
                        _ => return Err(lit_err(name, format!("customers have no field `{k}`"))),
                    }
                }
                t.customer = Some(cu);
            }
            _ => test_attribute(
                c,
                Subject::Ticket,
                name,
                v,
                &[
                    "location",
                    "category",
                    "min_level",
                    "priority",
                    "created_at",
                    "sla_due",
                    "duration",
                    "pinned_engineer",
                    "customer",
                ],
                &mut t.attributes,
            )?,
        }
    }
    Ok(t)
}

fn test_engineer(e: &super::ast::TestEntity, c: &Checked) -> Result<Engineer, Diagnostic> {
    let mut g = Engineer::new(e.name.text.as_str(), LatLon::new(0.0, 0.0), 10);
    for (name, v) in &e.fields {
        match name.text.as_str() {
            "location" => g.location = lit_point(name, v)?,
            "team" => g.team = Some(lit_str(name, v)?),
            "territory" => g.territory = Some(lit_str(name, v)?),
            "capacity" => g.capacity = lit_num(name, v)?.clamp(0.0, 1e5) as i32,
            "open_tickets" => g.open_tickets = lit_num(name, v)?.clamp(0.0, 1e5) as i32,
            "last_assigned_at" => g.last_assigned_at = Some(lit_time(name, v)?),
            "shift" => {
                let Literal::Map(fields) = v else {
                    return Err(lit_err(
                        name,
                        "`shift` needs `{ start: \"..\", end: \"..\" }`",
                    ));
                };
                let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
                let (Some(s), Some(en)) = (get("start"), get("end")) else {
                    return Err(lit_err(name, "`shift` needs `start` and `end`"));
                };
                g.shift = Some(Shift {
                    start: lit_time(name, s)?,
                    end: lit_time(name, en)?,
                });
            }
            "skills" => {
                let Literal::Map(fields) = v else {
                    return Err(lit_err(name, "`skills` needs `{ skill: level, ... }`"));
                };
                for (k, v) in fields {
                    g.skills
                        .insert(k.clone(), lit_num(name, v)?.clamp(0.0, 5.0) as u8);
                }
            }
            _ => test_attribute(
                c,
                Subject::Engineer,
                name,
                v,
                &[
                    "location",
                    "team",
                    "territory",
                    "capacity",
                    "open_tickets",
                    "last_assigned_at",
                    "shift",
                    "skills",
                ],
                &mut g.attributes,
            )?,
        }
    }
    Ok(g)
}

/// A field of a test entity that is not a built-in one: a declared attribute, or an error that
/// suggests the nearest known field.
fn test_attribute(
    c: &Checked,
    subject: Subject,
    name: &super::ast::Name,
    v: &Literal,
    builtins: &[&str],
    attributes: &mut crate::model::Attributes,
) -> Result<(), Diagnostic> {
    let declared = |f: &&super::schema::FieldInfo| f.source == super::schema::Source::Attribute;
    let fields = c.schema.fields(subject);
    if fields.iter().filter(declared).any(|f| f.name == name.text) {
        attributes.insert(name.text.clone(), lit_attr(name, v)?);
        return Ok(());
    }
    let names = builtins
        .iter()
        .copied()
        .chain(fields.iter().filter(declared).map(|f| f.name.as_str()));
    let mut d = lit_err(
        name,
        format!("a test {} has no field `{}`", subject.as_str(), name.text),
    );
    if let Some(s) = super::diag::suggest(&name.text, names) {
        d = d.help(format!("did you mean `{s}`?"));
    }
    Err(d)
}

/// A test literal as a value of type `ty`.
fn literal_value(l: &Literal, ty: &Ty, c: &Checked) -> Result<Value, String> {
    Ok(match (ty.strip(), l) {
        (_, Literal::Word(w)) if w == "missing" && ty.is_opt() => Value::Missing,
        (Ty::Bool, Literal::Bool(b)) => Value::Bool(*b),
        (Ty::Num(_), Literal::Number(q)) => {
            Value::Num(q.value * q.unit.map_or(1.0, |u| super::schema::unit_info(u).1))
        }
        (Ty::Str, Literal::Str(s)) => Value::Str(Arc::from(s.as_str())),
        (Ty::Enum(e), Literal::Word(w)) => {
            let vs = &c.schema.enums[*e].variants;
            Value::Num(
                vs.iter()
                    .position(|v| v == w)
                    .ok_or_else(|| format!("`{w}` is not one of {}", vs.join(", ")))?
                    as f64,
            )
        }
        (Ty::Time, Literal::Str(s)) => Value::Num(minutes(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!("not an RFC 3339 time: {e}"))?
                .with_timezone(&Utc),
        )),
        _ => {
            return Err(format!(
                "this value does not fit a {}",
                c.schema.describe(ty)
            ));
        }
    })
}

impl Policy {
    /// The index of the `require` that reads exactly `engineer.skill(ticket.category) >=
    /// ticket.min_level`, unguarded, when every `require` before it is an unguarded
    /// `travel <= X` that every engineer within the reach passes. An engineer within reach without
    /// the level then fails that rule first, so screening may decide it from the skill alone,
    /// without running the pair program (see [`Evaluator::skill_gate`]).
    pub(crate) fn skill_gate(&self) -> Option<usize> {
        let c = &self.inner.checked;
        let reach = c.reach_km?;
        let category = c.schema.field(Subject::Ticket, "category")?;
        let min_level = c.schema.field(Subject::Ticket, "min_level")?;
        let is_skill = |e: &TExpr| match &e.kind {
            TK::Bin(op, a, b) => {
                let (level, min) = match op {
                    Op::Ge => (a, b),
                    Op::Le => (b, a),
                    _ => return false,
                };
                matches!(&level.kind, TK::Skill(k)
                    if matches!(k.kind, TK::Field(Subject::Ticket, s) if s == category))
                    && matches!(min.kind, TK::Field(Subject::Ticket, s) if s == min_level)
            }
            _ => false,
        };
        let passes_within_reach = |e: &TExpr| match &e.kind {
            TK::Bin(Op::Le, a, b) => matches!(
                (&a.kind, &b.kind),
                (TK::Travel, TK::Const(Value::Num(km))) if *km >= reach
            ),
            _ => false,
        };
        for (i, r) in c.requires.iter().enumerate() {
            if r.guard.is_some() {
                return None;
            }
            if is_skill(&r.cond) {
                return Some(i);
            }
            if !passes_within_reach(&r.cond) {
                return None;
            }
        }
        None
    }
}

impl Policy {
    /// Each score's name and its program alone ([`Program::score_only`], made once per policy, on
    /// first use), in policy order: run by [`Evaluator::run_program`], they give a pair's points
    /// score by score, as [`Evaluator::terms`] does by the interpreter.
    pub(crate) fn score_programs(&self) -> Vec<(&str, &Program)> {
        let inner = &*self.inner;
        let programs = inner.score_programs.get_or_init(|| {
            (0..inner.checked.scores.len())
                .map(|k| inner.program.score_only(k))
                .collect()
        });
        inner
            .checked
            .scores
            .iter()
            .zip(programs)
            .map(|(s, p)| (s.name.as_str(), p))
            .collect()
    }
}

impl Evaluator<'_> {
    /// For a prepared ticket, what the policy's skill gate ([`Policy::skill_gate`]) compares: the
    /// category after triage (`None` when it is not a string: every engineer's level is then 0)
    /// and the minimum level after triage. An engineer passes the gate when
    /// `f64::from(level) >= minimum`, exactly as the rule compares them.
    pub(crate) fn skill_gate(&self, t: &PreparedTicket) -> Option<(Option<Arc<str>>, f64)> {
        gate_fields(self.policy.checked(), &t.ctx.view)
    }
}

impl Policy {
    /// [`Evaluator::skill_gate`] without an evaluator: triage is ticket-only, so what the gate
    /// compares is known before any engineer is prepared (the one-shot ranking uses it to
    /// prepare only the engineers with the level).
    ///
    /// # Errors
    /// When a declared ticket attribute is missing or has the wrong type.
    pub(crate) fn skill_gate_of(
        &self,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<Option<GateFields>, Error> {
        let c = &self.inner.checked;
        let mut view = interp::ticket_view(c, ticket)?;
        interp::triage(c, &mut view, ticket.location, minutes(now));
        Ok(gate_fields(c, &view))
    }
}

/// What the skill gate compares: the triaged category (`None` when not a string) and minimum
/// level.
pub(crate) type GateFields = (Option<Arc<str>>, f64);

/// The [`GateFields`] of a ticket view.
fn gate_fields(c: &Checked, view: &[Value]) -> Option<GateFields> {
    let category = match view.get(c.schema.builtin_slot(Subject::Ticket, Builtin::Category)?)? {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    };
    let min = view
        .get(c.schema.builtin_slot(Subject::Ticket, Builtin::MinLevel)?)?
        .num();
    Some((category, min))
}
