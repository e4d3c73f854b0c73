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
    pub(crate) fn stays_connected_without(&mut self, u: usize) -> bool {
        let p = self.part[u];
        let g = self.g;
        let inside: Vec<usize> = g.nbrs(u).filter(|&v| self.part[v] == p).collect();
        if inside.len() <= 1 {
            return self.pc[p as usize] > 1;
        }
        let e = self.next_epoch();
        self.mark[u] = e;
        let mut need = inside.len();
        let mut stack = vec![inside[0]];
        self.mark[inside[0]] = e;
        let targets: Vec<usize> = inside;
        need -= 1;
        while let Some(x) = stack.pop() {
            for y in g.nbrs(x) {
                if self.part[y] == p && self.mark[y] != e {
                    self.mark[y] = e;
                    if targets.contains(&y) {
                        need -= 1;
                        if need == 0 {
                            return true;
                        }
                    }
                    stack.push(y);
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
