//! The working assignment of sites to parts (future grids) and the bookkeeping the
//! seeding and refinement steps share: part weights, site counts, centroids,
//! connectivity checks and regrowing unassigned sites.

use super::graph::Graph;

/// No part.
pub(crate) const NONE: u32 = u32::MAX;

/// Sites → parts with per-part totals.
#[derive(Debug)]
pub(crate) struct State<'g> {
    pub g: &'g Graph,
    pub w: Vec<u32>,
    pub pos: Vec<[f64; 2]>,
    pub part: Vec<u32>,
    pub pw: Vec<u64>,
    pub pc: Vec<u32>,
    pub psx: Vec<f64>,
    pub psy: Vec<f64>,
    /// Component of each part.
    pub pcomp: Vec<u32>,
    /// Parts changed in this run (repair mode limits compaction to them).
    pub dirty: Vec<bool>,
    mark: Vec<u32>,
    epoch: u32,
    /// Scratch list for [`State::stays_connected_without`], kept to save allocations.
    inside: Vec<usize>,
}

impl<'g> State<'g> {
    pub(crate) fn new(g: &'g Graph, w: Vec<u32>, pos: Vec<[f64; 2]>) -> State<'g> {
        let n = w.len();
        State {
            g,
            w,
            pos,
            part: vec![NONE; n],
            pw: Vec::new(),
            pc: Vec::new(),
            psx: Vec::new(),
            psy: Vec::new(),
            pcomp: Vec::new(),
            dirty: Vec::new(),
            mark: vec![0; n],
            epoch: 0,
            inside: Vec::new(),
        }
    }

    pub(crate) fn n_parts(&self) -> usize {
        self.pw.len()
    }

    pub(crate) fn new_part(&mut self, comp: u32, dirty: bool) -> u32 {
        self.pw.push(0);
        self.pc.push(0);
        self.psx.push(0.0);
        self.psy.push(0.0);
        self.pcomp.push(comp);
        self.dirty.push(dirty);
        (self.pw.len() - 1) as u32
    }

    /// Puts site `u` (currently in no part) into part `p`.
    pub(crate) fn add(&mut self, u: usize, p: u32) {
        self.part[u] = p;
        let pi = p as usize;
        self.pw[pi] += u64::from(self.w[u]);
        self.pc[pi] += 1;
        self.psx[pi] += self.pos[u][0];
        self.psy[pi] += self.pos[u][1];
    }

    /// Takes site `u` out of its part.
    pub(crate) fn remove(&mut self, u: usize) {
        let p = self.part[u];
        if p == NONE {
            return;
        }
        let pi = p as usize;
        self.pw[pi] -= u64::from(self.w[u]);
        self.pc[pi] -= 1;
        self.psx[pi] -= self.pos[u][0];
        self.psy[pi] -= self.pos[u][1];
        self.part[u] = NONE;
    }

    /// Moves `u` to part `q`, marking both parts dirty.
    pub(crate) fn relocate(&mut self, u: usize, q: u32) {
        let p = self.part[u];
        self.remove(u);
        self.add(u, q);
        if p != NONE {
            self.dirty[p as usize] = true;
        }
        self.dirty[q as usize] = true;
    }

    pub(crate) fn centroid(&self, p: u32) -> [f64; 2] {
        let pi = p as usize;
        let c = f64::from(self.pc[pi].max(1));
        [self.psx[pi] / c, self.psy[pi] / c]
    }

    fn next_epoch(&mut self) -> u32 {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.epoch = 1;
        }
        self.epoch
    }

