//! The sparse capacitated assignment model every solver works on, and its plain-text file format.
//!
//! A [`Network`] has tickets and engineers (both numbered from 0), a capacity per engineer, an
//! unassignment penalty per ticket, and candidate arcs `(ticket, engineer, cost)`. A solution sends each
//! ticket to at most one engineer it has an arc to, each engineer taking at most its capacity; the
//! objective is the sum of the chosen arcs' costs, plus the penalties of the unassigned tickets, plus
//! the optional convex load costs (the `k`-th ticket an engineer takes costs `load_costs[e][k]` more).
//!
//! # The instance file format
//! ```text
//! c comment
//! p <tickets> <engineers> <arcs>
//! e <engineer> <capacity>               one line per engineer, 0-based
//! t <ticket> <unassigned_penalty>       one line per ticket
//! a <ticket> <engineer> <cost>          one line per candidate arc (integer costs)
//! ```
//! Lines may come in any order after the `p` line; blank lines and `c` lines are ignored. Every
//! engineer and ticket must be declared exactly once, the number of `a` lines must equal `<arcs>`, and a
//! (ticket, engineer) pair may appear only once. Costs and penalties are integers with absolute value at
//! most [`MAX_COST`]. [`Network::read`] also accepts an OR-Library `assignN.txt` file (`n`, then the
//! n×n cost matrix), recognised by its first token being a number: it becomes n tickets, n engineers of
//! capacity 1 and a penalty larger than any cost, so the optimum is the perfect assignment's.

use std::io::{self, BufRead, Write};

use crate::error::{Error, ErrorKind};

/// The largest absolute arc cost, penalty or load cost a network accepts (2⁴⁰), so that sums over a
/// million tickets stay far from `i64` overflow.
pub const MAX_COST: i64 = 1 << 40;

/// A sparse capacitated assignment problem (see the [module docs](crate::solve::network)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    capacity: Vec<u32>,
    penalty: Vec<i64>,
    /// Arcs of ticket `t` are `arc_start[t]..arc_start[t + 1]`, sorted by (cost, engineer).
    arc_start: Vec<usize>,
    arc_engineer: Vec<u32>,
    arc_cost: Vec<i64>,
    /// Per engineer, the extra cost of its 1st, 2nd, ... ticket (non-decreasing, `capacity` entries).
    load_costs: Option<Vec<Vec<i64>>>,
}

/// A solution of a [`Network`]: the engineer of each ticket (or `None`) and the objective.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSolution {
    /// `assignment[t]` is the engineer ticket `t` goes to, if any.
    pub assignment: Vec<Option<u32>>,
    /// Arc costs + unassignment penalties + load costs.
    pub objective: i64,
}

impl NetworkSolution {
    /// Number of assigned tickets.
    pub fn assigned(&self) -> usize {
        self.assignment.iter().filter(|a| a.is_some()).count()
    }
}

fn invalid(message: String) -> Error {
    ErrorKind::InvalidInstance { message }.into()
}

fn check_cost(what: impl FnOnce() -> String, value: i64) -> Result<(), Error> {
    if value.abs() > MAX_COST {
        return Err(invalid(format!(
            "{}: {value} is beyond the limit of {MAX_COST}",
            what()
        )));
    }
    Ok(())
}

