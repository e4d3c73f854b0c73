//! Nested grids: every village cut into comprehensive grids (综治网格, 300–500
//! households), each of those cut into micro-grids (微网格, 30–50).
//!
//! # Algorithm
//! 1. The village is partitioned with the upper sizes; the grids that come out are the
//!    comprehensive grids ([`Grid::COMPREHENSIVE`]). A village below the upper minimum
//!    becomes one comprehensive grid, flagged `Undersized`. A first run cuts them on
//!    clusters of a dozen neighbouring buildings and then smooths their borders
//!    building by building (`run::optimise_on_clusters`): a comprehensive grid holds a
//!    thousand sites, and refining them one by one was the largest cost of this step
//!    after the triangulation.
//! 2. Each comprehensive grid is then partitioned with the lower sizes as if it were a
//!    village: its polygon is the boundary, its members (whole buildings, or the flat
//!    range of a tower it holds) are the buildings. A micro-grid therefore never
//!    crosses its comprehensive grid, and since the micro-grids tile the comprehensive
//!    polygon the way grids tile a village, their union is that polygon (up to the
//!    rounding of one boolean clip, see [`NESTING_TOLERANCE_M`]); the stacking rule holds within each comprehensive
//!    grid as it does within a village. The comprehensive polygon is then redrawn as
//!    that union (see `dissolve`), so the levels agree exactly.
//!
//!    Step 2 runs on the village's own neighbour graph and Voronoi cells, kept from
//!    step 1 ([`run::run_in_frame`]): the links between different comprehensive grids
//!    are cut and the components recomputed, so nothing is triangulated again and the
//!    micro-grids are unions of the cells the comprehensive grid was drawn from. A
//!    comprehensive grid with a site whose cell step 1 did not give it (a building's
//!    flats split between two of them, a tower's footprint trimmed to the grid), or
//!    whose cells would leave part of it uncovered, is cut on its own graph as before;
//!    so is every grid of a village whose barriers cut it into zones.
//! 3. Micro-grids are coded `<comprehensive code>-<2-digit serial>`, west→east in
//!    north→south rows within their comprehensive grid.
//!
//! Re-runs start from the previous grids of each level, so both levels keep their codes
//! where the run does not change them: the previous comprehensive grids seed step 1, and
//! the previous micro-grids of a comprehensive grid seed its step 2. A locked
//! comprehensive grid keeps its micro-grids unchanged.
//!
//! # Examples
//! ```
//! use gridmap_core::partition::{partition_village_nested, validate_nesting, PartitionParams, VillageInput};
//! let (v, b) = gridmap_synth::small::villages(1, 900, 3);
//! let refs: Vec<&_> = b.iter().collect();
//! let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
//! let upper = PartitionParams::new(300, 500, 400);
//! let out = partition_village_nested(&input, &upper, &PartitionParams::default()).unwrap();
//! assert!(out.comprehensive.grids.len() >= 2);
//! let first = &out.comprehensive.grids[0];
//! let children: Vec<_> = out.micro.grids.iter().filter(|g| g.parent.as_ref() == Some(&first.code)).collect();
//! assert_eq!(children.iter().map(|g| g.households).sum::<u32>(), first.households);
//! assert!(children[0].code.as_str().starts_with(first.code.as_str()));
//! assert!(validate_nesting(&v[0], &out.comprehensive.grids, &out.micro.grids).is_empty());
//! ```

use super::error::{PartitionError, PartitionFlag, PartitionResult};
use super::project::LocalProj;
use super::run::{self, Mode};
use super::validate::Violation;
use super::{codes, PartitionParams, VillageInput, VillagePartition};
use crate::geometry::connected_parts;
use crate::model::{AdminUnit, Building, Grid, GridCode, GridMember};
use geo::{Area, BooleanOps, BoundingRect, Contains, Intersects};
use geo_types::MultiPolygon;
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// Both levels of a nested partition of one village.
#[derive(Debug, Clone, Serialize)]
pub struct NestedPartition {
    /// The comprehensive grids ([`Grid::COMPREHENSIVE`]), with their report and flags.
    pub comprehensive: VillagePartition,
    /// The micro-grids ([`Grid::MICRO`], each with its `parent`), with their report
    /// (summed over the comprehensive grids) and flags.
    pub micro: VillagePartition,
}

impl NestedPartition {
    /// All grids of the village, comprehensive grids first.
    pub fn into_grids(self) -> Vec<Grid> {
        let mut grids = self.comprehensive.grids;
        grids.extend(self.micro.grids);
        grids
    }
}

/// Partitions one village into comprehensive grids of `upper` sizes, each cut into
/// micro-grids of `lower` sizes. Institutions become grids of their own (with
/// `lower.institution_grids`) at the micro level; give `upper` without them (as
/// [`PartitionParams::comprehensive_params`] does). `input.previous` holds the village's previous grids of
/// both levels. See the module docs.
///
/// # Errors
/// As [`super::partition_village`], and [`PartitionError::InvalidLevels`] when a
/// comprehensive grid could not hold several micro-grids (`lower.max > upper.min`),
/// [`PartitionError::TooManyGrids`] when a comprehensive grid needs more than 99
/// micro-grids.
#[tracing::instrument(
    skip_all,
    fields(village = %input.village.code, buildings = input.buildings.len()),
    err(Display)
)]
pub fn partition_village_nested(
    input: &VillageInput<'_>,
    upper: &PartitionParams,
    lower: &PartitionParams,
) -> PartitionResult<NestedPartition> {
    upper.check()?;
    lower.check()?;
    if lower.max > upper.min {
        return Err(PartitionError::InvalidLevels {
            upper_min: upper.min,
            lower_max: lower.max,
        });
    }
    // Step 1 sees the previous comprehensive grids as ordinary grids. A locked grid of
    // an earlier one-level run is kept as a comprehensive grid of one micro-grid.
    let previous_upper: Vec<Grid> = input
        .previous
        .iter()
        .filter(|g| g.is_comprehensive() || (g.locked && g.parent.is_none()))
        .map(|g| Grid {
            level: Grid::MICRO,
            ..g.clone()
        })
        .collect();
    let (mut comprehensive, frame) = run::run_keeping_frame(
        &VillageInput {
            previous: &previous_upper,
            ..*input
        },
        upper,
        Mode::Optimise,
    )?;
    for g in &mut comprehensive.grids {
        g.level = Grid::COMPREHENSIVE;
        g.parent = None;
    }

    let micro = cut_all(input, &comprehensive.grids, lower, frame.as_ref(), |_| {
        Mode::Optimise
    })?;
    dissolve(&mut comprehensive.grids, &micro.grids, input.previous);
    Ok(NestedPartition {
        comprehensive,
        micro,
    })
}

