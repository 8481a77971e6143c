//! The routing-rule language: example policies, diagnostics (snapshots), limits, round trips,
//! explanations, and the compiled fast path against the reference interpreter.

mod common;

use std::path::Path;

use chrono::{DateTime, Utc};
use common::policy_gen::{self, Gen};
use dispatchkit::rules::{
    Limits, Options, Policy, PolicyAst, Region, ScreenScratch, parse_ast, print,
};
use dispatchkit::{Engineer, ErrorKind, LatLon, Ticket, geo::distance_km};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn now() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("time")
}

fn policies() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir("examples/policies")
        .expect("examples/policies")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_example_policy_is_clean_and_passes_its_tests() {
    let all = policies();
    assert!(
        all.len() >= 12,
        "expected the seed policies, found {}",
        all.len()
    );
    for (path, text) in all {
        let p = Policy::parse(&path, &text).unwrap_or_else(|d| panic!("{path}:\n{d}"));
        assert!(p.tests_passed() >= 1, "{path} has no passing test");
        assert!(p.warnings().items.is_empty(), "{path}:\n{}", p.warnings());
    }
}

#[test]
fn the_default_policy_is_the_shipped_file() {
    let p = Policy::builtin();
    assert_eq!(p.name(), "default");
    assert_eq!(p.reach_km(), Some(50.0));
    assert_eq!(p.require_names(), ["reach", "skill", "on_shift"]);
    assert_eq!(p.limits().len(), 1);
}

