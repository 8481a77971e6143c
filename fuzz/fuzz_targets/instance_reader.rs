//! Arbitrary bytes into the instance reader; small instances that parse also go through the exact
//! min-cost-flow solver and the greedy baseline, whose answers must be feasible, correctly priced,
//! and ordered (the exact optimum is never worse than the greedy one).
#![no_main]

use dispatchkit::solve::{Network, NetworkSolution, flow, greedy};
use libfuzzer_sys::fuzz_target;

/// Solving is only worth the time on small networks; the reader itself sees every input.
const MAX_SOLVED_ARCS: usize = 200;
const MAX_SOLVED_NODES: usize = 400;

fn check(net: &Network, solver: &str, sol: &NetworkSolution) {
    assert_eq!(
        sol.assignment.len(),
        net.tickets(),
        "{solver}: one entry per ticket"
    );
    match net.evaluate(&sol.assignment) {
        Ok(objective) => assert_eq!(
            objective, sol.objective,
            "{solver}: the reported objective is not the assignment's"
        ),
        Err(e) => panic!("{solver}: infeasible assignment {:?}: {e}", sol.assignment),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(net) = Network::read(data) else {
        return;
    };
    if net.arcs() > MAX_SOLVED_ARCS || net.tickets() + net.engineers() > MAX_SOLVED_NODES {
        return;
    }
    let exact = flow::solve(&net);
    check(&net, "flow", &exact);
    let quick = greedy::solve(&net);
    check(&net, "greedy", &quick);
    assert!(
        exact.objective <= quick.objective,
        "flow's objective {} is above greedy's {}",
        exact.objective,
        quick.objective
    );
});
