//! Structured fuzzing of the whole pipeline: the input bytes drive the building of up to 12 tickets
//! and 10 engineers around one city (skills, capacities, open tickets, hour budgets, shifts, teams,
//! customers, pins, priorities, appointments) and of a policy, either one of the example policies or
//! one assembled from rule pieces. The plan must keep every promise (see `check_plan`), whatever the
//! solver.
#![no_main]

mod shared;

use chrono::{DateTime, Duration, Utc};
use dispatchkit::rules::Policy;
use dispatchkit::{
    Config, Customer, Dispatcher, Engineer, Fleet, LatLon, Priority, Shift, Ticket, Tier,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const SKILLS: [&str; 3] = ["network", "hvac", "power"];
const TEAMS: [&str; 3] = ["red", "blue", "senior"];

fn near(u: &mut Unstructured<'_>) -> Result<LatLon> {
    // About 60 km × 60 km, so reaches of 1 to 60 km matter.
    let dlat = f64::from(u.int_in_range(0..=600u16)?) / 1000.0;
    let dlon = f64::from(u.int_in_range(0..=800u16)?) / 1000.0;
    Ok(LatLon::new(52.0 + dlat, 4.0 + dlon))
}

fn engineer(u: &mut Unstructured<'_>, i: usize, now: DateTime<Utc>) -> Result<Engineer> {
    let mut e = Engineer::new(format!("e{i}"), near(u)?, u.int_in_range(0..=4)?);
    e.open_tickets = u.int_in_range(0..=3)?;
    for s in SKILLS {
        if u.arbitrary()? {
            e.skills.insert(s.to_string(), u.int_in_range(0..=5)?);
        }
    }
    if u.arbitrary()? {
        e.team = Some(TEAMS[u.choose_index(TEAMS.len())?].to_string());
    }
    if u.ratio(1, 3)? {
        e.available_min = Some(u.int_in_range(0..=480)?);
    }
    if u.ratio(1, 4)? {
        let start = now + Duration::minutes(u.int_in_range(-240..=120)?);
        let end = start + Duration::minutes(u.int_in_range(0..=600)?);
        e.shift = Some(Shift { start, end });
    }
    if u.ratio(1, 4)? {
        e.last_assigned_at = Some(now - Duration::minutes(u.int_in_range(0..=3000)?));
    }
    if u.ratio(1, 5)? {
        e.territory = Some("west".into());
    }
    Ok(e)
}

fn ticket(
    u: &mut Unstructured<'_>,
    i: usize,
    engineers: usize,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let created = now - Duration::minutes(u.int_in_range(0..=600)?);
    let mut t = Ticket::new(
        format!("t{i}"),
        near(u)?,
        SKILLS[u.choose_index(SKILLS.len())?],
        created,
    );
    t.min_level = u.int_in_range(0..=5)?;
    t.priority = Priority::ALL[u.choose_index(4)?];
    t.duration_min = u.int_in_range(0..=300)?;
    let pick = |u: &mut Unstructured<'_>| -> Result<Option<usize>> {
        Ok(if engineers > 0 && u.ratio(1, 6)? {
            Some(u.choose_index(engineers)?)
        } else {
            None
        })
    };
    if u.arbitrary()? {
        let last = pick(u)?;
        let excluded = pick(u)?;
        t.customer = Some(Customer {
            id: format!("c{}", u.int_in_range(0..=3)?),
            tier: [Tier::Standard, Tier::Gold, Tier::Vip][u.choose_index(3)?],
            last_engineer: last.map(|e| format!("e{e}").into()),
            excluded_engineers: excluded
                .into_iter()
                .map(|e| format!("e{e}").into())
                .collect(),
        });
    }
    if u.ratio(1, 3)? {
        t.sla_due = Some(now + Duration::minutes(u.int_in_range(-60..=600)?));
    }
    if u.ratio(1, 10)? {
        t.pinned_engineer = pick(u)?.map(|e| format!("e{e}").into());
    }
    if u.ratio(1, 6)? {
        let start = now + Duration::minutes(u.int_in_range(0..=300)?);
        let end = start + Duration::minutes(u.int_in_range(0..=240)?);
        t = t.with_appointment(start, end);
    }
    Ok(t)
}