/// Redraws each comprehensive grid (but a locked one, kept as it was) as the union of
/// its micro-grids' polygons, so the two levels agree: the upper level is drawn from the
/// lower, the way a county's townships are the dissolve of their villages. The
/// micro-grids were cut from the first outline, which their union differs from only by
/// the rounding of the clips (a few 1e-7 m, see [`NESTING_TOLERANCE_M`]); the
/// comprehensive grids still tile the village as the micro-grids do. The union may
/// write the outline differently: where the grid narrows to one point (two blocks
/// meeting at a corner across roads) it is two polygons touching there, where the first
/// outline was one ring touching itself, and where micro-grids of two zones that a road
/// cuts apart meet with a rounding gap (a few 1e-7 m) it keeps the gap; that is the
/// same grid, still in one part ([`connected_parts`]). Only where the union would fall
/// into more parts than the first outline the first outline stays. A grid keeps the
/// version of its `previous` self when its members and its polygon are the same, as a
/// grid of one level does.
fn dissolve(comprehensive: &mut [Grid], micro: &[Grid], previous: &[Grid]) {
    let mut children: HashMap<&GridCode, Vec<&MultiPolygon<f64>>> = HashMap::new();
    for g in micro {
        if let Some(p) = &g.parent {
            children.entry(p).or_default().push(&g.polygon);
        }
    }
    comprehensive
        .par_iter_mut()
        .filter(|g| !g.locked)
        .for_each(|g| {
            if let Some(kids) = children.get(&g.code) {
                let union = geo::unary_union(kids.iter().copied());
                if connected_parts(&union) <= connected_parts(&g.polygon) {
                    g.polygon = union;
                }
            }
            let before = previous
                .iter()
                .find(|p| p.is_comprehensive() && p.code == g.code);
            if let Some(p) = before {
                let same = same_members(&p.members, &g.members) && p.polygon == g.polygon;
                g.version = if same { p.version } else { p.version + 1 };
            }
        });
}

