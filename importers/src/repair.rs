//! Geometry validation and repair for imported footprints and boundaries.
//!
//! # Algorithm
//!
//! For every ring of a polygon, in order:
//! 1. **Coordinates**: any NaN/∞ coordinate or one outside |lon| ≤ 180, |lat| ≤ 90 rejects the
//!    whole feature (run [`Crs::to_wgs84`](crate::Crs::to_wgs84) first).
//! 2. **Consecutive duplicate points** are removed (repaired).
//! 3. **Closure**: a ring whose last point differs from its first is closed (repaired).
//! 4. **Degenerate rings** (fewer than 3 distinct points, i.e. fewer than 4 with closure):
//!    a hole is dropped (repaired), an exterior ring rejects the polygon.
//! 5. **Orientation** is normalised to exterior counter-clockwise, holes clockwise
//!    (RFC 7946). Neither OSM nor older GeoJSON require an orientation, so this is done
//!    silently and not reported.
//!
//! The result is then checked as geo's `Validation` checks it (self-intersections, holes
//! outside their exterior, rings crossing each other, overlapping parts of a multipolygon),
//! with an R-tree of edges instead of geo's all-pairs comparison (see `validate.rs`): such
//! a feature is rejected, because any fix would have to guess which part is right.
//!
//! # Examples
//!
//! ```
//! use geo_types::Coord;
//! use gridmap_importers::repair::repair_polygon;
//! // an unclosed, clockwise square with a duplicated point
//! let ring = vec![
//!     Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 1e-4 }, Coord { x: 0.0, y: 1e-4 },
//!     Coord { x: 1e-4, y: 1e-4 }, Coord { x: 1e-4, y: 0.0 },
//! ];
//! let fixed = repair_polygon(ring, vec![]).unwrap();
//! assert_eq!(fixed.fixes, vec!["removed 1 duplicate point", "closed ring"]);
//! assert_eq!(fixed.value.exterior().0.len(), 5);
//!
//! let bowtie = vec![
//!     Coord { x: 0.0, y: 0.0 }, Coord { x: 1e-4, y: 1e-4 },
//!     Coord { x: 1e-4, y: 0.0 }, Coord { x: 0.0, y: 1e-4 }, Coord { x: 0.0, y: 0.0 },
//! ];
//! assert!(repair_polygon(bowtie, vec![]).unwrap_err().contains("self-intersection"));
//! ```

use crate::validate::{parts_problem, polygon_problem};
use geo::orient::{Direction, Orient};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// A repaired value and the list of fixes applied (empty when it was already valid).
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired<T> {
    /// The valid value.
    pub value: T,
    /// Human-readable fixes, e.g. `closed ring`.
    pub fixes: Vec<String>,
}

/// Checks that a coordinate is finite and within WGS84 lon/lat range.
///
/// ```
/// use gridmap_importers::repair::check_coord;
/// assert!(check_coord(geo_types::Coord { x: 114.6, y: 33.8 }).is_ok());
/// assert!(check_coord(geo_types::Coord { x: 200.0, y: 33.8 }).is_err());
/// assert!(check_coord(geo_types::Coord { x: f64::NAN, y: 0.0 }).is_err());
/// ```
pub fn check_coord(c: Coord<f64>) -> Result<(), String> {
    if !c.x.is_finite() || !c.y.is_finite() {
        return Err(format!("non-finite coordinate ({}, {})", c.x, c.y));
    }
    if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
        return Err(format!(
            "coordinate out of range (lon {}, lat {}; expected |lon| ≤ 180, |lat| ≤ 90 — is the CRS right?)",
            c.x, c.y
        ));
    }
    Ok(())
}

