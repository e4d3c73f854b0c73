//! Label placement: the pole of inaccessibility of a polygon, the interior point
//! farthest from its boundary, so a grid's label sits well inside it even when the
//! grid is L-shaped or has holes.
//!
//! # Algorithm
//! Cell subdivision after Agafonkin's *polylabel* (2016), written from the published
//! description: cover the bounding box with square cells, keep them in a max-heap by
//! the best distance any point of the cell could reach (`distance(centre) + half
//! diagonal`), and split the most promising cell into four until no cell can beat
//! the best centre found by more than `precision`. Distances are signed: positive
//! inside (even–odd rule over all rings), negative outside.
//!
//! For a multipolygon the largest part (by area) is labelled.
//!
//! # Complexity
//! Each probe is O(n) in the ring points; the number of probes is bounded by
//! `MAX_PROBES`, so a pathological shape cannot stall the precomputation.

use crate::encode::{WorldPolygon, WorldShape};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const MAX_PROBES: usize = 1000;

/// The label point of a projected shape (largest part's pole of inaccessibility),
/// `None` for an empty shape.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_tiles::{encode::WorldShape, label_point::label_point};
/// // An L shape: the label must be inside it, not at the bbox centre (a notch).
/// let l = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 0.5), (x: 0.5, y: 0.5),
///                  (x: 0.5, y: 2.0), (x: 0.0, y: 2.0)];
/// let shape = WorldShape::from_lonlat(&MultiPolygon(vec![l]));
/// let p = label_point(&shape).unwrap();
/// let (lon, lat) = gridmap_tiles::coord::world_to_lonlat(p[0], p[1]);
/// assert!(lon < 0.5 || lat < 0.5, "{lon} {lat}");
/// ```
pub fn label_point(shape: &WorldShape) -> Option<[f64; 2]> {
    let largest = shape
        .polygons
        .iter()
        .filter(|p| p.rings.first().is_some_and(|r| r.len() >= 3))
        .max_by(|a, b| exterior_area(a).total_cmp(&exterior_area(b)))?;
    pole(largest)
}

fn exterior_area(p: &WorldPolygon) -> f64 {
    let Some(r) = p.rings.first() else { return 0.0 };
    let twice: f64 = r
        .iter()
        .zip(r.iter().cycle().skip(1))
        .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
        .sum();
    (twice / 2.0).abs()
}

struct Cell {
    c: [f64; 2],
    h: f64,
    d: f64,
    max: f64,
}

impl Cell {
    fn new(c: [f64; 2], h: f64, poly: &WorldPolygon) -> Cell {
        let d = signed_distance(c, poly);
        Cell {
            c,
            h,
            d,
            max: d + h * std::f64::consts::SQRT_2,
        }
    }
}

impl PartialEq for Cell {
    fn eq(&self, o: &Self) -> bool {
        self.max == o.max
    }
}
impl Eq for Cell {}
impl PartialOrd for Cell {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cell {
    fn cmp(&self, o: &Self) -> Ordering {
        self.max.total_cmp(&o.max)
    }
}

fn pole(poly: &WorldPolygon) -> Option<[f64; 2]> {
    let ext = poly.rings.first()?;
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for p in ext {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let (w, h) = (x1 - x0, y1 - y0);
    let size = w.min(h);
    let centre = [(x0 + x1) / 2.0, (y0 + y1) / 2.0];
    if size <= 0.0 {
        return Some(centre);
    }
    let precision = w.max(h) / 100.0;
    let half = size / 2.0;
    let mut heap = BinaryHeap::new();
    let mut x = x0;
    while x < x1 {
        let mut y = y0;
        while y < y1 {
            heap.push(Cell::new([x + half, y + half], half, poly));
            y += size;
        }
        x += size;
    }
    let mut best = Cell::new(centre, 0.0, poly);
    let mut probes = heap.len();
    while let Some(cell) = heap.pop() {
        if cell.d > best.d {
            best = Cell {
                c: cell.c,
                h: 0.0,
                d: cell.d,
                max: cell.d,
            };
        }
        if cell.max - best.d <= precision || probes > MAX_PROBES {
            continue;
        }
        let h = cell.h / 2.0;
        for (dx, dy) in [(-h, -h), (h, -h), (-h, h), (h, h)] {
            heap.push(Cell::new([cell.c[0] + dx, cell.c[1] + dy], h, poly));
        }
        probes += 4;
    }
    Some(best.c)
}

/// Distance from `p` to the polygon boundary, positive inside.
fn signed_distance(p: [f64; 2], poly: &WorldPolygon) -> f64 {
    let mut inside = false;
    let mut min_d2 = f64::INFINITY;
    for ring in &poly.rings {
        for (&a, &b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
            if (a[1] > p[1]) != (b[1] > p[1])
                && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
            {
                inside = !inside;
            }
            min_d2 = min_d2.min(seg_dist2(p, a, b));
        }
    }
    let d = min_d2.sqrt();
    if inside {
        d
    } else {
        -d
    }
}

fn seg_dist2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_of_a_square_with_a_central_hole_avoids_the_hole() {
        let outer = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        let hole = vec![[3.0, 3.0], [7.0, 3.0], [7.0, 7.0], [3.0, 7.0]];
        let shape = WorldShape {
            polygons: vec![WorldPolygon {
                rings: vec![outer, hole.clone()],
            }],
            bbox: [0.0, 0.0, 10.0, 10.0],
        };
        let p = label_point(&shape).unwrap();
        assert!(signed_distance(p, &shape.polygons[0]) > 1.0, "{p:?}");
        let in_hole = p[0] > 3.0 && p[0] < 7.0 && p[1] > 3.0 && p[1] < 7.0;
        assert!(!in_hole);
    }

    #[test]
    fn the_largest_part_of_a_multipolygon_is_labelled() {
        let small = vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        let big = vec![[10.0, 10.0], [20.0, 10.0], [20.0, 20.0], [10.0, 20.0]];
        let shape = WorldShape {
            polygons: vec![
                WorldPolygon { rings: vec![small] },
                WorldPolygon { rings: vec![big] },
            ],
            bbox: [0.0, 0.0, 20.0, 20.0],
        };
        let p = label_point(&shape).unwrap();
        assert!(
            (p[0] - 15.0).abs() < 0.1 && (p[1] - 15.0).abs() < 0.1,
            "{p:?}"
        );
    }
}
