//! The checker: resolves names against the schema, infers types and units, follows optional
//! values through their guards, computes value ranges, and turns the syntax tree into the typed
//! tree that the interpreter and the compiler run. Every problem found is reported, each with a span.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::ast::*;
use super::diag::{Diagnostic, Span, suggest};
use super::print::print_expr;
use super::schema::{Builtin, Dim, MAX_TRAVEL_KM, Schema, Ty, unit_info};
use super::value::Value;

/// Depends on nothing that varies (a constant).
pub(crate) const CONST: u8 = 0;
/// Depends on the ticket (or the run's `now`).
pub(crate) const TICKET: u8 = 1;
/// Depends on the engineer.
pub(crate) const ENGINEER: u8 = 2;
/// Depends on both.
pub(crate) const PAIR: u8 = 3;

/// Operators of the typed tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Coalesce,
    In,
}

/// A typed, resolved expression.
#[derive(Debug, Clone)]
pub(crate) struct TExpr {
    pub kind: TK,
    pub ty: Ty,
    /// What it depends on: [`CONST`], [`TICKET`], [`ENGINEER`] or [`PAIR`].
    pub bind: u8,
    /// Smallest and largest value (numbers; booleans as 0/1).
    pub range: (f64, f64),
    pub span: Span,
}

/// Typed expression forms.
#[derive(Debug, Clone)]
pub(crate) enum TK {
    Const(Value),
    Field(Subject, usize),
    Travel,
    TravelTime,
    Now,
    Assigned,
    AssignedHours,
    Skill(Box<TExpr>),
    OnShift(Box<TExpr>),
    InRegion(Subject, usize),
    Exists(Box<TExpr>),
    Not(Box<TExpr>),
    Neg(Box<TExpr>),
    Abs(Box<TExpr>),
    Bin(Op, Box<TExpr>, Box<TExpr>),
    Scale(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    If(Box<TExpr>, Box<TExpr>, Box<TExpr>),
}

/// A checked derive rule.
#[derive(Debug, Clone)]
pub(crate) struct TDerive {
    pub name: String,
    pub guard: Option<TExpr>,
    pub assigns: Vec<(usize, TExpr)>,
}

/// A checked require rule.
#[derive(Debug, Clone)]
pub(crate) struct TRequire {
    pub name: String,
    pub guard: Option<TExpr>,
    pub cond: TExpr,
}

/// A checked score rule.
#[derive(Debug, Clone)]
pub(crate) struct TScore {
    pub name: String,
    pub kind: ScoreKind,
    /// Points per unit of `value` (negative for `prefer`).
    pub factor: f64,
    pub guard: Option<TExpr>,
    pub value: TExpr,
    /// Smallest and largest contribution, in points.
    pub points: (f64, f64),
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitMeasure {
    /// Tickets given in this run.
    Tickets,
    /// Hours of work (ticket durations) given in this run.
    Hours,
}

/// A checked limit.
#[derive(Debug, Clone)]
pub(crate) struct TLimit {
    pub name: String,
    pub team: Option<String>,
    pub measure: LimitMeasure,
    /// Already used (engineer-only), subtracted from the bound.
    pub used: Option<TExpr>,
    /// The bound (engineer-only, or constant for teams).
    pub bound: TExpr,
    /// `<` rather than `<=`.
    pub strict: bool,
}

/// Everything the checker produces.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub schema: Schema,
    /// The regions (every ticket's and engineer's `region` value shares its name).
    pub regions: Vec<Region>,
    pub speed_kmh: f64,
    /// In run order.
    pub derives: Vec<TDerive>,
    pub requires: Vec<TRequire>,
    pub scores: Vec<TScore>,
    pub limits: Vec<TLimit>,
    /// The travel bound of the first unguarded `require .. travel <= X` (drives the spatial index).
    pub reach_km: Option<f64>,
    /// Which engineer fields (by slot) some pair rule or limit reads: the others are not built.
    pub engineer_reads: Vec<bool>,
    /// Which ticket fields (by slot) some rule reads, or triage hands on (priority, category,
    /// minimum level, team, escalation, SLA due time, duration): the other built-in fields are
    /// not built for a run (a policy's embedded tests build every field).
    pub ticket_reads: Vec<bool>,
}

/// The ticket's built-in fields that triage reads from the view after the derives.
const TRIAGE_READS: [Builtin; 7] = [
    Builtin::Priority,
    Builtin::Category,
    Builtin::MinLevel,
    Builtin::Team,
    Builtin::Escalated,
    Builtin::SlaDue,
    Builtin::Duration,
];

impl Checked {
    /// Fills [`Checked::engineer_reads`] and [`Checked::ticket_reads`] from every rule.
    fn find_reads(mut self) -> Checked {
        let mut reads = Reads {
            engineer: vec![false; self.schema.fields(Subject::Engineer).len()],
            ticket: vec![false; self.schema.fields(Subject::Ticket).len()],
        };
        let exprs = (self.derives.iter())
            .flat_map(|d| d.guard.iter().chain(d.assigns.iter().map(|(_, e)| e)));
        let exprs =
            exprs.chain((self.requires.iter()).flat_map(|r| r.guard.iter().chain([&r.cond])));
        let exprs =
            exprs.chain((self.scores.iter()).flat_map(|s| s.guard.iter().chain([&s.value])));
        let exprs = exprs.chain((self.limits.iter()).flat_map(|l| l.used.iter().chain([&l.bound])));
        for e in exprs {
            mark_reads(&self.schema, e, &mut reads);
        }
        for b in TRIAGE_READS {
            if let Some(slot) = self.schema.builtin_slot(Subject::Ticket, b) {
                reads.ticket[slot] = true;
            }
        }
        self.engineer_reads = reads.engineer;
        self.ticket_reads = reads.ticket;
        self
    }
}

/// The fields, by slot, that some rule reads.
struct Reads {
    engineer: Vec<bool>,
    ticket: Vec<bool>,
}

/// Marks the fields `e` reads (directly, or through `on_shift`).
fn mark_reads(schema: &Schema, e: &TExpr, reads: &mut Reads) {
    let mut mark = |x: &TExpr| mark_reads(schema, x, reads);
    match &e.kind {
        TK::Field(Subject::Engineer, slot) => reads.engineer[*slot] = true,
        TK::Field(Subject::Ticket, slot) => reads.ticket[*slot] = true,
        TK::OnShift(x) => {
            mark(x);
            for name in ["shift_start", "shift_end"] {
                if let Some(slot) = schema.field(Subject::Engineer, name) {
                    reads.engineer[slot] = true;
                }
            }
        }
        TK::Const(_)
        | TK::Travel
        | TK::TravelTime
        | TK::Now
        | TK::Assigned
        | TK::AssignedHours
        | TK::InRegion(..) => {}
        TK::Skill(x) | TK::Exists(x) | TK::Not(x) | TK::Neg(x) | TK::Abs(x) => mark(x),
        TK::Bin(_, a, b) => {
            mark(a);
            mark(b);
        }
        TK::Scale(a, b, c) | TK::If(a, b, c) => {
            mark(a);
            mark(b);
            mark(c);
        }
    }
}

/// Default travel speed, km/h.
pub(crate) const DEFAULT_SPEED_KMH: f64 = 40.0;

const BUILTIN_WORDS: [&str; 6] = [
    "ticket",
    "engineer",
    "travel",
    "travel_time",
    "assigned",
    "assigned_hours",
];
const FUNCTIONS: [&str; 5] = ["now", "exists", "min", "max", "abs"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Derive,
    Pair,
    Limit,
}

struct Checker<'a> {
    schema: Schema,
    regions: Vec<Region>,
    diags: Vec<Diagnostic>,
    known: Vec<String>,
    ctx: Ctx,
    speed: f64,
    travel_max: f64,
    _ast: &'a PolicyAst,
}

type R = Result<TExpr, ()>;

/// A region: its name (shared by the values that name it) and its polygon's `(lat, lon)` corners.
pub(crate) type Region = (Arc<str>, Vec<(f64, f64)>);

fn err<T>(c: &mut Checker<'_>, d: Diagnostic) -> Result<T, ()> {
    c.diags.push(d);
    Err(())
}

