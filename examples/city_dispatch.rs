//! Dispatches a generated city and explains the result.
//!
//! ```text
//! cargo run --release --example city_dispatch
//! cargo run --release --example city_dispatch -- --tickets 5000 --engineers 600 --seed 7 --json plan.json
//! ```
//! Generates a seeded city around Boston (`examples/common/city.rs`; by default 2,000 tickets, 300
//! engineers, seed 1, at the city's fixed `now`), plans it with [`Dispatcher::plan`] and the default
//! [`Config`], and prints a summary: assigned and unassigned tickets (the unassigned grouped by
//! reason), counts per priority, travel of the assignments, the solver, the objective, the candidate
//! pairs and the time per stage. Then it explains one unassigned ticket with
//! [`Dispatcher::candidates`]: its cheapest eligible engineers with their cost breakdown, and the
//! nearest engineers who may not take it, with the constraint each one fails.
//!
//! `--json FILE` also writes the plan as JSON ([`Plan::to_json`]).
#![forbid(unsafe_code)]

#[path = "common/city.rs"]
mod city;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use dispatchkit::{
    Config, Constraint, Dispatcher, EngineerId, Fleet, Plan, Priority, Reason, Ticket, Violation,
};

const USAGE: &str = "usage: city_dispatch [--tickets N] [--engineers M] [--seed S] [--json FILE]\n       \
     defaults: 2000 tickets, 300 engineers, seed 1";

/// Nearest rejected engineers shown for the explained ticket.
const SHOWN_REJECTIONS: usize = 5;

/// Cheapest eligible engineers shown for the explained ticket.
const SHOWN_ELIGIBLE: usize = 3;

