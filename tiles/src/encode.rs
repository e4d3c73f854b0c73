//! From projected geometry to MVT features: transform to tile pixels, clip, simplify,
//! quantise, repair, orient, and encode the geometry command stream; plus a layer
//! builder over geozero's prost MVT types.
//!
//! # Algorithm
//! For each polygon ring: world → tile pixel coordinates (`extent` units, y down),
//! Sutherland–Hodgman against the buffered square ([`crate::clip`]), Douglas–Peucker at
//! the zoom's pixel tolerance ([`crate::simplify`]), rounding to integers, removal of
//! repeated and collinear points (which also removes the zero-width runs clipping
//! leaves along the square's sides and zero-width spikes), then the ring is dropped if
//! fewer than three points or zero area remain. A polygon whose exterior is dropped is
//! dropped with its holes. Exterior rings are written with positive surveyor's area in
//! tile coordinates (clockwise on screen) and holes with negative area, as the MVT 2.1
//! spec requires; input winding does not matter.
//!
//! Commands follow the spec: `MoveTo(1)`, `LineTo(n − 1)`, `ClosePath` per ring with
//! zig-zag encoded deltas and a cursor carried across rings and polygons.

use crate::clip::{clip_ring_into, ring_inside, Px};
use crate::coord::{lonlat_to_world, TileCoord};
use crate::simplify::{simplify_ring_into, SimplifyScratch};
use geo_types::MultiPolygon;

pub use crate::layer_builder::{AttrValue, GeomType, LayerBuilder};

/// One polygon in world coordinates (see [`crate::coord`]): exterior ring first, then
/// holes; rings are open (the first point is not repeated at the end).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorldPolygon {
    /// Exterior ring followed by holes.
    pub rings: Vec<Vec<[f64; 2]>>,
}

/// A multipolygon projected to world coordinates, with its bounding box
/// `[min_x, min_y, max_x, max_y]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorldShape {
    /// The polygons.
    pub polygons: Vec<WorldPolygon>,
    /// `[min_x, min_y, max_x, max_y]` in world units.
    pub bbox: [f64; 4],
}

impl WorldShape {
    /// Projects a WGS84 multipolygon.
    ///
    /// ```
    /// use geo_types::{polygon, MultiPolygon};
    /// let p = polygon![(x: 0.0, y: 0.0), (x: 90.0, y: 0.0), (x: 90.0, y: 10.0)];
    /// let s = gridmap_tiles::encode::WorldShape::from_lonlat(&MultiPolygon(vec![p]));
    /// assert_eq!(s.polygons[0].rings[0].len(), 3); // closing point dropped
    /// assert_eq!(s.bbox[0], 0.5);
    /// assert_eq!(s.bbox[2], 0.75);
    /// ```
    pub fn from_lonlat(shape: &MultiPolygon<f64>) -> WorldShape {
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut project = |ring: &geo_types::LineString<f64>| -> Vec<[f64; 2]> {
            let mut pts: Vec<[f64; 2]> = ring
                .0
                .iter()
                .map(|c| {
                    let (x, y) = lonlat_to_world(c.x, c.y);
                    bbox = [
                        bbox[0].min(x),
                        bbox[1].min(y),
                        bbox[2].max(x),
                        bbox[3].max(y),
                    ];
                    [x, y]
                })
                .collect();
            if pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            pts
        };
        let polygons = shape
            .0
            .iter()
            .map(|p| {
                let mut rings = vec![project(p.exterior())];
                rings.extend(p.interiors().iter().map(&mut project));
                WorldPolygon { rings }
            })
            .collect();
        WorldShape { polygons, bbox }
    }
}

/// How world coordinates map into one tile, and the per-zoom generalisation settings.
#[derive(Debug, Clone, Copy)]
pub struct TileTransform {
    scale: f64,
    ox: f64,
    oy: f64,
    extent: u32,
    /// Clip square is `[-buffer, extent + buffer]²`.
    buffer: f64,
    /// Douglas–Peucker tolerance in extent units.
    tolerance: f64,
    /// Features whose box is smaller than this on both axes are dropped (extent units).
    min_size: f64,
}

impl TileTransform {
    /// Transform for `coord` with `extent` units per tile, a clip buffer of `buffer`
    /// units, a simplification tolerance and a minimum feature size in screen pixels
    /// (of a 256-pixel tile).
    pub fn new(
        coord: TileCoord,
        extent: u32,
        buffer: u32,
        tolerance_px: f64,
        min_size_px: f64,
    ) -> Self {
        let e = f64::from(extent);
        let px = e / 256.0;
        TileTransform {
            scale: coord.scale() * e,
            ox: f64::from(coord.x()) * e,
            oy: f64::from(coord.y()) * e,
            extent,
            buffer: f64::from(buffer),
            tolerance: tolerance_px * px,
            min_size: min_size_px * px,
        }
    }

