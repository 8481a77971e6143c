//! JSON in, JSON out: the library's main operations over text documents, for hosts that talk JSON
//! (the browser bindings in `web/bindings`, scripts, other languages).
//!
//! Every function takes a `&str` and returns a `String`, and never panics on any input: a request it
//! cannot serve comes back as an error document
//!
//! ```json
//! {"error": {"kind": "invalid_coordinate", "message": "ticket \"T-1\": latitude 123 is out of range"}}
//! ```
//!
//! with `kind` a stable snake_case name (the [`ErrorKind`] variant, or `json`,
//! `invalid_request`, `policy` for problems of the request itself), a lowercase `message`, and, where
//! the problem has a place in text, `line` and `column` (1-based). A policy that does not compile
//! adds `diagnostics` (see [`check_policy`]). [`is_error`] tells the two kinds of answer apart.
//!
//! | function | request | answer |
//! |---|---|---|
//! | [`check_policy`] | the policy text itself | `{ok, policy, diagnostics, rendered}` |
//! | [`plan`] | `{engineers, tickets, now, policy?, config?}` | the [`Plan`] document |
//! | [`candidates`] | `{engineers, ticket, now, policy?, config?}` | the [`Ranking`] document |
//! | [`explain`] | `{ticket, engineer, now, policy?, config?}` | the [`Explanation`] document |
//! | [`scenario`] | a scenario spec (`{"city": ...}`, `{"boston": ...}`, `{"custom": ...}`) | the [`Scenario`] document |
//! | [`simulate`] | `{scenario, policy, config?}` | `{report, dispatches, held_back}` ([`SimAnswer`]) |
//!
//! `engineers`, `tickets`, `ticket`, `engineer` are the library's own documents ([`Engineer`],
//! [`Ticket`]); `now` is an RFC 3339 time; `policy` is policy text in the rule language (default: the
//! policy written from `config`, see [`Config::default_policy`]); `config` is a [`Config`] document
//! (every field optional). The simulation's `policy` is `{"rules": "<policy text>"}` (the
//! optimiser running that policy) or `{"builtin": NAME}` with NAME one of [`BUILTIN_POLICIES`].
//!
//! ```
//! use dispatchkit::api;
//!
//! let answer = api::check_policy("policy \"p\" version 1\nrequire reach: travel <= 20kn\n");
//! let doc: serde_json::Value = serde_json::from_str(&answer).unwrap();
//! assert_eq!(doc["ok"], false);
//! assert_eq!(doc["diagnostics"][0]["line"], 2);
//!
//! let answer = api::simulate(r#"{
//!     "scenario": {"city": {"seed": 1, "tickets": 40, "engineers": 5}},
//!     "policy": {"builtin": "nearest available"}
//! }"#);
//! let doc: serde_json::Value = serde_json::from_str(&answer).unwrap();
//! assert_eq!(doc["report"]["kpis"]["tickets"], 40);
//! assert!(!api::is_error(&answer));
//! ```

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::fleet::Fleet;
use crate::model::{Engineer, LatLon, Shift, Ticket};
use crate::rules::{Diagnostic, Diagnostics, Policy, RuleKind, Severity};
use crate::sim::generate::{CityParams, generate};
use crate::sim::{
    self, DispatcherPolicy, Flow, LeastLoaded, NearestAvailable, Progress, RoundRobin, Scenario,
    SimConfig, SimReport,
};
use crate::solve::{Config, Dispatcher};

#[cfg(doc)]
use crate::rules::Explanation;
#[cfg(doc)]
use crate::solve::{Plan, Ranking};

/// The built-in simulation policies a [`simulate`] request can name with `{"builtin": NAME}`.
pub const BUILTIN_POLICIES: [&str; 5] = [
    "round-robin",
    "nearest available",
    "least loaded",
    "greedy",
    "optimiser",
];

/// Most tickets a generated or custom scenario may have (a request is refused above it, so that a
/// typo cannot exhaust a browser tab's memory).
pub const MAX_TICKETS: usize = 100_000;
/// Most engineers a generated or custom scenario may have.
pub const MAX_ENGINEERS: usize = 10_000;
/// Most simulated days of a Boston replay.
pub const MAX_DAYS: u32 = 14;

