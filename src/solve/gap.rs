//! OR-Library Generalized Assignment Problem files, read into [`MipModel`]s.
//!
//! # The format
//! A stream of whitespace-separated integers (line breaks mean nothing):
//! ```text
//! P                 number of instances (absent in files that hold a single instance, e.g. e05100)
//! then P times:     m n, then c (m rows of n), then a (m rows of n), then b (m values)
//! ```
//! `m` agents (engineers) with capacities `b[i]`, `n` jobs (tickets); job `j` on agent `i` costs
//! `c[i][j]` and uses `a[i][j]` of the agent's capacity. Every job must go to exactly one agent.
//! [`read`] tells the two layouts apart by their lengths: a file is a single instance when `m n` and
//! its `2mn + m` numbers are exactly the whole file.
//!
//! # As a dispatch model
//! [`GapInstance::model`] makes jobs tickets and agents engineers with an hour budget of `b[i]`
//! minutes, `a[i][j]` minutes per arc, no count limit, and costs shifted to be non-negative
//! (`c − min c` when minimising, `max c − c` when maximising). Every ticket gets the penalty
//! `n · max shifted cost + 1`, more than any complete assignment costs, so the optimum of the model
//! assigns every job whenever the instance is feasible, and its objective maps back to the GAP's by
//! [`GapInstance::objective`].

use std::io::Read;

use super::Network;
use super::mip::MipModel;
use crate::error::Error;

/// One GAP instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapInstance {
    /// Number of agents `m`.
    pub agents: usize,
    /// Number of jobs `n`.
    pub jobs: usize,
    /// `cost[i][j]`: job `j` on agent `i`.
    pub cost: Vec<Vec<i64>>,
    /// `weight[i][j]`: capacity job `j` uses on agent `i`.
    pub weight: Vec<Vec<u64>>,
    /// `capacity[i]`: agent `i`'s capacity.
    pub capacity: Vec<u64>,
}

/// The largest `m` or `n` accepted (keeps a bad header from reserving huge memory).
pub const MAX_DIMENSION: usize = 100_000;

/// Integers of the text with the line each starts on.
struct Numbers<'a> {
    tokens: Vec<(&'a str, usize)>,
    pos: usize,
}

impl<'a> Numbers<'a> {
    fn new(text: &'a str) -> Numbers<'a> {
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            tokens.extend(line.split_whitespace().map(|tok| (tok, i + 1)));
        }
        Numbers { tokens, pos: 0 }
    }

    fn last_line(&self) -> usize {
        self.tokens.last().map_or(1, |t| t.1)
    }

    fn next<T: std::str::FromStr>(&mut self, what: impl FnOnce() -> String) -> Result<T, Error> {
        let Some(&(tok, line)) = self.tokens.get(self.pos) else {
            return Err(Error::instance(
                self.last_line(),
                format!("the file ends before {}", what()),
            ));
        };
        self.pos += 1;
        tok.parse().map_err(|_| {
            Error::instance(
                line,
                format!("{} `{tok}` is not a valid non-negative integer", what()),
            )
        })
    }

    fn dimension(&mut self, what: &str, instance: usize) -> Result<usize, Error> {
        let line = self.tokens.get(self.pos).map_or(self.last_line(), |t| t.1);
        let v: usize = self.next(|| format!("the {what} of instance {instance}"))?;
        if v == 0 || v > MAX_DIMENSION {
            return Err(Error::instance(
                line,
                format!("the {what} of instance {instance} is {v}, outside 1..={MAX_DIMENSION}"),
            ));
        }
        Ok(v)
    }
}

fn matrix<T: std::str::FromStr>(
    nums: &mut Numbers<'_>,
    m: usize,
    n: usize,
    what: &str,
    instance: usize,
) -> Result<Vec<Vec<T>>, Error> {
    (0..m)
        .map(|i| {
            (0..n)
                .map(|j| nums.next(|| format!("{what}[{i}][{j}] of instance {instance}")))
                .collect()
        })
        .collect()
}

