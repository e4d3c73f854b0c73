//! One village, start to finish: units, graph, seeds or repair, refinement, polygons.

use super::assemble::{assemble, AreaPart};
use super::error::{PartitionError, PartitionFlag, PartitionResult};
use super::graph::{self, feasible, Graph, Seg};
use super::polygon::{absorb_strays, part_shapes, ClipRegion};
use super::project::LocalProj;
use super::refine::{balance, compact};
use super::seed::{grid_count, seed_component};
use super::state::{State, NONE};
use super::units::{self, Member, Prepared};
use super::zones;
use super::{PartitionParams, VillageInput, VillagePartition};
use crate::model::{Building, Grid};
use geo::{BooleanOps, BoundingRect, CoordsIter};
use geo_types::MultiPolygon;
use rstar::RTree;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// A flat range `[start, end)` of a split building.
type Flats = Option<(u32, u32)>;
/// A member as (building id, households, flats).
type OwnedMember = (String, u32, Flats);

pub(crate) fn run(
    input: &VillageInput<'_>,
    params: &PartitionParams,
) -> PartitionResult<VillagePartition> {
    let t0 = Instant::now();
    let village = input.village;
    let invalid = |reason| PartitionError::InvalidVillage {
        village: village.code.clone(),
        reason,
    };
    let rect = village
        .boundary
        .bounding_rect()
        .ok_or_else(|| invalid("empty boundary"))?;
    if village
        .boundary
        .coords_iter()
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return Err(invalid("non-finite coordinates"));
    }
    let centre = rect.center();
    let proj = LocalProj::new(centre.x, centre.y)
        .ok_or_else(|| invalid("centre is not a usable lon/lat"))?;
    let locked: Vec<&Grid> = input.previous.iter().filter(|g| g.locked).collect();
    let skip: HashSet<&str> = locked
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.building.as_str()))
        .collect();
    let village_local = proj.fwd_mp(&village.boundary);
    let clip_shape = if locked.is_empty() {
        village_local.clone()
    } else {
        let lk = MultiPolygon(
            locked
                .iter()
                .flat_map(|g| proj.fwd_mp(&g.polygon).0)
                .collect(),
        );
        village_local.difference(&lk)
    };
    let clip = ClipRegion::new(clip_shape);
    let fallback = crate::geometry::representative_point(&village.boundary)
        .map(|p| proj.fwd(p.0))
        .map(|c| [c.x, c.y])
        .unwrap_or([0.0, 0.0]);
    let prep = units::prepare(input.buildings, &skip, &proj, fallback, params);
    let mut flags = prep.flags.clone();
    let parts = if prep.sites.is_empty() {
        Vec::new()
    } else {
        let (barriers, lines) = barrier_lines(input, &proj, &clip.shape);
        solve(input, params, &prep, &barriers, &lines, &clip, &mut flags)?
    };
    assemble(
        input,
        params,
        &proj,
        &clip,
        &village_local,
        parts,
        &prep,
        &locked,
        flags,
        t0,
    )
}

/// Barrier segments (R-tree) and polylines near the village, in local metres.
fn barrier_lines(
    input: &VillageInput<'_>,
    proj: &LocalProj,
    near: &MultiPolygon<f64>,
) -> (RTree<Seg>, Vec<Vec<[f64; 2]>>) {
    let bbox = near.bounding_rect();
    let mut segs = Vec::new();
    let mut lines = Vec::new();
    for b in input.barriers {
        for ls in &b.line.0 {
            let pts: Vec<[f64; 2]> =
                ls.0.iter()
                    .map(|c| proj.fwd(*c))
                    .map(|c| [c.x, c.y])
                    .collect();
            if pts.len() < 2 || pts.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
                continue;
            }
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for p in &pts {
                x0 = x0.min(p[0]);
                y0 = y0.min(p[1]);
                x1 = x1.max(p[0]);
                y1 = y1.max(p[1]);
            }
            let apart = bbox.is_some_and(|r| {
                x1 < r.min().x || x0 > r.max().x || y1 < r.min().y || y0 > r.max().y
            });
            if apart {
                continue;
            }
            for w in pts.windows(2) {
                segs.push(Seg(w[0], w[1]));
            }
            lines.push(pts);
        }
    }
    (RTree::bulk_load(segs), lines)
}