/// Cleans one ring: range check, duplicate removal, closure. Returns `None` when fewer
/// than 3 distinct points remain.
fn clean_ring(
    mut ring: Vec<Coord<f64>>,
    role: &str,
    fixes: &mut Vec<String>,
) -> Result<Option<LineString<f64>>, String> {
    for c in &ring {
        check_coord(*c).map_err(|e| format!("{role}: {e}"))?;
    }
    let before = ring.len();
    ring.dedup();
    // a closed ring keeps its closing point; an unclosed one loses nothing more
    let removed = before - ring.len();
    if removed > 0 {
        let s = if removed == 1 { "" } else { "s" };
        fixes.push(format!("removed {removed} duplicate point{s}"));
    }
    let closed = ring.len() > 1 && ring.first() == ring.last();
    if !closed && ring.len() >= 3 {
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        fixes.push("closed ring".into());
    }
    if ring.len() < 4 {
        return Ok(None);
    }
    Ok(Some(LineString(ring)))
}

/// Repairs a polygon given as an exterior ring and holes (see the module docs).
/// The error is the reason for rejection.
pub fn repair_polygon(
    exterior: Vec<Coord<f64>>,
    interiors: Vec<Vec<Coord<f64>>>,
) -> Result<Repaired<Polygon<f64>>, String> {
    let mut fixes = Vec::new();
    let Some(ext) = clean_ring(exterior, "exterior ring", &mut fixes)? else {
        return Err("exterior ring has fewer than 3 distinct points".into());
    };
    let mut holes = Vec::with_capacity(interiors.len());
    for hole in interiors {
        match clean_ring(hole, "interior ring", &mut fixes)? {
            Some(h) => holes.push(h),
            None => fixes.push("dropped degenerate hole (fewer than 3 distinct points)".into()),
        }
    }
    let polygon = Polygon::new(ext, holes).orient(Direction::Default);
    if let Some(problem) = polygon_problem(&polygon) {
        return Err(problem.to_string());
    }
    Ok(Repaired {
        value: polygon,
        fixes,
    })
}

/// Repairs every polygon of a multipolygon and checks that the parts do not overlap.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_importers::repair::repair_multipolygon;
/// let a = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let b = polygon![(x: 0.5, y: 0.5), (x: 2.0, y: 0.5), (x: 2.0, y: 2.0), (x: 0.5, y: 2.0)];
/// assert!(repair_multipolygon(MultiPolygon(vec![a.clone()])).is_ok());
/// assert!(repair_multipolygon(MultiPolygon(vec![a, b])).is_err());
/// ```
pub fn repair_multipolygon(
    shape: MultiPolygon<f64>,
) -> Result<Repaired<MultiPolygon<f64>>, String> {
    repair_parts(
        shape
            .0
            .into_iter()
            .map(|p| {
                let (ext, holes) = p.into_inner();
                (ext.0, holes.into_iter().map(|h| h.0).collect())
            })
            .collect(),
    )
}

/// Rings of one polygon part as read from a file: exterior, then holes.
pub type RawPolygon = (Vec<Coord<f64>>, Vec<Vec<Coord<f64>>>);

/// The default of [`check_vertex_count`]'s limit: far above any real village boundary or
/// footprint (detailed county boundaries have some 100,000 vertices), low enough that one
/// absurd feature cannot hold an import for minutes or exhaust memory.
pub const DEFAULT_MAX_VERTICES: usize = 1_000_000;

/// Refuses a feature whose rings hold more than `limit` vertices in all, before the work
/// that grows with its size.
///
/// ```
/// use geo_types::Coord;
/// use gridmap_importers::repair::check_vertex_count;
/// let ring = vec![Coord { x: 0.0, y: 0.0 }; 5];
/// assert!(check_vertex_count(&[(ring.clone(), vec![])], 5).is_ok());
/// let err = check_vertex_count(&[(ring.clone(), vec![ring])], 5).unwrap_err();
/// assert!(err.contains("10 vertices, more than the limit of 5"), "{err}");
/// ```
pub fn check_vertex_count(parts: &[RawPolygon], limit: usize) -> Result<(), String> {
    let count: usize = parts
        .iter()
        .map(|(exterior, holes)| exterior.len() + holes.iter().map(Vec::len).sum::<usize>())
        .sum();
    if count > limit {
        return Err(format!(
            "{count} vertices, more than the limit of {limit}: simplify the geometry, \
             or raise the limit with --max-vertices"
        ));
    }
    Ok(())
}