/// Checks a policy. `host_regions` are polygons given by the host (after the declared ones).
pub(crate) fn check(
    ast: &PolicyAst,
    host_regions: &[Region],
) -> (Option<Checked>, Vec<Diagnostic>) {
    let mut c = Checker {
        schema: Schema::builtin(),
        regions: Vec::new(),
        diags: Vec::new(),
        known: Vec::new(),
        ctx: Ctx::Pair,
        speed: DEFAULT_SPEED_KMH,
        travel_max: MAX_TRAVEL_KM,
        _ast: ast,
    };
    // Pass 1: declarations.
    let mut speed_seen = false;
    for item in &ast.items {
        match item {
            Item::Field(f) => {
                if let Err(m) = c.schema.declare(
                    f.subject,
                    &f.name.text,
                    &f.ty,
                    &format!("{}.{}", f.subject.as_str(), f.name.text),
                ) {
                    c.diags.push(Diagnostic::error(m, f.name.span));
                }
            }
            Item::Region(r) => {
                if c.regions.iter().any(|(n, _)| **n == *r.name.text) {
                    c.diags.push(Diagnostic::error(
                        format!("region \"{}\" is declared twice", r.name.text),
                        r.name.span,
                    ));
                } else if r.polygon.len() < 3 {
                    c.diags.push(
                        Diagnostic::error("a polygon needs at least 3 corners", r.name.span)
                            .help("list the corners as (latitude, longitude)"),
                    );
                } else if let Some((lat, lon)) = r
                    .polygon
                    .iter()
                    .find(|(lat, lon)| lat.abs() > 90.0 || lon.abs() > 180.0)
                {
                    c.diags.push(Diagnostic::error(
                        format!("corner ({lat}, {lon}) is not a valid position"),
                        r.name.span,
                    ));
                } else {
                    c.regions
                        .push((Arc::from(r.name.text.as_str()), r.polygon.clone()));
                }
            }
            Item::Speed(q) => {
                let span = Span::default();
                if speed_seen {
                    c.diags
                        .push(Diagnostic::error("`speed` is given twice", span));
                }
                speed_seen = true;
                match q.unit {
                    Some(Unit::KmH) if q.value > 0.0 => c.speed = q.value,
                    _ => c.diags.push(
                        Diagnostic::error("speed must be a positive number of km/h", span)
                            .help("write `speed 40km/h`"),
                    ),
                }
            }
            _ => {}
        }
    }
    for (name, poly) in host_regions {
        if !c.regions.iter().any(|(n, _)| n == name) {
            c.regions.push((name.clone(), poly.clone()));
        }
    }
    let mut names: Vec<(String, Span)> = Vec::new();
    let mut dup = |c: &mut Checker<'_>, n: &Name| {
        if let Some((_, first)) = names.iter().find(|(t, _)| *t == n.text) {
            let (line, _) = (first.start, 0);
            let _ = line;
            c.diags.push(
                Diagnostic::error(format!("rule `{}` is defined twice", n.text), n.span)
                    .help("give each rule its own name"),
            );
        } else {
            names.push((n.text.clone(), n.span));
        }
    };
    // Pass 2: derives.
    let mut derives = Vec::new();
    let mut derive_asts = Vec::new();
    for item in &ast.items {
        if let Item::Derive(d) = item {
            dup(&mut c, &d.name);
            c.ctx = Ctx::Derive;
            if let Some(t) = c.derive(d) {
                derives.push(t);
                derive_asts.push(d);
            }
        }
    }
    let derives = c.order_derives(derives, &derive_asts);
    // Pass 3: requires (they bound travel for the scores).
    c.ctx = Ctx::Pair;
    let mut requires = Vec::new();
    for item in &ast.items {
        if let Item::Require(r) = item {
            dup(&mut c, &r.name);
            if let Some(t) = c.require(r) {
                requires.push(t);
            }
        }
    }
    let reach_km = requires
        .iter()
        .filter(|r| r.guard.is_none())
        .find_map(|r| reach_bound(&r.cond));
    if let Some(km) = reach_km {
        c.travel_max = km;
    }
    // Pass 4: scores and limits.
    let mut scores = Vec::new();
    let mut limits = Vec::new();
    for item in &ast.items {
        match item {
            Item::Score(s) => {
                dup(&mut c, &s.name);
                c.ctx = Ctx::Pair;
                if let Some(t) = c.score(s) {
                    scores.push((t, s.name.span));
                }
            }
            Item::Limit(l) => {
                dup(&mut c, &l.name);
                c.ctx = Ctx::Limit;
                if let Some(t) = c.limit(l) {
                    limits.push(t);
                }
            }
            _ => {}
        }
    }
    // One term that dwarfs all the others.
    if scores.len() >= 2 {
        let mags: Vec<f64> = scores
            .iter()
            .map(|(s, _)| s.points.0.abs().max(s.points.1.abs()))
            .collect();
        let total: f64 = mags.iter().sum();
        for ((s, span), m) in scores.iter().zip(&mags) {
            let others = total - m;
            if others > 0.0 && *m > 100.0 * others {
                c.diags.push(
                    Diagnostic::warning(
                        format!(
                            "score `{}` (up to {} points) outweighs all other scores together ({} points) more than 100 times",
                            s.name,
                            fmt_num(*m),
                            fmt_num(others)
                        ),
                        *span,
                    )
                    .help("lower its weight, or make it a `require` if it must always win"),
                );
            }
        }
    }
    let scores = scores.into_iter().map(|(s, _)| s).collect();
    let has_errors = c
        .diags
        .iter()
        .any(|d| d.severity == super::diag::Severity::Error);
    let diags = std::mem::take(&mut c.diags);
    if has_errors {
        return (None, diags);
    }
    (
        Some(
            Checked {
                schema: c.schema,
                regions: c.regions,
                speed_kmh: c.speed,
                derives,
                requires,
                scores,
                limits,
                reach_km,
                engineer_reads: Vec::new(),
                ticket_reads: Vec::new(),
            }
            .find_reads(),
        ),
        diags,
    )
}

/// `travel <= 40km` (or `40km >= travel`, `<`, or a conjunct of an `&&`): the bound in km.
fn reach_bound(e: &TExpr) -> Option<f64> {
    match &e.kind {
        TK::Bin(Op::And, a, b) => reach_bound(a).or_else(|| reach_bound(b)),
        TK::Bin(op, a, b) => {
            let (t, k) = match op {
                Op::Le | Op::Lt => (a, b),
                Op::Ge | Op::Gt => (b, a),
                _ => return None,
            };
            match (&t.kind, &k.kind) {
                (TK::Travel, TK::Const(Value::Num(km))) if *km >= 0.0 => Some(*km),
                _ => None,
            }
        }
        _ => None,
    }
}

pub(crate) fn fmt_num(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "∞".into() } else { "-∞".into() };
    }
    let r = (x * 1000.0).round() / 1000.0;
    format!("{r}")
}

fn hull(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.min(b.0), a.1.max(b.1))
}

fn mul_range(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let m = |x: f64, y: f64| if x == 0.0 || y == 0.0 { 0.0 } else { x * y };
    let p = [m(a.0, b.0), m(a.0, b.1), m(a.1, b.0), m(a.1, b.1)];
    (
        p.iter().copied().fold(f64::INFINITY, f64::min),
        p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

const BOOL: (f64, f64) = (0.0, 1.0);
const ALL: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

fn texpr(kind: TK, ty: Ty, bind: u8, range: (f64, f64), span: Span) -> TExpr {
    TExpr {
        kind,
        ty,
        bind,
        range,
        span,
    }
}

/// Facts an expression establishes about optional values when it is `positive` (true) or false.
fn facts(e: &Expr, positive: bool, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Call {
            receiver: None,
            name,
            args,
        } if name.text == "exists" && args.len() == 1 && positive => {
            out.push(print_expr(&args[0]));
        }
        ExprKind::Unary {
            op: UnOp::Not,
            operand,
        } => facts(operand, !positive, out),
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } if positive => {
            facts(lhs, true, out);
            facts(rhs, true, out);
        }
        ExprKind::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
        } if !positive => {
            facts(lhs, false, out);
            facts(rhs, false, out);
        }
        _ => {}
    }
}

