//! The fast path: every sub-expression is classified by what it depends on. Constant and
//! ticket-only parts become per-ticket scalars (computed once per ticket), engineer-only parts
//! become columns (computed once per engineer), and only true pair work is compiled into a flat
//! program that runs over the columns of a ticket's candidate engineers, a chunk of lanes at a time.
//! A rule that reads the ticket only through per-ticket scalars is computed for the whole fleet
//! once per distinct value of those scalars that keeps coming back ([`SepCache`]), and read per
//! lane.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use super::ast::Subject;
use super::check::{Checked, ENGINEER, Op, PAIR, TExpr, TK};
use super::interp::{self, EngView, Env, div, grade, travel_minutes};
use super::schema::Ty;
use super::value::Value;

/// Lanes evaluated together (keeps the registers in cache).
pub(crate) const CHUNK: usize = 1024;

/// An operand: a lane register or a per-ticket scalar.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Src {
    Lane(u16),
    Scalar(u16),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Un {
    Not,
    Neg,
    Abs,
    Exists,
}

#[derive(Debug, Clone)]
pub(crate) enum Instr {
    Gather {
        col: u16,
        out: u16,
    },
    Un {
        op: Un,
        a: Src,
        out: u16,
    },
    Bin {
        op: Op,
        a: Src,
        b: Src,
        out: u16,
    },
    Scale {
        v: Src,
        f: Src,
        t: Src,
        out: u16,
    },
    Select {
        c: Src,
        a: Src,
        b: Src,
        out: u16,
    },
    Skill {
        key: u16,
        out: u16,
    },
    /// `travel_time` in minutes, computed once per lane set (like a gathered column).
    TravelMinutes {
        out: u16,
    },
    OnShift {
        t: Src,
        start: Src,
        end: Src,
        out: u16,
    },
    InTicketSet {
        a: Src,
        set: u16,
        out: u16,
    },
    InEngineerSet {
        a: Src,
        set: u16,
        out: u16,
    },
    Interp {
        expr: u16,
        out: u16,
    },
    Check {
        rule: u16,
        pass: Src,
    },
    Accumulate {
        factor: f64,
        value: Src,
        guard: Option<Src>,
    },
}

/// What a per-ticket scalar is.
#[derive(Debug, Clone)]
pub(crate) enum ScalarKind {
    /// A value (encoded as a number).
    Value(TExpr),
    /// A skill name, resolved to the fleet's skill column.
    Skill(TExpr),
}

/// The compiled pair program and the work it needs done per ticket and per engineer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    pub instrs: Vec<Instr>,
    /// One segment per require, in order; each ends with its `Check`.
    pub requires: Vec<Segment>,
    /// One segment per score; each ends with its `Accumulate`.
    pub scores: Vec<Segment>,
    pub registers: usize,
    pub scalars: Vec<ScalarKind>,
    pub columns: Vec<TExpr>,
    pub ticket_sets: Vec<TExpr>,
    pub engineer_sets: Vec<TExpr>,
    pub fallbacks: Vec<TExpr>,
    /// The per-ticket scalars each separable segment reads (see [`Segment::sep`]).
    pub sep_keys: Vec<Vec<u16>>,
}

/// The instructions of one rule, `instrs[start..end]`, skipped for a ticket whose ticket-only
/// guard (a scalar) is false.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub start: usize,
    pub end: usize,
    pub guard: Option<u16>,
    /// When the rule reads the ticket only through per-ticket scalars (no travel, no ticket set,
    /// nothing left to the interpreter): the index in [`Program::sep_keys`] of the scalars it
    /// reads. Its outcome for every engineer is then a function of those scalars alone, and is
    /// computed once for the whole fleet per distinct value of them ([`SepCache`]).
    pub sep: Option<u16>,
}

/// No require has failed this lane.
const NO_FAILURE: f64 = 65_535.0;

/// Register 0 holds each lane's travel distance.
const TRAVEL: u16 = 0;

struct Builder {
    p: Program,
    column_keys: FxHashMap<String, u16>,
    scalar_keys: FxHashMap<String, u16>,
    /// Slots of `engineer.shift_start` and `engineer.shift_end`.
    shift_slots: (usize, usize),
    /// The register of each gathered column `(0, col)`, skill `(1, scalar)` and of `travel_time`
    /// `(2, 0)`.
    gathered: FxHashMap<(u8, u16), u16>,
}

impl Builder {
    fn reg(&mut self) -> u16 {
        self.p.registers += 1;
        (self.p.registers - 1) as u16
    }

    fn scalar(&mut self, k: ScalarKind) -> u16 {
        let key = format!("{k:?}");
        let key = strip_spans(&key);
        if let Some(&i) = self.scalar_keys.get(&key) {
            return i;
        }
        self.p.scalars.push(k);
        let i = (self.p.scalars.len() - 1) as u16;
        self.scalar_keys.insert(key, i);
        i
    }

    /// Each column and each skill gets one register; gathering it again before the lanes change
    /// is skipped at run time.
    fn column(&mut self, e: &TExpr) -> Src {
        let key = strip_spans(&format!("{e:?}"));
        let col = if let Some(&c) = self.column_keys.get(&key) {
            c
        } else {
            self.p.columns.push(e.clone());
            let c = (self.p.columns.len() - 1) as u16;
            self.column_keys.insert(key, c);
            c
        };
        let out = match self.gathered.get(&(0, col)) {
            Some(&r) => r,
            None => {
                let r = self.reg();
                self.gathered.insert((0, col), r);
                r
            }
        };
        self.p.instrs.push(Instr::Gather { col, out });
        Src::Lane(out)
    }

    fn fallback(&mut self, e: &TExpr) -> Src {
        self.p.fallbacks.push(e.clone());
        let out = self.reg();
        self.p.instrs.push(Instr::Interp {
            expr: (self.p.fallbacks.len() - 1) as u16,
            out,
        });
        Src::Lane(out)
    }

    fn lower(&mut self, e: &TExpr) -> Src {
        if e.bind & ENGINEER == 0 {
            return Src::Scalar(self.scalar(ScalarKind::Value(e.clone())));
        }
        if e.bind == ENGINEER {
            return self.column(e);
        }
        debug_assert_eq!(e.bind, PAIR);
        let out_of = |b: &mut Builder, i: Instr| {
            b.p.instrs.push(i);
        };
        match &e.kind {
            TK::Travel => Src::Lane(TRAVEL),
            TK::TravelTime => {
                // One register for every `travel_time`: computed again only when the lanes change.
                let out = match self.gathered.get(&(2, 0)) {
                    Some(&r) => r,
                    None => {
                        let r = self.reg();
                        self.gathered.insert((2, 0), r);
                        r
                    }
                };
                out_of(self, Instr::TravelMinutes { out });
                Src::Lane(out)
            }
            TK::Not(a) | TK::Neg(a) | TK::Abs(a) | TK::Exists(a) if a.ty.strip() != &Ty::Set => {
                let a = self.lower(a);
                let op = match &e.kind {
                    TK::Not(_) => Un::Not,
                    TK::Neg(_) => Un::Neg,
                    TK::Abs(_) => Un::Abs,
                    _ => Un::Exists,
                };
                let out = self.reg();
                out_of(self, Instr::Un { op, a, out });
                Src::Lane(out)
            }
            TK::Bin(Op::In, a, set) if a.ty == Ty::Str => {
                if set.bind & ENGINEER == 0 {
                    self.p.ticket_sets.push((**set).clone());
                    let set = (self.p.ticket_sets.len() - 1) as u16;
                    let a = self.lower(a);
                    let out = self.reg();
                    out_of(self, Instr::InTicketSet { a, set, out });
                    Src::Lane(out)
                } else if set.bind == ENGINEER {
                    self.p.engineer_sets.push((**set).clone());
                    let set = (self.p.engineer_sets.len() - 1) as u16;
                    let a = self.lower(a);
                    let out = self.reg();
                    out_of(self, Instr::InEngineerSet { a, set, out });
                    Src::Lane(out)
                } else {
                    self.fallback(e)
                }
            }
            TK::Bin(op, a, b)
                if *op != Op::In && a.ty.strip() != &Ty::Set && b.ty.strip() != &Ty::Set =>
            {
                let a = self.lower(a);
                let b = self.lower(b);
                let out = self.reg();
                out_of(self, Instr::Bin { op: *op, a, b, out });
                Src::Lane(out)
            }
            TK::Scale(v, f, t) => {
                let (v, f, t) = (self.lower(v), self.lower(f), self.lower(t));
                let out = self.reg();
                out_of(self, Instr::Scale { v, f, t, out });
                Src::Lane(out)
            }
            TK::If(c, a, b) if e.ty.strip() != &Ty::Set => {
                let (c, a, b) = (self.lower(c), self.lower(a), self.lower(b));
                let out = self.reg();
                out_of(self, Instr::Select { c, a, b, out });
                Src::Lane(out)
            }
            TK::Skill(k) if k.bind & ENGINEER == 0 => {
                let key = self.scalar(ScalarKind::Skill((**k).clone()));
                let out = match self.gathered.get(&(1, key)) {
                    Some(&r) => r,
                    None => {
                        let r = self.reg();
                        self.gathered.insert((1, key), r);
                        r
                    }
                };
                out_of(self, Instr::Skill { key, out });
                Src::Lane(out)
            }
            TK::OnShift(t) => {
                let t = self.lower(t);
                let field = |b: &mut Builder, checked_slot: usize| {
                    b.column(&TExpr {
                        kind: TK::Field(Subject::Engineer, checked_slot),
                        ty: Ty::Time.opt(),
                        bind: ENGINEER,
                        range: (f64::NEG_INFINITY, f64::INFINITY),
                        span: e.span,
                    })
                };
                let (s, en) = self.shift_slots;
                let start = field(self, s);
                let end = field(self, en);
                let out = self.reg();
                out_of(self, Instr::OnShift { t, start, end, out });
                Src::Lane(out)
            }
            _ => self.fallback(e),
        }
    }
}

