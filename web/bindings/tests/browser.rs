//! The bindings in a real browser (headless Chromium): each function answers JSON, errors come back
//! as documents, and a day of 1,000 tickets and 100 engineers runs.
//!
//! ```text
//! cd web/bindings && CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown
//! ```
#![cfg(target_arch = "wasm32")]

use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn doc(answer: &str) -> Value {
    serde_json::from_str(answer).expect("the answer is JSON")
}

fn city(tickets: usize, engineers: usize) -> Value {
    json!({"city": {"seed": 1, "tickets": tickets, "engineers": engineers}})
}

#[wasm_bindgen_test]
fn check_policy_gives_diagnostics_with_places() {
    let good = doc(&dispatchkit_web::check_policy(
        "policy \"p\" version 1\nrequire reach: travel <= 20km\n",
    ));
    assert_eq!(good["ok"], true);
    assert_eq!(good["policy"]["name"], "p");
    let bad = doc(&dispatchkit_web::check_policy(
        "policy \"p\" version 1\n\nrequire skill: engineer.skil(ticket.category) >= 1\n",
    ));
    assert_eq!(bad["ok"], false);
    let d = &bad["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 3);
    assert!(d["column"].as_u64().unwrap() > 1);
    assert!(d["end_column"].as_u64().unwrap() > d["column"].as_u64().unwrap());
}

#[wasm_bindgen_test]
fn plan_rank_and_explain_a_generated_batch() {
    let s = doc(&dispatchkit_web::scenario(&city(40, 8).to_string()));
    let (engineers, tickets) = (&s["engineers"], &s["tickets"]);
    let now = "2025-03-03T10:00:00Z";
    let plan = doc(&dispatchkit_web::plan(
        &json!({"engineers": engineers, "tickets": tickets, "now": now}).to_string(),
    ));
    let placed = plan["assignments"].as_array().unwrap().len()
        + plan["unassigned"].as_array().unwrap().len();
    assert_eq!(placed, 40);
    let ranking = doc(&dispatchkit_web::candidates(
        &json!({"engineers": engineers, "ticket": tickets[0], "now": now}).to_string(),
    ));
    assert!(ranking["eligible"].is_array() && ranking["rejected"].is_array());
    let explanation = doc(&dispatchkit_web::explain(
        &json!({"ticket": tickets[0], "engineer": engineers[0], "now": now}).to_string(),
    ));
    assert_eq!(explanation["ticket"], tickets[0]["id"]);
    assert_eq!(explanation["engineer"], engineers[0]["id"]);
    assert_eq!(
        explanation["eligible"],
        explanation["rejected_by"].is_null()
    );
}

#[wasm_bindgen_test]
fn errors_are_documents_not_exceptions() {
    let e = doc(&dispatchkit_web::plan("{\"engineers\": [}"));
    assert_eq!(e["error"]["kind"], "json");
    assert_eq!(e["error"]["line"], 1);
    let e = doc(&dispatchkit_web::simulate(
        &json!({"scenario": city(5, 2), "policy": {"builtin": "fastest"}}).to_string(),
    ));
    assert_eq!(e["error"]["kind"], "invalid_request");
    let e = doc(&dispatchkit_web::simulate(
        &json!({"scenario": city(5, 2), "policy": {"rules": "policy \"x\" version 1\nrequire a: nope\n"}}).to_string(),
    ));
    assert_eq!(e["error"]["kind"], "policy");
    assert_eq!(e["error"]["diagnostics"][0]["line"], 2);
}

#[wasm_bindgen_test]
fn a_day_of_a_thousand_tickets_runs_and_reports_progress() {
    let request = json!({"scenario": city(1000, 100), "policy": {"builtin": "optimiser"}});
    let calls = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let seen = calls.clone();
    let progress = wasm_bindgen::closure::Closure::<dyn FnMut(f64) -> bool>::new(move |f: f64| {
        assert!((0.0..=1.0).contains(&f));
        seen.set(seen.get() + 1);
        true
    });
    let answer = doc(&dispatchkit_web::simulate_with_progress(
        &request.to_string(),
        progress.as_ref().unchecked_ref(),
    ));
    assert_eq!(answer["report"]["kpis"]["tickets"], 1000);
    assert!(answer["report"]["kpis"]["resolved"].as_u64().unwrap() > 500);
    assert_eq!(
        answer["dispatches"].as_array().unwrap().len() as u64,
        answer["report"]["events"]["decisions"].as_u64().unwrap()
    );
    // A sample every 15 minutes of the day.
    assert!(calls.get() >= 24 * 4);
    // The same request gives the same report (no clock, no unseeded randomness).
    let again = doc(&dispatchkit_web::simulate(&request.to_string()));
    assert_eq!(again["report"], answer["report"]);
}

#[wasm_bindgen_test]
fn a_progress_callback_can_cancel() {
    let request = json!({"scenario": city(50, 5), "policy": {"builtin": "greedy"}});
    let stop = wasm_bindgen::closure::Closure::<dyn FnMut(f64) -> bool>::new(|_: f64| false);
    let e = doc(&dispatchkit_web::simulate_with_progress(
        &request.to_string(),
        stop.as_ref().unchecked_ref(),
    ));
    assert_eq!(e["error"]["kind"], "cancelled");
}