    /// Whether part `p` stays connected when `u` leaves it.
    ///
    /// Most sites a refinement tries to move lie on a plain stretch of border: their
    /// neighbours in the part are linked to one another directly, around the site, so
    /// the part cannot fall apart without it ([`ring_connected`]). Only where they are
    /// not (the site is a neck of the part) does a search through the part decide,
    /// which in a comprehensive grid of a thousand sites is the costly case.
    pub(crate) fn stays_connected_without(&mut self, u: usize) -> bool {
        let p = self.part[u];
        let g = self.g;
        let mut inside = std::mem::take(&mut self.inside);
        inside.clear();
        inside.extend(g.nbrs(u).filter(|&v| self.part[v] == p));
        // A cell that absorbed others (see `Graph::restrict`) can border a site twice.
        inside.sort_unstable();
        inside.dedup();
        let connected = if inside.len() <= 1 {
            self.pc[p as usize] > 1
        } else {
            ring_connected(g, &inside) || self.reach_all(u, &inside)
        };
        self.inside = inside;
        connected
    }

    /// Whether a search through `u`'s part, never entering `u`, reaches all of
    /// `targets` (at least two of `u`'s neighbours in the part) from the first. The
    /// search goes breadth first: where the part closes around a notch, the path
    /// between `u`'s neighbours is short, and the search stops at it instead of
    /// wandering through the rest of a large part.
    fn reach_all(&mut self, u: usize, targets: &[usize]) -> bool {
        let p = self.part[u];
        let g = self.g;
        let e = self.next_epoch();
        self.mark[u] = e;
        let mut need = targets.len() - 1;
        let mut queue = vec![targets[0]];
        self.mark[targets[0]] = e;
        let mut next = 0;
        while let Some(&x) = queue.get(next) {
            next += 1;
            for y in g.nbrs(x) {
                if self.part[y] == p && self.mark[y] != e {
                    self.mark[y] = e;
                    if targets.contains(&y) {
                        need -= 1;
                        if need == 0 {
                            return true;
                        }
                    }
                    queue.push(y);
                }
            }
        }
        false
    }

    /// Keeps each part's heaviest connected piece and unassigns the rest.
    pub(crate) fn keep_largest_pieces(&mut self) {
        let n = self.part.len();
        let g = self.g;
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.n_parts()];
        for u in 0..n {
            if self.part[u] != NONE {
                members[self.part[u] as usize].push(u);
            }
        }
        for (p, list) in members.iter().enumerate() {
            if list.len() <= 1 {
                continue;
            }
            let e = self.next_epoch();
            let mut pieces: Vec<(u64, usize, Vec<usize>)> = Vec::new();
            for &s in list {
                if self.mark[s] == e {
                    continue;
                }
                self.mark[s] = e;
                let mut piece = vec![s];
                let mut i = 0;
                while i < piece.len() {
                    let x = piece[i];
                    i += 1;
                    for y in g.nbrs(x) {
                        if self.part[y] == p as u32 && self.mark[y] != e {
                            self.mark[y] = e;
                            piece.push(y);
                        }
                    }
                }
                let wsum = piece.iter().map(|&x| u64::from(self.w[x])).sum();
                pieces.push((wsum, piece.len(), piece));
            }
            if pieces.len() <= 1 {
                continue;
            }
            let best = pieces
                .iter()
                .enumerate()
                .max_by(|a, b| (a.1 .0, a.1 .1).cmp(&(b.1 .0, b.1 .1)).then(b.0.cmp(&a.0)))
                .map(|(i, _)| i)
                .unwrap_or(0);
            for (i, (_, _, piece)) in pieces.into_iter().enumerate() {
                if i != best {
                    for x in piece {
                        self.remove(x);
                    }
                    self.dirty[p] = true;
                }
            }
        }
    }

    /// Assigns every unassigned site reachable from an assigned one, growing from the
    /// lightest neighbouring part first. Returns sites still unassigned.
    pub(crate) fn regrow(&mut self) -> Vec<usize> {
        let n = self.part.len();
        let g = self.g;
        let mut frontier: Vec<usize> = (0..n).filter(|&u| self.part[u] == NONE).collect();
        loop {
            let mut next = Vec::new();
            let mut changed = false;
            let mut picks: Vec<(usize, u32)> = Vec::new();
            for &u in &frontier {
                let best = g
                    .nbrs(u)
                    .map(|v| self.part[v])
                    .filter(|&q| q != NONE)
                    .min_by_key(|&q| (self.pw[q as usize], q));
                match best {
                    Some(q) => picks.push((u, q)),
                    None => next.push(u),
                }
            }
            for (u, q) in picks {
                self.add(u, q);
                if self.w[u] > 0 {
                    self.dirty[q as usize] = true;
                }
                changed = true;
            }
            if !changed || next.is_empty() {
                return next;
            }
            frontier = next;
        }
    }
}

