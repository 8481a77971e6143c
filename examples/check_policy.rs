//! Checks a policy file: `cargo run --example check_policy -- FILE`.
//!
//! Prints `ok: <n> rules, <k> tests passed` (and any warnings) and exits 0, or prints the
//! diagnostics and exits 1.

use std::process::ExitCode;

use dispatchkit::rules::Policy;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_policy FILE");
        return ExitCode::from(2);
    };
    let source = match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "error: {path} is not UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                );
                return ExitCode::from(1);
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::from(1);
        }
    };
    match Policy::parse(&path, &source) {
        Ok(policy) => {
            print!("{}", policy.warnings().render());
            println!(
                "ok: {} rules, {} tests passed",
                policy.rules().len(),
                policy.tests_passed()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            print!("{}", diagnostics.render());
            ExitCode::from(1)
        }
    }
}