impl Network {
    /// Builds a network from capacities, penalties and arcs `(ticket, engineer, cost)` in any order.
    /// `O(m log m)` unless the arcs are already sorted, `O(m)` then.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`] for an arc naming a ticket or engineer that does not exist, a
    /// repeated (ticket, engineer) pair, or a cost beyond [`MAX_COST`].
    pub fn new(
        capacity: Vec<u32>,
        penalty: Vec<i64>,
        mut arcs: Vec<(u32, u32, i64)>,
    ) -> Result<Network, Error> {
        let (n, m) = (penalty.len(), capacity.len());
        for (t, &p) in penalty.iter().enumerate() {
            check_cost(|| format!("penalty of ticket {t}"), p)?;
        }
        // Cheapest first within a ticket: the flow solver stops scanning a ticket's arcs early.
        if !arcs.is_sorted_by_key(|&(t, e, c)| (t, c, e)) {
            arcs.sort_unstable_by_key(|&(t, e, c)| (t, c, e));
        }
        let mut arc_start = vec![0usize; n + 1];
        // last_ticket[e] = 1 + the last ticket seen with an arc to e, to catch repeated pairs.
        let mut last_ticket = vec![0u32; m];
        for &(t, e, c) in &arcs {
            if t as usize >= n || e as usize >= m {
                return Err(invalid(format!(
                    "arc ({t}, {e}) names a ticket or engineer beyond {n} tickets and {m} engineers"
                )));
            }
            if last_ticket[e as usize] == t + 1 {
                return Err(invalid(format!("arc ({t}, {e}) appears twice")));
            }
            last_ticket[e as usize] = t + 1;
            check_cost(|| format!("cost of arc ({t}, {e})"), c)?;
            arc_start[t as usize + 1] += 1;
        }
        for t in 0..n {
            arc_start[t + 1] += arc_start[t];
        }
        let arc_engineer = arcs.iter().map(|a| a.1).collect();
        let arc_cost = arcs.iter().map(|a| a.2).collect();
        Ok(Network {
            capacity,
            penalty,
            arc_start,
            arc_engineer,
            arc_cost,
            load_costs: None,
        })
    }

    /// Adds convex load costs: `costs[e][k]` is the extra cost of engineer `e`'s `(k+1)`-th ticket in
    /// this run. Each list must have `capacity[e]` entries and be non-decreasing (convex total cost),
    /// which is what makes the min-cost-flow model exact.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`] when a list has the wrong length, decreases, or exceeds
    /// [`MAX_COST`].
    pub fn with_load_costs(mut self, costs: Vec<Vec<i64>>) -> Result<Network, Error> {
        if costs.len() != self.capacity.len() {
            return Err(invalid(format!(
                "{} load cost lists for {} engineers",
                costs.len(),
                self.capacity.len()
            )));
        }
        for (e, list) in costs.iter().enumerate() {
            if list.len() != self.capacity[e] as usize {
                return Err(invalid(format!(
                    "engineer {e}: {} load costs for capacity {}",
                    list.len(),
                    self.capacity[e]
                )));
            }
            if !list.is_sorted() {
                return Err(invalid(format!(
                    "engineer {e}: load costs decrease (not convex)"
                )));
            }
            for &c in list {
                check_cost(|| format!("load cost of engineer {e}"), c)?;
            }
        }
        self.load_costs = Some(costs);
        Ok(self)
    }

    /// Number of tickets.
    pub fn tickets(&self) -> usize {
        self.penalty.len()
    }

    /// Number of engineers.
    pub fn engineers(&self) -> usize {
        self.capacity.len()
    }

    /// Number of arcs.
    pub fn arcs(&self) -> usize {
        self.arc_engineer.len()
    }

    /// Capacity of engineer `e`.
    pub fn capacity(&self, e: usize) -> u32 {
        self.capacity[e]
    }

    /// Unassignment penalty of ticket `t`.
    pub fn penalty(&self, t: usize) -> i64 {
        self.penalty[t]
    }

