//! One village, start to finish: units, graph, seeds or repair, refinement, polygons.

use super::assemble::{assemble, AreaPart};
use super::counts::{fix_counts, fix_ranges, merge_undersized, retry_tight};
use super::error::{PartitionError, PartitionFlag, PartitionResult};
use super::flats::flat_moves;
use super::graph::{self, feasible, Seg};
use super::outline::{build_shapes, cut_off_moves};
use super::polygon::ClipRegion;
use super::project::LocalProj;
use super::refine::{balance, compact};
use super::repair::{init_from_previous, settle_kept_splits};
use super::seed::{grid_count, seed_component};
use super::stack::Footprints;
use super::state::{State, NONE};
use super::units::{self, Member, Prepared};
use super::zones;
use super::{PartitionParams, VillageInput, VillagePartition};
use crate::model::Grid;
use geo::{BooleanOps, BoundingRect, CoordsIter};
use geo_types::MultiPolygon;
use rstar::RTree;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// What a run does with the previous grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Start from them (or from nothing) and optimise sizes and shapes.
    Optimise,
    /// Keep their memberships exactly and only draw the polygons again (after an edit).
    Rebuild,
}

pub(crate) fn run(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    mode: Mode,
) -> PartitionResult<VillagePartition> {
    own_graph(input, params, mode, false).map(|(part, _)| part)
}

/// [`run`], keeping the village's graph for the runs of its parts
/// ([`run_in_frame`]); `None` where the grids were not drawn from that graph's cells
/// alone (barriers cut the village into zones) or the village has no sites.
pub(crate) fn run_keeping_frame(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    mode: Mode,
) -> PartitionResult<(VillagePartition, Option<Frame>)> {
    own_graph(input, params, mode, true)
}

fn own_graph(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    mode: Mode,
    keep: bool,
) -> PartitionResult<(VillagePartition, Option<Frame>)> {
    // Only a run in a frame can find itself outside it.
    run_with(input, params, mode, Graphing::Own { keep })?.ok_or_else(|| {
        PartitionError::InvalidVillage {
            village: input.village.code.clone(),
            reason: "outside its frame",
        }
    })
}

/// [`run`] for a part of a village whose run kept `frame` (a comprehensive grid, as
/// `input.village`, and its members): the part's sites are the village's sites in it,
/// linked and drawn by the village's graph and cells, so nothing is triangulated again
/// and the part's grids are unions of the village's cells. `Ok(None)` unless the
/// part's sites are all village sites whose cells went to this part in the village's
/// run (not so for a building's flats split between parts, or a footprint trimmed to
/// the part): then run it on its own.
pub(crate) fn run_in_frame(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    mode: Mode,
    frame: &Frame,
) -> PartitionResult<Option<VillagePartition>> {
    Ok(run_with(input, params, mode, Graphing::Frame(frame))?.map(|(part, _)| part))
}

/// What a village kept for the runs of its parts: its projection, its sites'
/// positions, its graph and the part (grid) each site's cell went to (see
/// [`run_in_frame`]).
pub(crate) struct Frame {
    proj: LocalProj,
    pos: Vec<[f64; 2]>,
    at: HashMap<[u64; 2], usize>,
    graph: graph::Graph,
    part: Vec<u32>,
    sites_of_part: Vec<Vec<usize>>,
}

impl Frame {
    /// The village's projection, which the runs in this frame share.
    pub(crate) fn proj(&self) -> LocalProj {
        self.proj
    }

    fn new(proj: LocalProj, pos: Vec<[f64; 2]>, graph: graph::Graph, part: Vec<u32>) -> Frame {
        let at = pos
            .iter()
            .enumerate()
            .map(|(u, p)| ([p[0].to_bits(), p[1].to_bits()], u))
            .collect();
        let mut sites_of_part: Vec<Vec<usize>> = Vec::new();
        for (u, &p) in part.iter().enumerate() {
            if p == NONE {
                continue;
            }
            if sites_of_part.len() <= p as usize {
                sites_of_part.resize(p as usize + 1, Vec::new());
            }
            sites_of_part[p as usize].push(u);
        }
        Frame {
            proj,
            pos,
            at,
            graph,
            part,
            sites_of_part,
        }
    }

