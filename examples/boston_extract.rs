//! Writes the Boston replay's extract for the browser page: `web/data/boston.json`.
//!
//! ```text
//! cargo run --release --example boston_extract [-- OUT.json]
//! ```
//! Reads `../shared/data/boston/service_requests_2025.csv` and `neighborhoods.geojson` (run from
//! the project root) and builds the replay of `examples/common/boston.rs` with a crew pool of
//! [`POOL`] people on one day: the requests as tickets (positions, times, SLA due, work, priority,
//! neighbourhood) and the pool's home bases, spread over the neighbourhoods in proportion to their
//! requests. [`dispatchkit::api::BostonSpec`] turns it back into a scenario for any crew up to the
//! pool and any number of days; with the whole pool it is exactly the example's scenario (tested in
//! `tests/api.rs`). The page then needs neither the 2.4 MB of source files nor a CSV or GeoJSON
//! reader in the browser.
#![forbid(unsafe_code)]

#[path = "common/boston.rs"]
mod boston;

use std::process::ExitCode;

use dispatchkit::api::{BostonExtract, Home};

/// People in the crew pool: the largest crew the page offers.
const POOL: usize = 200;

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "web/data/boston.json".to_string());
    let params = boston::ReplayParams {
        crew: POOL,
        days: 1,
        ..boston::ReplayParams::default()
    };
    let (scenario, skipped) = match boston::load(params) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot build the replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    let extract = BostonExtract {
        source: format!(
            "City of Boston 311 service requests, Public Works, 2025 ({} requests, {skipped} without a position left out)",
            scenario.tickets.len()
        ),
        start: scenario.start,
        homes: scenario
            .engineers
            .iter()
            .map(|e| Home {
                location: e.location,
                district: e.territory.clone().unwrap_or_default(),
            })
            .collect(),
        tickets: scenario.tickets,
    };
    let text = serde_json::to_string(&extract).expect("the extract serialises");
    if let Some(dir) = std::path::Path::new(&out).parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = std::fs::write(&out, &text) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "wrote {out}: {} tickets, {} home bases, {} bytes",
        extract.tickets.len(),
        extract.homes.len(),
        text.len()
    );
    ExitCode::SUCCESS
}
