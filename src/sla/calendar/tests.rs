use super::*;
use proptest::prelude::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

/// New York desk, 09:00-17:00 weekdays.
fn new_york() -> BusinessCalendar {
    BusinessCalendar::weekdays(9, 17, -300, DstRule::Us)
}

/// Paris desk, 08:30-18:00 weekdays and 09:00-12:00 on Saturday.
fn paris() -> BusinessCalendar {
    let mut c = BusinessCalendar::weekdays(8, 18, 60, DstRule::Eu);
    for h in c.hours.iter_mut().take(5) {
        *h = Some(OpenHours::new(8, 30, 18, 0));
    }
    c.hours[5] = Some(OpenHours::new(9, 0, 12, 0));
    c
}

#[test]
fn dst_transitions_follow_the_rules() {
    let ny = new_york();
    // 2025: DST from Sunday 9 March 07:00 UTC to Sunday 2 November 06:00 UTC.
    assert_eq!(ny.offset_min_at(utc(2025, 3, 9, 6, 59)), -300);
    assert_eq!(ny.offset_min_at(utc(2025, 3, 9, 7, 0)), -240);
    assert_eq!(ny.offset_min_at(utc(2025, 11, 2, 5, 59)), -240);
    assert_eq!(ny.offset_min_at(utc(2025, 11, 2, 6, 0)), -300);
    let p = paris();
    // 2025: CEST from Sunday 30 March 01:00 UTC to Sunday 26 October 01:00 UTC.
    assert_eq!(p.offset_min_at(utc(2025, 3, 30, 0, 59)), 60);
    assert_eq!(p.offset_min_at(utc(2025, 3, 30, 1, 0)), 120);
    assert_eq!(p.offset_min_at(utc(2025, 10, 26, 0, 59)), 120);
    assert_eq!(p.offset_min_at(utc(2025, 10, 26, 1, 0)), 60);
    // Skipped local time 02:30 on 9 March reads as 03:30 EDT; repeated 01:30 on 2 November reads
    // as the first (EDT) one.
    let local = |d: NaiveDate, h, m| d.and_hms_opt(h, m, 0).unwrap();
    assert_eq!(
        ny.to_utc(local(date(2025, 3, 9), 2, 30)),
        utc(2025, 3, 9, 7, 30)
    );
    assert_eq!(
        ny.to_utc(local(date(2025, 11, 2), 1, 30)),
        utc(2025, 11, 2, 5, 30)
    );
    // Round trips away from the transitions.
    for t in [utc(2025, 1, 15, 12, 0), utc(2025, 7, 1, 3, 7)] {
        assert_eq!(ny.to_utc(ny.to_local(t)), t);
        assert_eq!(p.to_utc(p.to_local(t)), t);
    }
}

#[test]
fn four_business_hours_across_a_weekend_and_the_spring_change() {
    let ny = new_york();
    // Friday 7 March 15:00 EST + 4 h: 2 h Friday, 2 h Monday 10 March (now EDT): 11:00 EDT.
    let due = ny
        .add_business_minutes(utc(2025, 3, 7, 20, 0), 240)
        .unwrap();
    assert_eq!(due, utc(2025, 3, 10, 15, 0));
    // Saturday: the clock starts on Monday at 09:00 EDT (13:00 UTC).
    let due = ny.add_business_minutes(utc(2025, 3, 8, 15, 0), 60).unwrap();
    assert_eq!(due, utc(2025, 3, 10, 14, 0));
    // Autumn: Friday 31 October 16:00 EDT + 2 h = Monday 3 November 10:00 EST (15:00 UTC).
    let due = ny
        .add_business_minutes(utc(2025, 10, 31, 20, 0), 120)
        .unwrap();
    assert_eq!(due, utc(2025, 11, 3, 15, 0));
}

#[test]
fn holidays_and_saturday_hours() {
    // Monday 10 March is a holiday: Friday 16:00 + 2 h ends Tuesday 10:00 EDT.
    let ny = new_york().with_holiday(date(2025, 3, 10));
    let due = ny
        .add_business_minutes(utc(2025, 3, 7, 21, 0), 120)
        .unwrap();
    assert_eq!(due, utc(2025, 3, 11, 14, 0));
    assert_eq!(
        ny.business_minutes_between(utc(2025, 3, 7, 21, 0), due),
        120
    );
    // Paris, Friday 28 March 17:00 CET + 4 h: 1 h Friday, 3 h Saturday 29 March (09:00-12:00 CET),
    // so due at Saturday 12:00 CET = 11:00 UTC, the day before the change.
    let p = paris();
    let due = p
        .add_business_minutes(utc(2025, 3, 28, 16, 0), 240)
        .unwrap();
    assert_eq!(due, utc(2025, 3, 29, 11, 0));
    // One more minute: Monday 31 March 08:31 CEST = 06:31 UTC.
    let due = p
        .add_business_minutes(utc(2025, 3, 28, 16, 0), 241)
        .unwrap();
    assert_eq!(due, utc(2025, 3, 31, 6, 31));
}

#[test]
fn bad_calendars_are_errors() {
    let mut c = new_york();
    c.hours[2] = Some(OpenHours {
        open_min: 600,
        close_min: 500,
    });
    let err = c
        .add_business_minutes(utc(2025, 3, 7, 20, 0), 1)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "calendar `hours[2]`: must open before it closes, and close by 24:00"
    );
    let closed = BusinessCalendar {
        hours: [None; 7],
        ..new_york()
    };
    assert!(closed.validate().is_err());
    let json = serde_json::to_string(&paris()).unwrap();
    assert!(json.contains("\"08:30-18:00\""), "{json}");
    let back: BusinessCalendar = serde_json::from_str(&json).unwrap();
    assert_eq!(back, paris());
    let bad = json.replace("08:30-18:00", "18:00-08:30");
    assert!(serde_json::from_str::<BusinessCalendar>(&bad).is_err());
}

/// Oracle: walk minute by minute and count the minutes at which the desk is open (uses only
/// UTC → local conversion, not the interval arithmetic under test).
fn walk(cal: &BusinessCalendar, start: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    let mut t = start;
    let mut left = minutes;
    while left > 0 {
        if cal.is_open(t) {
            left -= 1;
        }
        t += Duration::minutes(1);
    }
    // The last counted minute ends at t; if the desk was closed right after, the due time is the
    // end of the last open minute, which is where t stands.
    t
}

proptest! {
    #![proptest_config(ProptestConfig {
            cases: 128,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5e9_0e11),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

    /// Against the minute walk, over spring and autumn changes, weekends and a holiday.
    #[test]
    fn add_matches_a_minute_by_minute_walk(
        day in 0i64..20,
        minute in 0i64..1440,
        minutes in 1u32..1500,
        us in any::<bool>(),
    ) {
        let (cal, base) = if us {
            (new_york().with_holiday(date(2025, 3, 12)), utc(2025, 3, 1, 0, 0))
        } else {
            (paris().with_holiday(date(2025, 10, 28)), utc(2025, 10, 17, 0, 0))
        };
        let start = base + Duration::days(day) + Duration::minutes(minute);
        let due = cal.add_business_minutes(start, minutes).unwrap();
        let walked = walk(&cal, start, minutes);
        // The walk stops at the end of the last open minute; ours returns the same instant.
        prop_assert_eq!(due, walked);
        prop_assert_eq!(cal.business_minutes_between(start, due), i64::from(minutes));
    }
}