/// An error document: what the answer's `error` object holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable snake_case name: an [`ErrorKind`] variant (`invalid_coordinate`,
    /// `duplicate_id`, ...), `json` (the request is not valid JSON or has the wrong shape),
    /// `invalid_request` (a value the request may not have) or `policy` (the policy does not compile).
    pub kind: String,
    /// What is wrong, in lowercase, naming the item.
    pub message: String,
    /// 1-based line of the problem in the request (or, for `policy`, in the policy text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column of the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// For `policy`: every finding (errors and warnings) with its place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<DiagnosticDoc>,
}

impl ApiError {
    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError {
            kind: "invalid_request".into(),
            message: message.into(),
            line: None,
            column: None,
            diagnostics: Vec::new(),
        }
    }

    fn policy(diags: &Diagnostics, source: &str) -> ApiError {
        let diagnostics = diagnostic_docs(diags, source);
        let first = diags.errors().next();
        ApiError {
            kind: "policy".into(),
            message: first.map_or_else(
                || "the policy does not compile".to_string(),
                |d| format!("policy line {} column {}: {}", d.line, d.column, d.message),
            ),
            line: first.map(|d| d.line),
            column: first.map(|d| d.column),
            diagnostics,
        }
    }

    /// The error as its JSON answer, `{"error": {...}}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            error: &'a ApiError,
        }
        serde_json::to_string(&Doc { error: self }).unwrap_or_else(|_| {
            r#"{"error":{"kind":"internal","message":"unprintable error"}}"#.into()
        })
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let (line, column) = match e.kind() {
            ErrorKind::Json { line, column, .. } => (Some(*line), Some(*column)),
            ErrorKind::Instance { line, .. } => (Some(*line), None),
            _ => (None, None),
        };
        ApiError {
            kind: kind_name(e.kind()),
            message: e.to_string(),
            line,
            column,
            diagnostics: Vec::new(),
        }
    }
}

/// The snake_case name of an error kind's variant (`InvalidCoordinate` → `invalid_coordinate`).
/// Read from the variant's debug name, so kinds added later are named too.
fn kind_name(kind: &ErrorKind) -> String {
    let debug = format!("{kind:?}");
    let variant = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("error");
    let mut out = String::with_capacity(variant.len() + 4);
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether an answer of this module is an error document (`{"error": ...}`).
pub fn is_error(answer: &str) -> bool {
    answer.starts_with("{\"error\":")
}

/// One diagnostic of a policy, placed for an editor: start and end as 1-based line and column
/// (columns count characters), and the byte span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticDoc {
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// A short label for the marked text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start.
    pub column: usize,
    /// 1-based line of the end (one past the last character).
    pub end_line: usize,
    /// 1-based column of the end.
    pub end_column: usize,
    /// Byte offset of the start.
    pub start: u32,
    /// Byte offset of the end.
    pub end: u32,
}

fn diagnostic_doc(d: &Diagnostic, source: &str) -> DiagnosticDoc {
    let (end_line, end_column) = line_col(source, d.span.end as usize);
    DiagnosticDoc {
        severity: d.severity,
        message: d.message.clone(),
        label: d.label.clone(),
        help: d.help.clone(),
        line: d.line,
        column: d.column,
        end_line,
        end_column,
        start: d.span.start,
        end: d.span.end,
    }
}

/// 1-based line and character column of a byte offset (clamped to the text, and back to a character
/// boundary), as the diagnostics count them.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn diagnostic_docs(diags: &Diagnostics, source: &str) -> Vec<DiagnosticDoc> {
    diags
        .items
        .iter()
        .map(|d| diagnostic_doc(d, source))
        .collect()
}

/// What [`check_policy`] says about a policy that compiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySummary {
    /// The policy's name.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Embedded tests that passed (all of them, or the policy would not compile).
    pub tests_passed: usize,
    /// Every rule, in evaluation order.
    pub rules: Vec<RuleDoc>,
}

/// A rule of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDoc {
    /// The rule's name.
    pub name: String,
    /// What kind of rule it is.
    pub kind: RuleKind,
}

