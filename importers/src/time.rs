//! Civil dates to Unix time, without a date library.
//!
//! `days_from_civil` is the well-known proleptic-Gregorian day count (as described by
//! Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").

/// Days since 1970-01-01 of a proleptic Gregorian date.
///
/// ```
/// use gridmap_importers::time::days_from_civil;
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

/// Parses Unix seconds, or `YYYY-MM-DD[ T]HH:MM[:SS][Z|±HH:MM]` (or a bare date); times
/// without an offset are China Standard Time (UTC+8). Returns Unix seconds (UTC).
///
/// ```
/// use gridmap_importers::time::parse_time;
/// assert_eq!(parse_time("1700000000"), Some(1_700_000_000));
/// assert_eq!(parse_time("1970-01-01T08:00:00"), Some(0));
/// assert_eq!(parse_time("1970-01-01 00:00:00Z"), Some(0));
/// assert_eq!(parse_time("1970-01-01T01:00+01:00"), Some(0));
/// assert_eq!(parse_time("yesterday"), None);
/// ```
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let (date, rest) = match s.find(['T', ' ']) {
        Some(i) => (s.get(..i)?, s.get(i + 1..)?.trim()),
        None => (s, ""),
    };
    let mut dp = date.split(['-', '/']);
    let year: i64 = dp.next()?.parse().ok()?;
    let month: u32 = dp.next()?.parse().ok()?;
    let day: u32 = dp.next()?.parse().ok()?;
    if dp.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset) = split_offset(rest)?;
    let mut cp = clock.split(':');
    let mut secs = 0i64;
    if !clock.is_empty() {
        let h: i64 = cp.next()?.parse().ok()?;
        let m: i64 = cp.next()?.parse().ok()?;
        let sec: f64 = cp.next().map_or(Some(0.0), |x| x.parse().ok())?;
        if cp.next().is_some()
            || !(0..24).contains(&h)
            || !(0..60).contains(&m)
            || !(0.0..61.0).contains(&sec)
        {
            return None;
        }
        secs = h * 3600 + m * 60 + sec as i64;
    }
    Some(days_from_civil(year, month, day) * 86_400 + secs - offset)
}

/// Splits `HH:MM:SS+08:00` into the clock and the offset in seconds (CST when absent).
fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(clock) = rest.strip_suffix('Z') {
        return Some((clock, 0));
    }
    if let Some(i) = rest.rfind(['+', '-']) {
        let (clock, off) = (rest.get(..i)?, rest.get(i..)?);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits: String = off.get(1..)?.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 4 && digits.len() != 2 {
            return None;
        }
        let h: i64 = digits.get(..2)?.parse().ok()?;
        let m: i64 = digits
            .get(2..)
            .filter(|m| !m.is_empty())
            .map_or(Some(0), |m| m.parse().ok())?;
        return Some((clock, sign * (h * 3600 + m * 60)));
    }
    Some((rest, CST_OFFSET))
}