fn instance(nums: &mut Numbers<'_>, k: usize) -> Result<GapInstance, Error> {
    let m = nums.dimension("agent count", k)?;
    let n = nums.dimension("job count", k)?;
    // Cheap check before reserving m·n entries: the numbers must be there.
    let needed = 2 * m * n + m;
    if nums.tokens.len() - nums.pos < needed {
        return Err(Error::instance(
            nums.last_line(),
            format!(
                "instance {k} needs {needed} more numbers for {m} agents and {n} jobs, the file has {}",
                nums.tokens.len() - nums.pos
            ),
        ));
    }
    let cost = matrix::<i64>(nums, m, n, "cost", k)?;
    let weight = matrix::<u64>(nums, m, n, "weight", k)?;
    let capacity = (0..m)
        .map(|i| nums.next(|| format!("capacity[{i}] of instance {k}")))
        .collect::<Result<Vec<u64>, Error>>()?;
    Ok(GapInstance {
        agents: m,
        jobs: n,
        cost,
        weight,
        capacity,
    })
}

/// Reads every instance of a GAP file (see the [module docs](self) for both layouts).
///
/// # Errors
/// [`ErrorKind::Instance`](crate::ErrorKind::Instance) with the 1-based line of the first problem: a
/// token that is not a non-negative integer (costs may be negative), a dimension of 0 or above
/// [`MAX_DIMENSION`], a file that ends early, or numbers left over after the last instance.
///
/// # Examples
/// ```
/// use dispatchkit::solve::gap;
/// let text = "1\n2 3\n1 2 3\n4 5 6\n1 1 1\n1 1 1\n2 2\n";
/// let instances = gap::read(text.as_bytes())?;
/// assert_eq!((instances[0].agents, instances[0].jobs), (2, 3));
/// assert_eq!(instances[0].capacity, vec![2, 2]);
/// let err = gap::read("1\n2 3\n1 2 x\n".as_bytes()).unwrap_err();
/// assert_eq!(err.line(), Some(3));
/// # Ok::<(), dispatchkit::Error>(())
/// ```
pub fn read(mut reader: impl Read) -> Result<Vec<GapInstance>, Error> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::instance(1, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // Point at the line of the first byte that is not UTF-8.
        let at = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
        Error::instance(line, "the file is not valid UTF-8 text")
    })?;
    let mut nums = Numbers::new(&text);
    if nums.tokens.is_empty() {
        return Err(Error::instance(1, "empty file: no instance"));
    }
    // A single instance when `m n` and 2mn + m numbers are exactly the file.
    let single = match (
        nums.tokens.first().and_then(|t| t.0.parse::<usize>().ok()),
        nums.tokens.get(1).and_then(|t| t.0.parse::<usize>().ok()),
    ) {
        (Some(m), Some(n)) => {
            m.checked_mul(n)
                .and_then(|mn| mn.checked_mul(2))
                .and_then(|v| v.checked_add(m + 2))
                == Some(nums.tokens.len())
        }
        _ => false,
    };
    let count = if single {
        1
    } else {
        let line = nums.tokens[0].1;
        let p: usize = nums.next(|| "the instance count".to_string())?;
        if p == 0 || p > nums.tokens.len() {
            return Err(Error::instance(
                line,
                format!("the instance count {p} does not fit the file"),
            ));
        }
        p
    };
    let mut instances = Vec::with_capacity(count);
    for k in 1..=count {
        instances.push(instance(&mut nums, k)?);
    }
    if let Some(&(tok, line)) = nums.tokens.get(nums.pos) {
        return Err(Error::instance(
            line,
            format!("unexpected `{tok}` after the last instance"),
        ));
    }
    Ok(instances)
}

