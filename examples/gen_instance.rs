//! Writes a city-like sparse assignment instance (the format of `dispatchkit::solve::Network`).
//!
//! ```text
//! cargo run --release --example gen_instance -- SIZE [--seed N] [--out FILE]
//! ```
//! SIZE is `S` (1,000 tickets × 200 engineers), `M` (10,000 × 2,000), `L` (100,000 × 10,000) or `XL`
//! (1,000,000 × 50,000). The seed defaults to 1; without `--out` the instance goes to stdout.
//! A summary (counts, total capacity, time) goes to stderr.
//!
//! The instance (candidates, costs, capacities, penalties) is built by `examples/common/instance.rs`,
//! which the benches share, so a file written here and a bench's in-process instance of the same size
//! and seed are the same network; its module docs describe the model.
//!
//! The file starts with `c` comment lines naming the size and seed, then `Network::write`'s output.
#![forbid(unsafe_code)]

#[path = "common/city.rs"]
mod city;
#[path = "common/instance.rs"]
mod instance;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use instance::{MISMATCH_PER_LEVEL, Size};

struct Args {
    size: Size,
    seed: u64,
    out: Option<String>,
}

const USAGE: &str = "usage: gen_instance SIZE [--seed N] [--out FILE]   (SIZE: S, M, L or XL)";

fn parse_args() -> Result<Args, String> {
    let mut size = None;
    let mut seed = 1u64;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => {
                let v = args.next().ok_or("--seed needs a value")?;
                seed = v.parse().map_err(|_| format!("bad seed `{v}`"))?;
            }
            "--out" => out = Some(args.next().ok_or("--out needs a file")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if size.is_none() && !s.starts_with('-') => {
                size = Some(Size::parse(s).ok_or(format!("unknown size `{s}`"))?);
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    let size = size.ok_or(USAGE)?;
    Ok(Args { size, seed, out })
}

fn run(args: &Args) -> io::Result<()> {
    let started = Instant::now();
    let net = instance::build(args.size, args.seed);
    let built = started.elapsed().as_secs_f64();
    let header = format!(
        "c dispatchkit gen_instance size {} seed {}\n\
         c costs: distance in 10 m units + {MISMATCH_PER_LEVEL} per missing skill level; \
         penalty = base + gap * (3 - priority level)\n",
        args.size.name(),
        args.seed
    );
    match &args.out {
        Some(path) => {
            let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
            w.write_all(header.as_bytes())?;
            net.write(&mut w)?;
            w.flush()?;
        }
        None => {
            let mut w = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            w.write_all(header.as_bytes())?;
            net.write(&mut w)?;
            w.flush()?;
        }
    }
    let total_capacity: u64 = (0..net.engineers())
        .map(|e| u64::from(net.capacity(e)))
        .sum();
    eprintln!(
        "{}: {} tickets, {} engineers, {} arcs, capacity {} ({:.2} x tickets); built in {built:.2} s, \
         total {:.2} s",
        args.size.name(),
        net.tickets(),
        net.engineers(),
        net.arcs(),
        total_capacity,
        total_capacity as f64 / net.tickets().max(1) as f64,
        started.elapsed().as_secs_f64()
    );
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
            eprintln!("gen_instance: {e}");
            ExitCode::FAILURE
        }
    }
}
