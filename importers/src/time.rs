//! Times in import files to Unix seconds; the date arithmetic is
//! [`gridmap_core::time`]'s, re-exported here.

pub use gridmap_core::time::{days_from_civil, CST_OFFSET};

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
