//! Working time: office hours on working days, holidays and make-up working days (调休),
//! and deadlines counted in working hours.

use crate::time::days_from_civil;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The calendar shipped with gridmap (`core/data/calendar-cn-2026.json`).
const CN_2026: &str = include_str!("../../data/calendar-cn-2026.json");

/// How far a calendar search goes before giving up (ten years of days).
const MAX_DAYS: i64 = 3_660;

/// A calendar as written in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarFile {
    #[serde(default)]
    pub name: String,
    /// Where the holidays come from.
    #[serde(default)]
    pub source: Option<String>,
    /// Offset of local time from UTC, seconds (28800 for China).
    pub utc_offset_s: i64,
    /// Working weekdays, 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    /// Office hours of a working day, `["08:30", "12:00"]` pairs in local time.
    pub hours: Vec<(String, String)>,
    /// Days off that would otherwise be working days, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Make-up working days that would otherwise be days off (调休上班).
    #[serde(default)]
    pub workdays: Vec<String>,
}

/// Why a calendar file is not usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    #[error("the calendar is not valid JSON of the expected shape: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("calendar: {0:?} is not a date (YYYY-MM-DD)")]
    Date(String),
    #[error("calendar: {0:?} is not a time of day (HH:MM)")]
    Time(String),
    #[error("calendar: office hours {0}–{1} are empty or out of order")]
    Hours(String, String),
    #[error(
        "calendar: there must be at least one working weekday (1–7) and one span of office hours"
    )]
    NoWorkingTime,
}

/// Office hours, working weekdays, holidays and make-up days.
///
/// ```
/// use gridmap_core::incident::WorkCalendar;
/// use gridmap_core::time::days_from_civil;
/// let cal = WorkCalendar::china_2026();
/// let local = |y, m, d, h: i64| days_from_civil(y, m, d) * 86_400 + h * 3600 - 8 * 3600;
/// // Thursday 2026-09-24, 16:00 plus 4 working hours: 2 that day, none during the
/// // Mid-Autumn holiday (Friday 25th to Sunday 27th), 2 on Monday 28th from 08:30.
/// let due = cal.add_working(local(2026, 9, 24, 16), 4 * 3600);
/// assert_eq!(due, local(2026, 9, 28, 10) + 1800);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCalendar {
    pub name: String,
    pub source: Option<String>,
    utc_offset_s: i64,
    weekdays: [bool; 7],
    /// Seconds of the local day, sorted and disjoint.
    spans: Vec<(i64, i64)>,
    holidays: BTreeSet<i64>,
    workdays: BTreeSet<i64>,
}

fn parse_date(s: &str) -> Result<i64, CalendarError> {
    let bad = || CalendarError::Date(s.to_owned());
    let mut parts = s.trim().split('-');
    let y: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let m: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let d: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d))
}

