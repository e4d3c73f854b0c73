//! Grid polygons from the Voronoi diagram without generic unions.
//!
//! A grid's region is the union of its sites' Voronoi cells. Walking each cell
//! counter-clockwise, a cell side whose neighbour lies in another grid (or is a frame
//! point) is on the grid's boundary; sides between two cells of the same grid cancel
//! (shared-edge elimination). Boundary sides are joined into rings by their Voronoi
//! vertex ids (integers, so no floating-point matching): counter-clockwise rings are
//! shells, clockwise rings holes. Only grids whose bounding box meets the clip boundary
//! (village outline minus locked grids) go through a boolean intersection; the others
//! lie inside and are kept as built.

use super::graph::{segments_cross, Graph, Seg, FRAME};
use super::state::NONE;
use crate::geometry::planar_perimeter;
use geo::{Area, BooleanOps, BoundingRect, Contains};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashMap;

/// The region grids must tile, in local metres, with an index of its boundary.
pub(crate) struct ClipRegion {
    pub shape: MultiPolygon<f64>,
    pub edges: RTree<Seg>,
}

impl ClipRegion {
    pub(crate) fn new(shape: MultiPolygon<f64>) -> ClipRegion {
        let mut segs = Vec::new();
        for poly in &shape.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for l in ring.lines() {
                    segs.push(Seg([l.start.x, l.start.y], [l.end.x, l.end.y]));
                }
            }
        }
        ClipRegion {
            shape,
            edges: RTree::bulk_load(segs),
        }
    }

    /// Whether `p` lies inside the region (even-odd ray cast eastwards over the indexed
    /// boundary edges).
    pub(crate) fn contains_point(&self, p: [f64; 2]) -> bool {
        let env = AABB::from_corners([p[0], p[1]], [f64::MAX, p[1]]);
        let mut inside = false;
        for s in self.edges.locate_in_envelope_intersecting(&env) {
            let (a, b) = (s.0, s.1);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if x > p[0] {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Whether segment `ab` crosses an edge of the region's boundary (so a segment with
    /// both ends outside still has a part inside).
    pub(crate) fn crosses_segment(&self, a: [f64; 2], b: [f64; 2]) -> bool {
        let env = AABB::from_corners(a, b);
        self.edges
            .locate_in_envelope_intersecting(&env)
            .any(|s| segments_cross(a, b, s.0, s.1))
    }

    /// `shape ∩ region`, skipping the boolean operation when the shape's box meets no
    /// boundary edge (then it is entirely inside or entirely outside).
    pub(crate) fn clip(&self, shape: MultiPolygon<f64>) -> MultiPolygon<f64> {
        let Some(r) = shape.bounding_rect() else {
            return shape;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        if self
            .edges
            .locate_in_envelope_intersecting(&env)
            .next()
            .is_none()
        {
            let probe = shape
                .0
                .first()
                .and_then(|p| p.exterior().0.first().copied());
            return match probe {
                Some(c) if self.shape.contains(&Point::from(c)) => shape,
                _ => MultiPolygon(vec![]),
            };
        }
        // Cut far-reaching cells down to the region's box first (exact enough, and it
        // keeps coordinates small so the boolean operation snaps to a finer grid).
        let shape = match self.shape.bounding_rect() {
            Some(b)
                if !(b.min().x <= r.min().x
                    && b.min().y <= r.min().y
                    && b.max().x >= r.max().x
                    && b.max().y >= r.max().y) =>
            {
                let pad = 1.0 + 1e-3 * (b.width() + b.height());
                clip_to_box(
                    &shape,
                    [b.min().x - pad, b.min().y - pad],
                    [b.max().x + pad, b.max().y + pad],
                )
            }
            _ => shape,
        };
        shape.intersection(&self.shape)
    }
}

/// Sutherland–Hodgman clip of every ring against an axis-aligned box. Rings of a valid
/// polygon clipped against a convex window keep the area right (edges may run along the
/// window; the boolean operation that follows cleans them).
fn clip_to_box(shape: &MultiPolygon<f64>, lo: [f64; 2], hi: [f64; 2]) -> MultiPolygon<f64> {
    let clip_ring = |ring: &LineString<f64>| -> Option<LineString<f64>> {
        let mut pts: Vec<Coord<f64>> = ring.0.clone();
        if pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        // (axis, bound, keep-below)
        for (axis, bound, below) in [
            (0, lo[0], false),
            (0, hi[0], true),
            (1, lo[1], false),
            (1, hi[1], true),
        ] {
            if pts.is_empty() {
                break;
            }
            let val = |c: &Coord<f64>| if axis == 0 { c.x } else { c.y };
            let inside = |c: &Coord<f64>| {
                if below {
                    val(c) <= bound
                } else {
                    val(c) >= bound
                }
            };
            let mut out = Vec::with_capacity(pts.len() + 4);
            for i in 0..pts.len() {
                let a = pts[i];
                let b = pts[(i + 1) % pts.len()];
                let (ia, ib) = (inside(&a), inside(&b));
                if ia {
                    out.push(a);
                }
                if ia != ib {
                    let t = (bound - val(&a)) / (val(&b) - val(&a));
                    let c = Coord {
                        x: a.x + t * (b.x - a.x),
                        y: a.y + t * (b.y - a.y),
                    };
                    out.push(if axis == 0 {
                        Coord { x: bound, y: c.y }
                    } else {
                        Coord { x: c.x, y: bound }
                    });
                }
            }
            pts = out;
        }
        if pts.len() < 3 {
            return None;
        }
        pts.push(pts[0]);
        Some(LineString(pts))
    };
    MultiPolygon(
        shape
            .0
            .iter()
            .filter_map(|p| {
                let ext = clip_ring(p.exterior())?;
                Some(Polygon::new(
                    ext,
                    p.interiors().iter().filter_map(&clip_ring).collect(),
                ))
            })
            .collect(),
    )
}

fn signed_area(ring: &[Coord<f64>]) -> f64 {
    let mut a = 0.0;
    for w in ring.windows(2) {
        a += w[0].x * w[1].y - w[1].x * w[0].y;
    }
    a / 2.0
}

/// Unclipped union of Voronoi cells for every part, indexed by part.
pub(crate) fn part_shapes(g: &Graph, part: &[u32], n_parts: usize) -> Vec<MultiPolygon<f64>> {
    // (part, from, to) for every cell side on a part boundary.
    let mut edges: Vec<(u32, u32, u32)> = Vec::new();
    for (u, &p) in part.iter().enumerate() {
        if p == NONE {
            continue;
        }
        for s in g.sides_of(u) {
            let other = if s.nbr == FRAME {
                NONE
            } else {
                part[s.nbr as usize]
            };
            if other != p {
                edges.push((p, s.from, s.to));
            }
        }
    }
    edges.sort_unstable();
    let mut out = vec![MultiPolygon(vec![]); n_parts];
    let mut i = 0;
    while i < edges.len() {
        let p = edges[i].0;
        let mut j = i;
        while j < edges.len() && edges[j].0 == p {
            j += 1;
        }
        if let Some(slot) = out.get_mut(p as usize) {
            *slot = rings_to_shape(g, &edges[i..j]);
        }
        i = j;
    }
    out
}

fn rings_to_shape(g: &Graph, edges: &[(u32, u32, u32)]) -> MultiPolygon<f64> {
    let mut next: HashMap<u32, Vec<usize>> = HashMap::with_capacity(edges.len());
    for (k, e) in edges.iter().enumerate() {
        next.entry(e.1).or_default().push(k);
    }
    let mut used = vec![false; edges.len()];
    let vertex = |f: u32| {
        let v = g.vertices.get(f as usize).copied().unwrap_or_default();
        Coord { x: v[0], y: v[1] }
    };
    let mut shells: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut holes: Vec<Vec<Coord<f64>>> = Vec::new();
    for k0 in 0..edges.len() {
        if used[k0] {
            continue;
        }
        let mut ring: Vec<Coord<f64>> = Vec::new();
        let mut k = k0;
        loop {
            used[k] = true;
            let (_, from, to) = edges[k];
            let c = vertex(from);
            if ring.last() != Some(&c) {
                ring.push(c);
            }
            let cont = next
                .get(&to)
                .and_then(|ks| ks.iter().copied().find(|&x| !used[x]));
            match cont {
                Some(x) => k = x,
                None => break,
            }
        }
        if let Some(&first) = ring.first() {
            if ring.last() == Some(&first) && ring.len() > 1 {
                ring.pop();
            }
            ring.push(first);
        }
        if ring.len() < 4 {
            continue;
        }
        let a = signed_area(&ring);
        if a > 0.0 {
            shells.push(ring);
        } else if a < 0.0 {
            holes.push(ring);
        }
    }
    let mut polys: Vec<(Polygon<f64>, Vec<LineString<f64>>)> = shells
        .into_iter()
        .map(|s| (Polygon::new(LineString(s), vec![]), Vec::new()))
        .collect();
    for h in holes {
        let probe = Point::from(h[0]);
        let idx = if polys.len() == 1 {
            Some(0)
        } else {
            polys.iter().position(|(p, _)| {
                p.contains(&probe) || h.iter().skip(1).any(|c| p.contains(&Point::from(*c)))
            })
        };
        if let Some(i) = idx {
            polys[i].1.push(LineString(h));
        }
    }
    MultiPolygon(
        polys
            .into_iter()
            .map(|(p, hs)| {
                let (ext, _) = p.into_inner();
                Polygon::new(ext, hs)
            })
            .collect(),
    )
}

/// An R-tree of the boxes of `shapes`, each pointing at its index.
pub(crate) fn shape_boxes(
    shapes: &[MultiPolygon<f64>],
) -> RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> {
    RTree::bulk_load(
        shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let r = s.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect(),
    )
}

/// The non-empty shape other than `skip` closest to `piece` (by distance).
fn nearest_shape(
    shapes: &[MultiPolygon<f64>],
    skip: usize,
    piece: &MultiPolygon<f64>,
) -> Option<usize> {
    use geo::{Distance, Euclidean};
    shapes
        .iter()
        .enumerate()
        .filter(|(q, s)| *q != skip && !s.0.is_empty())
        .map(|(q, s)| (Euclidean.distance(s, piece), q))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|x| x.1)
}

/// Hands pieces of a grid polygon that hold none of its sites (a cell cut in two by a
/// concave outline or a locked grid) to the neighbouring grid sharing the longest
/// border with the piece. Returns how many pieces moved.
pub(crate) fn absorb_strays(shapes: &mut [MultiPolygon<f64>], sites: &[Vec<[f64; 2]>]) -> usize {
    let mut moved = 0;
    // Neighbour candidates through an R-tree of the shapes' boxes (boxes only shrink
    // while pieces leave; shapes that grow are tracked in `grown`).
    let boxes = shape_boxes(shapes);
    let mut grown: Vec<usize> = Vec::new();
    for p in 0..shapes.len() {
        let siteless = sites.get(p).is_none_or(|s| s.is_empty());
        if shapes[p].0.is_empty() || (shapes[p].0.len() <= 1 && !siteless) {
            continue;
        }
        let pieces = std::mem::take(&mut shapes[p].0);
        let counts: Vec<usize> = pieces
            .iter()
            .map(|piece| {
                sites.get(p).map_or(0, |s| {
                    s.iter()
                        .filter(|c| piece.contains(&Point::new(c[0], c[1])))
                        .count()
                })
            })
            .collect();
        // A grid none of whose pieces holds a site (its buildings all stand in cut-out
        // footprints) keeps its largest piece rather than vanish.
        let mut counts = counts;
        if counts.iter().all(|&c| c == 0) {
            if let Some(largest) = (0..pieces.len()).max_by(|&a, &b| {
                pieces[a]
                    .unsigned_area()
                    .total_cmp(&pieces[b].unsigned_area())
            }) {
                counts[largest] = 1;
            }
        }
        let mut keep = Vec::new();
        for (piece, count) in pieces.into_iter().zip(counts) {
            if count > 0 {
                keep.push(piece);
                continue;
            }
            let stray = MultiPolygon(vec![piece]);
            let Some(sb) = stray.bounding_rect() else {
                continue;
            };
            let sp = planar_perimeter(&stray);
            let mut best: Option<(f64, usize, MultiPolygon<f64>)> = None;
            let env = AABB::from_corners([sb.min().x, sb.min().y], [sb.max().x, sb.max().y]);
            let mut cands: Vec<usize> = boxes
                .locate_in_envelope_intersecting(&env)
                .map(|b| b.data)
                .chain(grown.iter().copied())
                .collect();
            cands.sort_unstable();
            cands.dedup();
            for q in cands {
                let shape = &shapes[q];
                if q == p || shape.0.is_empty() {
                    continue;
                }
                let u = shape.union(&stray);
                if u.0.len() > shape.0.len() {
                    continue;
                }
                let shared = (sp + planar_perimeter(shape) - planar_perimeter(&u)) / 2.0;
                if shared > 1e-6 && best.as_ref().is_none_or(|b| shared > b.0) {
                    best = Some((shared, q, u));
                }
            }
            if best.is_none() && siteless {
                // A piece of no grid at all (an empty barrier zone touching grids only
                // at corners): it goes to the nearest grid, even if that leaves the grid
                // in pieces, rather than leaving a gap.
                best = nearest_shape(shapes, p, &stray).map(|q| (0.0, q, shapes[q].union(&stray)));
            }
            match best {
                Some((_, q, u)) => {
                    shapes[q] = u;
                    grown.push(q);
                    moved += 1;
                }
                None => keep.extend(stray.0),
            }
        }
        shapes[p].0 = keep;
    }
    moved
}
