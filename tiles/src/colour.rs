//! Map colouring of grids, so that grids sharing a boundary never share a colour.
//!
//! # Algorithm
//! *Adjacency*: every ring edge of every grid goes into one R-tree (rstar, bulk
//! loaded). For each edge, the edges of other grids whose boxes meet it are tested for
//! collinear overlap: both end points within `EPS` of the edge's line, then the
//! overlap length of their projections. Two grids are adjacent when their overlapping
//! boundary is longer than `MIN_SHARED` (so touching at a corner does not count).
//!
//! *Colouring*: DSatur (Brélaz 1979). Repeatedly pick the uncoloured grid whose
//! neighbours already use the most distinct colours (ties: more neighbours, then the
//! lower index) and give it the smallest colour none of its neighbours has. The result
//! depends only on the input order, so it is deterministic. Grid maps are planar, so
//! DSatur typically needs 4–6 colours.
//!
//! # Complexity
//! Adjacency O(E log E) for E edges; DSatur O((V + A) log V) for A adjacencies.
//!
//! # Examples
//! ```
//! use gridmap_tiles::colour::colour_graph;
//! // A triangle needs three colours.
//! let colours = colour_graph(&[vec![1, 2], vec![0, 2], vec![0, 1]]);
//! assert_eq!(colours.len(), 3);
//! assert!(colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2]);
//! ```

use crate::encode::WorldShape;
use rstar::{RTree, RTreeObject, AABB};
use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};

/// Distance (world units, ≈ 4 cm at the equator) within which boundaries coincide.
const EPS: f64 = 1e-9;
/// Shared boundary length (world units, ≈ 0.4 m) above which grids are adjacent.
const MIN_SHARED: f64 = 1e-8;

struct Edge {
    a: [f64; 2],
    b: [f64; 2],
    owner: u32,
    /// The segment's box, computed once: bulk loading asks for it in every
    /// comparison of its sorts.
    env: AABB<[f64; 2]>,
}

