//! Recursive-descent parser with a depth limit: deep nesting is an error with a position, never a
//! stack overflow. Syntax errors recover at the next top-level keyword, so one run reports them all.

use super::Limits;
use super::ast::*;
use super::diag::{Diagnostic, Span};
use super::lexer::{Tok, Token, lex};

const ITEM_KEYWORDS: [&str; 9] = [
    "field", "region", "speed", "derive", "require", "prefer", "penalize", "limit", "test",
];

/// Parses a policy. Returns the tree and every syntax error found.
pub(crate) fn parse(source: &str, limits: &Limits) -> Result<PolicyAst, Vec<Diagnostic>> {
    if source.len() > limits.max_source_bytes {
        return Err(vec![
            Diagnostic::error(
                format!(
                    "policy is {} bytes; the limit is {} bytes",
                    source.len(),
                    limits.max_source_bytes
                ),
                Span::new(limits.max_source_bytes, limits.max_source_bytes),
            )
            .help("raise `Limits::max_source_bytes` or split the policy"),
        ]);
    }
    let (tokens, lex_diags) = lex(source);
    let mut p = Parser {
        tokens,
        pos: 0,
        diags: lex_diags,
        limits,
        depth: 0,
        nodes: 0,
    };
    let ast = p.policy();
    if p.diags.is_empty() {
        ast.ok_or_else(Vec::new)
    } else {
        Err(p.diags)
    }
}

/// Parses one expression (used by tests and hosts that evaluate single conditions).
pub(crate) fn parse_expr(source: &str, limits: &Limits) -> Result<Expr, Vec<Diagnostic>> {
    let (tokens, lex_diags) = lex(source);
    if !lex_diags.is_empty() {
        return Err(lex_diags);
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        diags: Vec::new(),
        limits,
        depth: 0,
        nodes: 0,
    };
    let e = p.expr().ok();
    if let (Some(e), true) = (&e, p.diags.is_empty()) {
        if p.peek() == &Tok::Eof {
            return Ok(e.clone());
        }
        let span = p.span();
        return Err(vec![Diagnostic::error(
            "expected the end of the expression",
            span,
        )]);
    }
    Err(p.diags)
}

struct Parser<'l> {
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    limits: &'l Limits,
    depth: usize,
    nodes: usize,
}

/// Marker: a diagnostic was pushed; unwind to the item level.
struct Bail;

