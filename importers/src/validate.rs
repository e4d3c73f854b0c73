//! The checks of geo's [`Validation`](geo::Validation) for polygons and multipolygons, with
//! an index where geo compares everything with everything.
//!
//! geo looks for a ring's self-intersections by testing every edge against every other
//! edge: quadratic, so a 40,000-vertex village boundary took 6.5 s to import and a
//! 200,000-vertex one 156 s. Here the edges go into an R-tree and each edge is tested only
//! against the edges whose bounding boxes meet its own; the test itself is geo's, so the
//! same rings are accepted and rejected, with the same messages (geo's error types are
//! reused for their text). The parts of a multipolygon are likewise related only when their
//! bounding boxes meet.

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::validation::{GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::{BoundingRect, Intersects, PreparedGeometry, Relate};
use geo_types::{Line, LineString, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

/// The first problem geo's validation would report for `polygon`, if any. Coordinates are
/// assumed finite (the repair checks them first).
pub(crate) fn polygon_problem(polygon: &Polygon<f64>) -> Option<InvalidPolygon> {
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (i, ring) in rings.enumerate() {
        let role = if i == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(i - 1)
        };
        if distinct_run_count(ring) < 4 {
            return Some(InvalidPolygon::TooFewPointsInRing(role));
        }
        if ring_self_intersects(ring) {
            return Some(InvalidPolygon::SelfIntersection(role));
        }
    }
    holes_problem(polygon)
}

/// The first problem geo's validation would report between the (each valid) parts of a
/// multipolygon: two parts overlapping or touching along a line.
pub(crate) fn parts_problem(parts: &[Polygon<f64>]) -> Option<InvalidMultiPolygon> {
    let boxes: Vec<Option<Rect<f64>>> = parts.iter().map(BoundingRect::bounding_rect).collect();
    for (i, a) in parts.iter().enumerate() {
        for (j, b) in parts.iter().enumerate().skip(i + 1) {
            if !boxes_meet(boxes[i], boxes[j]) {
                continue;
            }
            let matrix = a.relate(b);
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some(InvalidMultiPolygon::ElementsOverlaps(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                return Some(InvalidMultiPolygon::ElementsTouchOnALine(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ));
            }
        }
    }
    None
}

/// Whether two bounding boxes share a point (parts without one cannot overlap or touch).
fn boxes_meet(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    }
}

/// Points left once consecutive repeats are dropped (geo's "too few points" measure).
fn distinct_run_count(ring: &LineString<f64>) -> usize {
    let mut coords = ring.0.clone();
    coords.dedup();
    coords.len()
}

type IndexedEdge = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// geo's self-intersection test (two edges that meet, other than where one ends and the
/// other starts) over the pairs of edges whose bounding boxes meet: n·log n for the rings
/// of real boundaries instead of n².
fn ring_self_intersects(ring: &LineString<f64>) -> bool {
    let edges: Vec<Line<f64>> = ring.lines().collect();
    let index = RTree::bulk_load(
        edges
            .iter()
            .enumerate()
            .map(|(i, e)| GeomWithData::new(edge_box(e), i))
            .collect::<Vec<IndexedEdge>>(),
    );
    edges.iter().enumerate().any(|(i, edge)| {
        index
            .locate_in_envelope_intersecting(&edge_box(edge).envelope())
            .filter(|other| other.data > i)
            .any(|other| edges_cross(edge, &edges[other.data]))
    })
}

fn edge_box(edge: &Line<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([edge.start.x, edge.start.y], [edge.end.x, edge.end.y])
}

/// geo's pair test, symmetric in its two edges: they meet, and not only because one ends
/// where the other starts.
fn edges_cross(a: &Line<f64>, b: &Line<f64>) -> bool {
    a.intersects(b) && a.start != b.end && a.end != b.start
}

/// geo's checks of the holes: each inside the exterior, touching it and each other at
/// points only, no two overlapping.
fn holes_problem(polygon: &Polygon<f64>) -> Option<InvalidPolygon> {
    if polygon.interiors().is_empty() {
        return None;
    }
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    for (i, hole) in polygon.interiors().iter().enumerate() {
        let role = RingRole::Interior(i);
        let hole_polygon = Polygon::new(hole.clone(), vec![]);
        let prepared_hole = PreparedGeometry::from(&hole_polygon);
        let with_exterior = exterior.relate(&prepared_hole);
        if !with_exterior.is_contains() {
            return Some(InvalidPolygon::InteriorRingNotContainedInExteriorRing(role));
        }
        if touch_on_a_line(&with_exterior) {
            return Some(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                role,
            ));
        }
        for (j, other) in polygon.interiors().iter().enumerate().skip(i + 1) {
            if !boxes_meet(hole.bounding_rect(), other.bounding_rect()) {
                continue;
            }
            let matrix = prepared_hole.relate(&Polygon::new(other.clone(), vec![]));
            let other_role = RingRole::Interior(j);
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some(InvalidPolygon::IntersectingRingsOnAnArea(role, other_role));
            }
            if touch_on_a_line(&matrix) {
                return Some(InvalidPolygon::IntersectingRingsOnALine(role, other_role));
            }
        }
    }
    None
}

