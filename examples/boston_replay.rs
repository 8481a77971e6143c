//! Replays the 2,424 real Boston Public Works requests through every built-in policy.
//!
//! ```text
//! cargo run --release --example boston_replay
//! cargo run --release --example boston_replay -- --crew 60 --days 4 --json target/boston.json
//! ```
//! Reads `../shared/data/boston/service_requests_2025.csv` and `neighborhoods.geojson` (run from
//! the project root), builds the scenario described in `examples/common/boston.rs` (all requests on
//! one day at their time of day with their real SLA windows, a generated crew homed in the
//! neighbourhoods, 3 days to clear the backlog), runs round-robin, nearest available, least loaded,
//! greedy and the optimiser with a progress bar, prints the KPI table and the optimiser's verdict,
//! and writes the SVG chart (default `target/boston_replay.svg`) and, with `--json`, the reports.
//! `--calendar` replays the real open times over the real five months instead (try `--crew 6`).
#![forbid(unsafe_code)]

#[path = "common/boston.rs"]
mod boston;
#[path = "common/sim_report.rs"]
mod sim_report;

use std::process::ExitCode;

use dispatchkit::sim::{SimConfig, Trigger};

const USAGE: &str = "usage: boston_replay [--crew N] [--days D] [--seed S] [--every MIN | --on-event]\n                     \
     [--calendar] [--policy NAME] [--json FILE] [--svg FILE]\n       \
     defaults: 80 crew a day, 3 days, seed 1, every 5 minutes, all policies, --svg target/boston_replay.svg\n       \
     --calendar: real open times over the real five months (then --days are added after the last)";

fn main() -> ExitCode {
    let mut params = boston::ReplayParams::default();
    let mut trigger = Trigger::Every { minutes: 5 };
    let mut policy = None;
    let mut json = None;
    let mut svg = "target/boston_replay.svg".to_string();
    let mut it = std::env::args().skip(1);
    let fail = |msg: String| {
        eprintln!("{msg}\n{USAGE}");
        ExitCode::from(2)
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let parsed = match flag.as_str() {
            "--crew" => value().and_then(|v| {
                v.parse()
                    .map_err(|_| format!("bad --crew `{v}`"))
                    .map(|n| params.crew = n)
            }),
            "--days" => value().and_then(|v| {
                v.parse()
                    .map_err(|_| format!("bad --days `{v}`"))
                    .map(|n| params.days = n)
            }),
            "--seed" => value().and_then(|v| {
                v.parse()
                    .map_err(|_| format!("bad --seed `{v}`"))
                    .map(|n| params.seed = n)
            }),
            "--every" => value().and_then(|v| {
                v.parse()
                    .map_err(|_| format!("bad --every `{v}`"))
                    .map(|minutes| trigger = Trigger::Every { minutes })
            }),
            "--on-event" => {
                trigger = Trigger::OnEvent;
                Ok(())
            }
            "--calendar" => {
                params.calendar = true;
                Ok(())
            }
            "--policy" => value().map(|v| policy = Some(v)),
            "--json" => value().map(|v| json = Some(v)),
            "--svg" => value().map(|v| svg = v),
            "-h" | "--help" => Err(String::new()),
            other => Err(format!("unexpected argument `{other}`")),
        };
        if let Err(e) = parsed {
            return fail(e);
        }
    }
    let (scenario, skipped) = match boston::load(params) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot build the replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{}: {} tickets ({} requests without a position left out), {} roster entries",
        scenario.name,
        scenario.tickets.len(),
        skipped,
        scenario.engineers.len()
    );
    let config = SimConfig::default().trigger(trigger);
    let mut policies = sim_report::all_policies();
    if let Some(name) = &policy {
        policies.retain(|p| p.name() == name);
        if policies.is_empty() {
            return fail(format!("unknown policy `{name}`"));
        }
    }
    let reports = match sim_report::run_all(&scenario, &config, &mut policies) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("simulation failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("\n{}", sim_report::table(&reports));
    print!("{}", sim_report::verdict(&reports));
    if let Some(path) = &json {
        let all: Vec<_> = reports.iter().map(|(r, _)| r).collect();
        if let Err(e) = std::fs::write(
            path,
            serde_json::to_string_pretty(&all).expect("serialises"),
        ) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    let title = format!(
        "Boston replay: {} requests {}, {} crew a day",
        scenario.tickets.len(),
        if params.calendar {
            "at their real times"
        } else {
            "in one day"
        },
        params.crew
    );
    if let Err(e) = sim_report::chart(&svg, &title, &reports) {
        eprintln!("cannot write {svg}: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {svg}");
    ExitCode::SUCCESS
}