/// Spans differ between equal expressions; keys must not.
fn strip_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find("span: Span {") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find('}').map_or(tail.len(), |j| j + 1);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Compiles the pair rules of a checked policy.
pub(crate) fn compile(checked: &Checked) -> Program {
    let mut b = Builder {
        p: Program {
            registers: 1,
            ..Program::default()
        },
        column_keys: FxHashMap::default(),
        scalar_keys: FxHashMap::default(),
        gathered: FxHashMap::default(),
        shift_slots: (
            checked
                .schema
                .field(Subject::Engineer, "shift_start")
                .unwrap_or(0),
            checked
                .schema
                .field(Subject::Engineer, "shift_end")
                .unwrap_or(0),
        ),
    };
    for (i, r) in checked.requires.iter().enumerate() {
        let start = b.p.instrs.len();
        let (guard, pass) = match &r.guard {
            None => (None, r.cond.clone()),
            Some(g) if g.bind & ENGINEER == 0 => {
                (Some(b.scalar(ScalarKind::Value(g.clone()))), r.cond.clone())
            }
            Some(g) => {
                let not_g = TExpr {
                    kind: TK::Not(Box::new(g.clone())),
                    ty: Ty::Bool,
                    bind: g.bind,
                    range: (0.0, 1.0),
                    span: g.span,
                };
                let pass = TExpr {
                    bind: g.bind | r.cond.bind,
                    kind: TK::Bin(Op::Or, Box::new(not_g), Box::new(r.cond.clone())),
                    ty: Ty::Bool,
                    range: (0.0, 1.0),
                    span: r.cond.span,
                };
                (None, pass)
            }
        };
        let pass = b.lower(&pass);
        b.p.instrs.push(Instr::Check {
            rule: i as u16,
            pass,
        });
        let end = b.p.instrs.len();
        b.p.requires.push(Segment {
            start,
            end,
            guard,
            sep: None,
        });
    }
    for s in &checked.scores {
        let start = b.p.instrs.len();
        let (seg_guard, guard) = match &s.guard {
            None => (None, None),
            Some(g) if g.bind & ENGINEER == 0 => {
                (Some(b.scalar(ScalarKind::Value(g.clone()))), None)
            }
            Some(g) => (None, Some(b.lower(g))),
        };
        let value = b.lower(&s.value);
        b.p.instrs.push(Instr::Accumulate {
            factor: s.factor,
            value,
            guard,
        });
        let end = b.p.instrs.len();
        b.p.scores.push(Segment {
            start,
            end,
            guard: seg_guard,
            sep: None,
        });
    }
    let mut p = b.p;
    let mut segs: Vec<Segment> = p.requires.iter().chain(&p.scores).copied().collect();
    for seg in &mut segs {
        if let Some(keys) = p.separable(seg) {
            p.sep_keys.push(keys);
            seg.sep = Some((p.sep_keys.len() - 1) as u16);
        }
    }
    let n = p.requires.len();
    p.scores = segs.split_off(n);
    p.requires = segs;
    p
}

/// Whether a ticket-only expression's value is the same for every ticket of a run: it reads
/// constants and `now()` only.
fn same_for_every_ticket(e: &TExpr) -> bool {
    match &e.kind {
        TK::Const(_) | TK::Now => true,
        TK::Exists(a) | TK::Not(a) | TK::Neg(a) | TK::Abs(a) => same_for_every_ticket(a),
        TK::Bin(_, a, b) => same_for_every_ticket(a) && same_for_every_ticket(b),
        TK::Scale(a, b, c) | TK::If(a, b, c) => {
            same_for_every_ticket(a) && same_for_every_ticket(b) && same_for_every_ticket(c)
        }
        _ => false,
    }
}

/// Strings as numbers: ids shared by the engineers' columns and the tickets' scalars.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: FxHashMap<Arc<str>, f64>,
}

impl Interner {
    fn intern(&mut self, s: &Arc<str>) -> f64 {
        // Looked up before it is cloned: most strings are known already.
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let next = self.ids.len() as f64;
        self.ids.insert(s.clone(), next);
        next
    }

    fn encode(&mut self, v: &Value) -> f64 {
        match v {
            Value::Str(s) => self.intern(s),
            other => other.num(),
        }
    }
}

/// Tells one set of columns from another (the fleet-wide results of a [`SepCache`] belong to one).
static COLUMNS_ID: AtomicU64 = AtomicU64::new(1);

/// The engineers of one run, as columns.
pub(crate) struct Columns<'e> {
    /// Unique to these columns (see [`SepCache`]).
    id: u64,
    pub views: Vec<EngView<'e>>,
    cols: Vec<Vec<f64>>,
    sets: Vec<Vec<Vec<f64>>>,
    skill_names: FxHashMap<&'e str, usize>,
    skill_cols: Vec<Vec<f64>>,
    interner: Interner,
    /// Per scalar of the program: its value when it is the same for every ticket of the run
    /// (constants and `now()`), computed here once instead of per ticket.
    run_scalars: Vec<Option<f64>>,
}

impl<'e> Columns<'e> {
    /// Evaluates the engineer-only parts once per engineer.
    pub(crate) fn new(
        program: &Program,
        checked: &Checked,
        views: Vec<EngView<'e>>,
        now: f64,
    ) -> Columns<'e> {
        let mut interner = Interner::default();
        let empty: [Value; 0] = [];
        // One engineer's environment for an engineer-only expression.
        fn env<'a>(checked: &'a Checked, g: &'a EngView<'a>, now: f64) -> Env<'a> {
            Env {
                checked,
                ticket: &[],
                ticket_location: g.location,
                engineer: Some(g),
                travel_km: 0.0,
                now,
            }
        }
        let mut cols = Vec::with_capacity(program.columns.len());
        for e in &program.columns {
            let col = (views.iter())
                .map(|g| interp::with_value(e, &env(checked, g, now), |v| interner.encode(v)))
                .collect();
            cols.push(col);
        }
        let mut sets = Vec::with_capacity(program.engineer_sets.len());
        for e in &program.engineer_sets {
            let col = (views.iter())
                .map(|g| {
                    interp::with_value(e, &env(checked, g, now), |v| encode_set(&mut interner, v))
                })
                .collect();
            sets.push(col);
        }
        let mut skill_names: FxHashMap<&'e str, usize> = FxHashMap::default();
        let mut skill_cols: Vec<Vec<f64>> = Vec::new();
        let uses_skills = program
            .scalars
            .iter()
            .any(|s| matches!(s, ScalarKind::Skill(_)));
        if uses_skills {
            for (i, g) in views.iter().enumerate() {
                for (name, &level) in g.skills {
                    let k = *skill_names.entry(name.as_str()).or_insert_with(|| {
                        skill_cols.push(vec![0.0; views.len()]);
                        skill_cols.len() - 1
                    });
                    skill_cols[k][i] = f64::from(level);
                }
            }
            skill_cols.push(vec![0.0; views.len()]);
        }
        // Strings among them are interned like the engineers' values, so a ticket's equal string
        // gets the same id (`TicketCtx::encode`).
        let run_env = Env {
            checked,
            ticket: &empty,
            ticket_location: crate::model::LatLon::new(0.0, 0.0),
            engineer: None,
            travel_km: 0.0,
            now,
        };
        let run_scalars = program
            .scalars
            .iter()
            .map(|s| match s {
                ScalarKind::Value(e) if same_for_every_ticket(e) => {
                    Some(interner.encode(&interp::eval(e, &run_env)))
                }
                _ => None,
            })
            .collect();
        Columns {
            id: COLUMNS_ID.fetch_add(1, Ordering::Relaxed),
            views,
            cols,
            sets,
            skill_names,
            skill_cols,
            interner,
            run_scalars,
        }
    }
}

fn encode_set(interner: &mut Interner, v: &Value) -> Vec<f64> {
    let mut ids: Vec<f64> = match v {
        Value::Set(items) => items.iter().map(|s| interner.intern(s)).collect(),
        _ => Vec::new(),
    };
    ids.sort_by(f64::total_cmp);
    ids
}

/// One ticket's scalars, after triage.
pub(crate) struct TicketCtx {
    pub view: Vec<Value>,
    pub location: crate::model::LatLon,
    pub now: f64,
    scalars: Vec<f64>,
    sets: Vec<Vec<f64>>,
    local: FxHashMap<Arc<str>, f64>,
}

impl TicketCtx {
    /// Computes the ticket-only parts once.
    pub(crate) fn new(
        program: &Program,
        checked: &Checked,
        cols: &Columns<'_>,
        view: Vec<Value>,
        location: crate::model::LatLon,
        now: f64,
    ) -> TicketCtx {
        let mut local = FxHashMap::default();
        let env = Env {
            checked,
            ticket: &view,
            ticket_location: location,
            engineer: None,
            travel_km: 0.0,
            now,
        };
        // Each value encoded as it is read (fields and constants in place).
        let mut scalars = Vec::with_capacity(program.scalars.len());
        for (s, run) in program.scalars.iter().zip(&cols.run_scalars) {
            scalars.push(match (s, run) {
                (_, Some(v)) => *v,
                (ScalarKind::Value(e), None) => {
                    interp::with_value(e, &env, |v| encode(&mut local, cols, v))
                }
                (ScalarKind::Skill(e), None) => {
                    let k = interp::with_value(e, &env, |v| match v {
                        Value::Str(name) => cols.skill_names.get(&**name).copied(),
                        _ => None,
                    });
                    let zero = cols.skill_cols.len().saturating_sub(1);
                    k.unwrap_or(zero) as f64
                }
            });
        }
        let sets = (program.ticket_sets.iter())
            .map(|e| {
                interp::with_value(e, &env, |v| {
                    let mut ids: Vec<f64> = match v {
                        Value::Set(items) => (items.iter())
                            .map(|s| encode_str(&mut local, cols, s))
                            .collect(),
                        _ => Vec::new(),
                    };
                    ids.sort_by(f64::total_cmp);
                    ids
                })
            })
            .collect();
        TicketCtx {
            view,
            location,
            now,
            scalars,
            sets,
            local,
        }
    }

    /// Encodes a value (see [`encode`]).
    fn encode(&mut self, cols: &Columns<'_>, v: &Value) -> f64 {
        encode(&mut self.local, cols, v)
    }
}

/// Encodes a ticket's value: strings the engineers know get their id; others one local to the
/// ticket (`local`).
fn encode(local: &mut FxHashMap<Arc<str>, f64>, cols: &Columns<'_>, v: &Value) -> f64 {
    match v {
        Value::Str(s) => encode_str(local, cols, s),
        other => other.num(),
    }
}

fn encode_str(local: &mut FxHashMap<Arc<str>, f64>, cols: &Columns<'_>, s: &Arc<str>) -> f64 {
    match cols.interner.ids.get(s) {
        Some(&id) => id,
        None => {
            let next = (cols.interner.ids.len() + local.len()) as f64;
            *local.entry(s.clone()).or_insert(next)
        }
    }
}

/// Where a column register's lanes are read from.
#[derive(Debug, Clone, Copy, Default)]
enum Alias {
    /// The register itself (gathered).
    #[default]
    Own,
    /// Engineer column `c`, lanes `a..a+m` of it (the lanes are contiguous: no copy is made).
    Col(u32),
    /// Skill column `c`, the same way.
    Skill(u32),
    /// The run's input distances for the chunk's lanes (register 0 before a compaction moves the
    /// lanes: no copy is made).
    Input,
}

/// A chunk's lanes as the run's input gives them (engineers and their distances), read in place
/// until a compaction moves the lanes into the scratch.
#[derive(Clone, Copy)]
struct Input<'a> {
    ids: &'a [u32],
    travel: &'a [f64],
}