impl Checker<'_> {
    fn with_facts<T>(
        &mut self,
        e: Option<&Expr>,
        positive: bool,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let before = self.known.len();
        if let Some(e) = e {
            facts(e, positive, &mut self.known);
        }
        let r = f(self);
        self.known.truncate(before);
        r
    }

    fn bool_expr(&mut self, e: &Expr, what: &str) -> R {
        let t = self.expr(e, None)?;
        self.want(&t, &Ty::Bool, what)?;
        Ok(t)
    }

    /// Demands a present value of type `ty`.
    fn want(&mut self, t: &TExpr, ty: &Ty, what: &str) -> Result<(), ()> {
        if t.ty == *ty {
            return Ok(());
        }
        if t.ty.is_opt() && t.ty.strip() == ty {
            return self.unguarded(t);
        }
        let msg = format!(
            "{what} must be {}, found {}",
            self.schema.describe(ty),
            self.schema.describe(&t.ty)
        );
        err(self, Diagnostic::error(msg, t.span))
    }

    fn unguarded(&mut self, t: &TExpr) -> Result<(), ()> {
        err(
            self,
            Diagnostic::error("optional value read without a guard", t.span)
                .label("may be missing")
                .help("guard it with `when exists(..)`, `exists(..) && ..`, or give a default with `?? value`"),
        )
    }

    /// The present type of `t`, or an error if it is optional.
    fn present(&mut self, t: &TExpr) -> Result<(), ()> {
        if t.ty.is_opt() {
            self.unguarded(t)
        } else {
            Ok(())
        }
    }

    fn derive(&mut self, d: &Derive) -> Option<TDerive> {
        let guard = match &d.guard {
            Some(g) => {
                let t = self.bool_expr(g, "a guard").ok()?;
                if t.range == (0.0, 0.0) {
                    self.diags.push(Diagnostic::error(
                        format!(
                            "derive `{}` never applies: its guard is always false",
                            d.name.text
                        ),
                        g.span,
                    ));
                }
                Some(t)
            }
            None => None,
        };
        let mut assigns = Vec::new();
        let mut ok = true;
        self.with_facts(d.guard.as_ref(), true, |c| {
            for a in &d.assigns {
                let span = a.target[0].span.to(a.target[a.target.len() - 1].span);
                let root = a.target[0].text.as_str();
                if root != "ticket" {
                    let msg = if root == "engineer" {
                        format!(
                            "derive `{}` writes `{}`: a derive may only write ticket fields",
                            d.name.text,
                            path_text(&a.target)
                        )
                    } else {
                        format!("`{}` is not a ticket field", path_text(&a.target))
                    };
                    c.diags.push(
                        Diagnostic::error(msg, span)
                            .help("derive runs once per ticket, before any engineer is looked at"),
                    );
                    ok = false;
                    continue;
                }
                let field = path_text(&a.target[1..]);
                let Some(slot) = c.schema.field(Subject::Ticket, &field) else {
                    let names: Vec<&str> =
                        c.schema.ticket.iter().map(|f| f.name.as_str()).collect();
                    let mut diag =
                        Diagnostic::error(format!("unknown field `ticket.{field}`"), span);
                    if let Some(s) = suggest(&field, names) {
                        diag = diag.help(format!("did you mean `ticket.{s}`?"));
                    }
                    c.diags.push(diag);
                    ok = false;
                    continue;
                };
                let info = c.schema.ticket[slot].clone();
                if !info.writable {
                    c.diags.push(Diagnostic::error(
                        format!("`ticket.{field}` cannot be written"),
                        span,
                    ).help("derive may write priority, category, min_level, sla_due, duration, team, escalated and declared ticket fields"));
                    ok = false;
                    continue;
                }
                let Ok(v) = c.expr(&a.value, Some(info.ty.strip())) else {
                    ok = false;
                    continue;
                };
                let fits = v.ty == info.ty || (info.ty.is_opt() && v.ty == *info.ty.strip());
                if !fits {
                    if v.ty.is_opt() && *v.ty.strip() == info.ty {
                        let _ = c.unguarded(&v);
                    } else {
                        let msg = format!(
                            "`ticket.{field}` is {}, but the value is {}",
                            c.schema.describe(&info.ty),
                            c.schema.describe(&v.ty)
                        );
                        c.diags.push(Diagnostic::error(msg, a.value.span));
                    }
                    ok = false;
                    continue;
                }
                assigns.push((slot, v));
            }
        });
        for t in guard.iter().chain(assigns.iter().map(|(_, v)| v)) {
            if t.bind & ENGINEER != 0 {
                let what = first_engineer_read(t).unwrap_or(t.span);
                self.diags.push(
                    Diagnostic::error(
                        format!("derive `{}` reads the engineer", d.name.text),
                        what,
                    )
                    .help("derive runs once per ticket, before any engineer is known; use `require` or `prefer`"),
                );
                ok = false;
            }
        }
        ok.then(|| TDerive {
            name: d.name.text.clone(),
            guard,
            assigns,
        })
    }

    /// Orders derives by `after`, then by position; checks that two derives writing one field
    /// are ordered or have disjoint guards.
    fn order_derives(&mut self, derives: Vec<TDerive>, asts: &[&Derive]) -> Vec<TDerive> {
        let n = derives.len();
        let index = |name: &str| asts.iter().position(|d| d.name.text == name);
        let mut before = vec![BTreeSet::new(); n];
        for (i, d) in asts.iter().enumerate() {
            for a in &d.after {
                match index(&a.text) {
                    Some(j) if j != i => {
                        before[i].insert(j);
                    }
                    Some(_) => self.diags.push(Diagnostic::error(
                        "a derive cannot run after itself",
                        a.span,
                    )),
                    None => {
                        let mut diag =
                            Diagnostic::error(format!("no derive rule named `{}`", a.text), a.span);
                        if let Some(s) = suggest(&a.text, asts.iter().map(|d| d.name.text.as_str()))
                        {
                            diag = diag.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(diag);
                    }
                }
            }
        }
        // Transitive closure by one search from each derive: O(n · (n + edges)). (Repeated
        // squaring of the sets took minutes on a policy of a thousand derives in one chain.)
        let reach: Vec<BTreeSet<usize>> = (0..n)
            .map(|i| {
                let mut seen = BTreeSet::new();
                let mut stack: Vec<usize> = before[i].iter().copied().collect();
                while let Some(j) = stack.pop() {
                    if seen.insert(j) {
                        stack.extend(before[j].iter().copied());
                    }
                }
                seen
            })
            .collect();
        for (i, r) in reach.iter().enumerate() {
            if r.contains(&i) {
                self.diags.push(
                    Diagnostic::error(
                        format!("derive `{}` is part of an `after` cycle", asts[i].name.text),
                        asts[i].name.span,
                    )
                    .help("derives run once each, in one order: remove one `after`"),
                );
                return derives;
            }
        }
        // Each guard's atoms once, not once per pair.
        let guard_atoms: Vec<Option<Vec<Atom>>> = asts
            .iter()
            .map(|d| {
                d.guard.as_ref().map(|g| {
                    let mut out = Vec::new();
                    atoms(g, true, &mut out);
                    out
                })
            })
            .collect();
        for i in 0..n {
            for j in 0..i {
                if reach[i].contains(&j) || reach[j].contains(&i) {
                    continue;
                }
                for (slot, _) in &derives[i].assigns {
                    if derives[j].assigns.iter().any(|(s, _)| s == slot)
                        && !disjoint(guard_atoms[i].as_deref(), guard_atoms[j].as_deref())
                    {
                        let field = &self.schema.ticket[*slot].name;
                        let span = asts[i]
                            .assigns
                            .iter()
                            .find(|a| path_text(&a.target[1..]) == *field)
                            .map_or(asts[i].name.span, |a| {
                                a.target[0].span.to(a.target[a.target.len() - 1].span)
                            });
                        self.diags.push(
                            Diagnostic::error(
                                format!(
                                    "derives `{}` and `{}` both write `ticket.{field}`, and their guards may both hold",
                                    asts[j].name.text, asts[i].name.text
                                ),
                                span,
                            )
                            .help(format!(
                                "make the guards exclusive, or write `derive {} after {}`",
                                asts[i].name.text, asts[j].name.text
                            )),
                        );
                    }
                }
            }
        }
        // Kahn's algorithm, smallest position first.
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while order.len() < n {
            let Some(i) = (0..n).find(|&i| !done[i] && before[i].iter().all(|&j| done[j])) else {
                break;
            };
            done[i] = true;
            order.push(i);
        }
        let mut slots: Vec<Option<TDerive>> = derives.into_iter().map(Some).collect();
        order.into_iter().filter_map(|i| slots[i].take()).collect()
    }

    fn require(&mut self, r: &Require) -> Option<TRequire> {
        let guard = self.rule_guard(r.guard.as_ref(), &r.name.text);
        let cond = self
            .with_facts(r.guard.as_ref(), true, |c| {
                c.bool_expr(&r.condition, "a requirement")
            })
            .ok()?;
        if cond.range == (0.0, 0.0) {
            self.diags.push(
                Diagnostic::error(
                    format!("rule `{}` can never pass", r.name.text),
                    r.condition.span,
                )
                .label(impossible_reason(&cond, &self.schema))
                .help("check the numbers against the declared ranges"),
            );
        } else if cond.range == (1.0, 1.0) {
            self.diags.push(Diagnostic::warning(
                format!("rule `{}` always passes", r.name.text),
                r.condition.span,
            ));
        }
        Some(TRequire {
            name: r.name.text.clone(),
            guard: guard?,
            cond,
        })
    }

    /// `Some(None)` for no guard, `None` on error.
    fn rule_guard(&mut self, g: Option<&Expr>, name: &str) -> Option<Option<TExpr>> {
        let Some(g) = g else {
            return Some(None);
        };
        let t = self.bool_expr(g, "a guard").ok()?;
        if t.range == (0.0, 0.0) {
            self.diags.push(
                Diagnostic::error(
                    format!("rule `{name}` never applies: its guard is always false"),
                    g.span,
                )
                .label(impossible_reason(&t, &self.schema)),
            );
        }
        Some(Some(t))
    }

    fn score(&mut self, s: &Score) -> Option<TScore> {
        let guard = self.rule_guard(s.guard.as_ref(), &s.name.text);
        let value = self
            .with_facts(s.guard.as_ref(), true, |c| c.expr(&s.value, None))
            .ok()?;
        self.present(&value).ok()?;
        if !s.weight.is_finite() || s.weight < 0.0 {
            self.diags.push(
                Diagnostic::error("a weight must be a non-negative number", s.name.span).help(
                    "`prefer` lowers the cost and `penalize` raises it: use the other keyword",
                ),
            );
            return None;
        }
        let sign = match s.kind {
            ScoreKind::Prefer => -1.0,
            ScoreKind::Penalize => 1.0,
        };
        let unit = s.per.as_ref().map(|p| {
            (
                p,
                Unit::from_word(&p.text).or(if p.text == "km/h" {
                    Some(Unit::KmH)
                } else {
                    None
                }),
            )
        });
        let per_factor = match (&value.ty, unit) {
            (Ty::Bool, None) => 1.0,
            (Ty::Bool, Some((p, _))) => {
                self.diags.push(
                    Diagnostic::error(format!("`per {}` on a yes/no value", p.text), p.span)
                        .help("a condition scores its weight when true: drop `per`"),
                );
                return None;
            }
            (Ty::Num(Dim::Scalar), None) => 1.0,
            (Ty::Num(Dim::Scalar), Some((_, None))) => 1.0,
            (Ty::Num(d), Some((p, Some(u)))) => {
                let (ud, f) = unit_info(u);
                if ud != *d {
                    let msg = format!(
                        "`per {}` does not fit a value that is a {}",
                        p.text,
                        self.schema.describe(&value.ty)
                    );
                    self.diags.push(Diagnostic::error(msg, p.span));
                    return None;
                }
                f
            }
            (Ty::Num(d), _) => {
                let msg = format!(
                    "score `{}` needs a unit: the value is a {}",
                    s.name.text,
                    self.schema.describe(&value.ty)
                );
                self.diags
                    .push(Diagnostic::error(msg, s.value.span).help(format!(
                        "write `per {}`",
                        if *d == Dim::Length { "km" } else { "min" }
                    )));
                return None;
            }
            _ => {
                let msg = format!(
                    "a score must be a condition, a number or a `scale`, found {}",
                    self.schema.describe(&value.ty)
                );
                self.diags.push(Diagnostic::error(msg, s.value.span));
                return None;
            }
        };
        let factor = sign * s.weight / per_factor;
        let points = mul_range((factor, factor), value.range);
        if !(points.0.is_finite() && points.1.is_finite()) {
            self.diags.push(
                Diagnostic::error(format!("score `{}` is unbounded", s.name.text), s.value.span)
                    .label(format!(
                        "ranges over [{}, {}]",
                        fmt_num(value.range.0),
                        fmt_num(value.range.1)
                    ))
                    .help("bound it with `min(..)`, `scale .. from .. to ..`, a declared range, or a `require` on travel"),
            );
            return None;
        }
        Some(TScore {
            name: s.name.text.clone(),
            kind: s.kind,
            factor,
            guard: guard?,
            value,
            points,
        })
    }

    fn limit(&mut self, l: &Limit) -> Option<TLimit> {
        let shape_help = "write `assigned <= N`, `engineer.open_tickets + assigned <= engineer.capacity` or `assigned_hours <= 8h`";
        let ExprKind::Binary { op, lhs, rhs } = &l.constraint.kind else {
            self.diags.push(
                Diagnostic::error(
                    "a limit must compare what is assigned with a bound",
                    l.constraint.span,
                )
                .help(shape_help),
            );
            return None;
        };
        let (used_side, bound_side, strict) = match op {
            BinOp::Le => (lhs, rhs, false),
            BinOp::Lt => (lhs, rhs, true),
            BinOp::Ge => (rhs, lhs, false),
            BinOp::Gt => (rhs, lhs, true),
            _ => {
                self.diags.push(
                    Diagnostic::error("a limit must be `<=` or `<`", l.constraint.span)
                        .help(shape_help),
                );
                return None;
            }
        };
        let word = |e: &Expr| match &e.kind {
            ExprKind::Word { name } if name == "assigned" => Some(LimitMeasure::Tickets),
            ExprKind::Word { name } if name == "assigned_hours" => Some(LimitMeasure::Hours),
            _ => None,
        };
        let (measure, used) = if let Some(m) = word(used_side) {
            (m, None)
        } else if let ExprKind::Binary {
            op: BinOp::Add,
            lhs: a,
            rhs: b,
        } = &used_side.kind
        {
            match (word(a), word(b)) {
                (Some(m), None) => (m, Some(&**b)),
                (None, Some(m)) => (m, Some(&**a)),
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            "the limited side must contain `assigned` or `assigned_hours` once",
                            used_side.span,
                        )
                        .help(shape_help),
                    );
                    return None;
                }
            }
        } else {
            self.diags.push(
                Diagnostic::error("the limited side must be `assigned`, `assigned_hours`, or `<already used> + assigned`", used_side.span)
                    .help(shape_help),
            );
            return None;
        };
        let want = match measure {
            LimitMeasure::Tickets => Ty::Num(Dim::Scalar),
            LimitMeasure::Hours => Ty::Num(Dim::Duration),
        };
        let engineer_only = |c: &mut Self, e: &Expr, what: &str| -> Option<TExpr> {
            let t = c.expr(e, None).ok()?;
            c.want(&t, &want, what).ok()?;
            let allowed = if l.team.is_some() { CONST } else { ENGINEER };
            if t.bind & !allowed != 0 {
                let msg = if l.team.is_some() {
                    format!("a team limit's {what} must be a constant")
                } else {
                    format!("a limit's {what} may only read the engineer")
                };
                c.diags.push(Diagnostic::error(msg, e.span));
                return None;
            }
            Some(t)
        };
        let used = match used {
            Some(u) => Some(engineer_only(self, u, "used part")?),
            None => None,
        };
        let bound = engineer_only(self, bound_side, "bound")?;
        if l.team.is_some() && used.is_some() {
            self.diags.push(Diagnostic::error(
                "a team limit counts only what is assigned in this run",
                used_side.span,
            ));
            return None;
        }
        Some(TLimit {
            name: l.name.text.clone(),
            team: l.team.as_ref().map(|t| t.text.clone()),
            measure,
            used,
            bound,
            strict,
        })
    }

    fn expr(&mut self, e: &Expr, expect: Option<&Ty>) -> R {
        let mut t = self.expr_inner(e, expect)?;
        if t.ty.is_opt() && self.known.contains(&print_expr(e)) {
            t.ty = t.ty.strip().clone();
        }
        Ok(t)
    }

    fn expr_inner(&mut self, e: &Expr, expect: Option<&Ty>) -> R {
        let span = e.span;
        match &e.kind {
            ExprKind::Number(q) => {
                let (dim, f) = q.unit.map_or((Dim::Scalar, 1.0), unit_info);
                let v = q.value * f;
                Ok(texpr(
                    TK::Const(Value::Num(v)),
                    Ty::Num(dim),
                    CONST,
                    (v, v),
                    span,
                ))
            }
            ExprKind::Str { value } => Ok(texpr(
                TK::Const(Value::Str(Arc::from(value.as_str()))),
                Ty::Str,
                CONST,
                ALL,
                span,
            )),
            ExprKind::Bool { value } => {
                let v = f64::from(u8::from(*value));
                Ok(texpr(
                    TK::Const(Value::Bool(*value)),
                    Ty::Bool,
                    CONST,
                    (v, v),
                    span,
                ))
            }
            ExprKind::Word { name } => self.word(name, span, expect),
            ExprKind::Field { .. } => self.field(e),
            ExprKind::Call {
                receiver,
                name,
                args,
            } => self.call(receiver.as_deref(), name, args, span),
            ExprKind::Unary { op, operand } => {
                let a = self.expr(operand, None)?;
                match op {
                    UnOp::Not => {
                        self.want(&a, &Ty::Bool, "the operand of `!`")?;
                        let r = (1.0 - a.range.1, 1.0 - a.range.0);
                        Ok(texpr(
                            TK::Not(Box::new(a.clone())),
                            Ty::Bool,
                            a.bind,
                            r,
                            span,
                        ))
                    }
                    UnOp::Neg => {
                        self.present(&a)?;
                        if !matches!(a.ty, Ty::Num(_)) {
                            let msg = format!("cannot negate a {}", self.schema.describe(&a.ty));
                            return err(self, Diagnostic::error(msg, span));
                        }
                        let r = (-a.range.1, -a.range.0);
                        Ok(texpr(
                            TK::Neg(Box::new(a.clone())),
                            a.ty.clone(),
                            a.bind,
                            r,
                            span,
                        ))
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::Scale { value, from, to } => {
                let v = self.expr(value, None)?;
                let f = self.expr(from, None)?;
                let t = self.expr(to, None)?;
                for x in [&v, &f, &t] {
                    self.present(x)?;
                }
                let numeric = |ty: &Ty| matches!(ty, Ty::Num(_) | Ty::Time);
                if !numeric(&v.ty) || v.ty != f.ty || v.ty != t.ty {
                    let msg = format!(
                        "`scale` needs three numbers of one unit, found {}, {} and {}",
                        self.schema.describe(&v.ty),
                        self.schema.describe(&f.ty),
                        self.schema.describe(&t.ty)
                    );
                    return err(self, Diagnostic::error(msg, span));
                }
                if f.bind == CONST && t.bind == CONST && f.range.0 == t.range.0 {
                    return err(
                        self,
                        Diagnostic::error("`scale` needs `from` and `to` to differ", span),
                    );
                }
                let bind = v.bind | f.bind | t.bind;
                Ok(texpr(
                    TK::Scale(Box::new(v), Box::new(f), Box::new(t)),
                    Ty::Num(Dim::Scalar),
                    bind,
                    (0.0, 1.0),
                    span,
                ))
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.bool_expr(cond, "the condition of `if`")?;
                let a = self.with_facts(Some(cond), true, |s| s.expr(then, expect))?;
                let b = self.with_facts(Some(cond), false, |s| s.expr(otherwise, Some(&a.ty)))?;
                let ty = self.unify(&a, &b, span)?;
                let range = match c.range {
                    (1.0, 1.0) => a.range,
                    (0.0, 0.0) => b.range,
                    _ => hull(a.range, b.range),
                };
                let bind = c.bind | a.bind | b.bind;
                Ok(texpr(
                    TK::If(Box::new(c), Box::new(a), Box::new(b)),
                    ty,
                    bind,
                    range,
                    span,
                ))
            }
            ExprKind::Match { subject, arms } => self.match_expr(subject, arms, span, expect),
        }
    }

    fn unify(&mut self, a: &TExpr, b: &TExpr, span: Span) -> Result<Ty, ()> {
        if a.ty == b.ty {
            return Ok(a.ty.clone());
        }
        if a.ty.strip() == b.ty.strip() {
            return Ok(a.ty.strip().clone().opt());
        }
        let msg = format!(
            "the branches differ: {} and {}",
            self.schema.describe(&a.ty),
            self.schema.describe(&b.ty)
        );
        err(self, Diagnostic::error(msg, span))
    }

    fn word(&mut self, name: &str, span: Span, expect: Option<&Ty>) -> R {
        match name {
            "travel" | "travel_time" | "assigned" | "assigned_hours" => {
                if self.ctx == Ctx::Derive {
                    return err(
                        self,
                        Diagnostic::error(
                            format!("derive cannot read `{name}`: it depends on the engineer"),
                            span,
                        )
                        .help("derive runs once per ticket, before any engineer is known"),
                    );
                }
                if name.starts_with("assigned") {
                    if self.ctx != Ctx::Limit {
                        return err(
                            self,
                            Diagnostic::error(
                                format!("`{name}` exists only in `limit` rules"),
                                span,
                            ),
                        );
                    }
                    let ty = if name == "assigned" {
                        Ty::Num(Dim::Scalar)
                    } else {
                        Ty::Num(Dim::Duration)
                    };
                    let kind = if name == "assigned" {
                        TK::Assigned
                    } else {
                        TK::AssignedHours
                    };
                    return Ok(texpr(kind, ty, ENGINEER, (0.0, f64::INFINITY), span));
                }
                if name == "travel" {
                    Ok(texpr(
                        TK::Travel,
                        Ty::Num(Dim::Length),
                        PAIR,
                        (0.0, self.travel_max),
                        span,
                    ))
                } else {
                    let hi = super::interp::travel_minutes(self.travel_max, self.speed);
                    Ok(texpr(
                        TK::TravelTime,
                        Ty::Num(Dim::Duration),
                        PAIR,
                        (0.0, hi),
                        span,
                    ))
                }
            }
            "ticket" | "engineer" => err(
                self,
                Diagnostic::error(format!("`{name}` is not a value"), span)
                    .help(format!("read one of its fields, like `{name}.id`")),
            ),
            _ => {
                let enum_ty = expect.map(Ty::strip).and_then(|t| match t {
                    Ty::Enum(i) => Some(*i),
                    _ => None,
                });
                if let Some(i) = enum_ty {
                    if let Some(k) = self.schema.enums[i].variants.iter().position(|v| v == name) {
                        let v = k as f64;
                        return Ok(texpr(
                            TK::Const(Value::Num(v)),
                            Ty::Enum(i),
                            CONST,
                            (v, v),
                            span,
                        ));
                    }
                    let info = &self.schema.enums[i];
                    let mut d = Diagnostic::error(
                        format!("`{name}` is not a variant of {}", info.name),
                        span,
                    )
                    .label(format!("expected one of: {}", info.variants.join(", ")));
                    if let Some(s) = suggest(name, info.variants.iter().map(String::as_str)) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    return err(self, d);
                }
                // A variant of exactly one enum may stand alone (priorities, tiers).
                let owners: Vec<usize> = (0..self.schema.enums.len())
                    .filter(|&i| self.schema.enums[i].variants.iter().any(|v| v == name))
                    .collect();
                if let [i] = owners[..] {
                    let k = self.schema.enums[i]
                        .variants
                        .iter()
                        .position(|v| v == name)
                        .unwrap_or(0) as f64;
                    return Ok(texpr(
                        TK::Const(Value::Num(k)),
                        Ty::Enum(i),
                        CONST,
                        (k, k),
                        span,
                    ));
                }
                let mut candidates: Vec<&str> = BUILTIN_WORDS.to_vec();
                for en in &self.schema.enums {
                    candidates.extend(en.variants.iter().map(String::as_str));
                }
                let mut d = Diagnostic::error(format!("unknown name `{name}`"), span);
                if let Some(s) = suggest(name, candidates) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else if owners.len() > 1 {
                    d = d.help("this variant belongs to several enums: compare it with a field");
                } else if expect.is_none_or(|t| *t.strip() == Ty::Str) {
                    d = d.help(format!("strings are quoted: \"{name}\""));
                }
                err(self, d)
            }
        }
    }

    fn field(&mut self, e: &Expr) -> R {
        let mut path = Vec::new();
        let mut cur = e;
        while let ExprKind::Field { base, name } = &cur.kind {
            path.push(name);
            cur = base;
        }
        path.reverse();
        let ExprKind::Word { name: root } = &cur.kind else {
            return err(
                self,
                Diagnostic::error("fields are read from `ticket` or `engineer`", e.span),
            );
        };
        let subject = match root.as_str() {
            "ticket" => Subject::Ticket,
            "engineer" => Subject::Engineer,
            other => {
                let mut d = Diagnostic::error(format!("unknown name `{other}`"), cur.span);
                if let Some(s) = suggest(other, ["ticket", "engineer"]) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                return err(self, d);
            }
        };
        if subject == Subject::Engineer && self.ctx == Ctx::Derive {
            return err(
                self,
                Diagnostic::error("derive reads the engineer", e.span)
                    .help("derive runs once per ticket, before any engineer is known; use `require` or `prefer`"),
            );
        }
        let field: Vec<&str> = path.iter().map(|n| n.text.as_str()).collect();
        let field = field.join(".");
        let Some(slot) = self.schema.field(subject, &field) else {
            let names: Vec<&str> = self
                .schema
                .fields(subject)
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            let span = path[0].span.to(path[path.len() - 1].span);
            let mut d = Diagnostic::error(
                format!("unknown field `{}.{field}`", subject.as_str()),
                span,
            )
            .label(format!("not a {} field", subject.as_str()));
            if let Some(s) = suggest(&field, names) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help(format!(
                    "declare it: `field {}.{field}: <type>`",
                    subject.as_str()
                ));
            }
            return err(self, d);
        };
        let info = &self.schema.fields(subject)[slot];
        let bind = match subject {
            Subject::Ticket => TICKET,
            Subject::Engineer => ENGINEER,
        };
        Ok(texpr(
            TK::Field(subject, slot),
            info.ty.clone(),
            bind,
            info.range,
            e.span,
        ))
    }

    fn call(&mut self, receiver: Option<&Expr>, name: &Name, args: &[Expr], span: Span) -> R {
        let arity = |c: &mut Self, n: usize| -> Result<(), ()> {
            if args.len() == n {
                Ok(())
            } else {
                err(
                    c,
                    Diagnostic::error(
                        format!(
                            "`{}` takes {n} argument{}, found {}",
                            name.text,
                            if n == 1 { "" } else { "s" },
                            args.len()
                        ),
                        span,
                    ),
                )
            }
        };
        if let Some(recv) = receiver {
            let subject = match &recv.kind {
                ExprKind::Word { name } if name == "engineer" => Subject::Engineer,
                ExprKind::Word { name } if name == "ticket" => Subject::Ticket,
                _ => {
                    return err(
                        self,
                        Diagnostic::error(
                            "methods are called on `ticket` or `engineer`",
                            recv.span,
                        ),
                    );
                }
            };
            if subject == Subject::Engineer && self.ctx == Ctx::Derive {
                return err(
                    self,
                    Diagnostic::error("derive reads the engineer", span)
                        .help("derive runs once per ticket, before any engineer is known"),
                );
            }
            let bind = if subject == Subject::Ticket {
                TICKET
            } else {
                ENGINEER
            };
            return match (subject, name.text.as_str()) {
                (Subject::Engineer, "skill") => {
                    arity(self, 1)?;
                    let k = self.expr(&args[0], None)?;
                    self.want(&k, &Ty::Str, "a skill name")?;
                    let b = k.bind | ENGINEER;
                    Ok(texpr(
                        TK::Skill(Box::new(k)),
                        Ty::Num(Dim::Scalar),
                        b,
                        (0.0, 5.0),
                        span,
                    ))
                }
                (Subject::Engineer, "on_shift") => {
                    arity(self, 1)?;
                    let t = self.expr(&args[0], None)?;
                    self.want(&t, &Ty::Time, "the time")?;
                    let b = t.bind | ENGINEER;
                    Ok(texpr(TK::OnShift(Box::new(t)), Ty::Bool, b, BOOL, span))
                }
                (_, "in_region") => {
                    arity(self, 1)?;
                    let ExprKind::Str { value } = &args[0].kind else {
                        return err(
                            self,
                            Diagnostic::error(
                                "`in_region` takes a region's name in quotes",
                                args[0].span,
                            ),
                        );
                    };
                    let Some(i) = self.regions.iter().position(|(n, _)| **n == **value) else {
                        let mut d =
                            Diagnostic::error(format!("no region named \"{value}\""), args[0].span);
                        if let Some(s) = suggest(value, self.regions.iter().map(|(n, _)| &**n)) {
                            d = d.help(format!("did you mean \"{s}\"?"));
                        } else {
                            d = d.help("declare it: `region \"name\": polygon [(lat, lon), ...]`");
                        }
                        return err(self, d);
                    };
                    Ok(texpr(TK::InRegion(subject, i), Ty::Bool, bind, BOOL, span))
                }
                _ => {
                    let methods: &[&str] = if subject == Subject::Engineer {
                        &["skill", "on_shift", "in_region"]
                    } else {
                        &["in_region"]
                    };
                    let mut d = Diagnostic::error(
                        format!("`{}` has no method `{}`", subject.as_str(), name.text),
                        name.span,
                    );
                    if let Some(s) = suggest(&name.text, methods.iter().copied()) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    err(self, d)
                }
            };
        }
        match name.text.as_str() {
            "now" => {
                arity(self, 0)?;
                Ok(texpr(TK::Now, Ty::Time, TICKET, ALL, span))
            }
            "exists" => {
                arity(self, 1)?;
                let a = self.expr(&args[0], None)?;
                if !a.ty.is_opt() {
                    self.diags.push(Diagnostic::warning(
                        "this value is never missing: `exists` is always true",
                        args[0].span,
                    ));
                }
                let b = a.bind;
                Ok(texpr(TK::Exists(Box::new(a)), Ty::Bool, b, BOOL, span))
            }
            "min" | "max" => {
                arity(self, 2)?;
                let a = self.expr(&args[0], None)?;
                let b = self.expr(&args[1], Some(&a.ty))?;
                self.present(&a)?;
                self.present(&b)?;
                if a.ty != b.ty || !matches!(a.ty, Ty::Num(_) | Ty::Time) {
                    let msg = format!(
                        "`{}` needs two numbers of one unit, found {} and {}",
                        name.text,
                        self.schema.describe(&a.ty),
                        self.schema.describe(&b.ty)
                    );
                    return err(self, Diagnostic::error(msg, span));
                }
                let (op, range) = if name.text == "min" {
                    (
                        Op::Min,
                        (a.range.0.min(b.range.0), a.range.1.min(b.range.1)),
                    )
                } else {
                    (
                        Op::Max,
                        (a.range.0.max(b.range.0), a.range.1.max(b.range.1)),
                    )
                };
                let (ty, bind) = (a.ty.clone(), a.bind | b.bind);
                Ok(texpr(
                    TK::Bin(op, Box::new(a), Box::new(b)),
                    ty,
                    bind,
                    range,
                    span,
                ))
            }
            "abs" => {
                arity(self, 1)?;
                let a = self.expr(&args[0], None)?;
                self.present(&a)?;
                if !matches!(a.ty, Ty::Num(_)) {
                    let msg = format!(
                        "`abs` needs a number, found {}",
                        self.schema.describe(&a.ty)
                    );
                    return err(self, Diagnostic::error(msg, span));
                }
                let (lo, hi) = a.range;
                let range = if lo >= 0.0 {
                    (lo, hi)
                } else if hi <= 0.0 {
                    (-hi, -lo)
                } else {
                    (0.0, hi.max(-lo))
                };
                let (ty, bind) = (a.ty.clone(), a.bind);
                Ok(texpr(TK::Abs(Box::new(a)), ty, bind, range, span))
            }
            other => {
                let mut d = Diagnostic::error(format!("unknown function `{other}`"), name.span);
                if let Some(s) = suggest(other, FUNCTIONS) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else if other == "skill" || other == "on_shift" {
                    d = d.help(format!("it is a method: `engineer.{other}(..)`"));
                }
                err(self, d)
            }
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) -> R {
        // A bare enum word takes its type from the other side.
        let bare = |e: &Expr| matches!(&e.kind, ExprKind::Word { name } if !BUILTIN_WORDS.contains(&name.as_str()));
        let (a, b) = if op == BinOp::Coalesce {
            let a = self.expr(lhs, None)?;
            let b = self.expr(rhs, Some(&a.ty))?;
            (a, b)
        } else if op == BinOp::And {
            let a = self.expr(lhs, None)?;
            let b = self.with_facts(Some(lhs), true, |c| c.expr(rhs, None))?;
            (a, b)
        } else if op == BinOp::Or {
            let a = self.expr(lhs, None)?;
            let b = self.with_facts(Some(lhs), false, |c| c.expr(rhs, None))?;
            (a, b)
        } else if bare(lhs) && !bare(rhs) {
            let b = self.expr(rhs, None)?;
            let a = self.expr(lhs, Some(&b.ty))?;
            (a, b)
        } else {
            let a = self.expr(lhs, None)?;
            let b = self.expr(rhs, Some(&a.ty))?;
            (a, b)
        };
        let bind = a.bind | b.bind;
        let mk = |k: Op, ty: Ty, range: (f64, f64), a: TExpr, b: TExpr| {
            texpr(TK::Bin(k, Box::new(a), Box::new(b)), ty, bind, range, span)
        };
        match op {
            BinOp::And | BinOp::Or => {
                self.want(
                    &a,
                    &Ty::Bool,
                    &format!("the left side of `{}`", op.as_str()),
                )?;
                self.want(
                    &b,
                    &Ty::Bool,
                    &format!("the right side of `{}`", op.as_str()),
                )?;
                let range = if op == BinOp::And {
                    (a.range.0.min(b.range.0), a.range.1.min(b.range.1))
                } else {
                    (a.range.0.max(b.range.0), a.range.1.max(b.range.1))
                };
                let k = if op == BinOp::And { Op::And } else { Op::Or };
                Ok(mk(k, Ty::Bool, range, a, b))
            }
            BinOp::Coalesce => {
                if !a.ty.is_opt() {
                    self.diags.push(Diagnostic::warning(
                        "the left side of `??` is never missing",
                        lhs.span,
                    ));
                }
                if b.ty.is_opt() {
                    self.unguarded(&b)?;
                }
                if a.ty.strip() != &b.ty {
                    let msg = format!(
                        "`??` needs a default of the same type: {} and {}",
                        self.schema.describe(a.ty.strip()),
                        self.schema.describe(&b.ty)
                    );
                    return err(self, Diagnostic::error(msg, span));
                }
                let range = hull(a.range, b.range);
                let ty = b.ty.clone();
                Ok(mk(Op::Coalesce, ty, range, a, b))
            }
            BinOp::In => {
                self.present(&a)?;
                self.present(&b)?;
                if a.ty != Ty::Str || b.ty != Ty::Set {
                    let msg = format!(
                        "`in` tests a string against a set, found {} in {}",
                        self.schema.describe(&a.ty),
                        self.schema.describe(&b.ty)
                    );
                    return err(self, Diagnostic::error(msg, span));
                }
                Ok(mk(Op::In, Ty::Bool, BOOL, a, b))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.present(&a)?;
                self.present(&b)?;
                let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
                if a.ty != b.ty {
                    return err(self, self.mismatch(op, &a, &b, span));
                }
                if ordered && !matches!(a.ty, Ty::Num(_) | Ty::Time | Ty::Enum(_)) {
                    let msg = format!(
                        "`{}` cannot order {} values",
                        op.as_str(),
                        self.schema.describe(&a.ty)
                    );
                    return err(self, Diagnostic::error(msg, span));
                }
                if a.ty == Ty::Set {
                    return err(
                        self,
                        Diagnostic::error(
                            "sets cannot be compared; test membership with `in`",
                            span,
                        ),
                    );
                }
                let (x, y) = (a.range, b.range);
                let numeric = !matches!(a.ty, Ty::Str);
                let (never, always) = match op {
                    BinOp::Lt => (x.0 >= y.1, x.1 < y.0),
                    BinOp::Le => (x.0 > y.1, x.1 <= y.0),
                    BinOp::Gt => (x.1 <= y.0, x.0 > y.1),
                    BinOp::Ge => (x.1 < y.0, x.0 >= y.1),
                    BinOp::Eq => (
                        x.1 < y.0 || y.1 < x.0,
                        x.0 == x.1 && y.0 == y.1 && x.0 == y.0,
                    ),
                    _ => (
                        x.0 == x.1 && y.0 == y.1 && x.0 == y.0,
                        x.1 < y.0 || y.1 < x.0,
                    ),
                };
                let range = if !numeric {
                    BOOL
                } else if never {
                    (0.0, 0.0)
                } else if always {
                    (1.0, 1.0)
                } else {
                    BOOL
                };
                let k = match op {
                    BinOp::Eq => Op::Eq,
                    BinOp::Ne => Op::Ne,
                    BinOp::Lt => Op::Lt,
                    BinOp::Le => Op::Le,
                    BinOp::Gt => Op::Gt,
                    _ => Op::Ge,
                };
                Ok(mk(k, Ty::Bool, range, a, b))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                self.present(&a)?;
                self.present(&b)?;
                let dim = |t: &Ty| match t {
                    Ty::Num(d) => Some(*d),
                    _ => None,
                };
                let (da, db) = (dim(&a.ty), dim(&b.ty));
                let ty = match op {
                    BinOp::Add | BinOp::Sub => match (&a.ty, &b.ty) {
                        (Ty::Num(x), Ty::Num(y)) if x == y => Some(a.ty.clone()),
                        (Ty::Time, Ty::Num(Dim::Duration)) => Some(Ty::Time),
                        (Ty::Num(Dim::Duration), Ty::Time) if op == BinOp::Add => Some(Ty::Time),
                        (Ty::Time, Ty::Time) if op == BinOp::Sub => Some(Ty::Num(Dim::Duration)),
                        _ => None,
                    },
                    BinOp::Mul => match (da, db) {
                        (Some(Dim::Scalar), Some(_)) => Some(b.ty.clone()),
                        (Some(_), Some(Dim::Scalar)) => Some(a.ty.clone()),
                        _ => None,
                    },
                    _ => match (da, db) {
                        (Some(x), Some(Dim::Scalar)) => Some(Ty::Num(x)),
                        (Some(x), Some(y)) if x == y => Some(Ty::Num(Dim::Scalar)),
                        _ => None,
                    },
                };
                let Some(ty) = ty else {
                    return err(self, self.mismatch(op, &a, &b, span));
                };
                let (x, y) = (a.range, b.range);
                let range = match op {
                    BinOp::Add => (x.0 + y.0, x.1 + y.1),
                    BinOp::Sub => (x.0 - y.1, x.1 - y.0),
                    BinOp::Mul => mul_range(x, y),
                    _ => {
                        if y.0 > 0.0 || y.1 < 0.0 {
                            let inv = (1.0 / y.1, 1.0 / y.0);
                            hull(mul_range(x, inv), (0.0, 0.0))
                        } else {
                            ALL
                        }
                    }
                };
                let range = (
                    if range.0.is_nan() {
                        f64::NEG_INFINITY
                    } else {
                        range.0
                    },
                    if range.1.is_nan() {
                        f64::INFINITY
                    } else {
                        range.1
                    },
                );
                let k = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    _ => Op::Div,
                };
                Ok(mk(k, ty, range, a, b))
            }
        }
    }

    fn mismatch(&self, op: BinOp, a: &TExpr, b: &TExpr, span: Span) -> Diagnostic {
        let (da, db) = (self.schema.describe(&a.ty), self.schema.describe(&b.ty));
        let mut d = Diagnostic::error(format!("`{}` between {da} and {db}", op.as_str()), span)
            .label("types or units differ");
        let unitless = |t: &TExpr| matches!(t.kind, TK::Const(_)) && t.ty == Ty::Num(Dim::Scalar);
        let hint = |t: &Ty| match t {
            Ty::Num(Dim::Length) => Some("km"),
            Ty::Num(Dim::Duration) => Some("min"),
            Ty::Num(Dim::Speed) => Some("km/h"),
            _ => None,
        };
        if unitless(b) {
            if let Some(u) = hint(&a.ty) {
                d = d.help(format!(
                    "give the number a unit, like `{}{u}`",
                    fmt_num(b.range.0)
                ));
            }
        } else if unitless(a) {
            if let Some(u) = hint(&b.ty) {
                d = d.help(format!(
                    "give the number a unit, like `{}{u}`",
                    fmt_num(a.range.0)
                ));
            }
        }
        d
    }

    fn match_expr(&mut self, subject: &Expr, arms: &[Arm], span: Span, expect: Option<&Ty>) -> R {
        let s = self.expr(subject, None)?;
        self.present(&s)?;
        if arms.is_empty() {
            return err(
                self,
                Diagnostic::error("`match` needs at least one arm", span),
            );
        }
        // Each arm: condition on the subject, value.
        let mut conds: Vec<Option<TExpr>> = Vec::new();
        let mut values: Vec<TExpr> = Vec::new();
        let mut seen: Vec<(f64, f64, Span)> = Vec::new(); // covered numeric intervals
        let mut seen_str: Vec<(String, Span)> = Vec::new();
        let mut wildcard: Option<Span> = None;
        let mut result_ty: Option<Ty> = expect.cloned();
        for arm in arms {
            if let Some(w) = wildcard {
                let (line, _) = (w.start, 0);
                let _ = line;
                self.diags.push(
                    Diagnostic::error(
                        "unreachable arm: `_` above already matches everything",
                        arm.span,
                    )
                    .help("move `_` to the end"),
                );
                return Err(());
            }
            let cond = match &arm.pattern {
                Pattern::Wildcard => {
                    wildcard = Some(arm.span);
                    None
                }
                Pattern::Values(vs) => {
                    let mut c: Option<TExpr> = None;
                    for v in vs {
                        let t = self.expr(v, Some(&s.ty))?;
                        if t.bind != CONST {
                            return err(
                                self,
                                Diagnostic::error("a pattern must be a constant", v.span),
                            );
                        }
                        if t.ty != s.ty {
                            let msg = format!(
                                "pattern is {}, but the subject is {}",
                                self.schema.describe(&t.ty),
                                self.schema.describe(&s.ty)
                            );
                            return err(self, Diagnostic::error(msg, v.span));
                        }
                        match &t.kind {
                            TK::Const(Value::Str(x)) => {
                                if let Some((_, _)) = seen_str.iter().find(|(y, _)| **y == **x) {
                                    return err(
                                        self,
                                        Diagnostic::error(
                                            format!(
                                                "unreachable pattern: \"{x}\" is matched by an earlier arm"
                                            ),
                                            v.span,
                                        ),
                                    );
                                }
                                seen_str.push((x.to_string(), v.span));
                            }
                            TK::Const(Value::Bool(b)) => {
                                let x = f64::from(u8::from(*b));
                                if seen.iter().any(|(lo, hi, _)| *lo <= x && x <= *hi) {
                                    return err(
                                        self,
                                        Diagnostic::error(
                                            "unreachable pattern: matched by an earlier arm",
                                            v.span,
                                        ),
                                    );
                                }
                                seen.push((x, x, v.span));
                            }
                            TK::Const(Value::Num(x)) => {
                                if seen.iter().any(|(lo, hi, _)| lo <= x && x <= hi) {
                                    return err(
                                        self,
                                        Diagnostic::error(
                                            "unreachable pattern: matched by an earlier arm",
                                            v.span,
                                        ),
                                    );
                                }
                                seen.push((*x, *x, v.span));
                            }
                            _ => {}
                        }
                        let eq = texpr(
                            TK::Bin(Op::Eq, Box::new(s.clone()), Box::new(t)),
                            Ty::Bool,
                            s.bind,
                            BOOL,
                            v.span,
                        );
                        c = Some(match c {
                            None => eq,
                            Some(prev) => texpr(
                                TK::Bin(Op::Or, Box::new(prev), Box::new(eq)),
                                Ty::Bool,
                                s.bind,
                                BOOL,
                                v.span,
                            ),
                        });
                    }
                    c
                }
                Pattern::Range(lo, hi) => {
                    let l = self.expr(lo, Some(&s.ty))?;
                    let h = self.expr(hi, Some(&s.ty))?;
                    if l.bind != CONST
                        || h.bind != CONST
                        || l.ty != s.ty
                        || h.ty != s.ty
                        || !matches!(s.ty, Ty::Num(_) | Ty::Enum(_))
                    {
                        return err(
                            self,
                            Diagnostic::error(
                                "a range pattern needs two constant numbers of the subject's type",
                                arm.span,
                            ),
                        );
                    }
                    let (a, b) = (l.range.0, h.range.0);
                    if a > b {
                        return err(
                            self,
                            Diagnostic::error(
                                "empty range: the low end is above the high end",
                                arm.span,
                            ),
                        );
                    }
                    if let Some((x, y, _)) = seen.iter().find(|(x, y, _)| *x <= b && a <= *y) {
                        let msg = if *x <= a && b <= *y {
                            "unreachable arm: its range is matched by an earlier arm".to_string()
                        } else {
                            format!(
                                "overlapping arms: {}..{} overlaps an earlier arm ({}..{})",
                                fmt_num(a),
                                fmt_num(b),
                                fmt_num(*x),
                                fmt_num(*y)
                            )
                        };
                        return err(
                            self,
                            Diagnostic::error(msg, arm.span)
                                .help("first match wins: make the arms disjoint"),
                        );
                    }
                    seen.push((a, b, arm.span));
                    let ge = texpr(
                        TK::Bin(Op::Ge, Box::new(s.clone()), Box::new(l)),
                        Ty::Bool,
                        s.bind,
                        BOOL,
                        arm.span,
                    );
                    let le = texpr(
                        TK::Bin(Op::Le, Box::new(s.clone()), Box::new(h)),
                        Ty::Bool,
                        s.bind,
                        BOOL,
                        arm.span,
                    );
                    Some(texpr(
                        TK::Bin(Op::And, Box::new(ge), Box::new(le)),
                        Ty::Bool,
                        s.bind,
                        BOOL,
                        arm.span,
                    ))
                }
            };
            let v = self.expr(&arm.value, result_ty.as_ref())?;
            if let Some(t) = &result_ty {
                if expect.is_none() && v.ty.strip() != t.strip() {
                    let msg = format!(
                        "arms differ: {} and {}",
                        self.schema.describe(t),
                        self.schema.describe(&v.ty)
                    );
                    return err(self, Diagnostic::error(msg, arm.value.span));
                }
            }
            if result_ty.is_none() || v.ty.is_opt() {
                result_ty = Some(v.ty.clone());
            }
            conds.push(cond);
            values.push(v);
        }
        // Exhaustive?
        let covered_all = match &s.ty {
            Ty::Enum(i) => {
                let n = self.schema.enums[*i].variants.len();
                (0..n).all(|k| {
                    seen.iter()
                        .any(|(lo, hi, _)| *lo <= k as f64 && k as f64 <= *hi)
                })
            }
            Ty::Bool => {
                seen.iter().any(|s| s.0 <= 0.0 && 0.0 <= s.1)
                    && seen.iter().any(|s| s.0 <= 1.0 && 1.0 <= s.1)
            }
            _ => false,
        };
        if let (true, Some(w)) = (covered_all, wildcard) {
            return err(
                self,
                Diagnostic::error("unreachable arm: the arms above cover every value", w),
            );
        }
        if !covered_all && wildcard.is_none() {
            return err(
                self,
                Diagnostic::error("`match` does not cover every value", span)
                    .help("add a last arm `_ => ...`"),
            );
        }
        let ty = result_ty.unwrap_or(Ty::Bool);
        // Lower to nested `if`: the last arm is the default.
        let mut out = values.pop().ok_or(())?;
        conds.pop();
        while let (Some(c), Some(v)) = (conds.pop(), values.pop()) {
            let c = c.ok_or(())?;
            let bind = c.bind | v.bind | out.bind;
            let range = hull(v.range, out.range);
            out = texpr(
                TK::If(Box::new(c), Box::new(v), Box::new(out)),
                ty.clone(),
                bind,
                range,
                span,
            );
        }
        out.ty = ty;
        out.span = span;
        Ok(out)
    }
}

fn path_text(p: &[Name]) -> String {
    p.iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

fn first_engineer_read(t: &TExpr) -> Option<Span> {
    if t.bind & ENGINEER == 0 {
        return None;
    }
    let kids: Vec<&TExpr> = match &t.kind {
        TK::Skill(a) | TK::OnShift(a) | TK::Exists(a) | TK::Not(a) | TK::Neg(a) | TK::Abs(a) => {
            vec![a]
        }
        TK::Bin(_, a, b) => vec![a, b],
        TK::Scale(a, b, c) | TK::If(a, b, c) => vec![a, b, c],
        _ => vec![],
    };
    kids.into_iter()
        .find_map(first_engineer_read)
        .or(Some(t.span))
}

/// Why a condition is always false, from the ranges of its sides.
fn impossible_reason(t: &TExpr, schema: &Schema) -> String {
    let _ = schema;
    match &t.kind {
        TK::Bin(Op::And, a, b) => {
            if a.range == (0.0, 0.0) {
                impossible_reason(a, schema)
            } else {
                impossible_reason(b, schema)
            }
        }
        TK::Bin(_, a, b) => format!(
            "the left side ranges over [{}, {}], the right side over [{}, {}]",
            fmt_num(a.range.0),
            fmt_num(a.range.1),
            fmt_num(b.range.0),
            fmt_num(b.range.1)
        ),
        _ => "always false".into(),
    }
}

/// An atom of a guard: `(subject text, operator, constant text)`.
type Atom = (String, BinOp, String);

/// Whether two guards (given by their [`atoms`]) can never both hold: some atom of one contradicts
/// an atom of the other.
fn disjoint(a: Option<&[Atom]>, b: Option<&[Atom]>) -> bool {
    let (Some(xs), Some(ys)) = (a, b) else {
        return false;
    };
    xs.iter().any(|x| ys.iter().any(|y| contradict(x, y)))
}

/// `(subject text, operator, constant text)` atoms of a conjunction; `!x` is `x == false`.
fn atoms(e: &Expr, positive: bool, out: &mut Vec<Atom>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } if positive => {
            atoms(lhs, true, out);
            atoms(rhs, true, out);
        }
        ExprKind::Unary {
            op: UnOp::Not,
            operand,
        } => atoms(operand, !positive, out),
        ExprKind::Binary { op, lhs, rhs } if matches!(op, BinOp::Eq | BinOp::Ne) => {
            let is_const = |e: &Expr| {
                matches!(
                    e.kind,
                    ExprKind::Number(_)
                        | ExprKind::Str { .. }
                        | ExprKind::Bool { .. }
                        | ExprKind::Word { .. }
                )
            };
            let (subject, k) = if is_const(rhs) {
                (lhs, rhs)
            } else if is_const(lhs) {
                (rhs, lhs)
            } else {
                return;
            };
            let eq = (*op == BinOp::Eq) == positive;
            out.push((
                print_expr(subject),
                if eq { BinOp::Eq } else { BinOp::Ne },
                print_expr(k),
            ));
        }
        _ => {
            out.push((
                print_expr(e),
                BinOp::Eq,
                if positive { "true" } else { "false" }.into(),
            ));
        }
    }
}

fn contradict(x: &Atom, y: &Atom) -> bool {
    if x.0 != y.0 {
        return false;
    }
    match (x.1, y.1) {
        (BinOp::Eq, BinOp::Eq) => x.2 != y.2,
        (BinOp::Eq, BinOp::Ne) | (BinOp::Ne, BinOp::Eq) => x.2 == y.2,
        _ => false,
    }
}