fn solve(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    prep: &Prepared,
    barriers: &RTree<Seg>,
    lines: &[Vec<[f64; 2]>],
    clip: &ClipRegion,
    flags: &mut Vec<PartitionFlag>,
) -> PartitionResult<Vec<AreaPart>> {
    let pos: Vec<[f64; 2]> = prep.sites.iter().map(|s| s.pos).collect();
    let w: Vec<u32> = prep.sites.iter().map(|s| s.weight).collect();
    let g = graph::build(&pos, &w, barriers, clip, params).map_err(|source| {
        PartitionError::Triangulation {
            village: input.village.code.clone(),
            source,
        }
    })?;
    let mut st = State::new(&g, w, pos);
    let n = prep.sites.len();
    let mut ctot = vec![0u64; g.n_comp];
    let mut csites: Vec<Vec<usize>> = vec![Vec::new(); g.n_comp];
    for u in 0..n {
        let c = g.comp[u] as usize;
        ctot[c] += u64::from(st.w[u]);
        csites[c].push(u);
    }
    let prev: Vec<&Grid> = input.previous.iter().filter(|g| !g.locked).collect();
    let repair = !prev.is_empty();
    if repair {
        init_from_previous(&mut st, &prep.sites, input.buildings, &prev);
        st.keep_largest_pieces();
        st.regrow();
    }
    for (c, sites) in csites.iter().enumerate() {
        let (k, flag) = grid_count(ctot[c], params);
        flags.extend(flag);
        if sites.iter().all(|&u| st.part[u] == NONE) {
            seed_component(&mut st, sites.clone(), k, c as u32);
        }
    }
    st.keep_largest_pieces();
    for u in st.regrow() {
        // Unreachable from any part (cannot happen in a connected component); own part.
        let p = st.new_part(g.comp[u], true);
        st.add(u, p);
    }
    recompute_pcomp(&mut st);
    fix_counts(&mut st, params, &ctot);
    balance(&mut st, params, 300);
    for _ in 0..4 {
        if !fix_ranges(&mut st, params, &ctot) {
            break;
        }
        balance(&mut st, params, 300);
    }
    merge_undersized(&mut st, params, &ctot);
    compact(&mut st, params, params.compact_passes as usize, repair);

    let zones = if lines.is_empty() {
        Vec::new()
    } else {
        zones::slice(&clip.shape, lines)
    };
    let to_err = |source| PartitionError::Triangulation {
        village: input.village.code.clone(),
        source,
    };
    let mut clipped = build_shapes(&st, &zones, clip, params).map_err(to_err)?;
    // A building whose cell ended up cut off from the rest of its grid moves to the
    // neighbouring grid it touches, where sizes allow; then the outlines are rebuilt.
    for _ in 0..3 {
        let moves = cut_off_moves(&st, &clipped, params, &ctot);
        if moves.is_empty() {
            break;
        }
        for (u, q) in moves {
            st.relocate(u, q);
        }
        clipped = build_shapes(&st, &zones, clip, params).map_err(to_err)?;
    }
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); st.n_parts()];
    for (u, site) in prep.sites.iter().enumerate() {
        if let Some(list) = members.get_mut(st.part[u] as usize) {
            list.extend(site.members.iter().cloned());
        }
    }
    let mut out = Vec::new();
    for (p, (m, shape)) in members.into_iter().zip(clipped).enumerate() {
        if st.pc[p] == 0 {
            continue;
        }
        let comp_total = ctot.get(st.pcomp[p] as usize).copied().unwrap_or(0);
        out.push(AreaPart {
            members: m,
            shape,
            feasible: feasible(comp_total, params),
        });
    }
    Ok(out)
}

