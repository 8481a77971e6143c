//! The routing-rule language: policies that are parsed, checked before they run, compiled to a
//! fast columnar program, and explained.
//!
//! A policy runs in four phases, once each and in order, with no re-firing: **derive** (ticket-only
//! triage) → **require** (hard filter on a pair) → **prefer / penalize** (score on a pair) →
//! **limit** (constraints handed to the solver).
//!
//! ```
//! use dispatchkit::rules::Policy;
//!
//! let policy = Policy::parse("city.policy", r#"
//! policy "city-it" version 3
//! field ticket.contract: enum { standard, gold, vip }
//!
//! derive vip_first when ticket.contract == vip {
//!     ticket.priority = P1
//!     ticket.team = "senior"
//! }
//! require reach: travel <= 40km
//! require skill: engineer.skill(ticket.category) >= 3
//! require team when exists(ticket.team): engineer.team ?? "" == ticket.team
//! penalize distance 1 per km: travel
//! prefer expertise 4: scale engineer.skill(ticket.category) from 3 to 5
//! limit capacity: engineer.open_tickets + assigned <= 6
//!
//! test "vip goes to the senior team" {
//!     ticket t { contract: vip, category: "network" }
//!     engineer e { team: "regular", skills: { network: 5 } }
//!     expect e rejected for t by team
//! }
//! "#).unwrap();
//! assert_eq!(policy.tests_passed(), 1);
//! ```
//!
//! # Grammar
//!
//! ```text
//! policy   := 'policy' STRING 'version' INT item*
//! item     := field | region | speed | derive | require | score | limit | test
//! field    := 'field' ('ticket'|'engineer') '.' NAME ':' type
//! type     := ('bool' | 'int' ['in' INT '..' INT] | 'float' [UNIT] ['in' NUM '..' NUM]
//!             | 'string' | 'enum' '{' NAME (',' NAME)* '}' | 'set' | 'time' | 'duration') ['?']
//! region   := 'region' STRING ':' 'polygon' '[' '(' LAT ',' LON ')' (',' ...)* ']'
//! speed    := 'speed' NUM 'km/h'                       (turns travel into travel_time; default 40)
//! derive   := 'derive' NAME ['after' NAME (',' NAME)*] ['when' expr] '{' ('ticket.' NAME '=' expr)* '}'
//! require  := 'require' NAME ['when' expr] ':' expr
//! score    := ('prefer' | 'penalize') NAME NUM ['per' (UNIT | NAME)] ['when' expr] ':' expr
//! limit    := 'limit' NAME ['team' STRING] ':' used ('<=' | '<') expr
//! used     := 'assigned' | 'assigned_hours' | expr '+' 'assigned' | expr '+' 'assigned_hours'
//! test     := 'test' STRING '{' ('at' STRING | ('ticket'|'engineer') NAME '{' (NAME ':' literal)* '}'
//!             | 'expect' NAME 'rejected' 'for' NAME ['by' NAME] | 'expect' NAME 'accepted' 'for' NAME
//!             | 'expect' NAME 'preferred' 'over' NAME 'for' NAME | 'expect' NAME '.' NAME '==' literal)* '}'
//! expr     := or;  or := and ('||' and)*;  and := cmp ('&&' cmp)*
//! cmp      := coalesce [('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') coalesce]   (no chaining)
//! coalesce := add ('??' add)*;  add := mul (('+'|'-') mul)*;  mul := unary (('*'|'/') unary)*
//! unary    := ('!' | '-') unary | postfix;  postfix := primary ('.' NAME ['(' args ')'])*
//! primary  := NUM [UNIT] | STRING | 'true' | 'false' | NAME | NAME '(' args ')' | '(' expr ')'
//!           | 'scale' expr 'from' expr 'to' expr | 'if' expr 'then' expr 'else' expr
//!           | 'match' expr '{' (pattern '=>' expr [','])* '}'
//! pattern  := '_' | value ('|' value)* | NUM '..' NUM
//! UNIT     := 'km' | 'm' | 'min' | 'h' | 'd' | 'km/h'
//! ```
//!
//! Comments run from `#` to the end of the line. `x / 0` is `0`: the language is total (no loops,
//! no recursion, no I/O, no errors at run time).
//!
//! # Built-ins
//! - Ticket: `id`, `category` (the required skill), `min_level` (0–5), `priority` (P1–P4),
//!   `created_at`, `sla_due?`, `duration`, `team?`, `escalated`, `customer.id?`, `customer.tier`
//!   (standard, gold, vip), `customer.last_engineer?`, `customer.excluded_engineers` (set),
//!   `pinned_engineer?`, `region?` (the first region whose polygon holds the ticket),
//!   `ticket.in_region("name")`.
//! - Engineer: `id`, `team?`, `territory?`, `capacity`, `open_tickets`, `shift_start?`,
//!   `shift_end?`, `last_assigned_at?`, `skills` (set of names), `region?`,
//!   `engineer.skill(name)` (0–5, 0 when absent), `engineer.on_shift(time)`,
//!   `engineer.in_region("name")`.
//! - Pair: `travel` (great-circle km), `travel_time` (minutes: `travel × (60 / speed)`, at the
//!   policy's `speed`).
//! - `now()`, `exists(x)`, `min(a, b)`, `max(a, b)`, `abs(x)`; in limits `assigned`,
//!   `assigned_hours`.
//! - Declared fields read the item's `attributes` (times as RFC 3339 strings, durations as minutes,
//!   floats with a unit in that unit).
//!
//! # Checks
//! Unknown names (with "did you mean"), types and units, optional reads without `exists`/`??`/a
//! guard, derives that write engineer fields or read the engineer, two derives writing one field
//! without disjoint guards or `after`, `after` cycles, rules that can never pass or apply (from
//! declared ranges), unreachable or overlapping `match` arms and non-exhaustive matches, unbounded
//! scores (and a warning when one dwarfs the others), limits of the wrong shape, failing embedded
//! tests, and the [`Limits`] on size.
//!
//! # Evaluation
//! Every sub-expression is classified by what it depends on (constant, ticket, engineer, pair).
//! Ticket-only work runs once per ticket, engineer-only work once per engineer (as columns), and
//! only the pair part runs per pair, as a flat program over lanes. The reference interpreter
//! ([`Evaluator::interpret`], [`Policy::explain`]) must agree with it exactly (tested).