/// A comprehensive grid in pieces (flagged `NonContiguous`) may have a piece without
/// buildings that no micro-grid covers: it goes to the ground micro-grid whose polygon
/// comes nearest (by the centre of its box), so the micro-grids still cover their
/// comprehensive grid.
fn cover_empty_pieces(grids: &mut [Grid], shape: &MultiPolygon<f64>) {
    use geo::{Centroid, Distance, Euclidean};
    for piece in &shape.0 {
        let piece = MultiPolygon(vec![piece.clone()]);
        let covered: f64 = grids
            .iter()
            .map(|g| g.polygon.intersection(&piece).unsigned_area())
            .sum();
        if covered > 0.5 * piece.unsigned_area() {
            continue;
        }
        let Some(centre) = piece.centroid() else {
            continue;
        };
        let nearest = grids
            .iter()
            .enumerate()
            .filter(|(_, g)| !on_one_footprint(g) && !g.polygon.0.is_empty())
            .map(|(i, g)| (i, Euclidean.distance(&g.polygon, &centre)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        if let Some(i) = nearest {
            grids[i].polygon = grids[i].polygon.union(&piece);
        }
    }
}

/// Whether `grids` cover `shape`: their union's area falls short of the shape's by no
/// more than slivers of [`NESTING_TOLERANCE_M`] along its outline (in `proj`'s metres).
/// Grids drawn from the village's cells can leave a piece of the shape uncovered that
/// the first step gave it from a cell of another grid (a stray piece at the village's
/// border); the rounding of the clips stays far below that.
fn covers(grids: &[Grid], shape: &MultiPolygon<f64>, proj: &LocalProj) -> bool {
    let shape = proj.fwd_mp(shape);
    let union = proj.fwd_mp(&geo::unary_union(grids.iter().map(|g| &g.polygon)));
    let short = shape.unsigned_area() - union.unsigned_area();
    short.abs() <= NESTING_TOLERANCE_M * crate::geometry::planar_perimeter(&shape).max(1.0)
}

/// Whether `g` stands on one building's footprint: an institution's grid, or flats of
/// one building only.
fn on_one_footprint(g: &Grid) -> bool {
    super::stack::one_building(g).is_some()
}

/// Gives all of `footprint` that ground micro-grids of `grids` cover to the one that
/// covers most of it, so the footprint lies wholly inside one ground grid (a vertical
/// grid of another comprehensive grid stands on it).
fn hold_footprint_in_one(grids: &mut [Grid], footprint: &MultiPolygon<f64>) {
    let Some(fb) = footprint.bounding_rect() else {
        return;
    };
    let meets = |g: &Grid| g.polygon.bounding_rect().is_some_and(|b| b.intersects(&fb));
    let covering: Vec<(usize, MultiPolygon<f64>)> = grids
        .iter()
        .enumerate()
        .filter(|(_, g)| !on_one_footprint(g) && meets(g))
        .map(|(i, g)| (i, g.polygon.intersection(footprint)))
        .filter(|(_, piece)| piece.unsigned_area() > 1e-16)
        .collect();
    if covering.len() < 2 {
        return;
    }
    let Some(holder) = covering
        .iter()
        .max_by(|a, b| a.1.unsigned_area().total_cmp(&b.1.unsigned_area()))
        .map(|(i, _)| *i)
    else {
        return;
    };
    for (i, piece) in &covering {
        if *i == holder {
            continue;
        }
        let rest = grids[*i].polygon.difference(footprint);
        grids[*i].polygon = rest;
        grids[holder].polygon = grids[holder].polygon.union(piece);
    }
}

/// Flags the ground micro-grids that came out in pieces apart (a comprehensive grid in
/// pieces, a footprint handed over) and are not flagged yet.
fn flag_pieces(part: &mut VillagePartition) {
    for g in &part.grids {
        let pieces = g.polygon.0.len();
        let apart = connected_parts(&g.polygon) > 1;
        let flagged = part.flags.iter().any(
            |f| matches!(f, PartitionFlag::NonContiguous { grid, .. } if *grid == g.code.as_str()),
        );
        if apart && !flagged && !on_one_footprint(g) {
            part.flags.push(PartitionFlag::NonContiguous {
                grid: g.code.to_string(),
                pieces,
            });
        }
    }
}

/// Which level an edit changed memberships at (see [`rebuild_nested`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditedLevel {
    /// Buildings moved between micro-grids: comprehensive memberships follow them.
    Micro,
    /// Buildings moved between comprehensive grids: the micro-grids of the
    /// comprehensive grids that changed are partitioned again from what they were.
    Comprehensive,
}

/// Draws a nested village again after an edit: `input.previous` holds both levels, the
/// `edited` level with its new memberships. With [`EditedLevel::Micro`] each
/// comprehensive grid takes the members of its micro-grids and both levels are redrawn
/// for the memberships they have (a building moved between micro-grids of different
/// comprehensive grids moves in both). With [`EditedLevel::Comprehensive`] the
/// comprehensive grids keep the memberships given, and the micro-grids of those whose
/// members changed are partitioned again starting from their previous micro-grids.
/// Codes stay with their grids; sizes are not corrected (flags show them).
///
/// ```
/// use gridmap_core::partition::{partition_village_nested, rebuild_nested, validate_nesting, EditedLevel, PartitionParams, VillageInput};
/// use gridmap_core::edit::move_buildings;
/// let (v, b) = gridmap_synth::small::villages(1, 900, 3);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let (upper, lower) = (PartitionParams::new(300, 500, 400), PartitionParams::default());
/// let out = partition_village_nested(&input, &upper, &lower).unwrap();
/// let (mut micro, top) = (out.micro.grids.clone(), out.comprehensive.grids.clone());
/// // Move a building of the first comprehensive grid's first micro-grid into a micro-grid of the second.
/// let from = micro.iter().find(|g| g.parent.as_ref() == Some(&top[0].code)).unwrap().clone();
/// let to = micro.iter().find(|g| g.parent.as_ref() == Some(&top[1].code)).unwrap().code.clone();
/// let moved = from.whole_buildings().next().unwrap().to_owned();
/// move_buildings(&mut micro, &[moved.as_str()], &to).unwrap();
/// let previous: Vec<_> = top.iter().cloned().chain(micro).collect();
/// let again = rebuild_nested(&VillageInput { previous: &previous, ..input }, &upper, &lower, EditedLevel::Micro).unwrap();
/// let holder = again.comprehensive.grids.iter().find(|g| g.members.iter().any(|m| m.building == moved)).unwrap();
/// assert_eq!(holder.code, top[1].code);
/// assert!(validate_nesting(&v[0], &again.comprehensive.grids, &again.micro.grids).is_empty());
/// ```
pub fn rebuild_nested(
    input: &VillageInput<'_>,
    upper: &PartitionParams,
    lower: &PartitionParams,
    edited: EditedLevel,
) -> PartitionResult<NestedPartition> {
    upper.check()?;
    lower.check()?;
    let counts: HashMap<&str, u32> = input
        .buildings
        .iter()
        .map(|b| (b.source_id.as_str(), b.households.count))
        .collect();
    let micro: Vec<&Grid> = input
        .previous
        .iter()
        .filter(|g| g.level == Grid::MICRO && g.parent.is_some())
        .collect();
    let mut changed: Vec<GridCode> = Vec::new();
    let mut top: Vec<Grid> = Vec::new();
    for g in input.previous.iter().filter(|g| g.is_comprehensive()) {
        let kids: Vec<&Grid> = micro
            .iter()
            .copied()
            .filter(|k| k.parent.as_ref() == Some(&g.code))
            .collect();
        let members = merged_members(&kids, &counts);
        let mut g = Grid {
            level: Grid::MICRO,
            ..g.clone()
        };
        if !same_members(&members, &g.members) {
            changed.push(g.code.clone());
            if edited == EditedLevel::Micro {
                g.households = members.iter().map(|m| m.households).sum();
                g.members = members;
            }
        }
        top.push(g);
    }
    let (mut comprehensive, frame) = run::run_keeping_frame(
        &VillageInput {
            previous: &top,
            ..*input
        },
        upper,
        Mode::Rebuild,
    )?;
    for g in &mut comprehensive.grids {
        g.level = Grid::COMPREHENSIVE;
        g.parent = None;
    }
    let micro = cut_all(
        input,
        &comprehensive.grids,
        lower,
        frame.as_ref(),
        |parent| {
            if edited == EditedLevel::Comprehensive && changed.contains(&parent.code) {
                Mode::Optimise
            } else {
                Mode::Rebuild
            }
        },
    )?;
    dissolve(&mut comprehensive.grids, &micro.grids, input.previous);
    Ok(NestedPartition {
        comprehensive,
        micro,
    })
}

/// The members of a comprehensive grid holding `kids`: each building once, its flat
/// ranges joined, whole when they cover all of its households (`counts`).
fn merged_members(kids: &[&Grid], counts: &HashMap<&str, u32>) -> Vec<GridMember> {
    let mut by_building: std::collections::BTreeMap<&str, Vec<(u32, u32)>> = Default::default();
    for m in kids.iter().flat_map(|k| &k.members) {
        let all = counts
            .get(m.building.as_str())
            .copied()
            .unwrap_or(m.households);
        let range = m.flats.unwrap_or((0, all.max(m.households)));
        by_building
            .entry(m.building.as_str())
            .or_default()
            .push(range);
    }
    let mut out = Vec::with_capacity(by_building.len());
    for (building, mut ranges) in by_building {
        ranges.sort_unstable();
        let mut joined: Vec<(u32, u32)> = Vec::new();
        for (s, e) in ranges {
            match joined.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => joined.push((s, e)),
            }
        }
        let all = counts.get(building).copied().unwrap_or(0);
        for (s, e) in joined {
            let whole = s == 0 && e >= all;
            out.push(GridMember {
                building: building.to_owned(),
                households: e - s,
                flats: (!whole).then_some((s, e)),
            });
        }
    }
    out
}