/// The answer of [`check_policy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyCheck {
    /// Whether the policy compiles (it may still have warnings).
    pub ok: bool,
    /// The compiled policy's name, version, tests and rules, when it compiles.
    pub policy: Option<PolicySummary>,
    /// Errors and warnings, in source order.
    pub diagnostics: Vec<DiagnosticDoc>,
    /// The findings as a compiler prints them (empty when there are none).
    pub rendered: String,
}

/// The origin policy text is known by in diagnostics.
const ORIGIN: &str = "policy";

/// Parses, checks and compiles policy text (the text itself, not JSON) and runs its embedded tests:
/// the answer is a [`PolicyCheck`]. A policy with errors is a normal answer (`ok: false` with the
/// diagnostics), not an error document.
pub fn check_policy(source: &str) -> String {
    let check = match Policy::parse(ORIGIN, source) {
        Ok(p) => PolicyCheck {
            ok: true,
            policy: Some(PolicySummary {
                name: p.name().to_string(),
                version: p.version(),
                tests_passed: p.tests_passed(),
                rules: p
                    .rules()
                    .into_iter()
                    .map(|(name, kind)| RuleDoc { name, kind })
                    .collect(),
            }),
            diagnostics: diagnostic_docs(p.warnings(), source),
            rendered: p.warnings().render(),
        },
        Err(d) => PolicyCheck {
            ok: false,
            policy: None,
            diagnostics: diagnostic_docs(&d, source),
            rendered: d.render(),
        },
    };
    to_answer(&check)
}

/// Runs `f` and turns its result (or error) into the answer text.
fn answer<T: Serialize>(f: impl FnOnce() -> Result<T, ApiError>) -> String {
    match f() {
        Ok(v) => to_answer(&v),
        Err(e) => e.to_json(),
    }
}

fn to_answer<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        ApiError {
            kind: "internal".into(),
            message: format!("the answer could not be written: {e}"),
            line: None,
            column: None,
            diagnostics: Vec::new(),
        }
        .to_json()
    })
}

fn read<'a, T: Deserialize<'a>>(request: &'a str) -> Result<T, ApiError> {
    serde_json::from_str(request).map_err(|e| Error::json("request", &e).into())
}