    /// The village's sites for the sites of a part of it (`part_sites`, positions), in
    /// that order, and the village's other sites whose cells went to the same grid in
    /// the village's run (an institution or a tower drawn as grids of their own at this
    /// level: their cells still belong to the part). `None` unless all of the part's
    /// sites are village sites whose cells went to one grid, the one whose `region`
    /// holds the first of them (a building's flats split between grids has its cell in
    /// one of them only).
    fn sites_in(
        &self,
        part_sites: &[[f64; 2]],
        region: &ClipRegion,
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let sites = part_sites
            .iter()
            .map(|p| self.at.get(&[p[0].to_bits(), p[1].to_bits()]).copied())
            .collect::<Option<Vec<usize>>>()?;
        let first = *sites.first()?;
        let grid = *self.part.get(first)?;
        if grid == NONE
            || sites.iter().any(|&u| self.part[u] != grid)
            || !region.contains_point(self.pos[first])
        {
            return None;
        }
        let mut taken = vec![false; self.pos.len()];
        for &u in &sites {
            if std::mem::replace(&mut taken[u], true) {
                return None;
            }
        }
        let absorbed = self.sites_of_part[grid as usize]
            .iter()
            .copied()
            .filter(|&u| !taken[u])
            .collect();
        Some((sites, absorbed))
    }
}

/// Where a run's neighbour graph comes from.
enum Graphing<'a> {
    /// Triangulated from the village's sites; `keep` returns it as a [`Frame`].
    Own { keep: bool },
    /// Restricted from the graph of the village this area is part of.
    Frame(&'a Frame),
}

fn run_with(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    mode: Mode,
    graphing: Graphing<'_>,
) -> PartitionResult<Option<(VillagePartition, Option<Frame>)>> {
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
    let proj = match graphing {
        Graphing::Frame(frame) => frame.proj,
        Graphing::Own { .. } => LocalProj::new(centre.x, centre.y)
            .ok_or_else(|| invalid("centre is not a usable lon/lat"))?,
    };
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
    // Serials stop at 999: a building that alone needs more grids is an input error
    // (and would otherwise allocate millions of flat grids).
    let limit = 999 * u64::from(params.max);
    if input
        .buildings
        .iter()
        .any(|b| u64::from(b.households.count) > limit)
    {
        return Err(PartitionError::TooManyGrids {
            village: village.code.clone(),
            grids: input
                .buildings
                .iter()
                .map(|b| (b.households.count / params.max) as usize)
                .max()
                .unwrap_or(0),
        });
    }
    let unlocked: Vec<&Grid> = input
        .previous
        .iter()
        .filter(|g| !g.locked && g.level == Grid::MICRO && g.parent.is_none())
        .collect();
    let prep = units::prepare(input.buildings, &skip, &proj, fallback, params, &unlocked);
    let footprints = Footprints::new(input.buildings, &prep, &proj, &clip);
    let mut flags = prep.flags.clone();
    let mut kept_frame = None;
    let parts = if prep.sites.is_empty() {
        Vec::new()
    } else {
        let setting = Setting {
            clip: &clip,
            footprints: &footprints,
            mode,
            on_clusters: matches!(graphing, Graphing::Own { keep: true }),
        };
        let to_err = |source| PartitionError::Triangulation {
            village: village.code.clone(),
            source,
        };
        let pos: Vec<[f64; 2]> = prep.sites.iter().map(|s| s.pos).collect();
        let w: Vec<u32> = prep.sites.iter().map(|s| s.weight).collect();
        let (g, zones) = match graphing {
            Graphing::Frame(frame) => {
                let restricted = frame.sites_in(&pos, &clip).and_then(|(sites, absorbed)| {
                    frame.graph.restrict(&sites, &absorbed, &pos, &w, params)
                });
                let Some(g) = restricted else {
                    return Ok(None);
                };
                (g, Vec::new())
            }
            Graphing::Own { .. } => {
                let (barriers, lines) = barrier_lines(input, &proj, &clip.shape);
                let g = graph::build(&pos, &w, &barriers, &clip, params).map_err(to_err)?;
                let zones = if lines.is_empty() {
                    Vec::new()
                } else {
                    zones::slice(&clip.shape, &lines)
                };
                (g, zones)
            }
        };
        let (parts, part_of_site) = solve(input, params, &prep, &g, &zones, &setting, &mut flags)?;
        if matches!(graphing, Graphing::Own { keep: true }) && zones.len() <= 1 {
            kept_frame = Some(Frame::new(proj, pos, g, part_of_site));
        }
        parts
    };
    let part = assemble(
        input,
        params,
        &proj,
        &clip,
        &village_local,
        parts,
        &prep,
        &footprints,
        &locked,
        flags,
        t0,
    )?;
    Ok(Some((part, kept_frame)))
}