struct Args {
    tickets: usize,
    engineers: usize,
    seed: u64,
    json: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
        let v = value.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        v.parse()
            .map_err(|_| format!("{flag}: `{v}` is not a valid number\n{USAGE}"))
    }
    let mut args = Args {
        tickets: 2_000,
        engineers: 300,
        seed: 1,
        json: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--tickets" => args.tickets = number(&a, it.next())?,
            "--engineers" => args.engineers = number(&a, it.next())?,
            "--seed" => args.seed = number(&a, it.next())?,
            "--json" => {
                args.json = Some(
                    it.next()
                        .ok_or_else(|| format!("--json needs a file\n{USAGE}"))?,
                );
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

/// The groups unassigned tickets are counted in, in display order.
const REASON_GROUPS: [&str; 7] = [
    "no engineer in reach",
    "no one with the skill",
    "off shift",
    "all capable engineers full before the run",
    "candidates filled by others",
    "other",
    "no one can make it in time",
];

/// The index of a reason's group in [`REASON_GROUPS`].
fn reason_group(reason: &Reason) -> usize {
    match reason {
        Reason::NoEngineerInReach { .. } => 0,
        Reason::NoEligibleEngineer { constraint, .. } => match constraint {
            Constraint::Skill => 1,
            Constraint::Shift => 2,
            Constraint::Capacity => 3,
            Constraint::Reach | Constraint::Rule => 5,
            Constraint::Time => 6,
        },
        Reason::CandidatesFull { .. } => 4,
        Reason::NotWorthAssigning { .. } => 5,
        Reason::NoTimeInRoute { .. } => 6,
        Reason::NotEnoughHours { .. } => 5,
    }
}

/// One line about a reason, with its numbers.
fn describe_reason(reason: &Reason) -> String {
    match reason {
        Reason::NoEngineerInReach {
            max_travel_km,
            nearest_km,
        } => match nearest_km {
            Some(km) => format!("no engineer within {max_travel_km} km (nearest at {km:.1} km)"),
            None => "the fleet is empty".to_string(),
        },
        Reason::NoEligibleEngineer {
            rule, screening, ..
        } => format!(
            "{} engineers in reach, none eligible (skill removed {}, shift {}, capacity {}, \
             time {}; rule `{rule}` removed the last)",
            screening.in_reach,
            screening.skill,
            screening.shift,
            screening.capacity,
            screening.time
        ),
        Reason::NoTimeInRoute { engineer } => {
            format!("{engineer} could not fit it into a route in time")
        }
        Reason::CandidatesFull {
            candidates,
            took_higher_priority,
        } => format!(
            "all {candidates} candidates were filled by other tickets of this run \
             ({took_higher_priority} of them took a higher-priority ticket)"
        ),
        Reason::NotWorthAssigning {
            cheapest_cost,
            penalty,
        } => format!(
            "cheapest candidate costs {cheapest_cost:.3} points, more than the penalty {penalty:.3}"
        ),
        Reason::NotEnoughHours {
            duration_min,
            most_available_min,
        } => format!(
            "takes {duration_min} minutes; its candidates have at most {most_available_min} minutes"
        ),
    }
}

/// One line about a violated constraint, with its numbers.
fn describe_violation(v: &Violation) -> String {
    match v {
        Violation::Reach {
            distance_km,
            max_travel_km,
        } => format!("{distance_km:.1} km is beyond the {max_travel_km} km limit"),
        Violation::Skill {
            skill,
            level,
            required,
        } => {
            if *level == 0 {
                format!("no {skill} skill (needs level {required})")
            } else {
                format!("{skill} level {level}, needs {required}")
            }
        }
        Violation::Shift { shift: Some(s) } => format!(
            "off shift (works {}–{})",
            s.start.format("%H:%M"),
            s.end.format("%H:%M")
        ),
        Violation::Shift { shift: None } => "off shift".to_string(),
        Violation::Capacity {
            capacity,
            open_tickets,
        } => format!("full before the run ({open_tickets} open of capacity {capacity})"),
        Violation::Rule {
            rule,
            counterfactual,
        } => match counterfactual {
            Some(c) => format!("rejected by `{rule}`: {c}"),
            None => format!("rejected by `{rule}`"),
        },
        Violation::Time { limit } => format!("cannot make it in time ({limit:?})"),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / whole as f64)
    }
}

/// The `q`-quantile (nearest rank) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

fn print_summary(plan: &Plan, tickets: &[Ticket]) {
    let stats = plan.stats();
    let assigned = plan.assignments().len();
    let unassigned = plan.unassigned().len();
    let n = stats.tickets;

    println!("Plan");
    println!("  {:<46}{:>8}", "tickets", n);
    println!("  {:<46}{:>8}", "engineers", stats.engineers);
    println!(
        "  {:<46}{:>8}  {:>7}",
        "assigned",
        assigned,
        percent(assigned, n)
    );
    println!(
        "  {:<46}{:>8}  {:>7}",
        "unassigned",
        unassigned,
        percent(unassigned, n)
    );
    let mut by_reason = [0usize; REASON_GROUPS.len()];
    for u in plan.unassigned() {
        by_reason[reason_group(&u.reason)] += 1;
    }
    for (name, count) in REASON_GROUPS.iter().zip(by_reason) {
        println!("    {name:<44}{count:>8}");
    }

    println!();
    println!("By priority        assigned /  total");
    let mut total = [0usize; 4];
    let mut served = [0usize; 4];
    for t in tickets {
        total[t.priority.index()] += 1;
    }
    for a in plan.assignments() {
        served[a.priority.index()] += 1;
    }
    for p in Priority::ALL {
        let i = p.index();
        println!(
            "  {:<16}{:>9} / {:>6}  {:>7}",
            p.to_string(),
            served[i],
            total[i],
            percent(served[i], total[i])
        );
    }

    println!();
    println!("Travel of the assignments");
    let mut km: Vec<f64> = plan.assignments().iter().map(|a| a.distance_km).collect();
    km.sort_by(f64::total_cmp);
    let mean = if km.is_empty() {
        None
    } else {
        Some(km.iter().sum::<f64>() / km.len() as f64)
    };
    for (name, value) in [("mean", mean), ("p90", quantile(&km, 0.9))] {
        let shown = value.map_or("-".to_string(), |v| format!("{v:.2} km"));
        println!("  {name:<26}{shown:>14}");
    }

    println!();
    println!("Solver");
    let mut solver = format!("{:?}", stats.solver).to_lowercase();
    if let Some(why) = &stats.fallback {
        solver = format!("{solver} ({why})");
    }
    println!("  {:<26}{:>14}", "solver", solver);
    println!(
        "  {:<26}{:>14.3}   points ({} in the solver's thousandths)",
        "objective",
        stats.objective as f64 / 1000.0,
        stats.objective
    );
    println!("  {:<26}{:>14}", "candidate pairs", stats.candidates);
    println!(
        "  {:<26}{:>14.2}",
        "pairs per ticket",
        stats.candidates as f64 / n.max(1) as f64
    );

    println!();
    println!("Time per stage");
    let t = &stats.timings;
    for (name, d) in [
        ("validate", t.validate),
        ("candidates", t.candidates),
        ("solve", t.solve),
        ("assemble", t.assemble),
        ("total", t.total()),
    ] {
        println!("  {name:<26}{:>14}", ms(d));
    }
}

/// Picks the ticket to explain: the most urgent unassigned ticket whose candidates were all filled
/// (it has eligible engineers to show), else the most urgent unassigned one, else the first ticket.
fn ticket_to_explain<'a>(plan: &Plan, tickets: &'a [Ticket]) -> Option<&'a Ticket> {
    let by_id: HashMap<_, _> = tickets.iter().map(|t| (&t.id, t)).collect();
    let most_urgent = |full_only: bool| {
        plan.unassigned()
            .iter()
            .filter(|u| !full_only || matches!(u.reason, Reason::CandidatesFull { .. }))
            .min_by_key(|u| u.priority)
            .and_then(|u| by_id.get(&u.ticket).copied())
    };
    most_urgent(true)
        .or_else(|| most_urgent(false))
        .or(tickets.first())
}