/// Lanes and registers for one thread.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    regs: Vec<Vec<f64>>,
    ids: Vec<u32>,
    /// Each lane's position in the run's input, once a compaction has moved the lanes (see
    /// `in_order`).
    orig: Vec<u32>,
    /// While the lanes are still the chunk's positions `s, s+1, ...` in order: `Some(s)`, and
    /// `orig` is not written.
    in_order: Option<u32>,
    acc: Vec<f64>,
    tmp: [Vec<f64>; 3],
    /// The lane epoch in which each register was last gathered.
    fresh: Vec<u64>,
    /// Bumped whenever the lanes change (a new chunk, a compaction).
    epoch: u64,
    /// Each lane's first failing require, as a number ([`NO_FAILURE`] while the lane is live).
    firsts: Vec<f64>,
    /// When the lanes are engineers `a..a+m` in order: `Some(a)` (columns are read in place).
    contig: Option<usize>,
    /// Per register: read it, or read a column in place.
    alias: Vec<Alias>,
    /// The positions of the lanes a compaction keeps.
    pos: Vec<u32>,
    /// The length of every lane vector above (at most [`CHUNK`]).
    lanes: usize,
    /// Separable rules' fleet-wide outcomes, per distinct value of the scalars they read.
    sep: SepCache,
    /// The fleet-wide outcomes that apply to the ticket being run.
    sel: Selected,
}

/// The fleet-wide outcomes of separable rules ([`Segment::sep`]), per distinct value of the
/// per-ticket scalars they read, for one set of [`Columns`]. An outcome is computed once the
/// tickets screened before with its key have run it on as many lanes as the fleet has engineers,
/// so computing it costs at most what evaluating those lanes one by one did (a key seen once,
/// such as a ticket's own customer, is never computed). The requires' key counts every lane a
/// ticket brings; a score's counts the lanes it ran on, those the requires let through (often a
/// fifth). Keys are counted only once the scratch has screened a fleet's worth of lanes.
#[derive(Debug, Default)]
struct SepCache {
    /// The [`Columns::id`] the outcomes belong to.
    owner: u64,
    /// Entries by the hash of their key (already a hash: not hashed again).
    entries: HashMap<u64, Vec<SepEntry>, BuildHasherDefault<KeyHash>>,
    /// Bytes held by the computed outcomes (bounded by [`SEP_BYTES`]).
    bytes: usize,
    /// Lanes screened with these columns before keys were counted: none is until a fleet's worth
    /// has been (no key can be due before), so a scratch that screens a few lanes and is dropped,
    /// as one ranking's, pays nothing for the cache.
    seen: usize,
    /// The key being looked up.
    key: Vec<u64>,
    /// The computed outcomes, indexed by [`SepEntry::col`] (dropped only all together).
    store: Vec<Box<[f64]>>,
    /// The keys of computed outcomes found lately, by a few bits of their hash, with their
    /// outcome: a ticket whose keys came back finds each in a compare, without the map.
    hot: Vec<(Box<[u64]>, u32)>,
    /// Lookups the hot table answered.
    #[cfg(test)]
    hot_hits: usize,
}

/// Slots of [`SepCache::hot`] (a few in tests, so that keys share slots and replace each other).
const HOT: usize = if cfg!(test) { 4 } else { 64 };

/// The hasher of [`SepCache::entries`]: their keys are hashes already, taken as they are.
#[derive(Debug, Default)]
struct KeyHash(u64);

impl Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// At most this many bytes of fleet-wide outcomes per scratch.
const SEP_BYTES: usize = 64 << 20;

/// Keys counted at most per scratch: beyond, the counts of the keys not computed are dropped (keys
/// seen once, such as a numeric ticket field's values, would otherwise pile up), and everything
/// when the computed ones alone are half as many.
const SEP_KEYS: usize = if cfg!(test) { 16 } else { 1 << 16 };

/// Key tag of the combined outcome of the separable requires (a score's key starts with its
/// segment's first instruction instead).
const REQUIRES_KEY: u64 = u64::MAX;

#[derive(Debug)]
struct SepEntry {
    key: Box<[u64]>,
    /// Lanes screened with this key so far.
    lanes: usize,
    /// Per engineer: the first separable require that fails (as a number, [`NO_FAILURE`] when
    /// none does), or a score's points: its index in [`SepCache::store`].
    col: Option<u32>,
}

/// The fleet-wide outcomes that apply to one ticket.
#[derive(Debug, Default)]
struct Selected {
    /// The first failing separable require, per engineer: the separable requires are then not
    /// run per lane (an index in [`SepCache::store`], like the scores').
    requires: Option<u32>,
    /// Per score: its points per engineer.
    scores: Vec<Option<u32>>,
    /// The entries (hash and place in its bucket) of the scores this ticket runs lane by lane:
    /// they count the lanes the scores run on once the ticket has been screened.
    pending: Vec<(u64, usize)>,
}

#[cfg(test)]
impl Scratch {
    /// How many fleet-wide outcomes the cache holds.
    pub(crate) fn computed_columns(&self) -> usize {
        let entries = self.sep.entries.values().flatten();
        entries.filter(|e| e.col.is_some()).count()
    }

    /// How many keys the cache counts (computed or not).
    #[cfg(test)]
    pub(crate) fn counted_keys(&self) -> usize {
        self.sep.entries.len()
    }

    /// How many lookups the table of hot keys answered.
    pub(crate) fn hot_hits(&self) -> usize {
        self.sep.hot_hits
    }
}

impl SepCache {
    /// The entry of the key in `self.key` of hash `h` (and its hash and place in its bucket), after counting
    /// `lanes` more lanes for it; `due` when its outcome should be computed now.
    fn entry(&mut self, h: u64, lanes: usize, fleet: usize) -> (&mut SepEntry, bool, (u64, usize)) {
        let bucket = self.entries.entry(h).or_default();
        let i = match bucket.iter().position(|e| *e.key == self.key[..]) {
            Some(i) => i,
            None => {
                bucket.push(SepEntry {
                    key: self.key.clone().into_boxed_slice(),
                    lanes: 0,
                    col: None,
                });
                bucket.len() - 1
            }
        };
        let e = &mut bucket[i];
        // Computed once the lanes run before this ticket cost as much as computing it (so a key
        // seen once never is).
        let due = e.col.is_none() && e.lanes >= fleet && self.bytes + 8 * fleet <= SEP_BYTES;
        e.lanes = e.lanes.saturating_add(lanes);
        if due {
            self.bytes += 8 * fleet;
        }
        (e, due, (h, i))
    }

    /// Makes room for `keys` more keys, before a ticket's lookups (so that no outcome one of
    /// them found is dropped by a later one): drops the counts of the keys not computed when
    /// the cap would be passed, and everything when the computed ones alone are half as many.
    fn trim(&mut self, keys: usize) {
        if self.entries.len() + keys <= SEP_KEYS {
            return;
        }
        self.entries.retain(|_, b| {
            b.retain(|e| e.col.is_some());
            !b.is_empty()
        });
        if self.entries.len() >= SEP_KEYS / 2 {
            self.entries.clear();
            self.store.clear();
            self.hot.clear();
            self.bytes = 0;
        }
    }

    /// The hash of the key in `self.key`.
    fn hash(&self) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for &k in &self.key {
            h = (h ^ k).wrapping_mul(0x0100_0000_01b3);
        }
        // FNV leaves the high bits of short keys alike; a final mix (SplitMix64's) spreads them.
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }

    /// The computed outcome of the key in `self.key` (of hash `h`), when it is among the hot ones.
    fn hot(&mut self, h: u64) -> Option<u32> {
        let (key, col) = self.hot.get((h >> 58) as usize % HOT)?;
        let same = key.len() == self.key.len() && key.iter().zip(&self.key).all(|(a, b)| a == b);
        #[cfg(test)]
        {
            self.hot_hits += usize::from(same);
        }
        same.then_some(*col)
    }

    /// Remembers the key in `self.key` (of hash `h`) as a hot one, with its computed outcome.
    fn heat(&mut self, h: u64, col: u32) {
        if self.hot.is_empty() {
            self.hot.resize_with(HOT, || (Box::default(), 0));
        }
        let at = (h >> 58) as usize % HOT;
        let slot = &mut self.hot[at];
        // Keys that take turns in a slot mostly have one length: copied into its box, not boxed.
        if slot.0.len() == self.key.len() {
            slot.0.copy_from_slice(&self.key);
        } else {
            slot.0 = self.key.clone().into_boxed_slice();
        }
        slot.1 = col;
    }

    /// Stores the outcome computed for the entry at `at` (see [`SepCache::entry`]); returns its
    /// index in the store.
    fn keep(&mut self, (h, i): (u64, usize), col: Vec<f64>) -> u32 {
        self.store.push(col.into_boxed_slice());
        let k = (self.store.len() - 1) as u32;
        if let Some(e) = self.entries.get_mut(&h).and_then(|b| b.get_mut(i)) {
            e.col = Some(k);
        }
        k
    }

    /// Counts `lanes` more lanes for the entries `at` (found by the same ticket's lookups: no
    /// entry is dropped between them, see [`SepCache::trim`]).
    fn count(&mut self, at: &[(u64, usize)], lanes: usize) {
        for &(h, i) in at {
            if let Some(e) = self.entries.get_mut(&h).and_then(|b| b.get_mut(i)) {
                e.lanes = e.lanes.saturating_add(lanes);
            }
        }
    }
}

/// The operands an instruction can read: registers, columns read in place, per-ticket scalars.
#[derive(Clone, Copy)]
struct Ops<'a> {
    regs: &'a [Vec<f64>],
    alias: &'a [Alias],
    /// The chunk's input distances (see [`Alias::Input`]).
    travel: &'a [f64],
    cols: &'a [Vec<f64>],
    skills: &'a [Vec<f64>],
    start: usize,
    scalars: &'a [f64],
    m: usize,
}

impl<'a> Ops<'a> {
    #[inline(always)]
    fn get(&self, s: Src) -> S<'a> {
        match s {
            Src::Scalar(k) => S::K(self.scalars[k as usize]),
            Src::Lane(r) => S::L(self.lane(r)),
        }
    }

    #[inline(always)]
    fn lane(&self, r: u16) -> &'a [f64] {
        match self.alias[r as usize] {
            Alias::Own => &self.regs[r as usize][..self.m],
            Alias::Col(c) => &self.cols[c as usize][self.start..self.start + self.m],
            Alias::Skill(c) => &self.skills[c as usize][self.start..self.start + self.m],
            Alias::Input => &self.travel[..self.m],
        }
    }
}

/// The instruction a require's `Check` is fused with (run as one pass over the lanes).
#[derive(Clone, Copy)]
enum Fused {
    /// A comparison.
    Cmp(Cmp, Src, Src),
    /// `!a`.
    Not(Src),
    /// `on_shift(t)` with every operand in lanes: `(t, start, end)` registers.
    OnShift(u16, u16, u16),
    /// `a in ticket_set` (`true`) or `!(a in ticket_set)` (`false`), for sets of at most
    /// [`FUSED_SET`] members.
    InSet(Src, u16, bool),
}

