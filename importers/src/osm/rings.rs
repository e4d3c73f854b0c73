//! Assembling multipolygon rings from OSM relation member ways.
//!
//! # Algorithm
//!
//! Member ways are joined at shared end nodes (node ids, so joins are exact): a closed way
//! is a ring on its own; an open way is extended by any unused way that starts or ends at
//! its current end (reversed when needed) until it closes. A chain that cannot be closed
//! rejects the relation. Rings with role `inner` are holes, all others outers; each hole
//! goes to the smallest outer ring that contains it, and a hole inside no outer is dropped
//! (reported as a repair).

use geo::{Area, Contains};
use geo_types::{Coord, LineString, Point, Polygon};
use std::collections::HashMap;

/// Joins way node lists into closed rings of node ids (first id == last id).
///
/// ```
/// use gridmap_importers::osm::rings::join_rings;
/// // a square split into two ways, the second one drawn backwards
/// let rings = join_rings(vec![vec![1, 2, 3], vec![1, 4, 3]]).unwrap();
/// assert_eq!(rings, vec![vec![1, 2, 3, 4, 1]]);
/// assert!(join_rings(vec![vec![1, 2, 3]]).is_err());
/// ```
pub fn join_rings(ways: Vec<Vec<i64>>) -> Result<Vec<Vec<i64>>, String> {
    let mut rings = Vec::new();
    let mut open: Vec<Vec<i64>> = Vec::new();
    for w in ways {
        if w.len() < 2 {
            continue;
        }
        if w.first() == w.last() {
            rings.push(w);
        } else {
            open.push(w);
        }
    }
    let mut by_end: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, w) in open.iter().enumerate() {
        for end in [w.first(), w.last()].into_iter().flatten() {
            by_end.entry(*end).or_default().push(i);
        }
    }
    let mut open: Vec<Option<Vec<i64>>> = open.into_iter().map(Some).collect();
    for start in 0..open.len() {
        let Some(mut ring) = open.get_mut(start).and_then(Option::take) else {
            continue;
        };
        while let (Some(&first), Some(&end)) = (ring.first(), ring.last()) {
            if first == end {
                break;
            }
            let next = by_end.get(&end).and_then(|c| {
                c.iter()
                    .copied()
                    .find(|&j| open.get(j).is_some_and(Option::is_some))
            });
            let Some(w) = next.and_then(|j| open.get_mut(j)).and_then(Option::take) else {
                return Err(format!(
                    "ring not closed: no member way continues at node/{end}"
                ));
            };
            if w.first() == Some(&end) {
                ring.extend(w.iter().skip(1));
            } else {
                ring.extend(w.iter().rev().skip(1));
            }
        }
        rings.push(ring);
    }
    Ok(rings)
}

/// Groups outer and inner coordinate rings into polygons (exterior + holes), holes going
/// to the smallest outer that contains them. Returns the parts and the number of holes
/// dropped because no outer contains them.
///
/// ```
/// use geo_types::Coord;
/// use gridmap_importers::osm::rings::group_rings;
/// let sq = |x: f64, s: f64| vec![
///     Coord { x, y: x }, Coord { x: x + s, y: x }, Coord { x: x + s, y: x + s }, Coord { x, y: x + s }, Coord { x, y: x }];
/// let (parts, dropped) = group_rings(vec![sq(0.0, 10.0)], vec![sq(2.0, 1.0), sq(50.0, 1.0)]);
/// assert_eq!((parts.len(), parts[0].1.len(), dropped), (1, 1, 1));
/// ```
pub fn group_rings(
    outers: Vec<Vec<Coord<f64>>>,
    inners: Vec<Vec<Coord<f64>>>,
) -> (Vec<crate::repair::RawPolygon>, usize) {
    let shells: Vec<Polygon<f64>> = outers
        .iter()
        .map(|r| Polygon::new(LineString(r.clone()), vec![]))
        .collect();
    let areas: Vec<f64> = shells.iter().map(|p| p.unsigned_area()).collect();
    let mut parts: Vec<crate::repair::RawPolygon> =
        outers.into_iter().map(|r| (r, Vec::new())).collect();
    let mut dropped = 0;
    for inner in inners {
        let probe = inner_probe(&inner);
        let owner = shells
            .iter()
            .zip(&areas)
            .enumerate()
            .filter(|(_, (s, _))| probe.is_some_and(|p| s.contains(&p)))
            .min_by(|a, b| a.1 .1.total_cmp(b.1 .1))
            .map(|(i, _)| i);
        match owner.and_then(|i| parts.get_mut(i)) {
            Some(part) => part.1.push(inner),
            None => dropped += 1,
        }
    }
    (parts, dropped)
}

/// A point to test a hole's containment with: the midpoint of its first edge (a vertex
/// may lie on the outer ring when the hole touches it).
fn inner_probe(ring: &[Coord<f64>]) -> Option<Point<f64>> {
    let a = ring.first()?;
    let b = ring.get(1).unwrap_or(a);
    Some(Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(x: f64, y: f64, s: f64) -> Vec<Coord<f64>> {
        vec![
            Coord { x, y },
            Coord { x: x + s, y },
            Coord { x: x + s, y: y + s },
            Coord { x, y: y + s },
            Coord { x, y },
        ]
    }

    #[test]
    fn joins_many_segments_in_any_order_and_direction() {
        let ways = vec![vec![3, 4], vec![1, 2], vec![5, 4], vec![2, 3], vec![5, 1]];
        let rings = join_rings(ways).unwrap();
        assert_eq!(rings.len(), 1);
        let r = &rings[0];
        assert_eq!(r.first(), r.last());
        assert_eq!(r.len(), 6);
    }

    #[test]
    fn separate_rings_stay_separate() {
        let rings = join_rings(vec![vec![1, 2, 3, 1], vec![4, 5], vec![5, 6, 4]]).unwrap();
        assert_eq!(rings.len(), 2);
    }

    #[test]
    fn holes_go_to_the_outer_that_contains_them() {
        let (parts, dropped) = group_rings(
            vec![sq(0.0, 0.0, 10.0), sq(20.0, 0.0, 10.0)],
            vec![sq(22.0, 2.0, 1.0), sq(50.0, 50.0, 1.0)],
        );
        assert_eq!(parts[0].1.len(), 0);
        assert_eq!(parts[1].1.len(), 1);
        assert_eq!(dropped, 1);
    }
}