/// Where a village's grids are drawn: the region they tile, the footprints cut out of
/// it, and what the run does with the previous grids.
struct Setting<'a> {
    clip: &'a ClipRegion,
    footprints: &'a Footprints,
    mode: Mode,
    /// Cut a first run on clusters of sites ([`optimise_on_clusters`]): the village's
    /// run of nested grids, whose comprehensive grids hold a thousand sites each.
    on_clusters: bool,
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

/// Grids of the village's sites on graph `g`, drawn from its cells (or, with several
/// `zones`, from each zone's own), and the part each site ended in.
fn solve(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    prep: &Prepared,
    g: &graph::Graph,
    zones: &[geo_types::Polygon<f64>],
    setting: &Setting<'_>,
    flags: &mut Vec<PartitionFlag>,
) -> PartitionResult<(Vec<AreaPart>, Vec<u32>)> {
    let Setting {
        clip,
        footprints,
        mode,
        on_clusters,
    } = *setting;
    let pos: Vec<[f64; 2]> = prep.sites.iter().map(|s| s.pos).collect();
    let w: Vec<u32> = prep.sites.iter().map(|s| s.weight).collect();
    let mut st = State::new(g, w, pos);
    let n = prep.sites.len();
    let (ctot, csites) = component_totals(&st);
    let prev: Vec<&Grid> = input
        .previous
        .iter()
        .filter(|g| !g.locked && g.level == Grid::MICRO && g.parent.is_none())
        .collect();
    let repair = !prev.is_empty();
    let optimise = mode == Mode::Optimise;
    // Flats of unchanged buildings that stay where the previous run put them.
    let mut kept = Vec::new();
    if on_clusters && optimise && !repair {
        optimise_on_clusters(&mut st, params, flags);
    } else {
        if repair {
            kept = init_from_previous(&mut st, &prep.sites, input.buildings, &prev);
            if optimise {
                st.keep_largest_pieces();
                st.regrow();
            }
        }
        seed_and_grow(&mut st, params, &ctot, &csites, optimise, flags);
        if optimise {
            optimise_parts(&mut st, params, &ctot, &csites, repair);
        }
    }

    let to_err = |source| PartitionError::Triangulation {
        village: input.village.code.clone(),
        source,
    };
    let mut clipped = build_shapes(&st, zones, clip, footprints, params).map_err(to_err)?;
    // A building whose cell ended up cut off from the rest of its grid moves to the
    // neighbouring grid it touches, where sizes allow; then the outlines are rebuilt.
    for _ in 0..if optimise { 3 } else { 0 } {
        let moves = cut_off_moves(&st, &clipped, params, &ctot);
        if moves.is_empty() {
            break;
        }
        for (u, q) in moves {
            st.relocate(u, q);
        }
        clipped = build_shapes(&st, zones, clip, footprints, params).map_err(to_err)?;
    }
    // Where whole buildings could not bring a grid into the range, flats move.
    let mut moves = settle_kept_splits(&mut st, kept);
    if optimise && params.split_buildings {
        let more = flat_moves(&st, &prep.sites, params, &ctot, &moves);
        moves.extend(more);
    }
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); st.n_parts()];
    for (u, site) in prep.sites.iter().enumerate() {
        for (k, m) in site.members.iter().enumerate() {
            let mut end = m.flats.map_or(m.households, |f| f.1);
            let start = m.flats.map_or(0, |f| f.0);
            let mut split = false;
            for mv in moves.iter().filter(|mv| mv.site == u && mv.member == k) {
                if let Some(list) = members.get_mut(mv.to as usize) {
                    list.push(Member {
                        building: m.building,
                        households: mv.flats,
                        flats: Some((end - mv.flats, end)),
                    });
                }
                end -= mv.flats;
                split = true;
            }
            if let Some(list) = members.get_mut(st.part[u] as usize) {
                list.push(if split {
                    Member {
                        building: m.building,
                        households: end - start,
                        flats: Some((start, end)),
                    }
                } else {
                    m.clone()
                });
            }
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
            sites: (0..n)
                .filter(|&u| st.part[u] == p as u32)
                .map(|u| st.pos[u])
                .collect(),
        });
    }
    Ok((out, st.part))
}

