//! Hostile input: every public reader and the dispatcher answer input built to break them with a
//! typed error that names the input (with line and column for text), or with a correct plan — never
//! a panic, a stack overflow or a hang. Bounded time shows as these tests finishing; none is timed.
//!
//! Deeply nested policy expressions (10,000 levels) are in `tests/rules.rs`
//! (`deep_nesting_is_an_error_not_a_stack_overflow`), as are the policy size limits
//! (`size_limits_are_errors_with_positions`). The README's "Hostile input" table lists them all.

mod common;

use common::assert_each_ticket_once;

use chrono::{DateTime, Duration, TimeZone, Utc};
use dispatchkit::model::{
    engineers_from_json, engineers_from_slice, tickets_from_json, tickets_from_slice,
};
use dispatchkit::rules::{Options, Policy};
use dispatchkit::solve::{Network, gap};
use dispatchkit::{
    AttrValue, Config, Dispatcher, Engineer, Entity, ErrorKind, Fleet, LatLon, Plan, Priority,
    Reason, Shift, Ticket,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap()
}

fn engineer(id: &str, lat: f64, lon: f64) -> Engineer {
    Engineer::new(id, LatLon::new(lat, lon), 2).with_skill("network", 3)
}

fn ticket(id: &str, lat: f64, lon: f64) -> Ticket {
    Ticket::new(id, LatLon::new(lat, lon), "network", now())
}

const TICKET_JSON: &str = r#"{"id":"T-1","location":{"lat":42.3,"lon":-71.0},"category":"network","created_at":"2025-01-06T09:00:00Z"}"#;

// ---------------------------------------------------------------------------------------------
// Nesting and size.

