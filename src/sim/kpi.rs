//! The service KPIs a run measures, and the report that carries them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scenario::SimConfig;

/// Summary of a duration, in minutes: mean and percentiles (nearest rank) over `count` values.
/// All zero when `count` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TimeStats {
    /// Number of values.
    pub count: usize,
    /// Mean.
    pub mean_min: f64,
    /// Median (nearest rank).
    pub p50_min: f64,
    /// 90th percentile (nearest rank).
    pub p90_min: f64,
    /// 99th percentile (nearest rank).
    pub p99_min: f64,
    /// Largest value.
    pub max_min: f64,
}

impl TimeStats {
    /// Statistics of durations given in seconds. `O(n log n)`.
    pub fn from_seconds(mut seconds: Vec<i64>) -> TimeStats {
        if seconds.is_empty() {
            return TimeStats::default();
        }
        seconds.sort_unstable();
        let n = seconds.len();
        // Nearest rank: the smallest value with at least p % of the values at or below it.
        let rank = |p: f64| {
            let r = (p / 100.0 * n as f64).ceil() as usize;
            seconds[r.clamp(1, n) - 1] as f64 / 60.0
        };
        let total: i64 = seconds.iter().sum();
        TimeStats {
            count: n,
            mean_min: total as f64 / n as f64 / 60.0,
            p50_min: rank(50.0),
            p90_min: rank(90.0),
            p99_min: rank(99.0),
            max_min: seconds[n - 1] as f64 / 60.0,
        }
    }
}

/// SLA outcome of the original tickets that have an SLA due time.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SlaCounts {
    /// Resolved at or before the due time.
    pub met: usize,
    /// Resolved after the due time, or still open at the end of the run with the due time passed.
    pub missed: usize,
    /// Still open at the end of the run, due later: the outcome is not known (not counted in the
    /// attainment).
    pub pending: usize,
    /// `met / (met + missed)` in %, 100 when both are 0.
    pub attainment_pct: f64,
}

/// The KPIs of a run, over the original tickets (follow-up visits count towards the ticket they
/// follow up).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Kpis {
    /// Original tickets created in the run.
    pub tickets: usize,
    /// Of those, resolved by the end of the run.
    pub resolved: usize,
    /// Still open at the end of the run.
    pub open_at_end: usize,
    /// Never given to an engineer by the end of the run.
    pub never_assigned: usize,
    /// Follow-up tickets created by failed visits.
    pub follow_ups: usize,
    /// Visits completed (original and follow-up).
    pub visits: usize,
    /// First response: creation → first assignment to an engineer (tickets assigned in the run).
    pub response_assign: TimeStats,
    /// First response: creation → first engineer on site (tickets reached in the run).
    pub response_arrival: TimeStats,
    /// Resolution: creation → the visit that fixed it (tickets resolved in the run).
    pub resolution: TimeStats,
    /// SLA attainment.
    pub sla: SlaCounts,
    /// Tickets fixed on the first visit, in % of tickets with a completed first visit.
    pub first_time_fix_pct: f64,
    /// Time travelling or on site, in % of scheduled shift time inside the period (overtime counts as
    /// busy time, so this can exceed 100).
    pub utilisation_pct: f64,
    /// Road kilometres driven.
    pub travel_km: f64,
    /// Road kilometres per completed visit.
    pub travel_km_per_ticket: f64,
    /// Completed visits per engineer with a shift in the period: mean.
    pub tickets_per_engineer_mean: f64,
    /// Completed visits per engineer: largest.
    pub tickets_per_engineer_max: u32,
    /// Completed visits per engineer: Gini coefficient (0 = all equal, towards 1 = one does all).
    pub tickets_per_engineer_gini: f64,
}

/// KPIs of one hour of the period. Response and SLA figures are for tickets created in that hour.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HourKpis {
    /// Start of the hour.
    pub start: DateTime<Utc>,
    /// Original tickets created in the hour.
    pub created: usize,
    /// Original tickets resolved in the hour.
    pub resolved: usize,
    /// Mean creation → first assignment of the hour's tickets that were assigned, in minutes.
    pub response_assign_mean_min: Option<f64>,
    /// Of the hour's tickets: SLA met.
    pub sla_met: usize,
    /// Of the hour's tickets: SLA missed.
    pub sla_missed: usize,
    /// Tickets open (created, not resolved) at the end of the hour.
    pub open_at_end: usize,
    /// Busy time in % of shift time in the hour (`None` when nobody was on shift).
    pub utilisation_pct: Option<f64>,
}

