//! The jittered lattice that village, township and county boundaries are cut from.
//!
//! Corners of a `cols × rows` grid of square cells are jittered (interior corners in both
//! directions, border corners only along the border, the four county corners not at
//! all), and every cell edge gets three inner points pushed sideways. A village is one
//! cell: corner, edge points, corner, … Neighbouring villages share the very same corner
//! and edge-point coordinates, so the villages tile the county exactly, with no gaps or
//! overlaps, and a township (a rectangular block of cells) or the county (all cells) is
//! traced along the same points.
//!
//! Coordinates are metres in a local east/north frame; [`Lattice::to_lonlat`] maps them
//! to WGS84 with a local equirectangular projection (an affine map, so tiling and
//! containment are preserved exactly up to floating-point rounding).

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use gridmap_core::geometry::metres_per_degree;
use rand::Rng;

/// Jittered lattice of village cells.
#[derive(Debug, Clone)]
pub(crate) struct Lattice {
    pub(crate) cols: usize,
    pub(crate) rows: usize,
    pub(crate) cell: f64,
    /// `(cols + 1) × (rows + 1)` corners, index `j * (cols + 1) + i`.
    corners: Vec<Coord<f64>>,
    /// Midpoints of horizontal edges `(i, j) → (i + 1, j)`, index `j * cols + i`.
    hmid: Vec<[Coord<f64>; EDGE_POINTS]>,
    /// Midpoints of vertical edges `(i, j) → (i, j + 1)`, index `j * (cols + 1) + i`.
    vmid: Vec<[Coord<f64>; EDGE_POINTS]>,
    origin: Coord<f64>,
    m_per_deg: (f64, f64),
}

const CORNER_JITTER: f64 = 0.18;
const MID_JITTER: f64 = 0.06;
/// Points inside every cell edge (at 1/4, 1/2 and 3/4), pushed sideways.
const EDGE_POINTS: usize = 3;

/// Points at 1/4, 1/2, 3/4 from `a` to `b`, each pushed perpendicular to the edge by a
/// random amount (largest in the middle), so edges wiggle like field boundaries.
fn edge_points(
    a: Coord<f64>,
    b: Coord<f64>,
    cell: f64,
    rng: &mut impl Rng,
) -> [Coord<f64>; EDGE_POINTS] {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt().max(f64::MIN_POSITIVE);
    let (nx, ny) = (-dy / len, dx / len);
    [(0.25, 0.5), (0.5, 1.0), (0.75, 0.5)].map(|(t, amp)| {
        let off = rng.gen_range(-MID_JITTER..MID_JITTER) * amp * cell;
        Coord {
            x: a.x + dx * t + nx * off,
            y: a.y + dy * t + ny * off,
        }
    })
}

impl Lattice {
    pub(crate) fn new(
        cols: usize,
        rows: usize,
        cell: f64,
        centre: Coord<f64>,
        rng: &mut impl Rng,
    ) -> Lattice {
        let mut corners = Vec::with_capacity((cols + 1) * (rows + 1));
        for j in 0..=rows {
            for i in 0..=cols {
                let jx = if i == 0 || i == cols {
                    0.0
                } else {
                    rng.gen_range(-CORNER_JITTER..CORNER_JITTER)
                };
                let jy = if j == 0 || j == rows {
                    0.0
                } else {
                    rng.gen_range(-CORNER_JITTER..CORNER_JITTER)
                };
                corners.push(Coord {
                    x: (i as f64 + jx) * cell,
                    y: (j as f64 + jy) * cell,
                });
            }
        }
        let corner = |i: usize, j: usize| {
            corners
                .get(j * (cols + 1) + i)
                .copied()
                .expect("corner index in range")
        };
        let mut hmid = Vec::with_capacity(cols * (rows + 1));
        for j in 0..=rows {
            for i in 0..cols {
                hmid.push(edge_points(corner(i, j), corner(i + 1, j), cell, rng));
            }
        }
        let mut vmid = Vec::with_capacity((cols + 1) * rows);
        for j in 0..rows {
            for i in 0..=cols {
                vmid.push(edge_points(corner(i, j), corner(i, j + 1), cell, rng));
            }
        }
        let m_per_deg = metres_per_degree(centre.y);
        let origin = Coord {
            x: centre.x - cols as f64 * cell / 2.0 / m_per_deg.0,
            y: centre.y - rows as f64 * cell / 2.0 / m_per_deg.1,
        };
        Lattice {
            cols,
            rows,
            cell,
            corners,
            hmid,
            vmid,
            origin,
            m_per_deg,
        }
    }

    fn corner(&self, i: usize, j: usize) -> Coord<f64> {
        self.corners
            .get(j * (self.cols + 1) + i)
            .copied()
            .expect("corner index in range")
    }

