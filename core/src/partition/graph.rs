//! The neighbour graph of one village: the Delaunay triangulation of the sites (spade),
//! its dual Voronoi diagram (faces' circumcentres), barrier and length filters, and the
//! connected components that become independent sub-problems.
//!
//! Eight far "frame" points around the village make every real site an interior
//! vertex, so every real Voronoi cell is bounded and every face next to a real site is
//! an inner face.

use super::polygon::ClipRegion;
use super::PartitionParams;
use rstar::{RTree, RTreeObject, AABB};
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

/// Sentinel neighbour id for a frame point.
pub(crate) const FRAME: u32 = u32::MAX;

/// One directed Delaunay edge out of a site, i.e. one side of its Voronoi cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    /// Neighbouring site or [`FRAME`].
    pub nbr: u32,
    /// Voronoi vertex (face id) where this side starts, walking the cell counter-clockwise.
    pub from: u32,
    /// Voronoi vertex where it ends.
    pub to: u32,
    /// Length of the Voronoi side in metres.
    pub vlen: f64,
    /// Length of the part of the side within [`SETTLED_REACH_M`] of its two sites (the
    /// border between their settled parts); 0 for frame sides. Compaction measures
    /// borders by this, so the far sides of cells at a settlement's edge (wedges of
    /// empty land out to the village boundary) do not decide which buildings form a
    /// grid; the land itself still goes to the grid of the nearest building.
    pub slen: f64,
    /// Usable for grid contiguity: real neighbour, positive side length, no barrier,
    /// not longer than the link cap (unless re-enabled to join a small component).
    pub active: bool,
}

/// How far from a building's point its grid's border counts for compactness (metres):
/// about half a building plus the settled part's buffer around it.
pub(crate) const SETTLED_REACH_M: f64 = 2.0 * super::assemble::SETTLED_BUFFER_M;

/// Length of the Voronoi side `ab` of sites `pu`, `pw` (on their bisector) lying within
/// `reach` of them: points of the bisector at distance `t` from the sites' midpoint lie
/// `sqrt(d²/4 + t²)` from both.
fn settled_length(a: [f64; 2], b: [f64; 2], pu: [f64; 2], pw: [f64; 2], reach: f64) -> f64 {
    let (dx, dy) = (pw[0] - pu[0], pw[1] - pu[1]);
    let d2 = dx * dx + dy * dy;
    let h2 = reach * reach - d2 / 4.0;
    if h2 <= 0.0 || d2 <= 0.0 {
        return 0.0;
    }
    let h = h2.sqrt();
    let len = d2.sqrt();
    // Unit direction of the bisector, and the midpoint.
    let (ux, uy) = (-dy / len, dx / len);
    let m = [(pu[0] + pw[0]) / 2.0, (pu[1] + pw[1]) / 2.0];
    let ta = (a[0] - m[0]) * ux + (a[1] - m[1]) * uy;
    let tb = (b[0] - m[0]) * ux + (b[1] - m[1]) * uy;
    (ta.max(tb).min(h) - ta.min(tb).max(-h)).max(0.0)
}

/// The village's graph in CSR form.
#[derive(Debug)]
pub(crate) struct Graph {
    pub start: Vec<usize>,
    pub sides: Vec<Side>,
    /// Voronoi vertices (face circumcentres) in local metres, by face id.
    pub vertices: Vec<[f64; 2]>,
    /// Component (sub-problem) of each site.
    pub comp: Vec<u32>,
    pub n_comp: usize,
    /// Mean Delaunay link length between real sites (metres), a length scale.
    pub mean_link: f64,
}

impl Graph {
    pub(crate) fn sides_of(&self, u: usize) -> &[Side] {
        let a = self.start.get(u).copied().unwrap_or(0);
        let b = self.start.get(u + 1).copied().unwrap_or(a);
        self.sides.get(a..b).unwrap_or(&[])
    }

    /// Active neighbours of `u`.
    pub(crate) fn nbrs(&self, u: usize) -> impl Iterator<Item = usize> + '_ {
        self.sides_of(u)
            .iter()
            .filter(|s| s.active)
            .map(|s| s.nbr as usize)
    }
}

#[derive(Clone, Copy)]
struct Pt {
    p: Point2<f64>,
}

impl HasPosition for Pt {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.p
    }
}

/// A barrier segment in local metres for the R-tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg(pub [f64; 2], pub [f64; 2]);

