//! Solves an instance file and prints one line: `objective=<int> assigned=<int> unassigned=<int>
//! seconds=<float>`.
//!
//! ```text
//! cargo run --release --example solve_instance -- FILE [--solver flow|lp|greedy]
//! cargo run --release --example solve_instance -- --all-assign DIR [--solver ...]
//! ```
//! FILE is a sparse instance (`gen_instance` writes them) or an OR-Library `assignN.txt`;
//! `Network::read` tells them apart by content. For an `assignN.txt` every ticket is assigned and the
//! objective is the assignment cost, the figure OR-Library publishes. `seconds` is the solve time only
//! (reading the file is not counted). The solution is checked with `Network::evaluate` afterwards; a
//! solver whose assignment is infeasible or whose objective disagrees is an error.
//!
//! `--all-assign DIR` solves every `assignN.txt` in DIR (e.g. `../shared/data/assign`), in order of
//! N, prints the line prefixed with the file name and followed by the published optimum, and fails if
//! any objective differs from it (100→305, 200→475, 300→626, 400→804, 500→991, 600→1176, 700→1362,
//! 800→1552).
//!
//! Errors (an unreadable file, a bad line — the message names it —, a solver failure) go to stderr
//! with exit status 1.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dispatchkit::solve::{self, Network, NetworkSolution};

/// OR-Library's published optima of `assignN.txt`: (N, optimum).
const ASSIGN_OPTIMA: [(u32, i64); 8] = [
    (100, 305),
    (200, 475),
    (300, 626),
    (400, 804),
    (500, 991),
    (600, 1176),
    (700, 1362),
    (800, 1552),
];

#[derive(Debug, Clone, Copy)]
enum Solver {
    Flow,
    Lp,
    Greedy,
}

const USAGE: &str = "usage: solve_instance FILE [--solver flow|lp|greedy]\n       \
                     solve_instance --all-assign DIR [--solver flow|lp|greedy]";

fn read(path: &Path) -> Result<Network, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Network::read(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Solves and checks; returns the solution and the solve time in seconds.
fn solve_checked(net: &Network, solver: Solver) -> Result<(NetworkSolution, f64), String> {
    let started = Instant::now();
    let sol = match solver {
        Solver::Flow => solve::flow::solve(net),
        Solver::Lp => solve::lp::solve(net).map_err(|e| format!("lp solver: {e}"))?,
        Solver::Greedy => solve::greedy::solve(net),
    };
    let seconds = started.elapsed().as_secs_f64();
    let objective = net
        .evaluate(&sol.assignment)
        .map_err(|e| format!("{solver:?} solution is infeasible: {e}"))?;
    if objective != sol.objective {
        return Err(format!(
            "{solver:?} reports objective {} but its assignment costs {objective}",
            sol.objective
        ));
    }
    Ok((sol, seconds))
}

fn line(net: &Network, sol: &NetworkSolution, seconds: f64) -> String {
    let assigned = sol.assigned();
    format!(
        "objective={} assigned={assigned} unassigned={} seconds={seconds:.6}",
        sol.objective,
        net.tickets() - assigned
    )
}

fn all_assign(dir: &Path, solver: Solver) -> Result<(), String> {
    let mut files: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            let n = name
                .strip_prefix("assign")?
                .strip_suffix(".txt")?
                .parse()
                .ok()?;
            Some((n, path))
        })
        .collect();
    if files.is_empty() {
        return Err(format!("{}: no assignN.txt files", dir.display()));
    }
    files.sort();
    let mut wrong = 0;
    for (n, path) in &files {
        let net = read(path)?;
        let (sol, seconds) = solve_checked(&net, solver)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let expected = ASSIGN_OPTIMA.iter().find(|&&(size, _)| size == *n);
        let verdict = match expected {
            Some(&(_, opt)) if opt == sol.objective => format!("optimum={opt} ok"),
            Some(&(_, opt)) => {
                wrong += 1;
                format!("optimum={opt} WRONG")
            }
            None => "optimum=unknown".to_string(),
        };
        println!("{name} {} {verdict}", line(&net, &sol, seconds));
    }
    if wrong > 0 {
        return Err(format!(
            "{wrong} objective(s) differ from the published optima"
        ));
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let mut file = None;
    let mut dir = None;
    let mut solver = Solver::Flow;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--solver" => {
                solver = match args.next().as_deref() {
                    Some("flow") => Solver::Flow,
                    Some("lp") => Solver::Lp,
                    Some("greedy") => Solver::Greedy,
                    other => return Err(format!("unknown solver {other:?}\n{USAGE}")),
                }
            }
            "--all-assign" => dir = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if file.is_none() && !s.starts_with('-') => file = Some(PathBuf::from(s)),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    match (file, dir) {
        (Some(file), None) => {
            let net = read(&file)?;
            let (sol, seconds) = solve_checked(&net, solver)?;
            println!("{}", line(&net, &sol, seconds));
            Ok(())
        }
        (None, Some(dir)) => all_assign(&dir, solver),
        _ => Err(USAGE.to_string()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