/// The largest ticket set whose membership test is fused with a `Check`.
const FUSED_SET: usize = 4;

/// A chunk's lanes are compacted once fewer than one in this many are still in play.
const COMPACT_BELOW: usize = 3;

/// A require's check of `x in set` (`want_in`) or `!(x in set)` over the lanes (see
/// [`check_lanes`]), for a set of at most [`FUSED_SET`] members: one branch-free pass.
fn check_in_set(firsts: &mut [f64], x: S<'_>, set: &[f64], want_in: bool, rule: Rule) -> usize {
    debug_assert!(set.len() <= FUSED_SET);
    // One loop per size (the common sets have one or two members); three members are padded
    // with a repeat, which does not change the outcome.
    let k = S::K(0.0);
    match *set {
        [] => check2(firsts, x, k, rule, |_, _| !want_in),
        [a] => check2(firsts, x, k, rule, |x, _| (x == a) == want_in),
        [a, b] => check2(firsts, x, k, rule, |x, _| ((x == a) | (x == b)) == want_in),
        [a, b, c, ..] => {
            let d = set.get(3).copied().unwrap_or(c);
            check2(firsts, x, k, rule, |x, _| {
                ((x == a) | (x == b) | (x == c) | (x == d)) == want_in
            })
        }
    }
}

/// For each byte of eight lanes' kept bits: the offsets of the kept lanes (then zeros) and how
/// many they are.
static KEPT_OFFSETS: [([u8; 8], u8); 256] = {
    let mut t = [([0u8; 8], 0u8); 256];
    let mut bits = 0;
    while bits < 256 {
        let mut n = 0;
        let mut j = 0;
        while j < 8 {
            if bits & (1 << j) != 0 {
                t[bits].0[n] = j as u8;
                n += 1;
            }
            j += 1;
        }
        t[bits].1 = n as u8;
        bits += 1;
    }
    t
};

/// The kept bits of eight lanes (lane `j` in bit `j`): a sum of the kept lanes' powers of two,
/// exact in `f64`, that vectorises (a compare and a mask per two lanes), where shifting each
/// comparison's bit into place does not.
#[inline(always)]
fn kept_bits(block: &[f64], keep_above: f64) -> usize {
    const WEIGHTS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
    let w: [f64; 8] = std::array::from_fn(|j| {
        if block[j] > keep_above {
            WEIGHTS[j]
        } else {
            0.0
        }
    });
    let quads = [w[0] + w[4], w[1] + w[5], w[2] + w[6], w[3] + w[7]];
    let sum = (quads[0] + quads[2]) + (quads[1] + quads[3]);
    usize::from(first_bits(sum) as u8)
}

/// A lane's first failure as the `u16` it stands for: rule indices and [`NO_FAILURE`] are whole
/// numbers below 65,536, which adding 2^52 moves into the low bits of the mantissa (this
/// vectorises, where `as` conversions do not).
#[inline(always)]
fn first_bits(f: f64) -> u16 {
    (f + 4_503_599_627_370_496.0).to_bits() as u16
}

/// The `on_shift` check (see [`check_lanes`]): a lane passes when its engineer has no shift
/// or `start <= t < end`.
#[inline(always)]
fn check_on_shift(firsts: &mut [f64], tv: &[f64], sv: &[f64], ev: &[f64], rule: Rule) -> usize {
    let mut live = 0usize;
    let lanes = firsts.iter_mut().zip(tv).zip(sv).zip(ev);
    match rule.base {
        None => {
            for (((f, &t), &s), &e) in lanes {
                live += lower_first(f, s.is_nan() | ((s <= t) & (t < e)), rule);
            }
        }
        Some(base) => {
            for ((((f, &t), &s), &e), &b) in lanes.zip(base) {
                *f = b;
                live += lower_first(f, s.is_nan() | ((s <= t) & (t < e)), rule);
            }
        }
    }
    live
}

/// The require a check runs for: its index, and the first failure above which a lane stays in
/// play (the index of the next require to run, or `NO_FAILURE - 1` when none is left: the lanes
/// still live).
#[derive(Clone, Copy)]
struct Rule<'a> {
    index: f64,
    keep_above: f64,
    /// The lanes' first failures before this check, when they are not in the `firsts` it lowers
    /// yet (the chunk's first check reads them from here and writes them there: one pass).
    base: Option<&'a [f64]>,
}

/// [`NO_FAILURE`] for every lane of a chunk: the base of a chunk's first check when no
/// separable require has failed.
static NO_FAILURES: [f64; CHUNK] = [NO_FAILURE; CHUNK];

/// A require's verdict on one lane: a failing lane's first failure falls to the rule's index
/// unless it is lower already (a minimum, branch-free: it vectorises). Returns 1 while a later
/// require could still lower it.
#[inline(always)]
fn lower_first(f: &mut f64, pass: bool, rule: Rule) -> usize {
    let r = rule.index + if pass { NO_FAILURE - rule.index } else { 0.0 };
    *f = if r < *f { r } else { *f };
    usize::from(*f > rule.keep_above)
}

/// A comparison, fused with the `Check` it feeds.
#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

fn cmp_of(op: Op) -> Option<Cmp> {
    Some(match op {
        Op::Eq => Cmp::Eq,
        Op::Ne => Cmp::Ne,
        Op::Lt => Cmp::Lt,
        Op::Le => Cmp::Le,
        Op::Gt => Cmp::Gt,
        Op::Ge => Cmp::Ge,
        _ => return None,
    })
}

/// A require's check over the lanes: a live lane (`NO_FAILURE`) whose comparison fails gets
/// `rule` as its first failure. Branch-free; returns how many lanes are still in play (see
/// [`Rule`]).
#[inline(always)]
fn check_lanes(firsts: &mut [f64], x: S<'_>, y: S<'_>, rule: Rule, cmp: Cmp) -> usize {
    match cmp {
        Cmp::Eq => check2(firsts, x, y, rule, |x, y| x == y),
        Cmp::Ne => check2(firsts, x, y, rule, |x, y| x != y),
        Cmp::Lt => check2(firsts, x, y, rule, |x, y| x < y),
        Cmp::Le => check2(firsts, x, y, rule, |x, y| x <= y),
        Cmp::Gt => check2(firsts, x, y, rule, |x, y| x > y),
        Cmp::Ge => check2(firsts, x, y, rule, |x, y| x >= y),
    }
}

#[inline(always)]
fn check2(
    firsts: &mut [f64],
    x: S<'_>,
    y: S<'_>,
    rule: Rule,
    pass: impl Fn(f64, f64) -> bool,
) -> usize {
    let mut live = 0usize;
    let mut step = |f: &mut f64, x: f64, y: f64| live += lower_first(f, pass(x, y), rule);
    match (x, y, rule.base) {
        (S::L(x), S::L(y), None) => {
            for ((f, &x), &y) in firsts.iter_mut().zip(x).zip(y) {
                step(f, x, y);
            }
        }
        (S::L(x), S::K(y), None) => {
            for (f, &x) in firsts.iter_mut().zip(x) {
                step(f, x, y);
            }
        }
        (S::K(x), S::L(y), None) => {
            for (f, &y) in firsts.iter_mut().zip(y) {
                step(f, x, y);
            }
        }
        (S::K(x), S::K(y), None) => {
            for f in firsts.iter_mut() {
                step(f, x, y);
            }
        }
        // The chunk's first check: each lane's first failure so far read from the base.
        (S::L(x), S::L(y), Some(base)) => {
            for (((f, &x), &y), &b) in firsts.iter_mut().zip(x).zip(y).zip(base) {
                *f = b;
                step(f, x, y);
            }
        }
        (S::L(x), S::K(y), Some(base)) => {
            for ((f, &x), &b) in firsts.iter_mut().zip(x).zip(base) {
                *f = b;
                step(f, x, y);
            }
        }
        (S::K(x), S::L(y), Some(base)) => {
            for ((f, &y), &b) in firsts.iter_mut().zip(y).zip(base) {
                *f = b;
                step(f, x, y);
            }
        }
        (S::K(x), S::K(y), Some(base)) => {
            for (f, &b) in firsts.iter_mut().zip(base) {
                *f = b;
                step(f, x, y);
            }
        }
    }
    live
}

#[derive(Clone, Copy)]
enum S<'a> {
    L(&'a [f64]),
    K(f64),
}

#[inline(always)]
fn lanes1(o: &mut [f64], a: S<'_>, f: impl Fn(f64) -> f64) {
    match a {
        S::L(x) => {
            for (o, &x) in o.iter_mut().zip(x) {
                *o = f(x);
            }
        }
        S::K(x) => o.fill(f(x)),
    }
}

/// Runs `g` on each output lane with the two operands' lanes (a scalar operand repeated): one
/// loop per form of the operands, so that each vectorises.
#[inline(always)]
fn each2(o: &mut [f64], a: S<'_>, b: S<'_>, mut g: impl FnMut(&mut f64, f64, f64)) {
    match (a, b) {
        (S::L(x), S::L(y)) => {
            for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                g(o, x, y);
            }
        }
        (S::L(x), S::K(y)) => {
            for (o, &x) in o.iter_mut().zip(x) {
                g(o, x, y);
            }
        }
        (S::K(x), S::L(y)) => {
            for (o, &y) in o.iter_mut().zip(y) {
                g(o, x, y);
            }
        }
        (S::K(x), S::K(y)) => {
            for o in o.iter_mut() {
                g(o, x, y);
            }
        }
    }
}

#[inline(always)]
fn lanes2(o: &mut [f64], a: S<'_>, b: S<'_>, f: impl Fn(f64, f64) -> f64) {
    each2(o, a, b, |o, x, y| *o = f(x, y));
}