/// A policy assembled from rule pieces (each piece valid on its own, so most inputs give a policy).
fn assembled(u: &mut Unstructured<'_>) -> Result<String> {
    let mut text = String::from("policy \"pieces\" version 1\n");
    if u.arbitrary()? {
        text.push_str("derive vip when ticket.customer.tier == vip { ticket.priority = P1 }\n");
    }
    text.push_str(&format!(
        "require reach: travel <= {}km\n",
        u.int_in_range(1..=60)?
    ));
    match u.int_in_range(0..=2)? {
        0 => text.push_str("require skill: engineer.skill(ticket.category) >= ticket.min_level\n"),
        1 => text.push_str(&format!(
            "require skill: engineer.skill(ticket.category) >= {}\n",
            u.int_in_range(0..=5)?
        )),
        _ => {}
    }
    if u.arbitrary()? {
        text.push_str("require on_shift: engineer.on_shift(now())\n");
    }
    if u.arbitrary()? {
        text.push_str(
            "require not_excluded: !(engineer.id in ticket.customer.excluded_engineers)\n",
        );
    }
    if u.arbitrary()? {
        text.push_str(&format!(
            "require team: engineer.team ?? \"\" != \"{}\"\n",
            TEAMS[u.choose_index(TEAMS.len())?]
        ));
    }
    text.push_str(&format!(
        "penalize distance {} per km: travel\n",
        u.int_in_range(0..=5)?
    ));
    if u.arbitrary()? {
        text.push_str(&format!(
            "penalize busy {} per ticket: min(engineer.open_tickets, 100)\n",
            u.int_in_range(1..=9)?
        ));
    }
    if u.arbitrary()? {
        text.push_str(&format!(
            "prefer continuity {} when exists(ticket.customer.last_engineer): ticket.customer.last_engineer == engineer.id\n",
            u.int_in_range(1..=30)?
        ));
    }
    match u.int_in_range(0..=2)? {
        0 => {
            text.push_str("limit capacity: engineer.open_tickets + assigned <= engineer.capacity\n")
        }
        1 => text.push_str(&format!(
            "limit max_open: engineer.open_tickets + assigned <= {}\n",
            u.int_in_range(0..=6)?
        )),
        _ => {}
    }
    if u.ratio(1, 3)? {
        text.push_str(&format!(
            "limit day: assigned_hours <= {}h\n",
            u.int_in_range(1..=8)?
        ));
    }
    if u.ratio(1, 4)? {
        text.push_str(&format!(
            "limit team_cap team \"{}\": assigned <= {}\n",
            TEAMS[u.choose_index(TEAMS.len())?],
            u.int_in_range(0..=4)?
        ));
    }
    Ok(text)
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let now: DateTime<Utc> = DateTime::from_timestamp(1_772_445_600, 0).expect("time");
    let selector: u8 = u.arbitrary()?;
    let policy = if selector & 0x0f < 4 {
        let text = assembled(u)?;
        Policy::parse("pieces.policy", &text)
            .unwrap_or_else(|d| panic!("an assembled policy is rejected:\n{}\n{text}", d.render()))
    } else {
        shared::example_policy(usize::from(selector & 0x0f))
    };
    let m = u.int_in_range(0..=10)?;
    let engineers = (0..m)
        .map(|i| engineer(u, i, now))
        .collect::<Result<Vec<_>>>()?;
    let n = u.int_in_range(0..=12)?;
    let tickets = (0..n)
        .map(|i| ticket(u, i, m, now))
        .collect::<Result<Vec<_>>>()?;
    let fleet = Fleet::new(engineers).expect("generated engineers are valid");
    let mut config = Config::default()
        .solver(shared::solver(selector >> 4))
        .mip_time_limit_s(shared::MIP_SECONDS);
    if u.ratio(1, 4)? {
        config = config.load_balancing(Some(f64::from(u.int_in_range(1..=5u8)?)));
    }
    if u.ratio(1, 4)? {
        config = config.max_candidates(u.int_in_range(1..=4)?);
    }
    if u.ratio(1, 4)? {
        config = config.shift_hours(true);
    }
    let dispatcher = Dispatcher::with_policy(config, policy);
    let plan = dispatcher
        .plan(&fleet, &tickets, now)
        .unwrap_or_else(|e| panic!("generated input is valid, yet: {e}"));
    shared::check_plan(&dispatcher, &fleet, &tickets, now, &plan);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