    /// The extent (units per tile side).
    pub fn extent(&self) -> u32 {
        self.extent
    }

    /// World → tile pixel coordinates.
    pub fn px(&self, w: [f64; 2]) -> Px {
        [w[0] * self.scale - self.ox, w[1] * self.scale - self.oy]
    }

    /// Whether a world box `[min_x, min_y, max_x, max_y]` meets the buffered tile.
    pub fn meets(&self, bbox: [f64; 4]) -> bool {
        let a = self.px([bbox[0], bbox[1]]);
        let b = self.px([bbox[2], bbox[3]]);
        let (lo, hi) = (-self.buffer, f64::from(self.extent) + self.buffer);
        a[0] <= hi && b[0] >= lo && a[1] <= hi && b[1] >= lo
    }

    /// Whether a world box is smaller than the minimum feature size on both axes.
    pub fn too_small(&self, bbox: [f64; 4]) -> bool {
        let w = (bbox[2] - bbox[0]) * self.scale;
        let h = (bbox[3] - bbox[1]) * self.scale;
        w < self.min_size && h < self.min_size
    }
}

/// Working buffers for [`encode_polygon_with`], reused across features so that
/// drawing a tile allocates only each feature's command vector.
#[derive(Debug, Default)]
pub struct PolygonScratch {
    px: Vec<Px>,
    clipped: Vec<Px>,
    clip_tmp: Vec<Px>,
    simplified: Vec<Px>,
    simplify: SimplifyScratch,
    ring: Vec<[i32; 2]>,
    /// Kept rings of the current polygon, back to back, and where each one ends.
    kept: Vec<[i32; 2]>,
    ends: Vec<usize>,
}

/// Encodes a projected multipolygon for one tile; `None` when nothing of it is left
/// (outside the buffered tile, sub-pixel, or collapsed by quantisation).
pub fn encode_polygon(shape: &WorldShape, t: &TileTransform) -> Option<Vec<u32>> {
    encode_polygon_with(shape, t, &mut PolygonScratch::default())
}

/// [`encode_polygon`] reusing the buffers in `scratch` (same result).
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_tiles::encode::{encode_polygon, encode_polygon_with, PolygonScratch, TileTransform, WorldShape};
/// use gridmap_tiles::TileCoord;
/// let p = polygon![(x: 114.50, y: 38.00), (x: 114.51, y: 38.00), (x: 114.51, y: 38.01)];
/// let shape = WorldShape::from_lonlat(&MultiPolygon(vec![p]));
/// let t = TileTransform::new(TileCoord::new(12, 3350, 1552).unwrap(), 4096, 64, 0.5, 0.5);
/// let mut scratch = PolygonScratch::default();
/// assert_eq!(encode_polygon_with(&shape, &t, &mut scratch), encode_polygon(&shape, &t));
/// ```
pub fn encode_polygon_with(
    shape: &WorldShape,
    t: &TileTransform,
    scratch: &mut PolygonScratch,
) -> Option<Vec<u32>> {
    if !t.meets(shape.bbox) || t.too_small(shape.bbox) {
        return None;
    }
    let (lo, hi) = (-t.buffer, f64::from(t.extent) + t.buffer);
    let s = scratch;
    let mut cmds: Vec<u32> = Vec::new();
    let mut cursor = [0i32; 2];
    for poly in &shape.polygons {
        s.kept.clear();
        s.ends.clear();
        for (ri, ring) in poly.rings.iter().enumerate() {
            s.px.clear();
            s.px.extend(ring.iter().map(|&w| t.px(w)));
            let clipped: &[Px] = if ring_inside(&s.px, lo, hi) {
                &s.px
            } else {
                clip_ring_into(&s.px, lo, hi, &mut s.clipped, &mut s.clip_tmp);
                &s.clipped
            };
            let simplified: &[Px] = if clipped.len() > 4 {
                simplify_ring_into(clipped, t.tolerance, &mut s.simplified, &mut s.simplify);
                &s.simplified
            } else {
                clipped
            };
            if !clean_ring_into(simplified, &mut s.ring) {
                if ri == 0 {
                    break; // exterior gone: drop the holes too
                }
                continue;
            }
            let exterior = ri == 0;
            if (area2(&s.ring) > 0) != exterior {
                s.ring.reverse();
            }
            s.kept.extend_from_slice(&s.ring);
            s.ends.push(s.kept.len());
        }
        // Per ring: MoveTo + 2, LineTo, 2 per further point, ClosePath.
        cmds.reserve(2 * s.kept.len() + 3 * s.ends.len());
        let mut start = 0;
        for &end in &s.ends {
            if let Some(ring) = s.kept.get(start..end) {
                push_ring(&mut cmds, &mut cursor, ring);
            }
            start = end;
        }
    }
    (!cmds.is_empty()).then_some(cmds)
}