/// Whether two member lists hold the same buildings and flats, in any order.
fn same_members(a: &[GridMember], b: &[GridMember]) -> bool {
    let key = |m: &GridMember| (m.building.clone(), m.flats, m.households);
    let mut a: Vec<_> = a.iter().map(key).collect();
    let mut b: Vec<_> = b.iter().map(key).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Step 2 for every comprehensive grid of `comprehensive`: its micro-grids, partitioned
/// (or, with [`Mode::Rebuild`] from `mode_of`, redrawn for the memberships they have)
/// from the previous micro-grids in `input.previous`; a locked one keeps its own.
/// `frame` is what step 1 kept of the village (see [`run::run_in_frame`]).
fn cut_all(
    input: &VillageInput<'_>,
    comprehensive: &[Grid],
    lower: &PartitionParams,
    frame: Option<&run::Frame>,
    mode_of: impl Fn(&Grid) -> Mode + Sync,
) -> PartitionResult<VillagePartition> {
    let buildings: HashMap<&str, &Building> = input
        .buildings
        .iter()
        .map(|b| (b.source_id.as_str(), *b))
        .collect();
    let previous_micro: Vec<&Grid> = input
        .previous
        .iter()
        .filter(|g| g.level == Grid::MICRO && g.parent.is_some())
        .collect();
    let mut children_of: HashMap<&GridCode, Vec<&Grid>> = HashMap::new();
    for g in &previous_micro {
        if let Some(p) = &g.parent {
            children_of.entry(p).or_default().push(g);
        }
    }
    // Comprehensive grids standing on one building's footprint (a tower's flats, an
    // institution): where one lies inside a ground comprehensive grid, that grid's
    // micro-grids must leave the footprint to one of them, as the stacking rule wants.
    let vertical: Vec<&MultiPolygon<f64>> = comprehensive
        .iter()
        .filter(|g| on_one_footprint(g))
        .map(|g| &g.polygon)
        .collect();
    let cut: Vec<PartitionResult<VillagePartition>> = comprehensive
        .par_iter()
        .map(|parent| {
            let children = children_of
                .get(&parent.code)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if parent.locked {
                Ok(kept(input.village, parent, children))
            } else {
                let mode = mode_of(parent);
                let mut part = cut_micro(input, parent, &buildings, children, lower, mode, frame)?;
                if !on_one_footprint(parent) {
                    // Only the footprints within this grid's box can lie inside it.
                    let area = parent.polygon.bounding_rect();
                    let inside = vertical.iter().filter(|f| {
                        f.bounding_rect()
                            .zip(area)
                            .is_some_and(|(f, a)| f.intersects(&a))
                    });
                    for footprint in inside {
                        hold_footprint_in_one(&mut part.grids, footprint);
                    }
                }
                flag_pieces(&mut part);
                Ok(part)
            }
        })
        .collect();
    let mut micro = VillagePartition {
        grids: Vec::new(),
        report: super::VillageReport {
            village: input.village.code.to_string(),
            ..Default::default()
        },
        moved_households: 0,
        flags: Vec::new(),
    };
    for part in cut {
        let part = part?;
        micro.grids.extend(part.grids);
        micro.report.add(&part.report);
        micro.flags.extend(part.flags);
    }
    micro.grids.sort_by(|a, b| a.code.cmp(&b.code));
    let previous_micro: Vec<Grid> = previous_micro.into_iter().cloned().collect();
    micro.moved_households = codes::moved_households(&previous_micro, &micro.grids);
    Ok(micro)
}

/// The micro-grids of a locked comprehensive grid, as they were; a locked grid of a
/// one-level run becomes its own single micro-grid.
fn kept(village: &AdminUnit, parent: &Grid, children: &[&Grid]) -> VillagePartition {
    let grids: Vec<Grid> = if children.is_empty() {
        GridCode::nested(&parent.code, 1)
            .map(|code| Grid {
                code,
                level: Grid::MICRO,
                parent: Some(parent.code.clone()),
                ..parent.clone()
            })
            .into_iter()
            .collect()
    } else {
        children.iter().map(|g| (*g).clone()).collect()
    };
    VillagePartition {
        report: super::VillageReport {
            village: village.code.to_string(),
            grids: grids.len(),
            locked_grids: grids.len(),
            ..Default::default()
        },
        grids,
        moved_households: 0,
        flags: Vec::new(),
    }
}

/// The flats a comprehensive grid holds of one building, as the one building of that
/// count its micro-grids are cut from: flat `f` of that building is flat
/// `segments[..].0 + …` of the real one (a grid may hold several ranges of a building).
#[derive(Debug, Clone, Default)]
struct Held {
    /// `(first flat, flats)` of each range, in flat order.
    segments: Vec<(u32, u32)>,
    /// Whether the comprehensive grid holds only some of the building's households.
    partial: bool,
}

impl Held {
    fn households(&self) -> u32 {
        self.segments.iter().map(|s| s.1).sum()
    }

    /// The real flat ranges of flats `start..end` of the cut building.
    fn to_real(&self, start: u32, end: u32) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut offset = 0;
        for &(first, n) in &self.segments {
            let (s, e) = (start.max(offset), end.min(offset + n));
            if s < e {
                out.push((first + s - offset, first + e - offset));
            }
            offset += n;
        }
        out
    }

    /// The flats of the cut building that real flats `start..end` are.
    fn to_cut(&self, start: u32, end: u32) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        let mut offset = 0;
        for &(first, n) in &self.segments {
            let (s, e) = (start.max(first), end.min(first + n));
            if s < e {
                let cut = (offset + s - first, offset + e - first);
                match out.last_mut() {
                    Some(last) if last.1 == cut.0 => last.1 = cut.1,
                    _ => out.push(cut),
                }
            }
            offset += n;
        }
        out
    }
}

