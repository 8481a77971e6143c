//! Shared by the simulator examples: the policies, the comparison table, the SVG chart and a progress
//! bar around [`simulate_with`].
//!
//! Include it with `#[path = "common/sim_report.rs"] mod sim_report;`.
#![allow(dead_code)]

use std::time::Instant;

use dispatchkit::Error;
use dispatchkit::sim::{
    DispatcherPolicy, Flow, LeastLoaded, NearestAvailable, Policy, RoundRobin, Scenario, SimConfig,
    SimReport, simulate_with,
};
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;

/// Every built-in policy, baselines first.
pub fn all_policies() -> Vec<Box<dyn Policy>> {
    vec![
        Box::new(RoundRobin::new()),
        Box::new(NearestAvailable),
        Box::new(LeastLoaded),
        Box::new(DispatcherPolicy::greedy()),
        Box::new(DispatcherPolicy::optimiser()),
    ]
}

/// The optimiser running the rule-language policy in `path`, named after the file's stem; the
/// error is the policy's rendered diagnostics, or why the file could not be read.
pub fn rules_policy(path: &str) -> Result<Box<dyn Policy>, String> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}\n"))?;
    let rules = dispatchkit::rules::Policy::parse(path, &source).map_err(|d| d.render())?;
    let name = std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned());
    Ok(Box::new(DispatcherPolicy::with_rules(name, rules)))
}

/// Runs every policy with a progress bar (simulated time) and returns the reports with the
/// wall-clock seconds each run took.
pub fn run_all(
    scenario: &Scenario,
    config: &SimConfig,
    policies: &mut [Box<dyn Policy>],
) -> Result<Vec<(SimReport, f64)>, Error> {
    let mut out = Vec::new();
    let total_min = (scenario.end - scenario.start).num_minutes().max(1) as u64;
    for policy in policies.iter_mut() {
        let bar = ProgressBar::new(total_min);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>18} [{bar:40}] {pos}/{len} simulated min, {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(policy.name().to_string());
        let clock = Instant::now();
        let report = simulate_with(scenario, config, policy.as_mut(), &mut |p| {
            bar.set_position((p.fraction * total_min as f64) as u64);
            bar.set_message(format!("{} resolved, {} open", p.resolved, p.open));
            Flow::Continue
        })?;
        let secs = clock.elapsed().as_secs_f64();
        bar.finish_with_message(format!("done in {secs:.2} s"));
        out.push((report, secs));
    }
    Ok(out)
}

/// The comparison table, one row per policy (Markdown, so it pastes into BENCHMARKS.md).
pub fn table(reports: &[(SimReport, f64)]) -> String {
    let mut s = String::new();
    s.push_str(
        "| policy | resolved | SLA met % | assign mean / p90 (min) | on site mean / p90 (min) | \
         resolution mean / p50 / p90 / p99 (min) | first-time fix % | utilisation % | km / ticket | \
         tickets / engineer mean / max / Gini | open at end | run (s) |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (r, secs) in reports {
        let k = &r.kpis;
        s.push_str(&format!(
            "| {} | {}/{} | {:.1} | {:.0} / {:.0} | {:.0} / {:.0} | {:.0} / {:.0} / {:.0} / {:.0} | {:.1} | {:.1} | {:.2} | {:.1} / {} / {:.3} | {} | {:.2} |\n",
            r.policy,
            k.resolved,
            k.tickets,
            k.sla.attainment_pct,
            k.response_assign.mean_min,
            k.response_assign.p90_min,
            k.response_arrival.mean_min,
            k.response_arrival.p90_min,
            k.resolution.mean_min,
            k.resolution.p50_min,
            k.resolution.p90_min,
            k.resolution.p99_min,
            k.first_time_fix_pct,
            k.utilisation_pct,
            k.travel_km_per_ticket,
            k.tickets_per_engineer_mean,
            k.tickets_per_engineer_max,
            k.tickets_per_engineer_gini,
            k.open_at_end,
            secs
        ));
    }
    s
}

/// The optimiser against a baseline: SLA attainment points and travel per ticket in %.
pub fn verdict(reports: &[(SimReport, f64)]) -> String {
    let find = |name: &str| reports.iter().find(|(r, _)| r.policy == name).map(|x| &x.0);
    let Some(opt) = find("optimiser") else {
        return String::new();
    };
    let mut s = String::new();
    for base in ["round-robin", "nearest available"] {
        let Some(b) = find(base) else { continue };
        let sla = opt.kpis.sla.attainment_pct - b.kpis.sla.attainment_pct;
        let km = 100.0 * (opt.kpis.travel_km_per_ticket / b.kpis.travel_km_per_ticket - 1.0);
        let beats = (sla > 0.0 && km <= 2.0) || (km < 0.0 && sla >= -2.0);
        s.push_str(&format!(
            "optimiser vs {base}: SLA {sla:+.1} points, travel per ticket {km:+.1} % → {}\n",
            if beats { "better" } else { "NOT better" }
        ));
    }
    s
}

const COLORS: [RGBColor; 6] = [
    RGBColor(228, 26, 28),
    RGBColor(55, 126, 184),
    RGBColor(77, 175, 74),
    RGBColor(152, 78, 163),
    RGBColor(255, 127, 0),
    RGBColor(100, 100, 100),
];

/// Writes the chart: open tickets over the period per policy (left) and SLA attainment per policy
/// (right), as SVG.
pub fn chart(path: &str, title: &str, reports: &[(SimReport, f64)]) -> Result<(), String> {
    let root = SVGBackend::new(path, (1200, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| e.to_string())?;
    let (left, right) = root.split_horizontally(760);
    let hours = reports
        .first()
        .map_or(24.0, |(r, _)| (r.end - r.start).num_minutes() as f64 / 60.0);
    let max_open = reports
        .iter()
        .flat_map(|(r, _)| r.backlog.iter().map(|b| b.open))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut backlog = ChartBuilder::on(&left)
        .caption("Open tickets over time", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..hours, 0.0..max_open * 1.05)
        .map_err(|e| e.to_string())?;
    backlog
        .configure_mesh()
        .x_desc("hour of the period")
        .y_desc("open tickets")
        .x_labels(13)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (r, _)) in reports.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        backlog
            .draw_series(LineSeries::new(
                r.backlog
                    .iter()
                    .map(|b| (f64::from(b.minute) / 60.0, b.open as f64)),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(r.policy.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
    }
    backlog
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;

    let n = reports.len();
    let lowest = reports
        .iter()
        .map(|(r, _)| r.kpis.sla.attainment_pct)
        .fold(100.0f64, f64::min);
    let floor = ((lowest - 5.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
    // Horizontal bars, one row per policy (top to bottom in report order), labelled in the bar.
    let mut sla = ChartBuilder::on(&right)
        .caption("SLA attainment (%)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(10)
        .build_cartesian_2d(floor..100.0, 0.0..n as f64)
        .map_err(|e| e.to_string())?;
    sla.configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("% of tickets with a known outcome resolved by their SLA due time")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (r, _)) in reports.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let value = r.kpis.sla.attainment_pct;
        let row = (n - 1 - i) as f64;
        sla.draw_series(std::iter::once(Rectangle::new(
            [(floor, row + 0.15), (value, row + 0.85)],
            color.mix(0.75).filled(),
        )))
        .map_err(|e| e.to_string())?;
        sla.draw_series(std::iter::once(Text::new(
            format!("{}: {value:.1} %", r.policy),
            (floor + (100.0 - floor) * 0.02, row + 0.62),
            ("sans-serif", 14),
        )))
        .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
