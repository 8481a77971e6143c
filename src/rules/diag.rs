//! Diagnostics: what is wrong with a policy, where, and what to do about it.
//!
//! A [`Diagnostic`] carries a byte span into the policy source; [`Diagnostics::render`] prints them
//! the way a compiler does:
//!
//! ```text
//! error: unknown field `ticket.categroy`
//!  --> city.policy:7:22
//!   |
//! 7 | require skill: engineer.skill(ticket.categroy) >= 3
//!   |                               ^^^^^^^^^^^^^^^ not a ticket field
//!   = help: did you mean `category`?
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// A byte range in the policy source. Spans never take part in equality: two syntax trees are equal
/// when they say the same thing, wherever it was written.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Span {
    /// A span from byte offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The policy is rejected.
    Error,
    /// The policy is accepted, but probably not what was meant.
    Warning,
}

/// One finding about a policy, with its place in the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in lowercase, naming the thing.
    pub message: String,
    /// Where.
    pub span: Span,
    /// A short label printed under the carets.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// 1-based line of `span.start` (filled in when the source is known).
    pub line: usize,
    /// 1-based column (in characters) of `span.start`.
    pub column: usize,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: None,
            help: None,
            line: 0,
            column: 0,
        }
    }

    /// A warning at `span`.
    pub fn warning(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message, span)
        }
    }

    /// Adds a label under the carets.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Adds a `help:` line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// All findings about one policy source, errors and warnings, in source order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// The name the source is known by (a file name), printed in `-->` lines.
    pub origin: String,
    /// The findings, ordered by position.
    pub items: Vec<Diagnostic>,
    #[serde(skip)]
    source: String,
}

impl Diagnostics {
    pub(crate) fn new(origin: &str, source: &str, mut items: Vec<Diagnostic>) -> Diagnostics {
        items.sort_by(|a, b| {
            (a.span.start, a.span.end, a.severity).cmp(&(b.span.start, b.span.end, b.severity))
        });
        items.dedup_by(|a, b| a.span.start == b.span.start && a.message == b.message);
        for d in &mut items {
            let (line, column) = line_col(source, d.span.start as usize);
            d.line = line;
            d.column = column;
        }
        Diagnostics {
            origin: origin.to_string(),
            items,
            source: source.to_string(),
        }
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    /// Renders every finding like a compiler: `error: ...`, `--> origin:line:col`, the source line,
    /// carets under the span, and `= help: ...` when there is help.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            render_one(&mut out, &self.origin, &self.source, d);
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line and character column of a byte offset.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Longest source line shown; longer lines are cut around the span.
const MAX_SHOWN: usize = 160;

fn render_one(out: &mut String, origin: &str, source: &str, d: &Diagnostic) {
    use fmt::Write;
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{kind}: {}", d.message);
    let start = floor_char_boundary(source, (d.span.start as usize).min(source.len()));
    let (line, col) = line_col(source, start);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {origin}:{line}:{col}");
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let text = &source[line_start..line_end];
    let chars: Vec<char> = text.chars().collect();
    let end = floor_char_boundary(source, (d.span.end as usize).clamp(start, line_end));
    let width = source[start..end].chars().count().max(1);
    // Cut very long lines so that the span stays visible.
    let first = (col - 1).saturating_sub(MAX_SHOWN / 2).min(chars.len());
    let last = (first + MAX_SHOWN).min(chars.len());
    let shown: String = chars[first..last]
        .iter()
        .map(|&c| if c.is_control() { ' ' } else { c })
        .collect();
    let caret_at = col - 1 - first;
    let width = width.min(MAX_SHOWN.saturating_sub(caret_at).max(1));
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {shown}");
    let label = d
        .label
        .as_deref()
        .map_or(String::new(), |l| format!(" {l}"));
    let _ = writeln!(
        out,
        "{pad} | {}{}{label}",
        " ".repeat(caret_at),
        "^".repeat(width)
    );
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out.push('\n');
}

/// Edit distance for "did you mean" suggestions.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = levenshtein(name, c);
        let limit = (name.len().max(c.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Edit distance with adjacent transpositions (optimal string alignment).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}
