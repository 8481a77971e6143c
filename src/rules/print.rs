//! Prints a syntax tree back to canonical source text: `parse(print(ast)) == ast`.

use std::fmt::Write;

use super::ast::*;

/// The canonical source text of a policy.
pub fn print(ast: &PolicyAst) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "policy {} version {}", quote(&ast.name), ast.version);
    for item in &ast.items {
        out.push('\n');
        item_text(&mut out, item);
    }
    out
}

/// The canonical source text of one expression.
pub fn print_expr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e, 0);
    out
}

fn item_text(out: &mut String, item: &Item) {
    match item {
        Item::Field(f) => {
            let _ = writeln!(
                out,
                "field {}.{}: {}",
                f.subject.as_str(),
                f.name.text,
                type_text(&f.ty)
            );
        }
        Item::Region(r) => {
            let corners: Vec<String> = r
                .polygon
                .iter()
                .map(|(lat, lon)| format!("({lat}, {lon})"))
                .collect();
            let _ = writeln!(
                out,
                "region {}: polygon [{}]",
                quote(&r.name.text),
                corners.join(", ")
            );
        }
        Item::Speed(q) => {
            let _ = writeln!(out, "speed {}", quantity(q));
        }
        Item::Derive(d) => {
            let _ = write!(out, "derive {}", d.name.text);
            if !d.after.is_empty() {
                let names: Vec<&str> = d.after.iter().map(|n| n.text.as_str()).collect();
                let _ = write!(out, " after {}", names.join(", "));
            }
            guard(out, d.guard.as_ref());
            out.push_str(" {\n");
            for a in &d.assigns {
                let path: Vec<&str> = a.target.iter().map(|n| n.text.as_str()).collect();
                let _ = write!(out, "    {} = ", path.join("."));
                expr(out, &a.value, 0);
                out.push('\n');
            }
            out.push_str("}\n");
        }
        Item::Require(r) => {
            let _ = write!(out, "require {}", r.name.text);
            guard(out, r.guard.as_ref());
            out.push_str(": ");
            expr(out, &r.condition, 0);
            out.push('\n');
        }
        Item::Score(s) => {
            let kw = match s.kind {
                ScoreKind::Prefer => "prefer",
                ScoreKind::Penalize => "penalize",
            };
            let _ = write!(out, "{kw} {} {}", s.name.text, s.weight);
            if let Some(per) = &s.per {
                let _ = write!(out, " per {}", per.text);
            }
            guard(out, s.guard.as_ref());
            out.push_str(": ");
            expr(out, &s.value, 0);
            out.push('\n');
        }
        Item::Limit(l) => {
            let _ = write!(out, "limit {}", l.name.text);
            if let Some(team) = &l.team {
                let _ = write!(out, " team {}", quote(&team.text));
            }
            out.push_str(": ");
            expr(out, &l.constraint, 0);
            out.push('\n');
        }
        Item::Test(t) => {
            let _ = writeln!(out, "test {} {{", quote(&t.name.text));
            if let Some(at) = &t.at {
                let _ = writeln!(out, "    at {}", quote(&at.text));
            }
            for e in &t.entities {
                let _ = write!(out, "    {} {} ", e.subject.as_str(), e.name.text);
                fields(out, e.fields.iter().map(|(n, v)| (n.text.as_str(), v)));
                out.push('\n');
            }
            for x in &t.expects {
                out.push_str("    expect ");
                match x {
                    Expect::Rejected {
                        engineer,
                        ticket,
                        by,
                    } => {
                        let _ = write!(out, "{} rejected for {}", engineer.text, ticket.text);
                        if let Some(by) = by {
                            let _ = write!(out, " by {}", by.text);
                        }
                    }
                    Expect::Accepted { engineer, ticket } => {
                        let _ = write!(out, "{} accepted for {}", engineer.text, ticket.text);
                    }
                    Expect::Derived {
                        ticket,
                        field,
                        value,
                    } => {
                        let _ = write!(out, "{}.{} == ", ticket.text, field.text);
                        literal(out, value);
                    }
                    Expect::Preferred {
                        better,
                        worse,
                        ticket,
                    } => {
                        let _ = write!(
                            out,
                            "{} preferred over {} for {}",
                            better.text, worse.text, ticket.text
                        );
                    }
                }
                out.push('\n');
            }
            out.push_str("}\n");
        }
    }
}

fn guard(out: &mut String, g: Option<&Expr>) {
    if let Some(g) = g {
        out.push_str(" when ");
        expr(out, g, 1);
    }
}

