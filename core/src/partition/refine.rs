//! Refinement by moving boundary sites between neighbouring parts.
//!
//! * [`balance`] brings every part into `[min, max]`: moves are ranked by the decrease
//!   of (total range violation, sum of squared part weights), lexicographically, so every
//!   accepted move strictly lowers an integer potential (no cycling) and weight flows
//!   from heavy to light parts, cascading through in-range parts near a violation.
//! * [`compact`] then improves shapes with the range as a hard limit: the gain of a move
//!   is the Voronoi boundary length it removes (only the settled part of each side,
//!   near its buildings: `Side::slen`) plus a scaled decrease of the parts' moment of
//!   inertia (k-means term).
//!
//! Both only accept moves after which the donor part is still connected, and process
//! candidates in gain order with deterministic tie-breaks.

use super::graph::FRAME;
use super::state::{State, NONE};
use super::PartitionParams;

fn pen(w: u64, lo: u64, hi: u64) -> u64 {
    if w < lo {
        lo - w
    } else {
        w.saturating_sub(hi)
    }
}

/// Distinct neighbouring parts of `u` other than its own.
fn other_parts(st: &State<'_>, u: usize) -> Vec<u32> {
    let p = st.part[u];
    let mut qs: Vec<u32> =
        st.g.nbrs(u)
            .map(|v| st.part[v])
            .filter(|&q| q != p && q != NONE)
            .collect();
    qs.sort_unstable();
    qs.dedup();
    qs
}

/// Balancing key of moving `u` into `q`: (Δ violation, Δ sum of squares); a move is
/// useful when this is lexicographically negative.
fn balance_key(st: &State<'_>, u: usize, q: u32, lo: u64, hi: u64) -> (i64, i64) {
    let p = st.part[u] as usize;
    let q = q as usize;
    let w = u64::from(st.w[u]);
    let (wp, wq) = (st.pw[p], st.pw[q]);
    let dpen = (pen(wp - w, lo, hi) + pen(wq + w, lo, hi)) as i64
        - (pen(wp, lo, hi) + pen(wq, lo, hi)) as i64;
    let dsq = 2 * w as i64 * (wq as i64 - wp as i64 + w as i64);
    (dpen, dsq)
}

/// Moves sites until every part is within `[min, max]` or no move helps. Only parts
/// within three adjacency steps of a violating part take part, and moves that do not
/// reduce the violation directly must carry weight towards an underweight part or away
/// from an overweight one, so a repair stays local.
pub(crate) fn balance(st: &mut State<'_>, params: &PartitionParams, max_passes: usize) {
    let (lo, hi) = (u64::from(params.min), u64::from(params.max));
    let n = st.part.len();
    for _ in 0..max_passes {
        let np = st.n_parts();
        let bad: Vec<bool> = (0..np)
            .map(|p| st.pc[p] > 0 && pen(st.pw[p], lo, hi) > 0)
            .collect();
        if !bad.iter().any(|&b| b) {
            return;
        }
        // Part adjacency, then the region within two steps of a violation.
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); np];
        for u in 0..n {
            let p = st.part[u];
            if p == NONE {
                continue;
            }
            for v in st.g.nbrs(u) {
                let q = st.part[v];
                if q != p && q != NONE {
                    adj[p as usize].push(q);
                }
            }
        }
        // Adjacency distance from under- and overweight parts (up to 3 steps): weight
        // only flows towards an underweight part or away from an overweight one, so a
        // repair stays local.
        let far = u32::MAX;
        let layer = |seeds: Vec<bool>| {
            let mut d: Vec<u32> = seeds.iter().map(|&s| if s { 0 } else { far }).collect();
            for step in 0..3u32 {
                for p in 0..np {
                    if d[p] == step {
                        for &q in &adj[p] {
                            if d[q as usize] == far {
                                d[q as usize] = step + 1;
                            }
                        }
                    }
                }
            }
            d
        };
        let d_under = layer((0..np).map(|p| bad[p] && st.pw[p] < lo).collect());
        let d_over = layer((0..np).map(|p| bad[p] && st.pw[p] > hi).collect());
        let region: Vec<bool> = (0..np)
            .map(|p| d_under[p] != far || d_over[p] != far)
            .collect();
        let towards = |p: usize, q: usize| {
            (d_under[q] < d_under[p]) || (d_over[p] != far && d_over[q] > d_over[p])
        };
        let mut n_bad = bad.iter().filter(|&&b| b).count();
        // Moves that reduce the violation first; only when there are none, a few
        // directed moves that make room (at most one per violating part per pass).
        let mut moved = 0;
        for direct in [true, false] {
            let mut cands: Vec<((i64, i64), usize, u32)> = Vec::new();
            for u in 0..n {
                let p = st.part[u];
                if p == NONE || st.w[u] == 0 || !region[p as usize] {
                    continue;
                }
                for q in other_parts(st, u) {
                    if !region[q as usize] {
                        continue;
                    }
                    let key = balance_key(st, u, q, lo, hi);
                    let ok = if direct {
                        key.0 < 0
                    } else {
                        key.0 == 0 && key.1 < 0 && towards(p as usize, q as usize)
                    };
                    if ok {
                        cands.push((key, u, q));
                    }
                }
            }
            cands.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let budget = if direct { usize::MAX } else { n_bad.max(1) };
            for (_, u, q) in cands {
                if n_bad == 0 || moved >= budget {
                    break;
                }
                let p = st.part[u] as usize;
                if p == q as usize || !st.g.nbrs(u).any(|v| st.part[v] == q) {
                    continue;
                }
                let key = balance_key(st, u, q, lo, hi);
                let ok = if direct {
                    key.0 < 0
                } else {
                    key.0 == 0 && key.1 < 0 && towards(p, q as usize)
                };
                if !ok || st.pc[p] <= 1 || !st.stays_connected_without(u) {
                    continue;
                }
                let was = usize::from(pen(st.pw[p], lo, hi) > 0)
                    + usize::from(pen(st.pw[q as usize], lo, hi) > 0);
                st.relocate(u, q);
                let now = usize::from(pen(st.pw[p], lo, hi) > 0)
                    + usize::from(pen(st.pw[q as usize], lo, hi) > 0);
                n_bad = n_bad + now - was;
                moved += 1;
            }
            if moved > 0 {
                break;
            }
        }
        if moved == 0 || n_bad == 0 {
            return;
        }
    }
}

