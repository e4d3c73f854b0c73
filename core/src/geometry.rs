//! Small geometry helpers shared by every crate: areas in square metres and
//! representative points for WGS84 lon/lat geometries.

use geo::{Area, BoundingRect, Centroid, ChamberlainDuquetteArea, InteriorPoint};
use geo_types::{MultiPolygon, Point, Rect};

/// Geodesic area of a WGS84 lon/lat multipolygon in square metres (spherical
/// Chamberlain–Duquette formula; error well under 1% at building scale).
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// // ~ 100 m × 100 m near the equator
/// let p = polygon![(x: 0.0, y: 0.0), (x: 0.000898, y: 0.0), (x: 0.000898, y: 0.000904), (x: 0.0, y: 0.000904)];
/// let a = gridmap_core::geometry::area_m2(&MultiPolygon(vec![p]));
/// assert!((a - 10_000.0).abs() < 200.0, "{a}");
/// ```
pub fn area_m2(shape: &MultiPolygon<f64>) -> f64 {
    shape.chamberlain_duquette_unsigned_area()
}

/// A point guaranteed to lie inside the shape where possible (its centroid if that is
/// inside, otherwise an interior point), used to place buildings in villages.
pub fn representative_point(shape: &MultiPolygon<f64>) -> Option<Point<f64>> {
    use geo::Contains;
    let c = shape.centroid()?;
    if shape.contains(&c) {
        Some(c)
    } else {
        shape.interior_point().or(Some(c))
    }
}

/// Bounding box of a multipolygon, `None` when empty.
pub fn bbox(shape: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    shape.bounding_rect()
}

/// `[min_x, min_y, max_x, max_y]` (for WGS84: `[min_lon, min_lat, max_lon, max_lat]`)
/// of a multipolygon, `None` when empty: the box the API returns and the change log
/// records.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// let p = MultiPolygon(vec![polygon![(x: 1.0, y: 2.0), (x: 3.0, y: 2.0), (x: 3.0, y: 5.0)]]);
/// assert_eq!(gridmap_core::geometry::bbox_array(&p), Some([1.0, 2.0, 3.0, 5.0]));
/// assert_eq!(gridmap_core::geometry::bbox_array(&MultiPolygon::<f64>(vec![])), None);
/// ```
pub fn bbox_array(shape: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    shape
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// The smallest `[min_x, min_y, max_x, max_y]` box holding every box, `None` for none.
///
/// ```
/// use gridmap_core::geometry::union_bbox;
/// assert_eq!(union_bbox([[0.0, 0.0, 1.0, 1.0], [2.0, -1.0, 3.0, 0.5]]), Some([0.0, -1.0, 3.0, 1.0]));
/// assert_eq!(union_bbox(std::iter::empty()), None);
/// ```
pub fn union_bbox(boxes: impl IntoIterator<Item = [f64; 4]>) -> Option<[f64; 4]> {
    boxes.into_iter().reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    })
}

/// Planar area in the shape's own units (degrees² for lon/lat); for ratios only.
pub fn planar_area(shape: &MultiPolygon<f64>) -> f64 {
    shape.unsigned_area()
}

/// Planar perimeter (outer and inner rings) in the shape's own units; for shapes in a
/// local metric projection this is metres.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]);
/// assert_eq!(gridmap_core::geometry::planar_perimeter(&square), 8.0);
/// ```
pub fn planar_perimeter(shape: &MultiPolygon<f64>) -> f64 {
    use geo::{Euclidean, Length};
    shape
        .0
        .iter()
        .map(|p| {
            Euclidean.length(p.exterior())
                + p.interiors()
                    .iter()
                    .map(|r| Euclidean.length(r))
                    .sum::<f64>()
        })
        .sum()
}

/// How close (degrees, about 0.1 mm) two pieces of a lon/lat shape must come to count as
/// one part in [`connected_parts`]: shapes cut by separate boolean operations, each
/// rounding to its own integer grid, meet with gaps of a few 1e-7 m.
pub const TOUCHING_DEG: f64 = 1e-9;

/// How many connected parts the lon/lat `shape` has: its polygons grouped where they
/// touch, overlap or come within [`TOUCHING_DEG`]. A grid drawn as two polygons meeting
/// at one corner is one part, as it is when the same set is written as one ring that
/// touches itself there (the form a union of its pieces never returns), and so is one
/// whose pieces meet with a rounding gap: contiguity does not depend on how a boolean
/// operation wrote the shape.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_core::geometry::connected_parts;
/// let a = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let corner = polygon![(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 2.0)];
/// let crack = polygon![(x: 1.0 + 1e-12, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 0.5)];
/// let apart = polygon![(x: 5.0, y: 5.0), (x: 6.0, y: 5.0), (x: 6.0, y: 6.0)];
/// assert_eq!(connected_parts(&MultiPolygon(vec![a.clone(), corner.clone()])), 1);
/// assert_eq!(connected_parts(&MultiPolygon(vec![a.clone(), crack])), 1);
/// assert_eq!(connected_parts(&MultiPolygon(vec![a, corner, apart])), 2);
/// assert_eq!(connected_parts(&MultiPolygon::<f64>(vec![])), 0);
/// ```
pub fn connected_parts(shape: &MultiPolygon<f64>) -> usize {
    use geo::{Distance, Euclidean};
    let n = shape.0.len();
    if n < 2 {
        return n;
    }
    let boxes: Vec<Option<Rect<f64>>> = shape.0.iter().map(|p| p.bounding_rect()).collect();
    let near = |a: Rect<f64>, b: Rect<f64>| {
        a.min().x - TOUCHING_DEG <= b.max().x
            && b.min().x - TOUCHING_DEG <= a.max().x
            && a.min().y - TOUCHING_DEG <= b.max().y
            && b.min().y - TOUCHING_DEG <= a.max().y
    };
    let mut parts = crate::disjoint::DisjointSets::new(n);
    for i in 0..n {
        for j in i + 1..n {
            let close = boxes[i].zip(boxes[j]).is_some_and(|(a, b)| near(a, b));
            if close && Euclidean.distance(&shape.0[i], &shape.0[j]) <= TOUCHING_DEG {
                parts.join(i, j);
            }
        }
    }
    parts.count()
}

/// Metres per degree of longitude and latitude at latitude `lat_deg`, for local
/// equirectangular projections (good to ~0.1% over a village).
pub fn metres_per_degree(lat_deg: f64) -> (f64, f64) {
    let lat = lat_deg.to_radians();
    let m_lat = 111_132.92 - 559.82 * (2.0 * lat).cos() + 1.175 * (4.0 * lat).cos();
    let m_lon = 111_412.84 * lat.cos() - 93.5 * (3.0 * lat).cos();
    (m_lon, m_lat)
}