type P<T> = Result<T, Bail>;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.tokens[(self.pos + k).min(self.tokens.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.tokens[self.pos].span
    }

    fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x == w)
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(x) if *x == p)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let yes = self.is_word(w);
        if yes {
            self.bump();
        }
        yes
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.is_punct(p);
        if yes {
            self.bump();
        }
        yes
    }

    fn fail<T>(&mut self, what: &str) -> P<T> {
        let span = self.span();
        let found = describe(self.peek());
        self.diags.push(Diagnostic::error(
            format!("expected {what}, found {found}"),
            span,
        ));
        Err(Bail)
    }

    fn expect_word(&mut self, w: &str) -> P<()> {
        if self.eat_word(w) {
            Ok(())
        } else {
            self.fail(&format!("`{w}`"))
        }
    }

    fn expect_punct(&mut self, p: &str) -> P<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            self.fail(&format!("`{p}`"))
        }
    }

    fn name(&mut self, what: &str) -> P<Name> {
        match self.peek().clone() {
            Tok::Word(w) => {
                let t = self.bump();
                Ok(Name::new(w, t.span))
            }
            _ => self.fail(what),
        }
    }

    fn string(&mut self, what: &str) -> P<Name> {
        match self.peek().clone() {
            Tok::Str(s) => {
                let t = self.bump();
                Ok(Name::new(s, t.span))
            }
            _ => self.fail(what),
        }
    }

    fn number(&mut self) -> P<f64> {
        let neg = self.eat_punct("-");
        match *self.peek() {
            Tok::Num(v) => {
                self.bump();
                Ok(if neg { -v } else { v })
            }
            _ => self.fail("a number"),
        }
    }

    fn unit(&mut self) -> Option<Unit> {
        let Tok::Word(w) = self.peek() else {
            return None;
        };
        let unit = Unit::from_word(w)?;
        self.bump();
        if unit == Unit::Km
            && self.is_punct("/")
            && matches!(self.peek_at(1), Tok::Word(h) if h == "h")
        {
            self.bump();
            self.bump();
            return Some(Unit::KmH);
        }
        Some(unit)
    }

    fn policy(&mut self) -> Option<PolicyAst> {
        let header = (|| -> P<(String, u32)> {
            self.expect_word("policy")?;
            let name = self.string("the policy's name in quotes")?;
            self.expect_word("version")?;
            let span = self.span();
            let v = self.number()?;
            if v < 0.0 || v.fract() != 0.0 || v > f64::from(u32::MAX) {
                self.diags.push(Diagnostic::error(
                    "the version must be a whole number",
                    span,
                ));
                return Err(Bail);
            }
            Ok((name.text, v as u32))
        })();
        let Ok((name, version)) = header else {
            return None;
        };
        let mut items = Vec::new();
        let mut rules = 0usize;
        while self.peek() != &Tok::Eof {
            let start = self.span();
            self.nodes = 0;
            match self.item() {
                Ok(item) => {
                    if !matches!(item, Item::Field(_) | Item::Region(_) | Item::Speed(_)) {
                        rules += 1;
                        if rules == self.limits.max_rules + 1 {
                            self.diags.push(
                                Diagnostic::error(
                                    format!("more than {} rules and tests", self.limits.max_rules),
                                    start,
                                )
                                .help("raise `Limits::max_rules` or split the policy"),
                            );
                        }
                    }
                    items.push(item);
                }
                Err(Bail) => self.recover(),
            }
            if self.diags.len() > 100 {
                break;
            }
        }
        Some(PolicyAst {
            name,
            version,
            items,
        })
    }

    /// Skips to the next top-level keyword outside braces.
    fn recover(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => depth -= 1,
                Tok::Word(w) if depth <= 0 && ITEM_KEYWORDS.contains(&w.as_str()) => return,
                _ => {}
            }
            self.bump();
        }
    }

    fn item(&mut self) -> P<Item> {
        let Tok::Word(kw) = self.peek().clone() else {
            return self.fail("a declaration, rule or test");
        };
        match kw.as_str() {
            "field" => {
                self.bump();
                let subject = self.subject()?;
                self.expect_punct(".")?;
                let name = self.name("a field name")?;
                self.expect_punct(":")?;
                let ty = self.type_expr()?;
                Ok(Item::Field(FieldDecl { subject, name, ty }))
            }
            "region" => {
                self.bump();
                let name = self.string("the region's name in quotes")?;
                self.expect_punct(":")?;
                self.expect_word("polygon")?;
                self.expect_punct("[")?;
                let mut polygon = Vec::new();
                while !self.is_punct("]") {
                    self.expect_punct("(")?;
                    let lat = self.number()?;
                    self.expect_punct(",")?;
                    let lon = self.number()?;
                    self.expect_punct(")")?;
                    polygon.push((lat, lon));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct("]")?;
                Ok(Item::Region(RegionDecl { name, polygon }))
            }
            "speed" => {
                self.bump();
                let value = self.number()?;
                let unit = self.unit();
                Ok(Item::Speed(Quantity { value, unit }))
            }
            "derive" => {
                self.bump();
                let name = self.name("the rule's name")?;
                let mut after = Vec::new();
                if self.eat_word("after") {
                    after.push(self.name("a derive rule's name")?);
                    while self.eat_punct(",") {
                        after.push(self.name("a derive rule's name")?);
                    }
                }
                let guard = self.guard()?;
                self.expect_punct("{")?;
                let mut assigns = Vec::new();
                while !self.is_punct("}") {
                    let mut target = vec![self.name("`ticket.<field> = <value>`")?];
                    while self.eat_punct(".") {
                        target.push(self.name("a field name")?);
                    }
                    self.expect_punct("=")?;
                    let value = self.expr()?;
                    assigns.push(Assign { target, value });
                }
                self.expect_punct("}")?;
                Ok(Item::Derive(Derive {
                    name,
                    after,
                    guard,
                    assigns,
                }))
            }
            "require" => {
                self.bump();
                let name = self.name("the rule's name")?;
                let guard = self.guard()?;
                self.expect_punct(":")?;
                let condition = self.expr()?;
                Ok(Item::Require(Require {
                    name,
                    guard,
                    condition,
                }))
            }
            "prefer" | "penalize" => {
                self.bump();
                let kind = if kw == "prefer" {
                    ScoreKind::Prefer
                } else {
                    ScoreKind::Penalize
                };
                let name = self.name("the rule's name")?;
                let weight = self.number()?;
                let per = if self.eat_word("per") {
                    let start = self.span();
                    Some(match self.unit() {
                        Some(u) => Name::new(u.as_str(), start.to(self.prev_span())),
                        None => self.name("a unit or a word (`per km`, `per ticket`)")?,
                    })
                } else {
                    None
                };
                let guard = self.guard()?;
                self.expect_punct(":")?;
                let value = self.expr()?;
                Ok(Item::Score(Score {
                    kind,
                    name,
                    weight,
                    per,
                    guard,
                    value,
                }))
            }
            "limit" => {
                self.bump();
                let name = self.name("the limit's name")?;
                let team = if self.eat_word("team") {
                    Some(self.string("the team's name in quotes")?)
                } else {
                    None
                };
                self.expect_punct(":")?;
                let constraint = self.expr()?;
                Ok(Item::Limit(Limit {
                    name,
                    team,
                    constraint,
                }))
            }
            "test" => {
                self.bump();
                self.test_block().map(Item::Test)
            }
            _ => self.fail("a declaration, rule or test"),
        }
    }

    fn subject(&mut self) -> P<Subject> {
        if self.eat_word("ticket") {
            Ok(Subject::Ticket)
        } else if self.eat_word("engineer") {
            Ok(Subject::Engineer)
        } else {
            self.fail("`ticket` or `engineer`")
        }
    }

    fn guard(&mut self) -> P<Option<Expr>> {
        if self.eat_word("when") {
            self.expr().map(Some)
        } else {
            Ok(None)
        }
    }

    fn type_expr(&mut self) -> P<TypeExpr> {
        let Tok::Word(w) = self.peek().clone() else {
            return self.fail("a type");
        };
        self.bump();
        let ty = match w.as_str() {
            "bool" => TypeExpr::Bool,
            "int" => {
                let range = if self.eat_word("in") {
                    let lo = self.number()?;
                    self.expect_punct("..")?;
                    let hi = self.number()?;
                    if lo.fract() != 0.0 || hi.fract() != 0.0 {
                        let span = self.prev_span();
                        self.diags
                            .push(Diagnostic::error("an int range needs whole numbers", span));
                        return Err(Bail);
                    }
                    Some((lo as i64, hi as i64))
                } else {
                    None
                };
                TypeExpr::Int { range }
            }
            "float" => {
                let unit = self.unit();
                let range = if self.eat_word("in") {
                    let lo = self.number()?;
                    self.expect_punct("..")?;
                    let hi = self.number()?;
                    Some((lo, hi))
                } else {
                    None
                };
                TypeExpr::Float { unit, range }
            }
            "string" => TypeExpr::String,
            "set" => TypeExpr::Set,
            "time" => TypeExpr::Time,
            "duration" => TypeExpr::Duration,
            "enum" => {
                self.expect_punct("{")?;
                let mut variants = Vec::new();
                while !self.is_punct("}") {
                    variants.push(self.name("a variant name")?.text);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct("}")?;
                TypeExpr::Enum { variants }
            }
            _ => {
                self.pos -= 1;
                return self.fail("a type (bool, int, float, string, enum, set, time, duration)");
            }
        };
        if self.eat_punct("?") {
            return Ok(TypeExpr::Optional {
                inner: Box::new(ty),
            });
        }
        Ok(ty)
    }

    fn test_block(&mut self) -> P<TestBlock> {
        let name = self.string("the test's name in quotes")?;
        self.expect_punct("{")?;
        let mut block = TestBlock {
            name,
            at: None,
            entities: Vec::new(),
            expects: Vec::new(),
        };
        while !self.is_punct("}") {
            if self.eat_word("at") {
                block.at = Some(self.string("a time in quotes (RFC 3339)")?);
            } else if self.is_word("ticket") || self.is_word("engineer") {
                let subject = self.subject()?;
                let name = self.name("a name")?;
                let fields = self.literal_fields()?;
                block.entities.push(TestEntity {
                    subject,
                    name,
                    fields,
                });
            } else if self.eat_word("expect") {
                let first = self.name("an engineer or ticket name")?;
                if self.eat_punct(".") {
                    let field = self.name("a ticket field")?;
                    self.expect_punct("==")?;
                    let value = self.literal()?;
                    block.expects.push(Expect::Derived {
                        ticket: first,
                        field,
                        value,
                    });
                } else if self.eat_word("rejected") {
                    self.expect_word("for")?;
                    let ticket = self.name("a ticket name")?;
                    let by = if self.eat_word("by") {
                        Some(self.name("a rule name")?)
                    } else {
                        None
                    };
                    block.expects.push(Expect::Rejected {
                        engineer: first,
                        ticket,
                        by,
                    });
                } else if self.eat_word("accepted") {
                    self.expect_word("for")?;
                    let ticket = self.name("a ticket name")?;
                    block.expects.push(Expect::Accepted {
                        engineer: first,
                        ticket,
                    });
                } else if self.eat_word("preferred") {
                    self.expect_word("over")?;
                    let worse = self.name("an engineer name")?;
                    self.expect_word("for")?;
                    let ticket = self.name("a ticket name")?;
                    block.expects.push(Expect::Preferred {
                        better: first,
                        worse,
                        ticket,
                    });
                } else {
                    return self.fail("`rejected`, `accepted`, `preferred` or `.field ==`");
                }
            } else {
                return self.fail("`ticket`, `engineer`, `at`, `expect` or `}`");
            }
        }
        self.expect_punct("}")?;
        Ok(block)
    }

    fn literal_fields(&mut self) -> P<Vec<(Name, Literal)>> {
        self.expect_punct("{")?;
        let mut fields = Vec::new();
        while !self.is_punct("}") {
            let name = self.name("a field name")?;
            self.expect_punct(":")?;
            let value = self.literal()?;
            fields.push((name, value));
            self.eat_punct(",");
        }
        self.expect_punct("}")?;
        Ok(fields)
    }

    fn enter(&mut self) -> P<()> {
        self.depth += 1;
        self.nodes += 1;
        if self.depth > self.limits.max_depth {
            let span = self.span();
            self.diags.push(
                Diagnostic::error(
                    format!("nested deeper than {} levels", self.limits.max_depth),
                    span,
                )
                .help("raise `Limits::max_depth` or split the expression"),
            );
            return Err(Bail);
        }
        if self.nodes > self.limits.max_expr_nodes {
            let span = self.span();
            self.diags.push(
                Diagnostic::error(
                    format!(
                        "rule has more than {} expression nodes",
                        self.limits.max_expr_nodes
                    ),
                    span,
                )
                .help("raise `Limits::max_expr_nodes` or split the rule"),
            );
            return Err(Bail);
        }
        Ok(())
    }

    fn literal(&mut self) -> P<Literal> {
        self.enter()?;
        let r = self.literal_inner();
        self.depth -= 1;
        r
    }

    fn literal_inner(&mut self) -> P<Literal> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(Literal::Str(s))
            }
            Tok::Num(_) | Tok::Punct("-") => {
                let value = self.number()?;
                let unit = self.unit();
                Ok(Literal::Number(Quantity { value, unit }))
            }
            Tok::Word(w) => {
                self.bump();
                Ok(match w.as_str() {
                    "true" => Literal::Bool(true),
                    "false" => Literal::Bool(false),
                    _ => Literal::Word(w),
                })
            }
            Tok::Punct("(") => {
                self.bump();
                let lat = self.number()?;
                self.expect_punct(",")?;
                let lon = self.number()?;
                self.expect_punct(")")?;
                Ok(Literal::Point(lat, lon))
            }
            Tok::Punct("[") => {
                self.bump();
                let mut items = Vec::new();
                while !self.is_punct("]") {
                    items.push(self.literal()?);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct("]")?;
                Ok(Literal::List(items))
            }
            Tok::Punct("{") => {
                let fields = self.literal_fields()?;
                Ok(Literal::Map(
                    fields.into_iter().map(|(n, v)| (n.text, v)).collect(),
                ))
            }
            _ => self.fail("a value"),
        }
    }

    pub(crate) fn expr(&mut self) -> P<Expr> {
        self.binary(1)
    }

    fn binary(&mut self, min_prec: u8) -> P<Expr> {
        self.enter()?;
        let r = self.binary_inner(min_prec);
        self.depth -= 1;
        r
    }

    fn binary_inner(&mut self, min_prec: u8) -> P<Expr> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.peek_binop() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            let op_span = self.span();
            self.bump();
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            );
            if op.is_comparison() && self.peek_binop().is_some_and(BinOp::is_comparison) {
                let span = self.span();
                self.diags.push(
                    Diagnostic::error("comparisons do not chain", span.to(op_span))
                        .help("join two comparisons with `&&`"),
                );
                return Err(Bail);
            }
        }
        Ok(lhs)
    }

    fn peek_binop(&self) -> Option<BinOp> {
        Some(match self.peek() {
            Tok::Punct("||") => BinOp::Or,
            Tok::Punct("&&") => BinOp::And,
            Tok::Word(w) if w == "or" => BinOp::Or,
            Tok::Word(w) if w == "and" => BinOp::And,
            Tok::Punct("==") => BinOp::Eq,
            Tok::Punct("!=") => BinOp::Ne,
            Tok::Punct("<") => BinOp::Lt,
            Tok::Punct("<=") => BinOp::Le,
            Tok::Punct(">") => BinOp::Gt,
            Tok::Punct(">=") => BinOp::Ge,
            Tok::Word(w) if w == "in" => BinOp::In,
            Tok::Punct("??") => BinOp::Coalesce,
            Tok::Punct("+") => BinOp::Add,
            Tok::Punct("-") => BinOp::Sub,
            Tok::Punct("*") => BinOp::Mul,
            Tok::Punct("/") => BinOp::Div,
            _ => return None,
        })
    }

    fn unary(&mut self) -> P<Expr> {
        let start = self.span();
        let op = if self.eat_punct("!") || self.eat_word("not") {
            UnOp::Not
        } else if self.eat_punct("-") {
            UnOp::Neg
        } else {
            return self.postfix();
        };
        self.enter()?;
        let operand = self.unary();
        self.depth -= 1;
        let operand = operand?;
        let span = start.to(operand.span);
        Ok(Expr::new(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    fn postfix(&mut self) -> P<Expr> {
        let mut e = self.primary()?;
        while self.eat_punct(".") {
            self.enter()?;
            self.depth -= 1;
            let name = self.name("a field or method name")?;
            if self.is_punct("(") {
                let args = self.args()?;
                let span = e.span.to(self.prev_span());
                e = Expr::new(
                    ExprKind::Call {
                        receiver: Some(Box::new(e)),
                        name,
                        args,
                    },
                    span,
                );
            } else {
                let span = e.span.to(name.span);
                e = Expr::new(
                    ExprKind::Field {
                        base: Box::new(e),
                        name,
                    },
                    span,
                );
            }
        }
        Ok(e)
    }

    fn args(&mut self) -> P<Vec<Expr>> {
        self.expect_punct("(")?;
        let mut args = Vec::new();
        while !self.is_punct(")") {
            args.push(self.expr()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        Ok(args)
    }

    fn primary(&mut self) -> P<Expr> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Num(value) => {
                self.bump();
                let unit = self.unit();
                Ok(Expr::new(
                    ExprKind::Number(Quantity { value, unit }),
                    start.to(self.prev_span()),
                ))
            }
            Tok::Str(value) => {
                self.bump();
                Ok(Expr::new(ExprKind::Str { value }, start))
            }
            Tok::Punct("(") => {
                self.bump();
                let mut e = self.expr()?;
                self.expect_punct(")")?;
                e.span = start.to(self.prev_span());
                Ok(e)
            }
            Tok::Word(w) => match w.as_str() {
                "true" | "false" => {
                    self.bump();
                    Ok(Expr::new(ExprKind::Bool { value: w == "true" }, start))
                }
                "scale" => {
                    self.bump();
                    let value = self.expr()?;
                    self.expect_word("from")?;
                    let from = self.expr()?;
                    self.expect_word("to")?;
                    let to = self.expr()?;
                    let span = start.to(to.span);
                    Ok(Expr::new(
                        ExprKind::Scale {
                            value: Box::new(value),
                            from: Box::new(from),
                            to: Box::new(to),
                        },
                        span,
                    ))
                }
                "if" => {
                    self.bump();
                    let cond = self.expr()?;
                    self.expect_word("then")?;
                    let then = self.expr()?;
                    self.expect_word("else")?;
                    let otherwise = self.expr()?;
                    let span = start.to(otherwise.span);
                    Ok(Expr::new(
                        ExprKind::If {
                            cond: Box::new(cond),
                            then: Box::new(then),
                            otherwise: Box::new(otherwise),
                        },
                        span,
                    ))
                }
                "match" => {
                    self.bump();
                    let subject = self.expr()?;
                    self.expect_punct("{")?;
                    let mut arms = Vec::new();
                    while !self.is_punct("}") {
                        let pstart = self.span();
                        let pattern = if self.is_word("_") {
                            self.bump();
                            Pattern::Wildcard
                        } else {
                            let first = self.binary(6)?;
                            if self.eat_punct("..") {
                                let hi = self.binary(6)?;
                                Pattern::Range(first, hi)
                            } else {
                                let mut values = vec![first];
                                while self.eat_punct("|") {
                                    values.push(self.binary(6)?);
                                }
                                Pattern::Values(values)
                            }
                        };
                        let span = pstart.to(self.prev_span());
                        self.expect_punct("=>")?;
                        let value = self.expr()?;
                        arms.push(Arm {
                            pattern,
                            value,
                            span,
                        });
                        self.eat_punct(",");
                    }
                    self.expect_punct("}")?;
                    Ok(Expr::new(
                        ExprKind::Match {
                            subject: Box::new(subject),
                            arms,
                        },
                        start.to(self.prev_span()),
                    ))
                }
                _ if is_reserved(&w)
                    && !(w == "min" && matches!(self.peek_at(1), Tok::Punct("("))) =>
                {
                    self.fail("an expression")
                }
                _ => {
                    self.bump();
                    if self.is_punct("(") {
                        let args = self.args()?;
                        Ok(Expr::new(
                            ExprKind::Call {
                                receiver: None,
                                name: Name::new(w, start),
                                args,
                            },
                            start.to(self.prev_span()),
                        ))
                    } else {
                        Ok(Expr::new(ExprKind::Word { name: w }, start))
                    }
                }
            },
            _ => self.fail("an expression"),
        }
    }
}

/// Words that cannot name a value.
pub(crate) fn is_reserved(w: &str) -> bool {
    matches!(
        w,
        "policy"
            | "version"
            | "field"
            | "region"
            | "derive"
            | "require"
            | "prefer"
            | "penalize"
            | "limit"
            | "test"
            | "when"
            | "after"
            | "per"
            | "from"
            | "to"
            | "then"
            | "else"
            | "in"
            | "and"
            | "or"
            | "not"
            | "expect"
    ) || Unit::from_word(w).is_some()
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Num(n) => format!("number `{n}`"),
        Tok::Str(_) => "a string".to_string(),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::Eof => "the end of the policy".to_string(),
    }
}
