//! The syntax tree of a policy. It serialises with serde (spans are left out), so hosts can store
//! and diff policies; [`print`](crate::rules::print) turns it back into source text.

use serde::{Deserialize, Serialize};

use super::diag::Span;

/// A whole policy file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyAst {
    /// The policy's name (`policy "city-it" version 3`).
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Declarations, rules and tests in source order.
    pub items: Vec<Item>,
}

/// One top-level item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    /// `field ticket.x: type`
    Field(FieldDecl),
    /// `region "north": polygon [(lat, lon), ...]`
    Region(RegionDecl),
    /// `speed 40km/h`: the speed that turns travel into travel time.
    Speed(Quantity),
    /// `derive name after other when guard { ticket.x = value }`
    Derive(Derive),
    /// `require name when guard: condition`
    Require(Require),
    /// `prefer` / `penalize` name weight [per unit] when guard: value
    Score(Score),
    /// `limit name [team "x"]: assigned <= bound`
    Limit(Limit),
    /// `test "name" { ... }`
    Test(TestBlock),
}

/// A name with its place in the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Where it was written.
    #[serde(skip)]
    pub span: Span,
}

impl Name {
    pub(crate) fn new(text: impl Into<String>, span: Span) -> Name {
        Name {
            text: text.into(),
            span,
        }
    }
}

/// Ticket or engineer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// The ticket.
    Ticket,
    /// The engineer.
    Engineer,
}

impl Subject {
    /// `ticket` or `engineer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Ticket => "ticket",
            Subject::Engineer => "engineer",
        }
    }
}

/// A declared custom field, read from the item's `attributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDecl {
    /// Whose field.
    pub subject: Subject,
    /// The attribute name.
    pub name: Name,
    /// Its type.
    pub ty: TypeExpr,
}

/// A declared type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TypeExpr {
    /// `bool`
    Bool,
    /// `int` or `int in 0..10`
    Int {
        /// Inclusive range, when declared.
        range: Option<(i64, i64)>,
    },
    /// `float`, `float km`, `float in 0..1`
    Float {
        /// The unit values are given in.
        unit: Option<Unit>,
        /// Inclusive range in that unit, when declared.
        range: Option<(f64, f64)>,
    },
    /// `string`
    String,
    /// `enum { a, b, c }`
    Enum {
        /// The variants, in order (earlier compares lower).
        variants: Vec<String>,
    },
    /// `set` (of strings)
    Set,
    /// `time` (RFC 3339 in attributes)
    Time,
    /// `duration` (minutes in attributes)
    Duration,
    /// `T?`: may be missing.
    Optional {
        /// The present type.
        inner: Box<TypeExpr>,
    },
}

/// A named polygon for territory rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionDecl {
    /// Its name.
    pub name: Name,
    /// Corners as (latitude, longitude) in degrees; the ring closes itself.
    pub polygon: Vec<(f64, f64)>,
}

/// Units of measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Kilometres.
    Km,
    /// Metres.
    M,
    /// Minutes.
    Min,
    /// Hours.
    H,
    /// Days.
    D,
    /// Kilometres per hour.
    KmH,
}

impl Unit {
    /// The source spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Km => "km",
            Unit::M => "m",
            Unit::Min => "min",
            Unit::H => "h",
            Unit::D => "d",
            Unit::KmH => "km/h",
        }
    }

    /// Parses a unit word (not `km/h`, which is two words).
    pub fn from_word(word: &str) -> Option<Unit> {
        Some(match word {
            "km" => Unit::Km,
            "m" => Unit::M,
            "min" => Unit::Min,
            "h" => Unit::H,
            "d" => Unit::D,
            _ => return None,
        })
    }
}

/// A number with an optional unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// The number as written.
    pub value: f64,
    /// Its unit.
    pub unit: Option<Unit>,
}

/// Ticket-only triage: runs once per ticket, before any engineer is looked at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derive {
    /// The rule's name.
    pub name: Name,
    /// Derives that must run before this one.
    pub after: Vec<Name>,
    /// Applies only when this holds.
    pub guard: Option<Expr>,
    /// `ticket.field = value` assignments, in order.
    pub assigns: Vec<Assign>,
}

/// `ticket.field = value`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assign {
    /// The written path, e.g. `["ticket", "priority"]`.
    pub target: Vec<Name>,
    /// The value.
    pub value: Expr,
}

/// A hard filter on a (ticket, engineer) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Require {
    /// The rule's name.
    pub name: Name,
    /// Applies only when this holds.
    pub guard: Option<Expr>,
    /// The pair must satisfy this.
    pub condition: Expr,
}

/// Prefer (lowers cost) or penalize (raises cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// Subtracts from the cost.
    Prefer,
    /// Adds to the cost.
    Penalize,
}

/// A weighted soft preference on a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Prefer or penalize.
    pub kind: ScoreKind,
    /// The rule's name.
    pub name: Name,
    /// Points per unit (or per `true`, or for a full `scale`).
    pub weight: f64,
    /// `per km`, `per ticket`: the unit the value is counted in.
    pub per: Option<Name>,
    /// Applies only when this holds.
    pub guard: Option<Expr>,
    /// The value: a condition, a `scale`, or a quantity.
    pub value: Expr,
}