/// Three operands as slices (scalars broadcast into `tmp`), for the rarer three-input forms.
#[inline(always)]
fn lanes3(
    o: &mut [f64],
    tmp: &mut [Vec<f64>; 3],
    ops: [S<'_>; 3],
    f: impl Fn(f64, f64, f64) -> f64,
) {
    // The common `scale lanes from K to K`: no broadcasts.
    if let (S::K(y), S::K(z)) = (ops[1], ops[2]) {
        return lanes1(o, ops[0], |x| f(x, y, z));
    }
    let m = o.len();
    let [t0, t1, t2] = tmp;
    let a: &[f64] = match ops[0] {
        S::L(x) => x,
        S::K(x) => {
            t0[..m].fill(x);
            &t0[..m]
        }
    };
    let b: &[f64] = match ops[1] {
        S::L(x) => x,
        S::K(x) => {
            t1[..m].fill(x);
            &t1[..m]
        }
    };
    let c: &[f64] = match ops[2] {
        S::L(x) => x,
        S::K(x) => {
            t2[..m].fill(x);
            &t2[..m]
        }
    };
    for (((o, &a), &b), &c) in o.iter_mut().zip(a).zip(b).zip(c) {
        *o = f(a, b, c);
    }
}

/// Runs `$run` (a closure-like `|f| ...` taking the operator's lane function) for a binary
/// operator; `in` has no lane function and runs nothing.
macro_rules! by_op {
    ($op:expr, |$f:ident| $run:expr) => {
        match $op {
            Op::Add => {
                let $f = |x: f64, y: f64| x + y;
                $run
            }
            Op::Sub => {
                let $f = |x: f64, y: f64| x - y;
                $run
            }
            Op::Mul => {
                let $f = |x: f64, y: f64| x * y;
                $run
            }
            Op::Div => {
                let $f = div;
                $run
            }
            Op::Min => {
                let $f = f64::min;
                $run
            }
            Op::Max => {
                let $f = f64::max;
                $run
            }
            Op::Eq => {
                let $f = |x: f64, y: f64| b(x == y);
                $run
            }
            Op::Ne => {
                let $f = |x: f64, y: f64| b(x != y);
                $run
            }
            Op::Lt => {
                let $f = |x: f64, y: f64| b(x < y);
                $run
            }
            Op::Le => {
                let $f = |x: f64, y: f64| b(x <= y);
                $run
            }
            Op::Gt => {
                let $f = |x: f64, y: f64| b(x > y);
                $run
            }
            Op::Ge => {
                let $f = |x: f64, y: f64| b(x >= y);
                $run
            }
            Op::And => {
                let $f = |x: f64, y: f64| b(x == 1.0 && y == 1.0);
                $run
            }
            Op::Or => {
                let $f = |x: f64, y: f64| b(x == 1.0 || y == 1.0);
                $run
            }
            Op::Coalesce => {
                let $f = |x: f64, y: f64| if x.is_nan() { y } else { x };
                $run
            }
            Op::In => {}
        }
    };
}

/// Adds `factor × f(x, y)` to each lane's cost: a score whose value is a binary operation
/// (fused with the `Accumulate` it feeds, so the operation's lanes are not written and read
/// back). The same operations in the same order as the two instructions: the same sums.
#[inline(always)]
fn accumulate_bin(acc: &mut [f64], factor: f64, x: S<'_>, y: S<'_>, f: impl Fn(f64, f64) -> f64) {
    each2(acc, x, y, |c, x, y| *c += factor * f(x, y));
}

/// A guarded score's points on a lane: `factor × x` where the guard `g` holds, else 0. The lanes
/// and the fleet-wide columns compute them here alike, so their sums agree bit for bit.
#[inline(always)]
fn points(factor: f64, g: f64, x: f64) -> f64 {
    if g == 1.0 { factor * x } else { 0.0 }
}

/// `out[k] = col[ids[k]]`: a fleet column read at the lanes' engineers. Not inlined: inside
/// [`Program::exec`] the loop reloaded the column's address and length and the lanes' from the
/// stack at every lane.
#[inline(never)]
fn gather(out: &mut [f64], col: &[f64], ids: &[u32]) {
    for (o, &i) in out.iter_mut().zip(ids) {
        *o = col[i as usize];
    }
}

/// Adds points computed for the whole fleet to the lanes (engineers `a..a + m` when `contig` is
/// `Some(a)`, else `ids`), column after column for each lane: the same sums as one pass per
/// column in that order.
fn add_points(acc: &mut [f64], contig: Option<usize>, ids: &[u32], cols: &[&[f64]]) {
    let m = acc.len();
    match (contig, cols) {
        (Some(a), [p]) => {
            for (c, &p) in acc.iter_mut().zip(&p[a..a + m]) {
                *c += p;
            }
        }
        (Some(a), [p, q]) => {
            for ((c, &p), &q) in acc.iter_mut().zip(&p[a..a + m]).zip(&q[a..a + m]) {
                *c = *c + p + q;
            }
        }
        (Some(a), [p, q, r]) => {
            let lanes = acc.iter_mut().zip(&p[a..a + m]).zip(&q[a..a + m]);
            for (((c, &p), &q), &r) in lanes.zip(&r[a..a + m]) {
                *c = *c + p + q + r;
            }
        }
        // The columns cut to one length, so one bound check covers every column's read.
        (None, [p]) => {
            for (c, &i) in acc.iter_mut().zip(ids) {
                *c += p[i as usize];
            }
        }
        (None, [p, q]) => {
            let n = p.len().min(q.len());
            let (p, q) = (&p[..n], &q[..n]);
            for (c, &i) in acc.iter_mut().zip(ids) {
                let i = i as usize;
                assert!(i < n, "lane {i} outside the fleet");
                *c = *c + p[i] + q[i];
            }
        }
        (None, [p, q, r]) => {
            let n = p.len().min(q.len()).min(r.len());
            let (p, q, r) = (&p[..n], &q[..n], &r[..n]);
            for (c, &i) in acc.iter_mut().zip(ids) {
                let i = i as usize;
                assert!(i < n, "lane {i} outside the fleet");
                *c = *c + p[i] + q[i] + r[i];
            }
        }
        _ => {
            for col in cols {
                add_points(acc, contig, ids, &[col]);
            }
        }
    }
}

#[inline(always)]
fn b(x: bool) -> f64 {
    if x { 1.0 } else { 0.0 }
}

impl Program {
    /// The program of score `k` alone (no require): [`Program::run`] on it writes each lane's
    /// points for that score. Shares the instructions (each segment gathers what it reads) and
    /// leaves out what only preparation needs.
    pub(crate) fn score_only(&self, k: usize) -> Program {
        Program {
            instrs: self.instrs.clone(),
            requires: Vec::new(),
            scores: self.scores.get(k).copied().into_iter().collect(),
            registers: self.registers,
            fallbacks: self.fallbacks.clone(),
            sep_keys: self.sep_keys.clone(),
            ..Program::default()
        }
    }

    /// A score segment's last instruction, its `Accumulate`: the factor, the value and the lane
    /// guard.
    fn accumulation(&self, seg: &Segment) -> Option<(f64, Src, Option<Src>)> {
        match self.instrs[seg.end - 1] {
            Instr::Accumulate {
                factor,
                value,
                guard,
            } => Some((factor, value, guard)),
            _ => None,
        }
    }

    /// The per-ticket scalars a segment reads, when it reads the ticket through nothing else
    /// (see [`Segment::sep`]).
    fn separable(&self, seg: &Segment) -> Option<Vec<u16>> {
        let mut keys = Vec::new();
        let mut src = |s: Src| match s {
            Src::Scalar(k) => {
                keys.push(k);
                true
            }
            Src::Lane(r) => r != TRAVEL,
        };
        for ins in &self.instrs[seg.start..seg.end] {
            let ok = match *ins {
                Instr::Gather { .. } => true,
                Instr::Skill { key, .. } => src(Src::Scalar(key)),
                Instr::Un { a, .. } | Instr::InEngineerSet { a, .. } => src(a),
                Instr::Bin { a, b, .. } => src(a) & src(b),
                Instr::Scale {
                    v: a, f: b, t: c, ..
                }
                | Instr::Select {
                    c: a, a: b, b: c, ..
                }
                | Instr::OnShift {
                    t: a,
                    start: b,
                    end: c,
                    ..
                } => src(a) & src(b) & src(c),
                Instr::Check { pass, .. } => src(pass),
                Instr::Accumulate { value, guard, .. } => src(value) & guard.is_none_or(&mut src),
                Instr::TravelMinutes { .. } | Instr::InTicketSet { .. } | Instr::Interp { .. } => {
                    false
                }
            };
            if !ok {
                return None;
            }
        }
        keys.sort_unstable();
        keys.dedup();
        Some(keys)
    }

    /// Sizes the scratch for this program and chunks of up to `n` lanes.
    fn size_scratch(&self, scratch: &mut Scratch, n: usize) {
        // Registers as long as the largest chunk this scratch has run (a ranking's hundred lanes
        // need not zero a thousand).
        let need = CHUNK.min(n);
        if scratch.regs.len() < self.registers || scratch.lanes < need {
            let lanes = scratch.lanes.max(need);
            if scratch.regs.len() < self.registers {
                scratch.regs.resize_with(self.registers, Vec::new);
                scratch.fresh.resize(self.registers, 0);
                scratch.alias.resize(self.registers, Alias::Own);
            }
            for r in &mut scratch.regs {
                r.resize(lanes, 0.0);
            }
            scratch.ids.resize(lanes, 0);
            scratch.orig.resize(lanes, 0);
            scratch.pos.resize(lanes, 0);
            scratch.acc.resize(lanes, 0.0);
            for v in &mut scratch.tmp {
                v.resize(lanes, 0.0);
            }
            scratch.firsts.resize(lanes, NO_FAILURE);
            scratch.lanes = lanes;
        }
    }

    /// Runs `body` over every engineer of the fleet, a chunk at a time, and hands each chunk's
    /// operands to `each` with the chunk's first engineer.
    fn over_fleet(
        &self,
        body: &[Instr],
        checked: &Checked,
        cols: &Columns<'_>,
        t: &mut TicketCtx,
        scratch: &mut Scratch,
        mut each: impl FnMut(Ops<'_>, usize),
    ) {
        let n = cols.views.len();
        self.size_scratch(scratch, n);
        let mut start = 0;
        while start < n {
            let m = CHUNK.min(n - start);
            for (k, id) in scratch.ids[..m].iter_mut().enumerate() {
                *id = (start + k) as u32;
            }
            scratch.regs[0][..m].fill(0.0);
            scratch.alias[0] = Alias::Own;
            scratch.epoch += 1;
            scratch.contig = Some(start);
            self.exec(body, checked, cols, t, scratch, None, m);
            each(
                Ops {
                    regs: &scratch.regs,
                    alias: &scratch.alias,
                    travel: &[],
                    cols: &cols.cols,
                    skills: &cols.skill_cols,
                    start,
                    scalars: &t.scalars,
                    m,
                },
                start,
            );
            start += m;
        }
    }

    /// Picks (and computes when due) the fleet-wide outcomes of the separable rules for this
    /// ticket, which brings `lanes` lanes.
    fn select(
        &self,
        checked: &Checked,
        cols: &Columns<'_>,
        t: &mut TicketCtx,
        lanes: usize,
        scratch: &mut Scratch,
    ) {
        let mut cache = std::mem::take(&mut scratch.sep);
        if cache.owner != cols.id {
            cache = SepCache {
                owner: cols.id,
                ..SepCache::default()
            };
        }
        let fleet = cols.views.len();
        if cache.seen < fleet {
            cache.seen += lanes;
            scratch.sel.requires = None;
            scratch.sel.scores.clear();
            scratch.sel.pending.clear();
            scratch.sep = cache;
            return;
        }
        let active =
            |seg: &Segment, scalars: &[f64]| seg.guard.is_none_or(|g| scalars[g as usize] == 1.0);
        let mut sel = std::mem::take(&mut scratch.sel);
        sel.requires = None;
        sel.scores.clear();
        sel.pending.clear();
        cache.trim(self.sep_keys.len() + 1);
        // The separable requires together: their first failure per engineer.
        cache.key.clear();
        cache.key.push(REQUIRES_KEY);
        for seg in &self.requires {
            if let Some(k) = seg.sep {
                let on = active(seg, &t.scalars);
                cache.key.push(u64::from(on));
                if on {
                    let scalars = &self.sep_keys[k as usize];
                    cache
                        .key
                        .extend(scalars.iter().map(|&s| t.scalars[s as usize].to_bits()));
                }
            }
        }
        if cache.key.len() > 1 {
            let h = cache.hash();
            sel.requires = cache.hot(h).or_else(|| {
                let (e, due, at) = cache.entry(h, lanes, fleet);
                let found = e.col;
                if !due {
                    return found;
                }
                let mut col = vec![NO_FAILURE; fleet];
                let on: Vec<Segment> = (self.requires.iter())
                    .filter(|s| s.sep.is_some() && active(s, &t.scalars))
                    .copied()
                    .collect();
                for seg in &on {
                    let Instr::Check { rule, pass } = self.instrs[seg.end - 1] else {
                        continue;
                    };
                    let body = &self.instrs[seg.start..seg.end - 1];
                    self.over_fleet(body, checked, cols, t, scratch, |ops, start| {
                        let f = &mut col[start..start + ops.m];
                        let index = f64::from(rule);
                        let rule = Rule {
                            index,
                            keep_above: index,
                            base: None,
                        };
                        check_lanes(f, ops.get(pass), S::K(1.0), rule, Cmp::Eq);
                    });
                }
                Some(cache.keep(at, col))
            });
            if let Some(col) = sel.requires {
                cache.heat(h, col);
            }
        }
        for seg in &self.scores {
            let (Some(k), true) = (seg.sep, active(seg, &t.scalars)) else {
                sel.scores.push(None);
                continue;
            };
            cache.key.clear();
            cache.key.push(seg.start as u64);
            let scalars = &self.sep_keys[k as usize];
            cache
                .key
                .extend(scalars.iter().map(|&s| t.scalars[s as usize].to_bits()));
            let h = cache.hash();
            if let Some(col) = cache.hot(h) {
                sel.scores.push(Some(col));
                continue;
            }
            // Counted after the screening, by the lanes the score runs on (see `SepCache`).
            let (e, due, at) = cache.entry(h, 0, fleet);
            let found = e.col;
            if found.is_none() && !due {
                sel.pending.push(at);
            }
            let Some((factor, value, guard)) = self.accumulation(seg) else {
                sel.scores.push(None);
                continue;
            };
            let found = if due {
                let mut col = vec![0.0; fleet];
                let body = &self.instrs[seg.start..seg.end - 1];
                self.over_fleet(body, checked, cols, t, scratch, |ops, start| {
                    let out = &mut col[start..start + ops.m];
                    // The points exactly as the lanes add them (see `run_chunk`).
                    match guard {
                        None => lanes1(out, ops.get(value), |x| factor * x),
                        Some(g) => {
                            lanes2(out, ops.get(g), ops.get(value), |g, x| points(factor, g, x))
                        }
                    }
                });
                Some(cache.keep(at, col))
            } else {
                found
            };
            if let Some(col) = found {
                cache.heat(h, col);
            }
            sel.scores.push(found);
        }
        scratch.sep = cache;
        scratch.sel = sel;
    }

    /// Runs the pair rules over a ticket's candidate engineers `idx` (positions in the columns)
    /// at distances `travel`. Writes each lane's first failing require (`u16::MAX` when all pass)
    /// and, for lanes that pass, its cost in points (`NaN` for rejected lanes: scores run only on
    /// the lanes every require let through).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        checked: &Checked,
        cols: &Columns<'_>,
        t: &mut TicketCtx,
        idx: &[u32],
        travel: &[f64],
        first_fail: &mut [u16],
        cost: &mut [f64],
        scratch: &mut Scratch,
    ) {
        let n = idx.len();
        self.size_scratch(scratch, n);
        self.select(checked, cols, t, n, scratch);
        let sel = std::mem::take(&mut scratch.sel);
        // The computed outcomes the selection indexes, out of the scratch while the chunks run.
        let store = std::mem::take(&mut scratch.sep.store);
        // Every lane's first failure and cost are written by a compaction or at the end of its
        // chunk (the cost `NaN` unless the lane is live then).
        let mut start = 0;
        let mut scored = 0;
        while start < n {
            let m = CHUNK.min(n - start);
            // The lanes are read from the input in place until a compaction moves them.
            let input = Input {
                ids: &idx[start..start + m],
                travel: &travel[start..start + m],
            };
            scratch.alias[0] = Alias::Input;
            scratch.in_order = Some(start as u32);
            scratch.epoch += 1;
            let sel = (&sel, &store[..]);
            scored += self.run_chunk(checked, cols, t, first_fail, cost, scratch, sel, input);
            start += m;
        }
        scratch.sep.store = store;
        if scored > 0 && !sel.pending.is_empty() {
            (scratch.sep).count(&sel.pending, scored);
        }
        scratch.sel = sel;
    }

    /// The instruction(s) a require's `Check` can be fused with, and how many: the segment's last
    /// instruction before the check when it compares into the register the check reads (or
    /// `!`s a set membership that does).
    fn fused(&self, seg: &Segment, pass: Src) -> Option<(Fused, usize)> {
        let Src::Lane(r) = pass else {
            return None;
        };
        if seg.end < seg.start + 2 {
            return None;
        }
        match self.instrs[seg.end - 2] {
            Instr::Bin { op, a, b, out } if out == r => {
                cmp_of(op).map(|c| (Fused::Cmp(c, a, b), 1))
            }
            Instr::InTicketSet { a, set, out } if out == r => Some((Fused::InSet(a, set, true), 1)),
            Instr::Un {
                op: Un::Not,
                a: Src::Lane(na),
                out,
            } if out == r
                && seg.end >= seg.start + 3
                && matches!(self.instrs[seg.end - 3], Instr::InTicketSet { out: so, .. } if so == na) =>
            {
                let Instr::InTicketSet { a, set, .. } = self.instrs[seg.end - 3] else {
                    return None;
                };
                Some((Fused::InSet(a, set, false), 2))
            }
            Instr::Un {
                op: Un::Not,
                a,
                out,
            } if out == r => Some((Fused::Not(a), 1)),
            Instr::OnShift {
                t: Src::Lane(t),
                start: Src::Lane(s),
                end: Src::Lane(e),
                out,
            } if out == r => Some((Fused::OnShift(t, s, e), 1)),
            _ => None,
        }
    }

    /// Runs one chunk of `m` lanes; returns how many lanes the scores ran on.
    #[allow(clippy::too_many_arguments)]
    fn run_chunk(
        &self,
        checked: &Checked,
        cols: &Columns<'_>,
        t: &mut TicketCtx,
        ff: &mut [u16],
        cost: &mut [f64],
        scratch: &mut Scratch,
        (sel, store): (&Selected, &[Box<[f64]>]),
        input: Input<'_>,
    ) -> usize {
        let computed = |i: u32| &store[i as usize][..];
        let mut m = input.ids.len();
        // Requires run over the live lanes, marked in `firsts`; the lanes are compacted when few
        // are left, and before the scores unless most lanes survived (then the scores run on
        // every lane and the rejected lanes' costs are not written).
        // Branch-free (it vectorises): any lane off the run `i0, i0+1, ...` sets a bit.
        let i0 = input.ids[0];
        let contiguous = (input.ids.iter())
            .zip(i0..)
            .fold(0u32, |acc, (&i, k)| acc | (i ^ k))
            == 0;
        scratch.contig = contiguous.then_some(i0 as usize);
        // A lane's first failure only falls: the separable requires' come first, from the fleet
        // (when computed for this ticket's key), and each other require lowers it where it fails
        // (`check2`). A lane is still in play while a require still to run could lower it.
        // The first check reads them from `base` (so no pass only writes them).
        let mut base: Option<&[f64]> = match (sel.requires.map(computed), scratch.contig) {
            (None, _) => Some(&NO_FAILURES[..m]),
            (Some(col), Some(a)) => Some(&col[a..a + m]),
            (Some(col), None) => {
                for (f, &i) in scratch.firsts[..m].iter_mut().zip(input.ids) {
                    *f = col[i as usize];
                }
                None
            }
        };
        // The requires this ticket runs here: not skipped by their guard nor computed for the
        // fleet; each check counts the lanes the next one could still lower.
        let check = |seg: &Segment, scalars: &[f64]| match self.instrs[seg.end - 1] {
            Instr::Check { rule, pass }
                if !(seg.guard.is_some_and(|g| scalars[g as usize] != 1.0)
                    || (seg.sep.is_some() && sel.requires.is_some())) =>
            {
                Some((rule, pass))
            }
            _ => None,
        };
        let mut in_play = m;
        // The live lanes, once a check has counted them (the last one run, or one that left none
        // in play).
        let mut live = None;
        for (i, seg) in self.requires.iter().enumerate() {
            if in_play == 0 {
                break;
            }
            let Some((rule, pass)) = check(seg, &t.scalars) else {
                continue;
            };
            let keep_above = (self.requires[i + 1..].iter())
                .find_map(|s| check(s, &t.scalars))
                .map_or(NO_FAILURE - 1.0, |(next, _)| f64::from(next));
            // A set too large for the fused test runs as instructions.
            let fused = self.fused(seg, pass).filter(|(f, _)| match *f {
                Fused::InSet(_, set, _) => t.sets[set as usize].len() <= FUSED_SET,
                _ => true,
            });
            let body_end = seg.end - 1 - fused.map_or(0, |(_, n)| n);
            let lanes = scratch.in_order.map(|_| input);
            self.exec(
                &self.instrs[seg.start..body_end],
                checked,
                cols,
                t,
                scratch,
                lanes,
                m,
            );
            let rule_f = Rule {
                index: f64::from(rule),
                keep_above,
                base: base.take(),
            };
            let Scratch {
                regs,
                firsts,
                alias,
                contig,
                ..
            } = &mut *scratch;
            let ops = Ops {
                regs,
                alias,
                travel: input.travel,
                cols: &cols.cols,
                skills: &cols.skill_cols,
                start: contig.unwrap_or(0),
                scalars: &t.scalars,
                m,
            };
            let firsts = &mut firsts[..m];
            in_play = match fused.map(|(f, _)| f) {
                Some(Fused::InSet(a, set, want_in)) => {
                    check_in_set(firsts, ops.get(a), &t.sets[set as usize], want_in, rule_f)
                }
                Some(Fused::Cmp(cmp, a, b)) => {
                    check_lanes(firsts, ops.get(a), ops.get(b), rule_f, cmp)
                }
                Some(Fused::Not(a)) => check_lanes(firsts, ops.get(a), S::K(1.0), rule_f, Cmp::Ne),
                Some(Fused::OnShift(tv, sv, ev)) => {
                    check_on_shift(firsts, ops.lane(tv), ops.lane(sv), ops.lane(ev), rule_f)
                }
                None => check_lanes(firsts, ops.get(pass), S::K(1.0), rule_f, Cmp::Eq),
            };
            if in_play < m && in_play * COMPACT_BELOW < m {
                m = self.compact(scratch, input, m, ff, cost, keep_above);
            }
            if in_play == 0 || keep_above == NO_FAILURE - 1.0 {
                live = Some(in_play);
            }
        }
        if let Some(b) = base {
            // No check ran.
            scratch.firsts[..m].copy_from_slice(b);
        }
        let live = live.unwrap_or_else(|| {
            (scratch.firsts[..m].iter())
                .map(|&f| usize::from(f == NO_FAILURE))
                .sum::<usize>()
        });
        if live < m && live * 8 < m * 5 {
            m = self.compact(scratch, input, m, ff, cost, NO_FAILURE - 1.0);
        }
        if m == 0 {
            return 0;
        }
        scratch.acc[..m].fill(0.0);
        let skipped =
            |seg: &Segment, scalars: &[f64]| seg.guard.is_some_and(|g| scalars[g as usize] != 1.0);
        let mut k = 0;
        while k < self.scores.len() {
            let seg = &self.scores[k];
            k += 1;
            if skipped(seg, &t.scalars) {
                continue;
            }
            if let Some(&Some(col)) = sel.scores.get(k - 1) {
                // Points computed for the whole fleet (see `select`): this score's and those of
                // the next scores computed so too (a score the ticket skips does not end the
                // run), added lane by lane in policy order.
                let mut run: [&[f64]; 3] = [computed(col), &[], &[]];
                let mut n = 1;
                while n < run.len() && k < self.scores.len() {
                    if skipped(&self.scores[k], &t.scalars) {
                        k += 1;
                        continue;
                    }
                    let Some(&Some(next)) = sel.scores.get(k) else {
                        break;
                    };
                    run[n] = computed(next);
                    n += 1;
                    k += 1;
                }
                let ids = match scratch.in_order {
                    Some(_) => input.ids,
                    None => &scratch.ids[..m],
                };
                add_points(&mut scratch.acc[..m], scratch.contig, ids, &run[..n]);
                continue;
            }
            let Some((factor, value, guard)) = self.accumulation(seg) else {
                continue;
            };
            // An unguarded score whose value is the segment's last operation: the two fused.
            let fused = match (guard, value, seg.end >= seg.start + 2) {
                (None, Src::Lane(r), true) => match self.instrs[seg.end - 2] {
                    Instr::Bin { op, a, b, out } if out == r && op != Op::In => Some((op, a, b)),
                    _ => None,
                },
                _ => None,
            };
            let lanes = scratch.in_order.map(|_| input);
            self.exec(
                &self.instrs[seg.start..seg.end - 1 - usize::from(fused.is_some())],
                checked,
                cols,
                t,
                scratch,
                lanes,
                m,
            );
            let Scratch {
                regs,
                acc,
                alias,
                contig,
                ..
            } = &mut *scratch;
            let ops = Ops {
                regs,
                alias,
                travel: input.travel,
                cols: &cols.cols,
                skills: &cols.skill_cols,
                start: contig.unwrap_or(0),
                scalars: &t.scalars,
                m,
            };
            let cc = &mut acc[..m];
            if let Some((op, a, bb)) = fused {
                let (x, y) = (ops.get(a), ops.get(bb));
                by_op!(op, |f| accumulate_bin(cc, factor, x, y, f));
                continue;
            }
            let v = ops.get(value);
            let add = |c: &mut f64, g: f64, x: f64| *c += points(factor, g, x);
            match (guard.map(|g| ops.get(g)), v) {
                (None, S::L(x)) => {
                    for (c, &x) in cc.iter_mut().zip(x) {
                        *c += factor * x;
                    }
                }
                (None, S::K(x)) => {
                    for c in cc.iter_mut() {
                        *c += factor * x;
                    }
                }
                (Some(S::L(g)), S::L(x)) => {
                    for ((c, &g), &x) in cc.iter_mut().zip(g).zip(x) {
                        add(c, g, x);
                    }
                }
                (Some(S::L(g)), S::K(x)) => {
                    for (c, &g) in cc.iter_mut().zip(g) {
                        add(c, g, x);
                    }
                }
                (Some(S::K(g)), S::L(x)) => {
                    for (c, &x) in cc.iter_mut().zip(x) {
                        add(c, g, x);
                    }
                }
                (Some(S::K(g)), S::K(x)) => {
                    for c in cc.iter_mut() {
                        add(c, g, x);
                    }
                }
            }
        }
        // Every lane left: its first failure (`NO_FAILURE` is `u16::MAX`) and, when live, its cost.
        let Scratch {
            orig,
            in_order,
            firsts,
            acc,
            ..
        } = &*scratch;
        let out = |f: f64, c: f64| (first_bits(f), if f == NO_FAILURE { c } else { f64::NAN });
        match *in_order {
            Some(s) => {
                let s = s as usize;
                let lanes = (ff[s..s + m].iter_mut()).zip(&mut cost[s..s + m]);
                for ((d, o), (&f, &c)) in lanes.zip(firsts[..m].iter().zip(&acc[..m])) {
                    (*d, *o) = out(f, c);
                }
            }
            None => {
                for ((&o, &f), &c) in orig[..m].iter().zip(&firsts[..m]).zip(&acc[..m]) {
                    (ff[o as usize], cost[o as usize]) = out(f, c);
                }
            }
        }
        m
    }

    /// Records the first failures of the lanes (`u16::MAX` for the live ones) with a `NaN` cost
    /// (a lane kept and live at the end gets its cost then) and keeps the lanes whose first
    /// failure is above `keep_above` (branch-free, in order); returns how many are kept. The
    /// first compaction of a chunk reads its lanes from `input`.
    fn compact(
        &self,
        scratch: &mut Scratch,
        input: Input<'_>,
        m: usize,
        ff: &mut [u16],
        cost: &mut [f64],
        keep_above: f64,
    ) -> usize {
        let Scratch {
            regs,
            ids,
            orig,
            in_order,
            firsts,
            epoch,
            contig,
            alias,
            pos,
            ..
        } = scratch;
        let travel = &mut regs[0][..m];
        let (ids, orig, firsts) = (&mut ids[..m], &mut orig[..m], &mut firsts[..m]);
        match *in_order {
            // A plain conversion of the lanes in order (see `first_bits`).
            Some(s) => {
                let s = s as usize;
                let out = ff[s..s + m].iter_mut().zip(&mut cost[s..s + m]);
                for ((d, c), &f) in out.zip(firsts.iter()) {
                    (*d, *c) = (first_bits(f), f64::NAN);
                }
            }
            None => {
                for (&f, &o) in firsts.iter().zip(orig.iter()) {
                    (ff[o as usize], cost[o as usize]) = (first_bits(f), f64::NAN);
                }
            }
        }
        // The positions of the lanes kept (one cheap branch-free pass over every lane), then the
        // kept lanes moved down (a pass over them only; `pos[k] >= k`, so in place).
        let pos = &mut pos[..m];
        let mut kept = 0;
        // Eight lanes at a time: their kept bits index a table of the kept lanes' offsets, written
        // whole (the offsets past the kept ones are overwritten by the next block).
        let blocks = firsts.chunks_exact(8);
        let tail = blocks.remainder();
        for (b, block) in blocks.enumerate() {
            let (offsets, n) = &KEPT_OFFSETS[kept_bits(block, keep_above)];
            let base = (8 * b) as u32;
            // `kept <= 8 * b`, so the eight slots lie within the lanes.
            for (p, &o) in pos[kept..kept + 8].iter_mut().zip(offsets) {
                *p = base + u32::from(o);
            }
            kept += usize::from(*n);
        }
        for (i, &f) in (m - tail.len()..).zip(tail) {
            pos[kept.min(m - 1)] = i as u32;
            kept += usize::from(f > keep_above);
        }
        if kept == m {
            return m;
        }
        // The first compaction of a chunk copies the kept lanes from the input and writes their
        // positions; later ones move them.
        let from = in_order.take();
        if from.is_some() {
            for k in 0..kept {
                let i = pos[k] as usize;
                ids[k] = input.ids[i];
                travel[k] = input.travel[i];
                firsts[k] = firsts[i];
            }
        } else {
            for k in 0..kept {
                let i = pos[k] as usize;
                ids[k] = ids[i];
                travel[k] = travel[i];
                firsts[k] = firsts[i];
            }
        }
        match from {
            Some(s) => {
                for (o, &i) in orig[..kept].iter_mut().zip(&pos[..kept]) {
                    *o = s + i;
                }
            }
            None => {
                for k in 0..kept {
                    orig[k] = orig[pos[k] as usize];
                }
            }
        }
        *epoch += 1;
        *contig = None;
        alias.fill(Alias::Own);
        kept
    }

    /// Runs `instrs` over the `m` lanes: the chunk's input while `input` is given (the lanes
    /// are still in order), else the lanes a compaction moved into the scratch.
    #[allow(clippy::too_many_arguments)]
    fn exec(
        &self,
        instrs: &[Instr],
        checked: &Checked,
        cols: &Columns<'_>,
        t: &mut TicketCtx,
        scratch: &mut Scratch,
        input: Option<Input<'_>>,
        m: usize,
    ) {
        let Scratch {
            regs,
            ids,
            tmp,
            fresh,
            epoch,
            contig,
            alias,
            ..
        } = scratch;
        let (ids, travel_in): (&[u32], &[f64]) = match input {
            Some(i) => (i.ids, i.travel),
            None => (&ids[..m], &[]),
        };
        let start = contig.unwrap_or(0);
        // The operands, read after the output register is taken out of `regs`.
        macro_rules! ops {
            () => {
                Ops {
                    regs,
                    alias,
                    travel: travel_in,
                    cols: &cols.cols,
                    skills: &cols.skill_cols,
                    start,
                    scalars: &t.scalars,
                    m,
                }
            };
        }
        for ins in instrs {
            match *ins {
                Instr::Gather { col, out } => {
                    if fresh[out as usize] == *epoch {
                        continue;
                    }
                    fresh[out as usize] = *epoch;
                    if contig.is_some() {
                        alias[out as usize] = Alias::Col(u32::from(col));
                        continue;
                    }
                    alias[out as usize] = Alias::Own;
                    gather(&mut regs[out as usize][..m], &cols.cols[col as usize], ids);
                }
                Instr::Skill { key, out } => {
                    if fresh[out as usize] == *epoch {
                        continue;
                    }
                    fresh[out as usize] = *epoch;
                    let k = t.scalars[key as usize] as usize;
                    if contig.is_some() {
                        alias[out as usize] = Alias::Skill(k as u32);
                        continue;
                    }
                    alias[out as usize] = Alias::Own;
                    gather(&mut regs[out as usize][..m], &cols.skill_cols[k], ids);
                }
                Instr::Un { op, a, out } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let a = ops!().get(a);
                    match op {
                        Un::Not => lanes1(&mut o[..m], a, |x| b(x != 1.0)),
                        Un::Neg => lanes1(&mut o[..m], a, |x| -x),
                        Un::Abs => lanes1(&mut o[..m], a, f64::abs),
                        Un::Exists => lanes1(&mut o[..m], a, |x| b(!x.is_nan())),
                    }
                    regs[out as usize] = o;
                }
                Instr::Bin { op, a, b: bb, out } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let ops = ops!();
                    let (x, y) = (ops.get(a), ops.get(bb));
                    let o2 = &mut o[..m];
                    by_op!(op, |f| lanes2(o2, x, y, f));
                    regs[out as usize] = o;
                }
                Instr::Scale { v, f, t: to, out } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let ops = ops!();
                    let ops = [ops.get(v), ops.get(f), ops.get(to)];
                    lanes3(&mut o[..m], tmp, ops, grade);
                    regs[out as usize] = o;
                }
                Instr::Select { c, a, b: bb, out } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let ops = ops!();
                    let ops = [ops.get(c), ops.get(a), ops.get(bb)];
                    lanes3(
                        &mut o[..m],
                        tmp,
                        ops,
                        |c, x, y| if c == 1.0 { x } else { y },
                    );
                    regs[out as usize] = o;
                }
                Instr::TravelMinutes { out } => {
                    if fresh[out as usize] == *epoch {
                        continue;
                    }
                    fresh[out as usize] = *epoch;
                    alias[out as usize] = Alias::Own;
                    let speed = checked.speed_kmh;
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let travel = ops!().lane(TRAVEL);
                    for (o, &x) in o[..m].iter_mut().zip(travel) {
                        *o = travel_minutes(x, speed);
                    }
                    regs[out as usize] = o;
                }
                Instr::OnShift {
                    t: tt,
                    start: st,
                    end,
                    out,
                } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let ops = ops!();
                    let ops = [ops.get(tt), ops.get(st), ops.get(end)];
                    lanes3(&mut o[..m], tmp, ops, |tv, sv, ev| {
                        b(sv.is_nan() || (sv <= tv && tv < ev))
                    });
                    regs[out as usize] = o;
                }
                Instr::InTicketSet { a, set, out } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let set = &t.sets[set as usize];
                    let a = ops!().get(a);
                    if set.len() <= 8 {
                        // One vectorised pass per member rather than a search per lane.
                        match a {
                            S::L(x) => {
                                o[..m].fill(0.0);
                                for &y in set {
                                    for (o, &x) in o[..m].iter_mut().zip(x) {
                                        *o = if x == y { 1.0 } else { *o };
                                    }
                                }
                            }
                            S::K(x) => o[..m].fill(b(set.contains(&x))),
                        }
                    } else {
                        lanes1(&mut o[..m], a, |x| {
                            b(set.binary_search_by(|y| y.total_cmp(&x)).is_ok())
                        });
                    }
                    regs[out as usize] = o;
                }
                Instr::InEngineerSet { a, set, out } => {
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let sets = &cols.sets[set as usize];
                    let a = ops!().get(a);
                    for (i, o) in o[..m].iter_mut().enumerate() {
                        let x = at(a, i);
                        *o = b(sets[ids[i] as usize]
                            .binary_search_by(|y| y.total_cmp(&x))
                            .is_ok());
                    }
                    regs[out as usize] = o;
                }
                Instr::Interp { expr, out } => {
                    let e = &self.fallbacks[expr as usize];
                    let mut o = std::mem::take(&mut regs[out as usize]);
                    let travel = match alias[TRAVEL as usize] {
                        Alias::Input => travel_in,
                        _ => &regs[TRAVEL as usize][..m],
                    };
                    for i in 0..m {
                        let g = &cols.views[ids[i] as usize];
                        let env = Env {
                            checked,
                            ticket: &t.view,
                            ticket_location: t.location,
                            engineer: Some(g),
                            travel_km: travel[i],
                            now: t.now,
                        };
                        let v = interp::eval(e, &env);
                        o[i] = t.encode(cols, &v);
                    }
                    regs[out as usize] = o;
                }
                Instr::Check { .. } | Instr::Accumulate { .. } => {}
            }
        }
    }
}

