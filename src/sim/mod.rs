//! The simulator: replays a stream of tickets through a dispatch policy, event by event, and measures
//! the service KPIs (first response, resolution, SLA attainment, first-time fix, utilisation, travel,
//! workload fairness, backlog over time).
//!
//! - A [`Scenario`] is the input: a simulated period, the engineers (with skills, shifts, home bases
//!   and how many tickets each may hold at once) and the tickets with their creation times. Build one
//!   with the seeded generator ([`generate::generate`]) or from real data (the Boston replay example).
//! - A [`Policy`] decides, at each dispatch cycle, which waiting ticket goes to which engineer. The
//!   built-in ones are [`RoundRobin`], [`NearestAvailable`], [`LeastLoaded`] and [`DispatcherPolicy`]
//!   (the library's [`Dispatcher`](crate::Dispatcher): greedy or the exact optimiser). Users add
//!   their own by implementing the trait.
//! - [`simulate`] runs one policy over one scenario and returns a [`SimReport`] (serde, JSON);
//!   [`simulate_with`] adds a progress callback that can cancel; [`compare`] runs several policies.
//!
//! The simulator never reads the wall clock or the filesystem: time is the scenario's simulated
//! time, and every random draw comes from a seed, so a run gives the same report on every platform
//! (including wasm32) and whatever the thread count.
//!
//! # The engine
//! Events, in time order (ties: ticket created, arrival on site, work done, shift start, shift end,
//! dispatch cycle, backlog sample; then by insertion order):
//! - **ticket created**: the ticket joins the waiting list;
//! - **dispatch cycle**: every [`SimConfig::trigger`] minutes, or after any event that changes what
//!   can be dispatched ([`Trigger::OnEvent`]); the policy sees the waiting tickets (most urgent
//!   first: priority, then SLA due, then creation) and the engineers, and answers with decisions;
//! - **travel start**: an engineer with a queued ticket and nothing in hand drives there at
//!   [`SimConfig::speed_kmh`] over great-circle distance × [`SimConfig::road_factor`];
//! - **arrival**: work starts and lasts the ticket's `duration_min`;
//! - **work done**: the visit fixes the problem or not ([`FixModel`]); a failed visit creates a
//!   follow-up ticket at once (same place, category, level, priority and SLA due); the engineer goes
//!   on to the next queued ticket;
//! - **shift start / shift end**: an engineer starts the shift at the home base (`location`); at shift
//!   end the ticket in hand is finished (overtime), queued tickets not yet started go back to the
//!   waiting list, and no new ticket is given.
//!
//! The run stops at [`Scenario::end`]; work still in progress then is cut off there.

mod engine;
pub mod generate;
mod kpi;
mod policy;
mod scenario;

pub use engine::{Flow, Progress, compare, simulate, simulate_with};
pub use kpi::{BacklogSample, EventCounts, HourKpis, Kpis, SimReport, SlaCounts, TimeStats, gini};
pub use policy::{
    Decision, DispatchView, DispatcherPolicy, EngineerView, LeastLoaded, NearestAvailable, Policy,
    RoundRobin, TravelModel,
};
pub use scenario::{FixModel, Scenario, SimConfig, Trigger};