fn touch_on_a_line(matrix: &geo::relate::IntersectionMatrix) -> bool {
    matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use geo_types::{polygon, Coord};

    /// A star-shaped ring of `n` vertices around (0, 0), optionally with two vertices
    /// swapped so that it crosses itself.
    fn star(n: usize, crossed: bool) -> Polygon<f64> {
        let mut coords: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.8 };
                Coord {
                    x: r * a.cos(),
                    y: r * a.sin(),
                }
            })
            .collect();
        if crossed {
            coords.swap(n / 2, n / 2 + 2);
        }
        Polygon::new(LineString(coords), vec![])
    }

    #[test]
    fn agrees_with_geo_on_self_intersections() {
        for crossed in [false, true] {
            let p = star(500, crossed);
            let ours = polygon_problem(&p).map(|e| e.to_string());
            let geos = p.validation_errors().first().map(ToString::to_string);
            assert_eq!(ours, geos, "crossed: {crossed}");
        }
        let bowtie = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.)];
        assert_eq!(
            polygon_problem(&bowtie).unwrap().to_string(),
            "exterior ring has a self-intersection"
        );
    }

    #[test]
    fn agrees_with_geo_on_holes() {
        let outer = polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)];
        let hole = |x: f64, y: f64| {
            LineString::from(vec![
                (x, y),
                (x, y + 2.),
                (x + 2., y + 2.),
                (x + 2., y),
                (x, y),
            ])
        };
        for holes in [
            vec![hole(1., 1.)],
            vec![hole(1., 1.), hole(2., 2.)],
            vec![hole(1., 1.), hole(3., 1.)],
            vec![hole(20., 20.)],
        ] {
            let p = Polygon::new(outer.exterior().clone(), holes);
            let ours = polygon_problem(&p).map(|e| e.to_string());
            let geos = p.validation_errors().first().map(ToString::to_string);
            assert_eq!(ours, geos, "{p:?}");
        }
    }

    #[test]
    fn parts_that_overlap_or_share_an_edge_are_found_and_far_ones_skipped() {
        let sq =
            |x: f64| polygon![(x: x, y: 0.), (x: x + 1., y: 0.), (x: x + 1., y: 1.), (x: x, y: 1.)];
        assert_eq!(
            parts_problem(&[sq(0.), sq(0.5)]).unwrap().to_string(),
            "polygons at indices 0 and 1 overlap"
        );
        assert_eq!(
            parts_problem(&[sq(0.), sq(1.)]).unwrap().to_string(),
            "polygons at indices 0 and 1 touch on a line"
        );
        assert!(parts_problem(&[sq(0.), sq(5.)]).is_none());
    }
}
