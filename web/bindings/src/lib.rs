//! Browser bindings of dispatchkit: thin wrappers over [`dispatchkit::api`], JSON text in and out.
//!
//! Every function takes a JSON request (or, for [`check_policy`], the policy text) and returns a
//! JSON answer; a request that cannot be served comes back as `{"error": {kind, message, line?,
//! column?, diagnostics?}}`, never as an exception. A panic (a bug) is printed to the console with
//! its message and place by the panic hook installed at start-up, before the module traps.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use dispatchkit::api;
use dispatchkit::sim::Flow;
use wasm_bindgen::prelude::*;

/// Installs the panic hook when the module starts.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The library's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Checks policy text: `{ok, policy, diagnostics, rendered}` (see `dispatchkit::api::check_policy`).
#[wasm_bindgen(js_name = checkPolicy)]
pub fn check_policy(source: &str) -> String {
    api::check_policy(source)
}

/// Plans a batch: `{engineers, tickets, now, policy?, config?}` → the plan document.
#[wasm_bindgen]
pub fn plan(request: &str) -> String {
    api::plan(request)
}

/// Ranks the engineers for one ticket: `{engineers, ticket, now, policy?, config?}` → the ranking.
#[wasm_bindgen]
pub fn candidates(request: &str) -> String {
    api::candidates(request)
}

/// Explains one (ticket, engineer) pair: `{ticket, engineer, now, policy?, config?}` → the
/// explanation.
#[wasm_bindgen]
pub fn explain(request: &str) -> String {
    api::explain(request)
}

/// Builds a scenario from a spec (`{"city": ...}`, `{"boston": ...}`, `{"custom": ...}`).
#[wasm_bindgen]
pub fn scenario(request: &str) -> String {
    api::scenario(request)
}

/// Runs a simulation: `{scenario, policy, config?}` → `{report, dispatches}`.
#[wasm_bindgen]
pub fn simulate(request: &str) -> String {
    api::simulate(request)
}

/// [`simulate`] calling `progress(fraction)` at every backlog sample (fraction of the period done,
/// 0..=1); the run stops with the error `cancelled` when it returns `false`.
#[wasm_bindgen(js_name = simulateWithProgress)]
pub fn simulate_with_progress(request: &str, progress: &js_sys::Function) -> String {
    api::simulate_with(request, &mut |p| {
        let answer = progress.call1(&JsValue::NULL, &JsValue::from_f64(p.fraction));
        match answer {
            Ok(v) if v.is_falsy() && !v.is_undefined() => Flow::Cancel,
            // A callback that throws does not stop the run; the page sees its own error.
            _ => Flow::Continue,
        }
    })
}