/// Compactness gain of moving `u` into `q` (metres; positive is better).
fn compact_gain(st: &State<'_>, u: usize, q: u32, scale: f64) -> f64 {
    let p = st.part[u];
    let mut cut = 0.0;
    for s in st.g.sides_of(u) {
        if s.nbr == FRAME {
            continue;
        }
        let pv = st.part[s.nbr as usize];
        if pv == q {
            cut += s.slen;
        } else if pv == p {
            cut -= s.slen;
        }
    }
    let np = f64::from(st.pc[p as usize]);
    let nq = f64::from(st.pc[q as usize]);
    let cp = st.centroid(p);
    let cq = st.centroid(q);
    let x = st.pos[u];
    let dp = (x[0] - cp[0]).powi(2) + (x[1] - cp[1]).powi(2);
    let dq = (x[0] - cq[0]).powi(2) + (x[1] - cq[1]).powi(2);
    let inertia = if np > 1.0 {
        np / (np - 1.0) * dp - nq / (nq + 1.0) * dq
    } else {
        0.0
    };
    cut + inertia / scale
}

/// Moves boundary sites to improve compactness, never leaving `[min, max]` (and never
/// worsening a part already outside it). With `only_dirty`, both parts of a move must
/// already have changed in this run (repair mode keeps untouched grids as they were).
pub(crate) fn compact(
    st: &mut State<'_>,
    params: &PartitionParams,
    passes: usize,
    only_dirty: bool,
) {
    let (lo, hi) = (u64::from(params.min), u64::from(params.max));
    let n = st.part.len();
    let per_part = n as f64 / st.n_parts().max(1) as f64;
    let scale = (st.g.mean_link * per_part.sqrt() * params.compact_scale).max(1e-6);
    for _ in 0..passes {
        let mut cands: Vec<(f64, usize, u32)> = Vec::new();
        for u in 0..n {
            let p = st.part[u];
            if p == NONE || (only_dirty && !st.dirty[p as usize]) {
                continue;
            }
            for q in other_parts(st, u) {
                if only_dirty && !st.dirty[q as usize] {
                    continue;
                }
                let gain = compact_gain(st, u, q, scale);
                if gain > 1e-9 {
                    cands.push((gain, u, q));
                }
            }
        }
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut moved = 0;
        for (_, u, q) in cands {
            let p = st.part[u];
            if p == q || !st.g.nbrs(u).any(|v| st.part[v] == q) {
                continue;
            }
            if balance_key(st, u, q, lo, hi).0 > 0 {
                continue;
            }
            if compact_gain(st, u, q, scale) <= 1e-9 {
                continue;
            }
            if st.pc[p as usize] <= 1 || !st.stays_connected_without(u) {
                continue;
            }
            st.relocate(u, q);
            moved += 1;
        }
        if moved == 0 {
            return;
        }
    }
}
