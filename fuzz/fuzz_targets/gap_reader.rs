//! Arbitrary bytes into the OR-Library GAP reader; small instances that parse are turned into hours
//! models and solved with a short time limit, whose answer must be feasible, correctly priced, and
//! above its own proven bound.
#![no_main]

use std::time::Duration;

use dispatchkit::solve::gap;
use dispatchkit::solve::mip::{self, MipOptions};
use libfuzzer_sys::fuzz_target;

/// Solving is only worth the time on small instances; the reader itself sees every input.
const MAX_SOLVED_PAIRS: usize = 60;

fuzz_target!(|data: &[u8]| {
    let Ok(instances) = gap::read(data) else {
        return;
    };
    for instance in instances.iter().take(2) {
        if instance.agents * instance.jobs > MAX_SOLVED_PAIRS {
            continue;
        }
        for maximize in [false, true] {
            let Ok(model) = instance.model(maximize) else {
                continue;
            };
            let options = MipOptions {
                time_limit: Duration::from_millis(200),
                ..MipOptions::default()
            };
            let sol = mip::solve(&model, &options).expect("a valid model solves");
            match model.evaluate(&sol.assignment) {
                Ok(objective) => assert_eq!(objective, sol.objective, "reported objective"),
                Err(e) => panic!("infeasible assignment {:?}: {e}", sol.assignment),
            }
            assert!(sol.bound <= sol.objective, "bound above the objective");
        }
    }
});
