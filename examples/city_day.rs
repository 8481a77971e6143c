//! Simulates one day of a generated city under every built-in policy and compares the KPIs.
//!
//! ```text
//! cargo run --release --example city_day
//! cargo run --release --example city_day -- --tickets 20000 --engineers 500 --policy optimiser
//! cargo run --release --example city_day -- --json target/city_day.json --svg target/city_day.svg
//! cargo run --release --example city_day -- --rules examples/policies/vip.policy
//! ```
//! Generates the day with [`generate`] (default 600 tickets, 100 engineers, seed 1), runs round-robin,
//! nearest available, least loaded, greedy and the optimiser with a progress bar, prints the KPI table
//! (Markdown) and how the optimiser compares with round-robin and nearest available, and writes the
//! JSON reports and an SVG chart (open tickets over the day, SLA attainment per policy). Each
//! `--rules FILE` adds the optimiser running that policy of the rule language, named after the
//! file (`vip` for `vip.policy`); a policy that does not check prints its diagnostics.
#![forbid(unsafe_code)]

#[path = "common/sim_report.rs"]
mod sim_report;

use std::process::ExitCode;

use dispatchkit::sim::generate::{CityParams, generate};
use dispatchkit::sim::{SimConfig, Trigger};

const USAGE: &str = "usage: city_day [--tickets N] [--engineers M] [--seed S] [--every MIN | --on-event]\n                \
     [--policy NAME] [--rules FILE]... [--json FILE] [--svg FILE]\n       \
     defaults: 600 tickets, 100 engineers, seed 1, every 5 minutes, all policies, --svg target/city_day.svg";

struct Args {
    tickets: usize,
    engineers: usize,
    seed: u64,
    trigger: Trigger,
    policy: Option<String>,
    rules: Vec<String>,
    json: Option<String>,
    svg: String,
}

fn parse_args() -> Result<Args, String> {
    fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        v.parse()
            .map_err(|_| format!("{flag}: `{v}` is not valid\n{USAGE}"))
    }
    let mut a = Args {
        tickets: 600,
        engineers: 100,
        seed: 1,
        trigger: Trigger::Every { minutes: 5 },
        policy: None,
        rules: Vec::new(),
        json: None,
        svg: "target/city_day.svg".to_string(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--tickets" => a.tickets = value(&flag, it.next())?,
            "--engineers" => a.engineers = value(&flag, it.next())?,
            "--seed" => a.seed = value(&flag, it.next())?,
            "--every" => {
                a.trigger = Trigger::Every {
                    minutes: value(&flag, it.next())?,
                }
            }
            "--on-event" => a.trigger = Trigger::OnEvent,
            "--policy" => a.policy = Some(value(&flag, it.next())?),
            "--rules" => a.rules.push(value(&flag, it.next())?),
            "--json" => a.json = Some(value(&flag, it.next())?),
            "--svg" => a.svg = value(&flag, it.next())?,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let scenario = generate(&CityParams::new(args.seed, args.tickets, args.engineers));
    let config = SimConfig::default().trigger(args.trigger);
    let mut policies = sim_report::all_policies();
    for path in &args.rules {
        match sim_report::rules_policy(path) {
            Ok(p) => policies.push(p),
            Err(e) => {
                eprint!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(name) = &args.policy {
        policies.retain(|p| p.name() == name);
        if policies.is_empty() {
            eprintln!(
                "unknown policy `{name}` (round-robin, nearest available, least loaded, greedy, optimiser, or a --rules file's name)"
            );
            return ExitCode::from(2);
        }
    }
    println!(
        "{}: {} tickets, {} engineers, dispatch {:?}",
        scenario.name,
        scenario.tickets.len(),
        scenario.engineers.len(),
        config.trigger
    );
    let reports = match sim_report::run_all(&scenario, &config, &mut policies) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("simulation failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("\n{}", sim_report::table(&reports));
    print!("{}", sim_report::verdict(&reports));
    if let Some(path) = &args.json {
        let all: Vec<_> = reports.iter().map(|(r, _)| r).collect();
        let text = serde_json::to_string_pretty(&all).expect("reports serialise");
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    let title = format!(
        "Generated city, seed {}: {} tickets, {} engineers",
        args.seed, args.tickets, args.engineers
    );
    if let Err(e) = sim_report::chart(&args.svg, &title, &reports) {
        eprintln!("cannot write {}: {e}", args.svg);
        return ExitCode::FAILURE;
    }
    println!("wrote {}", args.svg);
    ExitCode::SUCCESS
}
