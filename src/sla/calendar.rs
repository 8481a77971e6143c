//! Business calendars: opening hours per weekday, holidays, and a time zone with its daylight-saving
//! rule, so that "4 business hours" means what a service desk means.
//!
//! # Time zones
//! A calendar's zone is a standard UTC offset plus one of a few daylight-saving rules
//! ([`DstRule`]), not the IANA database: the rules in force in the EU and in the US (since 2007) cover
//! most service desks, and they keep the crate small and the same in the browser. A zone whose rules
//! differ (southern hemisphere, historical dates) needs the host to convert. Local times that do not
//! exist (the hour skipped in spring) are read as if the clock had not been changed yet (02:30 becomes
//! 03:30 daylight time); local times that occur twice (the hour repeated in autumn) are read as the
//! first of the two.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// A daylight-saving rule: when clocks go forward one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DstRule {
    /// No daylight saving.
    #[default]
    None,
    /// European Union: from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00
    /// UTC.
    Eu,
    /// United States and Canada (since 2007): from the second Sunday of March 02:00 local standard
    /// time to the first Sunday of November 02:00 local daylight time.
    Us,
}

/// Opening hours of one day, in minutes after local midnight: `open_min..close_min`, with
/// `close_min` up to 1440 (midnight at the end of the day). In JSON: `"09:00-17:30"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpenHours {
    /// Opening time, minutes after midnight.
    pub open_min: u16,
    /// Closing time, minutes after midnight (exclusive; at most 1440).
    pub close_min: u16,
}

impl OpenHours {
    /// Hours from `HH:MM` pairs, e.g. `OpenHours::new(9, 0, 17, 0)`. Not checked here (see
    /// [`BusinessCalendar::validate`]).
    pub const fn new(open_h: u16, open_m: u16, close_h: u16, close_m: u16) -> OpenHours {
        OpenHours {
            open_min: open_h * 60 + open_m,
            close_min: close_h * 60 + close_m,
        }
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

impl TryFrom<String> for OpenHours {
    type Error = String;
    fn try_from(s: String) -> Result<OpenHours, String> {
        let parsed = s
            .split_once('-')
            .and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)));
        match parsed {
            Some((open_min, close_min)) if open_min < close_min => Ok(OpenHours {
                open_min,
                close_min,
            }),
            _ => Err(format!(
                "opening hours `{s}` are not `HH:MM-HH:MM` with the close after the open"
            )),
        }
    }
}

impl From<OpenHours> for String {
    fn from(h: OpenHours) -> String {
        h.to_string()
    }
}

impl fmt::Display for OpenHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (o, c) = (self.open_min, self.close_min);
        write!(f, "{:02}:{:02}-{:02}:{:02}", o / 60, o % 60, c / 60, c % 60)
    }
}