/// Encodes a projected point; `None` unless it lies in `[0, extent)²` (points are not
/// repeated in neighbouring tiles' buffers, so labels are not drawn twice).
pub fn encode_point(w: [f64; 2], t: &TileTransform) -> Option<Vec<u32>> {
    let p = t.px(w);
    let e = f64::from(t.extent);
    if !(p[0] >= 0.0 && p[0] < e && p[1] >= 0.0 && p[1] < e) {
        return None;
    }
    let (x, y) = (p[0].floor() as i32, p[1].floor() as i32);
    Some(vec![command(1, 1), zigzag(x), zigzag(y)])
}

/// Rounds a ring to integers and removes repeated points, collinear points and
/// zero-width spikes; `None` if fewer than three points or zero area remain.
///
/// ```
/// use gridmap_tiles::encode::clean_ring;
/// // A square with a duplicate point, a collinear point and a spike.
/// let r = [[0.0, 0.0], [0.2, 0.1], [5.0, 0.0], [10.0, 0.0], [10.0, 10.0], [10.0, 20.0],
///          [10.0, 10.0], [0.0, 10.0]];
/// assert_eq!(clean_ring(&r).unwrap().len(), 4);
/// assert!(clean_ring(&[[0.0, 0.0], [5.0, 0.0], [10.0, 0.0]]).is_none());
/// ```
pub fn clean_ring(ring: &[Px]) -> Option<Vec<[i32; 2]>> {
    let mut out = Vec::with_capacity(ring.len());
    clean_ring_into(ring, &mut out).then_some(out)
}

/// [`clean_ring`] writing into `out` (cleared first); `false` when the ring is gone.
fn clean_ring_into(ring: &[Px], out: &mut Vec<[i32; 2]>) -> bool {
    out.clear();
    for p in ring {
        let q = [p[0].round() as i32, p[1].round() as i32];
        if out.last() == Some(&q) {
            continue;
        }
        while let [.., a, b] = *out.as_slice() {
            if cross(a, b, q) != 0 {
                break;
            }
            out.pop();
        }
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    // Close the loop: trim the end and start while they are redundant.
    loop {
        let n = out.len();
        if n < 3 {
            return false;
        }
        let (Some(&first), Some(&second), Some(&prev), Some(&last)) =
            (out.first(), out.get(1), out.get(n - 2), out.last())
        else {
            return false;
        };
        if last == first || cross(prev, last, first) == 0 {
            out.pop();
        } else if cross(last, first, second) == 0 {
            out.remove(0);
        } else {
            break;
        }
    }
    area2(out) != 0
}

fn cross(a: [i32; 2], b: [i32; 2], c: [i32; 2]) -> i64 {
    let (abx, aby) = (
        i64::from(b[0]) - i64::from(a[0]),
        i64::from(b[1]) - i64::from(a[1]),
    );
    let (acx, acy) = (
        i64::from(c[0]) - i64::from(a[0]),
        i64::from(c[1]) - i64::from(a[1]),
    );
    abx * acy - aby * acx
}

/// Twice the surveyor's area in tile coordinates (positive = clockwise on screen).
pub fn area2(ring: &[[i32; 2]]) -> i64 {
    ring.iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1]))
        .sum()
}