    /// The arcs of ticket `t` as `(engineer, cost)`, cheapest first (ties by engineer).
    pub fn arcs_of(&self, t: usize) -> impl ExactSizeIterator<Item = (u32, i64)> + '_ {
        let r = self.arc_range(t);
        self.arc_engineer[r.clone()]
            .iter()
            .copied()
            .zip(self.arc_cost[r].iter().copied())
    }

    pub(crate) fn arc_range(&self, t: usize) -> std::ops::Range<usize> {
        self.arc_start[t]..self.arc_start[t + 1]
    }

    pub(crate) fn arc_engineer(&self) -> &[u32] {
        &self.arc_engineer
    }

    pub(crate) fn arc_cost(&self) -> &[i64] {
        &self.arc_cost
    }

    /// The convex load costs, when set.
    pub fn load_costs(&self) -> Option<&[Vec<i64>]> {
        self.load_costs.as_deref()
    }

    /// The extra cost of engineer `e`'s `(k+1)`-th ticket (0 without load costs).
    pub fn load_cost(&self, e: usize, k: usize) -> i64 {
        self.load_costs.as_ref().map_or(0, |c| c[e][k])
    }

    /// The cost of the arc from `t` to `e`, if there is one. `O(d)` for `d` arcs of `t`.
    pub fn arc_cost_of(&self, t: usize, e: u32) -> Option<i64> {
        self.arcs_of(t).find(|&(x, _)| x == e).map(|(_, c)| c)
    }

    /// Checks that `assignment` is feasible (arcs exist, capacities respected) and returns its
    /// objective.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`] naming the first ticket without such an arc or the first
    /// engineer over capacity.
    pub fn evaluate(&self, assignment: &[Option<u32>]) -> Result<i64, Error> {
        if assignment.len() != self.tickets() {
            return Err(invalid(format!(
                "{} entries for {} tickets",
                assignment.len(),
                self.tickets()
            )));
        }
        let mut load = vec![0u32; self.engineers()];
        let mut objective = 0i64;
        for (t, a) in assignment.iter().enumerate() {
            match *a {
                None => objective += self.penalty[t],
                Some(e) => {
                    let c = self
                        .arc_cost_of(t, e)
                        .ok_or_else(|| invalid(format!("ticket {t} has no arc to engineer {e}")))?;
                    objective += c;
                    let l = &mut load[e as usize];
                    if *l >= self.capacity[e as usize] {
                        return Err(invalid(format!("engineer {e} is over its capacity")));
                    }
                    objective += self.load_cost(e as usize, *l as usize);
                    *l += 1;
                }
            }
        }
        Ok(objective)
    }

    /// Reads an instance file (the sparse format of the [module docs](crate::solve::network), or OR-Library
    /// `assignN.txt`). Streams: memory is that of the network, not of the text. `O(m)` for sorted arcs.
    ///
    /// # Errors
    /// [`ErrorKind::Instance`] with the 1-based line of the first bad line (unknown record, missing or
    /// extra numbers, a number that does not parse, a record out of range or repeated, wrong counts),
    /// or [`ErrorKind::InvalidInstance`] for a problem found when the whole file is read.
    pub fn read(mut reader: impl BufRead) -> Result<Network, Error> {
        let mut line = Vec::new();
        let mut lineno = 0usize;
        // Find the first meaningful line to tell the formats apart.
        loop {
            line.clear();
            lineno += 1;
            if read_line(&mut reader, &mut line, lineno)? == 0 {
                return Err(Error::instance(lineno, "empty instance: no `p` line"));
            }
            let mut toks = Tokens::new(&line, lineno);
            match toks.peek() {
                None | Some(b"c") => continue,
                Some(first) if first[0].is_ascii_digit() => {
                    return read_or_library(reader, line, lineno);
                }
                Some(b"p") => {
                    toks.next_tok();
                    let n = toks.number::<u32>("ticket count")?;
                    let m = toks.number::<u32>("engineer count")?;
                    let arcs = toks.number::<u64>("arc count")?;
                    toks.end()?;
                    return read_sparse(reader, lineno, n, m, arcs);
                }
                Some(_) => return Err(Error::instance(lineno, "expected a `p` line first")),
            }
        }
    }

    /// Reads an instance from a string (see [`Network::read`]).
    ///
    /// # Errors
    /// As [`Network::read`].
    pub fn parse(text: &str) -> Result<Network, Error> {
        Network::read(text.as_bytes())
    }

    /// Writes the network in the sparse instance format (load costs are not part of the format and
    /// are left out).
    ///
    /// # Errors
    /// Any error of the writer.
    pub fn write(&self, mut w: impl Write) -> io::Result<()> {
        writeln!(
            w,
            "p {} {} {}",
            self.tickets(),
            self.engineers(),
            self.arcs()
        )?;
        for (e, c) in self.capacity.iter().enumerate() {
            writeln!(w, "e {e} {c}")?;
        }
        for (t, p) in self.penalty.iter().enumerate() {
            writeln!(w, "t {t} {p}")?;
        }
        for t in 0..self.tickets() {
            for (e, c) in self.arcs_of(t) {
                writeln!(w, "a {t} {e} {c}")?;
            }
        }
        Ok(())
    }
}

fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, lineno: usize) -> Result<usize, Error> {
    reader
        .read_until(b'\n', buf)
        .map_err(|e| Error::instance(lineno, format!("cannot read: {e}")))
}

/// Whitespace-separated tokens of one line, with errors that name the line.
struct Tokens<'a> {
    rest: &'a [u8],
    line: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a [u8], line: usize) -> Tokens<'a> {
        Tokens { rest: text, line }
    }

    fn skip_space(&mut self) {
        let n = self
            .rest
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        self.rest = &self.rest[n..];
    }

    fn peek(&mut self) -> Option<&'a [u8]> {
        self.skip_space();
        let n = self
            .rest
            .iter()
            .take_while(|b| !b.is_ascii_whitespace())
            .count();
        (n > 0).then(|| &self.rest[..n])
    }

    fn next_tok(&mut self) -> Option<&'a [u8]> {
        let tok = self.peek()?;
        self.rest = &self.rest[tok.len()..];
        Some(tok)
    }

    fn number<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, Error> {
        let tok = self
            .next_tok()
            .ok_or_else(|| Error::instance(self.line, format!("missing {what}")))?;
        std::str::from_utf8(tok)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                Error::instance(
                    self.line,
                    format!(
                        "{what} `{}` is not a valid number",
                        String::from_utf8_lossy(tok)
                    ),
                )
            })
    }

    fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(tok) => Err(Error::instance(
                self.line,
                format!(
                    "unexpected `{}` at end of line",
                    String::from_utf8_lossy(tok)
                ),
            )),
        }
    }
}

fn read_sparse(
    mut reader: impl BufRead,
    mut lineno: usize,
    n: u32,
    m: u32,
    declared_arcs: u64,
) -> Result<Network, Error> {
    // Records as they come, checked against the declared counts at the end: memory follows the
    // lines actually read, never a header's numbers alone.
    let mut capacity: Vec<(u32, u32, usize)> = Vec::new();
    let mut penalty: Vec<(u32, i64, usize)> = Vec::new();
    let mut arcs: Vec<(u32, u32, i64)> = Vec::with_capacity(declared_arcs.min(1 << 16) as usize);
    let mut line = Vec::new();
    loop {
        line.clear();
        lineno += 1;
        if read_line(&mut reader, &mut line, lineno)? == 0 {
            break;
        }
        let mut toks = Tokens::new(&line, lineno);
        let Some(kind) = toks.next_tok() else {
            continue;
        };
        match kind {
            b"c" => continue,
            b"a" => {
                let t = toks.number::<u32>("ticket")?;
                let e = toks.number::<u32>("engineer")?;
                let c = toks.number::<i64>("cost")?;
                toks.end()?;
                if t >= n || e >= m {
                    return Err(Error::instance(
                        lineno,
                        format!("arc ({t}, {e}) is outside {n} tickets and {m} engineers"),
                    ));
                }
                if c.abs() > MAX_COST {
                    return Err(Error::instance(
                        lineno,
                        format!("cost {c} is beyond {MAX_COST}"),
                    ));
                }
                if arcs.len() as u64 >= declared_arcs {
                    return Err(Error::instance(
                        lineno,
                        format!("more than the {declared_arcs} arcs declared"),
                    ));
                }
                arcs.push((t, e, c));
            }
            b"e" => {
                let e = toks.number::<u32>("engineer")?;
                let c = toks.number::<u32>("capacity")?;
                toks.end()?;
                if e >= m {
                    return Err(Error::instance(
                        lineno,
                        format!("engineer {e} is not below {m}"),
                    ));
                }
                capacity.push((e, c, lineno));
            }
            b"t" => {
                let t = toks.number::<u32>("ticket")?;
                let p = toks.number::<i64>("penalty")?;
                toks.end()?;
                if p.abs() > MAX_COST {
                    return Err(Error::instance(
                        lineno,
                        format!("penalty {p} is beyond {MAX_COST}"),
                    ));
                }
                if t >= n {
                    return Err(Error::instance(
                        lineno,
                        format!("ticket {t} is not below {n}"),
                    ));
                }
                penalty.push((t, p, lineno));
            }
            b"p" => return Err(Error::instance(lineno, "a second `p` line")),
            other => {
                return Err(Error::instance(
                    lineno,
                    format!(
                        "unknown record `{}` (expected c, p, e, t or a)",
                        String::from_utf8_lossy(other)
                    ),
                ));
            }
        }
    }
    if arcs.len() as u64 != declared_arcs {
        return Err(invalid(format!(
            "{} arcs for the {declared_arcs} declared",
            arcs.len()
        )));
    }
    let capacity = collect_declared(capacity, m, "engineer")?;
    let penalty = collect_declared(penalty, n, "ticket")?;
    Network::new(capacity, penalty, arcs)
}