/// When a service desk works: opening hours per weekday, holidays, and the local time zone.
///
/// # Examples
/// ```
/// use chrono::{TimeZone, Utc};
/// use dispatchkit::sla::{BusinessCalendar, DstRule};
/// // New York, 09:00-17:00 Monday to Friday.
/// let cal = BusinessCalendar::weekdays(9, 17, -300, DstRule::Us);
/// // Friday 7 March 2025, 15:00 EST, plus 4 business hours: 2 on Friday, 2 on Monday, which is
/// // after the change to daylight time (EDT, UTC-4): Monday 11:00 EDT.
/// let start = Utc.with_ymd_and_hms(2025, 3, 7, 20, 0, 0).unwrap();
/// let due = cal.add_business_minutes(start, 240)?;
/// assert_eq!(due, Utc.with_ymd_and_hms(2025, 3, 10, 15, 0, 0).unwrap());
/// assert_eq!(cal.business_minutes_between(start, due), 240);
/// # Ok::<(), dispatchkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Standard (winter) offset from UTC in minutes, e.g. `-300` for New York, `60` for Paris.
    pub utc_offset_min: i32,
    /// Daylight-saving rule. Default none.
    #[serde(default)]
    pub dst: DstRule,
    /// Opening hours Monday (index 0) to Sunday (index 6); `null` means closed all day.
    pub hours: [Option<OpenHours>; 7],
    /// Local dates on which the desk is closed.
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Open every day, all day, in UTC: business minutes are plain minutes.
    pub fn always() -> BusinessCalendar {
        BusinessCalendar {
            utc_offset_min: 0,
            dst: DstRule::None,
            hours: [Some(OpenHours::new(0, 0, 24, 0)); 7],
            holidays: BTreeSet::new(),
        }
    }

    /// Open Monday to Friday from `open_h`:00 to `close_h`:00 local time, no holidays.
    pub fn weekdays(open_h: u16, close_h: u16, utc_offset_min: i32, dst: DstRule) -> Self {
        let day = Some(OpenHours::new(open_h, 0, close_h, 0));
        BusinessCalendar {
            utc_offset_min,
            dst,
            hours: [day, day, day, day, day, None, None],
            holidays: BTreeSet::new(),
        }
    }

    /// Adds a holiday (chainable).
    pub fn with_holiday(mut self, date: NaiveDate) -> BusinessCalendar {
        self.holidays.insert(date);
        self
    }

    /// Checks the offset (within ±18 h), the hours (open before close, close at most 24:00) and
    /// that the desk opens on at least one weekday.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCalendar`] naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let bad =
            |field: String, problem| Err(ErrorKind::InvalidCalendar { field, problem }.into());
        if self.utc_offset_min.abs() > 18 * 60 {
            return bad("utc_offset_min".into(), "is beyond ±18 hours");
        }
        for (day, h) in self.hours.iter().enumerate() {
            if let Some(h) = h {
                if h.open_min >= h.close_min || h.close_min > 1440 {
                    return bad(
                        format!("hours[{day}]"),
                        "must open before it closes, and close by 24:00",
                    );
                }
            }
        }
        if self.hours.iter().all(Option::is_none) {
            return bad("hours".into(), "the desk never opens");
        }
        Ok(())
    }

    /// Offset from UTC in minutes at instant `t` (standard, or standard + 60 under daylight saving).
    pub fn offset_min_at(&self, t: DateTime<Utc>) -> i32 {
        let year = t.year();
        let dst = match self.dst {
            DstRule::None => false,
            DstRule::Eu => {
                let start = utc_at(last_sunday(year, 3), 60);
                let end = utc_at(last_sunday(year, 10), 60);
                start <= t && t < end
            }
            DstRule::Us => {
                let start = utc_at(nth_sunday(year, 3, 2), 120 - self.utc_offset_min);
                let end = utc_at(nth_sunday(year, 11, 1), 120 - self.utc_offset_min - 60);
                start <= t && t < end
            }
        };
        self.utc_offset_min + if dst { 60 } else { 0 }
    }

    /// The local wall-clock time at instant `t`.
    pub fn to_local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.naive_utc() + Duration::minutes(i64::from(self.offset_min_at(t)))
    }

    /// The instant of a local wall-clock time. A skipped local time is read with the standard offset
    /// (so it lands after the change); a repeated one is read as the first occurrence.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let standard =
            Utc.from_utc_datetime(&(local - Duration::minutes(self.utc_offset_min.into())));
        if self.dst == DstRule::None {
            return standard;
        }
        let daylight = standard - Duration::minutes(60);
        if self.offset_min_at(daylight) == self.utc_offset_min + 60 {
            daylight
        } else {
            standard
        }
    }

    /// Whether the desk is open at instant `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        let local = self.to_local(t);
        let date = local.date();
        if self.holidays.contains(&date) {
            return false;
        }
        let minute = (local.time() - NaiveTime::MIN).num_minutes();
        self.hours[date.weekday().num_days_from_monday() as usize]
            .is_some_and(|h| i64::from(h.open_min) <= minute && minute < i64::from(h.close_min))
    }

    /// The open interval of a local date as instants, if the desk opens that day.
    fn interval(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&date) {
            return None;
        }
        let h = self.hours[date.weekday().num_days_from_monday() as usize]?;
        let at = |m: u16| self.to_utc(date.and_time(NaiveTime::MIN) + Duration::minutes(m.into()));
        Some((at(h.open_min), at(h.close_min)))
    }

    /// The instant `minutes` business minutes after `start`. Time outside opening hours, on closed
    /// weekdays and on holidays does not count. `O(days spanned)`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCalendar`] when the calendar is invalid (see
    /// [`BusinessCalendar::validate`]).
    pub fn add_business_minutes(
        &self,
        start: DateTime<Utc>,
        minutes: u32,
    ) -> Result<DateTime<Utc>, Error> {
        self.validate()?;
        let mut left = i64::from(minutes) * 60;
        if left == 0 {
            return Ok(start);
        }
        // Start one day early: a local day's hours may begin before `start`'s local date in UTC.
        let mut date = self.to_local(start).date() - Duration::days(1);
        loop {
            if let Some((open, close)) = self.interval(date) {
                let from = open.max(start);
                if from < close {
                    let avail = (close - from).num_seconds();
                    if left <= avail {
                        return Ok(from + Duration::seconds(left));
                    }
                    left -= avail;
                }
            }
            // The loop ends: at least one weekday is open and holidays are finitely many.
            date = date.succ_opt().expect("dates stay in range");
        }
    }

    /// Business minutes (whole, rounded down) from `from` to `to`; 0 when `to` is not after `from`.
    /// `O(days spanned)`.
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let mut seconds = 0i64;
        let mut date = self.to_local(from).date() - Duration::days(1);
        let last = self.to_local(to).date() + Duration::days(1);
        while date <= last {
            if let Some((open, close)) = self.interval(date) {
                let (a, b) = (open.max(from), close.min(to));
                if a < b {
                    seconds += (b - a).num_seconds();
                }
            }
            date = date.succ_opt().expect("dates stay in range");
        }
        seconds / 60
    }
}

/// 00:00 UTC of `date` plus `minutes`.
fn utc_at(date: NaiveDate, minutes: i32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(date.and_time(NaiveTime::MIN) + Duration::minutes(minutes.into())))
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid month");
    let last = next.pred_opt().expect("valid date");
    last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
}

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n as u8).expect("valid date")
}

#[cfg(test)]
mod tests;
