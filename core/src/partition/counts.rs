//! Grid counts per component and the last-resort fixes when balancing alone cannot
//! bring every grid into the range: split, merge, shrink to a core, dissolve.

use super::graph::{feasible, Graph};
use super::refine::balance;
use super::seed::{grid_count, seed_component, seed_component_turned};
use super::state::{State, NONE};
use super::PartitionParams;

fn parts_of_comp(st: &State<'_>, c: u32) -> Vec<u32> {
    (0..st.n_parts() as u32)
        .filter(|&p| st.pc[p as usize] > 0 && st.pcomp[p as usize] == c)
        .collect()
}

fn sites_of(st: &State<'_>, p: u32) -> Vec<usize> {
    (0..st.part.len()).filter(|&u| st.part[u] == p).collect()
}

/// Merges part `p` into its lightest neighbouring part; false if it has none.
fn merge_into_neighbour(st: &mut State<'_>, p: u32) -> bool {
    let sites = sites_of(st, p);
    let g: &Graph = st.g;
    let q = sites
        .iter()
        .flat_map(|&u| g.nbrs(u))
        .map(|v| st.part[v])
        .filter(|&q| q != p && q != NONE)
        .min_by_key(|&q| (st.pw[q as usize], q));
    let Some(q) = q else { return false };
    for u in sites {
        st.relocate(u, q);
    }
    true
}

/// Splits part `p` in two by bisection.
fn split_part(st: &mut State<'_>, p: u32) {
    let sites = sites_of(st, p);
    if sites.len() < 2 {
        return;
    }
    for &u in &sites {
        st.remove(u);
    }
    st.dirty[p as usize] = true;
    let c = st.pcomp[p as usize];
    seed_component(st, sites, 2, c);
    st.keep_largest_pieces();
    st.regrow();
}

/// Parts still below `min` (large indivisible buildings, e.g. 44 + 18 households) join
/// their lightest neighbour while the component keeps enough parts for its total
/// (`ceil(H/max)`): flat moves then bring the merged part back into the range. A merge
/// that would leave too few parts is not made; flat moves fill the undersized part
/// instead (any building can be split by flats), rather than leaving a grid above `max`.
pub(crate) fn merge_undersized(st: &mut State<'_>, params: &PartitionParams, ctot: &[u64]) {
    let min = u64::from(params.min);
    for (c, &h) in ctot.iter().enumerate() {
        if !feasible(h, params) {
            continue;
        }
        let fewest = h.div_ceil(u64::from(params.max)) as usize;
        for _ in 0..1000 {
            let parts = parts_of_comp(st, c as u32);
            let under = parts
                .iter()
                .copied()
                .filter(|&p| st.pw[p as usize] < min)
                .min_by_key(|&p| (st.pw[p as usize], p));
            match under {
                Some(p) if parts.len() > fewest.max(1) && merge_into_neighbour(st, p) => {}
                _ => break,
            }
        }
    }
}

/// Keeps only the heaviest site of an overweight part that balancing could not shrink
/// (its sites formed a chain that cannot be peeled), and regrows the rest from the
/// lightest neighbours.
fn shrink_to_core(st: &mut State<'_>, p: u32) {
    let sites = sites_of(st, p);
    let Some(&core) = sites
        .iter()
        .max_by_key(|&&u| (st.w[u], std::cmp::Reverse(u)))
    else {
        return;
    };
    for &u in &sites {
        if u != core {
            st.remove(u);
        }
    }
    st.dirty[p as usize] = true;
    st.regrow();
}

/// Brings the number of parts of each feasible component into
/// `[ceil(H/max), floor(H/min)]`.
pub(crate) fn fix_counts(st: &mut State<'_>, params: &PartitionParams, ctot: &[u64]) {
    for (c, &h) in ctot.iter().enumerate() {
        if !feasible(h, params) {
            // One part per infeasible component (small or unreachable totals).
            let parts = parts_of_comp(st, c as u32);
            let (k, _) = grid_count(h, params);
            let mut parts = parts;
            while parts.len() > k as usize {
                let Some(&p) = parts.iter().min_by_key(|&&p| (st.pw[p as usize], p)) else {
                    break;
                };
                if !merge_into_neighbour(st, p) {
                    break;
                }
                parts = parts_of_comp(st, c as u32);
            }
            continue;
        }
        let lo = h.div_ceil(u64::from(params.max)) as usize;
        let hi = (h / u64::from(params.min)) as usize;
        for _ in 0..1000 {
            let parts = parts_of_comp(st, c as u32);
            if parts.len() > hi {
                let Some(&p) = parts.iter().min_by_key(|&&p| (st.pw[p as usize], p)) else {
                    break;
                };
                if !merge_into_neighbour(st, p) {
                    break;
                }
            } else if parts.len() < lo {
                let Some(&p) = parts
                    .iter()
                    .max_by_key(|&&p| (st.pw[p as usize], std::cmp::Reverse(p)))
                else {
                    break;
                };
                split_part(st, p);
            } else {
                break;
            }
        }
    }
}