/// What a comprehensive grid holds, as the buildings its micro-grids are cut from:
/// each building once, with the households the grid holds of it (`members`); the
/// households of the buildings it holds whole, when `keep_whole` (the previous
/// micro-grids need them); and the flats of those it holds only some of (`partial`).
/// Most buildings are whole and stay as they are, borrowed.
struct Holdings<'a> {
    members: Vec<Cow<'a, Building>>,
    whole: HashMap<&'a str, u32>,
    partial: HashMap<&'a str, Held>,
}

fn holdings<'a>(
    parent: &'a Grid,
    buildings: &HashMap<&str, &'a Building>,
    lower: &PartitionParams,
    keep_whole: bool,
) -> Holdings<'a> {
    // The grid's members, a building's flat ranges one after another: as the partition
    // writes them (sorted by building and flats), else sorted here.
    let mut listed: Vec<&GridMember> = parent.members.iter().collect();
    let in_order =
        |a: &&GridMember, b: &&GridMember| a.building.cmp(&b.building).then(a.flats.cmp(&b.flats));
    if !listed.windows(2).all(|w| in_order(&w[0], &w[1]).is_le()) {
        listed.sort_by(in_order);
    }
    let mut members: Vec<Cow<'_, Building>> = Vec::new();
    let mut whole: HashMap<&str, u32> = HashMap::new();
    let mut partial: HashMap<&str, Held> = HashMap::new();
    for run in listed.chunk_by(|a, b| a.building == b.building) {
        let id = run[0].building.as_str();
        let Some(b) = buildings.get(id) else {
            continue;
        };
        let households = if run.len() == 1 && run[0].flats.is_none() {
            if keep_whole {
                whole.insert(id, run[0].households);
            }
            run[0].households
        } else {
            let held = Held {
                segments: run
                    .iter()
                    .map(|m| m.flats.map_or((0, m.households), |(s, e)| (s, e - s)))
                    .collect(),
                partial: true,
            };
            let households = held.households();
            partial.insert(id, held);
            households
        };
        let mut part = Cow::Borrowed(*b);
        if part.households.count != households {
            part.to_mut().households.count = households;
        }
        // Footprints may overlap (a tower over an institution's footprint): within this
        // grid only the part the comprehensive grid covers can carry micro-grids of
        // the building's own (only buildings above the micro maximum, and institutions
        // where they get grids of their own, get those). Any other building is a site
        // as in the village, at the point of its whole footprint, so it keeps its
        // village cell (see `run::run_in_frame`).
        let stands_on_footprint = households > lower.max
            || (lower.institution_grids
                && part.building_use == crate::model::BuildingUse::Institution);
        if stands_on_footprint && !parent.polygon.contains(&part.footprint) {
            let inside = part.footprint.intersection(&parent.polygon);
            if inside.unsigned_area() > 0.0 {
                part.to_mut().footprint = inside;
            }
        }
        members.push(part);
    }
    Holdings {
        members,
        whole,
        partial,
    }
}