/// The dispatcher of a request: its policy text compiled (or the config's default policy).
fn dispatcher(policy: Option<&str>, config: Config) -> Result<Dispatcher, ApiError> {
    config.validate()?;
    Ok(match policy {
        None => Dispatcher::new(config),
        Some(text) => {
            let p = Policy::parse(ORIGIN, text).map_err(|d| ApiError::policy(&d, text))?;
            Dispatcher::with_policy(config, p)
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanRequest {
    engineers: Vec<Engineer>,
    tickets: Vec<Ticket>,
    now: DateTime<Utc>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    config: Option<Config>,
}

/// Plans a batch: `{engineers, tickets, now, policy?, config?}` → the [`Plan`] document (every
/// ticket assigned, with its cost, or unassigned with the reason). See
/// [`Dispatcher::plan`].
pub fn plan(request: &str) -> String {
    match (|| -> Result<String, ApiError> {
        let r: PlanRequest = read(request)?;
        let d = dispatcher(r.policy.as_deref(), r.config.unwrap_or_default())?;
        let fleet = Fleet::new(r.engineers)?;
        Ok(d.plan(&fleet, &r.tickets, r.now)?.to_json())
    })() {
        Ok(text) => text,
        Err(e) => e.to_json(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidatesRequest {
    engineers: Vec<Engineer>,
    ticket: Ticket,
    now: DateTime<Utc>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    config: Option<Config>,
}

/// Ranks the engineers for one ticket: `{engineers, ticket, now, policy?, config?}` → the
/// [`Ranking`] document (eligible engineers cheapest first, with the cost breakdown, and the nearby
/// ones that are not eligible with the rule they fail). See [`Dispatcher::candidates`].
pub fn candidates(request: &str) -> String {
    answer(|| {
        let r: CandidatesRequest = read(request)?;
        let d = dispatcher(r.policy.as_deref(), r.config.unwrap_or_default())?;
        let fleet = Fleet::new(r.engineers)?;
        Ok(d.candidates(&fleet, &r.ticket, r.now)?)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainRequest {
    ticket: Ticket,
    engineer: Engineer,
    now: DateTime<Utc>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    config: Option<Config>,
}

/// Explains one pair: `{ticket, engineer, now, policy?, config?}` → the [`Explanation`] document
/// (every rule's verdict, the rule that rejects the pair if any, with what would have to change, and
/// the cost). See [`Policy::explain`].
pub fn explain(request: &str) -> String {
    answer(|| {
        let r: ExplainRequest = read(request)?;
        let d = dispatcher(r.policy.as_deref(), r.config.unwrap_or_default())?;
        // The same checks as a plan, so that the explanation is about valid input.
        crate::model::validate_engineers(std::slice::from_ref(&r.engineer))?;
        crate::model::validate_tickets(std::slice::from_ref(&r.ticket), |_| true)?;
        Ok(d.policy().explain(&r.ticket, &r.engineer, r.now)?)
    })
}

/// How to build a simulation scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ScenarioSpec {
    /// A generated city day ([`generate`]).
    City(CitySpec),
    /// The Boston replay, from its extract.
    Boston(BostonSpec),
    /// A scenario given in full.
    Custom(Scenario),
}

/// A generated city day: [`CityParams::new`] with these values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitySpec {
    /// Seed of the generator. Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// Number of engineers.
    pub engineers: usize,
    /// Number of tickets in the day; or give `tickets_per_hour`.
    #[serde(default)]
    pub tickets: Option<usize>,
    /// Mean tickets per hour over the 24 hours (the day then has `round(24 × this)` tickets,
    /// arriving by the generator's hourly profile).
    #[serde(default)]
    pub tickets_per_hour: Option<f64>,
    /// Everyone works the whole day (no shifts). Default false.
    #[serde(default)]
    pub always_on_shift: bool,
}

fn one() -> u64 {
    1
}

/// The Boston replay built from its extract (`web/data/boston.json`, written by
/// `cargo run --release --example boston_extract` from the city's open data): the requests of the
/// extract on one day, and a crew of `crew` people a day for `days` days.
///
/// The crew follows `examples/common/boston.rs`: `crew` home bases picked evenly from the extract's
/// pool (which spreads the pool's homes over the neighbourhoods in proportion to their requests, so
/// an even pick keeps that proportion); person `i` is a sidewalk crew when `i % 10 < 7`, otherwise a
/// street-light crew, a senior (level 4 in the trade, else 3) when `i % 3 == 0`, on the 04–12, 08–16
/// or 12–20 shift by `i % 3`, and holds at most 2 tickets; each person appears once a day
/// (`E-017/d1`, `E-017/d2`, ...). With the whole pool (`crew` = its size) the crew is exactly the
/// example's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BostonSpec {
    /// The extract.
    pub extract: BostonExtract,
    /// People on shift each day (at most the pool's size). Default 80.
    #[serde(default = "default_crew")]
    pub crew: usize,
    /// Days simulated (the requests all arrive on the first). Default 3.
    #[serde(default = "default_days")]
    pub days: u32,
}

fn default_crew() -> usize {
    80
}

fn default_days() -> u32 {
    3
}

/// The Boston replay's data, derived from the city's open data by `examples/boston_extract.rs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BostonExtract {
    /// Where the data comes from, for reports.
    pub source: String,
    /// Start of the replayed day.
    pub start: DateTime<Utc>,
    /// The requests as tickets created on that day.
    pub tickets: Vec<Ticket>,
    /// The pool of home bases, in the order the crew is drawn from.
    pub homes: Vec<Home>,
}

/// A home base of the Boston crew pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Home {
    /// Where the person starts each shift.
    pub location: LatLon,
    /// The neighbourhood (the person's territory).
    pub district: String,
}

/// The Boston replay's crew, one person per home for `days` days from `start` (the day's
/// midnight): seven in ten mainly on sidewalks and the rest mainly on street lights (level 4 for
/// every third person, else 3, level 1 in the other skill and `general`), capacity 2, territory
/// the home's district, and 8-hour shifts from 04:00, 08:00 or 12:00 in turn. Engineer ids are
/// `E-<person>/d<day>`, both from 1.
pub fn replay_crew(homes: &[Home], days: u32, start: DateTime<Utc>) -> Vec<Engineer> {
    let mut engineers = Vec::with_capacity(homes.len() * days as usize);
    for (i, home) in homes.iter().enumerate() {
        let (primary, secondary) = if i % 10 < 7 {
            ("sidewalk", "street_light")
        } else {
            ("street_light", "sidewalk")
        };
        let level = if i % 3 == 0 { 4 } else { 3 };
        let from = [4, 8, 12][i % 3];
        for day in 0..days {
            let mut e = Engineer::new(format!("E-{:03}/d{}", i + 1, day + 1), home.location, 2)
                .with_skill(primary, level)
                .with_skill(secondary, 1)
                .with_skill("general", 1);
            e.territory = Some(home.district.clone());
            e.team = Some(format!("{primary} crews"));
            let shift_start = start + Duration::days(day.into()) + Duration::hours(from);
            e.shift = Some(Shift {
                start: shift_start,
                end: shift_start + Duration::hours(8),
            });
            engineers.push(e);
        }
    }
    engineers
}

impl BostonSpec {
    /// The scenario.
    ///
    /// # Errors
    /// `invalid_request` when the crew is 0 or larger than the pool, or `days` is 0 or above
    /// [`MAX_DAYS`].
    pub fn scenario(&self) -> Result<Scenario, ApiError> {
        let pool = &self.extract.homes;
        if self.crew == 0 || self.crew > pool.len() {
            return Err(ApiError::invalid(format!(
                "boston `crew` {} must be between 1 and the pool's {}",
                self.crew,
                pool.len()
            )));
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(ApiError::invalid(format!(
                "boston `days` {} must be between 1 and {MAX_DAYS}",
                self.days
            )));
        }
        check_sizes(self.extract.tickets.len(), self.crew * self.days as usize)?;
        let start = self.extract.start;
        // Every shift of the period must be a representable time (a hostile `start` near the end
        // of the calendar would overflow).
        let end = Duration::try_days(i64::from(self.days) + 1)
            .and_then(|d| start.checked_add_signed(d))
            .ok_or_else(|| {
                ApiError::invalid("boston extract `start` is too late in the calendar")
            })?;
        let end = end - Duration::days(1);
        // The middle of the i-th of `crew` equal slices of the pool.
        let homes: Vec<Home> = (0..self.crew)
            .map(|i| pool[(2 * i + 1) * pool.len() / (2 * self.crew)].clone())
            .collect();
        let engineers = replay_crew(&homes, self.days, start);
        Ok(Scenario {
            name: format!(
                "Boston replay ({} requests, {} crew a day, {} days)",
                self.extract.tickets.len(),
                self.crew,
                self.days
            ),
            start,
            end,
            engineers,
            tickets: self.extract.tickets.clone(),
        })
    }
}

impl ScenarioSpec {
    /// The scenario (not validated here; [`sim::simulate`] does that).
    ///
    /// # Errors
    /// `invalid_request` for sizes out of bounds ([`MAX_TICKETS`], [`MAX_ENGINEERS`]) or a city
    /// spec with neither or both of `tickets` and `tickets_per_hour`.
    pub fn scenario(&self) -> Result<Scenario, ApiError> {
        let s = match self {
            ScenarioSpec::City(c) => {
                let tickets = match (c.tickets, c.tickets_per_hour) {
                    (Some(n), None) => n,
                    (None, Some(h)) if h.is_finite() && h >= 0.0 => {
                        let n = (h * 24.0).round();
                        if n > MAX_TICKETS as f64 {
                            return Err(ApiError::invalid(format!(
                                "city `tickets_per_hour` {h} gives more than {MAX_TICKETS} tickets"
                            )));
                        }
                        n as usize
                    }
                    (None, Some(h)) => {
                        return Err(ApiError::invalid(format!(
                            "city `tickets_per_hour` {h} is not a number of tickets"
                        )));
                    }
                    _ => {
                        return Err(ApiError::invalid(
                            "city needs exactly one of `tickets` and `tickets_per_hour`",
                        ));
                    }
                };
                check_sizes(tickets, c.engineers)?;
                let mut p = CityParams::new(c.seed, tickets, c.engineers);
                p.always_on_shift = c.always_on_shift;
                generate(&p)
            }
            ScenarioSpec::Boston(b) => b.scenario()?,
            ScenarioSpec::Custom(s) => s.clone(),
        };
        check_sizes(s.tickets.len(), s.engineers.len())?;
        Ok(s)
    }
}

fn check_sizes(tickets: usize, engineers: usize) -> Result<(), ApiError> {
    if tickets > MAX_TICKETS {
        return Err(ApiError::invalid(format!(
            "{tickets} tickets: at most {MAX_TICKETS}"
        )));
    }
    if engineers > MAX_ENGINEERS {
        return Err(ApiError::invalid(format!(
            "{engineers} engineers: at most {MAX_ENGINEERS}"
        )));
    }
    Ok(())
}

/// Builds a scenario from a [`ScenarioSpec`] document → the [`Scenario`] document (for a map, or
/// to send back in a `custom` spec).
pub fn scenario(request: &str) -> String {
    answer(|| read::<ScenarioSpec>(request)?.scenario())
}

/// Which policy a simulation runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicySpec {
    /// The optimiser ([`DispatcherPolicy`]) running this policy text, with the simulator's settings
    /// of [`DispatcherPolicy::optimiser`]; the report carries the policy's name.
    Rules(String),
    /// A built-in policy, by name ([`BUILTIN_POLICIES`]).
    Builtin(String),
}

impl PolicySpec {
    /// The simulation policy.
    ///
    /// # Errors
    /// `policy` when the text does not compile, `invalid_request` for an unknown built-in name.
    pub fn policy(&self) -> Result<Box<dyn sim::Policy>, ApiError> {
        Ok(match self {
            PolicySpec::Rules(text) => {
                let p = Policy::parse(ORIGIN, text).map_err(|d| ApiError::policy(&d, text))?;
                let base = DispatcherPolicy::optimiser();
                let config = base.dispatcher().config().clone();
                Box::new(DispatcherPolicy::new(
                    p.name().to_string(),
                    Dispatcher::with_policy(config, p),
                ))
            }
            PolicySpec::Builtin(name) => match name.as_str() {
                "round-robin" => Box::new(RoundRobin::new()),
                "nearest available" => Box::new(NearestAvailable),
                "least loaded" => Box::new(LeastLoaded),
                "greedy" => Box::new(DispatcherPolicy::greedy()),
                "optimiser" => Box::new(DispatcherPolicy::optimiser()),
                other => {
                    return Err(ApiError::invalid(format!(
                        "unknown built-in policy {other:?} (one of {})",
                        BUILTIN_POLICIES.join(", ")
                    )));
                }
            },
        })
    }
}

/// A [`simulate`] request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimRequest {
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// The policy.
    pub policy: PolicySpec,
    /// The simulator's settings (every field optional). Default [`SimConfig::default`].
    #[serde(default)]
    pub config: SimConfig,
}

/// One decision the policy made in a run: a ticket given to an engineer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispatch {
    /// The ticket (a follow-up visit has `#2`, `#3`, ... after the original id).
    pub ticket: String,
    /// The engineer.
    pub engineer: String,
    /// Minutes since the start of the period.
    pub minute: i64,
    /// Where the engineer would be free to go there (the last ticket queued, or where the engineer
    /// was).
    pub from: LatLon,
    /// Tickets the engineer held before this one.
    pub held: u32,
}

/// The answer of [`simulate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimAnswer {
    /// The KPI report.
    pub report: SimReport,
    /// Every decision carried out, in the order made.
    pub dispatches: Vec<Dispatch>,
    /// Decisions the simulator could not carry out and held back (the ticket waited for the next
    /// cycle), by reason: a rule policy without `require skill`, `require on_shift` or a capacity
    /// `limit` makes them. Empty for the built-in policies.
    pub held_back: Vec<HeldBack>,
}

/// How many decisions were held back for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldBack {
    /// `engineer lacks the skill level`, `engineer has no room`, `engineer off shift` or `ticket
    /// given twice in one cycle`.
    pub reason: String,
    /// Decisions held back for it over the run.
    pub count: usize,
}