fn explain(
    dispatcher: &Dispatcher,
    fleet: &Fleet,
    plan: &Plan,
    ticket: &Ticket,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), dispatchkit::Error> {
    println!();
    let why = plan.unassigned().iter().find(|u| u.ticket == ticket.id);
    match why {
        Some(u) => println!(
            "Why {} ({}, {} level {}) is unassigned: {}",
            ticket.id,
            ticket.priority,
            ticket.category,
            ticket.min_level,
            describe_reason(&u.reason)
        ),
        None => println!(
            "Every ticket was assigned; explaining {} ({}, {} level {})",
            ticket.id, ticket.priority, ticket.category, ticket.min_level
        ),
    }

    // Slots each engineer filled in this run, to show why an eligible engineer did not take it.
    let mut taken: HashMap<&EngineerId, u32> = HashMap::new();
    for a in plan.assignments() {
        *taken.entry(&a.engineer).or_default() += 1;
    }

    let ranking = dispatcher.candidates(fleet, ticket, now)?;
    println!();
    println!(
        "Dispatcher::candidates (the fleet before the run): {} eligible, {} nearby rejected",
        ranking.eligible.len(),
        ranking.rejected.len()
    );
    if ranking.eligible.is_empty() {
        println!("  no eligible engineer");
    } else {
        println!("  cheapest {}:", SHOWN_ELIGIBLE.min(ranking.eligible.len()));
        println!(
            "    {:>2}  {:<10}{:>8}{:>9}{:>7}{:>8}{:>8}   in this run",
            "#", "engineer", "km", "travel", "load", "overq", "total"
        );
        for (i, c) in ranking.eligible.iter().take(SHOWN_ELIGIBLE).enumerate() {
            let room = fleet.get(&c.engineer).map_or(0, |e| e.remaining_capacity());
            let took = taken.get(&c.engineer).copied().unwrap_or(0);
            let full = if took >= room { " (full)" } else { "" };
            let status = format!("{took}/{room} free slots taken{full}");
            println!(
                "    {:>2}  {:<10}{:>8.2}{:>9.2}{:>7.2}{:>8.2}{:>8.2}   {status}",
                i + 1,
                c.engineer.as_str(),
                c.distance_km,
                c.cost.travel,
                c.cost.load,
                c.cost.overqualification,
                c.cost.total
            );
        }
    }
    if !ranking.rejected.is_empty() {
        println!(
            "  nearest {} rejected:",
            SHOWN_REJECTIONS.min(ranking.rejected.len())
        );
        println!("    {:<10}{:>8}  {:<12}why", "engineer", "km", "constraint");
        for r in ranking.rejected.iter().take(SHOWN_REJECTIONS) {
            let constraint = format!("{:?}", r.violation.constraint()).to_lowercase();
            println!(
                "    {:<10}{:>8.2}  {:<12}{}",
                r.engineer.as_str(),
                r.distance_km,
                constraint,
                describe_violation(&r.violation)
            );
        }
    }
    Ok(())
}

fn run(args: &Args) -> Result<(), String> {
    let params = city::CityParams::new(args.seed, args.tickets, args.engineers);
    let (engineers, tickets) = city::generate(&params);
    let now = city::now();
    let fleet = Fleet::new(engineers).map_err(|e| format!("fleet: {e}"))?;
    let dispatcher = Dispatcher::new(Config::default());

    println!(
        "dispatchkit city dispatch: seed {}, {} tickets, {} engineers, now {}",
        args.seed,
        tickets.len(),
        fleet.len(),
        now.format("%Y-%m-%d %H:%M UTC")
    );
    println!();
    let plan = dispatcher
        .plan(&fleet, &tickets, now)
        .map_err(|e| format!("plan: {e}"))?;
    print_summary(&plan, &tickets);

    if let Some(ticket) = ticket_to_explain(&plan, &tickets) {
        explain(&dispatcher, &fleet, &plan, ticket, now).map_err(|e| format!("candidates: {e}"))?;
    }

    if let Some(path) = &args.json {
        std::fs::write(path, plan.to_json()).map_err(|e| format!("{path}: {e}"))?;
        println!();
        println!("plan written to {path}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("city_dispatch: {e}");
            ExitCode::FAILURE
        }
    }
}