/// Households and sites of each component of `st`'s graph.
fn component_totals(st: &State<'_>) -> (Vec<u64>, Vec<Vec<usize>>) {
    let g = st.g;
    let mut ctot = vec![0u64; g.n_comp];
    let mut csites: Vec<Vec<usize>> = vec![Vec::new(); g.n_comp];
    for u in 0..st.part.len() {
        let c = g.comp[u] as usize;
        ctot[c] += u64::from(st.w[u]);
        csites[c].push(u);
    }
    (ctot, csites)
}

/// Seeds every component without a part yet ([`seed_component`]), keeps each part's
/// largest piece (with `optimise`) and gives the sites left over to the part they
/// border.
fn seed_and_grow(
    st: &mut State<'_>,
    params: &PartitionParams,
    ctot: &[u64],
    csites: &[Vec<usize>],
    optimise: bool,
    flags: &mut Vec<PartitionFlag>,
) {
    for (c, sites) in csites.iter().enumerate() {
        let (k, flag) = grid_count(ctot[c], params);
        flags.extend(flag);
        if sites.iter().all(|&u| st.part[u] == NONE) {
            seed_component(st, sites.clone(), k, c as u32);
        }
    }
    if optimise {
        st.keep_largest_pieces();
    }
    // Sites in no grid yet (new buildings) join the grid they border.
    for u in st.regrow() {
        // Unreachable from any part (cannot happen in a connected component); own part.
        let p = st.new_part(st.g.comp[u], true);
        st.add(u, p);
    }
    recompute_pcomp(st);
}

/// Most sites a cluster holds in [`optimise_on_clusters`].
const CLUSTER_SITES: usize = 12;
/// A cluster holds at most this share of the grids' minimum households (a heavier site
/// alone), so that a grid is made of twenty clusters or more and balancing can still
/// bring it into the range.
const CLUSTER_SHARE_OF_MIN: u32 = 20;

/// A fresh run for large grids, into `st` (no parts yet): seeds and optimises the parts
/// on clusters of a dozen neighbouring sites ([`graph::Graph::coarsen`]), which made the
/// refinement of the bench county's comprehensive grids about 3.5 times cheaper, then
/// gives every site its cluster's part and smooths the borders site by site (boundary
/// length only, never leaving the range).
fn optimise_on_clusters(
    st: &mut State<'_>,
    params: &PartitionParams,
    flags: &mut Vec<PartitionFlag>,
) {
    let max_weight = (params.min / CLUSTER_SHARE_OF_MIN).max(1);
    let graph::Coarse {
        cluster,
        graph,
        weights,
        pos,
    } = st.g.coarsen(&st.w, &st.pos, CLUSTER_SITES, max_weight);
    let mut cst = State::new(&graph, weights, pos);
    let (ctot, csites) = component_totals(&cst);
    seed_and_grow(&mut cst, params, &ctot, &csites, true, flags);
    optimise_parts(&mut cst, params, &ctot, &csites, false);
    for p in 0..cst.n_parts() {
        st.new_part(cst.pcomp[p], true);
    }
    for (u, &c) in cluster.iter().enumerate() {
        let p = cst.part[c as usize];
        if p != NONE {
            st.add(u, p);
        }
    }
    compact(st, &smoothing(params), params.smooth_passes as usize, false);
}

/// The knobs of the final smoothing: boundary length only (no inertia term), which
/// straightens the zigzag of many small cells along grid borders.
fn smoothing(params: &PartitionParams) -> PartitionParams {
    PartitionParams {
        compact_scale: f64::INFINITY,
        ..params.clone()
    }
}

/// Sizes into the range, then compact shapes, then smooth borders.
fn optimise_parts(
    st: &mut State<'_>,
    params: &PartitionParams,
    ctot: &[u64],
    csites: &[Vec<usize>],
    repair: bool,
) {
    fix_counts(st, params, ctot);
    balance(st, params, 300);
    for _ in 0..4 {
        if !fix_ranges(st, params, ctot) {
            break;
        }
        balance(st, params, 300);
    }
    // A repair leaves what balancing could not fix to the flat moves: cutting a whole
    // component again would move far more households than the change did.
    if !repair {
        retry_tight(st, params, ctot, csites);
    }
    merge_undersized(st, params, ctot);
    compact(st, params, params.compact_passes as usize, repair);
    compact(
        st,
        &smoothing(params),
        params.smooth_passes as usize,
        repair,
    );
}

fn recompute_pcomp(st: &mut State<'_>) {
    for u in 0..st.part.len() {
        let p = st.part[u];
        if p != NONE {
            st.pcomp[p as usize] = st.g.comp[u];
        }
    }
}