/// Wraps a policy: writes down its decisions, and holds back those the simulator cannot carry out
/// (an engineer off shift, without the skill level or without room, a ticket given twice), so that
/// a rule policy that leaves out such a rule still runs; the tickets concerned wait for the next
/// cycle, and the answer counts what was held back.
struct Recorder<'p> {
    inner: &'p mut dyn sim::Policy,
    start: DateTime<Utc>,
    log: Vec<Dispatch>,
    held_back: std::collections::BTreeMap<&'static str, usize>,
}

impl sim::Policy for Recorder<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn decide(&mut self, view: &sim::DispatchView<'_>) -> Result<Vec<sim::Decision>, Error> {
        let decisions = self.inner.decide(view)?;
        let mut room: Vec<u32> = view.engineers.iter().map(|e| e.room()).collect();
        let mut given = vec![false; view.pending.len()];
        let mut kept = Vec::with_capacity(decisions.len());
        for d in decisions {
            let (Some(t), Some(e)) = (view.pending.get(d.ticket), view.engineers.get(d.engineer))
            else {
                // An index out of range is the engine's to report.
                kept.push(d);
                continue;
            };
            let problem = if given[d.ticket] {
                Some("ticket given twice in one cycle")
            } else if !e.on_shift {
                Some("engineer off shift")
            } else if !e.qualified(t) {
                Some("engineer lacks the skill level")
            } else if room[d.engineer] == 0 {
                Some("engineer has no room")
            } else {
                None
            };
            if let Some(p) = problem {
                *self.held_back.entry(p).or_insert(0) += 1;
                continue;
            }
            given[d.ticket] = true;
            room[d.engineer] -= 1;
            self.log.push(Dispatch {
                ticket: t.id.to_string(),
                engineer: e.engineer.id.to_string(),
                minute: (view.now - self.start).num_minutes(),
                from: e.position,
                held: e.held,
            });
            kept.push(d);
        }
        Ok(kept)
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.log.clear();
        self.held_back.clear();
    }
}