/// Whether the sites `ring` (distinct, sorted) are connected by the graph's links among
/// themselves alone. A sufficient test that they stay connected when the site they all
/// neighbour leaves their part: in a triangulation, neighbours that follow each other
/// around a site are linked, so one unbroken run of them passes. Rings of more than 16
/// sites (never seen in a Delaunay graph of buildings) are left to the search.
fn ring_connected(g: &Graph, ring: &[usize]) -> bool {
    if ring.len() > 16 {
        return false;
    }
    let mut root: [u8; 16] = std::array::from_fn(|i| i as u8);
    fn find(root: &mut [u8; 16], mut i: u8) -> u8 {
        while root[i as usize] != i {
            i = root[i as usize];
        }
        i
    }
    let mut groups = ring.len();
    for (i, &x) in ring.iter().enumerate() {
        for y in g.nbrs(x) {
            let Ok(j) = ring.binary_search(&y) else {
                continue;
            };
            let (a, b) = (find(&mut root, i as u8), find(&mut root, j as u8));
            if a != b {
                root[a.max(b) as usize] = a.min(b);
                groups -= 1;
                if groups == 1 {
                    return true;
                }
            }
        }
    }
    groups == 1
}

#[cfg(test)]
mod tests {
    use super::super::graph;
    use super::State;
    use proptest::prelude::*;

    /// Whether `u`'s neighbours in its part are all in one piece of the part without
    /// `u`, by a plain search from each: what `stays_connected_without` answers.
    fn by_search(st: &State<'_>, u: usize) -> bool {
        let p = st.part[u];
        let inside: Vec<usize> = st.g.nbrs(u).filter(|&v| st.part[v] == p).collect();
        let Some(&first) = inside.first() else {
            return st.pc[p as usize] > 1;
        };
        let mut seen = vec![false; st.part.len()];
        seen[u] = true;
        seen[first] = true;
        let mut stack = vec![first];
        while let Some(x) = stack.pop() {
            for y in st.g.nbrs(x) {
                if st.part[y] == p && !seen[y] {
                    seen[y] = true;
                    stack.push(y);
                }
            }
        }
        inside.iter().all(|&v| seen[v])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// On jittered lattices with some links cut (long ones dropped), parts drawn at
        /// random or as bands, the quick ring test and the search agree with a plain
        /// search for every site.
        #[test]
        fn stays_connected_without_agrees_with_a_plain_search(
            jitter in proptest::collection::vec((-4.0f64..4.0, -4.0f64..4.0), 100),
            labels in proptest::collection::vec(0u32..3, 100),
            bands in any::<bool>(),
            max_link_m in 9.0f64..30.0,
        ) {
            let w = vec![1u32; jitter.len()];
            let (pos, g) = graph::jittered_lattice(&jitter, 10, &w, max_link_m);
            let mut st = State::new(&g, w, pos.clone());
            let parts: Vec<u32> = (0..3).map(|_| st.new_part(0, false)).collect();
            for (u, &label) in labels.iter().enumerate() {
                // Bands: three wavy stripes, so most borders are long plain runs.
                let k = if bands {
                    (((pos[u][1] + 8.0 * (pos[u][0] / 15.0).sin()) / 34.0).floor().clamp(0.0, 2.0)) as usize
                } else {
                    label as usize
                };
                st.add(u, parts[k]);
            }
            for u in 0..pos.len() {
                let expected = by_search(&st, u);
                prop_assert_eq!(st.stays_connected_without(u), expected, "site {}", u);
            }
        }
    }
}
