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
//! `--gap FILE...` reads OR-Library Generalized Assignment files (`gap1.txt` … `gapd.txt`,
//! `e05100.txt` …; format in `dispatchkit::solve::gap`) and solves every instance in them with the
//! MIP layer (`dispatchkit::solve::mip`), printing one line per instance:
//!
//! ```text
//! <file>#<k> objective=<int> bound=<int> seconds=<float> status=<optimal|feasible>
//! ```
//! Options: `--maximize` (gap1–gap12 publish maximisation optima; a–e are minimisation),
//! `--time-limit SECONDS` (default 10, per instance), `--backend microlp|highs` (default: highs when
//! built with `--features highs`, else microlp), `--gap-limit REL` (default 0). When maximising the
//! bound is an upper bound. An instance whose best assignment leaves a job out (no complete
//! assignment found in time) prints `status=incomplete` with the number of jobs left out.
//!
//! Errors (an unreadable file, a bad line — the message names it —, a solver failure) go to stderr
//! with exit status 1.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use std::time::Duration;

use dispatchkit::solve::mip::{self, MipBackend, MipOptions, MipStatus};
use dispatchkit::solve::{self, Network, NetworkSolution, gap};

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
                     solve_instance --all-assign DIR [--solver flow|lp|greedy]\n       \
                     solve_instance --gap FILE... [--maximize] [--time-limit SECONDS] \
                     [--backend microlp|highs] [--gap-limit REL]";

/// Settings of `--gap`.
struct GapRun {
    files: Vec<PathBuf>,
    maximize: bool,
    options: MipOptions,
}

fn gap_files(run: &GapRun) -> Result<(), String> {
    for path in &run.files {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let instances =
            gap::read(BufReader::new(file)).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        for (k, instance) in instances.iter().enumerate() {
            let model = instance
                .model(run.maximize)
                .map_err(|e| format!("{name}#{}: {e}", k + 1))?;
            let started = Instant::now();
            let sol =
                mip::solve(&model, &run.options).map_err(|e| format!("{name}#{}: {e}", k + 1))?;
            let seconds = started.elapsed().as_secs_f64();
            let checked = model
                .evaluate(&sol.assignment)
                .map_err(|e| format!("{name}#{}: infeasible answer: {e}", k + 1))?;
            if checked != sol.objective {
                return Err(format!(
                    "{name}#{}: objective {} but the assignment costs {checked}",
                    k + 1,
                    sol.objective
                ));
            }
            let left_out = instance.jobs - sol.assigned();
            let objective = instance.cost_of(&sol.assignment);
            let bound = instance.objective(run.maximize, sol.bound);
            let status = match (left_out, sol.status) {
                (0, MipStatus::Optimal) => "optimal".to_string(),
                (0, MipStatus::Feasible) => "feasible".to_string(),
                (n, _) => format!("incomplete left_out={n}"),
            };
            println!(
                "{name}#{} objective={objective} bound={bound} seconds={seconds:.3} status={status}",
                k + 1
            );
        }
    }
    Ok(())
}

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
    let mut gap_run: Option<GapRun> = None;
    let mut maximize = false;
    let mut options = MipOptions {
        backend: if cfg!(feature = "highs") {
            MipBackend::Highs
        } else {
            MipBackend::Microlp
        },
        ..MipOptions::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gap" => {
                gap_run = Some(GapRun {
                    files: Vec::new(),
                    maximize: false,
                    options: MipOptions::default(),
                })
            }
            "--maximize" => maximize = true,
            "--time-limit" => {
                let s: f64 = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or("--time-limit needs a number of seconds")?;
                options.time_limit = Duration::from_secs_f64(s);
            }
            "--gap-limit" => {
                options.rel_gap = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--gap-limit needs a number")?;
            }
            "--backend" => {
                options.backend = match args.next().as_deref() {
                    Some("microlp") => MipBackend::Microlp,
                    Some("highs") if cfg!(feature = "highs") => MipBackend::Highs,
                    Some("highs") => return Err("built without the `highs` feature".to_string()),
                    other => return Err(format!("unknown backend {other:?}\n{USAGE}")),
                }
            }
            s if gap_run.is_some() && !s.starts_with('-') => {
                if let Some(run) = gap_run.as_mut() {
                    run.files.push(PathBuf::from(s));
                }
            }
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
    if let Some(mut run) = gap_run {
        if run.files.is_empty() || file.is_some() || dir.is_some() {
            return Err(USAGE.to_string());
        }
        run.maximize = maximize;
        run.options = options;
        return gap_files(&run);
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