/// Clipped grid shapes (local metres) by part: one Voronoi diagram for the village, or
/// one per barrier zone.
fn build_shapes(
    st: &State<'_>,
    zones: &[geo_types::Polygon<f64>],
    clip: &ClipRegion,
    params: &PartitionParams,
) -> Result<Vec<MultiPolygon<f64>>, spade::InsertionError> {
    if zones.len() > 1 {
        return zones::zoned_shapes(zones, &st.pos, &st.part, &st.g.comp, st.n_parts(), params);
    }
    let mut site_pos: Vec<Vec<[f64; 2]>> = vec![Vec::new(); st.n_parts()];
    for (u, &p) in st.part.iter().enumerate() {
        if let Some(list) = site_pos.get_mut(p as usize) {
            list.push(st.pos[u]);
        }
    }
    let mut clipped: Vec<MultiPolygon<f64>> = part_shapes(st.g, &st.part, st.n_parts())
        .into_iter()
        .map(|s| clip.clip(s))
        .collect();
    absorb_strays(&mut clipped, &site_pos);
    Ok(clipped)
}

/// Sites in a piece of their grid's polygon other than its main piece (the one with
/// most sites), each paired with the neighbouring grid of the same component sharing
/// the longest border with that piece, where both sizes stay within the range.
fn cut_off_moves(
    st: &State<'_>,
    shapes: &[MultiPolygon<f64>],
    params: &PartitionParams,
    ctot: &[u64],
) -> Vec<(usize, u32)> {
    use geo::{BoundingRect, Contains};
    let (min, max) = (u64::from(params.min), u64::from(params.max));
    let mut moves = Vec::new();
    let mut added: HashMap<u32, u64> = HashMap::new();
    for (p, shape) in shapes.iter().enumerate() {
        if shape.0.len() < 2 {
            continue;
        }
        let sites: Vec<usize> = (0..st.part.len())
            .filter(|&u| st.part[u] == p as u32)
            .collect();
        let in_piece: Vec<Vec<usize>> = shape
            .0
            .iter()
            .map(|piece| {
                sites
                    .iter()
                    .copied()
                    .filter(|&u| piece.contains(&geo_types::Point::new(st.pos[u][0], st.pos[u][1])))
                    .collect()
            })
            .collect();
        let Some(main) =
            (0..in_piece.len()).max_by_key(|&i| (in_piece[i].len(), std::cmp::Reverse(i)))
        else {
            continue;
        };
        let feasible_comp = ctot
            .get(st.pcomp[p] as usize)
            .is_some_and(|&h| feasible(h, params));
        let mut pw = st.pw[p];
        for (i, piece_sites) in in_piece.iter().enumerate() {
            if i == main || piece_sites.is_empty() {
                continue;
            }
            let piece = MultiPolygon(vec![shape.0[i].clone()]);
            let Some(pb) = piece.bounding_rect() else {
                continue;
            };
            let w: u64 = piece_sites.iter().map(|&u| u64::from(st.w[u])).sum();
            let mut best: Option<(f64, u32)> = None;
            for (q, other) in shapes.iter().enumerate() {
                if q == p || other.0.is_empty() || st.pcomp[q] != st.pcomp[p] {
                    continue;
                }
                let wq = st.pw[q] + added.get(&(q as u32)).copied().unwrap_or(0);
                if feasible_comp && (wq + w > max || pw < min + w) {
                    continue;
                }
                let Some(ob) = other.bounding_rect() else {
                    continue;
                };
                if ob.max().x < pb.min().x
                    || ob.min().x > pb.max().x
                    || ob.max().y < pb.min().y
                    || ob.min().y > pb.max().y
                {
                    continue;
                }
                let u = other.union(&piece);
                if u.0.len() > other.0.len() {
                    continue;
                }
                let shared = (perimeter(&piece) + perimeter(other) - perimeter(&u)) / 2.0;
                if shared > 1e-6 && best.is_none_or(|b| shared > b.0) {
                    best = Some((shared, q as u32));
                }
            }
            if let Some((_, q)) = best {
                pw -= w;
                *added.entry(q).or_default() += w;
                moves.extend(piece_sites.iter().map(|&u| (u, q)));
            }
        }
    }
    moves
}