/// A constraint for the solver: per engineer, or per team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    /// The rule's name.
    pub name: Name,
    /// `team "senior"`: the limit is on the whole team.
    pub team: Option<Name>,
    /// `assigned <= bound`, `engineer.open_tickets + assigned <= bound`, `assigned_hours <= bound`.
    pub constraint: Expr,
}

/// An embedded test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestBlock {
    /// Its name.
    pub name: Name,
    /// `at "2026-03-01T09:00:00Z"`: the `now()` of the test (default: 2026-01-01T09:00:00Z).
    pub at: Option<Name>,
    /// Tickets and engineers.
    pub entities: Vec<TestEntity>,
    /// What must hold.
    pub expects: Vec<Expect>,
}

/// A ticket or engineer written in a test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEntity {
    /// Ticket or engineer.
    pub subject: Subject,
    /// The name it is referred to by (also its id).
    pub name: Name,
    /// `field: value` pairs.
    pub fields: Vec<(Name, Literal)>,
}

/// A value written in a test entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "literal", content = "value", rename_all = "snake_case")]
pub enum Literal {
    /// `true` / `false`
    Bool(bool),
    /// `3`, `40km`, `-2`
    Number(Quantity),
    /// `"text"`
    Str(String),
    /// `vip`, `P1`
    Word(String),
    /// `(42.3, -71.0)`
    Point(f64, f64),
    /// `["a", "b"]`
    List(Vec<Literal>),
    /// `{ network: 5 }`
    Map(Vec<(String, Literal)>),
}

/// What a test expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "expect", rename_all = "snake_case")]
pub enum Expect {
    /// `expect e rejected for t [by rule]`
    Rejected {
        /// The engineer.
        engineer: Name,
        /// The ticket.
        ticket: Name,
        /// The rule expected to reject first.
        by: Option<Name>,
    },
    /// `expect e accepted for t`
    Accepted {
        /// The engineer.
        engineer: Name,
        /// The ticket.
        ticket: Name,
    },
    /// `expect t.priority == P1` (after triage)
    Derived {
        /// The ticket.
        ticket: Name,
        /// The field.
        field: Name,
        /// The expected value.
        value: Literal,
    },
    /// `expect a preferred over b for t` (lower cost)
    Preferred {
        /// The engineer expected to cost less.
        better: Name,
        /// The other engineer.
        worse: Name,
        /// The ticket.
        ticket: Name,
    },
}

/// An expression with its place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

impl Expr {
    pub(crate) fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnOp {
    /// `!x`
    Not,
    /// `-x`
    Neg,
}

/// Binary operators, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in` (set membership)
    In,
    /// `??` (value or default)
    Coalesce,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (x / 0 is 0)
    Div,
}

impl BinOp {
    /// The source spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Coalesce => "??",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::In => 4,
            BinOp::Coalesce => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div => 7,
        }
    }

    /// Comparisons do not chain.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// A `match` arm's pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "pattern", content = "values", rename_all = "snake_case")]
pub enum Pattern {
    /// `_`
    Wildcard,
    /// `a | b | c` (literals: numbers, strings, enum words)
    Values(Vec<Expr>),
    /// `lo..hi` (inclusive numbers)
    Range(Expr, Expr),
}

/// `pattern => value`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// The pattern.
    pub pattern: Pattern,
    /// The value when it matches.
    pub value: Expr,
    /// Where the pattern is.
    #[serde(skip)]
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "expr", rename_all = "snake_case")]
pub enum ExprKind {
    /// A number, maybe with a unit.
    Number(Quantity),
    /// A string literal.
    Str {
        /// The text.
        value: String,
    },
    /// `true` / `false`.
    Bool {
        /// The value.
        value: bool,
    },
    /// A bare word: `ticket`, `engineer`, `travel`, `assigned`, an enum variant.
    Word {
        /// The word.
        name: String,
    },
    /// `base.name`
    Field {
        /// What the field is read from.
        base: Box<Expr>,
        /// The field.
        name: Name,
    },
    /// `name(args)` or `base.name(args)`.
    Call {
        /// The receiver of a method call.
        receiver: Option<Box<Expr>>,
        /// The function or method.
        name: Name,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `!x`, `-x`
    Unary {
        /// The operator.
        op: UnOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `a op b`
    Binary {
        /// The operator.
        op: BinOp,
        /// Left.
        lhs: Box<Expr>,
        /// Right.
        rhs: Box<Expr>,
    },
    /// `scale x from a to b`: 0 at `a`, 1 at `b`, linear between, clamped.
    Scale {
        /// The value.
        value: Box<Expr>,
        /// Where the grade is 0.
        from: Box<Expr>,
        /// Where the grade is 1.
        to: Box<Expr>,
    },
    /// `if c then a else b`
    If {
        /// Condition.
        cond: Box<Expr>,
        /// Value when true.
        then: Box<Expr>,
        /// Value when false.
        otherwise: Box<Expr>,
    },
    /// `match subject { pattern => value, ... }`: a decision table, first matching arm wins.
    Match {
        /// The value matched.
        subject: Box<Expr>,
        /// The arms.
        arms: Vec<Arm>,
    },
}