/// Runs a simulation: `{scenario, policy, config?}` ([`SimRequest`]) → `{report, dispatches,
/// held_back}` ([`SimAnswer`]). See [`sim::simulate`]. Decisions the simulator cannot carry out
/// are held back and counted rather than failing the run (see [`SimAnswer::held_back`]).
pub fn simulate(request: &str) -> String {
    simulate_with(request, &mut |_| Flow::Continue)
}

/// [`simulate`] with a progress callback, called at every backlog sample; returning
/// [`Flow::Cancel`] stops the run with the error `cancelled`.
pub fn simulate_with(request: &str, progress: &mut dyn FnMut(&Progress) -> Flow) -> String {
    answer(|| {
        let r: SimRequest = read(request)?;
        let scenario = r.scenario.scenario()?;
        let mut policy = r.policy.policy()?;
        let mut recorder = Recorder {
            inner: policy.as_mut(),
            start: scenario.start,
            log: Vec::new(),
            held_back: Default::default(),
        };
        let report = sim::simulate_with(&scenario, &r.config, &mut recorder, progress)?;
        Ok(SimAnswer {
            report,
            dispatches: recorder.log,
            held_back: recorder
                .held_back
                .into_iter()
                .map(|(reason, count)| HeldBack {
                    reason: reason.to_string(),
                    count,
                })
                .collect(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_snake_case() {
        let e: Error = ErrorKind::InvalidCoordinate {
            entity: crate::Entity::Ticket,
            id: "T".into(),
            field: "latitude",
            value: 99.0,
        }
        .into();
        assert_eq!(kind_name(e.kind()), "invalid_coordinate");
        assert_eq!(kind_name(&ErrorKind::Cancelled), "cancelled");
        let j = Error::json("request", &serde_json::from_str::<u8>("x").unwrap_err());
        assert_eq!(kind_name(j.kind()), "json");
    }
}