#[inline(always)]
fn at(s: S<'_>, i: usize) -> f64 {
    match s {
        S::L(x) => x[i],
        S::K(x) => x,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use crate::geo::distance_km;
    use crate::model::{Engineer, LatLon, Ticket};
    use crate::rules::{Policy, ScreenScratch};

    const POLICY: &str = r#"
policy "p" version 1
require reach: travel <= 40km
require skill: engineer.skill(ticket.category) >= ticket.min_level
require room:  engineer.open_tickets < engineer.capacity
penalize distance 1 per km: travel
prefer   idle     3: engineer.open_tickets == 0
penalize shallow  1: scale engineer.skill(ticket.category) from 5 to 0
"#;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_445_600, 0).expect("time")
    }

    /// Engineers on a small lattice with an `hvac` level each and some open tickets.
    fn engineers() -> Vec<Engineer> {
        (0..60)
            .map(|i| {
                let mut e = Engineer::new(
                    format!("E{i}"),
                    LatLon::new(
                        52.0 + f64::from(i % 7) * 0.05,
                        4.0 + f64::from(i % 5) * 0.05,
                    ),
                    3,
                );
                e.open_tickets = i % 4;
                e.skills.insert("hvac".into(), (i % 6) as u8);
                e
            })
            .collect()
    }

    /// Screens `t` against every engineer and checks each verdict and cost against the
    /// interpreter's.
    fn screen_exactly(
        eval: &crate::rules::Evaluator<'_>,
        engineers: &[Engineer],
        t: &Ticket,
        scratch: &mut ScreenScratch,
    ) {
        let idx: Vec<u32> = (0..engineers.len() as u32).collect();
        let mut p = eval.ticket(t).expect("ticket");
        let travel: Vec<f64> = (engineers.iter())
            .map(|e| distance_km(t.location, e.location))
            .collect();
        let (mut ff, mut cost) = (vec![0u16; idx.len()], vec![0.0; idx.len()]);
        eval.screen(&mut p, &idx, &travel, &mut ff, &mut cost, scratch);
        for (i, &e) in idx.iter().enumerate() {
            let (first, points) = eval.interpret(&p, e, travel[i]);
            assert_eq!((ff[i] != u16::MAX).then_some(ff[i] as usize), first);
            if first.is_none() {
                assert_eq!(cost[i].to_bits(), points.to_bits());
            }
        }
    }

    /// [`POLICY`] and `longer`, a score that reads the ticket only through its duration: one
    /// separable key per distinct duration.
    fn duration_policy() -> Policy {
        let source = format!(
            "{POLICY}penalize longer 0.01 per min: ticket.duration * engineer.open_tickets\n"
        );
        Policy::parse("p.policy", &source).expect("valid")
    }

    /// A ticket of `duration_policy`'s tests: one place and level, the given duration.
    fn duration_ticket(id: String, minutes: u32) -> Ticket {
        let mut t = Ticket::new(id, LatLon::new(52.1, 4.1), "hvac", now()).with_min_level(2);
        t.duration_min = minutes;
        t
    }

    #[test]
    fn separable_rules_are_computed_for_the_fleet_once_their_key_comes_back() {
        let policy = Policy::parse("p.policy", POLICY).expect("valid");
        let engineers = engineers();
        let eval = policy.evaluator(&engineers, now()).expect("evaluator");
        let mut scratch = ScreenScratch::default();
        // Three tickets with the same category and level (the separable rules' key), a fourth
        // with another level.
        for (k, level) in [2, 2, 2, 4].into_iter().enumerate() {
            let t = Ticket::new(
                format!("T{k}"),
                LatLon::new(52.1 + k as f64 * 0.01, 4.1),
                "hvac",
                now(),
            )
            .with_min_level(level);
            screen_exactly(&eval, &engineers, &t, &mut scratch);
            // Keys are counted from the second ticket on (the first brings a fleet's worth of
            // lanes). The requires' key counts every lane a ticket brings, so the third ticket
            // computes the requires' column. The scores' keys count the lanes the scores ran on,
            // the 30 of 60 engineers the requires let through at level 2: the second and third
            // tickets together bring 60, so the fourth computes `idle`'s and `shallow`'s columns
            // (their keys do not read the level), though not the requires' of its new level.
            let want = [0, 0, 1, 3][k];
            assert_eq!(scratch.computed_columns(), want, "ticket {k}");
        }
    }

    #[test]
    fn hot_keys_that_share_a_slot_replace_each_other_and_the_results_stay_exact() {
        let policy = duration_policy();
        let engineers = engineers();
        let eval = policy.evaluator(&engineers, now()).expect("evaluator");
        let mut scratch = ScreenScratch::default();
        // Six durations in turn, more keys than the table has slots in tests (four): each key
        // comes back often enough to be computed, then is found in the table or, when another
        // key took its slot, in the map, and never computed again.
        let mut computed = 0;
        for round in 0..8 {
            for d in 0..6u32 {
                let t = duration_ticket(format!("T{round}-{d}"), 10 + d);
                screen_exactly(&eval, &engineers, &t, &mut scratch);
            }
            if round == 4 {
                computed = scratch.computed_columns();
                // The requires' column, `idle`'s, `shallow`'s and one per duration.
                assert_eq!(computed, 9, "after five rounds");
            }
        }
        assert_eq!(
            scratch.computed_columns(),
            computed,
            "an outcome was computed again"
        );
        assert!(
            scratch.hot_hits() > 0,
            "the table of hot keys never answered"
        );
    }

    /// More keys than the cache counts (`SEP_KEYS`, 16 in tests): the uncounted keys are dropped
    /// first, then everything once the computed outcomes alone are half as many, and the verdicts
    /// and costs stay those of the interpreter throughout.
    #[test]
    fn the_key_cap_drops_counts_and_outcomes_and_the_results_stay_exact() {
        let policy = duration_policy();
        let engineers = engineers();
        let eval = policy.evaluator(&engineers, now()).expect("evaluator");
        let mut scratch = ScreenScratch::default();
        let (mut most_keys, mut most_computed, mut dropped) = (0, 0, false);
        // Durations in runs of three equal ones (so their keys come due), 30 distinct in all.
        for k in 0..90u32 {
            let t = duration_ticket(format!("T{k}"), 10 + k / 3);
            let before = scratch.computed_columns();
            screen_exactly(&eval, &engineers, &t, &mut scratch);
            dropped |= scratch.computed_columns() < before;
            most_keys = most_keys.max(scratch.counted_keys());
            most_computed = most_computed.max(scratch.computed_columns());
        }
        assert!(most_keys <= super::SEP_KEYS, "{most_keys} keys counted");
        assert!(most_computed >= 8, "only {most_computed} outcomes computed");
        assert!(dropped, "the computed outcomes were never dropped");
    }
}