#[test]
fn deeply_nested_json_is_an_error_with_a_position() {
    let depth = 10_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let err = tickets_from_json(&text).expect_err("not tickets");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Json {
                document: "tickets",
                line: 1,
                ..
            }
        ),
        "{err}"
    );
    // Nested objects in an attribute (where any JSON value is read) are cut off the same way.
    let nested = format!(
        r#"[{{"id":"T","location":{{"lat":0,"lon":0}},"category":"x","created_at":"2025-01-06T09:00:00Z","attributes":{{"a":{}1{}}}}}]"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let err = tickets_from_json(&nested).expect_err("too deep");
    match err.kind() {
        ErrorKind::Json {
            line: 1, message, ..
        } => {
            assert!(message.contains("recursion"), "{err}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_50_mb_policy_is_a_size_error_with_a_position() {
    let mut text = String::from("policy \"huge\" version 1\nrequire reach: travel <= 50km\n");
    let line = format!("# {}\n", "x".repeat(97));
    while text.len() < 50 << 20 {
        text.push_str(&line);
    }
    let d = Policy::parse("huge.policy", &text).expect_err("too big");
    let first = d.errors().next().expect("an error");
    assert!(
        first.message.contains("bytes; the limit is"),
        "{}",
        first.message
    );
    // The position is the byte where the limit runs out: line and column inside the text.
    assert!(first.line > 2 && first.column >= 1, "{first:?}");
    // The same from bytes.
    let d = Policy::parse_bytes("huge.policy", text.as_bytes(), &Options::default())
        .expect_err("too big");
    assert!(d.errors().next().unwrap().message.contains("the limit is"));
}

#[test]
fn a_10_mb_line_is_an_error_or_a_plan() {
    let long = "x".repeat(10 << 20);
    // A policy of one 10 MB line: the size limit, at line 1.
    let d = Policy::parse("line.policy", &format!("policy \"l\" version 1 {long}"))
        .expect_err("too big");
    assert_eq!(d.errors().next().unwrap().line, 1);
    // A JSON ticket whose category is a 10 MB string on one line reads and plans: no engineer has
    // that skill, so it is unassigned with the reason.
    let text = TICKET_JSON.replace("\"network\"", &format!("\"{long}\",\"min_level\":1"));
    let tickets = tickets_from_json(&format!("[{text}]")).expect("valid JSON");
    let fleet = Fleet::new(vec![engineer("a", 42.3, -71.0)]).unwrap();
    let plan = Dispatcher::default()
        .plan(&fleet, &tickets, now())
        .expect("plan");
    assert_each_ticket_once(&plan, &tickets);
    assert!(matches!(
        plan.unassigned()[0].reason,
        Reason::NoEligibleEngineer { .. }
    ));
    // A 10 MB line of garbage in a JSON document: an error at line 1.
    let err = tickets_from_json(&format!("[{long}]")).expect_err("not JSON");
    assert!(
        matches!(err.kind(), ErrorKind::Json { line: 1, .. }),
        "{err}"
    );
    // An instance file whose second line is 10 MB of digits: an error on line 2.
    let digits = "9".repeat(10 << 20);
    let err = Network::parse(&format!("p 1 1 1\ne 0 {digits}\n")).expect_err("too large");
    assert_eq!(err.line(), Some(2), "{err}");
    // An OR-Library GAP file of one 10 MB line.
    let err = gap::read(digits.as_bytes()).expect_err("not a GAP file");
    assert_eq!(err.line(), Some(1), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Bytes that are not text.

#[test]
fn nul_bytes_and_invalid_utf8_are_errors_with_positions() {
    // JSON from bytes: invalid UTF-8 inside a string, on line 2.
    let mut bytes = b"[\n{\"id\":\"T-\xff\"}]".to_vec();
    let err = tickets_from_slice(&bytes).expect_err("invalid UTF-8");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Json {
                document: "tickets",
                line: 2,
                ..
            }
        ),
        "{err}"
    );
    // A raw NUL byte outside a string, on line 3.
    bytes = b"[\n\n\0]".to_vec();
    let err = engineers_from_slice(&bytes).expect_err("NUL");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Json {
                document: "engineers",
                line: 3,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    // A raw NUL inside a string is a control character JSON does not allow.
    let raw = TICKET_JSON.replace("T-1", "T-\u{0}1");
    let err = tickets_from_json(&format!("[{raw}]")).expect_err("control character");
    assert!(
        matches!(err.kind(), ErrorKind::Json { line: 1, .. }),
        "{err}"
    );
    // An escaped NUL is a valid id character: it reads and plans.
    let escaped = TICKET_JSON.replace("T-1", "T-\\u00001");
    let tickets = tickets_from_slice(format!("[{escaped}]").as_bytes()).expect("valid");
    assert_eq!(tickets[0].id.as_str(), "T-\u{0}1");
    let fleet = Fleet::new(vec![engineer("a", 42.3, -71.0)]).unwrap();
    let plan = Dispatcher::default()
        .plan(&fleet, &tickets, now())
        .expect("plan");
    assert_each_ticket_once(&plan, &tickets);
    assert_eq!(plan.assignments().len(), 1);

    // A policy from bytes: invalid UTF-8 on line 2, column 11.
    let source = b"policy \"p\" version 1\nrequire r\xc3(: travel <= 5km\n";
    let d = Policy::parse_bytes("bad.policy", source, &Options::default()).expect_err("bad");
    let e = d.errors().next().unwrap();
    assert_eq!((e.line, e.column), (2, 10), "{}", d.render());
    assert!(e.message.contains("not valid UTF-8"), "{}", d.render());
    // A NUL byte in policy text is an unexpected character at its position.
    let d = Policy::parse(
        "nul.policy",
        "policy \"p\" version 1\nrequire r: travel <= \u{0}5km\n",
    )
    .expect_err("NUL");
    let e = d.errors().next().unwrap();
    assert_eq!(e.line, 2, "{}", d.render());

    // Instance files: invalid UTF-8 and NUL bytes are bad lines, with their number.
    let err = Network::read(&b"p 1 1 1\ne 0 1\nt 0 \xff\n"[..]).expect_err("bad");
    assert_eq!(err.line(), Some(3), "{err}");
    let err = Network::read(&b"p 1 1 1\n\0\n"[..]).expect_err("NUL");
    assert_eq!(err.line(), Some(2), "{err}");
    let err = gap::read(&b"1\n2 3\n1 2 \xff 4\n"[..]).expect_err("bad");
    assert_eq!(err.line(), Some(3), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Numbers.

#[test]
fn huge_numbers_nan_and_infinity_in_json_are_errors() {
    let with = |field: &str, value: &str| {
        let doc = format!(
            r#"[{{"id":"e","location":{{"lat":42.0,"lon":-71.0}},"capacity":2,"{field}":{value}}}]"#
        );
        // Later keys win in serde's maps? No: a repeated key is an error, so replace instead.
        doc.replace(r#""capacity":2,"capacity""#, r#""capacity""#)
    };
    // Not JSON at all: NaN and Infinity literals, numbers beyond f64.
    for (field, value) in [
        ("open_tickets", "NaN"),
        ("open_tickets", "Infinity"),
        ("open_tickets", "-Infinity"),
        ("available_min", "1e400"),
    ] {
        let err = engineers_from_json(&with(field, value)).expect_err(value);
        assert!(
            matches!(err.kind(), ErrorKind::Json { line: 1, .. }),
            "{value}: {err}"
        );
    }
    // Beyond the field's type: an error naming the value's place.
    for value in ["2147483648", "1e10", "-9223372036854775809", "2.5"] {
        let err = engineers_from_json(&with("capacity", value)).expect_err(value);
        assert!(
            matches!(err.kind(), ErrorKind::Json { .. }),
            "{value}: {err}"
        );
    }
    // In range for the type but not for the model: a validation error naming the engineer.
    let engineers = engineers_from_json(&with("capacity", "2147483647")).unwrap();
    assert!(matches!(
        Fleet::new(engineers).unwrap_err().into_kind(),
        ErrorKind::CountTooLarge {
            field: "capacity",
            ..
        }
    ));
    let doc = r#"[{"id":"e","location":{"lat":1e308,"lon":-71.0},"capacity":2}]"#;
    let err = Fleet::new(engineers_from_json(doc).unwrap()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::InvalidCoordinate {
                field: "latitude",
                ..
            }
        ),
        "{err}"
    );
    // Tickets: a duration beyond u32 is a JSON error; one beyond the solvers' bound on minutes is a
    // validation error naming the ticket; the largest allowed plans (unassigned for lack of hours,
    // with the reason).
    let with_duration = |d: u64| {
        format!(
            "[{}]",
            TICKET_JSON.replace("\"network\"", &format!("\"network\",\"duration_min\":{d}"))
        )
    };
    let err = tickets_from_json(&with_duration(1 << 32)).expect_err("too long");
    assert!(matches!(err.kind(), ErrorKind::Json { .. }), "{err}");
    let fleet = Fleet::new(vec![engineer("a", 42.3, -71.0).with_available_min(480)]).unwrap();
    let tickets = tickets_from_json(&with_duration(u64::from(u32::MAX))).unwrap();
    let err = Dispatcher::default()
        .plan(&fleet, &tickets, now())
        .expect_err("beyond the bound");
    assert_eq!(
        err.to_string(),
        r#"ticket "T-1": duration_min 4294967295 is not a valid value"#
    );
    let tickets = tickets_from_json(&with_duration(1_000_000_000)).unwrap();
    let plan = Dispatcher::default()
        .plan(&fleet, &tickets, now())
        .expect("plan");
    assert_each_ticket_once(&plan, &tickets);
    assert!(
        matches!(plan.unassigned()[0].reason, Reason::NotEnoughHours { .. }),
        "{:?}",
        plan.unassigned()
    );
    // Custom attributes take any JSON number: huge ones read, out-of-range ones are errors.
    let t = tickets_from_json(&format!(
        "[{}]",
        TICKET_JSON.replace(
            "\"network\"",
            "\"network\",\"attributes\":{\"big\":1e308,\"int\":-9223372036854775808}"
        )
    ))
    .unwrap();
    assert_eq!(t[0].attributes["big"], AttrValue::Float(1e308));
    assert_eq!(t[0].attributes["int"], AttrValue::Int(i64::MIN));
    let err = tickets_from_json(&format!(
        "[{}]",
        TICKET_JSON.replace("\"network\"", "\"network\",\"attributes\":{\"big\":-1e999}")
    ))
    .expect_err("beyond f64");
    assert!(matches!(err.kind(), ErrorKind::Json { .. }), "{err}");
    // Configuration numbers set from code: NaN and infinity are named errors.
    let fleet = Fleet::new(vec![engineer("a", 42.3, -71.0)]).unwrap();
    for config in [
        Config::default().max_travel_km(f64::NAN),
        Config::default().max_travel_km(f64::INFINITY),
        Config::default().mip_time_limit_s(f64::NAN),
        Config::default().load_balancing(Some(f64::NEG_INFINITY)),
    ] {
        let err = Dispatcher::new(config)
            .plan(&fleet, &[], now())
            .expect_err("invalid number");
        assert!(
            matches!(err.kind(), ErrorKind::InvalidNumber { entity: None, .. }),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Identity.

#[test]
fn duplicate_ids_are_errors_naming_both_positions() {
    let err = Fleet::new(vec![
        engineer("a", 42.0, -71.0),
        engineer("b", 42.0, -71.0),
        engineer("a", 43.0, -71.0),
    ])
    .unwrap_err();
    assert_eq!(
        err.into_kind(),
        ErrorKind::DuplicateId {
            entity: Entity::Engineer,
            id: "a".into(),
            first: 0,
            second: 2
        }
    );
    let fleet = Fleet::new(vec![engineer("a", 42.0, -71.0)]).unwrap();
    let tickets = vec![
        ticket("T", 42.0, -71.0),
        ticket("U", 42.0, -71.0),
        ticket("T", 42.0, -71.0),
    ];
    let err = Dispatcher::default()
        .plan(&fleet, &tickets, now())
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::DuplicateId {
                entity: Entity::Ticket,
                first: 0,
                second: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        r#"ticket "T": id appears twice (positions 0 and 2)"#
    );
}

// ---------------------------------------------------------------------------------------------
// Scale and degenerate geometry.

/// A million engineers at one point: the R-tree's degenerate case (every bounding box the same).
/// The fleet builds, a ticket's ranking and a plan finish, ties break by id, and one engineer fewer
/// than the fleet as `max_engineers` is the limit error.
#[test]
fn a_million_engineers_at_one_point() {
    let n = 1_000_000;
    let engineers: Vec<Engineer> = (0..n)
        .map(|i| Engineer::new(format!("e{i:07}"), LatLon::new(42.36, -71.06), 1))
        .map(|e| e.with_skill("network", 3))
        .collect();
    let fleet = Fleet::new(engineers).expect("fleet");
    assert_eq!(fleet.len(), n);
    // Every engineer ties with every other, so each ticket examines all of them: a few suffice.
    let tickets: Vec<Ticket> = (0..6)
        .map(|i| ticket(&format!("T-{i:02}"), 42.36, -71.06))
        .collect();
    let d = Dispatcher::default();
    let ranking = d.candidates(&fleet, &tickets[0], now()).expect("ranking");
    // Equal distance and cost: the first ids, in order.
    let first: Vec<&str> = ranking
        .eligible
        .iter()
        .take(3)
        .map(|c| c.engineer.as_str())
        .collect();
    assert_eq!(first, ["e0000000", "e0000001", "e0000002"]);
    let plan = d.plan(&fleet, &tickets, now()).expect("plan");
    assert_each_ticket_once(&plan, &tickets);
    assert_eq!(plan.assignments().len(), 6);
    let mut taken: Vec<&str> = plan
        .assignments()
        .iter()
        .map(|a| a.engineer.as_str())
        .collect();
    taken.sort_unstable();
    taken.dedup();
    // Capacity 1 each: six different engineers, all among the 32 candidates (the first ids).
    assert_eq!(taken.len(), 6, "{taken:?}");
    assert!(taken.iter().all(|id| id < &"e0000032"), "{taken:?}");
    // The limit on engineers per run.
    let err = Dispatcher::new(Config::default().max_engineers(n - 1))
        .plan(&fleet, &tickets, now())
        .unwrap_err();
    assert_eq!(
        err.into_kind(),
        ErrorKind::TooMany {
            entity: Entity::Engineer,
            count: n,
            max: n - 1
        }
    );
}

/// The model has one required skill per ticket (its category). The nearest thing to a ticket with
/// 10⁵ required skills is a declared set attribute of 10⁵ names that a policy tests against, and
/// engineers with 10⁵ skills each: the plan is correct.
#[test]
fn a_hundred_thousand_skills() {
    let names: Vec<String> = (0..100_000).map(|i| format!("s{i:06}")).collect();
    let policy = Policy::parse(
        "needs.policy",
        "policy \"needs\" version 1\n\
         field ticket.accepted_teams: set\n\
         require reach: travel <= 50km\n\
         require skill: engineer.skill(ticket.category) >= ticket.min_level\n\
         require team: (engineer.team ?? \"\") in ticket.accepted_teams\n\
         penalize distance 1 per km: travel\n",
    )
    .expect("valid");
    let mut engineers = Vec::new();
    for (i, team) in ["s099999", "nobody"].iter().enumerate() {
        let mut e = Engineer::new(
            format!("e{i}"),
            LatLon::new(42.36, -71.06 + i as f64 * 0.01),
            3,
        );
        e.skills = names.iter().map(|s| (s.clone(), 4)).collect();
        e.team = Some((*team).to_string());
        engineers.push(e);
    }
    let fleet = Fleet::new(engineers).unwrap();
    let mut t = Ticket::new("T", LatLon::new(42.36, -71.05), "s050000", now()).with_min_level(4);
    t.attributes
        .insert("accepted_teams".into(), AttrValue::Set(names.clone()));
    let tickets = vec![t];
    let plan = Dispatcher::with_policy(Config::default(), policy)
        .plan(&fleet, &tickets, now())
        .expect("plan");
    assert_each_ticket_once(&plan, &tickets);
    // e1 is nearer but its team is not in the set.
    assert_eq!(plan.assignments()[0].engineer.as_str(), "e0");
}

// ---------------------------------------------------------------------------------------------
// Rules.

#[test]
fn a_thousand_derive_cycle_is_an_error_at_its_rules() {
    let n = 1_000;
    let mut text = String::from("policy \"cycle\" version 1\n");
    for i in 0..n {
        let after = (i + n - 1) % n;
        text.push_str(&format!(
            "derive d{i} after d{after} when ticket.min_level == {} {{ ticket.priority = P1 }}\n",
            i % 6
        ));
    }
    let d = Policy::parse("cycle.policy", &text).expect_err("cycle");
    let e = d
        .errors()
        .find(|e| e.message.contains("cycle"))
        .unwrap_or_else(|| panic!("{}", d.render()));
    assert!(e.line >= 2 && e.column >= 1, "{e:?}");
    // The same thousand derives in one chain (no cycle) and a thousand unordered ones with
    // exclusive guards are valid policies, checked in bounded time (the closure of the `after`
    // order once took minutes here).
    let mut chain = String::from("policy \"chain\" version 1\n");
    let mut exclusive = String::from("policy \"exclusive\" version 1\n");
    for i in 0..n {
        let after = if i == 0 {
            String::new()
        } else {
            format!(" after d{}", i - 1)
        };
        chain.push_str(&format!(
            "derive d{i}{after} when ticket.min_level == {} {{ ticket.priority = P1 }}\n",
            i % 6
        ));
        exclusive.push_str(&format!(
            "derive d{i} when ticket.id == \"T-{i}\" {{ ticket.priority = P2 }}\n"
        ));
    }
    for (text, want) in [(&chain, Priority::P1), (&exclusive, Priority::P2)] {
        let p = Policy::parse("many.policy", text).unwrap_or_else(|d| panic!("{}", d.render()));
        let t = ticket("T-7", 42.0, -71.0).with_min_level(1);
        assert_eq!(p.triage(&t, now()).unwrap().priority, want);
    }
    // A derive after itself.
    let d = Policy::parse(
        "self.policy",
        "policy \"s\" version 1\nderive d after d { ticket.priority = P1 }\n",
    )
    .expect_err("self cycle");
    assert_eq!(d.errors().next().unwrap().line, 2, "{}", d.render());
}

// ---------------------------------------------------------------------------------------------
// Time.

#[test]
fn times_outside_chronos_range_are_errors_and_its_ends_plan() {
    // Beyond chrono's years (±262,143): a JSON error with the position.
    for stamp in [
        "+300000-01-01T00:00:00Z",
        "-300000-01-01T00:00:00Z",
        "2025-13-01T00:00:00Z",
    ] {
        let err = tickets_from_json(&format!(
            "[\n{}]",
            TICKET_JSON.replace("2025-01-06T09:00:00Z", stamp)
        ))
        .expect_err(stamp);
        assert!(
            matches!(err.kind(), ErrorKind::Json { line: 2, .. }),
            "{stamp}: {err}"
        );
    }
    // chrono's very ends are valid times: planning at them, with shifts, SLAs and appointments
    // there, finishes and accounts for every ticket.
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    for now in [min, max, now()] {
        let mut engineers = Vec::new();
        for (i, (start, end)) in [(min, max), (min, min), (max, max), (now, max)]
            .into_iter()
            .enumerate()
        {
            let mut e = engineer(&format!("e{i}"), 42.36, -71.06);
            e.shift = Some(Shift { start, end });
            e.last_assigned_at = Some(if i % 2 == 0 { min } else { max });
            e.available_min = Some(600);
            engineers.push(e);
        }
        let fleet = Fleet::new(engineers).unwrap();
        let tickets: Vec<Ticket> = [(min, max), (max, max), (min, min), (now, now)]
            .into_iter()
            .enumerate()
            .map(|(i, (a, b))| {
                let mut t = ticket(&format!("T-{i}"), 42.36, -71.06);
                t.created_at = a;
                t.sla_due = Some(b);
                t.appointment = Some(dispatchkit::TimeWindow { start: a, end: b });
                t
            })
            .collect();
        for name in ["default", "sla_escalation", "round_robin"] {
            let path = format!("examples/policies/{name}.policy");
            let policy = Policy::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
            for config in [Config::default(), Config::default().shift_hours(true)] {
                let d = Dispatcher::with_policy(config, policy.clone());
                let plan = d.plan(&fleet, &tickets, now).expect("plan");
                assert_each_ticket_once(&plan, &tickets);
                let _ = d.candidates(&fleet, &tickets[0], now).expect("ranking");
            }
        }
    }
    // A time far from `now` in a policy's embedded test.
    let d = Policy::parse(
        "at.policy",
        "policy \"t\" version 1\nrequire r: travel <= 5km\ntest \"far\" {\n  at \"+300000-01-01T00:00:00Z\"\n}\n",
    )
    .expect_err("bad time");
    assert_eq!(d.errors().next().unwrap().line, 4, "{}", d.render());
    let _ = Duration::zero();
}

// ---------------------------------------------------------------------------------------------
// Regressions found by the property tests and fuzz targets.

/// A policy without a reach rule reports an infinite reach for a ticket no engineer can reach;
/// JSON has no infinity, so the plan document wrote `null` and then could not read itself back.
#[test]
fn regression_unbounded_reach_round_trips_through_the_plan_document() {
    let policy = Policy::parse(
        "anywhere.policy",
        "policy \"anywhere\" version 1\npenalize distance 1 per km: travel\n",
    )
    .unwrap();
    let fleet = Fleet::new(Vec::new()).unwrap();
    let tickets = vec![ticket("T-00", 52.0, 4.0)];
    let plan = Dispatcher::with_policy(Config::default(), policy)
        .plan(&fleet, &tickets, now())
        .unwrap();
    match plan.unassigned()[0].reason {
        Reason::NoEngineerInReach {
            max_travel_km,
            nearest_km: None,
        } => assert_eq!(max_travel_km, f64::INFINITY),
        ref other => panic!("{other:?}"),
    }
    let json = plan.to_json();
    assert!(json.contains("\"max_travel_km\": null"), "{json}");
    let again = Plan::from_json(&json).expect("reads back");
    assert_eq!(again.unassigned(), plan.unassigned());
    assert_eq!(again.to_json(), json);
}

// ---------------------------------------------------------------------------------------------
// Limits (the README's table): each one exceeded is a clear, typed error. The policy limits (size,
// nesting, expression nodes, rule count) are tested in `tests/rules.rs`.

#[test]
fn run_size_and_solver_time_limits_are_clear_errors() {
    let fleet = Fleet::new(
        (0..4)
            .map(|i| engineer(&format!("e{i}"), 42.0, -71.0))
            .collect(),
    )
    .unwrap();
    let tickets: Vec<Ticket> = (0..5)
        .map(|i| ticket(&format!("T-{i}"), 42.0, -71.0))
        .collect();
    // Tickets per run: plan and candidate set; at the limit it plans.
    let d = Dispatcher::new(Config::default().max_tickets(4));
    let err = d.plan(&fleet, &tickets, now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "5 tickets in one run, above the limit 4 (configuration `max_tickets`)"
    );
    assert!(matches!(
        d.candidate_set(&fleet, &tickets, now())
            .unwrap_err()
            .into_kind(),
        ErrorKind::TooMany {
            entity: Entity::Ticket,
            count: 5,
            max: 4
        }
    ));
    assert_each_ticket_once(
        &d.plan(&fleet, &tickets[..4], now()).unwrap(),
        &tickets[..4],
    );
    // Engineers per run: plan and ranking.
    let d = Dispatcher::new(Config::default().max_engineers(3));
    let err = d.candidates(&fleet, &tickets[0], now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "4 engineers in one run, above the limit 3 (configuration `max_engineers`)"
    );
    // The defaults.
    let c = Config::default();
    assert_eq!((c.max_tickets, c.max_engineers), (1_000_000, 1_000_000));
    // The solver time limit: finite, 0 to 10⁶ seconds.
    for bad in [-1.0, 1e7, f64::INFINITY, f64::NAN] {
        let err = Dispatcher::new(Config::default().mip_time_limit_s(bad))
            .plan(&fleet, &tickets, now())
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidNumber { id, .. } if id == "mip_time_limit_s"),
            "{err}"
        );
    }
    // A time limit that runs out is not an error: the plan reports its bound and loses nothing.
    let mut crew = fleet.engineers().to_vec();
    for e in &mut crew {
        e.available_min = Some(90);
    }
    let fleet = Fleet::new(crew).unwrap();
    let plan = Dispatcher::new(Config::default().mip_time_limit_s(0.0))
        .plan(&fleet, &tickets, now())
        .unwrap();
    assert_each_ticket_once(&plan, &tickets);
    assert!(
        plan.stats()
            .bound
            .is_some_and(|b| b <= plan.stats().objective)
    );
}

/// Several tickets missing a declared attribute: a candidate set and a plan report the first of
/// them in the input, whatever order the screening takes them in (tickets are screened in a
/// spatial order, in which the last ticket here comes first) and however many threads run it.
#[test]
fn the_first_bad_ticket_in_the_input_is_the_one_reported() {
    let policy = Policy::parse(
        "floor.policy",
        "policy \"floor\" version 1\nfield ticket.floor: int in 0..100\nrequire lift: ticket.floor <= 3\n",
    )
    .expect("valid policy");
    let fleet = Fleet::new(vec![engineer("e0", 42.0, -71.0)]).unwrap();
    let with_floor = |mut t: Ticket| {
        t.attributes.insert("floor".into(), AttrValue::Int(2));
        t
    };
    // North-east to south-west: the spatial order is the reverse of the input's.
    let tickets = vec![
        with_floor(ticket("T-0", 42.3, -70.7)),
        ticket("T-1", 42.2, -70.8),
        with_floor(ticket("T-2", 42.1, -70.9)),
        ticket("T-3", 42.0, -71.0),
    ];
    let d = Dispatcher::with_policy(Config::default(), policy);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for err in [
            pool.install(|| d.candidate_set(&fleet, &tickets, now()).map(|_| ()))
                .unwrap_err(),
            pool.install(|| d.plan(&fleet, &tickets, now()).map(|_| ()))
                .unwrap_err(),
        ] {
            assert!(
                matches!(err.kind(), ErrorKind::Attribute { id, field, .. } if id == "T-1" && field == "floor"),
                "{threads} threads: {err}"
            );
        }
    }
    // With the two good tickets only, both run.
    let good = [tickets[0].clone(), tickets[2].clone()];
    assert_eq!(d.candidate_set(&fleet, &good, now()).unwrap().len(), 2);
}
