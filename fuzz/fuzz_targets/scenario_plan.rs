//! Arbitrary bytes as a JSON scenario (`sim::Scenario`: a period, engineers and tickets) planned at the
//! start of its period. The first byte picks the policy (one of the example policies) and the solver;
//! the rest is the document. Reading and validation must return, never panic; a valid scenario of at
//! most 40 tickets and 40 engineers must give a plan that keeps every promise (see `check_plan`).
#![no_main]

mod shared;

use dispatchkit::sim::Scenario;
use dispatchkit::{Config, Dispatcher, Fleet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    if scenario.validate().is_err() || scenario.tickets.len() > 40 || scenario.engineers.len() > 40
    {
        return;
    }
    let Ok(fleet) = Fleet::new(scenario.engineers.clone()) else {
        panic!("a validated scenario's engineers make a fleet");
    };
    let policy = shared::example_policy(usize::from(selector & 0x0f));
    let config = Config::default()
        .solver(shared::solver(selector >> 4))
        .mip_time_limit_s(shared::MIP_SECONDS);
    let dispatcher = Dispatcher::with_policy(config, policy);
    let now = scenario.start;
    if let Ok(plan) = dispatcher.plan(&fleet, &scenario.tickets, now) {
        shared::check_plan(&dispatcher, &fleet, &scenario.tickets, now, &plan);
    }
});