fn parse_clock(s: &str) -> Result<i64, CalendarError> {
    let bad = || CalendarError::Time(s.to_owned());
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || h * 60 + m > 24 * 60 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

impl WorkCalendar {
    /// Checks and converts a calendar file.
    pub fn from_file(file: &CalendarFile) -> Result<WorkCalendar, CalendarError> {
        let mut weekdays = [false; 7];
        for &d in &file.weekdays {
            if (1..=7).contains(&d) {
                weekdays[usize::from(d - 1)] = true;
            }
        }
        let mut spans = Vec::new();
        for (a, b) in &file.hours {
            let (sa, sb) = (parse_clock(a)?, parse_clock(b)?);
            if sb <= sa {
                return Err(CalendarError::Hours(a.clone(), b.clone()));
            }
            spans.push((sa, sb));
        }
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[1].0 < w[0].1) {
            let (a, b) = &file.hours[0];
            return Err(CalendarError::Hours(a.clone(), b.clone()));
        }
        if spans.is_empty() || !weekdays.contains(&true) {
            return Err(CalendarError::NoWorkingTime);
        }
        let dates = |list: &[String]| -> Result<BTreeSet<i64>, CalendarError> {
            list.iter().map(|d| parse_date(d)).collect()
        };
        Ok(WorkCalendar {
            name: file.name.clone(),
            source: file.source.clone(),
            utc_offset_s: file.utc_offset_s,
            weekdays,
            spans,
            holidays: dates(&file.holidays)?,
            workdays: dates(&file.workdays)?,
        })
    }

    /// Parses a calendar file's JSON.
    pub fn from_json(text: &str) -> Result<WorkCalendar, CalendarError> {
        WorkCalendar::from_file(&serde_json::from_str(text)?)
    }

    /// China's 2026 public holidays and make-up days with office hours 08:30–12:00 and
    /// 14:30–18:00 (China Standard Time); see the file's `source`.
    pub fn china_2026() -> WorkCalendar {
        // The file is part of the crate and checked by its tests.
        WorkCalendar::from_json(CN_2026).unwrap_or_else(|e| panic!("shipped calendar: {e}"))
    }

    /// Whether local day `day` (days since 1970-01-01) is a working day.
    pub fn is_working_day(&self, day: i64) -> bool {
        if self.holidays.contains(&day) {
            return false;
        }
        if self.workdays.contains(&day) {
            return true;
        }
        // 1970-01-01 was a Thursday (index 3 from Monday).
        self.weekdays[(day + 3).rem_euclid(7) as usize]
    }

    /// Office-hour spans of local day `day` as Unix seconds.
    fn spans_of(&self, day: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let base = day * 86_400 - self.utc_offset_s;
        let working = self.is_working_day(day);
        self.spans
            .iter()
            .filter(move |_| working)
            .map(move |&(a, b)| (base + a, base + b))
    }

    fn local_day(&self, unix: i64) -> i64 {
        (unix + self.utc_offset_s).div_euclid(86_400)
    }

    /// The moment `secs` working seconds after `start` have passed.
    pub fn add_working(&self, start: i64, secs: i64) -> i64 {
        let mut left = secs.max(0);
        if left == 0 {
            return start;
        }
        let first = self.local_day(start);
        for day in first..first + MAX_DAYS {
            for (a, b) in self.spans_of(day) {
                let from = a.max(start);
                if from >= b {
                    continue;
                }
                if left <= b - from {
                    return from + left;
                }
                left -= b - from;
            }
        }
        // Only a calendar with ten years of holidays gets here.
        start + MAX_DAYS * 86_400
    }

    /// Working seconds between `from` and `to` (0 when `to` is not after `from`).
    pub fn working_between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let (first, last) = (self.local_day(from), self.local_day(to));
        let last = last.min(first + MAX_DAYS);
        (first..=last)
            .flat_map(|day| self.spans_of(day).collect::<Vec<_>>())
            .map(|(a, b)| (b.min(to) - a.max(from)).max(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + h * 3600 + min * 60 - 8 * 3600
    }

    #[test]
    fn holidays_and_make_up_days_are_read() {
        let cal = WorkCalendar::china_2026();
        assert!(!cal.is_working_day(days_from_civil(2026, 10, 5))); // National Day, Monday
        assert!(cal.is_working_day(days_from_civil(2026, 10, 10))); // make-up Saturday
        assert!(!cal.is_working_day(days_from_civil(2026, 10, 11))); // Sunday
        assert!(cal.is_working_day(days_from_civil(2026, 10, 12))); // Monday
    }

    #[test]
    fn working_time_skips_nights_lunch_weekends_and_holidays() {
        let cal = WorkCalendar::china_2026();
        // Friday 2026-04-03 17:00 + 3 h: 1 h on Friday, Sat–Mon are Qingming + weekend,
        // Tuesday 08:30 + 2 h.
        let due = cal.add_working(local(2026, 4, 3, 17, 0), 3 * 3600);
        assert_eq!(due, local(2026, 4, 7, 10, 30));
        assert_eq!(cal.working_between(local(2026, 4, 3, 17, 0), due), 3 * 3600);
        // Lunch break: 11:00 + 2 h = 15:30.
        assert_eq!(
            cal.add_working(local(2026, 4, 8, 11, 0), 2 * 3600),
            local(2026, 4, 8, 15, 30)
        );
        // A night counts nothing.
        assert_eq!(
            cal.working_between(local(2026, 4, 8, 19, 0), local(2026, 4, 9, 8, 0)),
            0
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_value() {
        let bad = r#"{"utc_offset_s":0,"weekdays":[1],"hours":[["09:00","25:00"]]}"#;
        assert!(
            matches!(WorkCalendar::from_json(bad), Err(CalendarError::Time(t)) if t == "25:00")
        );
        let none = r#"{"utc_offset_s":0,"weekdays":[],"hours":[["09:00","17:00"]]}"#;
        assert!(matches!(
            WorkCalendar::from_json(none),
            Err(CalendarError::NoWorkingTime)
        ));
        let date = r#"{"utc_offset_s":0,"weekdays":[1],"hours":[["09:00","17:00"]],"holidays":["2026-13-01"]}"#;
        assert!(matches!(
            WorkCalendar::from_json(date),
            Err(CalendarError::Date(_))
        ));
    }
}