/// Orders the records by index and checks that indices `0..count` each appear exactly once.
fn collect_declared<T: Copy>(
    mut items: Vec<(u32, T, usize)>,
    count: u32,
    what: &str,
) -> Result<Vec<T>, Error> {
    items.sort_by_key(|&(i, _, line)| (i, line));
    if let Some(w) = items.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::instance(
            w[1].2,
            format!("{what} {} is declared twice", w[1].0),
        ));
    }
    if let Some(missing) = (0..count)
        .zip(items.iter())
        .find(|(i, r)| *i != r.0)
        .map(|(i, _)| i)
    {
        return Err(invalid(format!("{what} {missing} is never declared")));
    }
    if items.len() < count as usize {
        return Err(invalid(format!("{what} {} is never declared", items.len())));
    }
    Ok(items.into_iter().map(|(_, v, _)| v).collect())
}

fn read_or_library(
    mut reader: impl BufRead,
    first: Vec<u8>,
    mut lineno: usize,
) -> Result<Network, Error> {
    let mut line = first;
    let mut toks = Tokens::new(&line, lineno);
    let n = toks.number::<u32>("matrix size")?;
    if n > 100_000 {
        return Err(Error::instance(
            lineno,
            format!("matrix size {n} is too large for a dense file"),
        ));
    }
    let total = n as usize * n as usize;
    // Reserve only what a small file needs; a header never reserves memory on its own.
    let mut costs: Vec<i64> = Vec::with_capacity(total.min(1 << 20));
    let mut rest = toks.rest.to_vec();
    loop {
        let mut toks = Tokens::new(&rest, lineno);
        while toks.peek().is_some() {
            if costs.len() == total {
                return Err(Error::instance(
                    lineno,
                    format!("more than the {total} costs of a {n}×{n} matrix"),
                ));
            }
            let c = toks.number::<i64>("cost")?;
            if c.abs() > MAX_COST {
                return Err(Error::instance(
                    lineno,
                    format!("cost {c} is beyond {MAX_COST}"),
                ));
            }
            costs.push(c);
        }
        line.clear();
        lineno += 1;
        if read_line(&mut reader, &mut line, lineno)? == 0 {
            break;
        }
        rest.clear();
        rest.extend_from_slice(&line);
    }
    if costs.len() != total {
        return Err(invalid(format!(
            "{} costs for a {n}×{n} matrix",
            costs.len()
        )));
    }
    let (lo, hi) = costs
        .iter()
        .fold((0i64, 0i64), |(lo, hi), &c| (lo.min(c), hi.max(c)));
    // Any penalty above the cost range makes every optimum a perfect assignment (n×n is complete).
    let penalty = (hi - lo + 1).max(1) + hi.max(0);
    let arcs = (0..n)
        .flat_map(|t| (0..n).map(move |e| (t, e)))
        .zip(costs)
        .map(|((t, e), c)| (t, e, c))
        .collect();
    Network::new(vec![1; n as usize], vec![penalty; n as usize], arcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "c two tickets, two engineers\np 2 2 3\ne 0 1\ne 1 1\nt 0 100\nt 1 50\n\
                         a 0 0 5\na 1 0 3\na 0 1 9\n";

    #[test]
    fn reads_and_writes_the_sparse_format() {
        let net = Network::parse(SMALL).unwrap();
        assert_eq!((net.tickets(), net.engineers(), net.arcs()), (2, 2, 3));
        assert_eq!(net.arcs_of(0).collect::<Vec<_>>(), vec![(0, 5), (1, 9)]);
        assert_eq!(net.arcs_of(1).collect::<Vec<_>>(), vec![(0, 3)]);
        let mut out = Vec::new();
        net.write(&mut out).unwrap();
        assert_eq!(
            Network::parse(std::str::from_utf8(&out).unwrap()).unwrap(),
            net
        );
        assert_eq!(net.evaluate(&[Some(1), Some(0)]).unwrap(), 12);
        assert_eq!(net.evaluate(&[None, Some(0)]).unwrap(), 103);
        assert!(net.evaluate(&[Some(0), Some(0)]).is_err());
        assert!(net.evaluate(&[None, Some(1)]).is_err());
    }

    #[test]
    fn bad_lines_are_named() {
        let cases = [
            (
                "p 1 1 1\ne 0 1\nt 0 5\na 0 0 x\n",
                4,
                "cost `x` is not a valid number",
            ),
            ("p 1 1 1\ne 0 1\nt 0 5\na 0 3 1\n", 4, "outside"),
            ("p 1 1 0\ne 0 1\ne 0 2\n", 3, "declared twice"),
            ("p 1 1 0\nq 0\n", 2, "unknown record `q`"),
            ("p 1 1\n", 1, "missing arc count"),
            ("p 1 1 0\ne 0 1 7\n", 2, "unexpected `7`"),
            ("p 1 1 0\ne 0 -1\n", 2, "capacity `-1`"),
            ("a 0 0 1\n", 1, "expected a `p` line"),
        ];
        for (text, line, message) in cases {
            let err = Network::parse(text).unwrap_err();
            assert_eq!(err.line(), Some(line), "{text:?}: {err}");
            assert!(err.to_string().contains(message), "{text:?}: {err}");
        }
        let err = Network::parse("p 1 1 2\ne 0 1\nt 0 1\na 0 0 1\n").unwrap_err();
        assert!(
            err.to_string().contains("1 arcs for the 2 declared"),
            "{err}"
        );
        let err = Network::parse("p 2 1 0\ne 0 1\nt 0 1\n").unwrap_err();
        assert!(
            err.to_string().contains("ticket 1 is never declared"),
            "{err}"
        );
        assert!(Network::parse("").is_err());
    }

    /// Fuzzing found headers that reserved gigabytes before a single record was read.
    #[test]
    fn huge_headers_reserve_nothing() {
        let err = Network::parse("p 4000000000 4000000000 4000000000\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("0 arcs for the 4000000000 declared"),
            "{err}"
        );
        let err = Network::parse("p 240000639 1 0\ne 0 340000639524281\n\n").unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
        let err = Network::parse(" 80389 14 937 $").unwrap_err();
        assert!(err.to_string().contains("not a valid number"), "{err}");
        let err = Network::parse("99999\ne\ne").unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
    }

    #[test]
    fn reads_or_library_matrices() {
        let net = Network::parse("3\n 1 2 3\n 4 5 6 7 8\n 9\n").unwrap();
        assert_eq!((net.tickets(), net.engineers(), net.arcs()), (3, 3, 9));
        assert_eq!(net.arc_cost_of(1, 2), Some(6));
        assert!(net.penalty(0) > 9);
        assert!(Network::parse("2\n1 2 3\n").is_err());
        assert!(Network::parse("2\n1 2 3 4 5\n").is_err());
    }

    #[test]
    fn load_costs_must_be_convex() {
        let net = Network::parse(SMALL).unwrap();
        assert!(net.clone().with_load_costs(vec![vec![1], vec![0]]).is_ok());
        assert!(
            net.clone()
                .with_load_costs(vec![vec![1, 2], vec![0]])
                .is_err()
        );
        let net = Network::new(vec![2], vec![10], vec![(0, 0, 1)]).unwrap();
        assert!(net.with_load_costs(vec![vec![3, 1]]).is_err());
    }
}