mod ast;
mod check;
mod compile;
mod diag;
mod interp;
mod lexer;
mod parser;
mod policy;
mod print;
mod schema;
mod value;

pub use ast::{
    Arm, Assign, BinOp, Derive, Expect, Expr, ExprKind, FieldDecl, Item, Limit, Literal, Name,
    Pattern, PolicyAst, Quantity, RegionDecl, Require, Score, ScoreKind, Subject, TestBlock,
    TestEntity, TypeExpr, UnOp, Unit,
};
pub use check::LimitMeasure;
/// A compiled pair program (for the ranking's score-by-score breakdown).
pub(crate) use compile::Program;
pub use diag::{Diagnostic, Diagnostics, Severity, Span};
pub use policy::{
    DEFAULT_POLICY, Evaluator, Explanation, LimitSpec, Policy, PreparedTicket, ProgramStats,
    RuleKind, RuleVerdict, ScreenScratch, Triage,
};
pub use print::{print, print_expr};

use serde::{Deserialize, Serialize};

use crate::model::LatLon;

/// Size limits on a policy. Exceeding one is an error with a position, never a stack overflow or
/// a hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest source, in bytes. Default 1 MiB.
    pub max_source_bytes: usize,
    /// Deepest nesting of expressions. Default 64.
    pub max_depth: usize,
    /// Most expression nodes in one rule. Default 2,000.
    pub max_expr_nodes: usize,
    /// Most rules and tests. Default 1,000.
    pub max_rules: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_source_bytes: 1 << 20,
            max_depth: 64,
            max_expr_nodes: 2_000,
            max_rules: 1_000,
        }
    }
}

/// A named polygon given by the host (for example a district from GeoJSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// The name rules refer to.
    pub name: String,
    /// Corners; the ring closes itself.
    pub polygon: Vec<LatLon>,
}

/// How a policy is made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Size limits.
    pub limits: Limits,
    /// Regions beyond those the policy declares.
    pub regions: Vec<Region>,
}

/// Parses one expression (for hosts and tools that work on single conditions).
///
/// # Errors
/// Syntax errors with positions.
pub fn parse_expr(source: &str) -> Result<Expr, Diagnostics> {
    parser::parse_expr(source, &Limits::default())
        .map_err(|d| Diagnostics::new("<expression>", source, d))
}

/// Parses a policy into its syntax tree without checking it.
///
/// # Errors
/// Syntax errors with positions.
pub fn parse_ast(origin: &str, source: &str, limits: &Limits) -> Result<PolicyAst, Diagnostics> {
    parser::parse(source, limits).map_err(|d| Diagnostics::new(origin, source, d))
}
