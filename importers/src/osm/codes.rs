//! Synthetic 12-digit division codes for OSM boundaries, which have none.
//!
//! # Rule
//!
//! * County part: [`OsmOptions::county_code`](super::OsmOptions::county_code), default
//!   `990000` (no real province has code 99, so these never clash with real codes).
//! * Township part: townships (relations at `township_admin_level`, default 8) are
//!   numbered `001`, `002`, … in ascending OSM relation id order. A village belongs to the
//!   first township (in that order) containing its representative point; villages in no
//!   township get township part `999`.
//! * Village part: within each township, villages are numbered `001`, `002`, … in
//!   ascending OSM relation id order.
//!
//! The same file therefore always yields the same codes. More than 998 townships or 999
//! villages in one township cannot be coded: the extra units are rejected.

use geo::Contains;
use geo_types::MultiPolygon;
use gridmap_core::geometry::representative_point;
use std::collections::BTreeMap;

/// A township serial for units outside every township.
pub const NO_TOWNSHIP: u32 = 999;

/// Assigns township serials (1-based, by id) and returns `(id, serial)` pairs; ids past
/// 998 get `None`.
///
/// ```
/// use gridmap_importers::osm::codes::township_serials;
/// assert_eq!(township_serials(&[90, 12]), vec![(12, Some(1)), (90, Some(2))]);
/// ```
pub fn township_serials(ids: &[i64]) -> Vec<(i64, Option<u32>)> {
    let mut sorted: Vec<i64> = ids.to_vec();
    sorted.sort_unstable();
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, u32::try_from(i + 1).ok().filter(|s| *s < NO_TOWNSHIP)))
        .collect()
}

/// For each village `(id, boundary)`, its township serial (see the module docs) and its
/// village serial within that township (`None` past 999).
///
/// ```
/// use gridmap_importers::osm::codes::village_codes;
/// use geo_types::{polygon, MultiPolygon};
/// let sq = |x: f64| MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)]]);
/// let townships = vec![(7, 1, sq(0.0))];
/// let codes = village_codes(&[(30, sq(0.0)), (20, sq(0.0)), (40, sq(5.0))], &townships);
/// assert_eq!(codes, vec![(30, 1, Some(2)), (20, 1, Some(1)), (40, 999, Some(1))]);
/// ```
pub fn village_codes(
    villages: &[(i64, MultiPolygon<f64>)],
    townships: &[(i64, u32, MultiPolygon<f64>)],
) -> Vec<(i64, u32, Option<u32>)> {
    let mut ordered: Vec<&(i64, u32, MultiPolygon<f64>)> = townships.iter().collect();
    ordered.sort_by_key(|t| t.1);
    let parent: Vec<u32> = villages
        .iter()
        .map(|(_, shape)| {
            let p = representative_point(shape);
            ordered
                .iter()
                .find(|t| p.is_some_and(|p| t.2.contains(&p)))
                .map_or(NO_TOWNSHIP, |t| t.1)
        })
        .collect();
    let mut by_township: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for ((id, _), t) in villages.iter().zip(&parent) {
        by_township.entry(*t).or_default().push(*id);
    }
    let mut serial: std::collections::HashMap<i64, Option<u32>> = std::collections::HashMap::new();
    for ids in by_township.values_mut() {
        ids.sort_unstable();
        for (i, id) in ids.iter().enumerate() {
            serial.insert(*id, u32::try_from(i + 1).ok().filter(|s| *s <= 999));
        }
    }
    villages
        .iter()
        .zip(parent)
        .map(|((id, _), t)| (*id, t, serial.get(id).copied().flatten()))
        .collect()
}

/// Formats a code from its parts.
///
/// ```
/// assert_eq!(gridmap_importers::osm::codes::format_code("990000", 1, 7), "990000001007");
/// ```
pub fn format_code(county: &str, township: u32, village: u32) -> String {
    format!("{county}{township:03}{village:03}")
}