/// After balancing: splits parts still above `max` and merges parts still below
/// `min` where the component's grid count allows. True if anything changed.
pub(crate) fn fix_ranges(st: &mut State<'_>, params: &PartitionParams, ctot: &[u64]) -> bool {
    let (min, max) = (u64::from(params.min), u64::from(params.max));
    let mut changed = false;
    for (c, &h) in ctot.iter().enumerate() {
        if !feasible(h, params) {
            continue;
        }
        let lo = h.div_ceil(max) as usize;
        let hi = (h / min) as usize;
        let parts = parts_of_comp(st, c as u32);
        let over = parts
            .iter()
            .copied()
            .filter(|&p| st.pw[p as usize] > max)
            .max_by_key(|&p| st.pw[p as usize]);
        if let Some(p) = over {
            if parts.len() < hi && st.pw[p as usize] >= 2 * min {
                split_part(st, p);
            } else {
                shrink_to_core(st, p);
            }
            changed = true;
            continue;
        }
        let under = parts
            .iter()
            .copied()
            .filter(|&p| st.pw[p as usize] < min)
            .min_by_key(|&p| st.pw[p as usize]);
        if let Some(p) = under {
            if parts.len() > lo {
                changed |= merge_into_neighbour(st, p);
            } else {
                // Dissolve into the neighbours and split the heaviest part instead.
                for u in sites_of(st, p) {
                    st.remove(u);
                }
                st.dirty[p as usize] = true;
                st.regrow();
                let parts = parts_of_comp(st, c as u32);
                if let Some(&h) = parts
                    .iter()
                    .max_by_key(|&&q| (st.pw[q as usize], std::cmp::Reverse(q)))
                {
                    split_part(st, h);
                }
                changed = true;
            }
        }
    }
    changed
}

fn pen(w: u64, lo: u64, hi: u64) -> u64 {
    if w < lo {
        lo - w
    } else {
        w.saturating_sub(hi)
    }
}

/// Total range violation of the parts of component `c`.
fn violation(st: &State<'_>, c: u32, params: &PartitionParams) -> u64 {
    parts_of_comp(st, c)
        .iter()
        .map(|&p| {
            pen(
                st.pw[p as usize],
                u64::from(params.min),
                u64::from(params.max),
            )
        })
        .sum()
}

fn reseed(
    st: &mut State<'_>,
    params: &PartitionParams,
    ctot: &[u64],
    c: usize,
    sites: &[usize],
    turn: f64,
) {
    for &u in sites {
        let p = st.part[u];
        st.remove(u);
        if p != NONE {
            st.dirty[p as usize] = true;
        }
    }
    let (k, _) = grid_count(ctot[c], params);
    seed_component_turned(st, sites.to_vec(), k, c as u32, turn);
    st.keep_largest_pieces();
    st.regrow();
    balance(st, params, 300);
    for _ in 0..3 {
        if !fix_ranges(st, params, ctot) {
            break;
        }
        balance(st, params, 300);
    }
}

/// Components whose sizes are still out of range (tight totals such as 60 = 2 × 30
/// where connectivity blocked the exact cut) are cut again with turned axes; the best
/// of the tries is kept.
pub(crate) fn retry_tight(
    st: &mut State<'_>,
    params: &PartitionParams,
    ctot: &[u64],
    csites: &[Vec<usize>],
) {
    use std::f64::consts::PI;
    for (c, sites) in csites.iter().enumerate() {
        if !feasible(ctot[c], params) || violation(st, c as u32, params) == 0 {
            continue;
        }
        let mut best = (violation(st, c as u32, params), None);
        for turn in [PI / 2.0, PI / 4.0, 3.0 * PI / 4.0, PI / 8.0, 5.0 * PI / 8.0] {
            reseed(st, params, ctot, c, sites, turn);
            let v = violation(st, c as u32, params);
            if v < best.0 {
                best = (v, Some(turn));
            }
            if v == 0 {
                break;
            }
        }
        let last_ok = violation(st, c as u32, params) == best.0;
        if !last_ok {
            reseed(st, params, ctot, c, sites, best.1.unwrap_or(0.0));
        }
    }
}