fn perimeter(shape: &MultiPolygon<f64>) -> f64 {
    use geo::{Euclidean, Length};
    shape
        .0
        .iter()
        .map(|p| {
            Euclidean.length(p.exterior())
                + p.interiors()
                    .iter()
                    .map(|r| Euclidean.length(r))
                    .sum::<f64>()
        })
        .sum()
}

fn recompute_pcomp(st: &mut State<'_>) {
    for u in 0..st.part.len() {
        let p = st.part[u];
        if p != NONE {
            st.pcomp[p as usize] = st.g.comp[u];
        }
    }
}

/// Sites keep the previous grid most of their households were in.
fn init_from_previous(
    st: &mut State<'_>,
    sites: &[units::Site],
    buildings: &[&Building],
    prev: &[&Grid],
) {
    let mut by_building: HashMap<&str, Vec<(usize, Flats)>> = HashMap::new();
    for (gi, g) in prev.iter().enumerate() {
        for m in &g.members {
            by_building
                .entry(m.building.as_str())
                .or_default()
                .push((gi, m.flats));
        }
    }
    let mut part_of = vec![NONE; prev.len()];
    let mut got: Vec<Vec<OwnedMember>> = vec![Vec::new(); prev.len()];
    for (u, site) in sites.iter().enumerate() {
        let mut votes: Vec<(usize, u64)> = Vec::new();
        for m in &site.members {
            let Some(b) = buildings.get(m.building) else {
                continue;
            };
            let Some(entries) = by_building.get(b.source_id.as_str()) else {
                continue;
            };
            let gi = entries
                .iter()
                .find(|e| e.1 == m.flats)
                .or(entries.first())
                .map(|e| e.0);
            if let Some(gi) = gi {
                match votes.iter_mut().find(|v| v.0 == gi) {
                    Some(v) => v.1 += u64::from(m.households) + 1,
                    None => votes.push((gi, u64::from(m.households) + 1)),
                }
            }
        }
        let Some(&(gi, _)) = votes
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        if part_of[gi] == NONE {
            part_of[gi] = st.new_part(st.g.comp[u], false);
        }
        st.add(u, part_of[gi]);
        for m in &site.members {
            if let Some(b) = buildings.get(m.building) {
                got[gi].push((b.source_id.clone(), m.households, m.flats));
            }
        }
    }
    for (gi, g) in prev.iter().enumerate() {
        if part_of[gi] == NONE {
            continue;
        }
        let mut had: Vec<OwnedMember> = g
            .members
            .iter()
            .map(|m| (m.building.clone(), m.households, m.flats))
            .collect();
        had.sort();
        got[gi].sort();
        if had != got[gi] {
            st.dirty[part_of[gi] as usize] = true;
        }
    }
}

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

/// Last resort for parts still below `min` (large indivisible buildings, e.g. 44 + 18
/// households): join the lightest neighbour, giving one grid above `max` (the rule:
/// never below `min` when avoidable). The grid is flagged `OutOfRange`.
fn merge_undersized(st: &mut State<'_>, params: &PartitionParams, ctot: &[u64]) {
    let min = u64::from(params.min);
    for (c, &h) in ctot.iter().enumerate() {
        if !feasible(h, params) {
            continue;
        }
        for _ in 0..1000 {
            let parts = parts_of_comp(st, c as u32);
            let under = parts
                .iter()
                .copied()
                .filter(|&p| st.pw[p as usize] < min)
                .min_by_key(|&p| (st.pw[p as usize], p));
            match under {
                Some(p) if parts.len() > 1 && merge_into_neighbour(st, p) => {}
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
fn fix_counts(st: &mut State<'_>, params: &PartitionParams, ctot: &[u64]) {
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
fn fix_ranges(st: &mut State<'_>, params: &PartitionParams, ctot: &[u64]) -> bool {
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