    /// Inner points of the horizontal edge `(i, j) → (i + 1, j)`, west to east.
    fn h(&self, i: usize, j: usize) -> [Coord<f64>; EDGE_POINTS] {
        self.hmid
            .get(j * self.cols + i)
            .copied()
            .expect("edge index in range")
    }

    /// Inner points of the vertical edge `(i, j) → (i, j + 1)`, south to north.
    fn v(&self, i: usize, j: usize) -> [Coord<f64>; EDGE_POINTS] {
        self.vmid
            .get(j * (self.cols + 1) + i)
            .copied()
            .expect("edge index in range")
    }

    /// Counter-clockwise ring (metres, closed) around the block of cells
    /// `c0..c1 × r0..r1`.
    pub(crate) fn block_ring(&self, c0: usize, c1: usize, r0: usize, r1: usize) -> Vec<Coord<f64>> {
        let mut ring = Vec::new();
        for i in c0..c1 {
            ring.push(self.corner(i, r0));
            ring.extend(self.h(i, r0));
        }
        for j in r0..r1 {
            ring.push(self.corner(c1, j));
            ring.extend(self.v(c1, j));
        }
        for i in (c0..c1).rev() {
            ring.push(self.corner(i + 1, r1));
            ring.extend(self.h(i, r1).into_iter().rev());
        }
        for j in (r0..r1).rev() {
            ring.push(self.corner(c0, j + 1));
            ring.extend(self.v(c0, j).into_iter().rev());
        }
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        ring
    }

    /// The ring of cell `(i, j)` in metres (4 corners, 3 points per edge).
    pub(crate) fn cell_ring(&self, i: usize, j: usize) -> Vec<Coord<f64>> {
        self.block_ring(i, i + 1, j, j + 1)
    }

    /// Centre of cell `(i, j)` (mean of its corners), metres.
    pub(crate) fn cell_centre(&self, i: usize, j: usize) -> Coord<f64> {
        let cs = [
            self.corner(i, j),
            self.corner(i + 1, j),
            self.corner(i + 1, j + 1),
            self.corner(i, j + 1),
        ];
        Coord {
            x: cs.iter().map(|c| c.x).sum::<f64>() / 4.0,
            y: cs.iter().map(|c| c.y).sum::<f64>() / 4.0,
        }
    }

    /// The polyline along lattice row line `j` (west → east) or column line `i`
    /// (south → north), metres: the shared boundary of neighbouring villages.
    pub(crate) fn row_line(&self, j: usize) -> Vec<Coord<f64>> {
        let mut line: Vec<Coord<f64>> = (0..self.cols)
            .flat_map(|i| std::iter::once(self.corner(i, j)).chain(self.h(i, j)))
            .collect();
        line.push(self.corner(self.cols, j));
        line
    }

    pub(crate) fn col_line(&self, i: usize) -> Vec<Coord<f64>> {
        let mut line: Vec<Coord<f64>> = (0..self.rows)
            .flat_map(|j| std::iter::once(self.corner(i, j)).chain(self.v(i, j)))
            .collect();
        line.push(self.corner(i, self.rows));
        line
    }

    /// Local metres → WGS84 lon/lat.
    pub(crate) fn to_lonlat(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.origin.x + c.x / self.m_per_deg.0,
            y: self.origin.y + c.y / self.m_per_deg.1,
        }
    }

    /// A closed metre ring as a WGS84 multipolygon.
    pub(crate) fn shape(&self, ring: &[Coord<f64>]) -> MultiPolygon<f64> {
        let ls = LineString(ring.iter().map(|c| self.to_lonlat(*c)).collect());
        MultiPolygon(vec![Polygon::new(ls, vec![])])
    }
}

/// Whether `p` lies strictly inside the closed ring `ring` (crossing number).
pub(crate) fn point_in_ring(p: Coord<f64>, ring: &[Coord<f64>]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let &[a, b] = w else { continue };
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};
    use rand::SeedableRng;

    #[test]
    fn cells_tile_the_county_exactly() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let l = Lattice::new(4, 3, 1000.0, Coord { x: 0.0, y: 0.0 }, &mut rng);
        let poly = |r: Vec<Coord<f64>>| Polygon::new(LineString(r), vec![]);
        let county = poly(l.block_ring(0, 4, 0, 3));
        let mut sum = 0.0;
        for j in 0..3 {
            for i in 0..4 {
                let c = poly(l.cell_ring(i, j));
                sum += c.unsigned_area();
                assert!(c.signed_area() > 0.0, "cell rings are counter-clockwise");
                if i + 1 < 4 {
                    assert!(c.intersection(&poly(l.cell_ring(i + 1, j))).unsigned_area() < 1e-6);
                }
            }
        }
        assert!((sum - county.unsigned_area()).abs() < 1e-3);
    }
}