impl GapInstance {
    /// The instance as a [`MipModel`] (see the [module docs](self)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInstance`](crate::ErrorKind::InvalidInstance) when costs are so large that
    /// the penalty would exceed [`MAX_COST`](super::MAX_COST).
    pub fn model(&self, maximize: bool) -> Result<MipModel, Error> {
        let too_large = || {
            Error::from(crate::ErrorKind::InvalidInstance {
                message: "costs too large for an exact penalty".to_string(),
            })
        };
        let (lo, hi) = self.cost_range();
        // Shifted costs are non-negative and at most hi − lo, computed without overflow.
        let range = i64::try_from(i128::from(hi) - i128::from(lo)).map_err(|_| too_large())?;
        let penalty = i64::try_from(self.jobs)
            .ok()
            .and_then(|n| n.checked_mul(range))
            .and_then(|v| v.checked_add(1))
            .filter(|&p| p <= super::MAX_COST)
            .ok_or_else(too_large)?;
        let mut arcs = Vec::with_capacity(self.agents * self.jobs);
        for (i, row) in self.cost.iter().enumerate() {
            arcs.extend(row.iter().enumerate().map(|(j, &c)| {
                let shifted = if maximize { hi - c } else { c - lo };
                (j as u32, i as u32, shifted)
            }));
        }
        let net = Network::new(
            vec![self.jobs as u32; self.agents],
            vec![penalty; self.jobs],
            arcs,
        )?;
        MipModel::new(
            net,
            |j, i| self.weight[i as usize][j],
            self.capacity.iter().map(|&b| Some(b)).collect(),
        )
    }

    fn cost_range(&self) -> (i64, i64) {
        let all = self.cost.iter().flatten().copied();
        (all.clone().min().unwrap_or(0), all.max().unwrap_or(0))
    }

    /// The GAP objective (total cost, or total profit when maximising) of a model objective or bound
    /// computed on [`GapInstance::model`] for a complete assignment. When maximising, a model lower
    /// bound becomes an upper bound on the profit.
    pub fn objective(&self, maximize: bool, model_value: i64) -> i64 {
        let (lo, hi) = self.cost_range();
        let n = self.jobs as i64;
        if maximize {
            n.saturating_mul(hi).saturating_sub(model_value)
        } else {
            n.saturating_mul(lo).saturating_add(model_value)
        }
    }

    /// The GAP objective of an assignment (`job → agent`), computed directly from the costs.
    pub fn cost_of(&self, assignment: &[Option<u32>]) -> i64 {
        assignment
            .iter()
            .enumerate()
            .filter_map(|(j, a)| a.map(|i| self.cost[i as usize][j]))
            .fold(0i64, i64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn reads_both_layouts() {
        let one = "2 2\n1 2\n3 4\n1 1\n1 1\n5 5\n";
        let v = read(one.as_bytes()).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].cost, vec![vec![1, 2], vec![3, 4]]);
        let two = format!("2\n{one}{one}");
        assert_eq!(read(two.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn extreme_numbers_are_errors_not_overflows() {
        let text = format!("1 2\n{} {}\n1 1\n5\n", i64::MIN, i64::MAX);
        let instance = &read(text.as_bytes()).unwrap()[0];
        for maximize in [false, true] {
            let err = instance.model(maximize).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::InvalidInstance { .. }),
                "{err}"
            );
        }
        let text = format!("1 1\n3\n{}\n5\n", u64::MAX);
        let err = read(text.as_bytes()).unwrap()[0].model(false).unwrap_err();
        assert!(err.to_string().contains("minutes"), "{err}");
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("", 1, "empty"),
            ("1\n2 2\n1 2\n3 4\n1 1\n1 -1\n5 5\n", 6, "weight[1][1]"),
            ("1\n0 2\n5\n", 2, "agent count"),
            ("1\n2 2\n1 2\n", 3, "needs 10 more numbers"),
            ("1\n2 2\n1 2\n3 4\n1 1\n1 1\n5 5\n7\n", 8, "after the last"),
            ("9\n2 2\n1 2\n3 4\n1 1\n1 1\n5 5\n", 7, "ends before"),
            ("1\n99999999 99999999\n", 2, "outside"),
        ];
        for (text, line, needle) in cases {
            let err = read(text.as_bytes()).unwrap_err();
            assert_eq!(err.line(), Some(line), "{text:?}: {err}");
            assert!(err.to_string().contains(needle), "{text:?}: {err}");
            assert!(matches!(err.kind(), ErrorKind::Instance { .. }));
        }
    }
}
