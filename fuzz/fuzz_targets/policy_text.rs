//! Arbitrary bytes as policy text: parsing, checking, compiling and the embedded tests must return
//! (a policy or positioned diagnostics), never panic or hang; what is accepted prints to text that
//! parses back to the same tree and is accepted again.
#![no_main]

use dispatchkit::rules::{Limits, Options, Policy, parse_ast, print};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = Options {
        limits: Limits {
            max_source_bytes: 64 << 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    match Policy::parse_with("fuzz.policy", text, &options) {
        Ok(policy) => {
            let printed = policy.print();
            let again = parse_ast("printed.policy", &printed, &options.limits)
                .unwrap_or_else(|d| panic!("printed policy does not parse:\n{printed}\n{d}"));
            assert!(
                &again == policy.ast(),
                "printing changes the tree:\n{printed}"
            );
            assert_eq!(print(&again), printed, "printing is not canonical");
        }
        Err(diagnostics) => {
            assert!(
                !diagnostics.items.is_empty(),
                "rejected without a diagnostic"
            );
            for d in &diagnostics.items {
                assert!(
                    d.line >= 1 && d.column >= 1,
                    "diagnostic without a position: {d:?}"
                );
            }
            let _ = diagnostics.render();
        }
    }
});