impl RTreeObject for Seg {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.0, self.1)
    }
}

/// The distance between two points in local metres. `f64::hypot` guards against
/// overflow that coordinates of a village never come near, at several times the cost,
/// and the graph measures every side of every cell.
fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    (dx * dx + dy * dy).sqrt()
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

/// Whether segments `ab` and `cd` cross or touch.
pub(crate) fn segments_cross(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let d1 = orient(c, d, a);
    let d2 = orient(c, d, b);
    let d3 = orient(a, b, c);
    let d4 = orient(a, b, d);
    (d1 * d2 <= 0.0) && (d3 * d4 <= 0.0) && !(d1 == 0.0 && d2 == 0.0 && d3 == 0.0 && d4 == 0.0)
}

/// Triangulates `pos` (distinct, finite) and builds the graph. `barriers` are segments
/// in local metres; `weights` are site households (for joining small components).
pub(crate) fn build(
    pos: &[[f64; 2]],
    weights: &[u32],
    barriers: &RTree<Seg>,
    clip: &ClipRegion,
    params: &PartitionParams,
) -> Result<Graph, spade::InsertionError> {
    let n = pos.len();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in pos {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    // The frame must surround the whole region to tile, not only the sites.
    if let Some(r) = geo::BoundingRect::bounding_rect(&clip.shape) {
        x0 = x0.min(r.min().x);
        y0 = y0.min(r.min().y);
        x1 = x1.max(r.max().x);
        y1 = y1.max(r.max().y);
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let r = ((x1 - x0).hypot(y1 - y0)).max(params.frame_m) * 4.0;
    let mut pts: Vec<Pt> = pos
        .iter()
        .map(|p| Pt {
            p: Point2::new(p[0], p[1]),
        })
        .collect();
    for i in 0..8 {
        let a = f64::from(i) * std::f64::consts::FRAC_PI_4 + 0.1;
        pts.push(Pt {
            p: Point2::new(cx + r * a.cos(), cy + r * a.sin()),
        });
    }
    let tri = DelaunayTriangulation::<Pt>::bulk_load_stable(pts)?;

    let mut vertices = vec![[0.0, 0.0]; tri.num_all_faces()];
    for f in tri.inner_faces() {
        let c = f.circumcenter();
        if let Some(v) = vertices.get_mut(f.fix().index()) {
            *v = [c.x, c.y];
        }
    }
    // Whether each Voronoi vertex lies in the village, computed once per vertex (each
    // side is met from both of its cells).
    let mut vertex_inside: Vec<Option<bool>> = vec![None; vertices.len()];
    let mut inside = |f: u32, at: [f64; 2]| match vertex_inside.get(f as usize).copied().flatten() {
        Some(known) => known,
        None => {
            let known = clip.contains_point(at);
            if let Some(slot) = vertex_inside.get_mut(f as usize) {
                *slot = Some(known);
            }
            known
        }
    };
    let mut start = Vec::with_capacity(n + 1);
    let mut sides = Vec::with_capacity(n * 6);
    let mut link_sum = 0.0;
    let mut link_n = 0usize;
    let mut link_active: Vec<Option<bool>> = vec![None; tri.num_undirected_edges()];
    for v in tri.vertices().take(n) {
        start.push(sides.len());
        let u = v.fix().index();
        for e in v.out_edges() {
            let w = e.to().fix().index();
            let from = e.rev().face().fix().index() as u32;
            let to = e.face().fix().index() as u32;
            let a = vertices.get(from as usize).copied().unwrap_or_default();
            let b = vertices.get(to as usize).copied().unwrap_or_default();
            let vlen = distance(a, b);
            let real = w < n;
            let slen = if real {
                settled_length(a, b, pos[u], pos[w], SETTLED_REACH_M)
            } else {
                0.0
            };
            let mut active = real && vlen > 1e-6;
            // Both directions of a link give the same answer: test it once.
            let link = e.as_undirected().index();
            let known = link_active.get(link).copied().flatten();
            let (pu, pw) = (pos[u], pos.get(w).copied().unwrap_or(pos[u]));
            let dlen = distance(pu, pw);
            if real && u < w {
                link_sum += dlen;
                link_n += 1;
            }
            if let Some(known) = known {
                active = known;
            } else if real {
                if active && dlen > params.max_link_m {
                    active = false;
                }
                if active && !(inside(from, a) || inside(to, b) || clip.crosses_segment(a, b)) {
                    // The shared cell side lies outside the village: clipped cells
                    // would not touch.
                    active = false;
                }
                if active {
                    let env = AABB::from_corners(pu, pw);
                    if barriers
                        .locate_in_envelope_intersecting(&env)
                        .any(|s| segments_cross(pu, pw, s.0, s.1))
                    {
                        active = false;
                    }
                }
            }
            if let Some(slot) = link_active.get_mut(link) {
                *slot = Some(active);
            }
            sides.push(Side {
                nbr: if real { w as u32 } else { FRAME },
                from,
                to,
                vlen,
                slen,
                active,
            });
        }
    }
    start.push(sides.len());
    let mut g = Graph {
        start,
        sides,
        vertices,
        comp: vec![0; n],
        n_comp: 0,
        mean_link: if link_n > 0 {
            link_sum / link_n as f64
        } else {
            1.0
        },
    };
    components(&mut g, weights, params);
    Ok(g)
}

impl Graph {
    /// The graph of a region made of some of this graph's sites: `sites[i]` is the site
    /// of this graph that becomes site `i`, `weights` their households. The Voronoi
    /// cells are this graph's, so the region's parts are unions of the same cells; a
    /// side towards a site left out becomes a frame side (the region's border), so
    /// nothing links across it. Components are recomputed within the region; `pos` are
    /// the region's sites' positions, for the mean link length.
    ///
    /// `absorbed` are sites of this graph whose cells the region holds without a site
    /// of its own there (an institution or a tower that are grids of their own at the
    /// region's level): each cell joins the cell of the region's site it shares the
    /// longest side with, always the same one, so it goes with that site. `None` when
    /// one of them touches no site of the region.
    ///
    /// The nested partition cuts a comprehensive grid into micro-grids on the
    /// village's own graph this way instead of triangulating the grid's sites again.
    pub(crate) fn restrict(
        &self,
        sites: &[usize],
        absorbed: &[usize],
        pos: &[[f64; 2]],
        weights: &[u32],
        params: &PartitionParams,
    ) -> Option<Graph> {
        let mut local = vec![FRAME; self.start.len().saturating_sub(1)];
        for (i, &u) in sites.iter().enumerate() {
            if let Some(slot) = local.get_mut(u) {
                *slot = i as u32;
            }
        }
        // Absorbed cells join a neighbour already placed, over their longest side.
        let mut joins: Vec<Vec<usize>> = vec![Vec::new(); sites.len()];
        let mut waiting: Vec<usize> = absorbed.to_vec();
        while !waiting.is_empty() {
            let before = waiting.len();
            waiting.retain(|&v| {
                let best = self
                    .sides_of(v)
                    .iter()
                    .filter(|s| s.nbr != FRAME)
                    .filter_map(|s| {
                        let i = local.get(s.nbr as usize).copied().filter(|&i| i != FRAME)?;
                        Some((s.vlen, i))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
                match best {
                    Some((_, i)) => {
                        local[v] = i;
                        joins[i as usize].push(v);
                        false
                    }
                    None => true,
                }
            });
            if waiting.len() == before {
                return None;
            }
        }
        let mut start = Vec::with_capacity(sites.len() + 1);
        let mut sides = Vec::with_capacity(sites.len() * 6);
        let (mut link_sum, mut link_n) = (0.0, 0usize);
        for (i, &u) in sites.iter().enumerate() {
            start.push(sides.len());
            for &v in std::iter::once(&u).chain(&joins[i]) {
                for s in self.sides_of(v) {
                    let nbr = if s.nbr == FRAME {
                        FRAME
                    } else {
                        local.get(s.nbr as usize).copied().unwrap_or(FRAME)
                    };
                    if nbr == i as u32 {
                        // Between the site's cell and one it absorbed: inside.
                        continue;
                    }
                    if nbr == FRAME {
                        sides.push(Side {
                            nbr,
                            slen: 0.0,
                            active: false,
                            ..*s
                        });
                        continue;
                    }
                    if (i as u32) < nbr {
                        link_sum += distance(pos[i], pos[nbr as usize]);
                        link_n += 1;
                    }
                    sides.push(Side { nbr, ..*s });
                }
            }
        }
        start.push(sides.len());
        let mut g = Graph {
            start,
            sides,
            vertices: self.vertices.clone(),
            comp: vec![0; sites.len()],
            n_comp: 0,
            mean_link: if link_n > 0 {
                link_sum / link_n as f64
            } else {
                self.mean_link
            },
        };
        components(&mut g, weights, params);
        Some(g)
    }
}

/// Sites grouped into small connected clusters, and the graph between the clusters:
/// what a partition with large parts (comprehensive grids) is first cut on, so its
/// refinement moves a cluster where it would move each of a dozen sites.
pub(crate) struct Coarse {
    /// The cluster of each site.
    pub cluster: Vec<u32>,
    /// The clusters' graph: a side per neighbouring cluster, its lengths the sums of
    /// the sites' sides between the two, active where one of those is. No Voronoi
    /// vertices: its parts are drawn from the sites' cells.
    pub graph: Graph,
    /// Households of each cluster.
    pub weights: Vec<u32>,
    /// Mean position of each cluster's sites.
    pub pos: Vec<[f64; 2]>,
}

impl Graph {
    /// Clusters of at most `max_sites` sites and `max_weight` households (a heavier
    /// site alone), each grown breadth first over active links from the first site
    /// (in site order) not yet taken, so clusters are connected, compact and never
    /// cross a component.
    ///
    /// A part made of clusters linked in the cluster graph is connected in this one.
    pub(crate) fn coarsen(
        &self,
        weights: &[u32],
        pos: &[[f64; 2]],
        max_sites: usize,
        max_weight: u32,
    ) -> Coarse {
        let n = weights.len();
        let mut cluster = vec![u32::MAX; n];
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut queue = Vec::new();
        for s in 0..n {
            if cluster[s] != u32::MAX {
                continue;
            }
            let id = members.len() as u32;
            let mut taken = vec![s];
            let mut weight = weights[s];
            cluster[s] = id;
            queue.clear();
            queue.push(s);
            let mut next = 0;
            'grow: while let Some(&x) = queue.get(next) {
                next += 1;
                for y in self.nbrs(x) {
                    if taken.len() >= max_sites || weight >= max_weight {
                        break 'grow;
                    }
                    if cluster[y] != u32::MAX || weight.saturating_add(weights[y]) > max_weight {
                        continue;
                    }
                    cluster[y] = id;
                    weight += weights[y];
                    taken.push(y);
                    queue.push(y);
                }
            }
            members.push(taken);
        }
        let k = members.len();
        let mut coarse_weights = Vec::with_capacity(k);
        let mut coarse_pos = Vec::with_capacity(k);
        let mut comp = Vec::with_capacity(k);
        for taken in &members {
            let (mut x, mut y) = (0.0, 0.0);
            for &u in taken {
                x += pos[u][0];
                y += pos[u][1];
            }
            let m = taken.len() as f64;
            coarse_pos.push([x / m, y / m]);
            coarse_weights.push(taken.iter().map(|&u| weights[u]).sum());
            comp.push(self.comp[taken[0]]);
        }
        // One side per neighbouring cluster, summed over the sites' sides.
        let mut start = Vec::with_capacity(k + 1);
        let mut sides: Vec<Side> = Vec::new();
        let mut slot = vec![usize::MAX; k];
        let (mut link_sum, mut link_n) = (0.0, 0usize);
        for (c, taken) in members.iter().enumerate() {
            start.push(sides.len());
            let first = sides.len();
            for &u in taken {
                for s in self.sides_of(u) {
                    if s.nbr == FRAME {
                        continue;
                    }
                    let d = cluster[s.nbr as usize];
                    if d == c as u32 {
                        continue;
                    }
                    let at = slot[d as usize];
                    if at >= first && at < sides.len() {
                        let side = &mut sides[at];
                        side.vlen += s.vlen;
                        side.slen += s.slen;
                        side.active |= s.active;
                    } else {
                        slot[d as usize] = sides.len();
                        sides.push(Side {
                            nbr: d,
                            from: 0,
                            to: 0,
                            vlen: s.vlen,
                            slen: s.slen,
                            active: s.active,
                        });
                    }
                }
            }
            for side in &sides[first..] {
                if side.active && (c as u32) < side.nbr {
                    link_sum += distance(coarse_pos[c], coarse_pos[side.nbr as usize]);
                    link_n += 1;
                }
            }
        }
        start.push(sides.len());
        Coarse {
            cluster,
            graph: Graph {
                start,
                sides,
                vertices: Vec::new(),
                comp,
                n_comp: self.n_comp,
                mean_link: if link_n > 0 {
                    link_sum / link_n as f64
                } else {
                    self.mean_link
                },
            },
            weights: coarse_weights,
            pos: coarse_pos,
        }
    }
}

/// A test village: sites on a lattice of 10 m with `cols` columns, each moved by its
/// `jitter`, in a square region around them, linked up to `max_link_m`; their
/// positions and graph.
#[cfg(test)]
pub(crate) fn jittered_lattice(
    jitter: &[(f64, f64)],
    cols: usize,
    weights: &[u32],
    max_link_m: f64,
) -> (Vec<[f64; 2]>, Graph) {
    use geo_types::{polygon, MultiPolygon};
    let pos: Vec<[f64; 2]> = jitter
        .iter()
        .enumerate()
        .map(|(i, (dx, dy))| [(i % cols) as f64 * 10.0 + dx, (i / cols) as f64 * 10.0 + dy])
        .collect();
    let (w, h) = (
        cols as f64 * 10.0,
        jitter.len().div_ceil(cols) as f64 * 10.0,
    );
    let clip = ClipRegion::new(MultiPolygon(vec![polygon![
        (x: -20.0, y: -20.0),
        (x: w + 20.0, y: -20.0),
        (x: w + 20.0, y: h + 20.0),
        (x: -20.0, y: h + 20.0),
    ]]));
    let params = PartitionParams {
        max_link_m,
        ..PartitionParams::default()
    };
    let g = build(&pos, weights, &RTree::new(), &clip, &params).expect("triangulation");
    (pos, g)
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[parent[x as usize] as usize];
        parent[x as usize] = p;
        x = p;
    }
    x
}

/// A component total that can be cut into grids within the range.
pub(crate) fn feasible(h: u64, p: &PartitionParams) -> bool {
    h >= u64::from(p.min) && h.div_ceil(u64::from(p.max)) <= h / u64::from(p.min)
}

/// Connected components over active sides; components whose total is below `min` or
/// otherwise unreachable are joined to a neighbour over their shortest dropped side
/// (barriers only cut where both sides can stand alone), and those sides re-enabled.
fn components(g: &mut Graph, weights: &[u32], params: &PartitionParams) {
    let n = weights.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for u in 0..n {
        for s in g.sides_of(u) {
            if s.active {
                let (a, b) = (find(&mut parent, u as u32), find(&mut parent, s.nbr));
                if a != b {
                    parent[a.max(b) as usize] = a.min(b);
                }
            }
        }
    }
    let orig: Vec<u32> = (0..n as u32).map(|u| find(&mut parent, u)).collect();
    loop {
        let mut total = vec![0u64; n];
        for (u, &w) in weights.iter().enumerate() {
            let r = find(&mut parent, u as u32) as usize;
            total[r] += u64::from(w);
        }
        // Shortest dropped real side out of each bad component.
        let mut best: Vec<Option<(f64, u32, u32)>> = vec![None; n];
        for u in 0..n {
            let ru = find(&mut parent, u as u32);
            if feasible(total[ru as usize], params) {
                continue;
            }
            for s in g.sides_of(u) {
                if s.nbr == FRAME {
                    continue;
                }
                let rw = find(&mut parent, s.nbr);
                if rw == ru {
                    continue;
                }
                let d = 1.0 / (s.vlen + 1e-9);
                let cand = (d, u as u32, s.nbr);
                let slot = &mut best[ru as usize];
                if slot.is_none_or(|b| (cand.0, cand.1, cand.2) < (b.0, b.1, b.2)) {
                    *slot = Some(cand);
                }
            }
        }
        let mut merged = false;
        for (_, u, w) in best.into_iter().flatten() {
            let (a, b) = (find(&mut parent, u), find(&mut parent, w));
            if a != b {
                parent[a.max(b) as usize] = a.min(b);
                merged = true;
            }
        }
        if !merged {
            break;
        }
    }
    let mut id = vec![u32::MAX; n];
    let mut next = 0u32;
    for u in 0..n {
        let r = find(&mut parent, u as u32) as usize;
        if id[r] == u32::MAX {
            id[r] = next;
            next += 1;
        }
        g.comp[u] = id[r];
    }
    g.n_comp = next as usize;
    // Re-enable real sides between former components that were joined.
    for u in 0..n {
        for k in g.start[u]..g.start[u + 1] {
            let s = g.sides[k];
            if !s.active
                && s.nbr != FRAME
                && s.vlen > 1e-6
                && orig[u] != orig[s.nbr as usize]
                && g.comp[u] == g.comp[s.nbr as usize]
            {
                g.sides[k].active = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::settled_length;

    mod coarsen {
        use super::super::{jittered_lattice, Graph, FRAME};
        use proptest::prelude::*;

        /// Whether `sites` are connected by active links among themselves.
        fn connected(g: &Graph, sites: &[usize]) -> bool {
            let mut seen = vec![sites[0]];
            let mut i = 0;
            while let Some(&x) = seen.get(i) {
                i += 1;
                for y in g.nbrs(x) {
                    if sites.contains(&y) && !seen.contains(&y) {
                        seen.push(y);
                    }
                }
            }
            seen.len() == sites.len()
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
            /// Every site is in one cluster; a cluster is connected, within its limits
            /// (a heavier site alone) and in one component; the cluster graph links
            /// two clusters exactly where sites of theirs are linked, with the sides'
            /// lengths summed.
            #[test]
            fn clusters_are_connected_bounded_and_linked_as_their_sites(
                jitter in proptest::collection::vec((-4.0f64..4.0, -4.0f64..4.0), 120),
                weights in proptest::collection::vec(0u32..9, 120),
                max_link_m in 9.0f64..30.0,
                max_sites in 1usize..16,
                max_weight in 1u32..30,
            ) {
                let (pos, g) = jittered_lattice(&jitter, 12, &weights, max_link_m);
                let c = g.coarsen(&weights, &pos, max_sites, max_weight);
                let k = c.weights.len();
                let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
                for (u, &cl) in c.cluster.iter().enumerate() {
                    prop_assert!((cl as usize) < k);
                    members[cl as usize].push(u);
                }
                for (cl, sites) in members.iter().enumerate() {
                    prop_assert!(!sites.is_empty());
                    prop_assert!(connected(&g, sites), "cluster {} apart", cl);
                    let w: u32 = sites.iter().map(|&u| weights[u]).sum();
                    prop_assert_eq!(w, c.weights[cl]);
                    prop_assert!(sites.len() == 1 || (sites.len() <= max_sites && w <= max_weight));
                    prop_assert!(sites.iter().all(|&u| g.comp[u] == c.graph.comp[cl]));
                }
                for (a, sites) in members.iter().enumerate() {
                    for b in 0..k {
                        if a == b {
                            continue;
                        }
                        let fine: Vec<_> = sites
                            .iter()
                            .flat_map(|&u| g.sides_of(u))
                            .filter(|s| s.nbr != FRAME && c.cluster[s.nbr as usize] == b as u32)
                            .collect();
                        let coarse: Vec<_> = c.graph.sides_of(a).iter().filter(|s| s.nbr == b as u32).collect();
                        prop_assert_eq!(coarse.len(), usize::from(!fine.is_empty()));
                        if let Some(side) = coarse.first() {
                            prop_assert_eq!(side.active, fine.iter().any(|s| s.active));
                            let slen: f64 = fine.iter().map(|s| s.slen).sum();
                            prop_assert!((side.slen - slen).abs() < 1e-9);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_border_counts_only_near_its_two_buildings() {
        // Sites 20 m apart on the x axis; their bisector is x = 10.
        let (u, w) = ([0.0, 0.0], [20.0, 0.0]);
        let reach = 50.0;
        // Within reach: |t| ≤ sqrt(50² − 10²) ≈ 48.99 m either side of the midpoint.
        let h = (reach * reach - 100.0_f64).sqrt();
        let near = settled_length([10.0, -5.0], [10.0, 5.0], u, w, reach);
        assert!((near - 10.0).abs() < 1e-9, "{near}");
        // A side running out 1 km over empty land counts only its first h metres.
        let wedge = settled_length([10.0, 0.0], [10.0, 1000.0], u, w, reach);
        assert!((wedge - h).abs() < 1e-9, "{wedge}");
        // Either direction of the side, the same length.
        let back = settled_length([10.0, 1000.0], [10.0, 0.0], w, u, reach);
        assert!((back - h).abs() < 1e-9, "{back}");
        // Entirely beyond reach, or buildings too far apart: nothing.
        assert_eq!(
            settled_length([10.0, 200.0], [10.0, 900.0], u, w, reach),
            0.0
        );
        assert_eq!(
            settled_length([60.0, -5.0], [60.0, 5.0], [0.0, 0.0], [120.0, 0.0], reach),
            0.0
        );
    }
}