/// Repairs polygon parts given as raw rings (unclosed rings stay detectable) and checks
/// that the parts do not overlap.
///
/// ```
/// use geo_types::Coord;
/// use gridmap_importers::repair::repair_parts;
/// let sq = |x: f64| vec![Coord { x, y: 0.0 }, Coord { x: x + 1e-4, y: 0.0 }, Coord { x: x + 1e-4, y: 1e-4 }, Coord { x, y: 1e-4 }];
/// let fixed = repair_parts(vec![(sq(0.0), vec![]), (sq(1.0), vec![])]).unwrap();
/// assert_eq!(fixed.value.0.len(), 2);
/// assert_eq!(fixed.fixes, vec!["closed ring", "closed ring"]);
/// ```
pub fn repair_parts(raw: Vec<RawPolygon>) -> Result<Repaired<MultiPolygon<f64>>, String> {
    let mut fixes = Vec::new();
    let mut parts = Vec::with_capacity(raw.len());
    let many = raw.len() > 1;
    for (i, (ext, holes)) in raw.into_iter().enumerate() {
        let fixed = repair_polygon(ext, holes).map_err(|e| {
            if many {
                format!("polygon {i}: {e}")
            } else {
                e
            }
        })?;
        fixes.extend(fixed.fixes);
        parts.push(fixed.value);
    }
    if parts.is_empty() {
        return Err("empty geometry".into());
    }
    if let Some(problem) = parts_problem(&parts) {
        return Err(problem.to_string());
    }
    let mp = MultiPolygon(parts);
    Ok(Repaired { value: mp, fixes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn square(x0: f64, y0: f64, s: f64) -> Vec<Coord<f64>> {
        vec![
            c(x0, y0),
            c(x0 + s, y0),
            c(x0 + s, y0 + s),
            c(x0, y0 + s),
            c(x0, y0),
        ]
    }

    #[test]
    fn valid_polygon_needs_no_fixes() {
        let r = repair_polygon(square(0.0, 0.0, 1.0), vec![]).unwrap();
        assert!(r.fixes.is_empty());
    }

    #[test]
    fn orientation_is_normalised_silently() {
        use geo::Winding;
        let mut ext = square(0.0, 0.0, 10.0);
        ext.reverse();
        let hole = square(2.0, 2.0, 1.0); // ccw: wrong for a hole
        let r = repair_polygon(ext, vec![hole]).unwrap();
        assert!(r.fixes.is_empty());
        assert!(r.value.exterior().is_ccw());
        assert!(r.value.interiors()[0].is_cw());
    }

    #[test]
    fn degenerate_hole_is_dropped_but_degenerate_exterior_rejects() {
        let hole = vec![c(2.0, 2.0), c(3.0, 2.0), c(2.0, 2.0)];
        let r = repair_polygon(square(0.0, 0.0, 10.0), vec![hole]).unwrap();
        assert!(r.value.interiors().is_empty());
        assert!(r.fixes.iter().any(|f| f.contains("degenerate hole")));
        assert!(repair_polygon(vec![c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)], vec![]).is_err());
    }

    #[test]
    fn out_of_range_and_nan_reject() {
        assert!(repair_polygon(square(179.5, 0.0, 1.0), vec![])
            .unwrap_err()
            .contains("out of range"));
        let mut ring = square(0.0, 0.0, 1.0);
        ring[1].y = f64::NAN;
        assert!(repair_polygon(ring, vec![])
            .unwrap_err()
            .contains("non-finite"));
    }

    #[test]
    fn hole_outside_exterior_rejects() {
        let err = repair_polygon(square(0.0, 0.0, 1.0), vec![square(5.0, 5.0, 1.0)]).unwrap_err();
        assert!(err.contains("interior ring"), "{err}");
    }
}