fn type_text(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Bool => "bool".into(),
        TypeExpr::Int { range: None } => "int".into(),
        TypeExpr::Int {
            range: Some((lo, hi)),
        } => format!("int in {lo}..{hi}"),
        TypeExpr::Float { unit, range } => {
            let mut s = "float".to_string();
            if let Some(u) = unit {
                let _ = write!(s, " {}", u.as_str());
            }
            if let Some((lo, hi)) = range {
                let _ = write!(s, " in {lo}..{hi}");
            }
            s
        }
        TypeExpr::String => "string".into(),
        TypeExpr::Enum { variants } => format!("enum {{ {} }}", variants.join(", ")),
        TypeExpr::Set => "set".into(),
        TypeExpr::Time => "time".into(),
        TypeExpr::Duration => "duration".into(),
        TypeExpr::Optional { inner } => format!("{}?", type_text(inner)),
    }
}

fn quantity(q: &Quantity) -> String {
    match q.unit {
        Some(u) => format!("{}{}", q.value, u.as_str()),
        None => format!("{}", q.value),
    }
}

/// A string literal with escapes.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn fields<'a>(out: &mut String, items: impl Iterator<Item = (&'a str, &'a Literal)>) {
    out.push('{');
    let mut first = true;
    for (name, value) in items {
        out.push_str(if first { " " } else { ", " });
        first = false;
        let _ = write!(out, "{name}: ");
        literal(out, value);
    }
    out.push_str(if first { "}" } else { " }" });
}

fn literal(out: &mut String, l: &Literal) {
    match l {
        Literal::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Literal::Number(q) => out.push_str(&quantity(q)),
        Literal::Str(s) => out.push_str(&quote(s)),
        Literal::Word(w) => out.push_str(w),
        Literal::Point(lat, lon) => {
            let _ = write!(out, "({lat}, {lon})");
        }
        Literal::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                literal(out, item);
            }
            out.push(']');
        }
        Literal::Map(items) => fields(out, items.iter().map(|(n, v)| (n.as_str(), v))),
    }
}

/// Binding strength of an expression form (higher binds tighter).
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Unary { .. } => 8,
        ExprKind::Scale { .. } | ExprKind::If { .. } => 0,
        _ => 9,
    }
}

fn expr(out: &mut String, e: &Expr, min: u8) {
    let parens = precedence(e) < min;
    if parens {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Number(q) => out.push_str(&quantity(q)),
        ExprKind::Str { value } => out.push_str(&quote(value)),
        ExprKind::Bool { value } => {
            let _ = write!(out, "{value}");
        }
        ExprKind::Word { name } => out.push_str(name),
        ExprKind::Field { base, name } => {
            expr(out, base, 9);
            let _ = write!(out, ".{}", name.text);
        }
        ExprKind::Call {
            receiver,
            name,
            args,
        } => {
            if let Some(r) = receiver {
                expr(out, r, 9);
                out.push('.');
            }
            out.push_str(&name.text);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr(out, a, 0);
            }
            out.push(')');
        }
        ExprKind::Unary { op, operand } => {
            out.push(match op {
                UnOp::Not => '!',
                UnOp::Neg => '-',
            });
            expr(out, operand, 8);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = op.precedence();
            let left_min = if op.is_comparison() { p + 1 } else { p };
            expr(out, lhs, left_min);
            let _ = write!(out, " {} ", op.as_str());
            expr(out, rhs, p + 1);
        }
        ExprKind::Scale { value, from, to } => {
            out.push_str("scale ");
            expr(out, value, 1);
            out.push_str(" from ");
            expr(out, from, 1);
            out.push_str(" to ");
            expr(out, to, 0);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            out.push_str("if ");
            expr(out, cond, 1);
            out.push_str(" then ");
            expr(out, then, 1);
            out.push_str(" else ");
            expr(out, otherwise, 0);
        }
        ExprKind::Match { subject, arms } => {
            out.push_str("match ");
            expr(out, subject, 1);
            out.push_str(" {");
            for (i, arm) in arms.iter().enumerate() {
                out.push_str(if i == 0 { " " } else { ", " });
                match &arm.pattern {
                    Pattern::Wildcard => out.push('_'),
                    Pattern::Values(values) => {
                        for (j, v) in values.iter().enumerate() {
                            if j > 0 {
                                out.push_str(" | ");
                            }
                            expr(out, v, 6);
                        }
                    }
                    Pattern::Range(lo, hi) => {
                        expr(out, lo, 6);
                        out.push_str("..");
                        expr(out, hi, 6);
                    }
                }
                out.push_str(" => ");
                expr(out, &arm.value, 0);
            }
            out.push_str(" }");
        }
    }
    if parens {
        out.push(')');
    }
}