/// The backlog at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BacklogSample {
    /// Minutes since the start of the period.
    pub minute: u32,
    /// Original tickets created and not yet resolved.
    pub open: usize,
    /// Tickets (original or follow-up) waiting for an engineer.
    pub waiting: usize,
}

/// How many events of each kind the run processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventCounts {
    /// Tickets created (original and follow-up).
    pub created: usize,
    /// Dispatch cycles run (cycles with no waiting ticket included).
    pub cycles: usize,
    /// Decisions carried out (tickets given to engineers).
    pub decisions: usize,
    /// Trips started.
    pub travel_starts: usize,
    /// Arrivals on site.
    pub arrivals: usize,
    /// Visits completed.
    pub work_done: usize,
    /// Shift starts.
    pub shift_starts: usize,
    /// Shift ends.
    pub shift_ends: usize,
    /// Queued tickets returned to the waiting list at a shift end.
    pub returned: usize,
}

/// What a simulation run measured. Deterministic: same scenario, settings and policy → same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// The scenario's name.
    pub scenario: String,
    /// The policy's name.
    pub policy: String,
    /// Start of the period.
    pub start: DateTime<Utc>,
    /// End of the period.
    pub end: DateTime<Utc>,
    /// The settings of the run.
    pub config: SimConfig,
    /// KPIs of the whole run.
    pub kpis: Kpis,
    /// KPIs hour by hour.
    pub hourly: Vec<HourKpis>,
    /// The backlog every [`SimConfig::sample_min`] minutes, and at the end.
    pub backlog: Vec<BacklogSample>,
    /// Events processed.
    pub events: EventCounts,
}

impl SimReport {
    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// The Gini coefficient of non-negative values: 0 when all are equal (or all zero), `(n − 1) / n`
/// when one holds everything. `O(n log n)`.
///
/// # Examples
/// ```
/// use dispatchkit::sim::gini;
/// assert_eq!(gini(&[3.0, 3.0, 3.0]), 0.0);
/// assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
/// ```
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // G = Σ (2i − n − 1) x_i / (n Σ x), i = 1..n over ascending values.
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x)
        .sum();
    weighted / (n as f64 * total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let s = TimeStats::from_seconds((1..=100).map(|m| m * 60).collect());
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_min, 50.0);
        assert_eq!(s.p90_min, 90.0);
        assert_eq!(s.p99_min, 99.0);
        assert_eq!(s.max_min, 100.0);
        assert!((s.mean_min - 50.5).abs() < 1e-12);
        assert_eq!(TimeStats::from_seconds(vec![]), TimeStats::default());
        let one = TimeStats::from_seconds(vec![120]);
        assert_eq!((one.p50_min, one.p99_min), (2.0, 2.0));
    }

    /// The O(n²) textbook definition: mean absolute difference over twice the mean.
    fn gini_oracle(x: &[f64]) -> f64 {
        let n = x.len() as f64;
        let total: f64 = x.iter().sum();
        if total == 0.0 {
            return 0.0;
        }
        let diff: f64 = x
            .iter()
            .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
            .sum();
        diff / (2.0 * n * total)
    }

    proptest! {
        #[test]
        fn gini_matches_the_pairwise_definition(x in prop::collection::vec(0u32..50, 1..30)) {
            let x: Vec<f64> = x.into_iter().map(f64::from).collect();
            prop_assert!((gini(&x) - gini_oracle(&x)).abs() < 1e-9);
        }

        #[test]
        fn percentiles_are_ordered(x in prop::collection::vec(0i64..100_000, 1..200)) {
            let s = TimeStats::from_seconds(x.clone());
            prop_assert!(s.p50_min <= s.p90_min && s.p90_min <= s.p99_min && s.p99_min <= s.max_min);
            let min = *x.iter().min().unwrap() as f64 / 60.0;
            prop_assert!(s.mean_min >= min - 1e-9 && s.mean_min <= s.max_min + 1e-9);
        }
    }
}
