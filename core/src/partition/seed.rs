//! Seeding: how many grids a component gets and a first cut by recursive
//! household-weighted inertial bisection.

use super::error::PartitionFlag;
use super::graph::feasible;
use super::state::State;
use super::PartitionParams;

/// Number of grids for a component of `h` households: `round(h/target)` clamped to
/// `[ceil(h/max), floor(h/min)]`. Below `min`: one grid (flagged `Undersized`). When the
/// range is empty (e.g. 55 with 30–50): `floor(h/min)` grids, each above `max` but none
/// below `min` (flagged `Oversized`).
pub(crate) fn grid_count(h: u64, p: &PartitionParams) -> (u32, Option<PartitionFlag>) {
    let hh = u32::try_from(h).unwrap_or(u32::MAX);
    if h < u64::from(p.min) {
        return (1, Some(PartitionFlag::Undersized { households: hh }));
    }
    let lo = h.div_ceil(u64::from(p.max));
    let hi = h / u64::from(p.min);
    if !feasible(h, p) {
        let k = hi.max(1) as u32;
        return (
            k,
            Some(PartitionFlag::Oversized {
                households: hh,
                grids: k,
            }),
        );
    }
    let k = ((h as f64 / f64::from(p.target)).round() as u64).clamp(lo, hi);
    (u32::try_from(k).unwrap_or(u32::MAX), None)
}

/// Cuts `sites` into `k` parts of near-equal households and registers them as new parts
/// of component `comp`.
pub(crate) fn seed_component(st: &mut State<'_>, sites: Vec<usize>, k: u32, comp: u32) {
    seed_component_turned(st, sites, k, comp, 0.0);
}

/// Like [`seed_component`] with every cut axis turned by `turn` radians (retries).
pub(crate) fn seed_component_turned(
    st: &mut State<'_>,
    mut sites: Vec<usize>,
    k: u32,
    comp: u32,
    turn: f64,
) {
    let mut out = Vec::new();
    bisect(st, &mut sites, k.max(1), turn, &mut out);
    for group in out {
        let p = st.new_part(comp, true);
        for u in group {
            st.add(u, p);
        }
    }
}

/// Recursive inertial bisection: order sites along the principal axis of their
/// (household + ε)-weighted spread and cut where the running household total reaches
/// `H·k₁/k`. The right half receives whatever the cut could not balance (the rounding
/// remainder moves forward instead of piling up in the last part).
fn bisect(st: &State<'_>, sites: &mut [usize], k: u32, turn: f64, out: &mut Vec<Vec<usize>>) {
    if k <= 1 || sites.len() <= 1 {
        if !sites.is_empty() {
            out.push(sites.to_vec());
        }
        return;
    }
    let (mut sw, mut mx, mut my) = (0.0, 0.0, 0.0);
    for &u in sites.iter() {
        let wt = f64::from(st.w[u]) + 0.1;
        sw += wt;
        mx += wt * st.pos[u][0];
        my += wt * st.pos[u][1];
    }
    mx /= sw;
    my /= sw;
    let (mut cxx, mut cyy, mut cxy) = (0.0, 0.0, 0.0);
    for &u in sites.iter() {
        let wt = f64::from(st.w[u]) + 0.1;
        let dx = st.pos[u][0] - mx;
        let dy = st.pos[u][1] - my;
        cxx += wt * dx * dx;
        cyy += wt * dy * dy;
        cxy += wt * dx * dy;
    }
    let theta = 0.5 * (2.0 * cxy).atan2(cxx - cyy) + turn;
    let (ax, ay) = (theta.cos(), theta.sin());
    // Each site's place along the axis, computed once rather than in every comparison.
    let mut along: Vec<(f64, usize)> = sites
        .iter()
        .map(|&u| (st.pos[u][0] * ax + st.pos[u][1] * ay, u))
        .collect();
    along.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (slot, (_, u)) in sites.iter_mut().zip(along) {
        *slot = u;
    }
    let k1 = k / 2;
    let k2 = k - k1;
    let total: u64 = sites.iter().map(|&u| u64::from(st.w[u])).sum();
    let n = sites.len();
    let cut = if total == 0 {
        n * k1 as usize / k as usize
    } else {
        let target = total as f64 * f64::from(k1) / f64::from(k);
        let mut cum = 0u64;
        let mut cut = n;
        for (i, &u) in sites.iter().enumerate() {
            let before = cum;
            cum += u64::from(st.w[u]);
            if cum as f64 >= target {
                // Cut before or after site i, whichever lands closer to the target.
                let after_err = cum as f64 - target;
                let before_err = target - before as f64;
                cut = if before_err < after_err { i } else { i + 1 };
                break;
            }
        }
        cut
    };
    let lo = (k1 as usize).min(n.saturating_sub(1)).max(1);
    let hi = n
        .saturating_sub((k2 as usize).min(n.saturating_sub(1)))
        .max(lo);
    let cut = cut.clamp(lo, hi);
    let (left, right) = sites.split_at_mut(cut);
    bisect(st, left, k1, turn, out);
    bisect(st, right, k2, turn, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_count_follows_the_documented_rule() {
        let p = PartitionParams::default();
        assert!(matches!(
            grid_count(0, &p),
            (1, Some(PartitionFlag::Undersized { households: 0 }))
        ));
        assert!(matches!(
            grid_count(20, &p),
            (1, Some(PartitionFlag::Undersized { households: 20 }))
        ));
        assert!(matches!(
            grid_count(55, &p),
            (1, Some(PartitionFlag::Oversized { .. }))
        ));
        assert_eq!(grid_count(40, &p), (1, None));
        assert_eq!(grid_count(400, &p), (10, None));
        // 61 households: round(61/40) = 2 → two grids of ~30.
        assert_eq!(grid_count(61, &p), (2, None));
    }
}