/// Step 2 for one comprehensive grid: partitions it as a village of its members.
fn cut_micro(
    input: &VillageInput<'_>,
    parent: &Grid,
    buildings: &HashMap<&str, &Building>,
    previous: &[&Grid],
    lower: &PartitionParams,
    mode: Mode,
    frame: Option<&run::Frame>,
) -> PartitionResult<VillagePartition> {
    let village = input.village;
    let Holdings {
        members,
        whole,
        partial,
    } = holdings(parent, buildings, lower, !previous.is_empty());
    let held = |id: &str| -> Option<Cow<'_, Held>> {
        match partial.get(id) {
            Some(h) => Some(Cow::Borrowed(h)),
            None => whole.get(id).map(|&n| {
                Cow::Owned(Held {
                    segments: vec![(0, n)],
                    partial: false,
                })
            }),
        }
    };
    let member_refs: Vec<&Building> = members.iter().map(|b| b.as_ref()).collect();
    let area = AdminUnit {
        boundary: parent.polygon.clone(),
        ..village.clone()
    };
    // The previous micro-grids as grids of this "village": top-level codes with their
    // serial, flat ranges counted from the comprehensive grid's first flat.
    let previous: Vec<Grid> = previous
        .iter()
        .map(|g| {
            let members: Vec<GridMember> = g
                .members
                .iter()
                .flat_map(|m| {
                    let Some(h) = held(m.building.as_str()) else {
                        return Vec::new();
                    };
                    if !h.partial && m.flats.is_none() {
                        // Whole then and now (buildings without households too).
                        return vec![m.clone()];
                    }
                    let (s, e) = m.flats.unwrap_or((0, m.households));
                    let all = h.households();
                    h.to_cut(s, e)
                        .into_iter()
                        .map(|(s, e)| GridMember {
                            building: m.building.clone(),
                            households: e - s,
                            flats: (e - s != all).then_some((s, e)),
                        })
                        .collect()
                })
                .collect();
            Grid {
                code: GridCode::new(&village.code, g.code.serial()),
                parent: None,
                households: members.iter().map(|m| m.households).sum(),
                members,
                ..(*g).clone()
            }
        })
        .collect();
    let sub = VillageInput {
        village: &area,
        buildings: &member_refs,
        barriers: input.barriers,
        previous: &previous,
    };
    // On the village's graph where step 1 gave the grid the cells of all its sites;
    // else (or where those cells would not cover the grid) on its own.
    let in_frame = match frame {
        Some(frame) => run::run_in_frame(&sub, lower, mode, frame)?
            .filter(|out| covers(&out.grids, &parent.polygon, &frame.proj())),
        None => None,
    };
    let mut out = match in_frame {
        Some(out) => out,
        None => run::run(&sub, lower, mode)?,
    };
    // A tower whose flats all went to micro-grids on its footprint leaves an empty
    // ground grid where the comprehensive grid is that footprint.
    if parent.polygon.0.len() > 1 {
        cover_empty_pieces(&mut out.grids, &parent.polygon);
    }
    let before = out.grids.len();
    out.grids
        .retain(|g| !(g.members.is_empty() && g.polygon.0.is_empty()));
    if out.grids.len() < before && previous.is_empty() {
        // A first run numbers from 1 without gaps.
        out.grids.sort_by_key(|g| g.code.serial());
        for (serial, g) in (1..).zip(&mut out.grids) {
            g.code = GridCode::new(&village.code, serial);
        }
    }

    let mut renamed: HashMap<String, String> = HashMap::new();
    for g in &mut out.grids {
        let code = GridCode::nested(&parent.code, g.code.serial()).ok_or_else(|| {
            PartitionError::TooManyGrids {
                village: village.code.clone(),
                grids: usize::from(g.code.serial()),
            }
        })?;
        renamed.insert(g.code.to_string(), code.to_string());
        g.code = code;
        g.level = Grid::MICRO;
        g.parent = Some(parent.code.clone());
        if partial.is_empty() {
            continue;
        }
        // Flats of a building held whole are the building's own: only the others map.
        let mut real = Vec::with_capacity(g.members.len());
        for m in g.members.drain(..) {
            let Some(h) = partial.get(m.building.as_str()) else {
                real.push(m);
                continue;
            };
            let (s, e) = m.flats.unwrap_or((0, h.households()));
            real.extend(h.to_real(s, e).into_iter().map(|(s, e)| GridMember {
                building: m.building.clone(),
                households: e - s,
                flats: Some((s, e)),
            }));
        }
        g.members = real;
    }
    for f in &mut out.flags {
        match f {
            PartitionFlag::OutOfRange { grid, .. } | PartitionFlag::NonContiguous { grid, .. } => {
                if let Some(code) = renamed.get(grid.as_str()) {
                    grid.clone_from(code);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// How far a comprehensive polygon may differ from the union of its micro-grids: the
/// area of their symmetric difference over the comprehensive outline's length, i.e.
/// the mean width of the slivers between the two, in metres. A comprehensive grid is
/// redrawn as that union (`dissolve`) and then equals it exactly, but where the union
/// would fall into more parts than the outline, which it no longer does over the
/// 300,000-household bench county (all 225 villages exact). Before a grid pinched at a
/// corner, or cracked by the rounding gap where micro-grids clipped by separate boolean
/// operations meet, counted as one part it did in five, with slivers up to 6.2e-6 m
/// wide. Ten microns is far below anything a map or a survey can show.
pub const NESTING_TOLERANCE_M: f64 = 1e-5;

/// The symmetric difference between `parent`'s polygon and the union of `children`'s
/// (m²), `parent`'s area (m²) and its outline's length (m), in the local metric
/// projection `proj`.
fn mismatch(proj: &LocalProj, parent: &Grid, children: &[&Grid]) -> (f64, f64, f64) {
    let shape = proj.fwd_mp(&parent.polygon);
    // The union as `dissolve` draws it (one operation over the children in lon/lat): a
    // union taken another way (pairwise, in metres) rounds differently, and that
    // rounding would be measured as the levels' mismatch.
    let union = proj.fwd_mp(&geo::unary_union(children.iter().map(|k| &k.polygon)));
    (
        shape.xor(&union).unsigned_area(),
        shape.unsigned_area(),
        crate::geometry::planar_perimeter(&shape),
    )
}

/// How far the comprehensive grids of `village` are from the union of their
/// micro-grids: the largest share of a comprehensive grid's area in the symmetric
/// difference, and the largest mean sliver width (m, see [`NESTING_TOLERANCE_M`]).
/// For reports and benchmarks; [`validate_nesting`] applies the tolerance.
pub fn nesting_error(village: &AdminUnit, comprehensive: &[Grid], micro: &[Grid]) -> (f64, f64) {
    let Some(proj) = village
        .boundary
        .bounding_rect()
        .and_then(|r| LocalProj::new(r.center().x, r.center().y))
    else {
        return (0.0, 0.0);
    };
    comprehensive
        .iter()
        .map(|p| {
            let kids: Vec<&Grid> = micro
                .iter()
                .filter(|g| g.parent.as_ref() == Some(&p.code))
                .collect();
            let (differ, area, outline) = mismatch(&proj, p, &kids);
            (differ / area.max(1.0), differ / outline.max(1.0))
        })
        .fold((0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)))
}

/// Lists every way `micro` fails to nest in `comprehensive` in `village`: a micro-grid
/// whose parent is missing or whose code does not extend its parent's, households a
/// micro-grid holds that its parent does not, a parent whose households its micro-grids
/// do not add up to, and a parent whose polygon differs from the union of its
/// micro-grids' polygons by slivers wider than [`NESTING_TOLERANCE_M`] on average
/// (see [`nesting_error`]). Each level is checked on its
/// own with [`super::validate_grids`].
pub fn validate_nesting(
    village: &AdminUnit,
    comprehensive: &[Grid],
    micro: &[Grid],
) -> Vec<Violation> {
    let mut out = Vec::new();
    let parents: HashMap<&GridCode, &Grid> = comprehensive.iter().map(|g| (&g.code, g)).collect();
    let mut children: HashMap<&GridCode, Vec<&Grid>> = HashMap::new();
    for g in micro {
        let parent = g.parent.as_ref().and_then(|p| parents.get(p));
        match parent {
            Some(p) if g.code.parent().as_ref() == Some(&p.code) => {
                children.entry(&p.code).or_default().push(g);
            }
            _ => out.push(Violation::NotNested {
                grid: g.code.to_string(),
                reason: match &g.parent {
                    None => "has no comprehensive grid".to_owned(),
                    Some(p) if parents.contains_key(p) => {
                        format!("its code does not extend its comprehensive grid {p}")
                    }
                    Some(p) => format!("its comprehensive grid {p} does not exist"),
                },
            }),
        }
    }
    let Some(proj) = village
        .boundary
        .bounding_rect()
        .and_then(|r| LocalProj::new(r.center().x, r.center().y))
    else {
        return out;
    };
    for p in comprehensive {
        let kids = children.get(&p.code).map(Vec::as_slice).unwrap_or(&[]);
        out.extend(households_not_nested(p, kids));
        let (differ, _, outline) = mismatch(&proj, p, kids);
        if differ > NESTING_TOLERANCE_M * outline.max(1.0) {
            out.push(Violation::NestingMismatch {
                grid: p.code.to_string(),
                area_m2: differ,
            });
        }
    }
    out
}

/// Households the micro-grids hold outside their parent, or fail to hold within it.
fn households_not_nested(parent: &Grid, kids: &[&Grid]) -> Vec<Violation> {
    let mut out = Vec::new();
    let range = |m: &GridMember| m.flats.unwrap_or((0, m.households));
    let mut ranges: HashMap<&str, Vec<(u32, u32)>> = HashMap::new();
    let mut expected: HashMap<&str, u32> = HashMap::new();
    for m in &parent.members {
        ranges
            .entry(m.building.as_str())
            .or_default()
            .push(range(m));
        *expected.entry(m.building.as_str()).or_default() += m.households;
    }
    let mut sum: HashMap<&str, u32> = HashMap::new();
    for k in kids {
        for m in &k.members {
            let (s, e) = range(m);
            let inside = ranges
                .get(m.building.as_str())
                .is_some_and(|rs| rs.iter().any(|&(ps, pe)| ps <= s && e <= pe));
            if !inside {
                out.push(Violation::NotNested {
                    grid: k.code.to_string(),
                    reason: format!(
                        "holds households of building {} that {} does not",
                        m.building, parent.code
                    ),
                });
            }
            *sum.entry(m.building.as_str()).or_default() += m.households;
        }
    }
    for (building, &households) in &expected {
        let held = sum.get(building).copied().unwrap_or(0);
        if held != households {
            out.push(Violation::NotNested {
                grid: parent.code.to_string(),
                reason: format!(
                    "holds {households} households of building {building} but its micro-grids hold {held}"
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Held;

    #[test]
    fn flats_of_several_ranges_map_to_one_cut_building_and_back() {
        // A comprehensive grid holding flats 0..10 and 30..40 of a building.
        let h = Held {
            segments: vec![(0, 10), (30, 10)],
            partial: true,
        };
        assert_eq!(h.households(), 20);
        assert_eq!(h.to_real(0, 20), vec![(0, 10), (30, 40)]);
        assert_eq!(h.to_real(5, 15), vec![(5, 10), (30, 35)]);
        assert_eq!(h.to_real(12, 20), vec![(32, 40)]);
        assert_eq!(h.to_cut(0, 40), vec![(0, 20)]);
        assert_eq!(h.to_cut(8, 33), vec![(8, 13)]);
        assert_eq!(h.to_cut(10, 30), Vec::<(u32, u32)>::new());
        for (s, e) in [(0, 20), (3, 17), (10, 11)] {
            let real = h.to_real(s, e);
            let back: Vec<_> = real.iter().flat_map(|&(a, b)| h.to_cut(a, b)).collect();
            let n: u32 = back.iter().map(|(a, b)| b - a).sum();
            assert_eq!(n, e - s);
        }
    }
}

#[cfg(test)]
mod frame_tests {
    use super::*;
    use crate::model::{AdminLevel, BuildingUse, HouseholdCount};
    use crate::partition::PartitionParams;
    use geo_types::polygon;

    /// A square of side `s` degrees from (`x`, `y`).
    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)
        ]])
    }

    fn building(
        id: &str,
        footprint: MultiPolygon<f64>,
        building_use: BuildingUse,
        households: u32,
    ) -> Building {
        Building {
            source_id: id.into(),
            footprint,
            building_use,
            levels: None,
            height: None,
            households: HouseholdCount::registered(households),
            address: None,
            village: None,
        }
    }

    /// A village of 1 km² near 33.4°N 115.1°E with 30 × 30 houses of one household on
    /// a slightly uneven lattice (so that no four sites lie on one circle).
    fn village() -> (AdminUnit, Vec<Building>) {
        let (lon0, lat0, deg) = (115.1, 33.4, 1e-2);
        let village = AdminUnit {
            code: "411622101201".parse().unwrap(),
            name: "李庄村".into(),
            level: AdminLevel::Village,
            source_id: "t".into(),
            boundary: square(lon0, lat0, deg),
        };
        let mut houses = Vec::new();
        for i in 0..30 {
            for j in 0..30 {
                let wobble = f64::from((i * 7 + j * 13) % 11) * 1e-5;
                let x = lon0 + deg * (f64::from(i) + 0.5) / 30.0 + wobble;
                let y = lat0 + deg * (f64::from(j) + 0.5) / 30.0 - wobble / 2.0;
                houses.push(building(
                    &format!("b{i}-{j}"),
                    square(x, y, 5e-5),
                    BuildingUse::Residential,
                    1,
                ));
            }
        }
        (village, houses)
    }

    /// Step 1 on `buildings` of `village` (300–500), with the frame it keeps.
    fn first_step(village: &AdminUnit, buildings: &[Building]) -> (VillagePartition, run::Frame) {
        let refs: Vec<&Building> = buildings.iter().collect();
        let input = VillageInput {
            village,
            buildings: &refs,
            barriers: &[],
            previous: &[],
        };
        let upper = PartitionParams::new(300, 500, 400);
        let (top, frame) = run::run_keeping_frame(&input, &upper, Mode::Optimise).unwrap();
        (top, frame.expect("a village of one zone keeps its graph"))
    }

    /// Step 2 runs on the village's graph for the comprehensive grids whose sites are
    /// the village's, and the micro-grids it draws there hold all of their comprehensive
    /// grid's households and cover its polygon.
    #[test]
    fn micro_grids_are_cut_on_the_villages_graph_and_cover_their_grid() {
        let (v, b) = village();
        let lower = PartitionParams::default();
        let (top, frame) = first_step(&v, &b);
        assert!(top.grids.len() >= 2);
        let by_id: HashMap<&str, &Building> = b.iter().map(|b| (b.source_id.as_str(), b)).collect();
        let mut in_frame = 0;
        for parent in &top.grids {
            let members: Vec<&Building> = parent
                .members
                .iter()
                .filter_map(|m| by_id.get(m.building.as_str()).copied())
                .collect();
            let area = AdminUnit {
                boundary: parent.polygon.clone(),
                ..v.clone()
            };
            let sub = VillageInput {
                village: &area,
                buildings: &members,
                barriers: &[],
                previous: &[],
            };
            let Some(out) = run::run_in_frame(&sub, &lower, Mode::Optimise, &frame).unwrap() else {
                continue;
            };
            in_frame += 1;
            let held: u32 = out.grids.iter().map(|g| g.households).sum();
            assert_eq!(held, parent.households, "{}", parent.code);
            assert!(out.grids.len() >= 6, "{}", out.grids.len());
            assert!(
                covers(&out.grids, &parent.polygon, &frame.proj()),
                "{}",
                parent.code
            );
        }
        // Houses of one household are never split between grids: every grid runs in
        // the frame.
        assert_eq!(in_frame, top.grids.len());
    }

    /// A part holding a site the village does not have (here a house moved by a metre)
    /// runs on its own.
    #[test]
    fn a_part_with_a_site_the_village_lacks_is_refused_by_the_frame() {
        let (v, mut b) = village();
        let (_, frame) = first_step(&v, &b);
        use geo::Translate;
        b[0].footprint.translate_mut(1e-5, 0.0);
        let refs: Vec<&Building> = b.iter().collect();
        let sub = VillageInput {
            village: &v,
            buildings: &refs,
            barriers: &[],
            previous: &[],
        };
        let lower = PartitionParams::default();
        assert!(run::run_in_frame(&sub, &lower, Mode::Optimise, &frame)
            .unwrap()
            .is_none());
    }

    /// A grid's buildings are borrowed as they are unless it holds only some of their
    /// flats (then they count what it holds) or they stand on their own footprint at
    /// the micro level (then only the part inside the grid is theirs): a tower above
    /// the micro maximum, and an institution only where institutions get grids of their
    /// own. An institution that is an ordinary member keeps its whole footprint, so its
    /// site is the one it has in the village.
    #[test]
    fn holdings_trim_only_footprints_that_carry_grids_of_their_own() {
        // The grid is the square 115.1–115.101 E; the school and the tower reach 1e-4°
        // over its eastern edge.
        let straddling = square(115.1009, 33.4005, 2e-4);
        let built = [
            building(
                "house",
                square(115.1002, 33.4002, 5e-5),
                BuildingUse::Residential,
                3,
            ),
            building("school", straddling.clone(), BuildingUse::Institution, 0),
            building("tower", straddling.clone(), BuildingUse::Residential, 60),
            building(
                "flats",
                square(115.1005, 33.4002, 5e-5),
                BuildingUse::Residential,
                80,
            ),
        ];
        let by_id: HashMap<&str, &Building> =
            built.iter().map(|b| (b.source_id.as_str(), b)).collect();
        let member = |id: &str, households, flats| GridMember {
            building: id.into(),
            households,
            flats,
        };
        let parent = Grid {
            code: "411622101201-001".parse().unwrap(),
            level: Grid::COMPREHENSIVE,
            parent: None,
            village: "411622101201".parse().unwrap(),
            households: 103,
            // Out of order on purpose: the flat ranges of one building come together.
            members: vec![
                member("flats", 20, Some((60, 80))),
                member("house", 3, None),
                member("school", 0, None),
                member("tower", 60, None),
                member("flats", 20, Some((0, 20))),
            ],
            polygon: square(115.1, 33.4, 1e-3),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        };
        let area = |b: &Building| b.footprint.unsigned_area();
        for institution_grids in [false, true] {
            let lower = PartitionParams::default().with_institution_grids(institution_grids);
            let held = holdings(&parent, &by_id, &lower, true);
            let got: HashMap<&str, &Cow<'_, Building>> = held
                .members
                .iter()
                .map(|b| (b.source_id.as_str(), b))
                .collect();
            assert_eq!(held.members.len(), 4, "each building once");
            assert!(matches!(got["house"], Cow::Borrowed(_)));
            assert_eq!(held.whole.get("house"), Some(&3));
            // The tower stands on its footprint either way: trimmed to the grid (half
            // of it lies outside).
            let tower = got["tower"];
            assert!(
                (area(tower) - 0.5 * area(&built[2])).abs() < 1e-12,
                "{}",
                area(tower)
            );
            // The grid holds 40 of the 80 flats, in two ranges.
            assert_eq!(got["flats"].households.count, 40);
            assert_eq!(held.partial["flats"].segments, vec![(0, 20), (60, 20)]);
            let school = got["school"];
            if institution_grids {
                assert!(area(school) < area(&built[1]));
            } else {
                assert!(matches!(school, Cow::Borrowed(_)));
            }
        }
    }
}