fn command(id: u32, count: u32) -> u32 {
    (id & 7) | (count << 3)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn push_ring(cmds: &mut Vec<u32>, cursor: &mut [i32; 2], ring: &[[i32; 2]]) {
    let Some((first, rest)) = ring.split_first() else {
        return;
    };
    cmds.push(command(1, 1));
    cmds.push(zigzag(first[0] - cursor[0]));
    cmds.push(zigzag(first[1] - cursor[1]));
    *cursor = *first;
    cmds.push(command(2, rest.len() as u32));
    for p in rest {
        cmds.push(zigzag(p[0] - cursor[0]));
        cmds.push(zigzag(p[1] - cursor[1]));
        *cursor = *p;
    }
    cmds.push(command(7, 1));
}

/// Decodes a polygon or point command stream back into rings of absolute tile
/// coordinates (one entry per `MoveTo`), for tests and debugging.
///
/// ```
/// use gridmap_tiles::encode::decode_geometry;
/// // MoveTo(1,1) LineTo(+1,0)(0,+1) ClosePath
/// let rings = decode_geometry(&[9, 2, 2, 18, 2, 0, 0, 2, 15]);
/// assert_eq!(rings, vec![vec![[1, 1], [2, 1], [2, 2]]]);
/// ```
pub fn decode_geometry(cmds: &[u32]) -> Vec<Vec<[i32; 2]>> {
    let mut rings: Vec<Vec<[i32; 2]>> = Vec::new();
    let mut cursor = [0i32; 2];
    let mut i = 0;
    while let Some(&c) = cmds.get(i) {
        i += 1;
        let (id, count) = (c & 7, c >> 3);
        if id == 7 {
            continue;
        }
        for k in 0..count {
            let (Some(&dx), Some(&dy)) = (cmds.get(i), cmds.get(i + 1)) else {
                return rings;
            };
            i += 2;
            let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
            cursor = [cursor[0] + unzig(dx), cursor[1] + unzig(dy)];
            if id == 1 && k == 0 {
                rings.push(Vec::new());
            }
            if let Some(r) = rings.last_mut() {
                r.push(cursor);
            }
        }
    }
    rings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clip::clip_ring;
    use geo_types::polygon;

    fn t(z: u8, x: u32, y: u32) -> TileTransform {
        TileTransform::new(TileCoord::new(z, x, y).unwrap(), 4096, 64, 0.5, 0.0)
    }

    #[test]
    fn zigzag_matches_the_spec_examples() {
        assert_eq!(
            [zigzag(0), zigzag(-1), zigzag(1), zigzag(-2), zigzag(2)],
            [0, 1, 2, 3, 4]
        );
        assert_eq!(command(1, 1), 9);
        assert_eq!(command(7, 1), 15);
    }

    #[test]
    fn a_shape_covering_the_whole_tile_becomes_the_buffered_square_wound_clockwise() {
        let world = polygon![(x: -10.0, y: -10.0), (x: 10.0, y: -10.0), (x: 10.0, y: 10.0), (x: -10.0, y: 10.0)];
        let shape = WorldShape::from_lonlat(&MultiPolygon(vec![world]));
        let cmds = encode_polygon(&shape, &t(16, 32768, 32768)).unwrap();
        // MoveTo, 3 × LineTo, ClosePath for a single 4-point ring.
        assert_eq!(cmds.len(), 3 + 1 + 6 + 1);
        assert_eq!(cmds[0], command(1, 1));
        assert_eq!(cmds[3], command(2, 3));
    }

    #[test]
    fn holes_are_wound_opposite_to_the_exterior_whatever_the_input_winding() {
        let outer =
            geo_types::LineString::from(vec![(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)]);
        let hole = geo_types::LineString::from(vec![
            (0.004, 0.004),
            (0.004, 0.006),
            (0.006, 0.006),
            (0.006, 0.004),
        ]);
        for (o, h) in [(outer.clone(), hole.clone()), (rev(&outer), rev(&hole))] {
            let p = geo_types::Polygon::new(o, vec![h]);
            let shape = WorldShape::from_lonlat(&MultiPolygon(vec![p]));
            let rings = decode_geometry(&encode_polygon(&shape, &t(14, 8192, 8191)).unwrap());
            assert_eq!(rings.len(), 2);
            assert!(area2(&rings[0]) > 0, "exterior must be clockwise on screen");
            assert!(
                area2(&rings[1]) < 0,
                "hole must be counter-clockwise on screen"
            );
        }
    }

    fn rev(l: &geo_types::LineString<f64>) -> geo_types::LineString<f64> {
        geo_types::LineString(l.0.iter().rev().copied().collect())
    }

    #[test]
    fn a_concave_ring_leaving_and_reentering_the_tile_keeps_its_area_without_zero_width_bridges() {
        // A U open to the east whose two arms cross the tile's east edge (x = 4096 + 64).
        let u: Vec<Px> = vec![
            [3000.0, 1000.0],
            [5000.0, 1000.0],
            [5000.0, 1500.0],
            [3500.0, 1500.0],
            [3500.0, 2500.0],
            [5000.0, 2500.0],
            [5000.0, 3000.0],
            [3000.0, 3000.0],
        ];
        let clipped = clip_ring(&u, -64.0, 4160.0);
        let ring = clean_ring(&clipped).unwrap();
        // Arms are 660 × 500 each inside the clip square, the base 500 × 2000.
        let expected = 2 * (500 * 2000 + 2 * 660 * 500);
        assert_eq!(area2(&ring).abs(), expected);
        // No vertex sits in the middle of a straight run: every corner turns.
        let n = ring.len();
        for i in 0..n {
            assert_ne!(
                cross(ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]),
                0,
                "{ring:?}"
            );
        }
    }

    #[test]
    fn a_sub_pixel_shape_is_dropped() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 0.000001, y: 0.0), (x: 0.000001, y: 0.000001)];
        let shape = WorldShape::from_lonlat(&MultiPolygon(vec![p]));
        let tf = TileTransform::new(TileCoord::new(10, 512, 511).unwrap(), 4096, 64, 0.5, 0.5);
        assert!(encode_polygon(&shape, &tf).is_none());
    }
}
