//! Tokens of the policy language. Comments run from `#` to the end of the line.

use super::diag::{Diagnostic, Span};

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A word: keyword, name, unit.
    Word(String),
    /// A non-negative number.
    Num(f64),
    /// A string literal (escapes resolved).
    Str(String),
    /// Punctuation or an operator.
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// A token with its span.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

const PUNCTS: [&str; 28] = [
    "==", "!=", "<=", ">=", "&&", "||", "??", "?", "=>", "..", "<", ">", "=", "!", "+", "-", "*",
    "/", "(", ")", "{", "}", "[", "]", ",", ":", ".", "|",
];

/// Splits `source` into tokens. Bad characters and strings are reported and skipped, so that the
/// parser still sees the rest.
pub(crate) fn lex(source: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut diags = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Word(source[start..i].to_string()),
                span: Span::new(start, i),
            });
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            // A fraction, but not the start of a `..` range.
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text = &source[start..i];
            let value: f64 = text.parse().unwrap_or(f64::INFINITY);
            let value = if value.is_finite() {
                value
            } else {
                diags.push(Diagnostic::error(
                    format!("number `{}` is too large", shorten(text)),
                    Span::new(start, i),
                ));
                0.0
            };
            tokens.push(Token {
                tok: Tok::Num(value),
                span: Span::new(start, i),
            });
            continue;
        }
        if c == b'"' {
            i += 1;
            let mut text = String::new();
            loop {
                let Some(ch) = source[i..].chars().next() else {
                    diags.push(
                        Diagnostic::error("unterminated string", Span::new(start, i))
                            .help("close it with `\"` on the same line"),
                    );
                    break;
                };
                match ch {
                    '"' => {
                        i += 1;
                        break;
                    }
                    '\n' => {
                        diags.push(
                            Diagnostic::error("unterminated string", Span::new(start, i))
                                .help("close it with `\"` on the same line"),
                        );
                        break;
                    }
                    '\\' => {
                        let esc = source[i + 1..].chars().next();
                        match esc {
                            Some('"') => text.push('"'),
                            Some('\\') => text.push('\\'),
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            _ => {
                                let end = i + 1 + esc.map_or(0, char::len_utf8);
                                diags.push(
                                    Diagnostic::error(
                                        "unknown escape in string",
                                        Span::new(i, end),
                                    )
                                    .help("the escapes are \\\" \\\\ \\n \\t"),
                                );
                            }
                        }
                        i += 1 + esc.map_or(0, char::len_utf8);
                    }
                    ch => {
                        if ch.is_control() {
                            diags.push(Diagnostic::error(
                                format!("control character {ch:?} in string"),
                                Span::new(i, i + ch.len_utf8()),
                            ));
                        }
                        text.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            tokens.push(Token {
                tok: Tok::Str(text),
                span: Span::new(start, i),
            });
            continue;
        }
        if let Some(p) = PUNCTS
            .iter()
            .find(|p| source.as_bytes()[i..].starts_with(p.as_bytes()))
        {
            i += p.len();
            tokens.push(Token {
                tok: Tok::Punct(p),
                span: Span::new(start, i),
            });
            continue;
        }
        let ch = source[i..].chars().next().unwrap_or('\u{fffd}');
        if diags.len() < 100 {
            diags.push(Diagnostic::error(
                format!("unexpected character {ch:?}"),
                Span::new(i, i + ch.len_utf8()),
            ));
        }
        i += ch.len_utf8();
    }
    tokens.push(Token {
        tok: Tok::Eof,
        span: Span::new(source.len(), source.len()),
    });
    (tokens, diags)
}

fn shorten(text: &str) -> String {
    if text.len() > 24 {
        format!("{}…", &text[..24])
    } else {
        text.to_string()
    }
}