impl RTreeObject for Edge {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// The neighbours of each shape: shapes whose boundaries overlap along a segment.
/// Lists are sorted and free of duplicates.
pub fn grid_adjacency<S: Borrow<WorldShape>>(shapes: &[S]) -> Vec<Vec<usize>> {
    let mut edges = Vec::new();
    for (owner, shape) in shapes.iter().enumerate() {
        let owner = u32::try_from(owner).unwrap_or(u32::MAX);
        for poly in &shape.borrow().polygons {
            for ring in &poly.rings {
                for (i, &a) in ring.iter().enumerate() {
                    let b = ring.get(i + 1).or(ring.first()).copied().unwrap_or(a);
                    if a != b {
                        let env = AABB::from_corners(a, b);
                        edges.push(Edge { a, b, owner, env });
                    }
                }
            }
        }
    }
    let tree = RTree::bulk_load(edges);
    let mut shared: HashMap<(u32, u32), f64> = HashMap::new();
    for e in tree.iter() {
        let env = AABB::from_corners(
            [e.a[0].min(e.b[0]) - EPS, e.a[1].min(e.b[1]) - EPS],
            [e.a[0].max(e.b[0]) + EPS, e.a[1].max(e.b[1]) + EPS],
        );
        for f in tree.locate_in_envelope_intersecting(&env) {
            if f.owner <= e.owner {
                continue; // each unordered pair of edges once
            }
            let len = overlap(e, f);
            if len > 0.0 {
                *shared.entry((e.owner, f.owner)).or_default() += len;
            }
        }
    }
    let mut adj = vec![Vec::new(); shapes.len()];
    for (&(i, j), &len) in &shared {
        if len > MIN_SHARED {
            let (i, j) = (i as usize, j as usize);
            if let Some(l) = adj.get_mut(i) {
                l.push(j);
            }
            if let Some(l) = adj.get_mut(j) {
                l.push(i);
            }
        }
    }
    for l in &mut adj {
        l.sort_unstable();
        l.dedup();
    }
    adj
}

/// Length of the collinear overlap of two segments (0 when not collinear).
fn overlap(e: &Edge, f: &Edge) -> f64 {
    let d = [e.b[0] - e.a[0], e.b[1] - e.a[1]];
    let len = d[0].hypot(d[1]);
    if len == 0.0 {
        return 0.0;
    }
    let u = [d[0] / len, d[1] / len];
    let side = |p: [f64; 2]| ((p[0] - e.a[0]) * u[1] - (p[1] - e.a[1]) * u[0]).abs();
    if side(f.a) > EPS || side(f.b) > EPS {
        return 0.0;
    }
    let along = |p: [f64; 2]| (p[0] - e.a[0]) * u[0] + (p[1] - e.a[1]) * u[1];
    let (s, t) = (along(f.a), along(f.b));
    (s.max(t).min(len) - s.min(t).max(0.0)).max(0.0)
}

/// DSatur colouring of a graph given as neighbour lists; colours are `0..k`.
/// Neighbour indices out of range are ignored.
pub fn colour_graph(adjacency: &[Vec<usize>]) -> Vec<u32> {
    use std::cmp::Reverse;
    let n = adjacency.len();
    let mut colour: Vec<Option<u32>> = vec![None; n];
    // Sorted distinct colours among each vertex's coloured neighbours.
    let mut seen: Vec<Vec<u32>> = vec![Vec::new(); n];
    // Key: (saturation, degree, Reverse(index)); the largest is picked next.
    let mut queue: BTreeSet<(usize, usize, Reverse<usize>)> = adjacency
        .iter()
        .enumerate()
        .map(|(i, ns)| (0, ns.len(), Reverse(i)))
        .collect();
    while let Some((_, _, Reverse(v))) = queue.pop_last() {
        let mut c = 0u32;
        for &u in seen.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if u == c {
                c += 1;
            } else if u > c {
                break;
            }
        }
        if let Some(slot) = colour.get_mut(v) {
            *slot = Some(c);
        }
        for &w in adjacency.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if colour.get(w).copied().flatten().is_some() {
                continue;
            }
            let (Some(list), Some(degree)) = (seen.get_mut(w), adjacency.get(w).map(Vec::len))
            else {
                continue;
            };
            if let Err(pos) = list.binary_search(&c) {
                queue.remove(&(list.len(), degree, Reverse(w)));
                list.insert(pos, c);
                queue.insert((list.len(), degree, Reverse(w)));
            }
        }
    }
    colour.into_iter().map(|c| c.unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon};

    fn square(x: f64, y: f64) -> WorldShape {
        let p = polygon![(x: x, y: y), (x: x + 0.001, y: y), (x: x + 0.001, y: y + 0.001), (x: x, y: y + 0.001)];
        WorldShape::from_lonlat(&MultiPolygon(vec![p]))
    }

    #[test]
    fn squares_sharing_a_side_are_adjacent_but_corner_touching_ones_are_not() {
        let shapes = [square(0.0, 0.0), square(0.001, 0.0), square(0.002, 0.001)];
        let adj = grid_adjacency(&shapes);
        assert_eq!(adj[0], vec![1]);
        assert_eq!(adj[1], vec![0]); // 1 and 2 touch only at a corner
        assert!(adj[2].is_empty());
    }

    #[test]
    fn partially_shared_sides_count() {
        // Second square shifted half a side up: still shares half a side.
        let shapes = [square(0.0, 0.0), square(0.001, 0.0005)];
        assert_eq!(grid_adjacency(&shapes)[0], vec![1]);
    }

    #[test]
    fn chessboard_gets_two_colours_and_no_neighbours_share_one() {
        let shapes: Vec<WorldShape> = (0..6)
            .flat_map(|i| (0..6).map(move |j| square(f64::from(i) * 0.001, f64::from(j) * 0.001)))
            .collect();
        let adj = grid_adjacency(&shapes);
        let colours = colour_graph(&adj);
        for (v, ns) in adj.iter().enumerate() {
            assert!(!ns.is_empty());
            for &w in ns {
                assert_ne!(colours[v], colours[w]);
            }
        }
        assert_eq!(colours.iter().max(), Some(&1));
    }

    #[test]
    fn a_brick_wall_needs_three_colours_and_gets_no_more_than_four() {
        // Rows offset by half a brick: each brick meets two above and two below.
        let mut shapes = Vec::new();
        for row in 0..8 {
            for col in 0..8 {
                let x = f64::from(col) * 0.002 + if row % 2 == 1 { 0.001 } else { 0.0 };
                let y = f64::from(row) * 0.001;
                let p = polygon![(x: x, y: y), (x: x + 0.002, y: y), (x: x + 0.002, y: y + 0.001), (x: x, y: y + 0.001)];
                shapes.push(WorldShape::from_lonlat(&MultiPolygon(vec![p])));
            }
        }
        let adj = grid_adjacency(&shapes);
        assert_eq!(adj[9 + 8].len(), 6, "an inner brick has six neighbours");
        let colours = colour_graph(&adj);
        for (v, ns) in adj.iter().enumerate() {
            for &w in ns {
                assert_ne!(colours[v], colours[w]);
            }
        }
        let k = colours.iter().max().unwrap() + 1;
        assert!((3..=4).contains(&k), "{k} colours");
    }

    #[test]
    fn colouring_is_deterministic() {
        let adj = vec![vec![1, 2, 3], vec![0, 2], vec![0, 1, 3], vec![0, 2]];
        assert_eq!(colour_graph(&adj), colour_graph(&adj));
    }
}