/// Each snapshot case: a bad policy and the exact rendering of its diagnostics. Run with
/// `UPDATE_SNAPSHOTS=1` to rewrite the `.txt` files after an intended change.
#[test]
fn diagnostics_match_their_snapshots() {
    let dir = Path::new("tests/snapshots");
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .expect("snapshots")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "snapshot cases missing");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(&case).expect("read");
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let rendered = match Policy::parse(&name, &text) {
            Ok(p) => p.warnings().render(),
            Err(d) => d.render(),
        };
        // Every case states what it must report in its first line: `# expect: <text>`.
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("first line `# expect: ...`");
        for part in expect.split(" && ") {
            assert!(
                rendered.contains(part),
                "{name}: missing {part:?} in\n{rendered}"
            );
        }
        let snap = case.with_extension("txt");
        if update {
            std::fs::write(&snap, &rendered).expect("write");
            continue;
        }
        let want = std::fs::read_to_string(&snap).unwrap_or_default();
        if want != rendered {
            failures.push(format!("{name}:\n--- expected\n{want}--- got\n{rendered}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for (open, close) in [("(", ")"), ("-", ""), ("!", ""), ("[", "]")] {
        let depth = 10_000;
        let expr = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let text = format!("policy \"deep\" version 1\nrequire r: {expr} == 1\n");
        let d = Policy::parse("deep.policy", &text).expect_err("too deep");
        let first = &d.items[0];
        assert_eq!(first.line, 2, "{}", d.render());
        assert!(
            first.message.contains("nested deeper than 64") || first.message.contains("expected"),
            "{}",
            d.render()
        );
    }
}

#[test]
fn size_limits_are_errors_with_positions() {
    // Source size.
    let big = format!("policy \"big\" version 1\n#{}\n", "x".repeat(2 << 20));
    let d = Policy::parse("big.policy", &big).expect_err("too big");
    assert!(
        d.items[0].message.contains("bytes; the limit is"),
        "{}",
        d.render()
    );
    // Rule count.
    let mut many = String::from("policy \"many\" version 1\n");
    for i in 0..20 {
        many.push_str(&format!("require r{i}: travel <= {}km\n", i + 1));
    }
    let options = Options {
        limits: Limits {
            max_rules: 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    let d = Policy::parse_with("many.policy", &many, &options).expect_err("too many");
    assert!(
        d.items
            .iter()
            .any(|x| x.message.contains("more than 10 rules") && x.line == 12),
        "{}",
        d.render()
    );
    // Expression size.
    let wide = format!(
        "policy \"wide\" version 1\nrequire r: {} >= 0\n",
        vec!["engineer.open_tickets"; 3000].join(" + ")
    );
    let d = Policy::parse("wide.policy", &wide).expect_err("too wide");
    assert!(
        d.items[0].message.contains("expression nodes"),
        "{}",
        d.render()
    );
}

#[test]
fn explain_gives_every_verdict_and_a_counterfactual() {
    let p = Policy::parse(
        "x.policy",
        "policy \"x\" version 4\nrequire reach: travel <= 40km\nrequire skill: engineer.skill(ticket.category) >= 3\npenalize distance 1 per km: travel\n",
    )
    .expect("valid");
    let t = Ticket::new("T-17", LatLon::new(52.0, 4.0), "network", now());
    let far =
        Engineer::new("far", LatLon::new(52.0 + 46.0 / 111.2, 4.0), 3).with_skill("network", 4);
    let ex = p.explain(&t, &far, now()).expect("explain");
    assert_eq!(ex.rejected_by.as_deref(), Some("reach"));
    assert_eq!((ex.policy.as_str(), ex.version), ("x", 4));
    let cf = ex.rules[0]
        .counterfactual
        .as_deref()
        .expect("counterfactual");
    assert!(
        cf.starts_with("`travel` is 45.9") && cf.ends_with("needs it <= 40 km"),
        "{cf}"
    );
    assert_eq!(ex.rules.len(), 3);
    assert!((ex.cost - ex.travel_km).abs() < 1e-9);
    let weak = Engineer::new("weak", LatLon::new(52.0, 4.0), 3).with_skill("network", 2);
    let ex = p.explain(&t, &weak, now()).expect("explain");
    assert_eq!(ex.rejected_by.as_deref(), Some("skill"));
    assert_eq!(
        ex.rules[1].counterfactual.as_deref(),
        Some("`engineer.skill(ticket.category)` is 2; `skill` needs it >= 3")
    );
}

#[test]
fn declared_attributes_are_typed_at_run_time() {
    let p = Policy::parse(
        "a.policy",
        "policy \"a\" version 1\nfield ticket.floor: int in 0..100\nfield engineer.van: bool\nrequire lift: ticket.floor <= 3 || engineer.van\n",
    )
    .expect("valid");
    let mut t = Ticket::new("T-1", LatLon::new(52.0, 4.0), "x", now());
    let e = Engineer::new("E-1", LatLon::new(52.0, 4.0), 3);
    let err = p.explain(&t, &e, now()).expect_err("missing attribute");
    assert!(
        matches!(err.kind(), ErrorKind::Attribute { field, id, .. } if field == "floor" && id == "T-1"),
        "{err}"
    );
    t.attributes
        .insert("floor".into(), dispatchkit::AttrValue::Int(400));
    let err = p.explain(&t, &e, now()).expect_err("out of range");
    assert!(
        err.to_string().contains("outside the declared range"),
        "{err}"
    );
    t.attributes
        .insert("floor".into(), dispatchkit::AttrValue::Str("high".into()));
    assert!(p.explain(&t, &e, now()).is_err());
}

#[test]
fn host_regions_work_like_declared_ones() {
    let options = Options {
        regions: vec![Region {
            name: "centre".into(),
            polygon: vec![
                LatLon::new(52.0, 4.0),
                LatLon::new(52.0, 4.2),
                LatLon::new(52.2, 4.2),
                LatLon::new(52.2, 4.0),
            ],
        }],
        ..Options::default()
    };
    let p = Policy::parse_with(
        "r.policy",
        "policy \"r\" version 1\nrequire inside: ticket.in_region(\"centre\") == engineer.in_region(\"centre\")\n",
        &options,
    )
    .expect("valid");
    let t = Ticket::new("T", LatLon::new(52.1, 4.1), "x", now());
    let inside = Engineer::new("in", LatLon::new(52.15, 4.05), 1);
    let outside = Engineer::new("out", LatLon::new(51.5, 4.05), 1);
    assert!(p.explain(&t, &inside, now()).expect("ok").eligible);
    assert!(!p.explain(&t, &outside, now()).expect("ok").eligible);
}

#[test]
fn the_syntax_tree_round_trips_through_json_and_text() {
    for (path, text) in policies() {
        let ast = parse_ast(&path, &text, &Limits::default()).expect("parse");
        let json = serde_json::to_string(&ast).expect("json");
        let back: PolicyAst = serde_json::from_str(&json).expect("from json");
        assert_eq!(back, ast, "{path}");
        let printed = print(&ast);
        let again = parse_ast(&path, &printed, &Limits::default()).expect("reparse");
        assert_eq!(again, ast, "{path}:\n{printed}");
        assert_eq!(print(&again), printed, "printing is canonical");
        let p = Policy::from_ast(&back, &Options::default()).expect("from ast");
        assert_eq!(
            p.tests_passed(),
            Policy::parse(&path, &text).expect("ok").tests_passed()
        );
    }
}

/// Compares the fast path with the interpreter on every pair.
fn agree(source: &str, seed: u64) -> Result<usize, TestCaseError> {
    agree_with(source, seed, 1 + (seed % 40) as usize, 6, true)
}

/// Compares the fast path with the interpreter on every pair of `n_tickets` random tickets and
/// `n_engineers` engineers (with `explain` too when asked); then screens a random subset of the
/// engineers again in shuffled order (lanes that are not a contiguous run of the fleet) and
/// expects the same verdict and cost for each engineer.
fn agree_with(
    source: &str,
    seed: u64,
    n_engineers: usize,
    n_tickets: usize,
    explain: bool,
) -> Result<usize, TestCaseError> {
    let Ok(policy) = Policy::parse("random.policy", source) else {
        return Ok(0);
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let engineers = policy_gen::engineers(&mut rng, n_engineers, now());
    let eval = policy.evaluator(&engineers, now()).expect("evaluator");
    let mut scratch = ScreenScratch::default();
    let mut checked = 0;
    for i in 0..n_tickets {
        let t = policy_gen::ticket(&mut rng, i, now(), &engineers);
        let mut prepared = eval.ticket(&t).expect("ticket");
        let idx: Vec<u32> = (0..engineers.len() as u32).collect();
        let travel: Vec<f64> = engineers
            .iter()
            .map(|e| distance_km(t.location, e.location))
            .collect();
        let mut ff = vec![0u16; idx.len()];
        let mut cost = vec![0.0; idx.len()];
        eval.screen(
            &mut prepared,
            &idx,
            &travel,
            &mut ff,
            &mut cost,
            &mut scratch,
        );
        for (k, &e) in idx.iter().enumerate() {
            let (want_ff, want_cost) = eval.interpret(&prepared, e, travel[k]);
            let got_ff = (ff[k] != u16::MAX).then_some(ff[k] as usize);
            prop_assert_eq!(
                got_ff,
                want_ff,
                "first failing rule, pair {}/{}\n{}",
                t.id,
                engineers[e as usize].id,
                source
            );
            // Scores run only on the lanes every require let through.
            prop_assert!(
                want_ff.is_some()
                    || cost[k].to_bits() == want_cost.to_bits()
                    || cost[k] == want_cost,
                "cost {} vs {} for {}/{}\n{}",
                cost[k],
                want_cost,
                t.id,
                engineers[e as usize].id,
                source
            );
            if explain {
                let ex = policy
                    .explain(&t, &engineers[e as usize], now())
                    .expect("explain");
                prop_assert_eq!(ex.rejected_by.is_none(), want_ff.is_none());
            }
            checked += 1;
        }
        let mut perm: Vec<u32> = idx
            .iter()
            .copied()
            .filter(|_| rng.random_range(0..4) > 0)
            .collect();
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.random_range(0..=i));
        }
        let perm_travel: Vec<f64> = perm.iter().map(|&e| travel[e as usize]).collect();
        let mut perm_ff = vec![0u16; perm.len()];
        let mut perm_cost = vec![0.0; perm.len()];
        eval.screen(
            &mut prepared,
            &perm,
            &perm_travel,
            &mut perm_ff,
            &mut perm_cost,
            &mut scratch,
        );
        for (k, &e) in perm.iter().enumerate() {
            let e = e as usize;
            prop_assert_eq!(
                perm_ff[k],
                ff[e],
                "lane order changed a verdict\n{}",
                source
            );
            prop_assert!(
                ff[e] != u16::MAX || perm_cost[k].to_bits() == cost[e].to_bits(),
                "lane order changed a cost: {} vs {}\n{}",
                perm_cost[k],
                cost[e],
                source
            );
        }
    }
    Ok(checked)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn many_chunks_of_lanes_agree_with_the_interpreter(seed in any::<u64>()) {
        // More engineers than one chunk of lanes (1,024), so chunk boundaries, several
        // compactions and gathers after them are all exercised.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut g = Gen { rng: &mut rng };
        let source = g.policy(1 + (seed % 4) as usize, 1 + (seed % 5) as usize, 2);
        agree_with(&source, seed, 1025 + (seed % 700) as usize, 2, false)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fast_path_agrees_with_the_interpreter(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut g = Gen { rng: &mut rng };
        let source = g.policy(1 + (seed % 4) as usize, 1 + (seed % 5) as usize, 2);
        agree(&source, seed)?;
    }

    #[test]
    fn printing_then_parsing_gives_the_same_tree(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut g = Gen { rng: &mut rng };
        let source = g.policy(3, 3, 3);
        let ast = parse_ast("r", &source, &Limits::default()).map_err(|d| TestCaseError::fail(d.render()))?;
        let printed = print(&ast);
        let again = parse_ast("r", &printed, &Limits::default()).map_err(|d| TestCaseError::fail(format!("{printed}\n{}", d.render())))?;
        prop_assert_eq!(&again, &ast);
        prop_assert_eq!(print(&again), printed);
    }
}

#[test]
fn most_random_policies_are_accepted_and_checked_pairs_are_many() {
    // Guards the property test above against vacuity: most generated policies must pass the
    // checker, so the comparison really runs.
    let mut accepted = 0;
    let mut pairs = 0;
    for seed in 0..60u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut g = Gen { rng: &mut rng };
        let source = g.policy(1 + (seed % 4) as usize, 1 + (seed % 5) as usize, 2);
        if Policy::parse("random.policy", &source).is_ok() {
            accepted += 1;
        }
        pairs += agree(&source, seed).expect("agree");
    }
    assert!(
        accepted >= 40,
        "only {accepted} of 60 random policies were accepted"
    );
    assert!(pairs >= 2_000, "only {pairs} pairs compared");
}

mod dispatch_with_policies {
    use super::*;
    use dispatchkit::{Config, Constraint, Customer, Dispatcher, Fleet, Priority, Reason, Tier};

    fn policy(name: &str) -> Policy {
        let path = format!("examples/policies/{name}.policy");
        Policy::parse(&path, &std::fs::read_to_string(&path).expect("read")).expect("valid")
    }

    #[test]
    fn triage_sets_the_priority_the_solver_sees_and_the_plan_records_the_policy() {
        let fleet = Fleet::new(vec![
            Engineer::new("senior-1", LatLon::new(52.0, 4.0), 1),
            Engineer::new("regular-1", LatLon::new(52.0, 4.0), 5),
        ])
        .expect("fleet");
        let mut engineers = fleet.engineers().to_vec();
        engineers[0].team = Some("regular".into());
        engineers[1].team = Some("senior".into());
        let fleet = Fleet::new(engineers).expect("fleet");
        let mut vip = Ticket::new("T-vip", LatLon::new(52.0, 4.0), "x", now());
        vip.customer = Some(Customer {
            id: "acme".into(),
            tier: Tier::Vip,
            last_engineer: None,
            excluded_engineers: Vec::new(),
        });
        let plain = Ticket::new("T-plain", LatLon::new(52.0, 4.0), "x", now());
        let d = Dispatcher::with_policy(Config::default(), policy("vip"));
        let plan = d.plan(&fleet, &[plain, vip], now()).expect("plan");
        let a = plan.assignment_of(&"T-vip".into()).expect("vip assigned");
        assert_eq!(a.engineer.as_str(), "senior-1");
        assert_eq!(a.priority, Priority::P1);
        assert_eq!(
            (plan.stats().policy.as_str(), plan.stats().policy_version),
            ("vip", 2)
        );
        // The default dispatcher records the default policy.
        let plan = Dispatcher::new(Config::default())
            .plan(&fleet, &[], now())
            .expect("plan");
        assert_eq!(plan.stats().policy, "default");
    }

    #[test]
    fn the_rule_that_removed_the_last_candidate_is_the_reason() {
        let fleet =
            Fleet::new(vec![Engineer::new("bob", LatLon::new(52.0, 4.0), 3)]).expect("fleet");
        let mut t = Ticket::new("T-1", LatLon::new(52.0, 4.0), "x", now());
        t.customer = Some(Customer {
            id: "c".into(),
            tier: Tier::Standard,
            last_engineer: None,
            excluded_engineers: vec!["bob".into()],
        });
        let plan = Dispatcher::with_policy(Config::default(), policy("excluded"))
            .plan(&fleet, &[t.clone()], now())
            .expect("plan");
        match &plan.unassigned()[0].reason {
            Reason::NoEligibleEngineer {
                constraint,
                rule,
                screening,
            } => {
                assert_eq!(
                    (*constraint, rule.as_str()),
                    (Constraint::Rule, "not_excluded")
                );
                assert_eq!(screening.rules[0].rejected, 1);
            }
            other => panic!("{other:?}"),
        }
        let ranking = Dispatcher::with_policy(Config::default(), policy("excluded"))
            .candidates(&fleet, &t, now())
            .expect("ranking");
        assert!(
            matches!(
                &ranking.rejected[0].violation,
                dispatchkit::Violation::Rule { rule, counterfactual: Some(c) } if rule == "not_excluded" && c.contains("\"bob\"")
            ),
            "{:?}",
            ranking.rejected
        );
    }

    #[test]
    fn per_engineer_limits_cap_the_network_and_team_limits_go_to_the_mip() {
        let fleet = Fleet::new(vec![{
            let mut e = Engineer::new("e", LatLon::new(52.0, 4.0), 100);
            e.open_tickets = 4;
            e
        }])
        .expect("fleet");
        let tickets: Vec<Ticket> = (0..5)
            .map(|i| Ticket::new(format!("T-{i}"), LatLon::new(52.0, 4.0), "x", now()))
            .collect();
        // max_open: open_tickets + assigned <= 6 leaves room for 2.
        let plan = Dispatcher::with_policy(Config::default(), policy("max_open"))
            .plan(&fleet, &tickets, now())
            .expect("plan");
        assert_eq!(plan.assignments().len(), 2);
        assert_eq!(plan.unassigned().len(), 3);
        // A team limit is a side constraint: the general (MIP) model enforces it.
        let team = Policy::parse(
            "team.policy",
            "policy \"team\" version 1\nrequire reach: travel <= 50km\npenalize distance 1 per km: travel\nlimit senior_cap team \"senior\": assigned <= 1\n",
        )
        .expect("valid");
        let seniors = Fleet::new(
            (0..2)
                .map(|i| {
                    let mut e = Engineer::new(format!("s{i}"), LatLon::new(52.0, 4.0), 5);
                    e.team = Some("senior".into());
                    e
                })
                .collect(),
        )
        .expect("fleet");
        let plan = Dispatcher::with_policy(Config::default(), team)
            .plan(&seniors, &tickets[..3], now())
            .expect("plan");
        assert_eq!(plan.assignments().len(), 1, "{:?}", plan.unassigned());
        assert_eq!(plan.stats().solver, dispatchkit::SolverKind::Mip);
    }

    #[test]
    fn a_config_writes_its_numbers_into_the_default_policy() {
        let default = Config::default().default_policy();
        assert_eq!(default.print(), Policy::builtin().print());
        let custom = Config::default().max_travel_km(12.5).default_policy();
        assert_eq!(custom.reach_km(), Some(12.5));
        assert_eq!(custom.require_names(), default.require_names());
    }
}

/// A run builds only the ticket fields some rule or triage reads, but a policy's embedded tests
/// see every field: an expectation on a field no rule reads (the ticket's id) still passes (a test
/// ticket's id is its name), and a wrong one still fails.
#[test]
fn embedded_tests_see_the_fields_no_rule_reads() {
    let policy = |want: &str| {
        format!(
            "policy \"t\" version 1\nrequire reach: travel <= 30km\n\
             test \"fields\" {{\n    ticket t {{ category: \"network\" }}\n    expect t.id == \"{want}\"\n}}\n"
        )
    };
    let p = Policy::parse("t.policy", &policy("t")).expect("the test passes");
    assert_eq!(p.tests_passed(), 1);
    let err = Policy::parse("t.policy", &policy("u")).expect_err("the test fails");
    assert!(err.to_string().contains("`t.id` is \"t\""), "{err}");
}

/// Fields only a derive reads (the ticket's id, its customer's tier) are built for a run: triage
/// and the pair program see the derived values.
#[test]
fn fields_only_derives_read_are_built() {
    let p = Policy::parse(
        "d.policy",
        "policy \"d\" version 1\n\
         derive vip when ticket.customer.tier == vip { ticket.priority = P1 }\n\
         derive seven when ticket.id == \"T-7\" { ticket.min_level = 4 }\n\
         require skill: engineer.skill(ticket.category) >= ticket.min_level\n",
    )
    .expect("valid policy");
    let mut t = Ticket::new("T-7", LatLon::new(52.0, 4.0), "network", now()).with_min_level(1);
    t.customer = Some(dispatchkit::Customer {
        id: "acme".into(),
        tier: dispatchkit::Tier::Vip,
        last_engineer: None,
        excluded_engineers: Vec::new(),
    });
    let triage = p.triage(&t, now()).expect("triage");
    assert_eq!(
        (triage.priority, triage.min_level),
        (dispatchkit::Priority::P1, 4)
    );
    let level3 = Engineer::new("E-1", LatLon::new(52.0, 4.0), 2).with_skill("network", 3);
    let ex = p.explain(&t, &level3, now()).expect("explain");
    assert_eq!(ex.rejected_by.as_deref(), Some("skill"));
    let other = Ticket::new("T-8", LatLon::new(52.0, 4.0), "network", now()).with_min_level(1);
    assert_eq!(p.triage(&other, now()).expect("triage").min_level, 1);
    assert!(p.explain(&other, &level3, now()).expect("explain").eligible);
}
