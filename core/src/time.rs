//! Civil dates to Unix time, without a date library.
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

/// China Standard Time offset in seconds (UTC+8), assumed for times without an offset.
pub const CST_OFFSET: i64 = 8 * 3600;
