//! Civil dates to Unix time and back, without a date library.
//!
//! `days_from_civil` is the well-known proleptic-Gregorian day count (as described by
//! Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").

/// Days since 1970-01-01 of a proleptic Gregorian date.
///
/// ```
/// use gridmap_core::time::days_from_civil;
/// assert_eq!(days_from_civil(1970, 1, 1), 0);
/// assert_eq!(days_from_civil(2000, 3, 1), 11_017);
/// ```
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `(year, month, day)` of a day count since 1970-01-01,
/// the inverse of [`days_from_civil`].
///
/// ```
/// use gridmap_core::time::{civil_from_days, days_from_civil};
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(11_017), (2000, 3, 1));
/// assert_eq!(civil_from_days(days_from_civil(2026, 12, 1)), (2026, 12, 1));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC) of Unix seconds: how the stores write times.
///
/// ```
/// assert_eq!(gridmap_core::time::rfc3339(1_775_028_800), "2026-04-01T07:33:20Z");
/// ```
pub fn rfc3339(unix: i64) -> String {
    format!("{}Z", format_utc(unix).replacen(' ', "T", 1))
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of Unix seconds.
///
/// ```
/// assert_eq!(gridmap_core::time::format_utc(1_764_547_200), "2025-12-01 00:00:00");
/// ```
pub fn format_utc(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// China Standard Time offset in seconds (UTC+8), assumed for times without an offset.
pub const CST_OFFSET: i64 = 8 * 3600;
