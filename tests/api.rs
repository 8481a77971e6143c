//! The JSON layer (`dispatchkit::api`): every answer against the Rust API it wraps, errors as
//! documents with their place, and no panic on any input.

#[path = "../examples/common/boston.rs"]
mod boston;

use chrono::{DateTime, Duration, Utc};
use dispatchkit::api::{self, BostonExtract, Home};
use dispatchkit::rules::{DEFAULT_POLICY, Policy};
use dispatchkit::sim::generate::{CityParams, generate};
use dispatchkit::sim::{DispatcherPolicy, NearestAvailable, SimConfig, Trigger, simulate};
use dispatchkit::{Config, Dispatcher, Engineer, Fleet, LatLon, Ticket};
use proptest::prelude::*;
use serde_json::{Value, json};

fn doc(answer: &str) -> Value {
    serde_json::from_str(answer).unwrap_or_else(|e| panic!("answer is not JSON ({e}): {answer}"))
}

/// A value as the answers carry it: written to JSON text and read back (the reader's float parsing
/// is the same on both sides of a comparison then).
fn reparsed<T: serde::Serialize>(v: T) -> Result<Value, std::convert::Infallible> {
    Ok(doc(&serde_json::to_string(&v).unwrap()))
}

/// The error object of an answer that must be an error.
fn error_of(answer: &str) -> Value {
    assert!(api::is_error(answer), "expected an error, got {answer}");
    let d = doc(answer);
    assert!(
        d["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    d["error"].clone()
}

fn now() -> DateTime<Utc> {
    "2025-03-03T10:00:00Z".parse().unwrap()
}

/// A small generated day, everyone on shift, as plan inputs.
fn small() -> (Vec<Engineer>, Vec<Ticket>) {
    let mut p = CityParams::new(5, 60, 12);
    p.always_on_shift = true;
    let s = as_read(&generate(&p));
    (s.engineers, s.tickets)
}

/// A value as the API reads it from JSON text (serde_json's float reading may differ from the
/// value written in the last bit), so that the Rust API gets exactly the API's input.
fn as_read<T: serde::Serialize + serde::de::DeserializeOwned>(v: &T) -> T {
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

const NEAREST: &str = "policy \"near\" version 2\n\
require reach: travel <= 30km\n\
require skill: engineer.skill(ticket.category) >= ticket.min_level\n\
limit capacity: engineer.open_tickets + assigned <= engineer.capacity\n\
penalize distance 1 per km: travel\n";

#[test]
fn check_policy_summarises_a_good_policy() {
    let d = doc(&api::check_policy(DEFAULT_POLICY));
    assert_eq!(d["ok"], true);
    let p = Policy::parse("x", DEFAULT_POLICY).unwrap();
    assert_eq!(d["policy"]["name"], p.name());
    assert_eq!(d["policy"]["version"], p.version());
    assert_eq!(d["policy"]["tests_passed"], p.tests_passed());
    let rules: Vec<(String, String)> = d["policy"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = p
        .rules()
        .into_iter()
        .map(|(n, k)| (n, reparsed(k).unwrap().as_str().unwrap().into()))
        .collect();
    assert_eq!(rules, expected);
    assert_eq!(d["diagnostics"], json!([]));
}

#[test]
fn check_policy_places_errors_on_their_line() {
    let source =
        "policy \"p\" version 1\n\n# the unit is wrong\nrequire reach: travel <= 20 furlongs\n";
    let d = doc(&api::check_policy(source));
    assert_eq!(d["ok"], false);
    assert!(d["policy"].is_null());
    let diags = d["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    let first = &diags[0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["line"], 4);
    // The span is inside line 4 and its byte offsets agree with the line and columns.
    let start = first["start"].as_u64().unwrap() as usize;
    let line4 = source.lines().nth(3).unwrap();
    let line4_start = source.find(line4).unwrap();
    assert_eq!(
        first["column"].as_u64().unwrap() as usize,
        start - line4_start + 1
    );
    assert!(first["end_line"].as_u64().unwrap() >= 4);
    assert!(d["rendered"].as_str().unwrap().contains("policy:4:"));
}

#[test]
fn check_policy_reports_warnings_of_a_good_policy() {
    // A score that dwarfs the others is a warning, not an error.
    let source = "policy \"w\" version 1\nrequire reach: travel <= 20km\n\
                  penalize distance 1 per km: travel\npenalize huge 100000 per km: travel\n";
    let d = doc(&api::check_policy(source));
    let p = Policy::parse("policy", source);
    assert_eq!(d["ok"], p.is_ok());
    if let Ok(p) = p {
        assert_eq!(
            d["diagnostics"].as_array().unwrap().len(),
            p.warnings().items.len()
        );
        for (got, want) in d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&p.warnings().items)
        {
            assert_eq!(got["severity"], "warning");
            assert_eq!(got["line"], want.line);
            assert_eq!(got["message"], want.message.as_str());
        }
    }
}

#[test]
fn plan_answers_the_dispatchers_plan() {
    let (engineers, tickets) = small();
    let request = json!({
        "engineers": engineers, "tickets": tickets, "now": now(), "policy": NEAREST,
    });
    let answer = api::plan(&request.to_string());
    let fleet = Fleet::new(engineers.clone()).unwrap();
    let d = Dispatcher::with_policy(Config::default(), Policy::parse("policy", NEAREST).unwrap());
    let expected = d.plan(&fleet, &tickets, now()).unwrap();
    let (mut got, mut want) = (doc(&answer), doc(&expected.to_json()));
    // Stage timings are wall-clock measurements: the only part that may differ.
    got["stats"]["timings"] = Value::Null;
    want["stats"]["timings"] = Value::Null;
    assert_eq!(got, want);
    assert_eq!(
        got["assignments"].as_array().unwrap().len() + got["unassigned"].as_array().unwrap().len(),
        tickets.len()
    );
}

#[test]
fn plan_without_a_policy_uses_the_configs() {
    let (engineers, tickets) = small();
    let config = Config::default().max_travel_km(8.0);
    let request = json!({
        "engineers": engineers, "tickets": tickets, "now": now(), "config": config,
    });
    let mut got = doc(&api::plan(&request.to_string()));
    let fleet = Fleet::new(engineers).unwrap();
    let plan = Dispatcher::new(config)
        .plan(&fleet, &tickets, now())
        .unwrap();
    let mut want = doc(&plan.to_json());
    got["stats"]["timings"] = Value::Null;
    want["stats"]["timings"] = Value::Null;
    assert_eq!(got, want);
}

#[test]
fn candidates_answers_the_ranking() {
    let (engineers, tickets) = small();
    let fleet = Fleet::new(engineers.clone()).unwrap();
    let d = Dispatcher::with_policy(Config::default(), Policy::parse("policy", NEAREST).unwrap());
    for t in tickets.iter().take(5) {
        let request = json!({"engineers": engineers, "ticket": t, "now": now(), "policy": NEAREST});
        let got = doc(&api::candidates(&request.to_string()));
        let want = reparsed(d.candidates(&fleet, t, now()).unwrap()).unwrap();
        assert_eq!(got, want);
        // Cheapest first.
        let costs: Vec<f64> = got["eligible"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cost"]["total"].as_f64().unwrap())
            .collect();
        assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
    }
}

#[test]
fn explain_answers_the_policys_explanation() {
    let (engineers, tickets) = small();
    let policy = Policy::parse("policy", NEAREST).unwrap();
    for (t, e) in tickets.iter().zip(engineers.iter().cycle()).take(12) {
        let request = json!({"ticket": t, "engineer": e, "now": now(), "policy": NEAREST});
        let got = doc(&api::explain(&request.to_string()));
        let want = reparsed(policy.explain(t, e, now()).unwrap()).unwrap();
        assert_eq!(got, want);
        // Eligible exactly when no require rejected it.
        assert_eq!(got["eligible"], got["rejected_by"].is_null());
    }
}

#[test]
fn simulate_answers_the_simulators_report_and_every_decision() {
    let request = json!({
        "scenario": {"city": {"seed": 3, "tickets_per_hour": 10, "engineers": 15}},
        "policy": {"rules": NEAREST},
        "config": {"speed_kmh": 25.0},
    });
    let d = doc(&api::simulate(&request.to_string()));
    let scenario = generate(&CityParams::new(3, 240, 15));
    let config = SimConfig::default().speed_kmh(25.0);
    let base = DispatcherPolicy::optimiser();
    let mut policy = DispatcherPolicy::new(
        "near",
        Dispatcher::with_policy(
            base.dispatcher().config().clone(),
            Policy::parse("policy", NEAREST).unwrap(),
        ),
    );
    let report = simulate(&scenario, &config, &mut policy).unwrap();
    assert_eq!(d["report"], reparsed(&report).unwrap());
    assert_eq!(d["report"]["policy"], "near");
    let dispatches = d["dispatches"].as_array().unwrap();
    assert_eq!(dispatches.len(), report.events.decisions);
    let period = (scenario.end - scenario.start).num_minutes();
    let mut last = 0;
    for x in dispatches {
        let id = x["engineer"].as_str().unwrap();
        assert!(scenario.engineers.iter().any(|e| e.id.as_str() == id));
        let original = x["ticket"].as_str().unwrap().split('#').next().unwrap();
        let t = scenario
            .tickets
            .iter()
            .find(|t| t.id.as_str() == original)
            .unwrap();
        let minute = x["minute"].as_i64().unwrap();
        // Decided after the ticket was created, inside the period, in time order.
        assert!(minute >= (t.created_at - scenario.start).num_minutes());
        assert!((0..period).contains(&minute) && minute >= last);
        last = minute;
    }
}

#[test]
fn simulate_runs_every_builtin_as_the_simulator_does() {
    let scenario = as_read(&generate(&CityParams::new(9, 80, 8)));
    let config = SimConfig::default().trigger(Trigger::Every { minutes: 10 });
    for name in api::BUILTIN_POLICIES {
        let request = json!({
            "scenario": {"custom": scenario},
            "policy": {"builtin": name},
            "config": config,
        });
        let d = doc(&api::simulate(&request.to_string()));
        assert_eq!(d["report"]["policy"], name);
        assert_eq!(d["report"]["kpis"]["tickets"], 80);
    }
    let request = json!({"scenario": {"custom": scenario}, "policy": {"builtin": "nearest available"}, "config": config});
    let d = doc(&api::simulate(&request.to_string()));
    let want = simulate(&scenario, &config, &mut NearestAvailable).unwrap();
    assert_eq!(d["report"], reparsed(&want).unwrap());
}

#[test]
fn scenario_builds_the_generated_city() {
    let d = doc(&api::scenario(
        r#"{"city": {"seed": 4, "tickets": 30, "engineers": 6}}"#,
    ));
    assert_eq!(d, reparsed(generate(&CityParams::new(4, 30, 6))).unwrap());
    // Per hour: 24 × the rate, rounded.
    let d = doc(&api::scenario(
        r#"{"city": {"engineers": 3, "tickets_per_hour": 2.5}}"#,
    ));
    assert_eq!(d["tickets"].as_array().unwrap().len(), 60);
}

fn tiny_extract(homes: usize) -> BostonExtract {
    let start: DateTime<Utc> = "2025-03-05T00:00:00Z".parse().unwrap();
    BostonExtract {
        source: "test".into(),
        start,
        tickets: (0..5)
            .map(|i| {
                Ticket::new(
                    format!("BOS-{i}"),
                    LatLon::new(42.3 + 0.01 * f64::from(i), -71.06),
                    "sidewalk",
                    start + Duration::hours(i64::from(i)),
                )
            })
            .collect(),
        homes: (0..homes)
            .map(|i| Home {
                location: LatLon::new(42.3, -71.1 + 0.001 * i as f64),
                district: format!("d{}", i / 4),
            })
            .collect(),
    }
}

#[test]
fn boston_crew_is_drawn_evenly_from_the_pool() {
    let extract = tiny_extract(12);
    let request = json!({"boston": {"extract": extract, "crew": 4, "days": 2}});
    let d = doc(&api::scenario(&request.to_string()));
    let engineers = d["engineers"].as_array().unwrap();
    assert_eq!(engineers.len(), 8);
    // Homes 1, 4, 7, 10: the middles of four equal slices; each person twice (d1, d2).
    let homes: Vec<f64> = engineers
        .iter()
        .step_by(2)
        .map(|e| e["location"]["lon"].as_f64().unwrap())
        .collect();
    let want: Vec<f64> = [1, 4, 7, 10]
        .iter()
        .map(|&i| extract.homes[i].location.lon)
        .collect();
    assert_eq!(homes, want);
    assert_eq!(engineers[0]["id"], "E-001/d1");
    assert_eq!(engineers[1]["id"], "E-001/d2");
    assert_eq!(d["tickets"].as_array().unwrap().len(), 5);
    for (crew, days) in [(0, 1), (13, 1), (4, 0), (4, 99)] {
        let request = json!({"boston": {"extract": extract, "crew": crew, "days": days}});
        assert_eq!(
            error_of(&api::scenario(&request.to_string()))["kind"],
            "invalid_request"
        );
    }
}

/// With the whole pool, the replay is exactly the example's (`examples/common/boston.rs`) on the
/// real data.
#[test]
fn boston_replay_matches_the_example_on_the_real_data() {
    let params = boston::ReplayParams {
        crew: 30,
        days: 2,
        ..boston::ReplayParams::default()
    };
    let (want, _) = boston::load(params).expect("../shared/data/boston is present");
    let (pool, _) = boston::load(boston::ReplayParams { days: 1, ..params }).unwrap();
    let extract = BostonExtract {
        source: "test".into(),
        start: pool.start,
        tickets: pool.tickets.clone(),
        homes: pool
            .engineers
            .iter()
            .map(|e| Home {
                location: e.location,
                district: e.territory.clone().unwrap(),
            })
            .collect(),
    };
    let request = json!({"boston": {"extract": extract, "crew": 30, "days": 2}});
    let got: dispatchkit::sim::Scenario =
        serde_json::from_str(&api::scenario(&request.to_string())).unwrap();
    assert_eq!(got.engineers, want.engineers);
    assert_eq!(got.tickets, want.tickets);
    assert_eq!((got.start, got.end), (want.start, want.end));
}

#[test]
fn unreadable_requests_point_at_the_place() {
    let e = error_of(&api::plan("{\n  \"engineers\": [],\n  \"tickets\": [,]\n}"));
    assert_eq!(e["kind"], "json");
    assert_eq!(e["line"], 3);
    assert!(e["column"].as_u64().unwrap() > 0);
    // Unknown fields are refused, not ignored.
    let e = error_of(&api::simulate(
        r#"{"scenario": {"city": {"engineers": 2, "tickets": 3}}, "policy": {"builtin": "optimiser"}, "speed": 3}"#,
    ));
    assert_eq!(e["kind"], "json");
    assert!(e["message"].as_str().unwrap().contains("speed"));
    for f in [
        api::plan,
        api::candidates,
        api::explain,
        api::scenario,
        api::simulate,
    ] {
        assert_eq!(error_of(&f(""))["kind"], "json");
        assert_eq!(error_of(&f("[1, 2]"))["kind"], "json");
    }
}

#[test]
fn bad_items_come_back_as_typed_errors() {
    let (mut engineers, tickets) = small();
    engineers[3].location.lat = 123.0;
    let request = json!({"engineers": engineers, "tickets": tickets, "now": now()});
    let e = error_of(&api::plan(&request.to_string()));
    assert_eq!(e["kind"], "invalid_coordinate");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(engineers[3].id.as_str())
    );

    let (engineers, mut tickets) = small();
    tickets[1].id = tickets[0].id.clone();
    let request = json!({"engineers": engineers, "tickets": tickets, "now": now()});
    assert_eq!(
        error_of(&api::plan(&request.to_string()))["kind"],
        "duplicate_id"
    );

    let (engineers, tickets) = small();
    let config = Config {
        max_travel_km: -1.0,
        ..Config::default()
    };
    let request =
        json!({"engineers": engineers, "ticket": tickets[0], "now": now(), "config": config});
    assert_eq!(
        error_of(&api::candidates(&request.to_string()))["kind"],
        "invalid_number"
    );
}

#[test]
fn a_policy_that_does_not_compile_is_a_policy_error_with_diagnostics() {
    let (engineers, tickets) = small();
    let bad = "policy \"b\" version 1\nrequire skill: engineer.skil(ticket.category) >= 1\n";
    let request = json!({"engineers": engineers, "tickets": tickets, "now": now(), "policy": bad});
    let e = error_of(&api::plan(&request.to_string()));
    assert_eq!(e["kind"], "policy");
    assert_eq!(e["line"], 2);
    assert_eq!(e["diagnostics"][0]["line"], 2);
    let request =
        json!({"scenario": {"city": {"engineers": 2, "tickets": 3}}, "policy": {"rules": bad}});
    assert_eq!(
        error_of(&api::simulate(&request.to_string()))["kind"],
        "policy"
    );
}

#[test]
fn simulation_requests_out_of_bounds_are_refused() {
    let cases = [
        json!({"scenario": {"city": {"engineers": 2}}, "policy": {"builtin": "optimiser"}}),
        json!({"scenario": {"city": {"engineers": 2, "tickets": 3, "tickets_per_hour": 1}}, "policy": {"builtin": "optimiser"}}),
        json!({"scenario": {"city": {"engineers": 2, "tickets": 1_000_000_000u64}}, "policy": {"builtin": "optimiser"}}),
        json!({"scenario": {"city": {"engineers": 2, "tickets_per_hour": 1e300}}, "policy": {"builtin": "optimiser"}}),
        json!({"scenario": {"city": {"engineers": 1_000_000, "tickets": 1}}, "policy": {"builtin": "optimiser"}}),
        json!({"scenario": {"city": {"engineers": 2, "tickets": 3}}, "policy": {"builtin": "fastest"}}),
    ];
    for c in cases {
        assert_eq!(
            error_of(&api::simulate(&c.to_string()))["kind"],
            "invalid_request",
            "{c}"
        );
    }
    let request = json!({"scenario": {"city": {"engineers": 2, "tickets": 3}},
        "policy": {"builtin": "optimiser"}, "config": {"speed_kmh": -3.0}});
    assert_eq!(
        error_of(&api::simulate(&request.to_string()))["kind"],
        "invalid_number"
    );
}

#[test]
fn a_cancelled_simulation_is_an_error() {
    let request = json!({"scenario": {"city": {"engineers": 5, "tickets": 50}}, "policy": {"builtin": "greedy"}});
    let mut calls = 0;
    let answer = api::simulate_with(&request.to_string(), &mut |_| {
        calls += 1;
        dispatchkit::sim::Flow::Cancel
    });
    assert_eq!(error_of(&answer)["kind"], "cancelled");
    assert_eq!(calls, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any text: every function answers JSON, and never panics.
    #[test]
    fn any_text_gets_a_json_answer(text in "\\PC{0,200}") {
        for f in [api::check_policy, api::plan, api::candidates, api::explain, api::scenario, api::simulate] {
            let answer = f(&text);
            prop_assert!(serde_json::from_str::<Value>(&answer).is_ok(), "{answer}");
        }
    }

    /// An unknown word put on a random line of the default policy is reported on that line.
    #[test]
    fn a_bad_word_is_reported_on_its_line(at in 0usize..30) {
        let lines: Vec<&str> = DEFAULT_POLICY.lines().collect();
        // Only between items (after the header, outside the test block) is a new line an item.
        let slots: Vec<usize> = (1..lines.len())
            .filter(|&i| lines[..i].iter().filter(|l| l.contains('{')).count()
                == lines[..i].iter().filter(|l| l.contains('}')).count())
            .collect();
        let k = slots[at % slots.len()];
        let mut edited: Vec<&str> = lines.clone();
        edited.insert(k, "require broken: ticket.nonsense >= 1");
        let source = edited.join("\n");
        let d = doc(&api::check_policy(&source));
        prop_assert_eq!(&d["ok"], &json!(false));
        let first = &d["diagnostics"][0];
        prop_assert_eq!(&first["line"], &json!(k + 1));
        prop_assert_eq!(&first["severity"], &json!("error"));
    }
}

/// A rule policy without the skill and capacity rules still runs: the decisions the simulator
/// cannot carry out are held back and counted, and every decision carried out is feasible.
#[test]
fn infeasible_decisions_are_held_back_and_counted() {
    let careless = "policy \"careless\" version 1\npenalize distance 1 per km: travel\n";
    let request = json!({
        "scenario": {"city": {"seed": 2, "tickets": 150, "engineers": 12}},
        "policy": {"rules": careless},
    });
    let d = doc(&api::simulate(&request.to_string()));
    let held = d["held_back"].as_array().unwrap();
    let skill = held
        .iter()
        .find(|h| h["reason"] == "engineer lacks the skill level")
        .expect("some decision lacked the skill");
    assert!(skill["count"].as_u64().unwrap() > 0);
    let scenario = generate(&CityParams::new(2, 150, 12));
    for x in d["dispatches"].as_array().unwrap() {
        let e = scenario
            .engineers
            .iter()
            .find(|e| e.id.as_str() == x["engineer"])
            .unwrap();
        let original = x["ticket"].as_str().unwrap().split('#').next().unwrap();
        let t = scenario
            .tickets
            .iter()
            .find(|t| t.id.as_str() == original)
            .unwrap();
        assert!(e.skill_level(&t.category) >= t.min_level, "{x}");
        assert!(x["held"].as_u64().unwrap() < e.capacity as u64, "{x}");
    }
    // The built-in policies never need it.
    let request = json!({
        "scenario": {"city": {"seed": 2, "tickets": 150, "engineers": 12}},
        "policy": {"builtin": "least loaded"},
    });
    assert_eq!(
        doc(&api::simulate(&request.to_string()))["held_back"],
        json!([])
    );
}

#[test]
fn a_boston_extract_at_the_end_of_time_is_refused() {
    let mut extract = tiny_extract(4);
    extract.start = DateTime::<Utc>::MAX_UTC - Duration::hours(30);
    extract.tickets.clear();
    let request = json!({"boston": {"extract": extract, "crew": 2, "days": 3}});
    assert_eq!(
        error_of(&api::scenario(&request.to_string()))["kind"],
        "invalid_request"
    );
}
